"""What a run of a notebook checks, and where its committed outputs come from.

``checked_sha256(notebook)`` is the hash of what a run checks: the code cells' sources and tags,
and the outputs nbval compares, in the form nbval compares them. The lane reports record it per
page (tools/gpu_report.py), and every page's stamp compares it with the notebook as built
(_ext/torchbook_site/stamps.py): a prose or translation edit keeps a page verified; an edit of
its code, its cell tags or its compared outputs makes it "not verified yet". Left out, as nbval
leaves them out: Markdown cells, execution counts, output and cell metadata, tracebacks (the
error's name and message count), PNG and JPEG images, the outputs of cells tagged
``nbval-ignore-output`` or ``nbval-skip`` or marked so by a comment (hardware- and
mode-dependent outputs); text is compared after nbval's sanitizers (tests/nbval_sanitize.cfg),
and the streams of a cell are joined per name.

``record(notebook, seconds, mode)`` writes the provenance of a notebook's committed outputs into
``reports/outputs.json`` (tools/execute.py calls it after every notebook it executes): when,
on what hardware (``torchbook.runtime.hardware()``), torch version, run mode, seconds, and the
checked hash of the notebook it wrote.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ROOT / "reports" / "outputs.json"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
# what nbval does not compare (nbval/plugin.py: IPyNbFile.skip_compare, images without --nbdime)
NOT_COMPARED = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "transient",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}
NOT_COMPARED_TAGS = {"nbval-ignore-output", "nbval-skip"}
NOT_COMPARED_MARKERS = re.compile(r"^\s*#\s*NBVAL_(IGNORE_OUTPUT|SKIP)\b", re.M)  # nbval's comment form


def sanitizers(path: Path = SANITIZE) -> list[tuple[str, str]]:
    """nbval's (regex, replacement) pairs of the sanitize file, as nbval reads them."""
    if not path.is_file():
        return []
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", path.read_text(encoding="utf-8"), flags=re.M)


def _text(value: Any) -> Any:
    return "".join(value) if isinstance(value, list) else value


def compared_outputs(cell: dict[str, Any], patterns: list[tuple[str, str]]) -> list[list[Any]]:
    """A code cell's outputs as nbval compares them: [key, value] pairs in order (a stream's key
    is its name, and a cell's streams of one name are one text), sanitized; [] for a cell whose
    outputs nbval does not compare."""
    if NOT_COMPARED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
        return []
    if NOT_COMPARED_MARKERS.search(_text(cell.get("source", ""))):
        return []
    pairs: list[list[Any]] = []
    streams: dict[str, list[Any]] = {}
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            name = output.get("name", "stdout")
            if name in streams:
                streams[name][1] += _text(output.get("text", ""))
            else:
                streams[name] = [f"stream:{name}", _text(output.get("text", ""))]
                pairs.append(streams[name])
            continue
        for key, value in output.items():
            if key == "data":
                pairs += [[k, _text(v)] for k, v in value.items() if k not in NOT_COMPARED]
            elif key not in NOT_COMPARED:
                pairs.append([key, _text(value)])
    for pair in pairs:
        if isinstance(pair[1], str):
            for regex, replace in patterns:
                pair[1] = re.sub(regex, replace, pair[1])
    return pairs


def checked_sha256(notebook: Path) -> str | None:
    """The hash of what a run of ``notebook`` checks (see the module's docstring); None when the
    file is not there."""
    if not notebook.is_file():
        return None
    patterns = sanitizers()
    cells = [
        {
            "source": _text(c.get("source", "")),
            "tags": sorted(c.get("metadata", {}).get("tags", [])),
            "outputs": compared_outputs(c, patterns),
        }
        for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        if c.get("cell_type") == "code"
    ]
    text = json.dumps(cells, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def relative(notebook: Path) -> str:
    """The notebook's path as the reports key it: relative to the book, with slashes."""
    path = notebook.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


def hardware() -> dict[str, Any]:
    """``torchbook.runtime.hardware()`` of this machine (the device the notebooks pick)."""
    from torchbook import runtime

    return runtime.hardware()


def load(report: Path = OUTPUTS) -> dict[str, dict[str, Any]]:
    """The provenance per notebook (an empty dict when there is no report)."""
    if not report.is_file():
        return {}
    return json.loads(report.read_text(encoding="utf-8")).get("notebooks", {})


def record(
    notebook: Path,
    seconds: float,
    mode: str,
    report: Path = OUTPUTS,
    info: dict[str, Any] | None = None,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """Write the provenance of ``notebook``'s outputs (just produced by a run of ``seconds`` in
    ``mode``) into ``report``; return the entry. ``info`` defaults to :func:`hardware`."""
    info = hardware() if info is None else info
    when = when or dt.datetime.now(dt.timezone.utc)
    entry = {
        "date": when.strftime("%Y-%m-%d %H:%M UTC"),
        "hardware": {k: v for k, v in info.items() if k != "torch"},
        "torch": str(info.get("torch", "?")),
        "mode": mode,
        "seconds": round(float(seconds), 1),
        "checked_sha256": checked_sha256(notebook),
    }
    _write_entry(report, relative(notebook), entry)
    return entry


def _write_entry(report: Path, notebook: str, entry: dict[str, Any]) -> None:
    """Set one notebook's entry of ``report``, under a lock (notebooks may be executed in parallel)."""
    report.parent.mkdir(parents=True, exist_ok=True)
    with open(report, "a+", encoding="utf-8") as f:  # one writer at a time: notebooks may run in parallel
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        data = json.loads(text) if text.strip() else {}
        data.setdefault(
            "about",
            "Where each notebook's committed outputs come from: written by tools/execute.py (make execute) "
            "for every notebook it executes; checked_sha256 is tools/provenance.py's hash of what a run checks.",
        )
        notebooks = data.setdefault("notebooks", {})
        notebooks[notebook] = entry
        data["notebooks"] = dict(sorted(notebooks.items()))
        f.seek(0)
        f.truncate()
        f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)


def merge(reports: list[Path], into: Path = OUTPUTS) -> int:
    """Copy the entries of other provenance reports (e.g. the GPU lane's, for the pages it
    executed there) into ``into``; return how many."""
    n = 0
    for report in reports:
        for notebook, entry in load(report).items():
            _write_entry(into, notebook, entry)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Provenance of the committed outputs (reports/outputs.json).")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("merge", help="copy the entries of other reports into reports/outputs.json")
    p.add_argument("reports", type=Path, nargs="+")
    p = sub.add_parser("hash", help="print the hash of what a run checks, per notebook")
    p.add_argument("notebooks", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "merge":
        print(f"{merge(args.reports)} entries merged into {OUTPUTS.relative_to(ROOT)}")
    else:
        for notebook in args.notebooks:
            print(checked_sha256(notebook), notebook)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
