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


def test_chinese_search_indexes_as_sphinx_does_with_a_set_of_latin_words() -> None:
    """The book's Chinese search splits and stems exactly as Sphinx's, plus the glossary's terms;
    the Latin words it has seen are a set (Sphinx's list made the index quadratic in the book's
    length: about a minute of every build)."""
    from sphinx import search
    from sphinx.search.zh import SearchChinese

    config._chinese_search_language()
    book, sphinx = search.languages["zh"]({}), SearchChinese({})
    assert isinstance(book.latin_terms, set)
    text = "张量在 GPU 上 running faster: the tensors was 激活函数 CNNs"
    words = book.split(text)
    assert words[: len(sphinx.split(text))] == sphinx.split(text)
    assert "激活函数" in words  # the glossary's term, whatever jieba makes of it
    assert [book.stem(w) for w in words] == [sphinx.stem(w) for w in words]
    assert book.stem("GPU") == "gpu" and book.stem("running") == "run"  # acronyms kept, words stemmed
