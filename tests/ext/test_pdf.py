"""Both editions' PDFs in every page's download menu (_ext/torchbook_site/pdf.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))
from torchbook_site import pdf  # noqa: E402


def test_the_menu_links_both_pdfs_beside_the_editions() -> None:
    def pathto(uri: str, resource: int = 0) -> str:  # as Sphinx, for the page chapters/04_math/04_4
        assert resource == 1
        return "../../" + uri

    en = pdf.book_pdfs("en", pathto)
    assert [b["url"] for b in en] == ["../../../pdf/book-en.pdf", "../../../pdf/book-zh.pdf"]
    assert [b["text"] for b in en] == ["book-en.pdf", "book-zh.pdf"]
    assert all(b["type"] == "link" and b["icon"] == "fas fa-file-pdf" for b in en)
    zh = pdf.book_pdfs("zh_CN", pathto)
    assert [b["tooltip"] for b in zh] == ["全书英文版（PDF）", "全书中文版（PDF）"]
    assert [b["tooltip"] for b in en] == ["The whole book in English (PDF)", "The whole book in Chinese (PDF)"]


def test_an_editions_build_copies_the_pdfs_into_the_site(tmp_path: Path) -> None:
    built, site = tmp_path / "pdf", tmp_path / "html"
    assert pdf.copy_pdfs(site, built) == []  # no PDFs built: nothing to copy
    built.mkdir()
    (built / "book-en.pdf").write_bytes(b"%PDF-1.4 en")
    assert pdf.copy_pdfs(site, built) == [site / "pdf" / "book-en.pdf"]
    assert (site / "pdf" / "book-en.pdf").read_bytes() == b"%PDF-1.4 en"
    assert pdf.copy_pdfs(site, built) == []  # already current
