"""Configuration the book sets on top of Jupyter Book's: the templates, the default colour mode,
numbered figures, the single-page build's HTML, and the Chinese search.

- Layout (``_ext/templates/layout.html``): no empty site header bar, so the article header's
  menu buttons work on phones; no Font Awesome SVG script (the theme's CSS draws the icons from
  its web fonts); the search index only on the search page.
- pydata-sphinx-theme needs a default colour mode: default to light.
- Search segments Chinese with jieba, with every Chinese term of the glossary as a word, so
  a glossary term finds every page whose text contains it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .paths import HERE, ROOT, tool


def glossary_chinese_terms(glossary: Path = ROOT / "glossary.md") -> list[str]:
    """The Chinese terms of the glossary's entries (tools/glossary.py), once each, in the
    glossary's order; single characters are left out (they are words for jieba anyway)."""
    terms: list[str] = []
    for _, chinese in tool("glossary").glossary_entries(glossary):
        terms += [t for t in chinese if len(t) >= 2 and t not in terms]
    return terms


def _configure(app: Any, config: Any) -> None:
    config.html_context = {**(config.html_context or {}), "default_mode": "light"}
    config.templates_path = [str(HERE.parent / "templates"), *list(config.templates_path or [])]
    # Chinese search: jieba, with the glossary's Chinese terms as words of their own.
    config.html_search_language = "zh"
    userdict = Path(app.doctreedir) / "jieba-userdict.txt"  # one per edition: they build side by side
    userdict.parent.mkdir(parents=True, exist_ok=True)
    userdict.write_text("".join(f"{t} 100000\n" for t in glossary_chinese_terms()), encoding="utf-8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(userdict)}
    config.numfig = True


class _TermSet(set):
    """The Latin words seen so far, as a set: Sphinx's Chinese search keeps them in a list that
    every later word is looked up in (``word in self.latin_terms`` in ``stem``), which made the
    search index the slowest step of a build (about a minute per edition)."""

    def extend(self, words: Any) -> None:  # what SearchChinese.split calls on its list
        self.update(words)


def _chinese_search_language() -> None:
    """Sphinx's Chinese search, plus: every glossary term found anywhere in a text is indexed as
    a word (jieba's user dictionary alone misses a term that context segments differently), and
    the Latin words seen so far are a set (the same index, in linear instead of quadratic time)."""
    from sphinx import search
    from sphinx.search.zh import SearchChinese

    class BookChinese(SearchChinese):
        terms = glossary_chinese_terms()

        def init(self, options: dict[str, str]) -> None:
            super().init(options)
            self.latin_terms = _TermSet()  # type: ignore[assignment]

        def split(self, input: str) -> list[str]:
            words = super().split(input)
            return words + [t for t in self.terms if t in input]

    search.languages["zh"] = BookChinese


def _singlehtml_like_html(app: Any) -> None:
    """Extensions (sphinx-design's icons, myst-nb's hidden cells) register their HTML for the
    html builder only: the single-page build (make pdf) writes the same HTML."""
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, visitors in handlers.get("html", {}).items():
        single.setdefault(name, visitors)


def setup(app: Any) -> None:
    _chinese_search_language()
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _singlehtml_like_html)
