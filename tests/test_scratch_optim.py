"""The hand-written optimizers of chapter 2 (torchbook.scratch) follow torch.optim step by step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from torchbook import scratch


def _problem(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A tiny two-layer regression: model (3 -> 4 -> 1), X (16, 3), y (16, 1)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    X = torch.randn(16, 3)
    y = torch.randn(16, 1)
    return model, X, y


def _grads(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    model.zero_grad(set_to_none=True)
    nn.functional.mse_loss(model(X), y).backward()
    return [p.grad.clone() for p in model.parameters()]


def _run_both(make_torch, scratch_step, steps: int = 6) -> None:
    """Train two copies of one model, one with torch.optim, one by hand; compare every step."""
    ref, X, y = _problem()
    mine, _, _ = _problem()
    optimizer = make_torch(ref.parameters())
    state: dict = {}
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(ref(X), y).backward()
        optimizer.step()
        scratch_step(list(mine.parameters()), _grads(mine, X, y), state)
        for p_ref, p_mine in zip(ref.parameters(), mine.parameters()):
            torch.testing.assert_close(p_mine, p_ref)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_sgd_matches_torch(momentum: float, weight_decay: float) -> None:
    _run_both(
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=momentum, weight_decay=weight_decay),
        lambda ps, gs, st: scratch.sgd_step(ps, gs, st, lr=0.1, momentum=momentum, weight_decay=weight_decay),
    )


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_matches_torch(weight_decay: float) -> None:
    _run_both(
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=weight_decay),
        lambda ps, gs, st: scratch.adam_step(ps, gs, st, lr=0.01, betas=(0.8, 0.99), weight_decay=weight_decay),
        steps=8,
    )


def test_sgd_plain_is_one_line() -> None:
    p = torch.tensor([1.0, -2.0])
    scratch.sgd_step([p], [torch.tensor([0.5, 0.5])], {}, lr=0.1)
    torch.testing.assert_close(p, torch.tensor([0.95, -2.05]))


def test_adam_first_step_is_lr_times_sign() -> None:
    """Bias correction makes Adam's first step lr * g / (|g| + eps): about lr, whatever |g| is."""
    p = torch.zeros(3)
    state: dict = {}
    scratch.adam_step([p], [torch.tensor([1e-3, -5.0, 200.0])], state, lr=0.1)
    torch.testing.assert_close(p, torch.tensor([-0.1, 0.1, -0.1]), rtol=1e-4, atol=1e-6)
    assert state["step"] == 1


def test_state_keeps_momentum_between_calls() -> None:
    p = torch.zeros(1)
    state: dict = {}
    for _ in range(2):
        scratch.sgd_step([p], [torch.ones(1)], state, lr=1.0, momentum=0.5)
    # step 1: b = 1, p = -1; step 2: b = 0.5 * 1 + 1 = 1.5, p = -2.5
    torch.testing.assert_close(p, torch.tensor([-2.5]))
    torch.testing.assert_close(state["momentum_buffer"][0], torch.tensor([1.5]))
