"""Page weight of the built site: what a reader's first visit to a page transfers (every
request, and its size gzip-compressed as a web server sends it) in headless Chromium.

    python tests/site/weight.py [SITE] [PAGE ...]      # prints one line per page

Requests to jsDelivr's MathJax (sites built before MathJax was served locally) are answered
from node_modules/mathjax, the same package, so that old and new builds can be compared offline.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
PAGES = ["chapters/04_math/04_2_backprop.html", "chapters/05_practice/05_3_mnist_mlp.html"]


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def first_visit(browser, server: str, site: Path, path: str, verbose: bool = False) -> dict[str, object]:
    """Requests and gzip-compressed bytes of one page's first visit (empty cache)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    es5 = ROOT / "node_modules" / "mathjax" / "es5"

    def handle(route) -> None:  # one handler: Playwright tries the last-registered route first
        url = route.request.url
        if url.startswith(MATHJAX_CDN):
            route.fulfill(path=str(es5 / urlsplit(url).path.split("/es5/", 1)[1]))
        elif url.startswith(server):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", handle)
    urls: list[str] = []
    page = context.new_page()
    page.on("requestfinished", lambda req: urls.append(req.url))
    page.goto(f"{server}/{path}", wait_until="networkidle")
    page.wait_for_timeout(500)
    total, external = 0, []
    for url in urls:
        if url.startswith(MATHJAX_CDN):
            file = es5 / urlsplit(url).path.split("/es5/", 1)[1]
            external.append(url)
        else:
            file = site / unquote(urlsplit(url).path).lstrip("/")
            if file.is_dir():
                file = file / "index.html"
        total += len(gzip.compress(file.read_bytes(), 6)) if file.is_file() else 0
    context.close()
    if verbose:
        for url in urls:
            print("   ", url)
    return {"page": path, "requests": len(urls), "gzip_bytes": total, "cdn_requests": len(external)}


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    site = Path(argv[0]) if argv else ROOT / "_build" / "html"
    pages = argv[1:] or PAGES
    httpd, server = serve(site)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"])
        for path in pages:
            r = first_visit(b, server, site, path)
            print(
                f"{r['page']}: {r['requests']} requests ({r['cdn_requests']} to a CDN), "
                f"{int(r['gzip_bytes']) / 1e6:.2f} MB gzip"
            )
        b.close()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
