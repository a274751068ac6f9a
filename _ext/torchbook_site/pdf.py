"""The book as one PDF per edition (``make pdf``: ``_ext/print_pdf.py`` writes
``_build/pdf/book-en.pdf`` and ``book-zh.pdf``): every page's download menu offers both, in the
edition's language, after the theme's entries for the page itself. The site serves them from
``pdf/`` beside the two editions' folders; an edition's build copies them there when they exist
(and ``make pdf`` does when the site does), so a link leads to a file whichever ran first."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .editions import tr

PDFS = [
    ("en", "book-en.pdf", "The whole book in English (PDF)"),
    ("zh", "book-zh.pdf", "The whole book in Chinese (PDF)"),
]
ZH = {
    "The whole book in English (PDF)": "全书英文版（PDF）",
    "The whole book in Chinese (PDF)": "全书中文版（PDF）",
}


def book_pdfs(language: str | None, pathto: Callable[..., str]) -> list[dict[str, str]]:
    """The download menu's entries for the two PDFs. ``pathto`` is the page's template function:
    ``pathto("../pdf/book-en.pdf", 1)`` is the file's URL relative to the page, one folder above
    the edition's root."""
    return [
        {
            "type": "link",
            "url": pathto(f"../pdf/{name}", 1),
            "text": name,
            "tooltip": tr(language, tooltip, ZH),
            "icon": "fas fa-file-pdf",
            "label": f"download-book-{edition}-button",
        }
        for edition, name, tooltip in PDFS
    ]


def _add_to_download_menu(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if app.builder.name != "html":  # the single-page build is the PDF's own source
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].extend(book_pdfs(app.config.language, context["pathto"]))


def copy_pdfs(site: Path, built: Path) -> list[Path]:
    """Copy the PDFs of ``built`` (``_build/pdf``) that are newer than the site's into ``site/pdf``."""
    copied = []
    for _, name, _ in PDFS:
        source, target = built / name, site / "pdf" / name
        if source.is_file() and (not target.is_file() or target.stat().st_mtime < source.stat().st_mtime):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target)
    return copied


def _copy_into_site(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.name == "html":
        site = Path(app.outdir).parent  # _build/html, above en/ and zh/
        copy_pdfs(site, site.parent / "pdf")


def setup(app: Any) -> None:
    app.connect("html-page-context", _add_to_download_menu, priority=510)  # after the theme's (501)
    app.connect("build-finished", _copy_into_site)
