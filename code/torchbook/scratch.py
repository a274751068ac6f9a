"""Hand-written versions of what PyTorch does for us, each tested against PyTorch.

Chapter 2 writes the optimizers' update rules by hand; chapter 4 the forward pass,
backpropagation, softmax, cross-entropy and convolution. Each function states its shapes
and has a twin test in ``tests/`` that compares it with PyTorch on tiny tensors.
"""

from __future__ import annotations

import torch

# ============================================================================ optimizers (chapter 2)
#
# What ``optimizer.step()`` does, one function per optimizer. Each updates the parameters in
# place from their gradients and keeps its memory (momentum, moment estimates, step count) in
# a plain dict ``state`` the caller passes in again at the next step, the way torch.optim keeps
# ``optimizer.state``. Shapes: ``params[i]`` and ``grads[i]`` have the same (any) shape.


@torch.no_grad()
def sgd_step(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    state: dict,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> None:
    """One step of SGD, with heavy-ball momentum if ``momentum > 0``, as ``torch.optim.SGD``.

    For each parameter p with gradient g (same shape):
        g <- g + weight_decay * p
        b <- g                       at the first step,
        b <- momentum * b + g        afterwards (the "velocity", kept in state["momentum_buffer"]),
        p <- p - lr * b              (plain SGD, momentum = 0: p <- p - lr * g).
    """
    buffers = state.setdefault("momentum_buffer", [None] * len(params))
    for i, (p, g) in enumerate(zip(params, grads)):
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            if buffers[i] is None:
                buffers[i] = g.clone()
            else:
                buffers[i].mul_(momentum).add_(g)
            g = buffers[i]
        p.sub_(lr * g)


@torch.no_grad()
def adam_step(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    state: dict,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> None:
    """One step of Adam (adaptive moment estimation, Kingma & Ba 2015), as ``torch.optim.Adam``.

    With t the step number (1, 2, ...), for each parameter p with gradient g (same shape):
        g <- g + weight_decay * p                  (L2 penalty; AdamW decays p instead)
        m <- beta1 * m + (1 - beta1) * g           first moment: running mean of g
        v <- beta2 * v + (1 - beta2) * g * g       second moment: running mean of g squared
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (bias correction: m, v start at 0)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)  element-wise: each weight its own step size
    """
    beta1, beta2 = betas
    t = state["step"] = state.get("step", 0) + 1
    ms = state.setdefault("exp_avg", [torch.zeros_like(p) for p in params])
    vs = state.setdefault("exp_avg_sq", [torch.zeros_like(p) for p in params])
    for p, g, m, v in zip(params, grads, ms, vs):
        if weight_decay:
            g = g + weight_decay * p
        m.mul_(beta1).add_((1 - beta1) * g)
        v.mul_(beta2).add_((1 - beta2) * g * g)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


# ============================================================================ the math chapter (chapter 4)
#
# The maths of a small network written out by hand: the forward pass, backpropagation, the
# losses, the linear-regression gradients and convolution by loops. Conventions are PyTorch's:
# a batch is a stack of ROWS, x (N, in_features), and a weight matrix is W (out, in) as in
# ``nn.Linear``, so one layer is ``z = x W^T + b``: the row form of the column formula
# ``z = W a + b`` that articles 000 and 003 write for a single example.

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402


def linear(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """Affine map ``z = x W^T + b``, as ``nn.Linear``. x (N, in), W (out, in), b (out,) -> (N, out)."""
    z = x @ W.T  # (N, in) @ (in, out) -> (N, out)
    return z if b is None else z + b  # b (out,) broadcasts over the N rows


def relu(z: torch.Tensor) -> torch.Tensor:
    """``max(z, 0)`` elementwise. z any shape -> same shape."""
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_grad(z: torch.Tensor) -> torch.Tensor:
    """ReLU'(z): 1 where z > 0, else 0 (PyTorch's choice at z = 0). z any shape -> same shape."""
    return (z > 0).to(z.dtype)


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """``1 / (1 + e^{-z})`` elementwise, without overflow for large |z|. Any shape -> same shape."""
    e = torch.exp(-z.abs())  # in (0, 1]: never overflows
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z: torch.Tensor) -> torch.Tensor:
    """sigma'(z) = sigma(z) (1 - sigma(z)). Any shape -> same shape."""
    s = sigmoid(z)
    return s * (1 - s)


ACTIVATIONS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "identity": (lambda z: z, torch.ones_like),
}


def mlp_forward(
    x: torch.Tensor, params: list[tuple[torch.Tensor, torch.Tensor]], activation: str = "relu"
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Forward pass of an MLP: ``activation`` after every layer but the last, which stays linear.

    x (N, n_0); params ``[(W1, b1), ..., (WL, bL)]`` with Wl (n_l, n_{l-1}), bl (n_l,);
    returns out (N, n_L) (logits, or the prediction of a regression) and the cache that
    :func:`mlp_backward` needs: per layer a^(l-1) (N, n_{l-1}), z^(l) (N, n_l) and W^(l).
    Row form of article 003's z^(l) = W^(l) a^(l-1) + b^(l), a^(l) = f(z^(l)).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    f, _ = ACTIVATIONS[activation]
    a = x
    layers = []
    for index, (W, b) in enumerate(params):
        z = linear(a, W, b)  # pre-activation (N, n_l)
        layers.append({"a_prev": a, "z": z, "W": W})
        a = z if index == len(params) - 1 else f(z)  # (N, n_l)
    return a, {"layers": layers, "activation": activation}


def mlp_backward(cache: dict[str, Any], dout: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Backpropagation through :func:`mlp_forward`: ``[(dL/dW1, dL/db1), ...]``, shaped like params.

    dout = dL/d(out) (N, n_L). Row form of delta^(l) = (W^(l+1)^T delta^(l+1)) * f'(z^(l)) and
    dL/dW^(l) = delta^(l) a^(l-1)^T: with deltas stacked as rows, delta (N, n_l),
    dW = delta^T a_prev (n_l, n_{l-1}) sums the N examples' outer products, db = delta.sum(0).
    """
    _, f_grad = ACTIVATIONS[cache["activation"]]
    layers = cache["layers"]
    grads = []
    delta = dout  # the last layer is linear: delta^(L) = dL/dz^(L) = dL/d(out)   (N, n_L)
    for index in reversed(range(len(layers))):
        layer = layers[index]
        grads.append((delta.T @ layer["a_prev"], delta.sum(0)))  # (n_l, n_{l-1}), (n_l,)
        if index > 0:
            delta = (delta @ layer["W"]) * f_grad(layers[index - 1]["z"])  # (N, n_{l-1})
    return grads[::-1]


def softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``e^{z_k} / sum_j e^{z_j}`` along ``dim``, shifted by the max so e^z cannot overflow. Any shape."""
    e = torch.exp(z - z.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``z_k - log sum_j e^{z_j}`` along ``dim`` (log-sum-exp with the max shifted out). Any shape."""
    shifted = z - z.amax(dim=dim, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean of ``-log softmax(logits)[label]``, as ``F.cross_entropy``. logits (N, C), labels (N,) int -> ()."""
    logp = log_softmax(logits, dim=1)  # (N, C)
    return -logp[torch.arange(logits.shape[0]), labels].mean()


def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """d cross_entropy / d logits = (softmax(logits) - onehot(labels)) / N. logits (N, C), labels (N,) -> (N, C)."""
    onehot = torch.zeros_like(logits)
    onehot[torch.arange(logits.shape[0]), labels] = 1
    return (softmax(logits, dim=1) - onehot) / logits.shape[0]


def bce(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p))``, as ``F.binary_cross_entropy``.

    p (N,) probabilities in (0, 1), y (N,) float targets in {0, 1} (any shape, the same for both) -> ().
    """
    if p.shape != y.shape:
        raise ValueError(f"bce needs p and y of the same shape, got {tuple(p.shape)} and {tuple(y.shape)}")
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def bce_with_logits(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``bce(sigmoid(z), y)`` computed stably from logits, as ``F.binary_cross_entropy_with_logits``.

    Uses -log sigma(z) = log(1 + e^{-z}) in the form max(z, 0) - z y + log(1 + e^{-|z|}).
    z (N,) logits, y (N,) float in {0, 1} (same shape) -> ().
    """
    if z.shape != y.shape:
        raise ValueError(f"bce_with_logits needs z and y of the same shape, got {tuple(z.shape)} and {tuple(y.shape)}")
    return (z.clamp_min(0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean()


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error ``mean((pred - target)^2)``, as ``F.mse_loss``. pred, target same shape -> ().

    Unlike ``F.mse_loss`` (which warns and broadcasts), different shapes are an error here.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f"mse needs pred and target of the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    return ((pred - target) ** 2).mean()


def linear_regression_grads(
    x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of L = 1/n sum (y_i - (w x_i + b))^2 (article 004). x, y (n,) or (n, 1); w, b () -> (dw, db) ().

    dL/dw = -2/n sum x_i r_i and dL/db = -2/n sum r_i, with residuals r_i = y_i - (w x_i + b).
    """
    r = y - (w * x + b)  # residuals, shape of y
    return -2 * (x * r).mean(), -2 * r.mean()


def least_squares(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form least squares by the normal equations A^T A theta = A^T y, with A = [X, 1].

    X (n, d), y (n, k) -> w (d, k), b (k,) minimising mean((X w + b - y)^2). Solves the system
    (no explicit inverse); fine for small, well-conditioned d. Prefer ``torch.linalg.lstsq`` otherwise.
    """
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)], dim=1)  # (n, d+1)
    theta = torch.linalg.solve(A.T @ A, A.T @ y)  # (d+1, k)
    return theta[:-1], theta[-1]


def numerical_grad(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central finite differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each entry i.

    f maps a tensor shaped like x to a scalar; x any shape (use float64) -> gradient shaped like x.
    Costs 2 x.numel() calls of f: a check for small tensors, not a way to train.
    """
    x = x.detach().clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        plus = float(f(x))
        flat[i] = old - eps
        minus = float(f(x))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def conv_output_size(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: floor((n + 2p - d (k - 1) - 1) / s) + 1.

    n input length, k kernel length, p zero padding on each side, s stride, d dilation (all ints).
    """
    out = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"a kernel of size {k} (dilation {dilation}) does not fit an input of {n} padded by {padding}")
    return out


def conv2d(
    x: torch.Tensor,
    k: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> torch.Tensor:
    """Article 002's S(i, j) = sum_m sum_n I(i + m, j + n) K(m, n) by explicit loops, as ``F.conv2d``.

    x (N, C_in, H, W), k (C_out, C_in, kH, kW), bias (C_out,) -> (N, C_out, H_out, W_out), with
    H_out = conv_output_size(H, kH, padding, stride, dilation). Each term multiplies the input
    channels with the kernel slice: (N, C_in) @ (C_in, C_out). This is cross-correlation, like
    PyTorch's conv2d: the kernel is NOT flipped (see :func:`convolve2d`).
    """
    N, C_in, H, W = x.shape
    C_out, C_in_k, kH, kW = k.shape
    if C_in != C_in_k:
        raise ValueError(f"x has {C_in} channels but the kernel expects {C_in_k}")
    H_out = conv_output_size(H, kH, padding, stride, dilation)
    W_out = conv_output_size(W, kW, padding, stride, dilation)
    if padding:
        zeros_h = x.new_zeros(N, C_in, padding, W)
        x = torch.cat([zeros_h, x, zeros_h], dim=2)  # (N, C_in, H + 2p, W)
        zeros_w = x.new_zeros(N, C_in, H + 2 * padding, padding)
        x = torch.cat([zeros_w, x, zeros_w], dim=3)  # (N, C_in, H + 2p, W + 2p)
    rows = []
    for i in range(H_out):
        cols = []
        for j in range(W_out):
            s = x.new_zeros(N, C_out) if bias is None else bias.expand(N, C_out)
            for m in range(kH):
                for n in range(kW):
                    pixel = x[:, :, i * stride + m * dilation, j * stride + n * dilation]  # (N, C_in)
                    s = s + pixel @ k[:, :, m, n].T  # (N, C_out)
            cols.append(s)
        rows.append(torch.stack(cols, dim=-1))  # (N, C_out, W_out)
    return torch.stack(rows, dim=-2)  # (N, C_out, H_out, W_out)


def convolve2d(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """True convolution (I * K)(i, j) = sum_m sum_n I(i - m, j - n) K(m, n), 'valid' part, by loops.

    image (H, W), kernel (kH, kW) -> (H - kH + 1, W - kW + 1): the positions where every I(i - m,
    j - n) exists, i from kH - 1 to H - 1. Equals cross-correlation with the kernel flipped in both axes.
    """
    H, W = image.shape
    kH, kW = kernel.shape
    out = image.new_zeros(H - kH + 1, W - kW + 1)
    for i in range(kH - 1, H):
        for j in range(kW - 1, W):
            s = image.new_zeros(())
            for m in range(kH):
                for n in range(kW):
                    s = s + image[i - m, j - n] * kernel[m, n]
            out[i - kH + 1, j - kW + 1] = s
    return out
