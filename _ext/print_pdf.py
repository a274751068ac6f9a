"""The book as one PDF per edition (``make pdf``): a single-page build printed by headless Chromium.

    python _ext/print_pdf.py [en] [zh]        _build/singlehtml/<edition>/ -> _build/pdf/book-<edition>.pdf
    python _ext/print_pdf.py --print-only zh  print an existing single-page build again

Each edition is built as ``tools/book.py`` builds its site (the same configuration, the zh
edition with its catalogs and overrides), with Sphinx's ``singlehtml`` builder, in
``$TORCHBOOK_BUILD`` (default ``_build``). The page is served over HTTP on 127.0.0.1 (nothing
else is reachable: the maths is typeset by the site's own MathJax, or is already HTML), the
maths and the fonts are waited for, the headings get one level per document and a table of
contents comes after the title, and Chromium prints it with a bookmark outline; links to anchors
in the page become links inside the PDF. Chinese is set in Noto CJK (``fonts-noto-cjk``,
``make sysdeps``), code in a monospaced font. When the site is built, the PDFs are copied into it
(``_build/html/pdf/``): every page's download menu links them (``torchbook_site/pdf.py``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402  (tools/book.py: the editions' configuration)

SINGLE = book.BUILD / "singlehtml"
PDF = book.BUILD / "pdf"
TITLES = {"en": "PyTorch: Principles and Practice", "zh": book.ZH["html_title"]}

# Print styles on top of the site's own: the page is the book, not a web page. Each document
# (chapter, page, back matter) starts on a new sheet; the theme's print-only table of contents
# (of the first page only) gives way to the book's (PREPARE).
PRINT_CSS = """
@media print {
  html, body { font-size: 10.5pt; }
  code, kbd, pre, samp, tt, .highlight pre {
    font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace !important;
  }
  pre { white-space: pre-wrap; word-break: break-all; }
  #jb-print-docs-body, .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-footer-article, .bd-header-article, .prev-next-area, .headerlink, .copybtn, .toggle-button,
  .tb-switch, .tb-pdf { display: none !important; }
  .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
  .bd-main .bd-content { margin-left: 0 !important; }
  /* the theme hides each section's first h1 in print (it prints the page title apart) */
  .bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
  .bd-main .bd-content .bd-article > section:first-of-type > h1 { font-size: 2.6em; text-align: center; }
  section[data-tb-doc] { break-before: page; }
  h1, h2, h3, h4 { break-after: avoid; }
  figure, img, table { break-inside: avoid; }
  nav.tb-print-toc ul { list-style: none; padding-left: 0; }
  nav.tb-print-toc ul ul { padding-left: 1.5em; }
  nav.tb-print-toc li { margin: 0.15em 0; }
}
"""

# One heading level per document, so that the PDF's bookmarks are the book's outline: the
# single-page build nests every document under the front page's last section and demotes its
# headings. The front page keeps its own; a chapter (``chapters/NN/index``) and the back matter
# start at h1, a chapter's page at h2. Then the table of contents after the title: every
# chapter and its pages, linked (links to anchors in the page stay links inside the PDF).
PREPARE = r"""
(contents) => {
  const docs = [];
  for (const span of document.querySelectorAll('span[id^="document-"]')) {
    const section = span.nextElementSibling;
    if (!section || section.tagName !== "SECTION") continue;
    const name = span.id.slice("document-".length);
    section.dataset.tbDoc = name;
    docs.push({ name, section, anchor: span.id,
                top: /^chapters\/[^/]+\/(?!index$)/.test(name) ? 2 : 1 });
  }
  const own = (section) => [...section.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter((h) => h.closest("section[data-tb-doc]") === section);
  for (const doc of docs) {
    const headings = own(doc.section);
    if (!headings.length) continue;
    doc.title = headings[0].textContent.replace(/#$/, "").trim();
    const shift = doc.top - Number(headings[0].tagName[1]);
    for (const h of headings) {
      const level = Math.min(6, Math.max(1, Number(h.tagName[1]) + shift));
      if (level === Number(h.tagName[1])) continue;
      const copy = document.createElement("h" + level);
      for (const a of h.attributes) copy.setAttribute(a.name, a.value);
      while (h.firstChild) copy.appendChild(h.firstChild);
      h.replaceWith(copy);
    }
  }
  const title = document.querySelector("article h1");
  const nav = document.createElement("nav");
  nav.className = "tb-print-toc";
  nav.innerHTML = "<h2></h2><ul></ul>";
  nav.querySelector("h2").textContent = contents;
  let list = nav.querySelector("ul"), chapter = null;
  for (const doc of docs) {
    if (!doc.title) continue;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "#" + doc.anchor;
    a.textContent = doc.title;
    li.appendChild(a);
    if (doc.top === 2 && chapter) {
      let sub = chapter.querySelector("ul");
      if (!sub) { sub = document.createElement("ul"); chapter.appendChild(sub); }
      sub.appendChild(li);
    } else {
      list.appendChild(li);
      chapter = /\/index$/.test(doc.name) ? li : null;
    }
  }
  title.after(nav);
  return docs.length;
}
"""
CONTENTS = {"en": "Contents", "zh": "目录"}

# The headings as the reader sees them, in order (the outline's titles come from them).
HEADINGS = r"""
() => [...document.querySelectorAll(".bd-article :is(h1, h2, h3, h4, h5, h6)")]
  .filter((h) => h.getClientRects().length)
  .map((h) => h.innerText.replace(/\s+/g, " ").trim())
"""


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fix_outline(path: Path, headings: list[str]) -> int:
    """Chromium names a bookmark after its heading's lines run together ("andthe" where a title
    wraps) and sometimes twice over: give each bookmark its heading's text. A bookmark is matched
    to the next heading, in order, whose text it holds once or twice (or, among the next three,
    whose lines it runs together); the PDF is appended to (incremental update), not rewritten.
    Returns how many titles changed."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(str(path), incremental=True)
    outlines = writer._root_object.get("/Outlines")
    if outlines is None:
        return 0

    def items(node):
        child = node.get("/First")
        while child is not None:
            item = child.get_object()
            yield item
            yield from items(item)
            child = item.get("/Next")

    def garbled(title: str, heading: str) -> bool:  # its lines run together, some twice over
        return (
            len(heading) <= len(title) <= 2 * len(heading)
            and title.startswith(heading[:12])
            and title.endswith(heading[-6:])
            and set(title) <= set(heading)
        )

    changed, at = 0, 0
    for item in items(outlines.get_object()):
        title = _squeezed(str(item.get("/Title", "")))
        for i in range(at, len(headings)):
            heading = _squeezed(headings[i])
            if title in (heading, heading * 2) or (i < at + 3 and garbled(title, heading)):
                if str(item["/Title"]) != headings[i]:
                    item[NameObject("/Title")] = TextStringObject(headings[i])
                    changed += 1
                at = i + 1
                break
    if changed:
        updated = path.with_name(path.name + ".part")
        writer.write(str(updated))
        updated.replace(path)
    return changed


def build(edition: str) -> Path:
    """The single-page build of one edition; returns its page."""
    from jupyter_book.sphinx import build_sphinx

    out = SINGLE / edition
    result = build_sphinx(
        str(ROOT),
        str(out),
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=book.overrides(book.EDITIONS[edition]),
        doctreedir=str(book.BUILD / "doctrees" / f"singlehtml-{edition}"),
        builder="singlehtml",
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if result:
        raise SystemExit(f"The {edition} single-page build failed (warnings above are errors).")
    return out / "intro.html"


def print_pdf(index: Path, out: Path, edition: str) -> Path:
    """Print the single page ``index`` of ``edition`` to ``out``."""
    from playwright.sync_api import sync_playwright

    if not index.is_file():
        raise SystemExit(f"error: no single-page build at {index}")
    out.parent.mkdir(parents=True, exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(index.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server) else r.abort())
        page = context.new_page()
        page.set_default_timeout(600_000)
        page.goto(f"{server}/{index.name}", wait_until="load", timeout=300_000)
        # MathJax (when the page still typesets its maths in the browser) and the fonts
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        page.add_style_tag(content=PRINT_CSS)
        if page.evaluate(PREPARE, CONTENTS[edition]) < 10:
            raise SystemExit(f"error: {index} does not look like the single-page book (too few documents)")
        page.evaluate("(title) => { document.title = title; }", TITLES[edition])
        # Open every collapsed block so the printed book shows it (hidden code, solutions).
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.evaluate("() => document.fonts.ready")
        page.emulate_media(media="print")
        headings = page.evaluate(HEADINGS)
        page.pdf(
            path=str(out),
            format="A4",
            print_background=True,
            outline=True,
            tagged=True,
            margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
            display_header_footer=True,
            header_template="<span></span>",
            footer_template='<div style="font-size:8px;width:100%;text-align:center">'
            '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
        )
        browser.close()
    httpd.shutdown()
    fix_outline(out, headings)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("editions", nargs="*", choices=list(book.EDITIONS), default=[])
    ap.add_argument("--print-only", action="store_true", help="print an existing single-page build")
    a = ap.parse_args(argv)
    for edition in a.editions or list(book.EDITIONS):
        start = time.perf_counter()
        index = SINGLE / edition / "intro.html" if a.print_only else build(edition)
        built = time.perf_counter()
        out = print_pdf(index, PDF / f"book-{edition}.pdf", edition)
        print(
            f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB; build {built - start:.0f} s, "
            f"print {time.perf_counter() - built:.0f} s)"
        )
    if book.SITE.is_dir():  # the site's download menus link them there (torchbook_site/pdf.py)
        from torchbook_site.pdf import copy_pdfs

        for path in copy_pdfs(book.SITE, PDF):
            print(f"copied into the site: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
