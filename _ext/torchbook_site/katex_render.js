// Typesets the book's maths for _ext/torchbook_site/maths.py, one formula after another: a JSON
// request per line on stdin ({"latex": "...", "display": true}), a JSON answer per line on stdout
// ({"html": "..."} or {"error": "..."}). It exits when its stdin closes, that is with the build.
//     node katex_render.js <path of katex.min.js> <KaTeX's options as JSON>
"use strict";
const readline = require("readline");
const katex = require(process.argv[2]);
const options = JSON.parse(process.argv[3]);

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { html: katex.renderToString(request.latex, { ...options, displayMode: request.display }) };
  } catch (error) {
    answer = { error: error.message };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
lines.on("close", () => process.exit(0));
