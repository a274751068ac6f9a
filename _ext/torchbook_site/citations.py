"""The citations page: every source article's entry of the bibliography links to the generated
page (``source_citations.md``, directive ``source-citations``) that lists every place the book
cites it, filled from the ``{cite}`` uses of the source articles in the pages."""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from .editions import ancestors, is_zh, tr

SOURCE_KEY = re.compile(r"^source\d{3}$")
CITATIONS_DOC = "source_citations"
ZH = {  # the strings this module writes into pages, in the zh edition
    "Source article": "源文章",
    "Cited in": "引用处",
    "No page cites a source article.": "没有页面引用源文章。",
    "Every place the book quotes or corrects article": "本书引用或更正文章的每一处：文章",
}


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
        if any(isinstance(a, nodes.math) or is_cite(a) for a in ancestors(node, block)):
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
            box += nodes.rubric("", f"{tr(lang, 'Source article', ZH)} {number}")
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
                f"{tr(lang, 'Cited in', ZH)} {count} 处："
                if is_zh(lang)
                else f"Cited in {count} place{'s' if count != 1 else ''}:",
            )
            box += items
            out.append(box)
        placeholder.replace_self(out or [nodes.paragraph("", tr(lang, "No page cites a source article.", ZH))])
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
                    f"{tr(lang, 'Every place the book quotes or corrects article', ZH)} {m.group(1)}",
                    refuri=uri,
                    internal=True,
                )
                cit += para


def _skip_placeholder(self: Any, node: nodes.Node) -> None:
    """A placeholder left unfilled writes nothing."""
    raise nodes.SkipNode


def setup(app: Any) -> None:
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
