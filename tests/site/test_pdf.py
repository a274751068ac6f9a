"""The book as one PDF per edition (``make pdf``: ``_ext/print_pdf.py``): each opens, holds every
chapter's title in its language, typeset maths, monospaced code, links that lead inside the
document and a bookmark outline; the Chinese one is set in Noto CJK with no missing glyph; both
are linked from every page of both editions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from conftest import BOOK, ROOT

BUILD = Path(os.environ.get("TORCHBOOK_BUILD", ROOT / "_build"))  # where `make pdf` wrote them
PDF_DIR = BUILD / "pdf"
EDITIONS = ["en", "zh"]
MISSING_GLYPHS = "\ufffd\u25a1\u2b1a\x00"  # replacement character, white square, dotted square, NUL


@cache
def reader(edition: str):
    from pypdf import PdfReader

    path = PDF_DIR / f"book-{edition}.pdf"
    if not path.is_file():
        pytest.fail(f"No PDF at {path}: run `make pdf`.")
    return PdfReader(str(path))


@cache
def radicals() -> dict[int, int]:
    """Noto Sans CJK SC draws some ideographs with the glyph of a radical (页 and ⻚, 心 and ⼼), and
    the PDF's text then names the radical: each such radical -> the ideograph of the same glyph."""
    from fontTools.ttLib import TTCollection

    found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True)
    fonts = TTCollection(found.stdout.strip(), lazy=True).fonts if found.stdout.endswith(".ttc") else []
    sc = [f for f in fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC"]
    if not sc:
        pytest.fail("Noto Sans CJK SC is not installed (fonts-noto-cjk: make sysdeps)")
    cmap = sc[0].getBestCmap()
    ideograph: dict[str, int] = {}
    for cp, glyph in sorted(cmap.items()):
        if 0x4E00 <= cp <= 0x9FFF:
            ideograph.setdefault(glyph, cp)
    return {cp: ideograph[g] for cp, g in cmap.items() if 0x2E80 <= cp <= 0x2FDF and g in ideograph}


@cache
def text(edition: str) -> str:
    """The PDF's text as a reader would copy it: NFKC-normalised (ligatures such as ﬁ are one
    character) and with radicals read as the ideographs Noto CJK drew with their glyphs."""
    path = PDF_DIR / f"book-{edition}.pdf"
    reader(edition)  # fails when there is no PDF
    if shutil.which("pdftotext"):  # poppler-utils (make sysdeps): much faster than pypdf
        raw = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout
    else:
        raw = "\n".join(page.extract_text() or "" for page in reader(edition).pages)
    return unicodedata.normalize("NFKC", raw).translate(radicals())


def squeezed(s: str) -> str:
    return re.sub(r"\s+", "", s)


def chapter_titles(edition: str) -> list[str]:
    """Every chapter's title as the edition shows it: the English words of ``# 1. Background
    (背景介绍)``, or that heading's translation in the chapter's zh catalog."""
    sys.path.insert(0, str(ROOT / "tools"))
    import i18n

    indexes = re.findall(r"file: (chapters/\d+_[^/]+/index)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert len(indexes) == 9
    titles = []
    for index in indexes:
        heading = (ROOT / f"{index}.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        if edition == "en":
            titles.append(re.sub(r"\s*[(（].*", "", heading))
        else:
            zh = i18n.translations(i18n.CATALOGS / f"{index}.po")[heading]
            titles.append(zh.replace("\\.", "."))
    return titles


def fonts(edition: str) -> set[str]:
    """The names of the fonts the PDF embeds: a font's base name without its subset prefix, or,
    for the Type 3 fonts Chromium makes of CFF fonts such as Noto CJK, its descriptor's family."""
    names: set[str] = set()
    seen: set[int] = set()
    for page in reader(edition).pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources else None
        for ref in (font_dict.get_object() if font_dict else {}).values():
            if getattr(ref, "idnum", None) in seen:
                continue
            seen.add(getattr(ref, "idnum", None))
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            family = descriptor.get_object().get("/FontFamily") if descriptor else None
            base = font.get("/BaseFont")
            names.add(str(family) if family else re.sub(r"^/?[A-Z]{6}\+", "", str(base)).lstrip("/"))
    return names


@pytest.mark.parametrize("edition", EDITIONS)
def test_pdf_has_every_chapter_title(edition: str) -> None:
    flat = squeezed(text(edition)) if edition == "zh" else re.sub(r"\s+", " ", text(edition))
    for title in chapter_titles(edition):
        wanted = squeezed(title) if edition == "zh" else re.sub(r"\s+", " ", title)
        assert wanted in flat, f"chapter title {title!r} not in book-{edition}.pdf"
    assert len(reader(edition).pages) > 100


@pytest.mark.parametrize("edition", EDITIONS)
def test_pdf_maths_is_typeset_and_code_monospaced(edition: str) -> None:
    body = text(edition)
    for raw in ("\\frac", "\\(", "\\[", "\\sum_"):
        assert raw not in body, f"raw TeX {raw!r} in book-{edition}.pdf: maths not typeset"
    names = fonts(edition)
    assert any(re.search(r"MJX|MathJax|KaTeX", n) for n in names), f"no maths font in {sorted(names)}"
    assert any("Mono" in n for n in names), f"no monospaced font in {sorted(names)}"


def test_zh_pdf_is_set_in_noto_cjk_with_no_missing_glyph() -> None:
    body = text("zh")
    names = fonts("zh")
    assert any(re.search(r"Noto ?Sans ?CJK|Noto ?Serif ?CJK", n) for n in names), sorted(names)
    missing = [c for c in MISSING_GLYPHS if c in body]
    assert not missing, f"missing-glyph characters {missing} in the text of book-zh.pdf"
    han = re.findall("[\u4e00-\u9fff]", body)
    assert len(han) > 50_000, f"only {len(han)} Chinese characters in book-zh.pdf"
    assert "术语表" in squeezed(body) and "目录" in squeezed(body)


def test_en_pdf_has_no_missing_glyph() -> None:
    missing = [c for c in MISSING_GLYPHS if c in text("en")]
    assert not missing, f"missing-glyph characters {missing} in the text of book-en.pdf"


@pytest.mark.parametrize("edition", EDITIONS)
def test_pdf_links_lead_inside_it(edition: str) -> None:
    pdf = reader(edition)
    internal = 0
    for page in pdf.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            action = a.get("/A")
            if a.get("/Dest") is not None or (action is not None and action.get_object().get("/S") == "/GoTo"):
                internal += 1
    assert internal > 200, f"only {internal} internal links"

    def flatten(outline) -> list:
        return [x for item in outline for x in (flatten(item) if isinstance(item, list) else [item])]

    top = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert len(flatten(pdf.outline)) >= 60, "no bookmark outline of the chapters and pages"
    for title in chapter_titles(edition):
        assert any(squeezed(title) in squeezed(t) for t in top), f"{title!r} is not a top-level bookmark"


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_of_the_site_links_both_pdfs(edition: str) -> None:
    """The download menu of each page offers both PDFs; `make pdf` puts them beside the editions."""
    site = BOOK / edition
    if not (site / "intro.html").is_file():
        pytest.skip(f"no built site at {site}")
    for page in ["intro.html", "chapters/04_math/04_4_logistic_regression.html", "glossary.html"]:
        html = (site / page).read_text(encoding="utf-8")
        for name in ("book-en.pdf", "book-zh.pdf"):
            hrefs = re.findall(rf'href="([^"]*{name})"', html)
            assert hrefs, f"{edition}/{page} does not link {name}"
            target = (site / page).parent / hrefs[0]
            assert target.resolve() == (BOOK / "pdf" / name).resolve(), hrefs[0]
            assert target.is_file(), f"{target} is missing: run `make pdf`"
