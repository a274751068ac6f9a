"""Check the built site's internal links and #anchors, offline.

    python tools/check_links.py _build/html/en _build/html/index.html [--ignore REGEX ...]

Every ``href`` and ``src`` of every HTML page given (folders are searched for ``*.html``, leaving
out ``_static``) must name a file that exists in the build, and a ``#fragment`` must name an
``id`` (or an ``<a name>``) in the page it points to. URLs that match an ``--ignore`` pattern
(external ones: CI has no internet) are not checked. Exit status 1 with one line per broken link
(page, link, what is wrong), 0 when every link resolves.
"""

from __future__ import annotations

import argparse
import re
import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"href", "src"}
EXTERNAL = r"^(https?|mailto|javascript|data|tel):|^//"


class _Page(HTMLParser):
    """The links (tag, attribute, value) and anchor names of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LINK_ATTRIBUTES and tag != "base":
                self.links.append(value)
            elif name == "id" or (name == "name" and tag == "a"):
                self.anchors.add(value)


@cache
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def pages(targets: list[Path]) -> list[Path]:
    """The HTML files named, and those under the folders named (without their ``_static``)."""
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            found += sorted(p for p in target.rglob("*.html") if "_static" not in p.relative_to(target).parts)
        else:
            found.append(target)
    return found


def broken(page: Path, ignore: list[re.Pattern]) -> list[str]:
    """What is wrong with the links of ``page``, one line per broken link (empty when none is)."""
    problems = []
    for link in parse(page).links:
        if not link or re.match(EXTERNAL, link) or any(p.search(link) for p in ignore):
            continue
        parts = urlsplit(link)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{page}: {link}: no file {target}")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).anchors:
            problems.append(f"{page}: {link}: no id {unquote(parts.fragment)!r} in {target.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", type=Path, help="HTML files or folders of the built site")
    parser.add_argument("--ignore", action="append", default=[], help="regular expression of URLs not checked")
    args = parser.parse_args(argv)
    missing = [t for t in args.targets if not t.exists()]
    if missing:
        print(f"check_links: {', '.join(map(str, missing))} not found: build the site first (make build)")
        return 2
    ignore = [re.compile(p) for p in args.ignore]
    checked = pages(args.targets)
    problems = [line for page in checked for line in broken(page, ignore)]
    links = sum(len(parse(page).links) for page in checked)
    for line in problems:
        print(line)
    print(f"check_links: {len(checked)} pages, {links} links, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
