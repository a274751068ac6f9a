"""Exercises are numbered per page: "Exercise 9.2.3" is the third exercise of page 9.2."""

from __future__ import annotations

import re
from typing import Any

_PAGE_NUMBER = re.compile(r"chapters/(\d+)_[^/]+/(?:(\d+)_(\d+)_[^/]+|index)$")


def page_number(docname: str) -> tuple[int, ...]:
    """(9, 2) for chapters/09_faq/09_2_vanishing_gradients, (9,) for a chapter's index, () else."""
    m = _PAGE_NUMBER.match(docname)
    if not m:
        return ()
    return (int(m.group(1)), int(m.group(3))) if m.group(3) else (int(m.group(1)),)


def _number_exercises_per_page(app: Any, env: Any) -> list[str]:
    """Renumber exercises per page after Sphinx numbered them across the book."""
    changed = []
    for docname, figtypes in env.toc_fignumbers.items():
        numbers = figtypes.get("exercise")
        if not numbers:
            continue
        prefix = page_number(docname)
        ordered = sorted(numbers.items(), key=lambda kv: kv[1])
        new = {key: (*prefix, i) for i, (key, _) in enumerate(ordered, start=1)}
        if new != numbers:
            figtypes["exercise"] = new
            changed.append(docname)
    return changed


def setup(app: Any) -> None:
    app.connect("env-get-updated", _number_exercises_per_page, priority=900)  # after Sphinx numbers
