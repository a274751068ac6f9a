"""The stamps and run costs in the built pages of both editions (_ext/torchbook_site/stamps.py):
each says what the committed reports say of the page as it is now."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from torchbook_site import stamps  # noqa: E402

WORDS = {
    "en": (
        "Verified in full mode",
        "Not verified yet in full mode.",
        "Committed outputs: produced",
        "not recorded yet",
    ),
    "zh": ("已在完整模式下验证", "尚未在完整模式下验证。", "提交的输出：", "尚未记录"),
}


@pytest.fixture(scope="module")
def reports() -> tuple[list, dict]:
    return stamps.load_lanes(ROOT), stamps.load_outputs(ROOT)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_every_code_page_says_whether_it_is_verified_and_what_it_costs(edition: str, request, reports) -> None:
    site: Path = request.getfixturevalue("site" if edition == "en" else "zh_site")
    lanes, outputs = reports
    verified_words, unverified_words, produced_words, unrecorded_words = WORDS[edition]
    checked = costly = 0
    for notebook in sorted((ROOT / "chapters").rglob("*.ipynb")):
        source = notebook.relative_to(ROOT).as_posix()
        page = site / source.replace(".ipynb", ".html")
        html = page.read_text(encoding="utf-8")
        stamp = re.findall(r'<aside class="tb-verified".*?</aside>', html, re.S)
        assert len(stamp) == 1, (page, len(stamp))
        current = stamps.page_hash(notebook)
        verified = any(stamps.lane_state(source, lane, current) == "verified" for lane in lanes)
        assert (verified_words in stamp[0]) == verified and (unverified_words in stamp[0]) != verified, (page, stamp)
        assert (produced_words if source in outputs else unrecorded_words) in stamp[0], (page, stamp)
        assert "nbval" in stamp[0]  # what CI checks on every change
        cost = re.findall(r'<aside class="tb-run-cost".*?</aside>', html, re.S)
        runs = stamps.cost_runs(source, lanes, outputs, current)  # tested in tests/ext/test_stamps.py
        assert len(cost) == any(s >= stamps.COSTLY_S for s, _, _ in runs), (page, cost)
        if cost:
            costly += 1
            article = html.index('<article class="bd-article"')  # (the print header has an h1 of its own)
            title_end, position = html.index("</h1>", article), html.index(cost[0])
            next_heading = html.find("<h2", title_end)
            assert title_end < position < (next_heading if next_heading > 0 else len(html)), page  # after the title
            assert "TORCHBOOK_MODE=fast" in cost[0]
            href = re.search(r'href="([^"#]+)', cost[0]).group(1)
            assert (page.parent / href).resolve().is_file(), (page, href)
        checked += 1
    assert checked > 30
    if any(lane["rows"] for lane in lanes) or outputs:
        assert costly > 0
