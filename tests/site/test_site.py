"""Checks of the built site: pages load in Chromium without console errors; the search page finds
chapter 1. (Internal links and anchors are checked by tools/check_links.py: `make site`.)"""

from __future__ import annotations

import pytest

CHAPTER_1 = "chapters/01_background/01_1_what_is_pytorch.html"
SEARCH_TERM = "symbolic_trace"  # appears in chapter 1's text and code


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
