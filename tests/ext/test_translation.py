"""The two editions' strings (_ext/torchbook_site/editions.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import citations, editions, postprocess, stamps  # noqa: E402


def test_tr_gives_a_module_string_in_the_edition_language() -> None:
    table = {"Cited in": "引用处"}
    assert editions.tr("zh_CN", "Cited in", table) == "引用处"
    assert editions.tr("en", "Cited in", table) == "Cited in"
    assert editions.tr(None, "Cited in", table) == "Cited in"
    assert editions.tr("zh_CN", "not in the table", table) == "not in the table"


def test_every_string_a_module_writes_has_chinese() -> None:
    han = "\u4e00-\u9fff"
    for module in (citations, postprocess, stamps):
        for en, zh in module.ZH.items():
            assert zh != en and any(han[0] <= c <= han[-1] for c in zh), (module.__name__, en)


def test_localize_ui_translates_theme_strings_and_source_labels() -> None:
    body = '<button aria-label="Color mode">x</button><a>Repository</a> [Source article 002, n.d.]'
    out = editions.localize_ui(body)
    assert 'aria-label="颜色模式"' in out and "<a>代码仓库</a>" in out and "[文章 002]" in out


def test_translated_nodes_belong_to_their_page_not_to_the_message_document() -> None:
    """A translated paragraph is parsed as a document of its own; once moved into the page it must
    not keep that document (and its settings: the build environment) for the pickled doctree."""
    import pickle

    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    settings = get_default_settings(Parser)
    page, message = new_document("page.md", settings), new_document("page.md:3:<translated>", settings)
    message.settings = settings.copy()
    message.settings.env = "the build environment"  # what Sphinx's settings carry
    paragraph = nodes.paragraph()
    message += paragraph
    paragraph += nodes.Text("译文")  # setup_child records the message document on the text node
    section = nodes.section()
    page += section
    section += paragraph.deepcopy()
    assert section[0][0]._document is message
    editions._forget_message_documents(None, page)
    assert section[0].document is page and section[0][0].document is page
    assert b"the build environment" not in pickle.dumps(page)
