"""Fixes to the written HTML of every page: Chinese text is marked ``lang="zh-CN"`` (in the zh
edition the whole page is), unnamed controls get names, the bibliography's list roles are fixed,
and in the zh edition the theme's untranslated strings are translated (editions.localize_ui)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .editions import is_zh, localize_ui, tr

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_RUN = re.compile(f"[{CJK}]+(?:[{CJK}\\s·]*[{CJK}])?")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
ZH = {  # the strings this module writes into pages, in the zh edition
    "Show or hide the pages of this part": "显示或隐藏这一部分的页面",
    "Colour mode: light, dark or system": "颜色模式：浅色、深色或跟随系统",
}
_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_SKIP = {"script", "style", "textarea", "title", "svg", "math"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def mark_chinese(body: str) -> str:
    """Wrap runs of Chinese text in ``<span lang="zh-CN">`` (outside scripts, maths, attributes,
    and elements already marked)."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, skip)
    for token in _TOKEN.split(body):
        if not token:
            continue
        if token.startswith("<!--"):
            out.append(token)
            continue
        if token.startswith("<"):
            m = re.match(r"<\s*(/)?\s*([a-zA-Z0-9-]+)", token)
            if m:
                closing, tag = m.group(1), m.group(2).lower()
                if closing:
                    while stack:
                        t, _ = stack.pop()
                        if t == tag:
                            break
                elif tag not in _VOID and not token.endswith("/>"):
                    skip = (
                        tag in _SKIP
                        or bool(re.search(r'class="[^"]*\bmath\b', token))
                        or bool(re.search(r'\blang="zh', token))
                    )
                    stack.append((tag, skip))
            out.append(token)
            continue
        if any(skip for _, skip in stack) or not HAN.search(token):
            out.append(token)
            continue
        out.append(
            CJK_RUN.sub(
                lambda m: f'<span lang="zh-CN">{m.group(0)}</span>' if HAN.search(m.group(0)) else m.group(0), token
            )
        )
    return "".join(out)


def postprocess_html(text: str, language: str = "en") -> str:
    """All fixes to one written page (in the zh edition the whole page is ``lang="zh-CN"``)."""
    head, sep, body = text.partition("<body")
    if not sep:
        return text
    # Sidebar arrows (<summary> holding only an icon) get a name.
    body = re.sub(
        r'<summary>(\s*<span class="toctree-toggle"[^>]*>)',
        rf'<summary aria-label="{tr(language, "Show or hide the pages of this part", ZH)}">\1',
        body,
    )
    # A button's accessible name must contain its visible text.
    body = re.sub(r'(<button class="btn search-button-field[^"]*" title="([^"]*)") aria-label="\2"', r"\1", body)
    body = re.sub(
        r'(<button class="btn btn-sm nav-link pst-navbar-icon theme-switch-button[^"]*") aria-label="Color mode"',
        rf'\1 aria-label="{tr(language, "Colour mode: light, dark or system", ZH)}"',
        body,
    )
    # The bibliography is a list of citations whose children are not list items.
    body = body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
    return head + sep + (localize_ui(body) if is_zh(language) else mark_chinese(body))


def _postprocess_site(app: Any, exception: Exception | None) -> None:
    """Every written page through ``postprocess_html`` (not the copied assets)."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if "_static" in page.relative_to(app.outdir).parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = postprocess_html(text, app.config.language)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app: Any) -> None:
    app.connect("build-finished", _postprocess_site)
