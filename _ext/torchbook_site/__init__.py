"""The book's Sphinx extension: what the site needs beyond Jupyter Book 1's defaults
(``_config.yml`` loads it as ``torchbook_site`` from ``_ext/``). One module per subject, each
with its own ``setup(app)`` and its tests in ``tests/ext/``:

- ``editions``: the two editions (en, zh_CN) and the translation of the pages (tools/book.py
  builds them); ``tr`` gives a module's own strings in the edition's language.
- ``config``: templates, default colour mode, numbered figures, the Chinese search (jieba, the
  glossary's Chinese terms as words), the single-page build's HTML.
- ``exercises``: exercises numbered per page.
- ``bibliography``: author-year labels.
- ``citations``: the page that lists every place the book cites each source article.
- ``stamps``: the "verified" stamp at the end of every page, from the lane reports.
- ``maths``: the maths typeset at build time (KaTeX), its stylesheet and fonts.
- ``assets``: the book's CSS and script; on each page only the assets it uses, each once; no
  source maps.
- ``pdf``: both editions' PDFs (``make pdf``) in every page's download menu.
- ``postprocess``: fixes to the written HTML (``lang="zh-CN"``, names of controls).
- ``icons``: the theme's icon fonts and their stylesheet rules, only the icons the site uses.
"""

from __future__ import annotations

from typing import Any

from . import assets, bibliography, citations, config, editions, exercises, icons, maths, pdf, postprocess, stamps
from .config import glossary_chinese_terms

__all__ = ["glossary_chinese_terms", "setup"]

# The order in which the subjects connect their handlers (equal priorities run in this order).
SUBJECTS = [bibliography, config, editions, exercises, citations, maths, assets, stamps, pdf, postprocess, icons]


def setup(app: Any) -> dict[str, Any]:
    for subject in SUBJECTS:
        subject.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
