"""torchbook.tuning: spaces, grids, samples and the three searches on a known objective."""

import math

import pytest
import torch

from torchbook import tuning

SPACE = {"lr": tuning.LogUniform(1e-3, 1.0), "wd": tuning.Uniform(0.0, 1.0)}


def peak(params, budget):
    """A known objective: best at lr = 0.1, wd irrelevant; more budget brings it closer to 1."""
    return (1 - 1 / (1 + budget)) - (math.log10(params["lr"]) + 1) ** 2


def test_grid_is_log_spaced_for_log_uniform_and_has_every_combination():
    configs = tuning.grid(SPACE, 3)
    assert len(configs) == 9
    lrs = sorted({round(c["lr"], 10) for c in configs})
    assert lrs == pytest.approx([1e-3, math.sqrt(1e-3), 1.0])
    assert sorted({c["wd"] for c in configs}) == pytest.approx([0.0, 0.5, 1.0])
    assert len(tuning.grid(SPACE, {"lr": 4, "wd": 1})) == 4
    assert tuning.grid({"x": tuning.Uniform(0, 2)}, 1) == [{"x": 1.0}]


def test_sample_is_reproducible_and_inside_the_space():
    a = tuning.sample(SPACE, 50, torch.Generator().manual_seed(3))
    b = tuning.sample(SPACE, 50, torch.Generator().manual_seed(3))
    assert a == b
    assert all(1e-3 <= p["lr"] <= 1 and 0 <= p["wd"] <= 1 for p in a)
    assert len({p["lr"] for p in a}) == 50  # every sample tries a new learning rate


def test_ranges_reject_bad_bounds():
    with pytest.raises(ValueError):
        tuning.LogUniform(0.0, 1.0)
    with pytest.raises(ValueError):
        tuning.Uniform(1.0, 1.0)


def test_random_search_beats_a_grid_when_one_dimension_matters():
    grid_best = tuning.best(tuning.grid_search(tuning.grid(SPACE, 3), peak, budget=10)).score
    wins = 0
    for seed in range(20):
        trials = tuning.random_search(SPACE, 9, peak, budget=10, generator=torch.Generator().manual_seed(seed))
        assert tuning.cost(trials) == 90
        wins += tuning.best(trials).score > grid_best
    assert wins >= 15


def test_successive_halving_rounds_budgets_and_cost():
    trials = tuning.successive_halving(SPACE, 27, peak, min_budget=2, eta=3, generator=torch.Generator().manual_seed(0))
    budgets = [t.budget for t in trials]
    assert budgets == [2] * 27 + [6] * 9 + [18] * 3 + [54]
    assert tuning.cost(trials) == 4 * 27 * 2
    survivor = tuning.best(trials)
    assert survivor is trials[-1]
    first_round = trials[:27]
    assert survivor.params == max(first_round, key=lambda t: t.score).params  # peak's ranking never changes
    with pytest.raises(ValueError):
        tuning.successive_halving(SPACE, 9, peak, min_budget=1, eta=1)
    with pytest.raises(ValueError):
        tuning.best([])
