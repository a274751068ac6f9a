"""tools/check_links.py: the site's internal links and anchors, checked offline."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import check_links  # noqa: E402


def site(root: Path, links: str) -> Path:
    (root / "en" / "chapters").mkdir(parents=True)
    (root / "en" / "_static").mkdir()
    (root / "en" / "_static" / "x.css").write_text("")
    (root / "en" / "_static" / "page.html").write_text('<a href="nowhere.html">not a page of the book</a>')
    (root / "en" / "chapters" / "b.html").write_text('<h2 id="sec">B</h2><a name="old"></a>')
    (root / "en" / "a.html").write_text(f'<h1 id="top">A</h1><link href="_static/x.css?v=1">{links}')
    return root / "en"


@pytest.mark.parametrize(
    "link",
    [
        '<a href="chapters/b.html#sec">',
        '<a href="chapters/b.html#old">',
        '<a href="#top">',
        '<a href="https://pytorch.org/missing">',
        '<img src="data:image/png;base64,AA">',
        '<a href="chapters/">',
    ],
)
def test_links_that_resolve_pass(tmp_path: Path, link: str) -> None:
    root = site(tmp_path, link)
    if link == '<a href="chapters/">':
        (root / "chapters" / "index.html").write_text("<p>chapter index</p>")
    assert check_links.main([str(root)]) == 0


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ('<a href="chapters/b.html#nope">', "no id 'nope'"),
        ('<a href="#nowhere">', "no id 'nowhere'"),
        ('<a href="chapters/c.html">', "no file"),
        ('<img src="images/fig.png">', "no file"),
        ('<script src="_static/missing.js"></script>', "no file"),
    ],
)
def test_a_broken_link_or_anchor_fails_and_is_named(tmp_path: Path, link: str, why: str, capsys) -> None:
    root = site(tmp_path, link)
    assert check_links.main([str(root)]) == 1
    out = capsys.readouterr().out
    assert why in out and "a.html" in out and "1 broken" in out


def test_ignored_urls_and_static_pages_are_not_checked(tmp_path: Path) -> None:
    root = site(tmp_path, '<a href="pdf/book-en.pdf">PDF</a>')
    assert check_links.main([str(root), "--ignore", r".*/?pdf/book-(en|zh)\.pdf$"]) == 0
    assert check_links.main([str(root)]) == 1


def test_a_missing_build_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert check_links.main([str(tmp_path / "_build" / "html" / "en")]) == 2
    assert "build the site first" in capsys.readouterr().out
