"""Which input pixels a prediction depends on (chapter 8.2): gradient saliency, integrated gradients;
Grad-CAM over a feature map (chapter 6.1).

    sal = explain.saliency(model, X, target)                     # (N, C, H, W) = |d score / d pixel|
    attr = explain.integrated_gradients(model, X, target)       # (N, C, H, W), signed
    attr.flatten(1).sum(1)  ~=  score(X) - score(baseline)       # completeness
    cam = explain.grad_cam(model, model.stages, X, target)      # (N, h, w) >= 0, one feature map

``target`` (N,) names the class whose logit is explained for each input (usually the prediction).
All three put the model in eval mode and leave its parameters' gradients untouched.
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


def grad_cam(
    model: nn.Module,
    layer: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    size: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017): where in ``layer``'s feature map the target logit comes from.

    x (N, C, H, W), target (N,). With A (N, K, h, w) the output of ``layer`` (a module called
    once in ``model``'s forward) and ``dA`` the gradient of the target logit with respect to it,
    each channel's weight is ``alpha = dA.mean((2, 3))`` (N, K) and the map is
    ``relu(sum_k alpha_k A_k)``: (N, h, w), non-negative, in the units of the logit (its scale
    differs from image to image: divide by the maximum to draw it). ``size=(H, W)`` upsamples it
    bilinearly to (N, H, W), to lay it over the input.
    """
    model.eval()
    store: dict[str, torch.Tensor] = {}

    def hook(module: nn.Module, args: object, output: torch.Tensor) -> None:
        store["A"] = output

    handle = layer.register_forward_hook(hook)
    try:
        scores = _scores(model, x.detach(), target)  # (N,)
    finally:
        handle.remove()
    if "A" not in store:
        raise ValueError("layer was not called in model's forward pass")
    A = store["A"]  # (N, K, h, w)
    (dA,) = torch.autograd.grad(scores.sum(), A)  # rows are independent
    alpha = dA.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
    cam = torch.relu((alpha * A).sum(dim=1)).detach()  # (N, h, w)
    if size is not None:
        cam = nn.functional.interpolate(cam.unsqueeze(1), size=size, mode="bilinear", align_corners=False).squeeze(1)
    return cam
