"""The icon subsets (_ext/torchbook_site/icons.py) on a small site made here, from the installed
theme's own Font Awesome files: no build needed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import icons  # noqa: E402

CSS = (
    '.fa-0:before{content:"\\30 "}.fa-house:before,.fa-home:before{content:"\\f015"}'
    '.fa-list:before{content:"\\f03a"}.x{color:red}'
    '.admonition-title:after{content:"\\f05a";font:var(--fa-font-solid)}html{--pst-icon-bell:"\uf0f3"}'
)


def test_catalogue_reads_every_name_of_a_rule() -> None:
    assert icons.catalogue(CSS) == {"fa-0": "0", "fa-house": "\uf015", "fa-home": "\uf015", "fa-list": "\uf03a"}


def test_stylesheets_draw_their_own_icons_outside_the_catalogue() -> None:
    assert icons.drawn_by_stylesheets(CSS) == {"\uf05a", "\uf0f3"}


def test_used_classes_are_whole_tokens() -> None:
    pages = ['<i class="fa-solid fa-house fa-lg"></i>', "classList.add('fa-xmark')", "sofa-bed fa-"]
    assert icons.used_classes(pages) == {"fa-solid", "fa-house", "fa-lg", "fa-xmark"}


def test_trim_catalogue_keeps_the_rules_of_used_classes_only() -> None:
    out = icons.trim_catalogue(CSS, {"fa-home"})
    assert '.fa-home:before{content:"\\f015"}' in out
    assert "fa-list" not in out and "fa-house" not in out and "fa-0" not in out
    assert ".x{color:red}" in out and ".admonition-title:after" in out


@pytest.fixture(scope="module")
def theme() -> Path:
    static = icons.theme_static()
    if not (static / icons.STYLESHEET).is_file():
        pytest.skip("pydata-sphinx-theme is not installed")
    return static


def test_subset_site_keeps_only_the_icons_used(theme: Path, tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    site = tmp_path / "en"
    static = site / "_static"
    shutil.copytree(theme / icons.FONTS, static / icons.FONTS)
    (static / icons.STYLESHEET).parent.mkdir(parents=True)
    shutil.copy(theme / icons.STYLESHEET, static / icons.STYLESHEET)
    (site / "page.html").write_text('<i class="fa-solid fa-bars"></i><i class="fab fa-github"></i>', encoding="utf-8")
    (static / "extra.js").write_text('button.innerHTML = "<i class=\\"fa-solid fa-xmark\\"></i>"', encoding="utf-8")
    kept = icons.subset_site(site, theme)
    assert kept["classes"] == ["fa-bars", "fa-github", "fa-xmark"]
    solid = TTFont(static / icons.FONTS / "fa-solid-900.woff2").getBestCmap()
    brands = TTFont(static / icons.FONTS / "fa-brands-400.woff2").getBestCmap()
    assert {0xF0C9, 0xF00D} <= set(solid) and 0xF09B in brands  # bars, xmark; github
    assert 0xF015 not in solid  # the house: on no page
    assert 0xF05A in solid  # the admonitions' info icon, drawn by the theme's stylesheet
    for name in icons.FONT_FILES:
        assert (static / icons.FONTS / f"{name}.woff2").stat().st_size < 16_000
    css = (static / icons.STYLESHEET).read_text(encoding="utf-8")
    assert ".fa-bars:before" in css and ".fa-house:before" not in css
    assert len(css) < 0.85 * len((theme / icons.STYLESHEET).read_text(encoding="utf-8"))
