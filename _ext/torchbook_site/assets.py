"""The site's own assets, and on each page only the assets it uses.

- ``_static/torchbook.css`` and ``_static/torchbook.js`` on every page.
- Each stylesheet and script once: Jupyter Book adds the files of ``_static`` that this module
  adds too, and Sphinx 7.4 adds the inline setup scripts of sphinx-thebe and sphinx-togglebutton
  twice (the second ``const THEBE_JS_URL`` is a JS error). A script's first copy keeps its
  place, a stylesheet's last (the one whose rules win).
- Extensions put their assets on every page (myst-nb even one page's scripts): a page keeps an
  extension's stylesheets and scripts only when its HTML holds what they style or drive
  (``USES``). No page has sphinx-thebe's live-code button or a sphinx-design component, so
  their assets are on none.
- Sphinx's ``basic.css``, which the theme's first stylesheet imports, is preloaded from the top
  of every page: fetched with the other stylesheets, not after the one that imports it.
- Images in a page load when the reader scrolls near them (``loading="lazy"``), not all on
  arrival; the single-page build (make pdf) loads every image.
- No source maps: the themes' ``*.map`` files are removed from the site, and the references to
  them from its scripts and stylesheets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_TOGGLE = re.compile(r'class="[^"]*\b(?:toggle|dropdown)\b')
_CODE = re.compile(r'class="[^"]*\bhighlight\b')
# an asset (a part of its file name, or of an inline script's text, in lower case) -> what a
# page's HTML holds when the page uses the asset
USES: dict[str, re.Pattern[str]] = {
    "katex": re.compile(r'class="[^"]*\bkatex\b'),
    "togglebutton": _TOGGLE,  # its files, and the inline togglebuttonSelector
    "togglehint": _TOGGLE,
    "toggleopenonprint": _TOGGLE,
    "copybutton": _CODE,
    "clipboard.min.js": _CODE,
    "pygments.css": _CODE,
    "mystnb.": re.compile(r'class="[^"]*\b(?:cell|output|pasted-text|pasted-inline)\b'),
    "exercise.css": re.compile(r'class="[^"]*\b(?:exercise|solution)\b'),
    "sphinx-design": re.compile(r'class="[^"]*\bsd-'),
    "design-tabs": re.compile(r'class="[^"]*\bsd-tab'),
    "thebe": re.compile(r'class="[^"]*\bthebe'),  # its files, and the inline THEBE_JS_URL
}
IMPORTED = ["basic.css"]  # in _static: the stylesheets the theme's stylesheets @import
_IMG = re.compile(r"<img (?![^>]*\bloading=)")
_SOURCE_MAP = re.compile(rb"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^*]*\*/)")


def asset_key(asset: Any) -> str:
    """What identifies a stylesheet or script: its file (without ``?v=``), or an inline script's
    text."""
    name = str(getattr(asset, "filename", asset) or "")
    if name:
        return name.split("?")[0]
    return str((getattr(asset, "attributes", {}) or {}).get("body", ""))


def used(asset: Any, body: str) -> bool:
    """Whether a page whose HTML is ``body`` uses ``asset``."""
    key = asset_key(asset).lower()
    return all(pattern.search(body) for part, pattern in USES.items() if part in key)


def lazy_images(body: str) -> str:
    """``body`` with every image that does not say how to load marked ``loading="lazy"``."""
    return _IMG.sub('<img loading="lazy" ', body)


def _page_assets(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Each stylesheet and script of the page once, and only those the page uses; the imported
    stylesheets preloaded; its images lazy."""
    body = context.get("body", "")
    if app.builder.name == "html" and body:
        context["body"] = lazy_images(body)
    if "pathto" in context:  # metatags: the first lines of <head>
        preload = [f'<link rel="preload" href="{context["pathto"]("_static/" + f, 1)}" as="style" />' for f in IMPORTED]
        context["metatags"] = context.get("metatags", "") + "\n".join(preload) + "\n"
    for name in ("css_files", "script_files"):
        assets = context.get(name)
        if not assets:
            continue
        last = name == "css_files"  # a stylesheet's last copy is the one whose rules win
        seen: set[str] = set()
        kept = []
        for asset in reversed(assets) if last else assets:
            key = asset_key(asset)
            if key in seen or not used(asset, body):
                continue
            seen.add(key)
            kept.append(asset)
        assets[:] = reversed(kept) if last else kept


def strip_source_maps(static: Path) -> list[Path]:
    """Remove the ``*.map`` files under ``static`` and the references to them; returns the files
    changed or removed."""
    changed = []
    for path in sorted(static.rglob("*")):
        if path.suffix == ".map" and path.is_file():
            path.unlink()
            changed.append(path)
        elif path.suffix in (".js", ".css") and path.is_file():
            data = path.read_bytes()
            if b"sourceMappingURL=" in data:
                path.write_bytes(_SOURCE_MAP.sub(b"", data))
                changed.append(path)
    return changed


def _no_source_maps(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        strip_source_maps(Path(app.outdir) / "_static")


def setup(app: Any) -> None:
    # late: after Sphinx and the extensions added their assets (myst-nb a page's own at 500)
    app.connect("html-page-context", _page_assets, priority=800)
    # last: after every module that rewrites the site's static files (icons: 900)
    app.connect("build-finished", _no_source_maps, priority=990)
    app.add_css_file("torchbook.css")
    app.add_js_file("torchbook.js", loading_method="defer")
