"""The maths of both editions, typeset when the site is built (``_ext/torchbook_site/maths.py``):
every formula is KaTeX's HTML in the page, none is left as TeX or as KaTeX's error; a page loads
KaTeX's stylesheet only when it has maths, no page loads MathJax, and the site ships no source
maps. (That the maths shows with the internet blocked is checked in the browser by
test_reader.py and test_budget.py.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

# TeX a reader must never see: maths delimiters and the commands the book's formulas use most
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\end\{|\\frac\{|\\(?:partial|sigma|theta|sum|text)\b")
SKIP = {"pre", "code", "script", "style", "textarea", "math", "kbd"}  # <math>: KaTeX's MathML copy


class _Maths(HTMLParser):
    """A page's text outside code and MathML, and its formulas: how many, how many typeset."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip = 0
        self.text: list[str] = []
        self.formulas = 0
        self.katex = 0
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag in ("span", "div") and "math" in classes:
            self.formulas += 1
        if "katex" in classes:
            self.katex += 1
        if "katex-error" in classes:
            self.errors.append(a.get("title") or "")
        if tag in ("br", "img", "hr", "meta", "link", "input", "wbr", "col", "source"):
            return
        self.stack.append(tag)
        if tag in SKIP:
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return
        while self.stack:
            t = self.stack.pop()
            if t in SKIP:
                self.skip -= 1
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.text.append(data)


def read(path: Path) -> _Maths:
    parser = _Maths()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def maths(site: Path, zh_site: Path, pages: list[str]) -> dict[tuple[str, str], _Maths]:
    return {(ed, p): read(root / p) for ed, root in (("en", site), ("zh", zh_site)) for p in pages}


def test_every_formula_is_typeset_and_no_tex_is_left(maths: dict) -> None:
    raw, errors, untypeset = {}, {}, {}
    for key, m in maths.items():
        found = RAW_TEX.findall(" ".join(m.text))
        if found:
            raw[key] = found[:5]
        if m.errors:
            errors[key] = m.errors[:3]
        if m.katex < m.formulas:
            untypeset[key] = (m.formulas, m.katex)
    assert not raw, f"raw TeX in the text of {raw}"
    assert not errors, f"KaTeX could not typeset {errors}"
    assert not untypeset, f"(formulas, typeset) {untypeset}"
    with_maths = [key for key, m in maths.items() if m.formulas]
    assert len(with_maths) >= 30, with_maths  # 15+ pages with maths in each edition


def test_katex_only_on_pages_with_maths_and_no_mathjax(site: Path, zh_site: Path, pages: list[str]) -> None:
    wrong = []
    for root in (site, zh_site):
        for path in pages:
            text = (root / path).read_text(encoding="utf-8")
            assert "mathjax" not in text.lower().replace("mathjax_ignore", ""), f"{root.name}/{path} loads MathJax"
            if ("_static/katex/katex.min.css" in text) != ('class="katex' in text):
                wrong.append(f"{root.name}/{path}")
    assert not wrong, f"KaTeX's stylesheet without maths, or maths without it: {wrong}"
    css = (site / "_static" / "katex" / "katex.min.css").read_text(encoding="utf-8")
    fonts = re.findall(r"url\((fonts/[^)]+)\)", css)
    assert fonts and all(f.endswith(".woff2") for f in fonts), sorted(set(fonts))[:5]
    assert all((site / "_static" / "katex" / f).is_file() for f in fonts)


def test_no_source_maps_are_shipped(site: Path, zh_site: Path) -> None:
    for root in (site, zh_site):
        maps = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.map"))
        assert not maps, maps
        refs = [
            p.relative_to(root).as_posix()
            for p in (root / "_static").rglob("*")
            if p.suffix in (".js", ".css") and b"sourceMappingURL=" in p.read_bytes()
        ]
        assert not refs, refs
