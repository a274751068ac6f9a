"""The site as readers meet it (issue 10): phones, offline maths, figures, references, Chinese
search, no sideways scroll, Chinese marked as Chinese, accessibility (axe-core), the verified
stamp and exercise numbers. (Page weight and speed: test_budget.py.)

Economy (the whole of `make test` has 15 minutes on 2 cores): one Chromium, one visit per page
at 1280 px with the internet blocked (maths, Chinese marking, axe) and one at 390 px (width);
the checks that need no browser read the HTML files.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHAPTER = "chapters/05_practice/05_3_mnist_mlp.html"
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RAW_TEX_JS = r"""() => {
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!/\\\(|\\\[|\\begin\{|\$\$|\\frac\{/.test(node.nodeValue)) continue;
    if (node.parentElement.closest("pre, code, kbd, script, style, textarea, .katex, .highlight")) continue;
    bad.push(node.nodeValue.trim().slice(0, 80));
  }
  return bad;
}"""

# Typeset at build time (KaTeX): every formula holds KaTeX's HTML, and once the fonts are ready
# none of KaTeX's fonts failed and at least one loaded.
KATEX_JS = r"""async () => {
  await document.fonts.ready;
  const maths = document.querySelectorAll("article .math");
  const katex = [...document.fonts].filter(f => f.family.replace(/["']/g, "").startsWith("KaTeX"));
  return {
    formulas: maths.length,
    typeset: [...maths].filter(m => m.querySelector(".katex")).length,
    loaded: katex.filter(f => f.status === "loaded").length,
    failed: katex.filter(f => f.status === "error").map(f => f.family),
  };
}"""

UNMARKED_CHINESE_JS = r"""() => {
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!/[\u3400-\u4dbf\u4e00-\u9fff]/.test(node.nodeValue)) continue;
    const el = node.parentElement;
    if (el.closest('script, style, .katex, [lang^="zh"]')) continue;
    bad.push(node.nodeValue.trim().slice(0, 40));
  }
  const zh = document.querySelector('[lang="zh-CN"]');
  return {bad, font: zh ? getComputedStyle(zh).fontFamily : null};
}"""


WIDTH_JS = r"""() => {
  const W = document.documentElement.clientWidth;
  let widest = null, right = W;
  for (const el of document.querySelectorAll('article *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= right + 0.5) continue;
    let p = el.parentElement, clipped = false;
    while (p) { if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; } p = p.parentElement; }
    if (!clipped) { right = r.right; widest = el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 50); }
  }
  return {scroll: document.documentElement.scrollWidth, client: W, widest};
}"""


class _Text(HTMLParser):
    """The text of a page's article (what the search index holds), without scripts and styles
    and without the boxes the extension adds to the written page (stamp, run cost: not indexed)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside <article>
        self.skip = 0
        self.asides: list[bool] = []  # per open <aside>: is it one of the extension's boxes
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "aside":
            self.asides.append(any(k == "class" and (v or "").startswith("tb-") for k, v in attrs))
            self.skip += self.asides[-1]

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "aside" and self.asides:
            self.skip -= self.asides.pop()

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


def article_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join(parser.parts)


# ----------------------------------------------------------------------------- one visit per page
@pytest.fixture(scope="session")
def desktop_visits(offline, server: str, pages: list[str]) -> dict[str, dict]:
    """Visit every page once, at 1280 px with the internet blocked: maths, Chinese marking, axe;
    then the same page at 390 px: its width."""
    assert AXE.is_file(), "axe-core is missing: run `npm ci` (make build does it)"
    results: dict[str, dict] = {}
    page = offline.new_page()
    for path in pages:
        page.goto(f"{server}/{path}", wait_until="load")
        has_math = page.evaluate("() => !!document.querySelector('.math')")
        maths = page.evaluate(KATEX_JS) if has_math else None
        chinese = page.evaluate(UNMARKED_CHINESE_JS)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, n: v.nodes.length,"
            " target: v.nodes[0].target.join(' ')})))",
            AXE_TAGS,
        )
        raw_tex = page.evaluate(RAW_TEX_JS)
        page.set_viewport_size({"width": 390, "height": 844})  # the same page on a phone
        page.wait_for_timeout(100)
        width = page.evaluate(WIDTH_JS)
        page.set_viewport_size({"width": 1280, "height": 900})
        results[path] = {
            "has_math": has_math,
            "maths": maths,
            "raw_tex": raw_tex,
            "width": width,
            "unmarked_chinese": chinese["bad"],
            "zh_font": chinese["font"],
            "axe": violations,
        }
    page.close()
    return results


# ----------------------------------------------------------------------------- 1. phone navigation
def test_phone_menu_opens_the_table_of_contents_and_its_links_navigate(browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server}/{CHAPTER}", wait_until="load")
    page.wait_for_load_state("networkidle")
    page.locator("button.primary-toggle:visible").click()
    assert page.evaluate("() => document.getElementById('pst-primary-sidebar-modal').open"), (
        "the ☰ drawer did not open"
    )
    link = page.locator("#pst-primary-sidebar-modal a.reference.internal[href*='02_core_concepts/index']")
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/02_core_concepts/index.html")
    # "On this page": the page's own table of contents
    page.wait_for_load_state("networkidle")
    page.locator("button.secondary-toggle:visible").click()
    assert page.evaluate("() => document.getElementById('pst-secondary-sidebar-modal').open"), (
        "the contents drawer did not open"
    )
    assert page.locator("#pst-secondary-sidebar-modal nav a").first.is_visible()
    context.close()


def test_desktop_menu_button_collapses_the_sidebar_and_there_is_no_empty_header(browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/{CHAPTER}", wait_until="load")
    page.wait_for_load_state("networkidle")
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    page.locator("button.primary-toggle:visible").click()
    page.wait_for_timeout(400)
    box = sidebar.bounding_box()
    assert not sidebar.is_visible() or (box is not None and box["width"] < 5), "the sidebar did not collapse"
    page.locator("button.primary-toggle:visible").click()
    page.wait_for_timeout(400)
    assert sidebar.is_visible()
    # 7. no site header bar holding a second Search button
    assert page.locator("header.bd-header").count() == 0
    assert page.locator(".search-button__button:visible").count() == 1
    context.close()


# ----------------------------------------------------------------------------- 2. maths offline
def test_maths_renders_with_the_internet_blocked(desktop_visits: dict, offline) -> None:
    math_pages = [p for p, r in desktop_visits.items() if r["has_math"]]
    assert len(math_pages) >= 15, math_pages
    bad = {p: r["raw_tex"][:3] for p, r in desktop_visits.items() if r["raw_tex"]}
    assert not bad, f"raw TeX shown: {bad}"
    maths = {p: desktop_visits[p]["maths"] for p in math_pages}
    bad = {p: m for p, m in maths.items() if m["typeset"] < m["formulas"] or m["failed"] or not m["loaded"]}
    assert not bad, f"formulas not typeset, or KaTeX's fonts not loaded: {bad}"
    assert not offline.blocked, f"the site asked the internet for: {sorted(set(offline.blocked))[:5]}"


# ----------------------------------------------------------------------------- 3. alt text
def test_no_image_alt_is_a_file_name(site: Path, pages: list[str]) -> None:
    bad = []
    for path in pages:
        for tag in re.findall(r"<img\b[^>]*>", (site / path).read_text(encoding="utf-8")):
            alt = re.search(r'\balt="([^"]*)"', tag)
            text = alt.group(1).strip() if alt else ""
            if not text or re.search(r"\.(png|jpe?g|svg|gif|webp)$|_images/|[0-9a-f]{24}", text, re.I):
                src = re.search(r'\bsrc="([^"]*)"', tag)
                bad.append(f"{path}: alt={text!r} ({src.group(1).rsplit('/', 1)[-1][:16] if src else '?'})")
    assert not bad, f"{len(bad)} images without a description (cell metadata mystnb.image.alt):\n" + "\n".join(bad)


# ----------------------------------------------------------------------------- 4. references
def test_references_page(site: Path) -> None:
    html = (site / "references.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "\\texttt" not in text and "kept as seeds" not in text and "seeds/" not in text
    assert "nn.Module" in text and "nn.module" not in text
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span', html)
    assert labels and not [lab for lab in labels if re.fullmatch(r"\d+", lab)], labels[:5]
    assert all(re.search(r"(\d{4}|n\.d\.)[a-z]?$", lab) for lab in labels), labels
    for n in range(5):
        entry = html[html.index(f"Source article 00{n}, n.d.") :]
        entry = entry[: entry.index("</div>")]
        assert f'href="source_citations.html#source00{n}"' in entry
        assert HAN.search(entry) and "lines" in entry and "characters" in entry  # opening words, length


def _cite_uses() -> dict[str, int]:
    """How many {cite} roles in the book's sources name each source article."""
    counts: dict[str, int] = {}
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    sources = []
    for doc in re.findall(r"file: (\S+)", toc) + [re.search(r"root: (\S+)", toc).group(1)]:
        sources += [p for p in (ROOT / f"{doc}.ipynb", ROOT / f"{doc}.md") if p.is_file()]
    for path in sources:
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
        for keys in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            for key in {k.strip() for k in keys.split(",")}:
                if re.fullmatch(r"source\d{3}", key):
                    counts[key] = counts.get(key, 0) + 1
    return counts


def test_source_citations_page_lists_every_citation(site: Path) -> None:
    html = (site / "source_citations.html").read_text(encoding="utf-8")
    uses = _cite_uses()
    assert len(uses) == 5, uses
    for key, n in uses.items():
        block = html[html.index(f'id="{key}"') :]
        m = re.search(r"Cited in (\d+) place", block)
        assert m and int(m.group(1)) == n, (key, m and m.group(1), n)
        items = block[: block.index("</ul>")]
        assert items.count("<li>") == n


# ----------------------------------------------------------------------------- 5. Chinese search
def search_misses(browser, server: str, site: Path, pages: list[str], terms: list[str]) -> tuple[dict, dict]:
    """Search one edition for each term (its own search page, in Chromium): the page texts, and per
    term the pages whose text contains it that the search did not find."""
    texts = {p[: -len(".html")]: article_text(site / p) for p in pages if p not in ("search.html", "genindex.html")}
    page = browser.new_page()
    page.goto(f"{server}/search.html", wait_until="load")
    page.wait_for_function("() => Search.hasIndex()", timeout=20_000)
    found = page.evaluate(
        """(terms) => Object.fromEntries(terms.map(t => {
        const [q, st, et, ht, ot] = Search._parseQuery(t);
        return [t, [...new Set(Search._performSearch(q, st, et, ht, ot).map(r => r[0]))]];
    }))""",
        terms,
    )
    page.close()
    missing = {}
    for term in terms:
        expected = {d for d, text in texts.items() if term in text}
        lost = expected - set(found[term])
        if lost:
            missing[term] = f"{len(lost)} of {len(expected)} pages missed, e.g. {sorted(lost)[:3]}"
    return texts, missing


def test_every_glossary_term_finds_every_page_that_contains_it(
    browser, server: str, site: Path, pages: list[str]
) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    from torchbook_site import glossary_chinese_terms

    terms = glossary_chinese_terms(ROOT / "glossary.md")
    assert len(terms) > 50
    texts, missing = search_misses(browser, server, site, pages, terms)
    assert not missing, missing
    assert any("梯度" in t for t in texts.values())


# ----------------------------------------------------------------------------- 6. no sideways scroll
def test_no_page_is_wider_than_a_phone(desktop_visits: dict) -> None:
    wide = {p: r["width"] for p, r in desktop_visits.items() if r["width"]["scroll"] > r["width"]["client"]}
    assert not wide, "pages wider than 390 px: " + "; ".join(
        f"{p}: {w['scroll']} px ({w['widest']})" for p, w in wide.items()
    )


# ----------------------------------------------------------------------------- 9. Chinese marked
def test_chinese_text_is_marked_zh_cn_with_a_cjk_font(desktop_visits: dict) -> None:
    bad = {p: r["unmarked_chinese"][:3] for p, r in desktop_visits.items() if r["unmarked_chinese"]}
    assert not bad, f"Chinese text without lang=zh-CN: {bad}"
    fonts = {r["zh_font"] for r in desktop_visits.values() if r["zh_font"]}
    assert fonts and all("Noto Sans CJK SC" in f for f in fonts), fonts


# ----------------------------------------------------------------------------- 10. page weight (test_budget.py)
def test_no_font_awesome_script_nor_search_index_on_pages(site: Path) -> None:
    html = (site / CHAPTER).read_text(encoding="utf-8")
    assert "fontawesome.js" not in html and "searchindex.js" not in html
    assert "searchindex.js" in (site / "search.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- 11. accessibility
def test_axe_finds_no_serious_or_critical_violation(desktop_visits: dict) -> None:
    bad = {}
    for path, r in desktop_visits.items():
        serious = [v for v in r["axe"] if v["impact"] in ("serious", "critical")]
        if serious:
            bad[path] = [f"{v['id']} ×{v['n']} ({v['target']})" for v in serious]
    assert not bad, "axe-core (WCAG 2.1 A/AA): " + json.dumps(bad, ensure_ascii=False, indent=1)[:4000]


# ----------------------------------------------------------------------------- stamp, exercises
def test_every_page_has_its_verified_stamp(site: Path, pages: list[str]) -> None:
    lane = json.loads((ROOT / "reports" / "cpu-full-lane.json").read_text(encoding="utf-8"))
    missing = []
    for path in pages:
        if path in ("search.html", "genindex.html"):
            continue
        html = (site / path).read_text(encoding="utf-8")
        stamp = re.search(r'<aside class="tb-verified".*?</aside>', html, re.S)
        if not stamp:
            missing.append(path)
            continue
        notebook = path[: -len(".html")] + ".ipynb"
        row = lane["notebooks"].get(notebook)
        if row:
            text = stamp.group(0)
            assert f"{row['seconds']:.0f} s" in text and lane["hardware"]["torch"] in text, (path, text)
            assert ("pass" in text) == (row["failed"] == 0)
    assert not missing, missing


def test_exercises_are_numbered_per_page(site: Path, pages: list[str]) -> None:
    checked = 0
    for path in pages:
        m = re.match(r"chapters/(\d+)_[^/]+/(\d+)_(\d+)_", path)
        html = (site / path).read_text(encoding="utf-8")
        numbers = re.findall(r'<span class="caption-number">Exercise (\d+(?:\.\d+)*) </span>', html)
        if not m or not numbers:
            continue
        prefix = f"{int(m.group(1))}.{int(m.group(3))}."
        assert numbers == [f"{prefix}{i}" for i in range(1, len(numbers) + 1)], (path, numbers)
        mentioned = set(re.findall(r"Exercise (\d+(?:\.\d+)*)", re.sub(r"<[^>]+>", "", html)))
        assert mentioned <= set(numbers), (path, mentioned - set(numbers))  # solutions and references agree
        checked += 1
    assert checked >= 20
