"""The book as one PDF (``make pdf``): it opens, holds every chapter's title, rendered maths
and links that lead inside the document."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import ROOT

PDF = Path(os.environ.get("TORCHBOOK_PDF", ROOT / "_build" / "pdf" / "book.pdf"))


@pytest.fixture(scope="module")
def pdf():
    from pypdf import PdfReader

    if not PDF.is_file():
        pytest.fail(f"No PDF at {PDF}: run `make pdf`.")
    return PdfReader(str(PDF))


def test_pdf_has_every_chapter_title(pdf) -> None:
    text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    indexes = re.findall(r"file: (chapters/\d+_[^/]+/index)", toc)
    assert len(indexes) == 9
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))  # ligatures: "ﬂ" -> "fl"
    for index in indexes:
        title = (ROOT / f"{index}.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        words = re.sub(r"[(（].*", "", title).strip()  # the English part of the title
        assert re.sub(r"\s+", " ", words) in flat, f"chapter title {title!r} not in the PDF"
    assert len(pdf.pages) > 100
    assert "\\frac" not in text and "\\(" not in text, "raw TeX in the PDF: maths not rendered"


def test_pdf_links_lead_inside_it(pdf) -> None:
    internal = 0
    for page in pdf.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            action = a.get("/A")
            if a.get("/Dest") is not None or (action is not None and action.get_object().get("/S") == "/GoTo"):
                internal += 1
    assert internal > 50, f"only {internal} internal links"

    def count(outline) -> int:
        return sum(count(item) if isinstance(item, list) else 1 for item in outline)

    assert count(pdf.outline) >= 40, "no bookmark outline of the chapters and pages"
