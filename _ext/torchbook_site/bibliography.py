"""The bibliography is labelled author-year, like the citations in the text ("Paszke et al., 2019"):
the pybtex styles ``tb_author_year`` that ``_config.yml`` names (``bibtex_default_style``)."""

from __future__ import annotations

import re
from typing import Any


def register_bib_style() -> None:
    """Register the label style and the formatting style with pybtex."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        """Labels like the citations in the text: "Paszke et al., 2019"."""

        def format_labels(self, sorted_entries):  # type: ignore[override]
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                persons = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [" ".join(p.last_names) or " ".join(p.first_names) for p in persons]
                names = [re.sub(r"[{}]", "", n) for n in names]
                others = "others" in names  # BibTeX's "and others"
                names = [n for n in names if n != "others"]
                if not names:
                    who = entry.fields.get("title", entry.key)
                elif others:
                    who = f"{names[0]} et al."
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} and {names[1]}"
                else:
                    who = f"{names[0]} et al."
                label = f"{who}, {entry.fields.get('year', 'n.d.')}"
                seen[label] = seen.get(label, 0) + 1
                yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = "tb_author_year"
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.labels", "tb_author_year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "tb_author_year", AuthorYearStyle)


def setup(app: Any) -> None:
    register_bib_style()
