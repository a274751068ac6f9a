"""The site's icons (the theme's Font Awesome icons): in both editions, on a phone (390 px) and a
desktop (1280 px), every icon a reader can see is drawn by its icon font (or is an SVG), never as
an empty box by a text font (a font rule on every Chinese element did that to every zh page); the
menus, the sidebars and the search dialog are opened to show their icons too. Chromium itself
says which font drew each icon (DevTools' CSS.getPlatformFontsForNode), and that font must have
the icon's glyph (a font without it draws a box). The icon fonts hold only the icons the site
uses (_ext/torchbook_site/icons.py), and every icon of every page is in them.

Economy: one visit per page, edition and width (12 visits); the dialogs and colour modes on the
first page only (about 27 s on 2 cores).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import BOOK, ROOT

PAGES = [
    "intro.html",
    "chapters/07_tools/07_2_debugging_and_resources.html",  # a note, external links
    "search.html?q=tensor",
]
PUA = re.compile("[\ue000-\uf8ff]")  # the icon fonts' code points

# Mark the icons the page shows: every ::before/::after whose text is a private-use character (the
# icon fonts' code points), outside maths, code and SVG, which draw with fonts of their own. Icons
# drawn alike (same element, classes, character, font) are checked once. A Font Awesome element
# ("fa-solid fa-list") with neither such a ::before nor an SVG inside is an icon not drawn.
FIND_ICONS = r"""() => {
  const PUA = /[\ue000-\uf8ff]/;
  const STYLE = /^(fa|fas|far|fab|fa-solid|fa-regular|fa-brands)$/;
  const SKIP = "pre, code, svg, math, mjx-container, .katex, .highlight";
  document.querySelectorAll("[data-tb-icon]").forEach((el) => {
    ["data-tb-icon", "data-tb-icon-before", "data-tb-icon-after"].forEach((a) => el.removeAttribute(a));
  });
  const icons = [], undrawn = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT, {
    acceptNode: (el) => (el.matches(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  while (walker.nextNode()) {
    const el = walker.currentNode;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!(r.width > 0 && r.height > 0 && st.visibility === "visible")) continue;
    const name = el.tagName.toLowerCase() + "." + [...el.classList].join(".");
    const classes = [...el.classList];
    const isIcon = classes.some((c) => STYLE.test(c)) && classes.some((c) => c.startsWith("fa-") && !STYLE.test(c));
    let drawn = false;
    for (const pseudo of ["before", "after"]) {
      const ps = getComputedStyle(el, "::" + pseudo);
      if (!PUA.test(ps.content)) continue;
      drawn = drawn || pseudo === "before";
      const key = [name, pseudo, ps.content, ps.fontFamily, ps.fontWeight].join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      el.dataset.tbIcon = (el.dataset.tbIcon || "") + pseudo + " ";
      el.setAttribute("data-tb-icon-" + pseudo, ps.content);
      icons.push({name, pseudo});
    }
    if (isIcon && !drawn && !el.querySelector("svg")) undrawn.push(name);
  }
  return {icons: icons.length, undrawn};
}"""


def icon_fonts(site: Path) -> dict[str, set[int]]:
    """The site's icon fonts: PostScript name (as Chromium reports it) -> the characters it has."""
    from fontTools.ttLib import TTFont

    sys.path.insert(0, str(ROOT / "_ext"))
    from torchbook_site.icons import FONTS

    fonts = {}
    for path in (site / "_static" / FONTS).glob("*.woff2"):
        font = TTFont(path)
        fonts[font["name"].getDebugName(6)] = set(font.getBestCmap())
    assert fonts, f"no icon fonts in {site / '_static' / FONTS}"
    return fonts


def icons_not_drawn(page, cdp, where: str, fonts: dict[str, set[int]]) -> tuple[int, list[str]]:
    """How many kinds of icon ``page`` shows now, and those not drawn by an icon font of the site
    (``fonts``: icon_fonts) that has their glyph. Chromium names the font that drew each icon;
    a font without the glyph draws a box, and Chromium still names it: its characters tell."""
    found = page.evaluate(FIND_ICONS)
    bad = [f"{where}: {name} has no icon" for name in found["undrawn"]]
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    checked = 0
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-tb-icon]"})["nodeIds"]:
        element = cdp.send("DOM.describeNode", {"nodeId": node})["node"]
        attrs = element.get("attributes") or []
        attributes = dict(zip(attrs[::2], attrs[1::2]))
        marks, classes = attributes.get("data-tb-icon", "").split(), attributes.get("class", "")
        for pseudo in element.get("pseudoElements") or []:
            if pseudo.get("pseudoType") not in marks:
                continue
            checked += 1
            what = f"{element['localName']}.{'.'.join(classes.split())}::{pseudo['pseudoType']}"
            chars = {ord(c) for c in attributes.get(f"data-tb-icon-{pseudo['pseudoType']}", "") if PUA.match(c)}
            drew = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": pseudo["nodeId"]})["fonts"]
            names = sorted({f["postScriptName"] for f in drew})
            if not names or not all(n in fonts for n in names):
                bad.append(f"{where}: {what} drawn by {sorted({f['familyName'] for f in drew})}, not an icon font")
            elif not all(chars <= fonts[n] for n in names):
                bad.append(f"{where}: {what} is a box: {names} lack {sorted(f'{c:x}' for c in chars)}")
    if checked != found["icons"]:
        bad.append(f"{where}: {found['icons']} icons marked, {checked} found by DevTools")
    return checked, bad


def _open_and_check(page, cdp, where: str, fonts: dict[str, set[int]], everything: bool) -> tuple[int, list[str]]:
    """The page as loaded, then with each of its menus open; with ``everything``, also with the
    table of contents (a dialog on a phone) and the search dialog open, in the other colour modes."""
    count, bad = icons_not_drawn(page, cdp, where, fonts)

    def check(state: str) -> None:
        nonlocal count, bad
        n, b = icons_not_drawn(page, cdp, f"{where} ({state})", fonts)
        count, bad = count + n, bad + b

    toggles = page.locator(".article-header-buttons .dropdown-toggle:visible")
    for i in range(toggles.count()):
        toggles.nth(i).click()
        page.wait_for_selector(".dropdown-menu.show")
        check(f"menu {i + 1} open")
        page.keyboard.press("Escape")
    if not everything:
        return count, bad
    dialogs = [(".search-button__button", "#pst-search-dialog")]
    if page.viewport_size["width"] < 992:  # the table of contents is a dialog on a phone only
        dialogs.append((".primary-toggle", "#pst-primary-sidebar-modal"))
    for button, dialog in dialogs:
        toggle = page.locator(f"{button}:visible").first
        if toggle.count() and page.locator(dialog).count():
            toggle.click()
            page.wait_for_function(f"document.querySelector('{dialog}').open")
            check(f"{dialog} open")
            page.keyboard.press("Escape")
            page.wait_for_function(f"!document.querySelector('{dialog}').open")
    theme = page.locator("button.theme-switch-button:visible").first
    for _ in range(2):  # the other two colour modes' icons
        before = page.evaluate("document.documentElement.dataset.mode")
        theme.click()
        page.wait_for_function(f"document.documentElement.dataset.mode !== '{before}'")
        check(page.evaluate("document.documentElement.dataset.mode") + " mode")
    return count, bad


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_every_visible_icon_is_drawn_by_its_icon_font(
    browser, root_server: str, zh_site: Path, edition: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(root_server) else r.abort())
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    fonts = icon_fonts(BOOK / edition)
    total, bad = 0, []
    for path in PAGES:
        page.goto(f"{root_server}/{edition}/{path}", wait_until="load")
        page.wait_for_function("document.fonts.ready.then(() => true)")
        if path.startswith("search"):
            page.wait_for_selector("#search-results li", timeout=20_000)
        count, problems = _open_and_check(page, cdp, f"{edition}/{path} at {width} px", fonts, path == PAGES[0])
        assert count >= 5, f"{edition}/{path} at {width} px: only {count} icons found"
        total += count
        bad += problems
    context.close()
    assert not bad, bad


def test_the_icon_fonts_hold_every_icon_of_every_page_and_little_else(site: Path, zh_site: Path) -> None:
    """Every ``fa-<name>`` class of every page has its glyph in the site's icon fonts, which are
    small (subsets: the theme's are 25-160 KB each)."""
    from fontTools.ttLib import TTFont

    sys.path.insert(0, str(ROOT / "_ext"))
    from torchbook_site.icons import FONT_FILES, FONTS, STYLESHEET, catalogue, theme_static, used_classes

    icons = catalogue((theme_static() / STYLESHEET).read_text(encoding="utf-8"))
    for edition in (site, zh_site):
        fonts = edition / "_static" / FONTS
        have: set[int] = set()
        for name in FONT_FILES:
            woff2 = fonts / f"{name}.woff2"
            assert woff2.stat().st_size < 16_000, f"{woff2} is {woff2.stat().st_size} bytes: not a subset"
            have |= set(TTFont(woff2).getBestCmap())
        pages = [p.read_text(encoding="utf-8") for p in edition.rglob("*.html") if "_static" not in p.parts]
        used = used_classes(pages) & set(icons)
        assert {"fa-magnifying-glass", "fa-bars", "fa-list", "fa-chevron-down"} <= used, sorted(used)
        missing = sorted(f"{name} ({ord(c):x})" for name in used for c in icons[name] if ord(c) not in have)
        assert not missing, f"{edition.name}: icons used by the pages but not in the icon fonts: {missing}"
