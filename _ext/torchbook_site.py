"""The book's Sphinx extension: what the site needs beyond Jupyter Book 1's defaults.

- Layout (``_ext/templates/layout.html``): no empty site header bar, so the article header's
  menu buttons work on phones; no Font Awesome SVG script (the theme's CSS draws the icons from
  its web fonts); the search index only on the search page.
- MathJax 3 is served by the site itself (npm ``mathjax``, copied into ``_static/mathjax`` at
  build time); Sphinx adds it only to pages with maths.
- Search segments Chinese with jieba, with every Chinese term of the glossary as a word, so
  a glossary term finds every page whose text contains it.
- Exercises are numbered per page: "Exercise 9.2.3" is the third exercise of page 9.2.
- The bibliography is labelled author-year, like the citations in the text; every source
  article's entry links to the generated page that lists every place the book cites it
  (directive ``source-citations``, filled from the ``{cite}`` uses in the sources).
- Every page ends with a "verified" stamp generated from the committed lane reports
  (``reports/*-lane.json`` and ``.md``): when, where and how its outputs were last checked.
- In the written HTML, Chinese text is marked ``lang="zh-CN"`` and unnamed controls get names.
- Sphinx 7.4 adds the inline setup scripts of sphinx-thebe and sphinx-togglebutton twice to
  every page; keep the first copy of each (the second ``const THEBE_JS_URL`` is a JS error).
- pydata-sphinx-theme needs a default colour mode: default to light.
- Two editions (issue 11): the zh edition is the same sources built with ``language=zh_CN`` and
  the catalogs in ``locales/`` (tools/book.py). Every page links to the same page of the other
  edition; a translated paragraph keeps its glued values; the parts' captions are translated; the strings this extension writes itself are in
  ``ZH``; the zh download button gives the zh notebook (tools/i18n.py notebooks).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOG = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_RUN = re.compile(f"[{CJK}]+(?:[{CJK}\\s·]*[{CJK}])?")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
SOURCE_KEY = re.compile(r"^source\d{3}$")
CITATIONS_DOC = "source_citations"


# ----------------------------------------------------------------------------- small fixes
def _dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((getattr(js, "attributes", {}) or {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


# ----------------------------------------------------------------------------- two editions
EDITIONS = {"en": "en", "zh_CN": "zh"}  # Sphinx language -> folder of the edition in _build/html
SWITCH = {
    "en": ("zh_CN", "中文", "zh-CN", "阅读本页的中文版"),
    "zh_CN": ("en", "English", "en", "Read this page in English"),
}
ZH = {  # the strings this extension writes into pages, in the zh edition
    "Verification": "验证记录",
    "Verified:": "验证：",
    "this page has no code; its text, links and references are checked by every build of the site.": "本页没有代码；它的文字、链接和参考文献在每次构建网站时都会检查。",
    "this page's outputs were produced and compared cell by cell (nbval) by": "本页的输出由以下运行产生，并逐个单元格比对（nbval）：",
    "not yet run on this page.": "尚未在本页运行。",
    "No lane report is committed yet.": "尚未提交任何运行报告。",
    "CPU lane": "CPU 运行",
    "GPU lane": "GPU 运行",
    "mode": "模式",
    "cells": "个单元格",
    "pass": "通过",
    "This page's notebook changed after this lane run; its outputs are checked again by the next one.": "本页的笔记本在这次运行之后有改动；下一次运行会重新检查它的输出。",
    "Source article": "源文章",
    "Cited in": "引用处",
    "No page cites a source article.": "没有页面引用源文章。",
    "article": "文章",
    "Every place the book quotes or corrects article": "本书引用或更正文章的每一处：文章",
    "Show or hide the pages of this part": "显示或隐藏这一部分的页面",
    "Colour mode: light, dark or system": "颜色模式：浅色、深色或跟随系统",
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


def tr(language: str | None, text: str) -> str:
    """``text`` in the edition's language (the strings of ``ZH``)."""
    return ZH.get(text, text) if is_zh(language) else text


def _language_switch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The link to the same page in the other edition (template ``language-switch.html``)."""
    if app.builder.name != "html":  # the single-page build (make pdf) is one edition on its own
        return
    lang = app.config.language or "en"
    other, label, hreflang, title = SWITCH["zh_CN" if is_zh(lang) else "en"]
    depth = pagename.count("/")
    context["tb_switch"] = {
        "href": "../" * (depth + 1) + f"{EDITIONS[other]}/{pagename}.html",
        "label": label,
        "lang": hreflang,
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
                finally:  # the translated nodes keep a reference to this document: pickled with the page
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
                    for a in _ancestors(para, None):
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


# ----------------------------------------------------------------------------- configuration
def glossary_chinese_terms(glossary: Path = ROOT / "glossary.md") -> list[str]:
    """The Chinese term of every glossary entry: the Han characters that open its definition."""
    terms: list[str] = []
    if not glossary.is_file():
        return terms
    for line in glossary.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s{2,}([\u3400-\u4dbf\u4e00-\u9fff][\u3400-\u4dbf\u4e00-\u9fff·、/ ]*)", line)
        if m and not line.lstrip().startswith(("-", "*")):
            for term in re.split(r"[、/ ]", m.group(1)):
                term = term.strip("· ")
                if len(term) >= 2 and term not in terms:
                    terms.append(term)
    return terms


def _configure(app: Any, config: Any) -> None:
    config.html_context = {**(config.html_context or {}), "default_mode": "light"}
    config.templates_path = [str(HERE / "templates"), *list(config.templates_path or [])]
    # Maths from the site itself (copied from node_modules by _copy_mathjax).
    config.mathjax_path = "mathjax/tex-chtml.js"
    # Chinese search: jieba, with the glossary's Chinese terms as words of their own.
    config.html_search_language = "zh"
    userdict = Path(app.doctreedir) / "jieba-userdict.txt"  # one per edition: they build side by side
    userdict.parent.mkdir(parents=True, exist_ok=True)
    userdict.write_text("".join(f"{t} 100000\n" for t in glossary_chinese_terms()), encoding="utf-8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(userdict)}
    config.numfig = True
    # every page's header ends with the link to the same page in the other edition
    theme = dict(config.html_theme_options or {})
    theme["article_header_end"] = ["article-header-buttons.html", "language-switch.html"]
    config.html_theme_options = theme


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    """Copy MathJax 3 (npm package ``mathjax``: the combined TeX component, the extensions and
    fonts it loads on demand) into the built site's ``_static/mathjax``."""
    if exception is not None or app.builder.format != "html":
        return
    src = ROOT / "node_modules" / "mathjax" / "es5"
    if not (src / "tex-chtml.js").is_file():
        raise RuntimeError("MathJax is missing: run `npm ci` in the book's folder (make build does it).")
    dest = Path(app.outdir) / "_static" / "mathjax"
    for part in ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors"]:
        s, d = src / part, dest / part
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        elif s.is_file():
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


# ----------------------------------------------------------------------------- exercises
_PAGE_NUMBER = re.compile(r"chapters/(\d+)_[^/]+/(?:(\d+)_(\d+)_[^/]+|index)$")


def page_number(docname: str) -> tuple[int, ...]:
    """(9, 2) for chapters/09_faq/09_2_vanishing_gradients, (9,) for a chapter's index, () else."""
    m = _PAGE_NUMBER.match(docname)
    if not m:
        return ()
    return (int(m.group(1)), int(m.group(3))) if m.group(3) else (int(m.group(1)),)


def _number_exercises_per_page(app: Any, env: Any) -> list[str]:
    """Renumber exercises per page after Sphinx numbered them across the book."""
    changed = []
    for docname, figtypes in env.toc_fignumbers.items():
        numbers = figtypes.get("exercise")
        if not numbers:
            continue
        prefix = page_number(docname)
        ordered = sorted(numbers.items(), key=lambda kv: kv[1])
        new = {key: (*prefix, i) for i, (key, _) in enumerate(ordered, start=1)}
        if new != numbers:
            figtypes["exercise"] = new
            changed.append(docname)
    return changed


# ----------------------------------------------------------------------------- bibliography
def _register_bib_style() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        """Labels like the citations in the text: "Paszke et al., 2019"."""

        def format_labels(self, sorted_entries):  # type: ignore[override]
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                persons = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [" ".join(p.last_names) or " ".join(p.first_names) for p in persons]
                names = [re.sub(r"[{}]", "", n) for n in names]
                others = "others" in names  # BibTeX's "and others"
                names = [n for n in names if n != "others"]
                if not names:
                    who = entry.fields.get("title", entry.key)
                elif others:
                    who = f"{names[0]} et al."
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} and {names[1]}"
                else:
                    who = f"{names[0]} et al."
                label = f"{who}, {entry.fields.get('year', 'n.d.')}"
                seen[label] = seen.get(label, 0) + 1
                yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = "tb_author_year"
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.labels", "tb_author_year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "tb_author_year", AuthorYearStyle)


# ----------------------------------------------------------------------------- citations page
class source_citations(nodes.General, nodes.Element):
    """Placeholder, filled at doctree-resolved with every citation of the source articles."""


class SourceCitationsDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        return [source_citations("")]


def _collect_citations(app: Any, doctree: nodes.document) -> None:
    from sphinx.addnodes import pending_xref

    env = app.env
    store = env.__dict__.setdefault("tb_source_cites", {})
    places = []
    for ref in doctree.findall(pending_xref):
        if ref.get("refdomain") != "cite":
            continue
        keys = [k.strip() for k in str(ref.get("reftarget", "")).split(",")]
        keys = [k for k in keys if SOURCE_KEY.match(k)]
        if not keys:
            continue
        section = ref.parent
        # sphinx-exercise wraps each solution's body in a section whose id ("solution-content") repeats
        # on the page: link to the enclosing real section instead
        while section is not None and (
            not isinstance(section, nodes.section) or any(i.endswith("-content") for i in section["ids"])
        ):
            section = section.parent
        block = ref.parent
        while block is not None and not isinstance(block, (nodes.paragraph, nodes.list_item, nodes.term)):
            block = block.parent
        places.append(
            {
                "keys": keys,
                "section_id": section["ids"][0] if section is not None and section["ids"] else "",
                "section": section[0].astext() if section is not None else "",
                "text": _snippet(block or ref.parent),
            }
        )
    store[env.docname] = places


def _snippet(block: nodes.Element, limit: int = 240) -> list[tuple[str, str]]:
    """The cited sentence's paragraph as ("text", ...) and ("math", TeX) pieces, cut near limit."""
    pieces: list[tuple[str, str]] = []
    length = 0
    from sphinx.addnodes import pending_xref

    def is_cite(n: nodes.Node) -> bool:
        return isinstance(n, pending_xref) and n.get("refdomain") == "cite"

    for node in block.findall(lambda n: isinstance(n, (nodes.Text, nodes.math)) or is_cite(n)):
        if any(isinstance(a, nodes.math) or is_cite(a) for a in _ancestors(node, block)):
            continue
        if is_cite(node):
            keys = [k.strip() for k in str(node.get("reftarget", "")).split(",")]
            names = [f"article {k[len('source') :]}" if SOURCE_KEY.match(k) else k for k in keys]
            text = "[" + "; ".join(names) + "]"
        elif isinstance(node, nodes.math):
            pieces.append(("math", node.astext()))
            length += len(node.astext()) // 3
            continue
        else:
            text = re.sub(r"\s+", " ", node.astext())
        if length + len(text) > limit:
            pieces.append(("text", text[: max(0, limit - length)].rsplit(" ", 1)[0] + " …"))
            break
        pieces.append(("text", text))
        length += len(text)
    return pieces


def _ancestors(node: nodes.Node, stop: nodes.Node) -> list[nodes.Node]:
    out = []
    while node is not None and node is not stop:
        node = node.parent
        out.append(node)
    return out


def _purge_citations(app: Any, env: Any, docname: str) -> None:
    env.__dict__.setdefault("tb_source_cites", {}).pop(docname, None)


def _merge_citations(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    store = env.__dict__.setdefault("tb_source_cites", {})
    for d in docnames:
        if d in other.__dict__.get("tb_source_cites", {}):
            store[d] = other.tb_source_cites[d]


def _doc_order(env: Any) -> list[str]:
    """Documents in the table of contents' reading order."""
    order: list[str] = []

    def walk(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order + sorted(d for d in env.found_docs if d not in order)


def _fill_citations(app: Any, doctree: nodes.document, docname: str) -> None:
    env = app.env
    lang = app.config.language
    store = env.__dict__.get("tb_source_cites", {})
    for placeholder in list(doctree.findall(source_citations)):
        keys = sorted({k for places in store.values() for p in places for k in p["keys"]})
        out: list[nodes.Node] = []
        for key in keys:
            box = nodes.container(ids=[key], classes=["tb-source-citations"])
            number = key[len("source") :]
            box += nodes.rubric("", f"{tr(lang, 'Source article')} {number}")
            items = nodes.bullet_list()
            count = 0
            for doc in _doc_order(env):
                for place in store.get(doc, []):
                    if key not in place["keys"]:
                        continue
                    count += 1
                    uri = app.builder.get_relative_uri(docname, doc)
                    if place["section_id"]:
                        uri += "#" + place["section_id"]
                    title = env.titles[doc].astext() if doc in env.titles else doc
                    where = title if place["section"] in ("", title) else f"{title} › {place['section']}"
                    para = nodes.paragraph()
                    para += nodes.reference("", where, refuri=uri, internal=True)
                    para += nodes.Text(": ")
                    pieces = place["text"] if isinstance(place["text"], list) else [("text", str(place["text"]))]
                    for kind, value in pieces:
                        para += nodes.math(value, value) if kind == "math" else nodes.Text(value)
                    items += nodes.list_item("", para)
            box += nodes.paragraph(
                "",
                f"{tr(lang, 'Cited in')} {count} 处："
                if is_zh(lang)
                else f"Cited in {count} place{'s' if count != 1 else ''}:",
            )
            box += items
            out.append(box)
        placeholder.replace_self(out or [nodes.paragraph("", tr(lang, "No page cites a source article."))])
        # The quoted sentences may hold maths: Sphinx then adds MathJax to this page too.
        app.env.get_domain("math").data.setdefault("has_equations", {})[docname] = True
    # The references page: every source article's entry links to its list.
    if docname != env.config.root_doc and any(isinstance(n, nodes.citation) for n in doctree.findall(nodes.citation)):
        if CITATIONS_DOC in env.found_docs:
            for cit in doctree.findall(nodes.citation):
                m = re.search(r"Source article (\d{3})", cit.astext())
                if not m or "tb-cited-in" in cit.get("classes", []):
                    continue
                cit["classes"].append("tb-cited-in")
                uri = app.builder.get_relative_uri(docname, CITATIONS_DOC) + f"#source{m.group(1)}"
                para = nodes.paragraph(classes=["tb-cited-in-link"])
                para += nodes.reference(
                    "",
                    f"{tr(lang, 'Every place the book quotes or corrects article')} {m.group(1)}",
                    refuri=uri,
                    internal=True,
                )
                cit += para


def _skip_placeholder(self: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


# ----------------------------------------------------------------------------- verified stamp
def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def notebook_hash(path: Path) -> str | None:
    """The hash a lane report records for a notebook (cell types and sources, not outputs): the one
    definition is ``source_sha256`` in tools/gpu_report.py, which writes the reports."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_report", ROOT / "tools" / "gpu_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.source_sha256(path)


def load_lanes(root: Path = ROOT) -> list[dict[str, Any]]:
    """The committed lane reports, each with its date, hardware, mode and rows per notebook; and,
    per notebook, whether it changed after the lane ran (content hash in the report if it has
    one; otherwise commits to the notebook after the report's last commit, or uncommitted edits)."""
    lanes = []
    for name, label in [("cpu-full-lane", "CPU lane"), ("gpu-lane", "GPU lane")]:
        js, md = root / "reports" / f"{name}.json", root / "reports" / f"{name}.md"
        if not js.is_file():
            continue
        data = json.loads(js.read_text(encoding="utf-8"))
        date = data.get("date")
        if not date and md.is_file():
            m = re.search(r"^- date: (.+)$", md.read_text(encoding="utf-8"), re.M)
            date = m.group(1).strip() if m else None
        changed_after: set[str] | None = None
        report_commit = (_git("log", "-1", "--format=%H", "--", str(js.relative_to(root))) or "").strip()
        if report_commit:
            later = _git("log", "--format=", "--name-only", f"{report_commit}..HEAD", "--", "chapters")
            dirty = _git("status", "--porcelain", "--", "chapters")
            if later is not None and dirty is not None:
                changed_after = {l.strip() for l in later.splitlines() if l.strip()}
                changed_after |= {l[3:].strip() for l in dirty.splitlines() if len(l) > 3}
        lanes.append(
            {
                "label": label,
                "date": date,
                "hardware": data.get("hardware", {}),
                "mode": data.get("mode", "?"),
                "rows": data.get("notebooks", {}),
                "changed_after": changed_after,
            }
        )
    return lanes


def stamp_html(source: str, lanes: list[dict[str, Any]], root: Path = ROOT, language: str = "en") -> str:
    """The stamp of one page (source: its path relative to the book, e.g. chapters/.../x.ipynb),
    in the edition's language."""

    def t(text: str) -> str:
        return tr(language, text)

    if not source.endswith(".ipynb"):
        return (
            f'<aside class="tb-verified" aria-label="{t("Verification")}">'
            f"<p><strong>{t('Verified:')}</strong> "
            f"{t('this page has no code; its text, links and references are checked by every build of the site.')}"
            "</p></aside>"
        )
    lines = []
    for lane in lanes:
        row = lane["rows"].get(source)
        if row is None:
            lines.append(f"<li>{t(lane['label'])}: {t('not yet run on this page.')}</li>")
            continue
        hw = lane["hardware"]
        ok = int(row.get("failed", 0)) == 0
        result = t("pass") if ok else f"FAIL ({row.get('failed')} {t('cells')})"
        text = (
            f"{html.escape(t(lane['label']))}: {html.escape(str(lane['date'] or 'undated'))}, "
            f"{html.escape(str(hw.get('device', '?')))}, torch {html.escape(str(hw.get('torch', '?')))}, "
            f"{html.escape(str(lane['mode']))} {t('mode')}, {float(row.get('seconds', 0)):.0f} s, "
            f"{int(row.get('cells', 0))} {t('cells')}, <strong>{result}</strong>"
        )
        stale = None
        if row.get("source_sha256") and (root / source).is_file():
            stale = row["source_sha256"] != notebook_hash(root / source)
        elif lane["changed_after"] is not None:
            stale = source in lane["changed_after"]
        if stale:
            text += (
                '. <span class="tb-stale">'
                + t("This page's notebook changed after this lane run; its outputs are checked again by the next one.")
                + "</span>"
            )
        lines.append(f"<li>{text}</li>")
    if not lanes:
        lines.append(f"<li>{t('No lane report is committed yet.')}</li>")
    return (
        f'<aside class="tb-verified" aria-label="{t("Verification")}"><p><strong>{t("Verified:")}</strong> '
        + t("this page's outputs were produced and compared cell by cell (nbval) by")
        + "</p><ul>"
        + "".join(lines)
        + "</ul></aside>"
    )


def _mathjax_only_with_maths(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """myst-nb asks Sphinx to put every asset on every page: drop MathJax (and its inline
    configuration) from a page without maths."""
    if 'class="math' in context.get("body", "") or pagename == "search":
        return
    scripts = context.get("script_files")
    if scripts:
        scripts[:] = [
            js
            for js in scripts
            if "mathjax" not in str(getattr(js, "filename", js) or "").lower()
            and "MathJax" not in str((getattr(js, "attributes", {}) or {}).get("body", ""))
        ]


def _add_stamp(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if doctree is None or "body" not in context or pagename in ("search", "genindex"):
        return
    if not hasattr(app, "tb_lanes"):
        app.tb_lanes = load_lanes()
    source = app.env.doc2path(pagename, base=False)
    source = os.path.relpath(source, app.srcdir) if os.path.isabs(str(source)) else str(source)
    context["body"] += stamp_html(str(source).replace(os.sep, "/"), app.tb_lanes, language=app.config.language)


# ----------------------------------------------------------------------------- HTML post-processing
_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_SKIP = {"script", "style", "textarea", "title", "svg", "math"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def mark_chinese(body: str) -> str:
    """Wrap runs of Chinese text in ``<span lang="zh-CN">`` (outside scripts, maths, attributes,
    and elements already marked)."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, skip)
    for token in _TOKEN.split(body):
        if not token:
            continue
        if token.startswith("<!--"):
            out.append(token)
            continue
        if token.startswith("<"):
            m = re.match(r"<\s*(/)?\s*([a-zA-Z0-9-]+)", token)
            if m:
                closing, tag = m.group(1), m.group(2).lower()
                if closing:
                    while stack:
                        t, _ = stack.pop()
                        if t == tag:
                            break
                elif tag not in _VOID and not token.endswith("/>"):
                    skip = (
                        tag in _SKIP
                        or bool(re.search(r'class="[^"]*\bmath\b', token))
                        or bool(re.search(r'\blang="zh', token))
                    )
                    stack.append((tag, skip))
            out.append(token)
            continue
        if any(skip for _, skip in stack) or not HAN.search(token):
            out.append(token)
            continue
        out.append(
            CJK_RUN.sub(
                lambda m: f'<span lang="zh-CN">{m.group(0)}</span>' if HAN.search(m.group(0)) else m.group(0), token
            )
        )
    return "".join(out)


def postprocess_html(text: str, language: str = "en") -> str:
    """All fixes to one written page (in the zh edition the whole page is ``lang="zh-CN"``)."""
    head, sep, body = text.partition("<body")
    if not sep:
        return text
    # Sidebar arrows (<summary> holding only an icon) get a name.
    body = re.sub(
        r'<summary>(\s*<span class="toctree-toggle"[^>]*>)',
        rf'<summary aria-label="{tr(language, "Show or hide the pages of this part")}">\1',
        body,
    )
    # A button's accessible name must contain its visible text.
    body = re.sub(r'(<button class="btn search-button-field[^"]*" title="([^"]*)") aria-label="\2"', r"\1", body)
    body = re.sub(
        r'(<button class="btn btn-sm nav-link pst-navbar-icon theme-switch-button[^"]*") aria-label="Color mode"',
        rf'\1 aria-label="{tr(language, "Colour mode: light, dark or system")}"',
        body,
    )
    # The bibliography is a list of citations whose children are not list items.
    body = body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
    return head + sep + (localize_ui(body) if is_zh(language) else mark_chinese(body))


def _postprocess_site(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if "_static" in page.relative_to(app.outdir).parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = postprocess_html(text, app.config.language)
        if new != text:
            page.write_text(new, encoding="utf-8")


def _chinese_search_language() -> None:
    """Sphinx's Chinese search, plus: every glossary term found anywhere in a text is indexed as
    a word (jieba's user dictionary alone misses a term that context segments differently)."""
    from sphinx import search
    from sphinx.search.zh import SearchChinese

    class BookChinese(SearchChinese):
        terms = glossary_chinese_terms()

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


def setup(app: Any) -> dict[str, Any]:
    _register_bib_style()
    _chinese_search_language()
    _glue_in_translations()
    for transform in _transforms():
        app.add_transform(transform)
    app.connect("html-page-context", _language_switch)
    app.connect("build-finished", _zh_notebooks)
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _singlehtml_like_html)
    app.connect("env-get-updated", _number_exercises_per_page, priority=900)  # after Sphinx numbers
    app.add_node(
        source_citations,
        html=(_skip_placeholder, None),
        singlehtml=(_skip_placeholder, None),
        latex=(_skip_placeholder, None),
        text=(_skip_placeholder, None),
    )
    app.add_directive("source-citations", SourceCitationsDirective)
    app.connect("doctree-read", _collect_citations)
    app.connect("env-purge-doc", _purge_citations)
    app.connect("env-merge-info", _merge_citations)
    app.connect("doctree-resolved", _fill_citations)
    app.connect("html-page-context", _dedupe_scripts, priority=100)  # early: a later handler may end the chain
    app.connect("html-page-context", _add_stamp)
    app.connect("html-page-context", _mathjax_only_with_maths, priority=800)  # after Sphinx adds it
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _postprocess_site)
    app.add_css_file("torchbook.css")
    app.add_js_file("torchbook.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
