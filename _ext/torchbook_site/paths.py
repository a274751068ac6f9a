"""Where the extension finds the book, and the book's tools it shares (``tools/*.py``)."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent  # _ext/torchbook_site
ROOT = HERE.parents[1]  # the book's root folder


@functools.cache
def tool(name: str) -> ModuleType:
    """The module ``tools/<name>.py`` (e.g. ``glossary``, ``gpu_report``), loaded from its file once:
    the tools are scripts, not a package, and the build does not run with ``tools/`` on sys.path."""
    spec = importlib.util.spec_from_file_location(f"torchbook_tools_{name}", ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # before it runs: a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module
