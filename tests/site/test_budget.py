"""The page budget: a phone on a slow network reads a page within three seconds.

Headless Chromium, throttled to Lighthouse's slow-4G profile by CDP network emulation, visits the
intro and three maths pages (4.2, 5.3, 6.6) of both editions with an empty cache, from a local
static host that gzips text assets, with every other request blocked (``weight.py``). A maths page
may cost 450 kB, the intro 250 kB; a page's maths must be visible within 3 s (the best of up to
three visits: a busy test machine only slows a visit). Each page's figures are printed at the end
of the run (``conftest.pytest_terminal_summary``), and the size of each edition's search index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BOOK
from weight import BUDGET_PAGES, INTRO, MATHS_SECONDS, first_visit, gzipped, serve

TRIES = 3  # visits of a maths page at most, while its maths shows later than MATHS_SECONDS


@pytest.fixture(scope="module")
def gzip_server(site: Path, zh_site: Path) -> Iterator[str]:
    httpd, address = serve(BOOK)
    yield address
    httpd.shutdown()


@pytest.mark.parametrize("path", list(BUDGET_PAGES))
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_first_visit_within_budget(browser, gzip_server: str, edition: str, path: str, record_property) -> None:
    v = first_visit(browser, f"{gzip_server}/{edition}", path)
    tries = 1
    while path != INTRO and not (v.maths_s and v.maths_s <= MATHS_SECONDS) and tries < TRIES:
        # the machine's other work (the other test worker) only ever slows a visit: the best of
        # a few is the page's own time on this network
        again = first_visit(browser, f"{gzip_server}/{edition}", path)
        tries += 1
        if again.maths_s and (not v.maths_s or again.maths_s < v.maths_s):
            v = again
    record_property("budget", f"{edition} {path:42} {v.line()}" + (f"  (best of {tries} visits)" if tries > 1 else ""))
    assert not v.blocked, f"the page asked the internet for {v.blocked[:5]}"
    assert not v.failed, f"requests failed: {v.failed[:5]}"
    assert not any(url.endswith("searchindex.js") for url in v.files), "the search index is loaded off the search page"
    fonts = [url for url in v.files if url.split("?")[0].endswith((".woff2", ".woff", ".ttf", ".otf", ".eot"))]
    assert all(url.split("?")[0].endswith(".woff2") for url in fonts), fonts  # woff2 only
    budget = BUDGET_PAGES[path]
    heaviest = sorted(v.files.items(), key=lambda x: -x[1])[:8]
    assert v.bytes <= budget, f"{v.bytes} bytes > {budget} ({v.requests} requests); heaviest: {heaviest}"
    if path != INTRO:
        assert v.formulas, "no maths found on a maths page"
        assert v.maths_s is not None and v.maths_s <= MATHS_SECONDS, f"maths visible after {v.maths_s} s"


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_search_index_is_only_on_the_search_page(edition: str, record_property) -> None:
    """The index is fetched by the search page alone (``_ext/templates/layout.html``)."""
    index = BOOK / edition / "searchindex.js"
    size = len(gzipped(str(index), index.stat().st_mtime))
    record_property("budget", f"{edition} searchindex.js: {size / 1e3:.0f} kB gzip, loaded by search.html only")
    search = (BOOK / edition / "search.html").read_text(encoding="utf-8")
    assert "searchindex.js" in search
    for path in BUDGET_PAGES:
        assert "searchindex.js" not in (BOOK / edition / path).read_text(encoding="utf-8"), path
