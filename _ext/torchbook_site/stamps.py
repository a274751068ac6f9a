"""Every page ends with a stamp that says whether its outputs are verified in full mode, and a
training page says near its top what running it costs and how to run it in fast mode.

The stamp comes from the committed reports:

- the lane reports ``reports/cpu-full-lane.json`` (``make lane-cpu``) and ``reports/gpu-lane.json``
  (tools/gpu_lane.sh): which pages a full-mode run under nbval checked, with what result, and per
  page the hash of what it checked (``checked_sha256``, tools/provenance.py: the code cells'
  sources and tags and the outputs nbval compares, not the prose);
- ``reports/outputs.json`` (written by ``make execute``): when and where the committed outputs
  were produced.

"Verified in full mode" only when a lane passed on this page as it is now (the hash it recorded is
the page's); otherwise "Not verified yet in full mode" and why: the page's code or outputs changed
after the run, the run failed, or no run has checked it. A report without hashes (older reports)
falls back to git: a page committed or edited after the report's commit counts as changed. Every
code page's stamp also says what is checked on every change: nbval in fast mode in CI.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from .editions import is_zh, tr
from .paths import ROOT, tool

LANES = [("cpu-full-lane", "CPU lane"), ("gpu-lane", "GPU lane")]  # reports/<name>.json, in this order
COSTLY_S = 30.0  # a page whose full run takes this long on a lane shows what it costs near its top
MODES_DOC = "chapters/01_background/01_2_running_the_book"  # the page that explains the run modes

ZH = {  # the strings this module writes into pages, in the zh edition
    "Verification": "验证记录",
    "Verified:": "验证：",
    "this page has no code; its text, links and references are checked by every build of the site.": "本页没有代码；它的文字、链接和参考文献在每次构建网站时都会检查。",
    "CPU lane": "CPU 运行",
    "GPU lane": "GPU 运行",
    "<strong>Verified in full mode</strong>: the {lane} ran this page's current code under nbval on {date}, and every compared output matched.": "<strong>已在完整模式下验证</strong>：{lane}（{date}）在 nbval 下运行了本页当前的代码，所有比对的输出都一致。",
    "<strong>Not verified yet in full mode.</strong>": "<strong>尚未在完整模式下验证。</strong>",
    "This page's code or outputs changed after the {lane}'s run of {date}.": "本页的代码或输出在 {lane}（{date}）之后有改动。",
    "The {lane}'s run of {date} failed on {n} cells of this page.": "{lane}（{date}）在本页有 {n} 个单元格未通过。",
    "The {lane}'s run of {date} recorded no hash of this page, so whether it changed since cannot be told.": "{lane}（{date}）没有记录本页的哈希值，无法判断本页之后是否有改动。",
    "No full-mode run has checked this page yet.": "还没有任何完整模式的运行检查过本页。",
    "{lane}, {mode} mode: {date}, {device}, torch {torch}, {seconds} s, {cells} cells, {result}": "{lane}，{mode}模式：{date}，{device}，torch {torch}，{seconds} 秒，{cells} 个单元格，{result}",
    "full": "完整",
    "fast": "快速",
    "pass": "通过",
    "FAIL ({n} cells)": "未通过（{n} 个单元格）",
    "Run before this page's code or outputs changed.": "这次运行早于本页代码或输出的改动。",
    "{lane}: not run on this page yet.": "{lane}：尚未运行本页。",
    "No lane report is committed yet.": "尚未提交任何运行报告。",
    "Committed outputs: produced {date} on {hardware}, torch {torch}, {mode} mode, {seconds} s.": "提交的输出：{date} 在 {hardware} 上生成，torch {torch}，{mode}模式，{seconds} 秒。",
    "This page's code or outputs were edited after that run.": "本页的代码或输出在那次运行之后被改动过。",
    "Committed outputs: where and when they were produced is not recorded yet (it is recorded each time the page is executed with <code>make execute</code>).": "提交的输出：尚未记录生成的时间和硬件（每次用 <code>make execute</code> 执行本页时都会记录）。",
    "On every change: CI runs this page in fast mode (the same code on small slices of the data) under nbval and compares its outputs cell by cell.": "每次改动时：CI 以快速模式（同样的代码，只用一小部分数据）在 nbval 下运行本页，并逐个单元格比对输出。",
    "Running this page": "运行本页",
    "<strong>Running this page in full mode</strong> takes about {parts}.": "<strong>以完整模式运行本页</strong>约需 {parts}。",
    "{duration} on the {lane}'s machine, {device}": "{duration}（{lane}的机器：{device}）",
    "{duration} on the machine that produced its committed outputs, {device}": "{duration}（生成本页已提交输出的机器：{device}）",
    "; about ": "；约 ",
    "{n} min": "{n} 分钟",
    "{n} s": "{n} 秒",
    'For a quick run on small slices of the data, use fast mode: set <code>TORCHBOOK_MODE=fast</code> before the page\'s code runs, e.g. locally <code>TORCHBOOK_MODE=fast jupyter lab</code>, or on Colab a first cell <code>import os; os.environ["TORCHBOOK_MODE"] = "fast"</code> ({link}).': '想快速运行时，用快速模式（只用一小部分数据）：在本页代码运行之前设置 <code>TORCHBOOK_MODE=fast</code>，例如在本地运行 <code>TORCHBOOK_MODE=fast jupyter lab</code>，在 Colab 上先运行一个单元格 <code>import os; os.environ["TORCHBOOK_MODE"] = "fast"</code>（{link}）。',
    "how the run modes work": "运行模式的说明",
}


# ----------------------------------------------------------------------------- the reports
def _git(*args: str) -> str | None:
    """git's output in the book's folder, or None when git cannot answer."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def page_hash(path: Path) -> str | None:
    """The hash of what a run of the notebook checks (``checked_sha256`` of tools/provenance.py,
    the one definition, which the lane reports and ``make execute`` record)."""
    return tool("provenance").checked_sha256(path)


def current_hash(source: str, root: Path = ROOT) -> str | None:
    """The hash of the notebook ``source`` as it is now in ``root``; None for a page that is not
    a notebook or does not exist."""
    path = root / source
    return page_hash(path) if source.endswith(".ipynb") and path.is_file() else None


def load_lanes(root: Path = ROOT) -> list[dict[str, Any]]:
    """The committed lane reports, each with its label, date, hardware, mode and rows per notebook;
    and, for a report without hashes, the notebooks changed after it by git (commits to them
    after the report's last commit, or uncommitted edits; None when git cannot tell)."""
    lanes = []
    for name, label in LANES:
        js, md = root / "reports" / f"{name}.json", root / "reports" / f"{name}.md"
        if not js.is_file():
            continue
        data = json.loads(js.read_text(encoding="utf-8"))
        date = data.get("date")
        if not date and md.is_file():
            m = re.search(r"^- date: (.+)$", md.read_text(encoding="utf-8"), re.M)
            date = m.group(1).strip() if m else None
        rows = data.get("notebooks", {})
        changed_after: set[str] | None = None
        if not all(row.get("checked_sha256") for row in rows.values()):
            report_commit = (_git("log", "-1", "--format=%H", "--", str(js.relative_to(root))) or "").strip()
            if report_commit:
                later = _git("log", "--format=", "--name-only", f"{report_commit}..HEAD", "--", "chapters")
                dirty = _git("status", "--porcelain", "--", "chapters")
                if later is not None and dirty is not None:
                    changed_after = {line.strip() for line in later.splitlines() if line.strip()}
                    changed_after |= {line[3:].strip() for line in dirty.splitlines() if len(line) > 3}
        lanes.append(
            {
                "label": label,
                "date": date,
                "hardware": data.get("hardware", {}),
                "mode": data.get("mode", "?"),
                "rows": rows,
                "changed_after": changed_after,
            }
        )
    return lanes


def load_outputs(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """Where each notebook's committed outputs come from (``reports/outputs.json``)."""
    return tool("provenance").load(root / "reports" / "outputs.json")


def lane_state(source: str, lane: dict[str, Any], current: str | None) -> str:
    """What ``lane`` says of the page ``source`` whose hash is now ``current``: "never" (no row),
    "changed" (the page's code or outputs changed after the run), "unknown" (no hash and no git
    answer), "failed" (the run failed on the page as it is now) or "verified"."""
    row = lane["rows"].get(source)
    if row is None:
        return "never"
    recorded = row.get("checked_sha256")
    if recorded and current:
        changed = recorded != current
    elif lane["changed_after"] is not None:
        changed = source in lane["changed_after"]
    else:
        return "unknown"
    if changed:
        return "changed"
    return "failed" if int(row.get("failed", 0)) else "verified"


# ----------------------------------------------------------------------------- the words
def duration(seconds: float, language: str | None = "en") -> str:
    """About how long: "45 s" (to 5 s), "3 min" (from 90 s on, to the minute)."""
    if seconds < 90:
        return tr(language, "{n} s", ZH).format(n=max(5, int(5 * round(seconds / 5))))
    return tr(language, "{n} min", ZH).format(n=round(seconds / 60))


def _device(hw: dict[str, Any]) -> str:
    """A machine as the reports describe it (gpu_report's ``device``, or runtime.hardware()'s keys)."""
    if hw.get("gpu"):
        return f"{hw['gpu']}" + (f" (CUDA {hw['cuda']})" if hw.get("cuda") else "")
    if "cpu_count" in hw:
        return f"CPU ({hw['cpu_count']} cores, {hw.get('cpu', '?')})"
    return str(hw.get("device", "?"))


def stamp_html(
    source: str,
    lanes: list[dict[str, Any]],
    root: Path = ROOT,
    language: str | None = "en",
    outputs: dict[str, dict[str, Any]] | None = None,
    current: str | None = None,
) -> str:
    """The stamp of one page (``source``: its path relative to the book, e.g. chapters/.../x.ipynb)
    in the edition's language, from the lane reports (:func:`load_lanes`) and the provenance of
    the committed outputs (:func:`load_outputs`). ``current``: the page's hash when the caller
    has it already (:func:`current_hash`)."""

    def t(text: str, **values: Any) -> str:  # values: HTML already
        text = tr(language, text, ZH)
        return text.format(**values) if values else text

    esc = html.escape
    space = "" if is_zh(language) else " "  # between sentences
    if not source.endswith(".ipynb"):
        return (
            f'<aside class="tb-verified" aria-label="{t("Verification")}">'
            f"<p><strong>{t('Verified:')}</strong>{space}"
            f"{t('this page has no code; its text, links and references are checked by every build of the site.')}"
            "</p></aside>"
        )
    current = current or current_hash(source, root)
    states = [(lane, lane_state(source, lane, current)) for lane in lanes]
    verified = [lane for lane, state in states if state == "verified"]
    if verified:
        lane = verified[0]
        headline = (
            '<p class="tb-state tb-state-verified">'
            + t(
                "<strong>Verified in full mode</strong>: the {lane} ran this page's current code under nbval on "
                "{date}, and every compared output matched.",
                lane=t(lane["label"]),
                date=esc(str(lane["date"] or "?")),
            )
            + "</p>"
        )
    else:
        reasons = []
        for lane, state in states:
            values = {"lane": t(lane["label"]), "date": esc(str(lane["date"] or "?"))}
            if state == "changed":
                reasons.append(t("This page's code or outputs changed after the {lane}'s run of {date}.", **values))
            elif state == "failed":
                n = int(lane["rows"][source].get("failed", 0))
                reasons.append(t("The {lane}'s run of {date} failed on {n} cells of this page.", n=n, **values))
            elif state == "unknown":
                reasons.append(
                    t(
                        "The {lane}'s run of {date} recorded no hash of this page, so whether it changed since "
                        "cannot be told.",
                        **values,
                    )
                )
        if not reasons:
            reasons.append(t("No full-mode run has checked this page yet."))
        headline = (
            '<p class="tb-state tb-state-unverified">'
            + t("<strong>Not verified yet in full mode.</strong>")
            + space
            + space.join(reasons)
            + "</p>"
        )
    lines = []
    for lane, state in states:
        row = lane["rows"].get(source)
        if row is None:
            lines.append(f"<li>{t('{lane}: not run on this page yet.', lane=t(lane['label']))}</li>")
            continue
        failed = int(row.get("failed", 0))
        result = t("pass") if failed == 0 else t("FAIL ({n} cells)", n=failed)
        text = t(
            "{lane}, {mode} mode: {date}, {device}, torch {torch}, {seconds} s, {cells} cells, {result}",
            lane=t(lane["label"]),
            mode=t(esc(str(lane["mode"]))),
            date=esc(str(lane["date"] or "undated")),
            device=esc(str(lane["hardware"].get("device", "?"))),
            torch=esc(str(lane["hardware"].get("torch", "?"))),
            seconds=f"{float(row.get('seconds', 0)):.0f}",
            cells=int(row.get("cells", 0)),
            result=f"<strong>{result}</strong>",
        )
        if state == "changed":
            stale = t("Run before this page's code or outputs changed.")
            text += f'{space}<span class="tb-stale">{stale}</span>'
        lines.append(f"<li>{text}</li>")
    if not lanes:
        lines.append(f"<li>{t('No lane report is committed yet.')}</li>")
    produced = (outputs or {}).get(source)
    if produced:
        text = t(
            "Committed outputs: produced {date} on {hardware}, torch {torch}, {mode} mode, {seconds} s.",
            date=esc(str(produced.get("date", "?"))),
            hardware=esc(_device(produced.get("hardware", {}))),
            torch=esc(str(produced.get("torch", "?"))),
            mode=t(esc(str(produced.get("mode", "?")))),
            seconds=f"{float(produced.get('seconds', 0)):.0f}",
        )
        if produced.get("checked_sha256") and current and produced["checked_sha256"] != current:
            edited = t("This page's code or outputs were edited after that run.")
            text += f'{space}<span class="tb-stale">{edited}</span>'
        lines.append(f'<li class="tb-provenance">{text}</li>')
    else:
        lines.append(
            '<li class="tb-provenance">'
            + t(
                "Committed outputs: where and when they were produced is not recorded yet (it is recorded each "
                "time the page is executed with <code>make execute</code>)."
            )
            + "</li>"
        )
    lines.append(
        "<li>"
        + t(
            "On every change: CI runs this page in fast mode (the same code on small slices of the data) under "
            "nbval and compares its outputs cell by cell."
        )
        + "</li>"
    )
    return (
        f'<aside class="tb-verified" aria-label="{t("Verification")}">'
        + headline
        + "<ul>"
        + "".join(lines)
        + "</ul></aside>"
    )


def cost_runs(
    source: str, lanes: list[dict[str, Any]], outputs: dict[str, dict[str, Any]] | None, current: str | None
) -> list[tuple[float, str | None, str]]:
    """The full-mode runs that say what running the notebook ``source`` costs, as (seconds, lane
    label, device): the lanes that ran the page as it is now (``current``: its hash; a lane run
    from before the page's code changed is not its cost); without one, the full-mode run that
    produced the committed outputs (``outputs``), whose label is None."""
    runs = [
        (float(lane["rows"][source].get("seconds", 0)), lane["label"], str(lane["hardware"].get("device", "?")))
        for lane in lanes
        if source in lane["rows"] and lane_state(source, lane, current) != "changed"
    ]
    produced = (outputs or {}).get(source)
    if not runs and produced and produced.get("mode") == "full":
        runs = [(float(produced.get("seconds", 0)), None, _device(produced.get("hardware", {})))]
    return runs


def cost_html(
    source: str,
    lanes: list[dict[str, Any]],
    language: str | None = "en",
    modes_uri: str = "",
    outputs: dict[str, dict[str, Any]] | None = None,
    root: Path = ROOT,
    current: str | None = None,
) -> str:
    """What running the page ``source`` costs in full mode (:func:`cost_runs`), and how to run it
    in fast mode; "" for a page that takes less than ``COSTLY_S`` seconds."""

    def t(text: str, **values: Any) -> str:  # values: HTML already
        text = tr(language, text, ZH)
        return text.format(**values) if values else text

    if not source.endswith(".ipynb"):
        return ""
    runs = cost_runs(source, lanes, outputs, current or current_hash(source, root))
    if not any(seconds >= COSTLY_S for seconds, _, _ in runs):
        return ""
    parts = [
        t(
            "{duration} on the {lane}'s machine, {device}"
            if label
            else "{duration} on the machine that produced its committed outputs, {device}",
            duration=duration(seconds, language),
            lane=t(label) if label else "",
            device=html.escape(device),
        )
        for seconds, label, device in runs
    ]
    link = t("how the run modes work")
    if modes_uri:
        link = f'<a href="{html.escape(modes_uri)}">{link}</a>'
    return (
        f'<aside class="tb-run-cost" aria-label="{t("Running this page")}"><p>'
        + t("<strong>Running this page in full mode</strong> takes about {parts}.", parts=t("; about ").join(parts))
        + ("" if is_zh(language) else " ")
        + t(
            "For a quick run on small slices of the data, use fast mode: set <code>TORCHBOOK_MODE=fast</code> "
            "before the page's code runs, e.g. locally <code>TORCHBOOK_MODE=fast jupyter lab</code>, or on Colab "
            'a first cell <code>import os; os.environ["TORCHBOOK_MODE"] = "fast"</code> ({link}).',
            link=link,
        )
        + "</p></aside>"
    )


def after_title(body: str, block: str) -> str:
    """``body`` with ``block`` right after its first ``<h1>`` (at its start if it has none)."""
    end = body.find("</h1>")
    return body[: end + 5] + block + body[end + 5 :] if end >= 0 else block + body


# ----------------------------------------------------------------------------- into the pages
def _add_stamp(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The stamp at the end of every page's body, and a training page's run cost after its title."""
    if doctree is None or "body" not in context or pagename in ("search", "genindex"):
        return
    if not hasattr(app, "tb_lanes"):
        app.tb_lanes = load_lanes()
        app.tb_outputs = load_outputs()
    source = app.env.doc2path(pagename, base=False)
    source = os.path.relpath(source, app.srcdir) if os.path.isabs(str(source)) else str(source)
    source = str(source).replace(os.sep, "/")
    language = app.config.language
    current = current_hash(source)  # once per page: the stamp and the run cost both compare it
    context["body"] += stamp_html(source, app.tb_lanes, language=language, outputs=app.tb_outputs, current=current)
    if app.builder.name == "html" and MODES_DOC in app.env.found_docs:
        modes = app.builder.get_relative_uri(pagename, MODES_DOC)
        cost = cost_html(source, app.tb_lanes, language, modes, outputs=app.tb_outputs, current=current)
        if cost:
            context["body"] = after_title(context["body"], cost)


def setup(app: Any) -> None:
    app.connect("html-page-context", _add_stamp)
