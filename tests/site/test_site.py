"""Checks of the built site: every internal link resolves; pages load in Chromium without
console errors; the search page finds chapter 1."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHAPTER_1 = "chapters/01_background/01_1_what_is_pytorch.html"
SEARCH_TERM = "symbolic_trace"  # appears in chapter 1's text and code


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])  # type: ignore[arg-type]
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])  # type: ignore[arg-type]
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(a[key])  # type: ignore[arg-type]


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def test_internal_links_resolve(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    parsed = {p: _parse(p) for p in pages}
    broken = []
    for page, info in parsed.items():
        if page.relative_to(site).parts[0] == "_static":  # theme templates, not pages
            continue
        for link in info.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])


@pytest.mark.parametrize("path", ["index.html", CHAPTER_1, "chapters/01_background/01_2_running_the_book.html"])
def test_page_loads_without_console_errors(browser, server: str, path: str) -> None:
    page = browser.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        url = (msg.location or {}).get("url", "")
        # The test machines have no internet: a CDN resource (MathJax, ...) that cannot load is
        # not a defect of the site. Everything served from the site itself must load.
        if msg.type == "error" and not (msg.text.startswith("Failed to load resource") and not url.startswith(server)):
            errors.append(f"{msg.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("requestfailed", lambda req: failed.append(req.url) if req.url.startswith(server) else None)
    response = page.goto(f"{server}/{path}", wait_until="networkidle")
    assert response is not None and response.ok
    assert page.title()
    assert not errors, f"console errors on {path}: {errors}"
    assert not failed, f"failed requests on {path}: {failed}"
    page.close()


def test_chapter_1_shows_its_outputs(browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/{CHAPTER_1}", wait_until="networkidle")
    text = page.inner_text("main")
    assert "What PyTorch is" in text
    assert "MulBackward0" in text  # the graph printed by an executed cell
    assert "symbolically traced variables cannot be used as inputs to control flow" in text
    assert "google.colab" not in text  # the Colab cell is removed from the site
    page.close()


def test_search_finds_chapter_1(browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/search.html?q={SEARCH_TERM}", wait_until="networkidle")
    page.wait_for_selector("#search-results li a", timeout=20_000)
    hrefs = [a.get_attribute("href") or "" for a in page.query_selector_all("#search-results li a")]
    assert any("01_1_what_is_pytorch" in h for h in hrefs), hrefs
    page.close()
