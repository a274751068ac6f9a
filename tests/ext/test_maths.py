"""The maths typeset at build time (_ext/torchbook_site/maths.py): the constructs the book uses,
built by Sphinx with KaTeX in a small project (a few seconds; needs node and npm's katex)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from docutils import nodes

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))
from torchbook_site import maths  # noqa: E402

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
extensions = ["myst_parser", "torchbook_site.maths"]
myst_enable_extensions = ["amsmath", "dollarmath"]
numfig = True
"""
PAGE = r"""# Maths

Inline $\hat y = \sigma(w^\top x + b)$, $\text{loss} = \frac{1}{n}\sum_i \ell_i$ and $x \in \mathbb{R}^n$.

$$ \frac{\partial L}{\partial w} = \frac{\partial L}{\partial y}\,\frac{\partial y}{\partial w} $$ (eq-chain)

The chain rule {eq}`eq-chain`.

\begin{align}
a &= b + c \\
d &= \operatorname{softmax}(e)
\end{align}

$$
\begin{aligned} x_{t+1} &= x_t - \eta \nabla f(x_t) \\ W &= \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} \end{aligned}
$$
"""


def build(tmp_path: Path, page: str) -> tuple[int, str, Path]:
    from sphinx.cmd.build import build_main

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(page, encoding="utf-8")
    warnings = tmp_path / "warnings.txt"
    code = build_main(["-q", "-W", "-w", str(warnings), "-b", "html", str(src), str(out)])
    return code, warnings.read_text(encoding="utf-8"), out


def test_the_books_maths_is_typeset_numbered_and_referenced(tmp_path: Path) -> None:
    code, warnings, out = build(tmp_path, PAGE)
    assert code == 0, warnings
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "katex-error" not in html and "\\frac" not in re.sub(r"<annotation.*?</annotation>", "", html, flags=re.S)
    assert html.count('class="katex"') == 6  # three inline, the labelled equation, align, aligned
    assert '<span class="eqno">(1)' in html  # the labelled equation is numbered ...
    assert re.search(r'<a class="reference internal" href="#equation-eq-chain">\(1\)</a>', html)  # ... and referred to
    assert "mathjax" not in html.lower().replace("mathjax_ignore", "")
    for font in ("KaTeX_Main-Regular", "KaTeX_Math-Italic", "KaTeX_AMS-Regular", "KaTeX_Size1-Regular"):
        assert f'<link rel="preload" href="_static/katex/fonts/{font}.woff2"' in html, font
    assert 'href="_static/katex/katex.min.css"' in html
    css = (out / "_static" / "katex" / "katex.min.css").read_text(encoding="utf-8")
    assert ".woff)" not in css and ".ttf)" not in css and "KaTeX_Main-Regular.woff2" in css
    assert sorted(p.suffix for p in (out / "_static" / "katex" / "fonts").iterdir()) == [".woff2"] * 20


def test_a_formula_katex_cannot_typeset_fails_the_build(tmp_path: Path) -> None:
    code, warnings, _ = build(tmp_path, "# Bad\n\nA $\\notacommand x$ formula.\n")
    assert code != 0
    assert "index.md:3:maths KaTeX cannot typeset" in warnings, warnings  # the page and line
    assert "Undefined control sequence: \\notacommand" in warnings


def test_woff2_and_preloads_from_html() -> None:
    css = 'src:url(fonts/A.woff2) format("woff2"),url(fonts/A.woff) format("woff"),url(fonts/A.ttf) format("truetype")'
    assert maths.woff2_only(css) == 'src:url(fonts/A.woff2) format("woff2")'
    assert maths.preloads("<p>no maths</p>") == []
    body = '<span class="katex"><span class="mord mathnormal">x</span><span class="mop op-symbol small-op">∑</span>'
    assert maths.preloads(body) == ["KaTeX_Main-Regular.woff2", "KaTeX_Math-Italic.woff2", "KaTeX_Size1-Regular.woff2"]


def test_display_maths_is_wrapped_as_sphinxs_mathjax_wraps_it() -> None:
    block = nodes.math_block("", "a &= b \\\\ c &= d\n\nx = 1", nowrap=False)
    assert maths.display_latex(block) == (
        "\\begin{align}\\begin{aligned}\\begin{split}a &= b \\\\ c &= d\\end{split}\\\\x = 1\\end{aligned}\\end{align}"
    )
    amsmath = nodes.math_block("", "\\begin{align}a &= b\\end{align}", nowrap=True)
    assert maths.display_latex(amsmath) == "\\begin{align}a &= b\\end{align}"


def test_one_node_process_that_ends_with_the_build() -> None:
    katex = maths.KaTeX()
    assert 'class="katex"' in katex.render("x^2", display=False)
    assert 'class="katex-display"' in katex.render("\\frac{1}{2}", display=True)
    process = katex.process
    assert process is not None and katex.render("y", display=False) and katex.process is process  # the same process
    with pytest.raises(maths.KaTeXError, match="Undefined control sequence"):
        katex.render("\\nocommand", display=False)
    with pytest.raises(maths.KaTeXError, match="LaTeX-incompatible input"):
        katex.render("x 中", display=False)
    katex.close()
    assert process.returncode == 0


@pytest.mark.parametrize("font", list(maths.PRELOAD))
def test_every_preloaded_font_is_one_of_katexs(font: str) -> None:
    assert (maths.KATEX / "fonts" / font).is_file()
