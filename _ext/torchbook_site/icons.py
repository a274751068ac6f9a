"""The theme's icons, and only those the site shows.

pydata-sphinx-theme draws its icons (search, menus, sidebar arrows, admonitions) with Font
Awesome's web fonts: ``_static/vendor/fontawesome/webfonts/fa-{solid-900,regular-400,brands-400}``
(about 270 KB of woff2 on a first visit) and a catalogue of some 1,900 ``.fa-<name>:before`` rules
in its stylesheet, while the book shows a few dozen icons. After the build this module rewrites
the built site's copies, from the theme's own files:

- every font keeps only the glyphs of the icons the site uses: the ``fa-<name>`` classes in its
  HTML pages and scripts, and the icons the stylesheets draw themselves (admonitions, external
  links, breadcrumbs: every private-use character outside the catalogue);
- the stylesheet's catalogue keeps only the rules of the classes the site uses.

An icon the theme adds in a later version is found the same way (its class is in the pages or its
scripts). tests/site/test_icon_fonts.py checks in Chromium that every icon a reader sees is drawn by
its icon font, and that every icon class of every page has its glyph in the subsets. Needs
fontTools and Brotli (woff2), both in requirements.txt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FONTS = "vendor/fontawesome/webfonts"  # under the theme's static folder and the site's _static
STYLESHEET = "styles/pydata-sphinx-theme.css"
FONT_FILES = ["fa-solid-900", "fa-regular-400", "fa-brands-400"]
# One catalogue rule: ".fa-house:before,.fa-home:before{content:"\f015"}".
CATALOGUE_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:{1,2}(?:before|after),?)+)\{content:"([^"]*)"\}')
ICON_CLASS = re.compile(r"(?<![\w-])fa-[a-z0-9]+(?:-[a-z0-9]+)*")
# Not scanned for icon classes: maths (its own fonts) and Font Awesome's SVG script, which names
# every icon and is on no page (_ext/templates/layout.html).
VENDORED = {"mathjax", "katex", "fontawesome.js"}
PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]|\\(?:e[0-9a-f]{3}|f[0-8][0-9a-f]{2})\b ?", re.I)


def css_text(value: str) -> str:
    """A CSS string's characters, its escapes (``\\f015``, ``\\30 ``) decoded."""
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), value)


def catalogue(css: str) -> dict[str, str]:
    """Icon class -> the characters its ``:before`` draws, from a Font Awesome stylesheet."""
    icons: dict[str, str] = {}
    for selectors, content in CATALOGUE_RULE.findall(css):
        for name in re.findall(r"\.(fa-[a-z0-9-]+):", selectors):
            icons[name] = css_text(content)
    return icons


def drawn_by_stylesheets(css: str) -> set[str]:
    """The private-use characters (icons) a stylesheet draws outside the catalogue rules."""
    rest = CATALOGUE_RULE.sub("", css)
    return {css_text(m.group(0).strip()) for m in PRIVATE_USE.finditer(rest)}


def used_classes(texts: Iterable[str]) -> set[str]:
    """The ``fa-<name>`` tokens in pages and scripts (a superset of the icons shown)."""
    found: set[str] = set()
    for text in texts:
        found.update(ICON_CLASS.findall(text))
    return found


def trim_catalogue(css: str, keep: set[str]) -> str:
    """The stylesheet with only the catalogue rules of the classes in ``keep``."""

    def rule(m: re.Match[str]) -> str:
        names = [n for n in re.findall(r"\.(fa-[a-z0-9-]+):", m.group(1)) if n in keep]
        return ",".join(f".{n}:before" for n in names) + f'{{content:"{m.group(2)}"}}' if names else ""

    return CATALOGUE_RULE.sub(rule, css)


def subset_font(source: Path, dest: Path, characters: set[str]) -> None:
    """``source`` (a TrueType font) with only the glyphs of ``characters``, written to ``dest``
    (woff2 when its name ends in .woff2)."""
    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # not a line per table of each font
    options = subset.Options()
    options.name_IDs = ["*"]  # the copyright and licence (SIL OFL) stay in the font
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.flavor = "woff2" if dest.suffix == ".woff2" else None
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    subset.save_font(font, str(dest), options)


def site_pages(site: Path) -> list[Path]:
    """The HTML pages of one edition's folder (not its ``_static``)."""
    return [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static"]


def theme_static() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def subset_site(site: Path, theme: Path | None = None) -> dict[str, Any]:
    """Rewrite ``site``'s (one edition's html folder) icon fonts and stylesheet from the theme's
    originals in ``theme`` (its static folder): only the icons used. Returns what was kept."""
    theme = theme or theme_static()
    static = site / "_static"
    original_css = (theme / STYLESHEET).read_text(encoding="utf-8")
    icons = catalogue(original_css)
    texts = [p.read_text(encoding="utf-8") for p in site_pages(site)]
    scripts = [p for p in static.rglob("*.js") if not VENDORED.intersection(p.relative_to(static).parts)]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in scripts]
    classes = used_classes(texts) & set(icons)
    characters = {c for name in classes for c in icons[name]}
    for sheet in static.rglob("*.css"):
        if not VENDORED.intersection(sheet.relative_to(static).parts):
            text = original_css if sheet == static / STYLESHEET else sheet.read_text(encoding="utf-8")
            characters |= drawn_by_stylesheets(text)
    characters |= {c for text in texts for c in re.findall(r"[\ue000-\uf8ff]", text)}
    for name in FONT_FILES:
        for suffix in (".woff2", ".ttf"):
            dest = static / FONTS / (name + suffix)
            if dest.is_file():
                subset_font(theme / FONTS / f"{name}.ttf", dest, characters)
    (static / STYLESHEET).write_text(trim_catalogue(original_css, classes), encoding="utf-8")
    return {"classes": sorted(classes), "characters": sorted(characters)}


def _subset_icons(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        subset_site(Path(app.outdir))


def setup(app: Any) -> None:
    app.connect("build-finished", _subset_icons, priority=900)  # after the pages are final
