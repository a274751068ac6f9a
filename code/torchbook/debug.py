"""Tools for finding bugs in a model (chapter 7.2): activation statistics and NaN hunting.

Importing this module changes nothing. Three tools::

    from torchbook import debug
    with debug.ActivationRecorder(model) as rec:   # forward hooks on every leaf module
        model(X)
    print(rec.table())                             # mean, std, share of zeros, max |value|

    found = debug.find_anomaly(lambda: loss_fn(model(X), y))   # backward under anomaly mode
    found.node, found.forward_lines                # e.g. "PowBackward0", ["d = ((a - b) ** 2)..."]

    loss.backward(); debug.grad_norms(model)       # {"layers.0.linear.weight": 0.12, ...}
"""

from __future__ import annotations

import os
import sysconfig
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ActStats:
    """Summary of one output tensor of a module: statistics over all its elements."""

    shape: tuple[int, ...]
    mean: float
    std: float
    zero_frac: float  # share of elements exactly 0 (a ReLU layer at 1.0 is dead)
    max_abs: float
    nonfinite: int  # number of NaN or infinite elements


def act_stats(t: torch.Tensor) -> ActStats:
    """Statistics of a tensor of any shape, computed in float32 (one host sync)."""
    t = t.detach()
    finite = torch.isfinite(t)
    x = torch.where(finite, t, torch.zeros((), dtype=t.dtype, device=t.device)).float()
    std = x.std() if x.numel() > 1 else torch.zeros((), device=x.device)
    values = torch.stack([x.mean(), std, (t == 0).float().mean(), x.abs().max(), (~finite).sum().float()])
    mean, std_, zero, max_abs, nonfinite = values.tolist()
    return ActStats(tuple(t.shape), mean, std_, zero, max_abs, int(nonfinite))


class ActivationRecorder:
    """Record :class:`ActStats` of the output of modules of ``model`` with forward hooks.

    ``types``: record only modules of these types (default: every leaf module, i.e. one with no
    children). Use it as a context manager; the hooks are removed on exit. ``stats[name]`` is the
    list of :class:`ActStats` of that module's calls, in call order; only tensor outputs are
    recorded. Recording happens under ``torch.no_grad`` and does not change the model's outputs.
    """

    def __init__(self, model: nn.Module, types: Iterable[type[nn.Module]] | None = None) -> None:
        self.model = model
        self.types = tuple(types) if types is not None else None
        self.stats: dict[str, list[ActStats]] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def _wanted(self, module: nn.Module) -> bool:
        if self.types is not None:
            return isinstance(module, self.types)
        return next(module.children(), None) is None

    def __enter__(self) -> ActivationRecorder:
        for name, module in self.model.named_modules():
            if name and self._wanted(module):
                self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def _hook(self, name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(module: nn.Module, args: object, output: object) -> None:
            if isinstance(output, torch.Tensor):
                with torch.no_grad():
                    self.stats.setdefault(name, []).append(act_stats(output))

        return hook

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def last(self) -> dict[str, ActStats]:
        """The statistics of each module's most recent call, in the order the modules first ran."""
        return {name: calls[-1] for name, calls in self.stats.items()}

    def table(self) -> str:
        """A text table of :meth:`last`: one row per module, floats with 4 significant digits."""
        header = (
            f"{'module':<14} {'output shape':<16} {'mean':>10} {'std':>10} {'zeros':>6} "
            f"{'max|x|':>10} {'non-finite':>10}"
        )
        rows = [header, "-" * len(header)]
        for name, s in self.last().items():
            rows.append(
                f"{name:<14} {str(s.shape):<16} {s.mean:>10.4g} {s.std:>10.4g} {s.zero_frac:>6.0%} "
                f"{s.max_abs:>10.4g} {s.nonfinite:>10}"
            )
        return "\n".join(rows)


@dataclass(frozen=True)
class Anomaly:
    """What anomaly detection found: the backward node that failed and the forward call behind it."""

    node: str  # the autograd node whose output contained NaN, e.g. "PowBackward0"
    message: str  # the RuntimeError's message
    forward_lines: list[str]  # source lines of the forward call's traceback, outermost first, no file paths


def find_anomaly(step: Callable[[], torch.Tensor], check_nan: bool = True) -> Anomaly | None:
    """Run ``step()`` (returns a scalar loss) and ``backward()`` under ``torch.autograd.detect_anomaly``.

    Returns None when the backward pass runs clean, else an :class:`Anomaly`. The forward
    traceback that PyTorch emits as a warning is kept as its source lines only (no paths or line
    numbers), without the frames of torch, installed packages, the standard library and this
    module, so the result is the same on every machine.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with torch.autograd.detect_anomaly(check_nan=check_nan):
                step().backward()
        except RuntimeError as err:
            error = err
        else:
            return None
    trace = next((str(w.message) for w in caught if "Error detected in" in str(w.message)), "")
    if not trace:  # not a backward error (e.g. a shape error in the forward pass): not ours to explain
        raise error
    node = trace.split("Error detected in ", 1)[1].split(".", 1)[0]
    lines, keep = [], False
    for line in trace.splitlines():
        if line.startswith("  File "):
            keep = not _is_library(line.split('"')[1] if '"' in line else "")
        elif line.startswith("    ") and keep:
            lines.append(line.strip())
    return Anomaly(node, str(error), lines)


def _is_library(filename: str) -> bool:
    """True for frames of installed packages, the standard library, torch, or this module."""
    path = os.path.realpath(filename)
    roots = {sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")}
    roots.add(os.path.dirname(torch.__file__))
    if path == os.path.realpath(__file__):
        return True
    return any(path.startswith(os.path.realpath(root) + os.sep) for root in roots) or "-packages" + os.sep in path


def grad_norms(model: nn.Module, weights_only: bool = True) -> dict[str, float]:
    """The L2 norm of each parameter's ``.grad``, by parameter name, in registration order.

    For a model built input to output (e.g. ``models.DeepMLP``) the order is the layer order.
    ``weights_only`` keeps weight matrices and kernels (``p.ndim >= 2``) and drops biases and
    normalisation scales; parameters whose ``.grad`` is None are skipped. Returns Python floats:
    one host sync for all norms.
    """
    named = [
        (n, p.grad) for n, p in model.named_parameters() if p.grad is not None and (p.ndim >= 2 or not weights_only)
    ]
    if not named:
        return {}
    norms = torch.stack([torch.linalg.vector_norm(g.detach().float()) for _, g in named]).tolist()
    return {n: v for (n, _), v in zip(named, norms)}
