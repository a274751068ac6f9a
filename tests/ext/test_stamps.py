"""The stamp of every page and the run cost of a training page (_ext/torchbook_site/stamps.py):
no build needed."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import stamps  # noqa: E402

PAGE = "chapters/x.ipynb"
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A page\n", "Some prose."]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": ["print(6 * 7)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["42\n"]}],
        },
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def write(root: Path, nb: dict[str, Any]) -> Path:
    path = root / PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def lane(row: dict[str, Any] | None, label: str = "CPU lane", changed_after: set[str] | None = None) -> dict:
    return {
        "label": label,
        "date": "2026-11-23 05:10 UTC",
        "hardware": {"device": "CPU (2 cores)", "torch": "2.9.1"},
        "mode": "full",
        "rows": {PAGE: row} if row is not None else {},
        "changed_after": changed_after,
    }


def checked(root: Path, seconds: float = 12.3, failed: int = 0) -> dict[str, Any]:
    """The row a lane writes for the page as it is now in ``root``."""
    return {"seconds": seconds, "cells": 4, "failed": failed, "checked_sha256": stamps.page_hash(root / PAGE)}


def test_a_prose_edit_keeps_the_stamp_verified(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    lanes = [lane(checked(tmp_path))]
    fresh = stamps.stamp_html(PAGE, lanes, root=tmp_path)
    assert "Verified in full mode" in fresh and "Not verified" not in fresh
    assert "2026-11-23 05:10 UTC" in fresh and "12 s" in fresh and "<strong>pass</strong>" in fresh
    edited = copy.deepcopy(NOTEBOOK)
    edited["cells"][0]["source"] = ["# A page\n", "Better prose, or its translation."]
    write(tmp_path, edited)
    assert stamps.stamp_html(PAGE, lanes, root=tmp_path) == fresh


def test_a_code_or_output_edit_makes_the_page_not_verified(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    lanes = [lane(checked(tmp_path))]
    for field, value in [("source", ["print(6 * 8)"]), ("outputs", [])]:
        edited = copy.deepcopy(NOTEBOOK)
        edited["cells"][1][field] = value
        write(tmp_path, edited)
        stale = stamps.stamp_html(PAGE, lanes, root=tmp_path)
        assert "Not verified yet in full mode." in stale and "Verified in full mode" not in stale
        assert "changed after the CPU lane's run of 2026-11-23 05:10 UTC" in stale
        assert "Run before this page's code or outputs changed." in stale
        assert "CI runs this page in fast mode" in stale  # what is checked on every change


def test_a_page_missing_from_the_reports_is_not_verified_yet(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    text = stamps.stamp_html(PAGE, [lane(None), lane(None, "GPU lane")], root=tmp_path)
    assert "Not verified yet in full mode." in text and "No full-mode run has checked this page yet." in text
    assert "CPU lane: not run on this page yet." in text and "GPU lane: not run on this page yet." in text
    assert "No lane report is committed yet." in stamps.stamp_html(PAGE, [], root=tmp_path)


def test_a_failed_run_is_not_verified_and_another_lane_can_verify(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    failed = stamps.stamp_html(PAGE, [lane(checked(tmp_path, failed=2))], root=tmp_path)
    assert "Not verified yet" in failed and "failed on 2 cells" in failed and "FAIL (2 cells)" in failed
    assert "pass" not in failed
    both = stamps.stamp_html(
        PAGE, [lane(checked(tmp_path, failed=2)), lane(checked(tmp_path), "GPU lane")], root=tmp_path
    )
    assert "Verified in full mode</strong>: the GPU lane ran" in both


def test_reports_without_hashes_fall_back_to_git(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    row = {"seconds": 12.3, "cells": 4, "failed": 0}
    assert "Verified in full mode" in stamps.stamp_html(PAGE, [lane(row, changed_after=set())], root=tmp_path)
    changed = stamps.stamp_html(PAGE, [lane(row, changed_after={PAGE})], root=tmp_path)
    assert "changed after the CPU lane's run" in changed
    unknown = stamps.stamp_html(PAGE, [lane(row)], root=tmp_path)
    assert "Not verified yet" in unknown and "recorded no hash" in unknown


def test_the_stamp_shows_where_the_committed_outputs_come_from(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    produced = {
        "date": "2026-12-03 10:00 UTC",
        "hardware": {"device": "cpu", "cpu": "AMD EPYC 7B13", "cpu_count": 2},
        "torch": "2.9.1",
        "mode": "full",
        "seconds": 41.6,
        "checked_sha256": stamps.page_hash(tmp_path / PAGE),
    }
    text = stamps.stamp_html(PAGE, [lane(None)], root=tmp_path, outputs={PAGE: produced})
    assert "Committed outputs: produced 2026-12-03 10:00 UTC on CPU (2 cores, AMD EPYC 7B13), torch 2.9.1" in text
    assert "full mode, 42 s." in text and "edited after that run" not in text
    produced["checked_sha256"] = "0" * 64
    assert "edited after that run" in stamps.stamp_html(PAGE, [], root=tmp_path, outputs={PAGE: produced})
    assert "not recorded yet" in stamps.stamp_html(PAGE, [], root=tmp_path, outputs={})


def test_the_zh_stamp_is_chinese(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    verified = stamps.stamp_html(PAGE, [lane(checked(tmp_path))], root=tmp_path, language="zh_CN")
    assert "已在完整模式下验证" in verified and "CPU 运行（2026-11-23 05:10 UTC）" in verified and "通过" in verified
    missing = stamps.stamp_html(PAGE, [lane(None)], root=tmp_path, language="zh_CN")
    assert "尚未在完整模式下验证。" in missing and "还没有任何完整模式的运行检查过本页。" in missing
    assert "CI 以快速模式" in missing and "尚未记录" in missing
    assert "本页没有代码" in stamps.stamp_html("glossary.md", [], root=tmp_path, language="zh_CN")


def test_a_page_without_code_is_checked_by_every_build(tmp_path: Path) -> None:
    assert "no code" in stamps.stamp_html("glossary.md", [lane(None)], root=tmp_path)


def test_run_cost_only_for_pages_that_take_long() -> None:
    short = [lane({"seconds": 12.0, "cells": 4, "failed": 0})]
    assert stamps.cost_html(PAGE, short) == ""
    assert stamps.cost_html("chapters/other.ipynb", short) == ""
    gpu = lane({"seconds": 20.0, "cells": 4, "failed": 0}, "GPU lane")
    gpu["hardware"] = {"device": "NVIDIA H200", "torch": "2.9.1"}
    costly = [lane({"seconds": 131.0, "cells": 4, "failed": 0}), gpu]
    text = stamps.cost_html(PAGE, costly, modes_uri="../01_background/01_2_running_the_book.html")
    assert "takes about 2 min on the CPU lane's machine, CPU (2 cores); about 20 s on the GPU lane's machine" in text
    assert "TORCHBOOK_MODE=fast" in text and "os.environ[" in text and "jupyter lab" in text
    assert 'href="../01_background/01_2_running_the_book.html"' in text
    zh = stamps.cost_html(PAGE, costly, language="zh_CN")
    assert "以完整模式运行本页" in zh and "约需 2 分钟（CPU 运行的机器：CPU (2 cores)）" in zh and "快速模式" in zh
    assert stamps.duration(44) == "45 s" and stamps.duration(3) == "5 s" and stamps.duration(200) == "3 min"


def test_the_run_cost_is_not_taken_from_a_run_of_older_code(tmp_path: Path) -> None:
    write(tmp_path, NOTEBOOK)
    produced = {
        "date": "2026-12-06 17:59 UTC",
        "hardware": {"device": "cpu", "cpu": "AMD EPYC", "cpu_count": 2},
        "mode": "full",
        "seconds": 1294.0,
    }
    stale = lane({"seconds": 65.0, "cells": 4, "failed": 0, "checked_sha256": "0" * 64})
    # The lane ran the page before its code changed: its 65 s are not this page's cost.
    text = stamps.cost_html(PAGE, [stale], outputs={PAGE: produced}, root=tmp_path)
    assert "about 22 min on the machine that produced its committed outputs, CPU (2 cores, AMD EPYC)" in text
    assert "CPU lane" not in text
    assert stamps.cost_html(PAGE, [stale], root=tmp_path) == ""
    zh = stamps.cost_html(PAGE, [stale], language="zh_CN", outputs={PAGE: produced}, root=tmp_path)
    assert "约需 22 分钟（生成本页已提交输出的机器：CPU (2 cores, AMD EPYC)）" in zh
    # A lane run of the page as it is now wins over the provenance record.
    current = lane(checked(tmp_path, seconds=600.0))
    assert "about 10 min on the CPU lane's machine" in stamps.cost_html(
        PAGE, [current], outputs={PAGE: produced}, root=tmp_path
    )
    # A fast-mode execution says nothing about the cost of full mode.
    # A page without code (its source is Markdown) costs nothing to run.
    (tmp_path / "glossary.md").write_text("# Glossary\n", encoding="utf-8")
    assert stamps.cost_html("glossary.md", [stale], outputs={"glossary.md": produced}, root=tmp_path) == ""
    fast = dict(produced, mode="fast")
    assert stamps.cost_html(PAGE, [], outputs={PAGE: fast}, root=tmp_path) == ""


def test_the_run_cost_goes_right_after_the_title() -> None:
    body = '<section id="a"><h1>A page<a class="headerlink" href="#a">#</a></h1><p>Text</p></section>'
    out = stamps.after_title(body, "<aside>cost</aside>")
    assert out.index("<aside>cost</aside>") == body.index("</h1>") + 5
    assert stamps.after_title("<p>no title</p>", "<aside/>") == "<aside/><p>no title</p>"
