"""The glossary (``glossary.md``) as data: the one parser of its entries.

The glossary is a MyST ``{glossary}`` block: an entry is its English term on a line of its own
(the key pages link to with ``{term}``), then its definition, indented, which opens with the
Chinese term(s) the zh edition uses::

    activation function
      激活函数. The element-wise non-linear function ...

    logit
      未归一化得分 (Chinese text mostly keeps *logits*). A raw, unnormalised score ...
      % zh-avoid: 未归一化的分数 | the term is 未归一化得分
      % zh-avoid: 对数几率 | except where the English says "log odds": the log odds only

The indented ``%`` lines are MyST comments (the book does not show them): the rules the Chinese
text keeps for the term (``tests/test_terms.py``). ``zh-avoid: V1, V2 | why`` names variants the
Chinese edition must not use for it, ``... | except where the English says "a" or "b": why``
allows them in a sentence whose English contains one of the phrases, and ``zh-other-sense: V |
why`` names the Chinese of another sense of the same English word (not this term).

Used by the site extension (Chinese search: every Chinese term is a word), by
``tools/i18n.py`` (the zh glossary keeps the English keys) and by the tests of the zh pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parents[1] / "glossary.md"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_TERMS = re.compile(rf"^\s+([{_HAN}][{_HAN}·、/ ]*)")
_RULE = re.compile(r"^\s+%\s*zh-(avoid|other-sense):\s*(.*?)\s*$")
_UNLESS = re.compile(r'^except where the English says((?:\s*(?:or\s+)?"[^"]+")*)\s*:\s*(.*)$')


@dataclass(frozen=True)
class Rule:
    """A ``zh-avoid`` or ``zh-other-sense`` line of an entry: its Chinese variants, the English
    phrases that allow them in a sentence (``unless``; avoid lines only) and why."""

    variants: tuple[str, ...]
    unless: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Term:
    """One glossary entry as the term base of the Chinese edition."""

    key: str  # the English term as written (pages link it lower-cased)
    chinese: tuple[str, ...]  # the Chinese term(s) its definition opens with
    opening: str = ""  # the definition's first words, up to ". " or " (": "CUDA 图", "softmax"
    avoid: tuple[Rule, ...] = ()
    other_senses: tuple[Rule, ...] = ()


def _rule(kind: str, body: str) -> Rule:
    words, _, why = body.partition("|")
    variants = tuple(v.strip() for v in words.split(",") if v.strip())
    why = why.strip()
    unless: tuple[str, ...] = ()
    m = _UNLESS.match(why)
    if m:
        unless = tuple(re.findall(r'"([^"]+)"', m.group(1)))
        why = m.group(2).strip()
    if not variants or not why or (m and not unless) or (unless and kind != "avoid"):
        raise ValueError(f"glossary.md: a zh-{kind} line is 'V1, V2 | why' or 'V | except where ...': {body!r}")
    return Rule(variants, unless, why)


def term_base(path: Path = GLOSSARY) -> list[Term]:
    """Every entry of the glossary in its order, with its Chinese terms and its rules.

    The Chinese terms are the run of Han characters that opens the entry's first definition line,
    split at ``、``, ``/`` and spaces ("激活函数. The ..." gives ("激活函数",); "批量、批次. ..." gives
    ("批量", "批次")); an entry whose definition opens otherwise ("CUDA 图. ...", "softmax (...)")
    has none. Keys compare case-insensitively where pages link them (``{term}`` lower-cases). A
    missing file gives an empty list; a malformed rule line raises ``ValueError``.
    """
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    if "```{glossary}" not in text:
        return []
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries: list[dict] = []
    for line in block.splitlines():
        if line.strip() and not line.startswith(" "):
            entries.append({"key": line.strip(), "chinese": None, "opening": "", "avoid": [], "other": []})
        elif entries and line.strip():
            rule = _RULE.match(line)
            if rule:
                kind = "avoid" if rule.group(1) == "avoid" else "other"
                entries[-1][kind].append(_rule(rule.group(1), rule.group(2)))
            elif entries[-1]["chinese"] is None:  # the first definition line
                m = _TERMS.match(line)
                words = re.split(r"[、/ ]", m.group(1)) if m else []
                entries[-1]["chinese"] = tuple(t.strip("· ") for t in words if t.strip("· "))
                entries[-1]["opening"] = re.split(r"\.(?:\s|$)| \(", line.strip(), maxsplit=1)[0]
    return [Term(e["key"], e["chinese"] or (), e["opening"], tuple(e["avoid"]), tuple(e["other"])) for e in entries]


def glossary_entries(path: Path = GLOSSARY) -> list[tuple[str, list[str]]]:
    """Every entry of the glossary in its order, as (English key as written, Chinese terms):
    :func:`term_base` without the rules."""
    return [(t.key, list(t.chinese)) for t in term_base(path)]
