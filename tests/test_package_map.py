"""CONTRIBUTING.md's map of the package names every module of torchbook, and nothing that is gone."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import torchbook

MAP = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def mapped_modules() -> set[str]:
    text = MAP.read_text(encoding="utf-8")
    section = text.split("### Map of the package", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def test_every_module_is_in_the_package_map():
    modules = {m.name for m in pkgutil.iter_modules(torchbook.__path__) if not m.name.startswith("_")}
    missing = sorted(modules - mapped_modules())
    assert not missing, f"add a row for each to the package map in CONTRIBUTING.md: {missing}"


def test_the_map_names_no_module_that_is_gone():
    modules = {m.name for m in pkgutil.iter_modules(torchbook.__path__)}
    stale = sorted(mapped_modules() - modules)
    assert not stale, f"the package map in CONTRIBUTING.md lists modules that do not exist: {stale}"
