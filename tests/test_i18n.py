"""The Chinese edition's catalogs and notebooks (tools/i18n.py, issue 11): every string translated
and consistent with its English; the glossary is the term base of the zh pages; the zh notebooks
are generated from the sources and the catalogs and are up to date. (That the catalogs hold
exactly the strings of the current sources is `make i18n`: it needs a gettext build.)"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402
from glossary import glossary_entries  # noqa: E402


# ----------------------------------------------------------------------------- the tool itself
def test_pieces_that_a_translation_keeps() -> None:
    en = (
        "The {term}`gradient` of `loss` is {glue:text}`g:.2f` at $x = 2$ {cite}`source002,source004`; "
        "see {doc}`../04_math/index` and [the docs](https://pytorch.org) for 10 classes."
    )
    zh = (
        "`loss` 的{term}`梯度 <gradient>`在 $x = 2$ 处为 {glue:text}`g:.2f` {cite}`source002,source004`；"
        "参见 {doc}`../04_math/index` 和[文档](https://pytorch.org)，共 10 个类别。"
    )
    assert i18n.problems(en, zh) == []
    # a changed glue format, a lost citation, a translated code literal, a dropped number
    assert any("glue" in p for p in i18n.problems(en, zh.replace("g:.2f", "g:.3f")))
    assert any("cite" in p for p in i18n.problems(en, zh.replace(",source004", "")))
    assert any("code" in p for p in i18n.problems(en, zh.replace("`loss`", "`损失`")))
    assert any("number" in p for p in i18n.problems(en, zh.replace("10 个", "十个")))
    assert any("role" in p for p in i18n.problems(en, zh.replace("<gradient>", "<gradients>")))
    assert any("link" in p for p in i18n.problems(en, zh.replace("https://pytorch.org", "https://x.org")))
    assert any("no Chinese" in p for p in i18n.problems(en, en))
    assert i18n.problems("`torch.compile`", "`torch.compile`") == []  # code alone may stay as it is
    # CommonMark does not close bold after Chinese punctuation followed by a letter
    assert any("emphasis" in p for p in i18n.problems("**Mirrors:** article 001", "**对应原文：**文章 001"))
    assert i18n.problems("**Mirrors:** article 001", "**对应原文**：文章 001") == []
    # a heading "1. Background" translated as "1. 背景介绍" would be parsed as a list
    assert any("list" in p for p in i18n.problems("1. Background", "1. 背景介绍"))
    assert i18n.problems("1. Background", "1\\. 背景介绍") == []


def test_translate_markdown_replaces_whole_blocks_only() -> None:
    source = (
        "## Gradients\n\nThe gradient\nis a vector.\n\n- first item\n  goes on\n- second\n\n"
        "| a | b |\n|---|---|\n| left | right |\n\n> quoted\n> text\n\n```{exercise} Title here\n:label: x\n\nBody.\n```\n"
    )
    table = {
        "Gradients": "梯度",
        "The gradient is a vector.": "梯度是一个向量。",
        "first item goes on": "第一项",
        "second": "第二项",
        "left": "左",
        "quoted text": "引文",
        "Title here": "标题",
        "Body.": "正文。",
        "a": "甲",
    }
    used: set[str] = set()
    out = i18n.translate_markdown(source, table, used)
    assert out.startswith("## 梯度\n\n梯度是一个向量。\n\n- 第一项\n- 第二项\n")
    assert "| 甲 | b |" in out and "| 左 | right |" in out
    assert "> 引文" in out and "```{exercise} 标题\n:label: x\n\n正文。\n```" in out
    assert used == set(table)
    # a string inside a longer sentence is not a block of its own: left alone
    assert i18n.translate_markdown("Use second order.", {"second": "第二"}, set()) == "Use second order."


def test_fill_reads_blocks_and_rejects_inconsistent_translations(tmp_path: Path) -> None:
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="zh_CN")
    catalog.add("Call `backward()` twice.", "")
    catalog.add("Objectives", "")
    po = tmp_path / "page.po"
    i18n.write(catalog, po)
    blocks = tmp_path / "page.zh"
    k1, k2 = i18n.key("Call `backward()` twice."), i18n.key("Objectives")
    blocks.write_text(f"### {k1}\n调用两次 `backward()`。\n\n### {k2}\n学习目标\n", encoding="utf-8")
    assert i18n.fill(po, blocks) == 0
    report = i18n.check([po])
    assert (report.strings, report.translated, report.problems) == (2, 2, [])
    blocks.write_text(f"### {k1}\n调用两次 backward。\n", encoding="utf-8")
    assert i18n.fill(po, blocks) == 1  # the code literal was lost
    assert i18n.check([po]).problems


def test_an_update_that_changes_no_message_leaves_the_catalog_as_it_is(tmp_path: Path) -> None:
    """extract: a catalog whose messages did not change keeps its bytes (POT-Creation-Date
    included); one whose messages changed is written with the template's date."""
    import datetime as dt

    from babel.messages.catalog import Catalog

    po = tmp_path / "page.po"
    catalog = Catalog(locale=i18n.LANG, project="P", fuzzy=False)
    catalog.creation_date = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    catalog.add("A sentence.", "一句话。")
    i18n.write(catalog, po)
    before = po.read_bytes()

    def update(ids: list[str]) -> bool:
        template = Catalog(locale=i18n.LANG)  # created now, as extract's templates are
        for msgid in ids:
            template.add(msgid, "")
        current = i18n.read(po)
        created = current.creation_date
        current.update(template, no_fuzzy_matching=False, update_header_comment=False)
        current.fuzzy = False
        return i18n.write_if_changed(current, po, created)

    assert not update(["A sentence."]) and po.read_bytes() == before
    assert update(["A sentence.", "A new one."])
    text = po.read_text(encoding="utf-8")
    assert "A new one." in text and "POT-Creation-Date: 2026-01-02 03:04" not in text


# ----------------------------------------------------------------------------- the catalogs
def test_every_string_is_translated_and_consistent(capsys) -> None:
    report = i18n.check()
    with capsys.disabled():
        print(
            f"\nzh catalogs: {report.translated}/{report.strings} strings translated "
            f"({100 * report.fraction:.1f} %), {len(report.problems)} problems"
        )
    assert report.strings > 2000
    assert not report.problems, "\n".join(report.problems[:30])
    assert report.fraction == 1.0


def page_sources() -> dict[str, str]:
    """Every page's Markdown: a notebook's Markdown cells, or a Markdown page."""
    out = {}
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        out[path.relative_to(ROOT).with_suffix("").as_posix()] = "\n".join(
            "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
        )
    for path in [*sorted((ROOT / "chapters").rglob("*.md")), *sorted(ROOT.glob("*.md"))]:
        if path.name not in ("README.md", "CONTRIBUTING.md"):
            out[path.relative_to(ROOT).with_suffix("").as_posix()] = path.read_text(encoding="utf-8")
    return out


def test_the_glossary_is_the_term_base_of_the_zh_pages() -> None:
    """A page that links an English glossary term shows that entry's Chinese term in its zh text;
    the zh glossary keeps the English keys (every page links to them) and opens each definition
    with the same Chinese term."""
    entries: dict[str, list[str]] = {}  # the key as {term} links it (lower case) -> its Chinese terms
    for term, chinese in glossary_entries():
        entries.setdefault(term.lower(), chinese)
    assert len(entries) > 100
    missing = []
    for page, text in page_sources().items():
        po = i18n.CATALOGS / f"{page}.po"
        if not po.is_file():
            continue
        zh = " ".join(i18n.translations(po).values())
        for role in re.findall(r"\{term\}`([^`]*)`", text):
            key = i18n._target("term", role)
            terms = entries.get(key)
            if terms and not any(t in zh for t in terms):
                missing.append(f"{page}: {key} -> {'/'.join(terms)}")
    assert not missing, sorted(set(missing))[:30]
    glossary = i18n.translations(i18n.CATALOGS / "glossary.po")
    changed_keys = [k for k in glossary if k.lower() in entries and glossary[k] != k]
    assert not changed_keys, f"glossary keys must stay English: {changed_keys}"
    for msgid, msgstr in glossary.items():
        m = re.match(r"([\u3400-\u4dbf\u4e00-\u9fff][\u3400-\u4dbf\u4e00-\u9fff·、/ ]*)", msgid)
        if m:
            assert msgstr.startswith(m.group(1).strip()), f"{msgid[:30]!r} -> {msgstr[:30]!r}"


# ----------------------------------------------------------------------------- the zh notebooks
def test_zh_notebooks_are_generated_and_current(capsys) -> None:
    with capsys.disabled():
        stale = i18n.notebooks(check_only=True)
    assert stale == 0, "run `python tools/i18n.py notebooks` (make catalogs)"


@pytest.mark.parametrize(
    "name", ["chapters/05_practice/05_3_mnist_mlp.ipynb", "chapters/02_core_concepts/02_2_autograd.ipynb"]
)
def test_a_zh_notebook_has_the_sources_code_and_outputs_and_chinese_text(name: str) -> None:
    en = json.loads((ROOT / name).read_text(encoding="utf-8"))
    zh = json.loads(i18n.zh_notebook_path(ROOT / name).read_text(encoding="utf-8"))
    assert len(en["cells"]) == len(zh["cells"])
    for a, b in zip(en["cells"], zh["cells"], strict=True):
        assert a["cell_type"] == b["cell_type"]
        if a["cell_type"] == "code":
            assert a["source"] == b["source"] and a["outputs"] == b["outputs"]
        elif i18n.prose_words(re.sub(r"(?m)^[:`].*$", "", "".join(a["source"]))):  # prose, not only directive markup
            assert i18n.HAN.search("".join(b["source"])), "".join(b["source"])[:80]
    assert zh["metadata"]["torchbook"]["source"] == name


def test_fragments_of_old_msgids_do_not_pile_up_as_comments(tmp_path: Path) -> None:
    po = tmp_path / "page.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '# | msgid "An old English\n# sentence"\nmsgid "A new sentence."\nmsgstr "新的句子。"\n',
        encoding="utf-8",
    )
    text = i18n.render(i18n.read(po)).decode("utf-8")
    assert 'msgid "A new sentence."\nmsgstr "新的句子。"' in text
    assert "old English" not in text and "# sentence" not in text
