"""The citations page's quoted sentences (_ext/torchbook_site/citations.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import citations  # noqa: E402


def test_snippet_keeps_text_and_maths_and_names_the_cited_articles() -> None:
    from docutils import nodes
    from sphinx.addnodes import pending_xref

    para = nodes.paragraph()
    para += nodes.Text("The loss  is ")
    para += nodes.math("L = x^2", "L = x^2")
    para += nodes.Text(" as article 2 says ")
    ref = pending_xref("", refdomain="cite", reftarget="source002,Paszke2019")
    ref += nodes.Text("[hidden]")
    para += ref
    assert citations._snippet(para) == [
        ("text", "The loss is "),
        ("math", "L = x^2"),
        ("text", " as article 2 says "),
        ("text", "[article 002; Paszke2019]"),
    ]
    long = nodes.paragraph("", "", nodes.Text("word " * 100))
    assert citations._snippet(long, limit=20)[-1][1].endswith(" …")
    assert citations.SOURCE_KEY.match("source002") and not citations.SOURCE_KEY.match("Paszke2019")
