"""Fixtures for checks of the built site: its two editions (``_build/html/en`` and ``zh``), a local
HTTP server of both, a headless Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = Path(os.environ.get("TORCHBOOK_SITE", ROOT / "_build" / "html"))  # another build: TORCHBOOK_SITE=...
SITE = BOOK / "en"
ZH_SITE = BOOK / "zh"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"No built site in {SITE}: run `make build` first.")
    return SITE


@pytest.fixture(scope="session")
def zh_site() -> Path:
    if not (ZH_SITE / "index.html").is_file():
        pytest.fail(f"No built zh edition in {ZH_SITE}: run `make build` first.")
    return ZH_SITE


@pytest.fixture(scope="session")
def root_server(site: Path) -> Iterator[str]:
    """Serve both editions on 127.0.0.1 (the search index needs HTTP, not file://)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def server(root_server: str) -> str:
    """The English edition's address."""
    return f"{root_server}/en"


@pytest.fixture(scope="session")
def zh_server(root_server: str, zh_site: Path) -> str:
    """The Chinese edition's address."""
    return f"{root_server}/zh"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (make sysdeps does it).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def site_pages(site: Path) -> list[str]:
    """Every page of one edition (paths relative to it), without the redirect at index.html."""
    found = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site).as_posix()
        if rel.split("/")[0] in ("_static", "_sources", "_images") or rel == "index.html":
            continue
        found.append(rel)
    assert len(found) > 40, found
    return found


@pytest.fixture(scope="session")
def pages(site: Path) -> list[str]:
    return site_pages(site)


@pytest.fixture(scope="session")
def zh_pages(zh_site: Path) -> list[str]:
    return site_pages(zh_site)


@pytest.fixture(scope="session")
def offline(browser, root_server: str):
    """A browser context in which every request that does not go to the local server fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def handle(route) -> None:
        if route.request.url.startswith(root_server):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
    context.blocked = blocked  # type: ignore[attr-defined]
    yield context
    context.close()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config) -> None:
    """Print the figures the page budget measured (tests/site/test_budget.py), also under xdist."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for r in reports
        if getattr(r, "when", None) == "call"
        for name, value in getattr(r, "user_properties", [])
        if name == "budget"
    ]
    if lines:
        terminalreporter.write_sep("-", "page budget (slow 4G, first visit, gzip)")
        for line in sorted(lines):
            terminalreporter.write_line(line)
