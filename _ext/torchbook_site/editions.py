"""Two editions: the zh edition is the same sources built with ``language=zh_CN`` and the catalogs
in ``locales/`` (tools/book.py).

- Every page links to the same page of the other edition (template ``language-switch.html``).
- A translated paragraph keeps its glued values (myst-nb's glue roles in Sphinx's translated
  paragraphs); a translation Sphinx could not apply is a warning; the parts' captions are
  translated; the maths stays out of the catalogs.
- The theme's strings its zh_CN catalog lacks (``ZH_UI``) and the strings the extension writes
  itself (each module's ``ZH``, through ``tr``) are Chinese in the zh edition.
- The zh download button gives the zh notebook (tools/i18n.py notebooks).
- A translated node belongs to its page, not to the small document Sphinx parsed its message
  as, so a zh doctree does not pickle the build environment with it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util import logging

from .paths import ROOT

LOG = logging.getLogger(__name__)

EDITIONS = {"en": "en", "zh_CN": "zh"}  # Sphinx language -> folder of the edition in _build/html
# The language switch, a header button: the other edition, the text the button shows and its
# language, its name for screen readers (which starts with that text: WCAG 2.5.3), its tooltip.
SWITCH = {
    "en": ("zh_CN", "中", "zh-CN", "中文：阅读本页的中文版", "阅读本页的中文版"),
    "zh_CN": ("en", "EN", "en", "EN: read this page in English", "Read this page in English"),
}


# The theme's strings that its zh_CN catalogs lack (attribute values and button texts), and the
# citation labels of the source articles (the bibliography's data is English).
ZH_UI = {
    "Main": "主导航",
    "Toggle primary sidebar": "显示或隐藏目录侧边栏",
    "Toggle secondary sidebar": "显示或隐藏本页目录",
    "Source repositories": "源代码仓库",
    "Repository": "代码仓库",
    "Open issue": "提交问题",
    "Color mode": "颜色模式",
    "System Settings": "跟随系统设置",
    "Launch interactive content": "启动可交互的笔记本",
    "Launch on Binder": "在 Binder 上启动",
    "Launch on Colab": "在 Colab 上启动",
    "Page": "页面",
    "Link to this heading": "链接到此标题",
    "Link to this definition": "链接到此定义",
    "Link to this image": "链接到此图片",
    "Link to this table": "链接到此表格",
    "Link to this equation": "链接到此公式",
    "© Copyright 2026.": "© 版权所有 2026。",
}


def localize_ui(body: str) -> str:
    """The zh edition's page with the strings of ``ZH_UI`` in Chinese, and "Source article 002,
    n.d." citation labels as "文章 002"."""
    for en, zh in ZH_UI.items():
        body = body.replace(f'="{en}"', f'="{zh}"').replace(f">{en}<", f">{zh}<")
    return re.sub(r"Source article (\d{3}), n\.d\.", r"文章 \1", body)


def is_zh(language: str | None) -> bool:
    return (language or "en").startswith("zh")


def tr(language: str | None, text: str, strings: Mapping[str, str]) -> str:
    """``text`` in the edition's language: in the zh edition its translation in ``strings`` (each
    module keeps the table of the strings it writes into pages, its ``ZH``), else ``text``."""
    return strings.get(text, text) if is_zh(language) else text


def _switch_in_header(app: Any, config: Any) -> None:
    """Every page's header ends with the link to the same page in the other edition."""
    theme = dict(config.html_theme_options or {})
    theme["article_header_end"] = ["article-header-buttons.html", "language-switch.html"]
    config.html_theme_options = theme


def _language_switch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The link to the same page in the other edition (template ``language-switch.html``)."""
    if app.builder.name != "html":  # the single-page build (make pdf) is one edition on its own
        return
    lang = app.config.language or "en"
    other, label, hreflang, name, title = SWITCH["zh_CN" if is_zh(lang) else "en"]
    depth = pagename.count("/")
    context["tb_switch"] = {
        "href": "../" * (depth + 1) + f"{EDITIONS[other]}/{pagename}.html",
        "label": label,
        "lang": hreflang,
        "name": name,
        "title": title,
    }


def _glue_in_translations() -> None:
    """Sphinx parses each translated paragraph as a small document of its own, which lacks the
    notebook's glue data: myst-nb's parser keeps its renderer on the notebook's document only
    while it parses (``document["nb_renderer"]``); remember it for the page, and let a glue role
    of a translated paragraph use it."""
    from myst_nb import sphinx_
    from myst_nb.ext.glue import directives, roles, utils

    if getattr(sphinx_.Parser.parse, "tb_patched", False):
        return
    parse, original = sphinx_.Parser.parse, utils.retrieve_glue_data

    class Attributes(dict):
        env: Any = None

        def __setitem__(self, key: str, value: Any) -> None:
            if key == "nb_renderer" and self.env is not None:
                self.env.temp_data["tb_nb_renderer"] = value
            super().__setitem__(key, value)

    def keep_renderer(self: Any, inputstring: str, document: nodes.document) -> None:
        attributes = Attributes(document.attributes)
        attributes.env = getattr(document.settings, "env", None) or self.env
        document.attributes = attributes
        try:
            return parse(self, inputstring, document)
        finally:
            document.attributes = dict(attributes)  # a plain dict again: the doctree is pickled

    def retrieve(document: Any, key: str) -> Any:
        if "nb_renderer" not in document:
            env = getattr(document.settings, "env", None)
            renderer = env.temp_data.get("tb_nb_renderer") if env is not None else None
            if renderer is not None and str(document.get("source") or "").endswith("<translated>"):
                document["nb_renderer"] = renderer
                try:
                    return original(document, key)
                finally:  # the renderer is the page's: this small document keeps none of it
                    del document["nb_renderer"]
        return original(document, key)

    keep_renderer.tb_patched = True  # type: ignore[attr-defined]
    sphinx_.Parser.parse = keep_renderer
    for module in (utils, roles, directives):
        module.retrieve_glue_data = retrieve


def _catalog(env: Any, config: Any, docname: str) -> dict[str, str]:
    """The translations of one page, as Sphinx's Locale transform reads them."""
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    domain = docname_to_domain(docname, config.gettext_compact)
    dirs = [os.path.join(env.srcdir, d) for d in config.locale_dirs]
    catalog, has = init_locale(dirs, config.language, domain)
    table: dict[str, str] = {}
    while has and catalog is not None:  # the catalog and its fallbacks
        table = {**getattr(catalog, "_catalog", {}), **table}
        catalog = getattr(catalog, "_fallback", None)
    return table


def _transforms() -> list[type]:
    from sphinx import addnodes
    from sphinx.transforms import SphinxTransform
    from sphinx.util.nodes import extract_messages

    class PrepareMessages(SphinxTransform):
        """Before the catalogs are extracted or applied: a paragraph that MyST left without a
        source (the cells of a table inside a directive) takes its table's, else Sphinx treats it
        as a built-in message and never translates it; display maths stays out of the catalogs
        (TeX is the same in every language)."""

        default_priority = 5

        def apply(self, **kwargs: Any) -> None:
            for para in self.document.findall(nodes.paragraph):
                if not para.source:
                    for a in ancestors(para, None):
                        if a is not None and getattr(a, "source", None):
                            para.source, para.line = a.source, para.line or a.line
                            break
            for node in self.document.findall(nodes.math_block):
                node["translatable"] = False

    class TranslateTocCaptions(SphinxTransform):
        """The parts' captions come from _toc.yml (sphinx-external-toc inserts the toctrees after
        Sphinx translated the page): translate them from the root page's catalog."""

        default_priority = 101  # after sphinx_external_toc's InsertToctrees (100)

        def apply(self, **kwargs: Any) -> None:
            if not is_zh(self.config.language):
                return
            toctrees = list(self.document.findall(addnodes.toctree))
            if not toctrees:
                return
            table = _catalog(self.env, self.config, self.env.docname)
            for toctree in toctrees:
                caption = toctree.get("caption")
                if caption and table.get(caption):
                    toctree["caption"] = table[caption]

    class TranslationsApplied(SphinxTransform):
        """Right after Sphinx's Locale transform: a string whose catalog has a translation that
        Sphinx could not use (a translation that parses as another kind of block, e.g. "1. 背景介绍"
        as a list) stays English on the page: a warning, so an error under -W."""

        default_priority = 21  # sphinx.transforms.i18n.Locale is 20

        def apply(self, **kwargs: Any) -> None:
            if not is_zh(self.config.language) or str(self.document.get("source") or "").endswith("<translated>"):
                return
            table = _catalog(self.env, self.config, self.env.docname)
            for node, msg in extract_messages(self.document):
                if not node.get("translated") and table.get(msg) and table[msg] != msg:
                    LOG.warning(
                        "the translation of %r was not applied (Sphinx parsed it as another kind of "
                        "block than its English): %r",
                        msg[:60],
                        table[msg][:60],
                        location=node,
                        type="torchbook",
                        subtype="translation",
                    )

    return [PrepareMessages, TranslationsApplied, TranslateTocCaptions]


def _zh_notebooks(app: Any, exception: Exception | None) -> None:
    """The zh edition's download button gives the zh notebook, generated from the source notebook
    and the catalogs (tools/i18n.py notebooks), not the English source Sphinx copied."""
    if exception is not None or app.builder.format != "html" or not is_zh(app.config.language):
        return
    generated = ROOT / "locales" / app.config.language / "notebooks"
    for page in Path(app.outdir, "_sources").rglob("*.ipynb"):
        zh = generated / page.relative_to(Path(app.outdir, "_sources"))
        if not zh.is_file():
            raise RuntimeError(f"No zh notebook {zh.relative_to(ROOT)}: run `python tools/i18n.py notebooks`.")
        shutil.copy2(zh, page)


def _forget_message_documents(app: Any, doctree: nodes.document) -> None:
    """Sphinx parses each translated paragraph as a small document of its own, and the nodes it
    moves into the page keep that document as theirs (``node._document``), with its settings and
    so the whole build environment: every zh doctree pickled about 3 MB of it, and reading them
    back was half of the zh build. A node's document is its page's (docutils then finds it through
    the parents)."""
    for node in doctree.findall():
        if node._document is not None and node._document is not doctree:
            node._document = None


def ancestors(node: nodes.Node, stop: nodes.Node | None) -> list[nodes.Node]:
    """The parents of ``node`` up to ``stop`` (included; None: up to the document's None)."""
    out = []
    while node is not None and node is not stop:
        node = node.parent
        out.append(node)
    return out


def setup(app: Any) -> None:
    _glue_in_translations()
    for transform in _transforms():
        app.add_transform(transform)
    app.connect("config-inited", _switch_in_header)
    app.connect("html-page-context", _language_switch)
    app.connect("build-finished", _zh_notebooks)
    app.connect("doctree-read", _forget_message_documents)
