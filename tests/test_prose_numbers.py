"""No run result is typed into the prose: every one is glued from the cell that computed it.

A page's markdown (notebook markdown cells and the chapter's ``index.md``) may state constants,
formulas, article quotes and hardware facts; what a run measured must come in through myst-nb's
``{glue:text}`` role, so text and output cannot disagree after a re-run (a GPU run, a new torch).

The test looks at the markdown with the places that are allowed to hold digits removed (glue
roles, inline code, maths, roles and directive options, link targets, HTML comments, labels) and
flags what reads like a run result:

- a number with a per-cent sign or "percent"/"pt"/"points";
- a decimal with two or more fractional digits that occurs in none of the page's code sources
  (``lr=0.001`` typed in the code may be repeated in the text);
- a number followed by a time unit (ms, s, seconds, minutes) or a speed-up sign (×, x);
- an integer of 100 or more (thousands separators allowed) that the page's *outputs* print but
  its code does not set.

Anything flagged is glued, or, when it truly is a constant, a quote of an article or a hardware
fact, listed with its reason in ``tests/prose_numbers_allow.yml`` (keep that list short).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ALLOW_FILE = REPO / "tests" / "prose_numbers_allow.yml"
PAGES = sorted((REPO / "chapters").glob("*/*.ipynb")) + sorted((REPO / "chapters").glob("*/index.md"))

# Places where digits are allowed: removed before looking.
_STRIP = [
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"^```.*?^```", re.S | re.M),  # fenced code
    re.compile(r"^(:{3,}|`{3,})\{[^}]*\}.*$", re.M),  # directive heads (e.g. ::::{solution-start} ex-5-1)
    re.compile(r"^:[a-z-]+:.*$", re.M),  # directive options (:label:, :class:)
    re.compile(r"\{[a-z:-]+\}`[^`]*`"),  # roles: {glue:text}`k:.1%`, {cite}`...`, {math}`...`, {ref}`...`
    re.compile(r"``.*?``|`[^`]*`", re.S),  # inline code
    re.compile(r"\$\$.*?\$\$", re.S),  # display maths
    re.compile(r"\\\[.*?\\\]", re.S),
    re.compile(r"\$[^$\n]+\$"),  # inline maths
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"\(([a-z0-9-]+)\)="),  # targets: (label)=
    re.compile(r"https?://\S+"),
]
_NUM = r"\d[\d,\u2009\u202f]*(?:\.\d+)?"
_PERCENT = re.compile(
    rf"(?<![\w.]){_NUM}\s*(?:%|％|per ?cent\b|percentage points?\b|pts?\b)|(?<![\w.])\d+\.\d+\s*points?\b"
)
_DECIMAL = re.compile(r"(?<![\w.§])\d+\.\d{2,}(?![\w.])")
_TIME = re.compile(
    rf"(?<![\w.]){_NUM}\s*(?:ms|µs|seconds?|minutes?|hours?)\b"  # 12 seconds, 3 ms
    rf"|(?<![\w.]){_NUM}\s+(?:s|min|h)\b|(?<![\w.])\d+\.\d+(?:s|min|h)\b"  # 8.4 s, 8.4s (not "1s and 0s")
    rf"|(?<![\w.]){_NUM}\s*[×x](?![\w\s]*\d)"  # 40× faster (not 28 × 28)
)
_BIG = re.compile(r"(?<![\w.§-])\d{1,3}(?:[,\u2009\u202f]\d{3})+(?![\w.,])|(?<![\w.§-])\d{3,}(?![\w.,])")


def _allowlist() -> dict[str, list[str]]:
    if not ALLOW_FILE.exists():
        return {}
    raw = yaml.safe_load(ALLOW_FILE.read_text()) or {}
    allowed: dict[str, list[str]] = {}
    for page, entries in raw.items():
        for entry in entries:
            assert entry.get("why"), f"{ALLOW_FILE.name}: {page}: every entry needs a 'why'"
            allowed.setdefault(page, []).append(str(entry["text"]))
    return allowed


def _sources(path: Path) -> tuple[list[str], str, str]:
    """Markdown cells, the code sources and the text outputs of a page."""
    if path.suffix == ".md":
        return [path.read_text()], "", ""
    nb = json.loads(path.read_text())
    markdown, code, outputs = [], [], []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            markdown.append(source)
        elif cell["cell_type"] == "code":
            code.append(source)
            for out in cell.get("outputs", []):
                text = out.get("text") or out.get("data", {}).get("text/plain") or ""
                outputs.append("".join(text))
    return markdown, "\n".join(code), "\n".join(outputs)


def _plain(number: str) -> str:
    return re.sub(r"[,\u2009\u202f]", "", number)


def typed_results(path: Path) -> list[str]:
    """The run results a page's prose states by hand (what the test reports)."""
    markdown, code, outputs = _sources(path)
    code_numbers = {_plain(n) for n in re.findall(r"\d[\d_]*(?:\.\d+)?", code.replace("_", ""))}
    output_numbers = {_plain(n) for n in re.findall(_NUM, outputs)}
    found = []
    for text in markdown:
        for pattern in _STRIP:
            text = pattern.sub(" ", text)
        for line in text.splitlines():
            for pattern in (_PERCENT, _TIME):  # each match is blanked, so a number is reported once
                found += [m.group(0).strip() for m in pattern.finditer(line)]
                line = pattern.sub(" ", line)
            found += [m.group(0) for m in _DECIMAL.finditer(line) if m.group(0) not in code_numbers]
            for match in _BIG.finditer(line):
                number = _plain(match.group(0))
                if number in output_numbers and number not in code_numbers and not 1900 <= int(number) <= 2100:
                    found.append(match.group(0))
    return found


def _stem(path: Path) -> str:
    return path.stem if path.suffix == ".ipynb" else f"{path.parent.name}/index"


@pytest.mark.parametrize("page", PAGES, ids=_stem)
def test_prose_quotes_no_run_result_by_hand(page: Path):
    allowed = _allowlist().get(_stem(page), [])
    typed = [t for t in typed_results(page) if not any(a in t or t in a for a in allowed)]
    assert not typed, (
        f"{page.relative_to(REPO)}: these look like run results typed into the prose: {typed}. "
        "Glue them from the cell that computed them ({glue:text}`key:fmt`), or, if they are "
        f"constants, article quotes or hardware facts, list them with a reason in {ALLOW_FILE.name}."
    )


def test_allowlist_names_existing_pages_and_stays_small():
    stems = {_stem(p) for p in PAGES}
    allowed = _allowlist()
    assert set(allowed) <= stems, f"unknown pages in {ALLOW_FILE.name}: {set(allowed) - stems}"
    assert sum(map(len, allowed.values())) <= 4 * len(PAGES), "the allowlist is meant to stay small"


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("LeNet reaches 58.78 % on the test set.", ["58.78 %"]),
        ("one epoch takes about 12 seconds", ["12 seconds"]),
        ("the fast path is 40× faster", ["40×"]),
        ("the loss falls to 0.3172", ["0.3172"]),
        ("LeNet reaches {glue:text}`acc:.2%` after `epochs=10` epochs ($p = 0.05$).", []),
        ("Article 000 §2.3 says so; see page 3.1 and Exercise 2, on 28 × 28 images; 1s and 0s.", []),
        ("2000 points, 2.7 points better", ["2.7 points"]),
    ],
)
def test_detector(tmp_path: Path, text: str, flagged: list[str]):
    page = tmp_path / "index.md"
    page.write_text(text)
    assert typed_results(page) == flagged
