"""The one parser of the glossary (tools/glossary.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pytest  # noqa: E402
from glossary import Rule, glossary_entries, term_base  # noqa: E402


def test_entries_are_keys_with_the_chinese_terms_their_definition_opens_with(tmp_path: Path) -> None:
    path = tmp_path / "glossary.md"
    path.write_text(
        "# Glossary (术语表)\n\nIntro.\n\n```{glossary}\nactivation function\n  激活函数. The function $f$.\n"
        "  - 列表 a list line\n\nbatch\n  批量、批次 / 小批 (mini). A group.\n\nCUDA graph\n  CUDA 图. Replayed.\n"
        "actor-critic\n  演员-评论家. Two parts.\n```\n\nAfter the block: 不是条目.\n",
        encoding="utf-8",
    )
    assert glossary_entries(path) == [
        ("activation function", ["激活函数"]),
        ("batch", ["批量", "批次", "小批"]),
        ("CUDA graph", []),
        ("actor-critic", ["演员"]),
    ]
    assert glossary_entries(tmp_path / "missing.md") == []


def test_the_book_glossary() -> None:
    entries = dict(glossary_entries())
    assert len(entries) > 100
    assert entries["activation function"] == ["激活函数"] and entries["autograd"] == ["自动微分"]
    keys = [k.lower() for k, _ in glossary_entries()]
    assert len(keys) == len(set(keys)), "a glossary key twice"


def test_the_term_base_reads_each_entrys_rules(tmp_path: Path) -> None:
    """The hidden lines of an entry (MyST comments) are its rules for the Chinese text; they do
    not change its Chinese terms, wherever they stand after the first definition line."""
    path = tmp_path / "glossary.md"
    path.write_text(
        "```{glossary}\nlogit\n  未归一化得分 (logits). A raw score.\n  Second line.\n"
        "  % zh-avoid: 未归一化的分数, 未归一化的得分 | the term is 未归一化得分\n"
        '  % zh-avoid: 对数几率 | except where the English says "log odds" or "logistic": the log odds only\n'
        "\nstride\n  步幅. A step.\n  % zh-other-sense: 步长 | a tensor's strides\n"
        "\nsoftmax\n  softmax (归一化指数函数). Probabilities.\n\nCUDA graph\n  CUDA 图. Replayed.\n```\n",
        encoding="utf-8",
    )
    logit, stride, softmax, graph = term_base(path)
    assert (logit.key, logit.chinese, logit.opening) == ("logit", ("未归一化得分",), "未归一化得分")
    assert logit.avoid == (
        Rule(("未归一化的分数", "未归一化的得分"), (), "the term is 未归一化得分"),
        Rule(("对数几率",), ("log odds", "logistic"), "the log odds only"),
    )
    assert stride.other_senses == (Rule(("步长",), (), "a tensor's strides"),) and not stride.avoid
    assert (softmax.chinese, softmax.opening, graph.chinese, graph.opening) == ((), "softmax", (), "CUDA 图")
    assert glossary_entries(path)[0] == ("logit", ["未归一化得分"])
    for bad in ("  % zh-avoid: 乙\n", "  % zh-avoid: 乙 | except where the English says: why\n"):
        path.write_text(f"```{{glossary}}\nx\n  甲. A.\n{bad}```\n", encoding="utf-8")
        with pytest.raises(ValueError):
            term_base(path)
