"""Author-year labels of the bibliography (_ext/torchbook_site/bibliography.py): no build needed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
from torchbook_site import bibliography  # noqa: E402


def test_labels_are_author_year_like_the_citations() -> None:
    from pybtex.database import Entry, Person
    from pybtex.plugin import find_plugin

    bibliography.register_bib_style()

    def entry(authors: list[str], year: str) -> Entry:
        e = Entry("article", fields={"title": "T", "year": year})
        for a in authors:
            e.add_person(Person(a), "author")
        return e

    entries = [
        entry(["Adam Paszke", "Sam Gross", "Francisco Massa"], "2019"),
        entry(["Diederik Kingma", "Jimmy Ba"], "2015"),
        entry(["Yann LeCun"], "1998"),
        entry(["Yann LeCun"], "1998"),
    ]
    labels = list(find_plugin("pybtex.style.labels", "tb_author_year")().format_labels(entries))
    assert labels == ["Paszke et al., 2019", "Kingma and Ba, 2015", "LeCun, 1998", "LeCun, 1998b"]
