"""The Chinese edition (中文版): its translation catalogs, their checks, and its notebooks.

One source: the pages in ``chapters/`` and the Markdown pages are the only copy of the code,
outputs and figures. The prose is translated in Sphinx gettext catalogs, one per page,
``locales/zh_CN/LC_MESSAGES/<page>.po``; the zh site is the same sources built with
``language=zh_CN`` (``tools/book.py``), and the zh notebooks behind its download and Colab
buttons are generated here from the source notebooks and the catalogs.

    python tools/i18n.py extract           sources -> _build/gettext/*.pot -> the .po catalogs
                                            (a new English string enters untranslated, an edited
                                            one is marked fuzzy: both fail `check`)
    python tools/i18n.py todo PO           the untranslated and fuzzy entries of one catalog
    python tools/i18n.py fill PO FILE      write translations: FILE holds blocks "### <key>" + text
    python tools/i18n.py check [PO ...]    translated fraction, and each translation keeps its
                                            source's glue, roles' targets, code, maths, links, numbers
    python tools/i18n.py notebooks [--check]  the zh notebooks (locales/zh_CN/notebooks/...)

Nothing here is edited by hand except the msgstr of the catalogs.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import hashlib
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from book import BUILD, build
from glossary import glossary_entries

ROOT = Path(__file__).resolve().parents[1]
LANG = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGS = LOCALES / LANG / "LC_MESSAGES"
ZH_NOTEBOOKS = LOCALES / LANG / "notebooks"
POT_DIR = BUILD / "gettext"  # where tools/book.py gettext writes the templates
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")

# ----------------------------------------------------------------------------- the pieces a translation keeps
ROLE = re.compile(r"\{([a-zA-Z][\w:+-]*)\}`([^`]*)`")
TARGET_ROLES = {"term", "ref", "doc", "numref", "eq", "any", "download", "prf:ref"}
MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?!\s)[^$]+?(?<![\s\\])\$(?!\$)")
CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?\s*\)|<(https?://[^>\s]+)>")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")


def _target(role: str, text: str) -> str:
    m = re.search(r"<([^<>]+)>\s*$", text)
    target = m.group(1) if m else text
    target = target.strip()
    return target.lower() if role == "term" else target


def pieces(text: str) -> dict[str, Counter]:
    """What a translation of ``text`` must keep, each as a multiset: glue and cite roles (whole),
    reference roles (their targets: the title may be translated), inline code, maths, link URLs,
    and the numbers of the prose around them."""
    out = {k: Counter() for k in ("glue", "cite", "role", "code", "math", "link", "number")}
    rest = text
    for m in ROLE.finditer(text):
        role, body = m.group(1), m.group(2)
        if role.startswith("glue"):
            out["glue"][f"{role}`{body}`"] += 1
        elif role.startswith("cite"):
            for key in body.split(","):
                out["cite"][key.strip()] += 1
        elif role in TARGET_ROLES:
            out["role"][f"{role}:{_target(role, body)}"] += 1
        else:
            out["role"][f"{role}`{body}`"] += 1
    rest = ROLE.sub(" ", rest)
    for m in CODE.finditer(rest):
        out["code"][m.group(2).strip()] += 1
    rest = CODE.sub(" ", rest)
    for m in MATH.finditer(rest):
        out["math"][re.sub(r"\s+", "", m.group(0).strip("$"))] += 1
    rest = MATH.sub(" ", rest)
    for m in LINK.finditer(rest):
        out["link"][m.group(1) or m.group(2)] += 1
    rest = LINK.sub(" ", rest)
    rest = re.sub(r"https?://\S+", " ", rest)
    for m in NUMBER.finditer(rest):
        out["number"][m.group(0).replace(",", "")] += 1
    return out


@functools.lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def unrendered_stars(text: str) -> int:
    """How many ``*`` of ``text`` Markdown shows literally (outside code), i.e. failed emphasis."""
    html = _markdown().renderInline(ROLE.sub("R", text))
    return re.sub(r"<code>.*?</code>", "", html).count("*")


def prose_words(text: str) -> list[str]:
    """The English words of ``text`` outside roles, code, maths and links."""
    rest = LINK.sub(" ", MATH.sub(" ", CODE.sub(" ", ROLE.sub(" ", text))))
    return re.findall(r"[A-Za-z]{2,}", rest)


def problems(msgid: str, msgstr: str) -> list[str]:
    """Why ``msgstr`` is not a faithful carrier of ``msgid``'s fixed pieces (empty: it is)."""
    found = []
    a, b = pieces(msgid), pieces(msgstr)
    for kind in a:
        if a[kind] != b[kind]:
            missing = sorted((a[kind] - b[kind]).elements())
            extra = sorted((b[kind] - a[kind]).elements())
            found.append(f"{kind}: missing {missing} extra {extra}")
    if not HAN.search(msgstr) and len(prose_words(msgid)) > 3:
        found.append("no Chinese in the translation of an English sentence")
    if msgstr.count("**") != msgid.count("**"):
        found.append("bold markers (**) differ")
    elif unrendered_stars(msgstr) > unrendered_stars(msgid):
        # CommonMark: "**对应原文：**文章" is not bold (a closing ** after punctuation must be
        # followed by a space or punctuation): put the punctuation outside, "**对应原文**：文章"
        found.append("an emphasis marker * or ** does not render: move the Chinese punctuation next to it outside")
    if re.match(r"(\d+[.)]|[-*+>]|#{1,6})(\s|$)", msgstr):
        # Sphinx parses a translation as a Markdown block of its own: "1. 背景介绍" would become a list
        found.append("starts like a list, quote or heading: escape it (e.g. '1\\. 背景介绍')")
    return found


# ----------------------------------------------------------------------------- catalogs
@contextlib.contextmanager
def locked():
    """One writer of the catalogs at a time (translators fill while a maintainer extracts)."""
    import fcntl

    LOCALES.mkdir(parents=True, exist_ok=True)
    with open(LOCALES / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def key(msgid: str) -> str:
    return hashlib.sha1(msgid.encode("utf-8")).hexdigest()[:10]


def read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f, locale=LANG)


def render(catalog) -> bytes:
    """The catalog as its .po file's bytes."""
    from babel.messages.pofile import write_po

    for m in catalog:
        m.flags -= {"python-format", "python-brace-format"}
        if m.id:
            # The catalogs carry no translator comments; what a comment line holds here is a
            # fragment of an old msgid written back by an earlier tool, which must not pile up.
            m.user_comments = []
    f = io.BytesIO()
    write_po(f, catalog, width=0, omit_header=False, include_previous=True, sort_output=False)
    return f.getvalue()


def write(catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(catalog))


def write_if_changed(catalog, path: Path, created) -> bool:
    """Write ``catalog`` unless the file holds the same messages already: then the file keeps its
    ``POT-Creation-Date`` (``created``, the date it had) and is not touched, so an extract that
    changed no message leaves no diff. True when written."""
    fresh = catalog.creation_date
    if created is not None and path.is_file():
        catalog.creation_date = created
        if render(catalog) == path.read_bytes():
            return False
        catalog.creation_date = fresh
    write(catalog, path)
    return True


def entries(catalog) -> list:
    return [m for m in catalog if m.id]


def catalog_paths(args: list[str] | None = None) -> list[Path]:
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(CATALOGS.rglob("*.po"))


def figure_alts(notebook: Path) -> list[str]:
    """The alt texts of a notebook's figures (cell metadata ``mystnb.image.alt``). Sphinx
    translates them on the page, but its gettext builder does not extract them from outputs."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    alts = []
    for cell in nb["cells"]:
        alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
        if alt and alt not in alts:
            alts.append(alt)
    return alts


def templates() -> dict[Path, list[str]]:
    """Every page's translatable strings, in order: the gettext builder's templates (build them
    first), plus the figures' alt texts of the notebooks."""
    from babel.messages.pofile import read_po

    out: dict[Path, list[str]] = {}
    for pot in sorted(POT_DIR.rglob("*.pot")):
        rel = pot.relative_to(POT_DIR).with_suffix(".po")
        if rel.parts[0] == "_static":
            continue
        with pot.open("rb") as f:
            ids = [m.id for m in read_po(f) if m.id]
        notebook = ROOT / rel.with_suffix(".ipynb")
        if notebook.is_file():
            ids += [a for a in figure_alts(notebook) if a not in ids]
        out[rel] = ids
    return out


def extract() -> None:
    """Build the templates from the sources and bring every catalog up to date with them (a catalog
    whose messages did not change is left as it is, its POT-Creation-Date included)."""
    build("gettext")
    from babel.messages.catalog import Catalog

    seen = set()
    for rel, ids in templates().items():
        seen.add(rel)
        template = Catalog(locale=LANG)
        for msgid in ids:
            template.add(msgid, "")
        target = CATALOGS / rel
        with locked():
            created = None
            if target.is_file():
                catalog = read(target)
                created = catalog.creation_date
                catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
                catalog.obsolete.clear()  # a string the sources no longer have is not kept
            else:
                catalog = Catalog(locale=LANG, project="PyTorch: Principles and Practice", fuzzy=False)
                for msgid in ids:
                    catalog.add(msgid, "")
            catalog.fuzzy = False
            if write_if_changed(catalog, target, created):
                print(f"updated {target.relative_to(ROOT)}")
    for stale in catalog_paths():
        if stale.relative_to(CATALOGS) not in seen:
            print(f"removing {stale.relative_to(ROOT)}: no such page any more")
            stale.unlink()
    n, done = stats()
    print(f"catalogs: {len(seen)} pages, {n} strings, {done} translated")


def stats(paths: list[Path] | None = None) -> tuple[int, int]:
    n = done = 0
    for path in paths or catalog_paths():
        for m in entries(read(path)):
            n += 1
            done += bool(m.string) and not m.fuzzy
    return n, done


def todo(path: Path) -> None:
    for m in entries(read(path)):
        if m.string and not m.fuzzy:
            continue
        print(f"### {key(m.id)}{'  (fuzzy: the English changed; the old translation follows it)' if m.fuzzy else ''}")
        print(m.id)
        if m.fuzzy and m.string:
            print(f"--- old: {m.string}")
        print()


def parse_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^###\s+([0-9a-f]{10})\b", line)
        if m:
            if current:
                blocks[current] = " ".join(x.strip() for x in lines if x.strip())
            current, lines = m.group(1), []
        elif current:
            lines.append(line)
    if current:
        blocks[current] = " ".join(x.strip() for x in lines if x.strip())
    return blocks


def fill(path: Path, source: Path) -> int:
    with locked():
        return _fill(path, source)


def _fill(path: Path, source: Path) -> int:
    catalog = read(path)
    blocks = parse_blocks(source.read_text(encoding="utf-8"))
    by_key = {key(m.id): m for m in entries(catalog)}
    unknown = sorted(set(blocks) - set(by_key))
    bad = 0
    for k, text in blocks.items():
        m = by_key.get(k)
        if m is None:
            continue
        for p in problems(m.id, text):
            print(f"{path.name} {k}: {p}")
            bad += 1
        m.string = text
        m.flags.discard("fuzzy")
        m.previous_id = []
    write(catalog, path)
    if unknown:
        print(f"{path.name}: {len(unknown)} keys not in the catalog: {unknown}")
    print(f"{path.name}: {len(blocks) - len(unknown)} written, {bad} problems")
    return bad + len(unknown)


@dataclass
class Report:
    strings: int
    translated: int
    problems: list[str]

    @property
    def fraction(self) -> float:
        return self.translated / self.strings if self.strings else 1.0


def current() -> list[str]:
    """How the catalogs differ from the strings of the current sources (gettext build)."""
    build("gettext")
    bad = []
    for rel, ids in templates().items():
        po = CATALOGS / rel
        if not po.is_file():
            bad.append(f"{rel}: no catalog for this page (run `make catalogs`)")
            continue
        have = {m.id for m in entries(read(po))}
        bad += [
            f"{rel} {key(i)}: not in the catalog (an English string was added or edited: run "
            f"`make catalogs` and translate it): {i[:70]}"
            for i in ids
            if i not in have
        ]
        bad += [
            f"{rel} {key(i)}: no longer in the sources (run `make catalogs`): {i[:70]}" for i in sorted(have - set(ids))
        ]
    return bad


def glossary_keys(glossary: Path = ROOT / "glossary.md") -> set[str]:
    """The glossary's English terms (tools/glossary.py): every page links to them by these keys,
    so the zh glossary keeps them as they are (its definitions are translated)."""
    return {key for key, _ in glossary_entries(glossary)}


def check(paths: list[Path] | None = None, against_sources: bool = False) -> Report:
    n = done = 0
    bad: list[str] = current() if against_sources else []
    keys = glossary_keys()
    for path in paths or catalog_paths():
        rel = path.relative_to(CATALOGS) if path.is_relative_to(CATALOGS) else path
        for m in entries(read(path)):
            if rel == Path("glossary.po") and m.id in keys:
                n += 1
                done += m.string == m.id and not m.fuzzy
                if m.string != m.id or m.fuzzy:
                    bad.append(f"{rel} {key(m.id)}: a glossary key must stay the English term: {m.id}")
                continue
            n += 1
            if not m.string:
                bad.append(f"{rel} {key(m.id)}: untranslated: {m.id[:70]}")
            elif m.fuzzy:
                bad.append(f"{rel} {key(m.id)}: fuzzy (its English changed): {m.id[:70]}")
            else:
                done += 1
                bad += [f"{rel} {key(m.id)}: {p}" for p in problems(m.id, m.string)]
    return Report(n, done, bad)


# ----------------------------------------------------------------------------- notebooks
_PREFIX = r"(?:^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d+[.)][ \t]+|>[ \t]*|[:`]{3,}\{[\w:-]+\}[ \t]*|\*\*)*|\|[ \t]*)"
_SUFFIX = r"(?=[ \t]*(?:\||$))"


_PREFIX_RE = r"(?:" + _PREFIX + r")"


def _pattern(msgid: str) -> re.Pattern:
    """``msgid`` as it stands in a cell: a whole block (a paragraph, heading, list item, table
    cell or directive title), its words separated by any whitespace (and blockquote markers)."""
    body = r"\s+(?:>[ \t]*)?".join(map(re.escape, msgid.split()))
    return re.compile(_PREFIX_RE + "(" + body + ")" + _SUFFIX, re.M)


def translate_markdown(source: str, table: dict[str, str], used: set[str]) -> str:
    """``source`` (a Markdown cell) with every catalog string in it replaced by its translation.
    Longest strings first; a replaced span is not searched again."""
    slots: list[str] = []
    text = source
    for msgid in sorted(table, key=len, reverse=True):
        pat = _pattern(msgid)

        def sub(m: re.Match, msgid: str = msgid) -> str:
            used.add(msgid)
            slots.append(table[msgid])
            return m.group(0)[: m.start(1) - m.start(0)] + f"\x00{len(slots) - 1}\x00"

        text = pat.sub(sub, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: slots[int(m.group(1))], text)


def translations(po: Path) -> dict[str, str]:
    return {m.id: m.string for m in entries(read(po)) if m.string and not m.fuzzy}


def zh_notebook(source: Path) -> tuple[dict, list[str]]:
    """The zh notebook of ``source`` and the catalog strings it did not find in its cells."""
    rel = source.relative_to(ROOT)
    po = CATALOGS / rel.with_suffix(".po")
    table = translations(po) if po.is_file() else {}
    nb = json.loads(source.read_text(encoding="utf-8"))
    out = copy.deepcopy(nb)
    used: set[str] = set()
    for cell in out["cells"]:
        image = cell.get("metadata", {}).get("mystnb", {}).get("image", {})
        if image.get("alt") in table:
            used.add(image["alt"])
            image["alt"] = table[image["alt"]]
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        new = translate_markdown(text, table, used)
        cell["source"] = new.splitlines(keepends=True)
    out["metadata"]["language_info"] = {**out["metadata"].get("language_info", {})}
    out["metadata"]["torchbook"] = {
        "language": LANG,
        "source": rel.as_posix(),
        "generated_by": "tools/i18n.py notebooks",
    }
    return out, sorted(set(table) - used)


def zh_notebook_path(source: Path) -> Path:
    return ZH_NOTEBOOKS / source.relative_to(ROOT)


def dumps(nb: dict) -> str:
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def notebooks(check_only: bool = False) -> int:
    """Write (or, with ``check_only``, compare) the zh notebook of every chapter notebook."""
    stale = 0
    sources = sorted((ROOT / "chapters").rglob("*.ipynb"))
    expected = {zh_notebook_path(s) for s in sources}
    for source in sources:
        nb, missing = zh_notebook(source)
        target = zh_notebook_path(source)
        text = dumps(nb)
        if missing:
            print(
                f"{source.relative_to(ROOT)}: {len(missing)} catalog strings not found in its cells: "
                + "; ".join(m[:60] for m in missing[:5])
            )
            stale += 1
        if check_only:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                print(f"{target.relative_to(ROOT)} is out of date: run `python tools/i18n.py notebooks`")
                stale += 1
        elif not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    for extra in ZH_NOTEBOOKS.rglob("*.ipynb") if ZH_NOTEBOOKS.is_dir() else []:
        if extra not in expected:
            print(f"{extra.relative_to(ROOT)} has no source notebook" + ("" if check_only else ": removed"))
            stale += check_only
            if not check_only:
                extra.unlink()
    return stale


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("extract")
    p = sub.add_parser("todo")
    p.add_argument("po", type=Path)
    p = sub.add_parser("fill")
    p.add_argument("po", type=Path)
    p.add_argument("file", type=Path)
    p = sub.add_parser("check")
    p.add_argument("po", nargs="*")
    p.add_argument("--current", action="store_true", help="also compare the catalogs with the sources")
    p = sub.add_parser("notebooks")
    p.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "extract":
        extract()
    elif a.cmd == "todo":
        todo(a.po)
    elif a.cmd == "fill":
        return 1 if fill(a.po, a.file) else 0
    elif a.cmd == "check":
        r = check(catalog_paths(a.po), against_sources=a.current)
        for line in r.problems:
            print(line)
        print(f"translated: {r.translated}/{r.strings} strings ({100 * r.fraction:.1f} %), {len(r.problems)} problems")
        return 1 if r.problems else 0
    elif a.cmd == "notebooks":
        return 1 if notebooks(a.check) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
