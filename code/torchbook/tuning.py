"""Hyper-parameter search: grid, random search and successive halving, at a counted budget.

Page 8.4 teaches these. An objective is any function ``objective(params, budget) -> score``
(higher is better), e.g. the validation accuracy after ``budget`` training steps::

    space = {"lr": tuning.LogUniform(1e-3, 1.0), "weight_decay": tuning.LogUniform(1e-6, 1e-2)}
    grid = tuning.grid_search(tuning.grid(space, 3), objective, budget=300)
    rand = tuning.random_search(space, 9, objective, budget=300, generator=g)
    sh = tuning.successive_halving(space, 27, objective, min_budget=30, eta=3, generator=g)
    best = tuning.best(rand)

Every search returns its trials in the order it ran them; ``cost`` sums their budgets, so
searches are compared at equal compute. Importing this module does nothing else.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "LogUniform",
    "Uniform",
    "Trial",
    "grid",
    "sample",
    "grid_search",
    "random_search",
    "successive_halving",
    "best",
    "cost",
]

Params = dict[str, float]
Objective = Callable[[Params, int], float]


@dataclass(frozen=True)
class Uniform:
    """A range sampled uniformly; a grid of it is evenly spaced, ends included."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"need low < high, got {self.low}, {self.high}")

    def from_unit(self, u: torch.Tensor) -> torch.Tensor:
        """Map u in [0, 1] (any shape) onto the range."""
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class LogUniform(Uniform):
    """A positive range sampled uniformly in log space (learning rates, weight decays)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low <= 0:
            raise ValueError(f"a log-uniform range must be positive, got low={self.low}")

    def from_unit(self, u: torch.Tensor) -> torch.Tensor:
        lo, hi = math.log(self.low), math.log(self.high)
        return torch.exp(lo + u * (hi - lo))


@dataclass(frozen=True)
class Trial:
    """One evaluated configuration: its params, the budget it was trained with and its score."""

    params: Params
    budget: int
    score: float


def grid(space: Mapping[str, Uniform], points: int | Mapping[str, int]) -> list[Params]:
    """Every combination of ``points`` evenly spaced values per dimension (log-spaced for LogUniform)."""
    per = {name: points if isinstance(points, int) else points[name] for name in space}
    axes = []
    for name, dist in space.items():
        n = per[name]
        if n < 1:
            raise ValueError(f"need at least one grid point for {name}")
        u = torch.linspace(0, 1, n, dtype=torch.float64) if n > 1 else torch.tensor([0.5], dtype=torch.float64)
        axes.append([float(v) for v in dist.from_unit(u)])
    return [dict(zip(space, combo)) for combo in itertools.product(*axes)]


def sample(space: Mapping[str, Uniform], n: int, generator: torch.Generator | None = None) -> list[Params]:
    """``n`` configurations drawn independently from ``space`` with ``generator``."""
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    u = torch.rand(n, len(space), generator=g, dtype=torch.float64)  # (n, dims)
    columns = {name: dist.from_unit(u[:, j]) for j, (name, dist) in enumerate(space.items())}
    return [{name: float(columns[name][i]) for name in space} for i in range(n)]


def grid_search(configs: Sequence[Params], objective: Objective, budget: int) -> list[Trial]:
    """Evaluate every configuration of ``configs`` (e.g. from :func:`grid`) at ``budget``."""
    return [Trial(dict(p), budget, float(objective(dict(p), budget))) for p in configs]


def random_search(
    space: Mapping[str, Uniform], n: int, objective: Objective, budget: int, generator: torch.Generator | None = None
) -> list[Trial]:
    """Evaluate ``n`` random configurations of ``space`` at ``budget`` each."""
    return grid_search(sample(space, n, generator), objective, budget)


def successive_halving(
    space: Mapping[str, Uniform],
    n: int,
    objective: Objective,
    min_budget: int,
    eta: int = 3,
    generator: torch.Generator | None = None,
) -> list[Trial]:
    """Successive halving: try ``n`` random configurations at ``min_budget``, keep the best
    1/``eta``, multiply their budget by ``eta``, and repeat until one is left.

    Each round costs about the same (n/eta^r configurations × min_budget·eta^r), so the whole
    search costs about ``rounds × n × min_budget``. Returns every trial of every round; the
    last one is the survivor at the largest budget. A survivor is retrained from scratch at
    each larger budget (no checkpoint is resumed), which keeps the objective a plain function.
    """
    if eta < 2:
        raise ValueError(f"eta must be at least 2, got {eta}")
    configs = sample(space, n, generator)
    budget = min_budget
    trials: list[Trial] = []
    while True:
        scored = [Trial(dict(p), budget, float(objective(dict(p), budget))) for p in configs]
        trials.extend(scored)
        if len(configs) == 1:
            return trials
        keep = max(1, len(configs) // eta)
        order = sorted(range(len(scored)), key=lambda i: -scored[i].score)  # stable: ties keep order
        configs = [configs[i] for i in order[:keep]]
        budget *= eta


def best(trials: Sequence[Trial]) -> Trial:
    """The trial with the highest score among those at the largest budget of ``trials``."""
    if not trials:
        raise ValueError("no trials")
    top_budget = max(t.budget for t in trials)
    return max((t for t in trials if t.budget == top_budget), key=lambda t: t.score)


def cost(trials: Sequence[Trial]) -> int:
    """The compute a search spent: the sum of its trials' budgets."""
    return sum(t.budget for t in trials)
