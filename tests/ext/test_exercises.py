"""Exercises numbered per page (_ext/torchbook_site/exercises.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import exercises  # noqa: E402


def test_page_numbers_for_exercises() -> None:
    assert exercises.page_number("chapters/09_faq/09_2_vanishing_gradients") == (9, 2)
    assert exercises.page_number("chapters/05_practice/index") == (5,)
    assert exercises.page_number("glossary") == ()


def test_exercises_are_renumbered_per_page_in_their_order() -> None:
    numbers = {"ex-b": (7,), "ex-a": (6,)}  # Sphinx numbers them across the book
    env = SimpleNamespace(toc_fignumbers={"chapters/09_faq/09_2_vanishing_gradients": {"exercise": numbers}})
    changed = exercises._number_exercises_per_page(None, env)
    assert changed == ["chapters/09_faq/09_2_vanishing_gradients"]
    assert env.toc_fignumbers["chapters/09_faq/09_2_vanishing_gradients"]["exercise"] == {
        "ex-a": (9, 2, 1),
        "ex-b": (9, 2, 2),
    }
    assert exercises._number_exercises_per_page(None, env) == []  # already per page
