"""The written HTML's fixes (_ext/torchbook_site/postprocess.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import postprocess  # noqa: E402


def test_mark_chinese_wraps_text_but_not_maths_scripts_or_attributes() -> None:
    html = (
        '<p title="张量">A tensor (张量), 反向传播.</p><script>var s="梯度";</script>'
        '<span class="math notranslate">\\(\\text{损失}\\)</span><p lang="zh-CN">已标记</p>'
    )
    out = postprocess.mark_chinese(html)
    assert '(<span lang="zh-CN">张量</span>)' in out and '<span lang="zh-CN">反向传播</span>' in out
    assert 'title="张量"' in out and 'var s="梯度"' in out and "\\text{损失}" in out
    assert out.count('lang="zh-CN"') == 3  # the two runs, and the element already marked


def test_postprocess_names_the_sidebar_arrows_and_fixes_the_bibliography_list() -> None:
    page = (
        '<html><head><title>x</title></head><body><summary><span class="toctree-toggle" role="presentation">'
        '</span></summary><div role="list" class="citation-list"></div></body></html>'
    )
    out = postprocess.postprocess_html(page)
    assert '<summary aria-label="' in out and 'role="list"' not in out


def test_the_zh_edition_names_controls_in_chinese_and_marks_no_spans() -> None:
    page = '<html><body><summary><span class="toctree-toggle"></span></summary><p>张量 tensor</p></body></html>'
    out = postprocess.postprocess_html(page, "zh_CN")
    assert 'aria-label="显示或隐藏这一部分的页面"' in out
    assert '<span lang="zh-CN">' not in out  # the whole zh page is lang="zh-CN" already
