"""Which input pixels a prediction depends on (chapter 8.2): gradient saliency, integrated gradients.

    sal = explain.saliency(model, X, target)                     # (N, C, H, W) = |d score / d pixel|
    attr = explain.integrated_gradients(model, X, target)       # (N, C, H, W), signed
    attr.flatten(1).sum(1)  ~=  score(X) - score(baseline)       # completeness

``target`` (N,) names the class whose logit is explained for each input (usually the prediction).
Both functions put the model in eval mode and leave its parameters' gradients untouched.
"""

from __future__ import annotations

import torch
from torch import nn


def _scores(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The target logit of each row: x (N, ...) , target (N,) -> (N,)."""
    logits = model(x)  # (N, C)
    return logits.gather(1, target.view(-1, 1)).squeeze(1)


def _input_grad(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(_scores(model, x, target).sum(), x)  # rows are independent
    return grad


def saliency(model: nn.Module, x: torch.Tensor, target: torch.Tensor, absolute: bool = True) -> torch.Tensor:
    """Gradient of the target logit with respect to the input (Simonyan et al. 2014). x (N, ...) -> (N, ...).

    ``absolute=True`` returns its magnitude, the usual saliency map.
    """
    model.eval()
    grad = _input_grad(model, x, target)
    return grad.abs() if absolute else grad


def integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    baseline: torch.Tensor | None = None,
    steps: int = 64,
) -> torch.Tensor:
    """Integrated gradients (Sundararajan et al. 2017). x (N, ...), target (N,) -> attributions (N, ...).

    ``(x - x') * mean over the path x' + a (x - x'), a in [0, 1], of d score / d input``, the
    integral approximated by the trapezoidal rule on ``steps`` intervals. ``baseline`` x' is
    zeros by default (broadcast against ``x``). Completeness: each row of attributions sums to
    ``score(x) - score(x')`` up to the integration error, which shrinks as ``steps`` grows.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    model.eval()
    x = x.detach()
    baseline = torch.zeros_like(x) if baseline is None else baseline.detach().expand_as(x)
    n = x.shape[0]
    alphas = torch.linspace(0, 1, steps + 1, dtype=x.dtype, device=x.device)  # (S+1,)
    shape = (steps + 1, 1) + (1,) * (x.ndim - 1)
    path = baseline.unsqueeze(0) + alphas.view(shape) * (x - baseline).unsqueeze(0)  # (S+1, N, ...)
    grads = _input_grad(model, path.reshape(-1, *x.shape[1:]), target.repeat(steps + 1))
    grads = grads.view(steps + 1, n, *x.shape[1:])  # (S+1, N, ...)
    weights = torch.ones(steps + 1, dtype=x.dtype, device=x.device)
    weights[0] = weights[-1] = 0.5  # trapezoidal rule
    mean_grad = (weights.view(shape) * grads).sum(0) / steps  # (N, ...)
    return (x - baseline) * mean_grad
