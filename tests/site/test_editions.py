"""The two editions (issue 11): the zh edition has the English one's pages, code and outputs;
every page links to the same page of the other edition and back; its pages open without console
errors; its theme speaks Chinese; its search finds Chinese words inside sentences; its download
and Colab buttons give the generated zh notebook; the root page lets a reader choose."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
from conftest import BOOK, ROOT
from test_reader import AXE, AXE_TAGS, article_text, search_misses

SWITCH = re.compile(r'<a class="[^"]*\btb-language-switch\b[^"]*" href="([^"]+)"')
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def switch_target(site: Path, page: str) -> str:
    """The page (relative to _build/html) that ``page``'s language switch links to."""
    found = SWITCH.findall((site / page).read_text(encoding="utf-8"))
    assert len(found) == 1, f"{site.name}/{page}: {len(found)} language switches"
    target = (site / page).parent.joinpath(found[0]).resolve()
    return target.relative_to(BOOK.resolve()).as_posix()


def test_the_editions_have_the_same_pages(pages: list[str], zh_pages: list[str]) -> None:
    assert pages == zh_pages


def test_the_language_switch_round_trips_on_every_page(site: Path, zh_site: Path, pages: list[str]) -> None:
    bad = []
    for page in pages:
        there = switch_target(site, page)
        if there != f"zh/{page}":
            bad.append(f"en/{page} -> {there}")
            continue
        back = switch_target(zh_site, page)
        if back != f"en/{page}":
            bad.append(f"zh/{page} -> {back}")
    assert not bad, bad


def _code_and_outputs(path: Path) -> tuple[list[str], list[str]]:
    text = path.read_text(encoding="utf-8")
    pres = [html.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r"<pre[^>]*>(.*?)</pre>", text, re.S)]
    images = re.findall(r'<img[^>]+src="([^"]+)"', text)
    return pres, [i for i in images if "_images/" in i]


def test_zh_pages_show_the_same_code_and_outputs(site: Path, zh_site: Path, pages: list[str]) -> None:
    """Code cells and outputs are the notebooks' own in both editions, never a translated copy."""
    differ = []
    compared = 0
    for page in pages:
        if not page.startswith("chapters/"):
            continue
        en, zh = _code_and_outputs(site / page), _code_and_outputs(zh_site / page)
        compared += len(en[0])
        if en != zh:
            differ.append(page)
    assert compared > 500
    assert not differ, f"code or outputs differ between the editions: {differ}"


def test_zh_pages_are_chinese(zh_site: Path, zh_pages: list[str]) -> None:
    """Every zh page's text is mostly Chinese, the html is marked zh-CN, the theme's strings are
    the theme's Chinese ones."""
    bad = []
    for page in zh_pages:
        text = (zh_site / page).read_text(encoding="utf-8")
        if '<html lang="zh-CN"' not in text:
            bad.append(f"{page}: not lang=zh-CN")
        if page in ("search.html", "genindex.html"):
            continue
        prose = re.sub(r"\s+", "", article_text(zh_site / page))
        if len(HAN.findall(prose)) < 40:
            bad.append(f"{page}: only {len(HAN.findall(prose))} Chinese characters")
    assert not bad, bad
    intro = (zh_site / "intro.html").read_text(encoding="utf-8")
    assert "在本书中搜索" in intro  # the search box
    assert "下载此页面" in intro or "下载" in intro  # the theme's download menu, from its zh_CN catalog
    assert "第 1 部分" in intro  # a part caption of the table of contents, translated


def test_zh_doctrees_hold_no_build_environment(zh_pages: list[str]) -> None:
    """The translated nodes belong to their page (editions._forget_message_documents): a zh doctree
    that pickles the build environment is about 3 MB and makes the zh build twice as slow."""
    doctrees = BOOK.parent / "doctrees" / "zh"
    found = sorted(doctrees.rglob("*.doctree"))
    assert len(found) >= len(zh_pages) - 3, f"no zh doctrees in {doctrees}: run `make build`"  # search, genindex
    heavy = [p.relative_to(doctrees).as_posix() for p in found if b"BuildEnvironment" in p.read_bytes()]
    assert not heavy, f"{len(heavy)} zh doctrees pickle the build environment, e.g. {heavy[:3]}"


def test_zh_download_and_colab_give_the_zh_notebook(zh_site: Path) -> None:
    page = "chapters/05_practice/05_3_mnist_mlp.html"
    text = (zh_site / page).read_text(encoding="utf-8")
    colab = re.search(r'href="(https://colab\.research\.google\.com/github/[^"]+)"', text)
    assert colab, "no Colab button"
    path = colab.group(1).split("/blob/main/", 1)[1]
    assert path == "locales/zh_CN/notebooks/chapters/05_practice/05_3_mnist_mlp.ipynb"
    assert (ROOT / path).is_file(), f"{path} is not committed"
    download = zh_site / "_sources" / "chapters" / "05_practice" / "05_3_mnist_mlp.ipynb"
    assert download.read_text(encoding="utf-8") == (ROOT / path).read_text(encoding="utf-8")
    assert "多层感知机" in download.read_text(encoding="utf-8")


def test_zh_pages_open_without_console_errors_and_switch_in_the_browser(
    browser, zh_server: str, server: str, zh_pages: list[str]
) -> None:
    """Every zh page in Chromium: no console error, no failed request to the site; its language
    switch, clicked, opens the same English page, whose switch leads back."""
    page = browser.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} ({page.url})")
            if m.type == "error"
            and not (
                m.text.startswith("Failed to load resource")
                and not (m.location or {}).get("url", "").startswith(zh_server)
            )
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"{exc} ({page.url})"))
    page.on("requestfailed", lambda req: failed.append(req.url) if req.url.startswith(zh_server) else None)
    wrong = []
    for path in zh_pages:
        response = page.goto(f"{zh_server}/{path}", wait_until="load")
        assert response is not None and response.ok, path
        link = page.locator("a.tb-language-switch")
        if link.count() != 1:
            wrong.append(f"{path}: {link.count()} switches")
            continue
        link.click()
        page.wait_for_url(f"{server}/{path}", wait_until="domcontentloaded")
        back = page.locator("a.tb-language-switch").get_attribute("href") or ""
        depth = path.count("/")
        if back != "../" * (depth + 1) + f"zh/{path}":
            wrong.append(f"en/{path} links back to {back}")
    page.close()
    assert not wrong, wrong
    assert not errors, errors[:5]
    assert not failed, failed[:5]


def test_zh_search_finds_chinese_words_inside_sentences(
    browser, zh_server: str, zh_site: Path, zh_pages: list[str]
) -> None:
    """梯度, 反向传播, 自动微分 and every glossary term: the zh search finds every zh page whose text
    contains them (jieba segmentation, the glossary's terms as words)."""
    sys.path.insert(0, str(ROOT / "_ext"))
    from torchbook_site import glossary_chinese_terms

    terms = sorted({"梯度", "反向传播", "自动微分", *glossary_chinese_terms(ROOT / "glossary.md")})
    texts, missing = search_misses(browser, zh_server, zh_site, zh_pages, terms)
    for term in ("梯度", "反向传播", "自动微分"):
        assert len({d for d, t in texts.items() if term in t}) >= 5, term
    assert not missing, missing


@pytest.mark.parametrize(
    "path", ["index.html#choose", "zh/intro.html", "zh/chapters/02_core_concepts/02_2_autograd.html"]
)
def test_chooser_and_zh_pages_pass_axe(offline, root_server: str, path: str) -> None:
    page = offline.new_page()
    page.goto(f"{root_server}/{path}", wait_until="load")
    if path == "index.html#choose":  # the root page, which stays with #choose (test_header.py)
        hrefs = [a.get_attribute("href") for a in page.query_selector_all("a")]
        assert hrefs == ["en/intro.html", "zh/intro.html"], hrefs
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.nodes[0].target.join(' ')))",
        AXE_TAGS,
    )
    page.close()
    assert not violations, violations
