"""Where and how the book's code runs: the device, the seed and the run mode.

Importing this module changes nothing; every function is called explicitly at the
top of a notebook::

    from torchbook import runtime
    g = runtime.seed(0)              # seeds Python, NumPy and torch; returns a Generator
    device = runtime.device()        # cuda > mps > cpu, or TORCHBOOK_DEVICE
    epochs = runtime.pick(full=10, fast=1)   # chooses by TORCHBOOK_MODE
"""

from __future__ import annotations

import os
import platform
import random
import sys
from typing import Literal, TypeVar

import numpy as np
import torch

Mode = Literal["full", "fast"]
MODES: tuple[Mode, ...] = ("full", "fast")
T = TypeVar("T")


class ConfigError(ValueError):
    """An environment variable of the book holds a value it cannot use."""


def mode() -> Mode:
    """The run mode from ``TORCHBOOK_MODE``: ``"full"`` (default) or ``"fast"`` (small CPU runs)."""
    value = os.environ.get("TORCHBOOK_MODE", "full").strip().lower() or "full"
    if value not in MODES:
        raise ConfigError(
            f"TORCHBOOK_MODE={value!r} is not a run mode. Use 'full' (the real data sets and "
            "epochs, the default) or 'fast' (small slices for CPU tests), e.g. "
            "export TORCHBOOK_MODE=fast, or unset it."
        )
    return value  # type: ignore[return-value]


def pick(full: T, fast: T) -> T:
    """Return ``full`` or ``fast`` according to :func:`mode` (e.g. epochs, ``limit=``)."""
    return full if mode() == "full" else fast


def device(prefer: str | None = None) -> torch.device:
    """The device to compute on: ``prefer``, else ``TORCHBOOK_DEVICE``, else cuda > mps > cpu.

    A requested device that this machine does not have is a :class:`ConfigError`.
    """
    name = (prefer or os.environ.get("TORCHBOOK_DEVICE", "")).strip().lower()
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as err:
        raise ConfigError(
            f"TORCHBOOK_DEVICE={name!r} is not a device name; use 'cpu', 'cuda', 'cuda:1' or 'mps'."
        ) from err
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }.get(dev.type, False)
    if available and dev.type == "cuda" and dev.index is not None:
        available = dev.index < torch.cuda.device_count()
    if not available:
        fix = (
            "pass a device it has, e.g. 'cpu', or none to let the book choose"
            if prefer
            else "unset TORCHBOOK_DEVICE to let the book choose, or set it to 'cpu'"
        )
        raise ConfigError(f"Device {name!r} was requested but this machine has none by that name; {fix}.")
    return dev


def seed(n: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and torch's generators with ``n``; return a fresh torch Generator.

    Pass the generator to ``DataLoader(..., generator=g)``: shuffling then draws from it, not from
    the global generator, so drawing a model's initial weights does not move the batch order.
    """
    if n < 0:
        raise ValueError(f"seed must be a non-negative integer, got {n}")
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
    return torch.Generator().manual_seed(n)


def hardware(dev: torch.device | str | None = None) -> dict[str, object]:
    """The one description of the machine, used by the pages, ``bench/bench.py`` and the GPU lane's report.

    Keys: device, cpu (model name from /proc/cpuinfo where there is one), cpu_count,
    torch_threads, torch, python, platform; on CUDA also gpu (as ``torch.cuda.get_device_name``
    prints it), cuda and cudnn. ``dev`` defaults to :func:`device`.
    """
    dev = torch.device(dev) if dev is not None else device()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info: dict[str, object] = {
        "device": str(dev),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    if dev.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(dev)
        info["cuda"] = str(torch.version.cuda)
        info["cudnn"] = torch.backends.cudnn.version()
    return info


def environment() -> dict[str, str]:
    """Versions and hardware, for the environment check a reader runs first (from :func:`hardware`)."""
    import torchvision

    hw = hardware()
    info = {
        "python": sys.version.split()[0],
        "platform": str(hw["platform"]),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "device": str(hw["device"]),
        "mode": mode(),
        "cpu threads": str(hw["torch_threads"]),
    }
    if "gpu" in hw:
        info["gpu"] = str(hw["gpu"])
        info["cuda"] = str(hw["cuda"])
    return info
