"""Each page's assets (_ext/torchbook_site/assets.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import assets  # noqa: E402

HTML = SimpleNamespace(builder=SimpleNamespace(name="html"))
CODE = '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>x</pre></div></div>'
MATHS = '<span class="math notranslate nohighlight"><span class="katex">x</span></span>'


def asset(filename: str | None, **attributes: str) -> SimpleNamespace:
    return SimpleNamespace(filename=filename, attributes=attributes)


def page(body: str, css: list, scripts: list) -> dict:
    context = {"body": body, "css_files": list(css), "script_files": list(scripts)}
    assets._page_assets(HTML, "page", "page.html", context, None)
    return context


def test_each_asset_once_a_scripts_first_copy_a_stylesheets_last() -> None:
    thebe = asset(None, body="const THEBE_JS_URL = 1")
    book_js, book_js_again = asset("torchbook.js", defer="defer"), asset("torchbook.js")
    css = [asset("torchbook.css"), asset("theme.css"), asset("torchbook.css")]
    context = page("<p>text</p>", css, [asset("a.js"), book_js, thebe, book_js_again, thebe])
    assert context["script_files"] == [context["script_files"][0], book_js]  # no thebe button: none of it
    assert [c.filename for c in context["css_files"]] == ["theme.css", "torchbook.css"]


def test_an_extensions_assets_only_on_pages_that_use_them() -> None:
    css = [asset("pygments.css"), asset("katex/katex.min.css"), asset("katex-math.css"), asset("sphinx-design.min.css")]
    css += [asset("exercise.css"), asset("togglebutton.css"), asset("mystnb.0123abcd.css")]
    scripts = [asset("copybutton.js"), asset("clipboard.min.js"), asset("togglebutton.js"), asset("design-tabs.js")]
    scripts += [
        asset(None, body="let toggleHintShow = 'Click to show';"),
        asset("sphinx-thebe.js", **{"async": "async"}),
    ]
    scripts += [asset(None, body="DOCUMENTATION_OPTIONS.pagename = 'p';")]
    plain = page("<p>text</p>", css, scripts)
    assert plain["css_files"] == [] and [s.attributes.get("body") for s in plain["script_files"]] == [
        "DOCUMENTATION_OPTIONS.pagename = 'p';"
    ]
    solution = '<div class="solution dropdown admonition">s</div><div class="cell docutils container">c</div>'
    full = page(CODE + MATHS + solution, css, scripts)
    assert [c.filename for c in full["css_files"]] == [
        "pygments.css",
        "katex/katex.min.css",
        "katex-math.css",
        "exercise.css",
        "togglebutton.css",
        "mystnb.0123abcd.css",
    ]
    assert [s.filename for s in full["script_files"]] == [
        "copybutton.js",
        "clipboard.min.js",
        "togglebutton.js",
        None,
        None,
    ]


def test_images_load_lazily_in_the_html_build_only() -> None:
    body = '<img alt="a" src="a.png" /><img loading="eager" src="b.png" />'
    assert assets.lazy_images(body) == '<img loading="lazy" alt="a" src="a.png" /><img loading="eager" src="b.png" />'
    single = {"body": body, "css_files": [], "script_files": []}
    assets._page_assets(SimpleNamespace(builder=SimpleNamespace(name="singlehtml")), "p", "p.html", single, None)
    assert single["body"] == body


def test_source_maps_are_removed_and_not_referred_to(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "a.js").write_text("let a = 1;\n//# sourceMappingURL=a.js.map\n")
    (tmp_path / "scripts" / "a.js.map").write_text("{}")
    (tmp_path / "b.css").write_text("p{color:red}\n/*# sourceMappingURL=b.css.map */")
    (tmp_path / "c.css").write_text("p{color:blue}")
    changed = assets.strip_source_maps(tmp_path)
    assert sorted(p.name for p in changed) == ["a.js", "a.js.map", "b.css"]
    assert (tmp_path / "scripts" / "a.js").read_text() == "let a = 1;\n"
    assert (tmp_path / "b.css").read_text() == "p{color:red}"
    assert not list(tmp_path.rglob("*.map"))


def test_the_stylesheet_the_theme_imports_is_preloaded() -> None:
    context = {"body": "<p>x</p>", "metatags": '<meta name="viewport" />', "pathto": lambda f, resource: f"../{f}"}
    assets._page_assets(HTML, "chapters/page", "page.html", context, None)
    assert context["metatags"].endswith('<link rel="preload" href="../_static/basic.css" as="style" />\n')
