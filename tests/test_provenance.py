"""What a run checks (the hash the lane reports and the stamps compare) and the provenance of
the committed outputs (tools/provenance.py, written by tools/execute.py)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import provenance  # noqa: E402

PAGE = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A page\n", "Some prose."]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {"tags": ["hide-input"]},
            "source": ["print(6 * 7)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["42\n"]}],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "source": ["fig"],
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {"image/png": {"width": 400}},
                    "data": {"image/png": "iVBORw0KGgo=", "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                }
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {"tags": ["nbval-ignore-output"]},
            "source": ["print(f'{seconds:.1f} s')"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1.2 s\n"]}],
        },
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def hash_of(tmp_path: Path, nb: dict) -> str | None:
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return provenance.checked_sha256(path)


def edited(change) -> dict:
    nb = copy.deepcopy(PAGE)
    change(nb["cells"])
    return nb


def test_prose_counts_and_what_nbval_ignores_do_not(tmp_path: Path) -> None:
    base = hash_of(tmp_path, PAGE)
    assert base is not None and len(base) == 64
    same = [
        lambda c: c[0].update(source=["# A page, reworded\n", "Other prose; a translation."]),
        lambda c: c[1].update(execution_count=7),
        lambda c: c[2]["outputs"][0]["data"].update({"image/png": "AAAA"}),  # nbval skips PNGs
        lambda c: c[2]["outputs"][0].update(metadata={}),
        lambda c: c[3]["outputs"][0].update(text=["3.4 s\n"]),  # an ignored output
        lambda c: c[1]["outputs"].__setitem__(  # the same stream in two pieces
            slice(None),
            [
                {"output_type": "stream", "name": "stdout", "text": ["4"]},
                {"output_type": "stream", "name": "stdout", "text": ["2\n"]},
            ],
        ),
        lambda c: c[1]["metadata"].update(execution={"iopub.status.idle": "2026-01-01"}),
    ]
    for change in same:
        assert hash_of(tmp_path, edited(change)) == base
    assert provenance.checked_sha256(tmp_path / "missing.ipynb") is None


def test_code_tags_and_compared_outputs_count(tmp_path: Path) -> None:
    base = hash_of(tmp_path, PAGE)
    different = [
        lambda c: c[1].update(source=["print(6 * 8)"]),
        lambda c: c[1]["outputs"][0].update(text=["48\n"]),
        lambda c: c[1]["metadata"].update(tags=[]),
        lambda c: c[3]["metadata"].update(tags=[]),  # its output is compared now
        lambda c: c[2]["outputs"][0]["data"].update({"text/plain": ["<Figure size 800x480 with 1 Axes>"]}),
        lambda c: c.append({"cell_type": "code", "metadata": {}, "source": ["1"], "outputs": []}),
    ]
    for change in different:
        assert hash_of(tmp_path, edited(change)) != base


def test_text_is_compared_after_nbval_sanitizers(tmp_path: Path) -> None:
    def address(a: str):
        return lambda c: c[1]["outputs"][0].update(text=[f"<object at {a}>\n"])

    assert hash_of(tmp_path, edited(address("0x7f3a2b1c"))) == hash_of(tmp_path, edited(address("0x55d0e4f8")))


def test_record_keeps_one_entry_per_notebook(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "outputs.json"
    page = ROOT / "chapters" / "x.ipynb"  # keyed relative to the book; need not exist
    info = {"device": "cpu", "cpu": "Some CPU", "cpu_count": 2, "torch": "2.9.0", "python": "3.11.7"}
    when = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc)
    entry = provenance.record(page, 12.34, "full", report=report, info=info, when=when)
    assert entry == {
        "date": "2026-12-03 10:00 UTC",
        "hardware": {"device": "cpu", "cpu": "Some CPU", "cpu_count": 2, "python": "3.11.7"},
        "torch": "2.9.0",
        "mode": "full",
        "seconds": 12.3,
        "checked_sha256": None,
    }
    provenance.record(ROOT / "chapters" / "a.ipynb", 1.0, "fast", report=report, info=info, when=when)
    provenance.record(page, 20.0, "full", report=report, info=info, when=when)
    rows = provenance.load(report)
    assert list(rows) == ["chapters/a.ipynb", "chapters/x.ipynb"] and rows["chapters/x.ipynb"]["seconds"] == 20.0
    assert provenance.load(tmp_path / "none.json") == {}


def test_execute_records_where_the_outputs_come_from(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    import execute

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"), nbformat.v4.new_code_cell("print(6 * 7)")]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    report = tmp_path / "outputs.json"
    assert execute.main([str(path), "--outputs-report", str(report)]) == 0
    (row,) = provenance.load(report).values()
    assert row["checked_sha256"] == provenance.checked_sha256(path) and row["seconds"] > 0
    assert row["hardware"]["device"] and row["torch"] and row["mode"] in ("full", "fast")
