"""A reader's first visit to a page of the built site, measured as a phone on a slow network meets
it: the site served by a local static host that gzips text assets (as such hosts do), Chromium
throttled by CDP network emulation to Lighthouse's slow-4G profile (1.6 Mbit/s down, 750 kbit/s
up, 150 ms round trip), every request that does not go to the local server blocked.

    python tests/site/weight.py [--without PART ...] [BOOK] [PAGE ...]   # a line per page, both editions

BOOK is the folder holding ``en/`` and ``zh/`` (default ``_build/html``); a PAGE is a path inside
an edition (default: the pages of ``BUDGET_PAGES``); ``--without`` fails the requests whose
address holds PART, to see what a page would cost without that file. VERBOSE=1 lists the files.

For each visit: the bytes transferred (headers included, text compressed: CDP's
``encodedDataLength``), the number of requests, the seconds until the page's maths is visible
(every formula typeset, its stylesheet applied and no maths font still loading), the seconds until
the load event, and the files fetched.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import mimetypes
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Lighthouse's slow-4G ("mobile") profile, in the units of CDP Network.emulateNetworkConditions.
SLOW_4G = {
    "offline": False,
    "latency": 150,  # ms, added to every request
    "downloadThroughput": 1.6e6 / 8,  # bytes/s
    "uploadThroughput": 750e3 / 8,
}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# The pages the budget holds to (tests/site/test_budget.py): page -> bytes of its first visit; a
# page with maths shows it within MATHS_SECONDS.
INTRO = "intro.html"
BUDGET_PAGES = {
    INTRO: 250_000,
    "chapters/04_math/04_2_backprop.html": 450_000,
    "chapters/05_practice/05_3_mnist_mlp.html": 450_000,
    "chapters/06_applications/06_6_gan.html": 450_000,
}
MATHS_SECONDS = 3.0

TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")

# Polled in the page from its first script on: the time (ms since navigation) at which its maths
# last became visible. Visible: every .math element holds typeset maths (KaTeX's HTML, or
# MathJax's <mjx-container>), KaTeX's stylesheet is applied (it hides the MathML copy) and no
# maths font is loading (fonts are invisible while they load: font-display auto).
MATHS_CLOCK_JS = r"""
(() => {
  const clock = {visible: null, ok: false, formulas: 0};
  window.__tbMaths = clock;
  const check = () => {
    const maths = document.querySelectorAll("article .math");
    clock.formulas = maths.length;
    if (!maths.length) return false;
    for (const m of maths) if (!m.querySelector(".katex-html, mjx-container")) return false;
    const mathml = document.querySelector("article .math .katex-mathml");
    if (mathml && getComputedStyle(mathml).position !== "absolute") return false;
    for (const f of document.fonts) {
      if (/^(KaTeX|MJX)/.test(f.family.replace(/["']/g, "")) && f.status === "loading") return false;
    }
    return true;
  };
  const tick = () => {
    const ok = check();
    if (ok && !clock.ok) clock.visible = performance.now();
    clock.ok = ok;
  };
  setInterval(tick, 20);
  document.addEventListener("DOMContentLoaded", tick);
})();
"""


def is_text(content_type: str) -> bool:
    return content_type.startswith(TEXT_TYPES)


@functools.lru_cache(maxsize=4096)
def gzipped(path: str, mtime: float) -> bytes:
    """The file as a static host sends it compressed (gzip level 6, nginx's and most CDNs')."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static host: keep-alive, text assets gzip-compressed when the browser accepts it."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = self.translate_path(self.path)
        ctype = self.guess_type(path)
        if (
            os.path.isdir(path)
            or not os.path.isfile(path)
            or not is_text(ctype)
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        body = gzipped(path, os.path.getmtime(path))
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` on 127.0.0.1 (a free port) from a daemon thread; returns (server, address)."""
    mimetypes.add_type("font/woff2", ".woff2")
    handler = functools.partial(GzipHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@dataclass
class Visit:
    """One first visit: what it cost and when its maths showed."""

    url: str
    bytes: int = 0  # transferred, headers included
    requests: int = 0
    maths_s: float | None = None  # None: the page has no maths, or it never became visible
    formulas: int = 0
    load_s: float = 0.0
    files: dict[str, int] = field(default_factory=dict)  # url -> bytes transferred
    blocked: list[str] = field(default_factory=list)  # requests that left the local server
    failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        maths = "no maths" if not self.formulas else f"maths {self.maths_s:.2f} s" if self.maths_s else "maths never"
        return f"{self.bytes / 1e3:6.0f} kB {self.requests:3d} requests  {maths:>12}  load {self.load_s:.2f} s"


def first_visit(
    browser: Any, server: str, path: str, network: dict | None = None, without: tuple[str, ...] = ()
) -> Visit:
    """Visit ``server/path`` with an empty cache, throttled to ``network`` (default slow 4G);
    requests whose address holds a part of ``without`` fail (not counted in ``failed``)."""
    context = browser.new_context(**PHONE)
    visit = Visit(url=f"{server}/{path}")

    def handle(route: Any) -> None:
        url = route.request.url
        if not url.startswith(server):
            visit.blocked.append(url)
        route.abort()

    context.route(lambda url: not url.startswith(server) or any(part in url for part in without), handle)
    context.add_init_script(MATHS_CLOCK_JS)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))

    def finished(e: dict) -> None:
        url = urls.get(e["requestId"], "")
        if url.startswith("http"):
            visit.files[url] = visit.files.get(url, 0) + int(e["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)

    def failed(e: dict) -> None:
        url = urls.get(e["requestId"], "?")
        if not any(part in url for part in without):
            visit.failed.append(url)

    cdp.on("Network.loadingFailed", failed)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", network or SLOW_4G)
    page.goto(visit.url, wait_until="load", timeout=60_000)
    page.wait_for_load_state("networkidle", timeout=60_000)
    clock = page.evaluate("() => window.__tbMaths")
    visit.load_s = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
    visit.formulas = int(clock["formulas"])
    if clock["ok"] and clock["visible"] is not None:
        visit.maths_s = clock["visible"] / 1000
    visit.bytes = sum(visit.files.values())
    visit.requests = len(visit.files)
    context.close()
    return visit


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    without: list[str] = []
    while argv[:1] == ["--without"]:
        without.append(argv[1])
        argv = argv[2:]
    book = Path(argv[0]) if argv else ROOT / "_build" / "html"
    pages = argv[1:] or list(BUDGET_PAGES)
    httpd, server = serve(book)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"])
        for edition in ("en", "zh"):
            for path in pages:
                v = first_visit(b, f"{server}/{edition}", path, without=tuple(without))
                print(f"{edition} {path:45} {v.line()}")
                if os.environ.get("VERBOSE"):
                    for url, n in sorted(v.files.items(), key=lambda x: -x[1]):
                        print(f"      {n / 1e3:7.1f} kB  {url.removeprefix(server)}")
        b.close()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
