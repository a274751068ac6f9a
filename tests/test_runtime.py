import random

import numpy as np
import pytest
import torch

from torchbook import runtime


def test_mode_default_and_values(monkeypatch):
    monkeypatch.delenv("TORCHBOOK_MODE", raising=False)
    assert runtime.mode() == "full"
    monkeypatch.setenv("TORCHBOOK_MODE", "fast")
    assert runtime.mode() == "fast"
    monkeypatch.setenv("TORCHBOOK_MODE", " FULL ")
    assert runtime.mode() == "full"


def test_bad_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("TORCHBOOK_MODE", "quick")
    with pytest.raises(runtime.ConfigError, match="'quick' is not a run mode.*'full'.*'fast'"):
        runtime.mode()


def test_pick_follows_mode(monkeypatch):
    monkeypatch.setenv("TORCHBOOK_MODE", "fast")
    assert runtime.pick(full=10, fast=1) == 1
    monkeypatch.setenv("TORCHBOOK_MODE", "full")
    assert runtime.pick(full=10, fast=1) == 10


def test_device_order_and_override(monkeypatch):
    monkeypatch.delenv("TORCHBOOK_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert runtime.device().type == expected
    monkeypatch.setenv("TORCHBOOK_DEVICE", "cpu")
    assert runtime.device() == torch.device("cpu")
    assert runtime.device("cpu") == torch.device("cpu")


def test_device_errors(monkeypatch):
    monkeypatch.setenv("TORCHBOOK_DEVICE", "gpu0")
    with pytest.raises(runtime.ConfigError, match="not a device name"):
        runtime.device()
    with pytest.raises(runtime.ConfigError, match="this machine has none by that name; pass a device it has"):
        runtime.device("cuda:99")  # an argument: the fix is another argument
    monkeypatch.setenv("TORCHBOOK_DEVICE", "cuda:99")
    with pytest.raises(runtime.ConfigError, match="by that name; unset TORCHBOOK_DEVICE"):
        runtime.device()  # the variable: the fix is the variable


def test_seed_is_repeatable_and_returns_generator():
    g = runtime.seed(3)
    a = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=g))
    g = runtime.seed(3)
    b = (random.random(), np.random.rand(), torch.rand(2), torch.rand(2, generator=g))
    assert a[0] == b[0] and a[1] == b[1]
    assert torch.equal(a[2], b[2]) and torch.equal(a[3], b[3])
    assert isinstance(g, torch.Generator)
    with pytest.raises(ValueError):
        runtime.seed(-1)


def test_environment_lists_versions():
    info = runtime.environment()
    assert info["torch"] == torch.__version__
    assert {"python", "torchvision", "device", "mode"} <= info.keys()


def test_import_has_no_side_effects():
    """Importing every module of the package (discovered, not listed) seeds nothing and styles nothing."""
    import pkgutil
    import subprocess
    import sys

    import torchbook

    names = sorted(m.name for m in pkgutil.iter_modules(torchbook.__path__))
    assert {"runtime", "training", "fast", "speedrun"} <= set(names)
    imports = "; ".join(f"import torchbook.{n}" for n in names)
    code = (
        "import torch, random; before = torch.initial_seed(); state = random.getstate();"
        "import matplotlib as m; rc = dict(m.rcParams);"
        f"{imports};"
        "assert torch.initial_seed() == before, 'import seeded torch';"
        "assert random.getstate() == state, 'import seeded random';"
        "assert dict(m.rcParams) == rc, 'import changed rcParams'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
