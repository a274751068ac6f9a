"""The site's maths, typeset when the site is built.

- KaTeX (npm ``katex``) writes each formula's HTML, with MathML for screen readers, into the
  page: formulas show as soon as the page, KaTeX's stylesheet and its fonts arrive, with no maths
  script. One node process per build (``katex_render.js``) typesets every formula in turn; it
  exits with the build.
- Display maths is wrapped as Sphinx's MathJax wraps it (paragraphs aligned, ``\\\\`` in a split),
  a labelled equation is numbered and linked like Sphinx's, amsmath environments are KaTeX's.
- A formula KaTeX cannot typeset is a build error with its page and line (the build turns
  warnings into errors), and so is LaTeX-incompatible input (``OPTIONS``).
- A page with maths loads KaTeX's stylesheet and, of its fonts (woff2 only, copied into
  ``_static/katex``), those its formulas use; a page without maths loads neither (``assets``).
  The fonts a page's formulas use are preloaded from the top of the page (``PRELOAD``, from the
  classes of KaTeX's HTML), so that they arrive with the stylesheets rather than after them.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from .paths import HERE, ROOT

LOG = logging.getLogger(__name__)
KATEX = ROOT / "node_modules" / "katex" / "dist"  # npm's package (package.json)
SCRIPT = HERE / "katex_render.js"
RENDERER = "katex"
CSS = "katex/katex.min.css"  # in _static: KaTeX's, woff2 only, and BOOK_CSS
# KaTeX's options for every formula (its defaults otherwise): a formula it cannot typeset, or
# LaTeX-incompatible input, is an error (by default KaTeX shows an unknown command in red).
OPTIONS = {"throwOnError": True, "strict": "error"}
# The theme lays a displayed formula out in a flex row with its number: the formula takes the
# row's width, so that it is centred.
BOOK_CSS = "\n/* the book */\ndiv.math>.katex-display{flex-grow:1;margin:.5em 0}\n"
# a KaTeX font -> what a page's HTML holds when its maths uses the font (katex.css's rules)
PRELOAD = {
    "KaTeX_Main-Regular.woff2": re.compile(r'class="katex"'),
    "KaTeX_Math-Italic.woff2": re.compile(r'class="[^"]*\bmathnormal\b'),
    "KaTeX_AMS-Regular.woff2": re.compile(r'class="[^"]*\b(?:amsrm|mathbb|textbb)\b'),
    "KaTeX_Main-Bold.woff2": re.compile(r'class="[^"]*\b(?:mathbf|textbf)\b'),
    "KaTeX_Main-Italic.woff2": re.compile(r'class="[^"]*\b(?:mathit|textit)\b'),
    "KaTeX_Math-BoldItalic.woff2": re.compile(r'class="[^"]*\bboldsymbol\b'),
    "KaTeX_Caligraphic-Regular.woff2": re.compile(r'class="[^"]*\bmathcal\b'),
    "KaTeX_Size1-Regular.woff2": re.compile(r'class="[^"]*\b(?:delimsizing size1|small-op|delim-size1)\b'),
    "KaTeX_Size2-Regular.woff2": re.compile(r'class="[^"]*\b(?:delimsizing size2|large-op)\b'),
    "KaTeX_Size3-Regular.woff2": re.compile(r'class="[^"]*\bdelimsizing size3\b'),
    "KaTeX_Size4-Regular.woff2": re.compile(r'class="[^"]*\b(?:delimsizing size4|delim-size4)\b'),
}
_OLD_FONTS = re.compile(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)')


class KaTeXError(Exception):
    """KaTeX's message for a formula it cannot typeset."""


class KaTeX:
    """One node process that typesets formulas (``katex_render.js``), started at the first
    formula (again in a forked worker), ended by ``close`` or when the build exits."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.pid = 0

    def _start(self) -> subprocess.Popen[str]:
        node = shutil.which("node")
        if node is None:
            raise ExtensionError("node is missing: it typesets the maths (apt-get install nodejs npm, or make node)")
        if not (KATEX / "katex.min.js").is_file():
            raise ExtensionError(
                f"KaTeX is missing ({KATEX / 'katex.min.js'}): run `make node` (npm ci) in the book's folder; make book does it."
            )
        command = [node, str(SCRIPT), str(KATEX / "katex.min.js"), json.dumps(OPTIONS)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
        self.pid = os.getpid()
        return self.process

    def render(self, latex: str, display: bool) -> str:
        """The HTML of ``latex`` (displayed or inline); raises KaTeXError."""
        process = self.process
        if process is None or self.pid != os.getpid() or process.poll() is not None:
            process = self._start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps({"latex": latex, "display": display}) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise ExtensionError(f"KaTeX's node process stopped (exit status {process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise KaTeXError(answer["error"])
        return answer["html"]

    def close(self) -> None:
        if self.process is not None and self.pid == os.getpid():
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
        self.process = None


_KATEX = KaTeX()


def display_latex(node: Any) -> str:
    """A displayed formula's TeX as Sphinx's MathJax renderer gives it: paragraphs aligned, a
    paragraph with line breaks in a split; an amsmath environment (``nowrap``) as written."""
    if node["nowrap"]:
        return node.astext()
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    parts = [rf"\begin{{split}}{part}\end{{split}}" if r"\\" in part else part for part in parts]
    if len(parts) > 1:
        return r"\begin{align}\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}\end{align}"
    return parts[0] if parts else ""


def typeset(node: Any, latex: str, display: bool) -> str:
    """KaTeX's HTML of a maths node; what it cannot typeset is a warning at the node."""
    try:
        return _KATEX.render(latex, display)
    except KaTeXError as error:
        LOG.warning(f"maths KaTeX cannot typeset: {error}", location=node)
        return f'<span class="katex-error" title="{html.escape(str(error))}">{html.escape(latex)}</span>'


def visit_math(self: Any, node: Any) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(typeset(node, node.astext(), display=False) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self: Any, node: Any) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(typeset(node, display_latex(node), display=True) + "</div>\n")
    raise nodes.SkipNode


def preloads(body: str) -> list[str]:
    """The fonts (of ``PRELOAD``) that a page whose HTML is ``body`` preloads."""
    return [font for font, pattern in PRELOAD.items() if pattern.search(body)]


def _preload_fonts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Preload the fonts of the page's maths."""
    body = context.get("body", "")
    links = [
        f'<link rel="preload" href="{context["pathto"]("_static/katex/fonts/" + font, 1)}" as="font" '
        'type="font/woff2" crossorigin />'
        for font in preloads(body)
    ]
    if links:  # metatags: the first lines of <head>
        context["metatags"] = context.get("metatags", "") + "\n".join(links) + "\n"


def woff2_only(css: str) -> str:
    """KaTeX's stylesheet with each font's woff and ttf sources dropped (every browser the site
    supports reads woff2)."""
    return _OLD_FONTS.sub("", css)


def _configure(app: Any, config: Any) -> None:
    config.html_math_renderer = RENDERER


def _finish(app: Any, exception: Exception | None) -> None:
    """End the node process; KaTeX's stylesheet and woff2 fonts into ``_static/katex``."""
    _KATEX.close()
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "katex"
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    css = woff2_only((KATEX / "katex.min.css").read_text(encoding="utf-8"))
    (dest / "katex.min.css").write_text(css + BOOK_CSS, encoding="utf-8")
    for font in (KATEX / "fonts").glob("*.woff2"):
        shutil.copy2(font, dest / "fonts" / font.name)


def setup(app: Any) -> None:
    app.add_html_math_renderer(RENDERER, inline_renderers=(visit_math, None), block_renderers=(visit_displaymath, None))
    app.add_css_file(CSS)  # on pages with maths only (assets)
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _preload_fonts)
    app.connect("build-finished", _finish)
