"""The extension's configuration (_ext/torchbook_site/config.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))
from torchbook_site import config  # noqa: E402


def test_glossary_terms_are_the_chinese_of_each_entry() -> None:
    terms = config.glossary_chinese_terms(ROOT / "glossary.md")
    assert "激活函数" in terms and "反向传播" in terms and "自动微分" in terms
    assert all(len(t) >= 2 for t in terms)
    assert len(terms) == len(set(terms))


def test_glossary_terms_of_a_small_glossary(tmp_path: Path) -> None:
    glossary = tmp_path / "glossary.md"
    glossary.write_text(
        "# Glossary\n\n```{glossary}\nbatch\n  批量、批次. A group.\n\nCUDA graph\n  CUDA 图. Replayed.\n\n"
        "tensor\n  张量. An array.\n  张量 again on a later line.\n```\n",
        encoding="utf-8",
    )
    assert config.glossary_chinese_terms(glossary) == ["批量", "批次", "张量"]
    assert config.glossary_chinese_terms(tmp_path / "missing.md") == []
