"""The training pages' asserts can fail: a page whose model never learns must not pass.

Every training page of chapters 5, 6 and 8 is executed in fast mode, in the environment the
notebooks are tested in (``tools/notebook.env``), with one cell injected before its first code
cell that turns every ``torch.optim`` optimizer's ``step()`` into a no-op (the closure, if any,
still runs, so losses are computed as usual). The model then stays at its initialisation; the
page must stop with an ``AssertionError`` from one of its own checks. A page that runs to the end
has a claim no assert defends, or a fast-mode threshold an untrained model passes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]

# Pages of chapters 5, 6 and 8 that train nothing an optimizer step could break, with the reason.
EXEMPT: dict[str, str] = {
    "08_3_distributed": "training runs in torchrun worker processes the injected cell does not reach; "
    "its claims are equalities of weights between configurations, tested by tests/test_distributed.py",
}
PAGES = [
    p
    for chapter in ("05_*", "06_*", "08_*")
    for p in sorted((REPO / "chapters").glob(f"{chapter}/*.ipynb"))
    if p.stem not in EXEMPT
]

BREAK_OPTIMIZERS = """\
# Injected by tests/test_broken_variants.py: every optimizer step does nothing.
import torch as _torch


def _no_step(self, closure=None):
    if closure is not None:
        with _torch.enable_grad():
            closure()
    return None


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


for _cls in (_torch.optim.Optimizer, *_subclasses(_torch.optim.Optimizer)):
    _cls.step = _no_step
# classes defined later (in torchbook or in the page) are broken the same way
_torch.optim.Optimizer.__init_subclass__ = classmethod(lambda cls, **kw: setattr(cls, "step", _no_step))
"""


def _notebook_env() -> dict[str, str]:
    env = {}
    for line in (REPO / "tools" / "notebook.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = str(REPO / value) if key == "IPYTHONDIR" else value
    env["TORCHBOOK_MODE"] = "fast"
    env.setdefault("TORCHBOOK_DATA", os.environ.get("TORCHBOOK_DATA", str(REPO / "data")))
    env["TORCHBOOK_OFFLINE"] = "1"
    return env


def test_injected_cell_stops_learning():
    """In a process of its own: the patch must never reach the other tests of this session."""
    check = """
import torch
w = torch.nn.Parameter(torch.ones(3))
for optimizer in (torch.optim.SGD([w], lr=0.1), torch.optim.Adam([w], lr=0.1)):
    (w**2).sum().backward()
    optimizer.step()
class Later(torch.optim.SGD):  # a subclass defined after the patch
    pass
(w**2).sum().backward()
Later([w], lr=0.1).step()
assert torch.equal(w.detach(), torch.ones(3)), w
"""
    subprocess.run([sys.executable, "-c", BREAK_OPTIMIZERS + check], check=True, timeout=120)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_fails_when_nothing_learns(page: Path, monkeypatch: pytest.MonkeyPatch):
    for key, value in _notebook_env().items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(page, as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(BREAK_OPTIMIZERS))
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        extra_arguments=["--InteractiveShell.xmode=Minimal"],
        resources={"metadata": {"path": str(page.parent)}},
    )
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    error = failure.value
    assert error.ename == "AssertionError", (
        f"{page.name} with no-op optimizer steps stopped with {error.ename}: {error.evalue} "
        "(expected one of the page's own asserts to fail)"
    )
    failed = next(
        c
        for c in nb.cells
        if c.cell_type == "code"
        and "raises-exception" not in c.metadata.get("tags", [])
        and any(o.get("ename") for o in c.get("outputs", []))
    )
    assert re.search(r"^\s*assert\b", failed.source, re.M), f"{page.name}: the failing cell has no assert"
