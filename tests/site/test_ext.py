"""Unit tests of the site extension's pure functions (_ext/torchbook_site.py): no build needed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import torchbook_site as ext  # noqa: E402


def test_mark_chinese_wraps_text_but_not_maths_scripts_or_attributes() -> None:
    html = (
        '<p title="张量">A tensor (张量), 反向传播.</p><script>var s="梯度";</script>'
        '<span class="math notranslate">\\(\\text{损失}\\)</span><p lang="zh-CN">已标记</p>'
    )
    out = ext.mark_chinese(html)
    assert '(<span lang="zh-CN">张量</span>)' in out and '<span lang="zh-CN">反向传播</span>' in out
    assert 'title="张量"' in out and 'var s="梯度"' in out and "\\text{损失}" in out
    assert out.count('lang="zh-CN"') == 3  # the two runs, and the element already marked


def test_page_numbers_for_exercises() -> None:
    assert ext.page_number("chapters/09_faq/09_2_vanishing_gradients") == (9, 2)
    assert ext.page_number("chapters/05_practice/index") == (5,)
    assert ext.page_number("glossary") == ()


def test_glossary_terms_are_the_chinese_of_each_entry() -> None:
    terms = ext.glossary_chinese_terms(ROOT / "glossary.md")
    assert "激活函数" in terms and "反向传播" in terms and "自动微分" in terms
    assert all(len(t) >= 2 for t in terms)


def test_stamp_says_when_a_notebook_changed_after_its_lane(tmp_path: Path) -> None:
    nb = tmp_path / "chapters" / "x.ipynb"
    nb.parent.mkdir()
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["print(1)"]}]}))
    row = {"seconds": 12.3, "cells": 4, "failed": 0, "source_sha256": ext.notebook_hash(nb)}
    lane = {
        "label": "CPU lane",
        "date": "2026-11-23 05:10 UTC",
        "hardware": {"device": "CPU (2 cores)", "torch": "2.9"},
        "mode": "full",
        "rows": {"chapters/x.ipynb": row},
        "changed_after": None,
    }
    fresh = ext.stamp_html("chapters/x.ipynb", [lane], root=tmp_path)
    assert "2026-11-23 05:10 UTC" in fresh and "12 s" in fresh and "pass" in fresh and "changed" not in fresh
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["print(2)"]}]}))
    assert "changed after this lane run" in ext.stamp_html("chapters/x.ipynb", [lane], root=tmp_path)
    # without a hash in the report: git's answer (here: the notebook is among those changed since)
    del row["source_sha256"]
    lane["changed_after"] = {"chapters/x.ipynb"}
    assert "changed after this lane run" in ext.stamp_html("chapters/x.ipynb", [lane], root=tmp_path)
    row["failed"] = 2
    assert "FAIL (2 cells)" in ext.stamp_html("chapters/x.ipynb", [lane], root=tmp_path)
    assert "no code" in ext.stamp_html("glossary.md", [lane], root=tmp_path)


def test_postprocess_names_the_sidebar_arrows_and_fixes_the_bibliography_list() -> None:
    page = (
        '<html><head><title>x</title></head><body><summary><span class="toctree-toggle" role="presentation">'
        '</span></summary><div role="list" class="citation-list"></div></body></html>'
    )
    out = ext.postprocess_html(page)
    assert '<summary aria-label="' in out and 'role="list"' not in out
