"""The article header and the site's root page.

- The header is one row of buttons on a phone (390 px) and a desktop (1280 px), in both editions;
  the language switch is one of them, of their size, named for screen readers (its name holds
  the text it shows), with the language and ``hreflang`` of the edition it opens.
- The root page (tools/book.py ``CHOOSER``) is a landing page: the title and a line about each
  edition. A browser whose first language is Chinese or English goes on to that edition; any
  other reader, and a browser without JavaScript, sees both editions; ``#choose`` always stays.

Economy: 8 page visits and 6 visits of the root page (about 18 s on 2 cores).
"""

from __future__ import annotations

import pytest

PAGES = ["intro.html", "chapters/05_practice/05_3_mnist_mlp.html"]  # a notebook page has the most buttons
OTHER = {"en": ("zh", "zh-CN"), "zh": ("en", "en")}

HEADER_JS = r"""() => {
  const header = document.querySelector(".bd-header-article");
  const shown = (el) => {
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility === "visible" && !el.closest(".dropdown-menu");
  };
  const buttons = [...header.querySelectorAll(".btn, button")].filter(shown).map((el) => {
    const r = el.getBoundingClientRect();
    return {name: el.className, switch: el.classList.contains("tb-language-switch"),
            top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};
  });
  return {height: header.getBoundingClientRect().height, width: document.documentElement.clientWidth, buttons};
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_the_header_is_one_row_and_the_switch_one_of_its_buttons(
    browser, root_server: str, zh_site, edition: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(root_server) else r.abort())
    page = context.new_page()
    bad = []
    for path in PAGES:
        page.goto(f"{root_server}/{edition}/{path}", wait_until="load")
        where = f"{edition}/{path} at {width} px"
        h = page.evaluate(HEADER_JS)
        buttons, switch = h["buttons"], [b for b in h["buttons"] if b["switch"]]
        others = [b for b in buttons if not b["switch"]]
        if len(switch) != 1 or len(others) < 4:
            bad.append(f"{where}: {len(switch)} language switches, {len(others)} other buttons")
            continue
        (s,) = switch
        middles = [(b["top"] + b["bottom"]) / 2 for b in buttons]
        if max(middles) - min(middles) > 4:
            bad.append(f"{where}: buttons in more than one row: {sorted(middles)}")
        if h["height"] > 60:
            bad.append(f"{where}: the header is {h['height']:.0f} px high")
        if max(b["right"] for b in buttons) > h["width"]:
            bad.append(f"{where}: a button is outside the page")
        heights = sorted(b["height"] for b in others)
        if abs(s["height"] - heights[len(heights) // 2]) > 2 or s["width"] > max(b["width"] for b in others) + 1:
            bad.append(f"{where}: the switch is {s['width']:.0f}x{s['height']:.0f} px, the buttons {heights}")
        link = page.locator("a.tb-language-switch")
        target, lang = OTHER[edition]
        name, text = link.get_attribute("aria-label") or "", link.inner_text().strip()
        if not text or not name.startswith(text):  # the name holds the text shown (WCAG 2.5.3)
            bad.append(f"{where}: the switch shows {text!r}, its name is {name!r}")
        if link.get_attribute("hreflang") != lang or link.get_attribute("lang") != lang:
            bad.append(f"{where}: hreflang/lang {link.get_attribute('hreflang')}/{link.get_attribute('lang')}")
        href = link.get_attribute("href") or ""
        if not href.endswith(f"{target}/{path}"):
            bad.append(f"{where}: the switch opens {href}")
    context.close()
    assert not bad, bad


def _root(browser, root_server: str, locale: str, path: str = "index.html", javascript: bool = True):
    context = browser.new_context(locale=locale, java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{root_server}/{path}", wait_until="load")
    return context, page


@pytest.mark.parametrize(("locale", "edition"), [("zh-CN", "zh"), ("zh-TW", "zh"), ("en-GB", "en")])
def test_the_root_page_opens_the_readers_edition(browser, root_server: str, zh_site, locale: str, edition: str) -> None:
    context, page = _root(browser, root_server, locale)
    page.wait_for_url(f"{root_server}/{edition}/intro.html")
    context.close()


@pytest.mark.parametrize(
    ("locale", "javascript", "path"),
    [("fr-FR", True, "index.html"), ("zh-CN", False, "index.html"), ("zh-CN", True, "index.html#choose")],
)
def test_the_root_page_shows_both_editions_to_everyone_else(
    browser, root_server: str, zh_site, locale: str, javascript: bool, path: str
) -> None:
    context, page = _root(browser, root_server, locale, path, javascript)
    page.wait_for_timeout(300)  # time to go elsewhere, if it did
    assert page.url == f"{root_server}/{path}"
    title = page.locator("h1").inner_text()
    assert "PyTorch: Principles and Practice" in title and "PyTorch：原理与实践" in title
    for href, lang in [("en/intro.html", "en"), ("zh/intro.html", "zh-CN")]:
        link = page.locator(f'a[href="{href}"]')
        assert link.is_visible() and link.get_attribute("hreflang") == lang
        about = link.locator("xpath=following-sibling::p").inner_text()
        assert len(about) > 10, f"no line about the {lang} edition"
    context.close()
