"""The benchmark reports of ``bench/bench.py`` (chapter 7.1): find them and print their table.

    from torchbook import benchreport
    report = benchreport.load("cpu")          # bench/reports/cpu.json of this checkout, or None
    print(benchreport.table(report))           # one row per technique, per model
    s = benchreport.speedup(report, "lenet", "b3", "b4")   # b4 vs b3, over the bench's rounds
    s.ratio, s.low, s.high, s.significant

``bench/bench.py`` writes the reports and prints the same table; page 7.1 reads them. A report
is the JSON dict the bench writes: ``hardware`` (``runtime.hardware()`` plus the CIFAR-10
copy), ``settings``, ``tasks`` (per model, a list of rows) and optionally ``speedrun``. Each row
keeps the median epoch time of every round (``repeat_s``): :func:`speedup` compares two rows
with ``stats.compare_seeds`` on the logarithms of those times, paired by round.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchbook import stats

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
    hw = report["hardware"]
    features = f"; CPU features {', '.join(hw['cpu_features'])}" if hw.get("cpu_features") else ""
    lines = [
        f"{where(report)}{features}; {hw.get('torch_threads', '?')} torch thread(s); torch {hw['torch']}",
        f"load average {report.get('load_before')} -> {report.get('load_after')}",
        f"training images: {report['settings']['limit'] or 'all'}, "
        f"timed epochs per row: {report['settings']['epochs']}, rounds: {report['settings'].get('repeats', 1)} "
        "(epoch s: median over rounds)",
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


def row(report: dict[str, Any], task: str, key: str) -> dict[str, Any]:
    """The row ``key`` (e.g. "b4") of model ``task`` ("lenet", "mlp") in ``report``."""
    for r in report["tasks"][task]:
        if r["row"] == key:
            return r
    raise KeyError(f"no row {key!r} for {task!r}")


@dataclass(frozen=True)
class Speedup:
    """How many times faster row b ran than row a: the ratio of geometric-mean epoch times.

    ``ratio`` > 1: b is faster; ``low``/``high`` its interval (paired t on the log times, k - 1
    df); ``significant``: the interval excludes 1.
    """

    ratio: float
    low: float
    high: float
    p: float
    k: int
    confidence: float

    @property
    def significant(self) -> bool:
        return self.low > 1 or self.high < 1

    def text(self) -> str:
        """E.g. ``1.42x (95 % CI 1.20x to 1.68x, paired t on 6 df, p = 0.003)``."""
        return (
            f"{self.ratio:.2f}x ({100 * self.confidence:g} % CI {self.low:.2f}x to {self.high:.2f}x, "
            f"paired t on {self.k - 1} df, {stats.format_p(self.p)})"
        )


def speedup(report: dict[str, Any], task: str, a: str, b: str, confidence: float = 0.95) -> Speedup:
    """Row ``b`` against row ``a`` of ``task``: time(a) / time(b) with a t interval over the rounds.

    Round i of the bench measured every row once, so the rows' times of round i share the
    machine's load: the comparison is paired by round, on log times (a ratio, the same whether
    the machine was fast or slow that round). Needs a report of at least 2 rounds (``--repeats``).
    """
    ta, tb = row(report, task, a).get("repeat_s") or [], row(report, task, b).get("repeat_s") or []
    if len(ta) < 2 or len(ta) != len(tb):
        raise ValueError(f"rows {a} and {b} need the same 2 or more rounds, got {len(ta)} and {len(tb)}")
    res = stats.compare_seeds([math.log(t) for t in ta], [math.log(t) for t in tb], paired=True, confidence=confidence)
    return Speedup(math.exp(-res.diff), math.exp(-res.high), math.exp(-res.low), res.p, res.k, confidence)
