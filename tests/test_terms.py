"""The Chinese edition says each glossary term one way: the term base is ``glossary.md``
(``tools/glossary.py`` reads it). A zh catalog, a zh notebook or the Chinese beside an English
word in an English page fails here when it uses a variant an entry rejects (``% zh-avoid``), or
shows a glossary term with another Chinese term than the entry gives: a term link's title, the
Chinese glossed after a linked or bold English term, the Chinese before an English term in （）.

Quotations keep their source's words and are not checked: "…" and “…” spans and ``>`` blocks."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402
from glossary import Rule, Term, term_base  # noqa: E402

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
QUOTATION = re.compile(r'“[^”]*”|"[^"\n]*"|「[^」]*」|^[ \t]*>.*$', re.M)
TERM_ROLE = re.compile(r"\{term\}`([^`]*)`")


# ----------------------------------------------------------------------------- the checks
def plain(text: str) -> str:
    """``text`` for comparing phrases: no emphasis markers, whitespace runs as one space, lower case."""
    return re.sub(r"\s+", " ", text.replace("*", "")).lower()


def excused(rule: Rule, english: str, variant: str, translation: bool) -> bool:
    """Whether ``english`` (a translated string's msgid, or an English paragraph) allows
    ``variant``: it contains one of the rule's phrases, or, for a translation, the variant itself
    (the English quotes a source article's Chinese)."""
    return any(plain(p) in plain(english) for p in rule.unless) or (translation and variant in english)


def rejected(text: str, english: str, terms: list[Term], translation: bool) -> list[str]:
    """The rejected variants ``text`` uses outside quotations, as "variant (term: why)"."""
    body = QUOTATION.sub(" ", text)
    return [
        f"{variant} ({term.key}: {rule.why})"
        for term in terms
        for rule in term.avoid
        for variant in rule.variants
        if variant in body and not excused(rule, english, variant, translation)
    ]


def lookup(terms: list[Term]) -> dict[str, Term]:
    """Each entry under its key as pages link it (lower case), and its plural."""
    out: dict[str, Term] = {}
    for term in terms:
        key = term.key.lower()
        for form in (key, key + "s", key + "es", key.replace("ization", "isation")):
            out.setdefault(form, term)
    return out


def shows(term: Term, chinese: str) -> bool:
    """Whether ``chinese`` (a link title, a gloss) contains the entry's Chinese term: one of its
    terms, or, for an entry that opens with a Latin word ("TensorBoard 可视化工具", "softmax"),
    that opening if it has Chinese."""
    chinese = chinese.replace("*", "")
    if term.chinese:
        return any(t in chinese for t in term.chinese)
    return bool(re.search(f"[{HAN}]", term.opening)) and term.opening in chinese


def excused_gloss(term: Term, chinese: str, english: str) -> bool:
    """Whether ``chinese`` is a variant the entry's rules allow in this ``english``."""
    return any(v in chinese and excused(r, english, v, False) for r in term.avoid for v in r.variants)


def link_titles(text: str, terms: dict[str, Term]) -> list[str]:
    """zh text: term links whose Chinese title is not the entry's Chinese term."""
    bad = []
    for role in TERM_ROLE.findall(text):
        m = re.match(r"(.*?)\s*<([^<>]+)>\s*$", role)
        title, key = (m.group(1), m.group(2)) if m else (role, role)
        term = terms.get(key.strip().lower())
        if term and re.search(f"[{HAN}]", title) and not shows(term, title):
            bad.append(f"{{term}}`{role}`: the glossary's term is {'/'.join(term.chinese) or term.key}")
    return bad


ENGLISH_GLOSS = re.compile(
    rf"(?:\{{term\}}`(?P<role>[^`]*)`|\*\*(?P<bold>[A-Za-z][\w -]*?)\*\*)\s*\((?P<zh>[^()]*?[{HAN}][^()]*)\)"
)


def english_glosses(text: str, terms: dict[str, Term]) -> list[str]:
    """English text: a linked or bold glossary term followed by Chinese in () that is not the
    entry's Chinese term (nor, for a bold word, another sense of the same word)."""
    bad = []
    for m in ENGLISH_GLOSS.finditer(QUOTATION.sub(" ", text)):
        role, zh = m.group("role"), m.group("zh")
        if role is not None:
            target = re.search(r"<([^<>]+)>\s*$", role)
            term = terms.get((target.group(1) if target else role).strip().lower())
        else:
            term = terms.get(m.group("bold").strip().lower())
        if not term or shows(term, zh) or excused_gloss(term, zh, text) or not (term.chinese or term.opening):
            continue
        if role is None and any(v in zh for rule in term.other_senses for v in rule.variants):
            continue
        bad.append(f"{m.group(0)!r}: the glossary's term is {'/'.join(term.chinese)}")
    return bad


ZH_GLOSS = re.compile(rf"([{HAN}*]+)（([A-Za-z][A-Za-z -]*?)[，,）]")


def zh_glosses(text: str, english: str, terms: dict[str, Term]) -> list[str]:
    """zh text: Chinese followed by an English glossary term in （） whose Chinese is not the
    entry's (unless the English shows that Chinese: a quotation)."""
    bad = []
    for m in ZH_GLOSS.finditer(QUOTATION.sub(" ", text)):
        term = terms.get(m.group(2).strip().lower())
        chinese = m.group(1).replace("*", "")
        if (
            term
            and not shows(term, chinese)
            and chinese[-4:] not in english
            and not excused_gloss(term, chinese, english)
        ):
            bad.append(f"{m.group(0)!r}: the glossary's term is {'/'.join(term.chinese)}")
    return bad


# ----------------------------------------------------------------------------- the texts
def catalog_entries() -> Iterator[tuple[str, str, str]]:
    """(page, msgid, msgstr) of every translated string of the zh catalogs."""
    for path in i18n.catalog_paths():
        page = path.relative_to(i18n.CATALOGS).with_suffix("").as_posix()
        for m in i18n.entries(i18n.read(path)):
            if m.string and not m.fuzzy:
                yield page, m.id, m.string


def english_paragraphs() -> Iterator[tuple[str, str]]:
    """(page, paragraph) of every English page: notebooks' Markdown cells and Markdown pages,
    split at blank lines; the glossary's hidden rule lines (``%``) are not text."""
    sources: dict[str, str] = {}
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        sources[path.relative_to(ROOT).as_posix()] = "\n\n".join(
            "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
        )
    for path in [*sorted((ROOT / "chapters").rglob("*.md")), *sorted(ROOT.glob("*.md"))]:
        if path.name not in ("README.md", "CONTRIBUTING.md"):
            sources[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    for page, text in sources.items():
        text = re.sub(r"(?m)^[ \t]*%.*\n?", "", text)
        for paragraph in re.split(r"\n[ \t]*\n", text):
            if re.search(f"[{HAN}]", paragraph):
                yield page, paragraph


def zh_notebook_cells() -> Iterator[tuple[str, str]]:
    """(source notebook, Markdown cell) of every generated zh notebook."""
    for path in sorted((i18n.ROOT / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        zh = i18n.zh_notebook_path(path)
        if zh.is_file():
            for cell in json.loads(zh.read_text(encoding="utf-8"))["cells"]:
                if cell["cell_type"] == "markdown":
                    yield path.relative_to(i18n.ROOT).with_suffix("").as_posix(), "".join(cell["source"])


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return term_base()


def report(found: list[str]) -> str:
    return f"{len(found)} inconsistent terms (glossary.md is the term base):\n" + "\n".join(found[:40])


# ----------------------------------------------------------------------------- the book
def test_the_term_base(terms: list[Term]) -> None:
    """The glossary parses, its rules do not contradict its terms, and the rules this check was
    seeded with are there (a glossary edit that drops one fails here)."""
    by_key = {t.key: t for t in terms}
    assert len(by_key) > 100
    accepted = {c for t in terms for c in t.chinese}
    for term in terms:
        for rule in term.avoid:
            clash = [v for v in rule.variants if v in accepted or any(v in c for c in term.chinese)]
            assert not clash, f"{term.key}: rejects its own or another entry's term {clash}"
    seeded = {
        "logit": "对数几率",
        "standard error": "标准误差",
        "eager execution": "命令式",
        "softmax": "归一化指数函数",
        "batch normalization": "批归一化",
        "backpropagation": "后向传播",
        "autograd": "自动求导",
        "static computation graph": "静态图",
        "rank": "进程编号",
    }
    for key, variant in seeded.items():
        assert any(variant in rule.variants for rule in by_key[key].avoid), f"{key}: {variant} not rejected"
    assert by_key["logit"].chinese == ("未归一化得分",) and by_key["standard error"].chinese == ("标准误",)
    assert by_key["eager execution"].chinese == ("即时执行",) and by_key["softmax"].chinese == ()


def test_zh_catalogs_use_no_rejected_variant(terms: list[Term]) -> None:
    found = [
        f"{page} {i18n.key(msgid)}: {hit}"
        for page, msgid, msgstr in catalog_entries()
        for hit in rejected(msgstr, msgid, terms, translation=True)
    ]
    assert not found, report(found)


def test_zh_notebooks_use_no_rejected_variant(terms: list[Term]) -> None:
    """The generated notebooks hold the catalogs' translations (excused where their English
    allows them, as above) and any text the catalogs do not cover."""
    allowed: dict[str, list[str]] = {}
    for page, msgid, msgstr in catalog_entries():
        if any(v in msgstr for t in terms for r in t.avoid for v in r.variants if excused(r, msgid, v, True)):
            allowed.setdefault(page, []).append(msgstr)
    found = []
    for page, cell in zh_notebook_cells():
        for msgstr in sorted(allowed.get(page, []), key=len, reverse=True):
            cell = cell.replace(msgstr, " ")
        found += [f"{page}: {hit}" for hit in rejected(cell, "", terms, translation=False)]
    assert not found, report(found)


def test_english_pages_use_no_rejected_variant(terms: list[Term]) -> None:
    """The Chinese beside English words in the English pages (and the glossary itself)."""
    found = [
        f"{page}: {hit} in {paragraph[:80]!r}"
        for page, paragraph in english_paragraphs()
        for hit in rejected(paragraph, paragraph, terms, translation=False)
    ]
    assert not found, report(found)


def test_term_links_and_glosses_give_the_glossarys_term(terms: list[Term]) -> None:
    by_key = lookup(terms)
    found = []
    for page, msgid, msgstr in catalog_entries():
        found += [f"{page} {i18n.key(msgid)}: {b}" for b in link_titles(msgstr, by_key)]
        found += [f"{page} {i18n.key(msgid)}: {b}" for b in zh_glosses(msgstr, msgid, by_key)]
    for page, paragraph in english_paragraphs():
        found += [f"{page}: {b}" for b in english_glosses(paragraph, by_key)]
    assert not found, report(found)


# ----------------------------------------------------------------------------- the checks themselves
def test_the_checks_find_what_they_should(tmp_path: Path) -> None:
    glossary = tmp_path / "glossary.md"
    glossary.write_text(
        "# G\n\n```{glossary}\nlogit\n  未归一化得分 (logits). A raw score.\n"
        "  % zh-avoid: 未归一化的分数 | the term is 未归一化得分\n"
        '  % zh-avoid: 对数几率 | except where the English says "log odds" or "logistic": the log odds only\n'
        "\nstride\n  步幅. A step.\n  % zh-other-sense: 步长 | a tensor's strides\n```\n",
        encoding="utf-8",
    )
    terms = term_base(glossary)
    # a rejected variant, in a translation, its exceptions, a quotation
    assert rejected("十个对数几率", "ten logits", terms, translation=True)
    assert not rejected("对数几率", "the model is linear in the **log\nodds**", terms, translation=True)
    assert not rejected("对数几率（logit）", "the logit (对数几率)", terms, translation=True)
    assert rejected("(对数几率)", "(对数几率)", terms, translation=False)  # an English page excuses only by phrase
    assert not rejected("文章说“未归一化的分数”", "", terms, translation=False)
    assert rejected("未归一化的分数", "", terms, translation=True)
    by_key = lookup(terms)
    # link titles, English glosses (other senses allowed unlinked only), zh glosses
    assert link_titles("{term}`对数几率 <logit>`", by_key) and not link_titles("{term}`logits <logit>`", by_key)
    assert not link_titles("{term}`未归一化得分 <logit>`", by_key)
    assert english_glosses("the **logits** (未归一化的分数)", by_key)
    assert not english_glosses("the {term}`logits <logit>` (未归一化得分)", by_key)
    assert not english_glosses("its **strides** (步长: steps)", by_key)
    assert english_glosses("{term}`stride` (步长)", by_key)
    assert zh_glosses("即原始分数（logits）", "the raw scores, logits", by_key)
    assert not zh_glosses("即**未归一化得分**（logits）", "", by_key)
    assert not zh_glosses("文章的原始分数（logit）", "the article's 原始分数", by_key)
