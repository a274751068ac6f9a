"""Print the single-page build of the book to one PDF with headless Chromium (``make pdf``).

    python _ext/print_pdf.py _build/singlehtml/intro.html _build/pdf/book.pdf

The page is served over HTTP on 127.0.0.1 (nothing else is reachable: MathJax comes from the
site), MathJax is waited for, and Chromium prints it with a bookmark outline; links to anchors
in the page become links inside the PDF.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    index, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    if not index.is_file():
        print(f"error: no single-page build at {index}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(index.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server) else r.abort())
        page = context.new_page()
        page.goto(f"{server}/{index.name}", wait_until="load", timeout=120_000)
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
        page.evaluate("() => document.fonts.ready")
        # Close every collapsed block so the printed book shows it (hidden code, solutions).
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.emulate_media(media="print")
        page.pdf(
            path=str(out),
            format="A4",
            print_background=True,
            outline=True,
            tagged=True,
            margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
            display_header_footer=True,
            header_template="<span></span>",
            footer_template='<div style="font-size:8px;width:100%;text-align:center">'
            '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
        )
        browser.close()
    httpd.shutdown()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
