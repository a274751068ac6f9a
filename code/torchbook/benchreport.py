"""The benchmark reports of ``bench/bench.py`` (chapter 7.1): find them and print their table.

    from torchbook import benchreport
    report = benchreport.load("cpu")          # bench/reports/cpu.json of this checkout, or None
    print(benchreport.table(report))           # one row per technique, per model

``bench/bench.py`` writes the reports and prints the same table; page 7.1 reads them. A report
is the JSON dict the bench writes: ``hardware`` (``runtime.hardware()`` plus the CIFAR-10
copy), ``settings``, ``tasks`` (per model, a list of rows) and optionally ``speedrun``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TASK_NAMES = {"lenet": "LeNet (article 002) on cifar10", "mlp": "MLP (article 001) on mnist"}


def reports_dir(start: Path | None = None) -> Path | None:
    """``bench/reports`` of the checkout containing ``start`` (default: the working directory), or None."""
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents]:
        if (folder / "bench" / "reports").is_dir():
            return folder / "bench" / "reports"
    return None


def load(name: str, folder: Path | None = None) -> dict[str, Any] | None:
    """The report ``<name>.json`` (e.g. "cpu", "gpu") from ``folder`` or :func:`reports_dir`; None if absent."""
    folder = folder if folder is not None else reports_dir()
    path = folder / f"{name}.json" if folder is not None else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text())


def where(report: dict[str, Any]) -> str:
    """The machine of a report in a few words: the GPU's name, else the CPU model and its cores."""
    hw = report["hardware"]
    return str(hw.get("gpu") or f"{hw['cpu']}, {hw['cpu_count']} cores")


def table(report: dict[str, Any]) -> str:
    """A text table of a report: per model, each row's median epoch seconds, speed-up and test accuracy."""
    lines = [
        f"{where(report)}; torch {report['hardware']['torch']}; "
        f"load average {report.get('load_before')} -> {report.get('load_after')}",
        f"training images: {report['settings']['limit'] or 'all'}, "
        f"timed epochs per row: {report['settings']['epochs']}",
    ]
    for task_key, rows in report["tasks"].items():
        lines += [
            "",
            f"{TASK_NAMES.get(task_key, task_key)} ({report['hardware']['device']})",
            f"{'row':<4} {'what':<58} {'epoch s':>9} {'speed-up':>9} {'test acc':>9}",
        ]
        for r in rows:
            if r["skipped"]:
                lines.append(f"{r['row']:<4} {r['description'][:58]:<58} {'skipped (' + r['skipped'][:9] + ')':>29}")
            else:
                lines.append(
                    f"{r['row']:<4} {r['description'][:58]:<58} {r['median_s']:>9.3f} "
                    f"{r['speedup']:>8.1f}x {r['test_acc']:>9.4f}"
                )
    return "\n".join(lines)
