"""Execute notebooks in place so their committed outputs come from a real run.

Run it through `make execute` (all notebooks) or `make execute NB=chapters/01_background/01_1_what_is_pytorch.ipynb`:
the Makefile sets the environment the tests use (data root, offline, seed of hashing) and
the run mode (`MODE=full` by default). After each notebook, where its outputs come from (date,
hardware, torch, mode, seconds, the hash of what a run checks) goes into `reports/outputs.json`
(tools/provenance.py); `--no-record` leaves it out (e.g. a copy of a notebook elsewhere).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from provenance import OUTPUTS, record

REPO = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path: Path, timeout: int) -> float:
    """Execute the notebook at ``path`` in its own folder and write it back; return seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        # Errors shown on purpose (cells tagged raises-exception) print their type and message
        # only, not the frames inside the libraries; nbval compares exactly those two.
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapters/**/*.ipynb")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--outputs-report", type=Path, default=OUTPUTS, help="where provenance is recorded")
    parser.add_argument("--no-record", action="store_true", help="do not record the provenance")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / "chapters").glob("*/*.ipynb"))
    mode = os.environ.get("TORCHBOOK_MODE", "full")
    for path in paths:
        print(f"executing {path} (TORCHBOOK_MODE={mode}) ...", flush=True)
        seconds = execute(path.resolve(), args.timeout)
        print(f"  done in {seconds:.1f} s", flush=True)
        if not args.no_record:
            record(path.resolve(), seconds, mode, report=args.outputs_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
