"""Small fixes to the HTML that Jupyter Book 1 generates (a Sphinx extension of this book).

- Sphinx 7.4 adds the inline setup scripts of sphinx-thebe and sphinx-togglebutton twice to
  every page; the second ``const THEBE_JS_URL`` is a JavaScript error in the console. Keep
  the first copy of each identical script (their
  file names differ only as None versus "").
- pydata-sphinx-theme needs a default colour mode; without one it logs an error on the first
  visit ("Got invalid theme mode"). Default to the light theme.
"""

from __future__ import annotations

from typing import Any


def _dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((getattr(js, "attributes", {}) or {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _default_mode(app: Any, config: Any) -> None:
    config.html_context = {**(config.html_context or {}), "default_mode": "light"}


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _dedupe_scripts, priority=100)  # early: a later handler may end the chain
    return {"parallel_read_safe": True, "parallel_write_safe": True}
