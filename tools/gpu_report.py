"""Turn nbval's JUnit XML into the lane report: date, hardware, versions, seconds and
pass/fail per notebook, and per notebook the hash of what the run checked
(tools/provenance.py: code, cell tags, compared outputs), which each page's stamp compares with
the page as built. Writes Markdown (and JSON beside it).

    python tools/gpu_report.py reports/gpu-junit.xml [more.xml ...] --out reports/gpu-lane.md
    python tools/gpu_report.py junit.xml --out reports/cpu-full-lane.md --title "..."   (make lane-cpu)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import xml.etree.ElementTree as ET
from collections import OrderedDict
from pathlib import Path

from provenance import checked_sha256


def hardware() -> dict[str, str]:
    """What ran the lane: GPU (or CPU), torch and CUDA versions, Python."""
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu threads": os.environ.get("OMP_NUM_THREADS", "torch's default"),  # as the notebooks ran
    }
    try:
        from torchbook import runtime  # the book's one hardware description

        hw = runtime.hardware()
        info["torch"] = str(hw["torch"])
        info["device"] = str(hw.get("gpu") or f"CPU ({hw['cpu_count']} cores, {hw['cpu']})")
        if "cuda" in hw:
            info["cuda"] = str(hw["cuda"])
    except ImportError:  # pragma: no cover - the lane always has torch and torchbook
        info["device"] = "unknown (torchbook not importable)"
    return info


def per_notebook(junit: Path) -> OrderedDict[str, dict[str, float | int]]:
    """Seconds, cells and failures per notebook from nbval's test cases (``file::Cell N``)."""
    rows: OrderedDict[str, dict[str, float | int]] = OrderedDict()
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "") or case.get("file", "")
        notebook = name.replace(".", "/").rsplit("/ipynb", 1)[0] + ".ipynb" if name.endswith("ipynb") else name
        row = rows.setdefault(notebook, {"seconds": 0.0, "cells": 0, "failed": 0, "skipped": 0})
        row["seconds"] += float(case.get("time", 0.0))
        row["cells"] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            row["failed"] += 1
        elif case.find("skipped") is not None:
            row["skipped"] += 1
    return rows


def render(rows: OrderedDict[str, dict[str, float | int]], info: dict[str, str], mode: str, title: str) -> str:
    passed = all(r["failed"] == 0 for r in rows.values()) and bool(rows)
    lines = [
        f"# {title}",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- device: {info.get('device')}" + (f", CUDA {info['cuda']}" if "cuda" in info else ""),
        f"- torch: {info.get('torch')}, Python {info.get('python')} ({info.get('machine')}), "
        f"CPU threads in the notebooks: {info.get('cpu threads')}",
        f"- run mode: TORCHBOOK_MODE={mode}",
        f"- result: **{'pass' if passed else 'FAIL'}** ({sum(int(r['cells']) for r in rows.values())} cells "
        f"in {len(rows)} notebooks, {sum(int(r['failed']) for r in rows.values())} failed)",
        "",
        "| notebook | cells | seconds | result |",
        "| --- | ---: | ---: | --- |",
    ]
    for notebook, r in rows.items():
        result = "pass" if r["failed"] == 0 else f"FAIL ({r['failed']} cells)"
        lines.append(f"| `{notebook}` | {r['cells']} | {r['seconds']:.1f} | {result} |")
    total = sum(float(r["seconds"]) for r in rows.values())
    lines += [f"| **total** | | {total:.1f} | |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit", type=Path, nargs="+", help="one or more JUnit XML files (several lane calls)")
    parser.add_argument("--out", type=Path, required=True, help="Markdown report; JSON goes beside it")
    parser.add_argument("--mode", default="full")
    parser.add_argument("--title", default="GPU lane report")
    args = parser.parse_args(argv)
    rows: OrderedDict[str, dict[str, float | int]] = OrderedDict()
    for junit in args.junit:
        if not junit.is_file():
            print(f"error: no JUnit XML at {junit}: did the nbval run start?", file=sys.stderr)
            return 2
        rows.update(per_notebook(junit))
    info = hardware()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(rows, info, args.mode, args.title))
    for notebook, row in rows.items():
        row["checked_sha256"] = checked_sha256(Path(notebook))
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = {"title": args.title, "date": date, "hardware": info, "mode": args.mode, "notebooks": rows}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
