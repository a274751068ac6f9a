"""torchbook.scratch, the math chapter (chapter 4): every hand-written function against PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import gradcheck

from torchbook import scratch


@pytest.fixture
def g() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def randn(*shape: int, g: torch.Generator, grad: bool = False) -> torch.Tensor:
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(grad)


# ---------------------------------------------------------------------------- layers, activations


def test_linear_matches_nn_linear(g: torch.Generator) -> None:
    layer = nn.Linear(4, 3)
    x = torch.randn(5, 4, generator=g)
    torch.testing.assert_close(scratch.linear(x, layer.weight, layer.bias), layer(x))
    torch.testing.assert_close(scratch.linear(x, layer.weight), F.linear(x, layer.weight))


def test_linear_gradcheck(g: torch.Generator) -> None:
    x, W, b = randn(5, 4, g=g, grad=True), randn(3, 4, g=g, grad=True), randn(3, g=g, grad=True)
    assert gradcheck(scratch.linear, (x, W, b))


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_activations_match_torch(name: str, g: torch.Generator) -> None:
    z = torch.cat([torch.randn(20, generator=g) * 5, torch.tensor([0.0, -200.0, 200.0])])
    torch.testing.assert_close(getattr(scratch, name)(z), getattr(torch, name)(z))


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_activation_grads_match_autograd(name: str, g: torch.Generator) -> None:
    z = randn(50, g=g, grad=True)
    getattr(torch, name)(z).sum().backward()
    torch.testing.assert_close(getattr(scratch, f"{name}_grad")(z.detach()), z.grad)


def test_sigmoid_gradcheck(g: torch.Generator) -> None:
    assert gradcheck(scratch.sigmoid, (randn(10, g=g, grad=True),))


# ---------------------------------------------------------------------------- forward, backward


def make_params(sizes: list[int], g: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(randn(o, i, g=g, grad=True), randn(o, g=g, grad=True)) for i, o in zip(sizes, sizes[1:])]


def test_mlp_forward_matches_nn_sequential(g: torch.Generator) -> None:
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)).double()
    params = [(model[0].weight, model[0].bias), (model[2].weight, model[2].bias)]
    x = randn(4, 3, g=g)
    out, cache = scratch.mlp_forward(x, params)
    torch.testing.assert_close(out, model(x))
    assert [layer["z"].shape for layer in cache["layers"]] == [(4, 5), (4, 2)]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "identity"])
@pytest.mark.parametrize("sizes", [[3, 5, 2], [4, 6, 5, 3], [2, 1]])
def test_mlp_backward_matches_autograd(activation: str, sizes: list[int], g: torch.Generator) -> None:
    params = make_params(sizes, g)
    x, labels = randn(7, sizes[0], g=g), torch.randint(0, sizes[-1], (7,), generator=g)
    out, cache = scratch.mlp_forward(x, params, activation)
    loss = F.cross_entropy(out, labels)
    loss.backward()
    dout = scratch.cross_entropy_grad(out.detach(), labels)
    for (dW, db), (W, b) in zip(scratch.mlp_backward(cache, dout), params):
        torch.testing.assert_close(dW, W.grad)
        torch.testing.assert_close(db, b.grad)


def test_mlp_rejects_unknown_activation(g: torch.Generator) -> None:
    with pytest.raises(ValueError, match="activation"):
        scratch.mlp_forward(randn(2, 2, g=g), make_params([2, 2], g), "tanh")


def test_numerical_grad_matches_autograd(g: torch.Generator) -> None:
    W = randn(3, 4, g=g, grad=True)
    x = randn(5, 4, g=g)

    def f(weight: torch.Tensor) -> torch.Tensor:
        return (torch.tanh(x @ weight.T) ** 2).sum()

    before = W.detach().clone()
    f(W).backward()
    torch.testing.assert_close(scratch.numerical_grad(f, W), W.grad, rtol=1e-6, atol=1e-8)
    assert W.detach().equal(before)  # numerical_grad works on a copy


# ---------------------------------------------------------------------------- softmax and losses


def test_softmax_and_log_softmax_match_torch(g: torch.Generator) -> None:
    z = torch.randn(4, 6, generator=g) * 10
    z[0, 0] = 1000.0  # would overflow exp without the max shift
    for dim in (0, 1, -1):
        torch.testing.assert_close(scratch.softmax(z, dim), torch.softmax(z, dim))
        torch.testing.assert_close(scratch.log_softmax(z, dim), torch.log_softmax(z, dim))
    assert torch.isfinite(scratch.log_softmax(z)).all()


def test_softmax_gradcheck(g: torch.Generator) -> None:
    assert gradcheck(scratch.softmax, (randn(3, 4, g=g, grad=True),))
    assert gradcheck(scratch.log_softmax, (randn(3, 4, g=g, grad=True),))


def test_cross_entropy_matches_torch_and_its_grad(g: torch.Generator) -> None:
    logits, labels = randn(6, 4, g=g, grad=True), torch.randint(0, 4, (6,), generator=g)
    loss = scratch.cross_entropy(logits, labels)
    torch.testing.assert_close(loss, F.cross_entropy(logits, labels))
    loss.backward()
    torch.testing.assert_close(scratch.cross_entropy_grad(logits.detach(), labels), logits.grad)
    assert gradcheck(lambda z: scratch.cross_entropy(z, labels), (logits.detach().requires_grad_(),))


def test_bce_matches_torch(g: torch.Generator) -> None:
    z = randn(8, g=g)
    p, y = torch.sigmoid(z).requires_grad_(), (torch.rand(8, generator=g) > 0.5).double()
    torch.testing.assert_close(scratch.bce(p, y), F.binary_cross_entropy(p, y))
    assert gradcheck(lambda q: scratch.bce(q, y), (p,))
    with pytest.raises(ValueError, match="same shape"):
        scratch.bce(p.view(8, 1), y)


def test_bce_with_logits_matches_torch_and_is_stable(g: torch.Generator) -> None:
    z = torch.cat([randn(8, g=g) * 3, torch.tensor([60.0, -60.0], dtype=torch.float64)]).requires_grad_()
    y = torch.tensor([0, 1] * 5, dtype=torch.float64)
    loss = scratch.bce_with_logits(z, y)
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(z, y))
    loss.backward()
    torch.testing.assert_close(z.grad, (torch.sigmoid(z) - y).detach() / z.numel())  # (sigma(z) - y) / N
    assert gradcheck(lambda t: scratch.bce_with_logits(t, y), (z.detach().requires_grad_(),))


def test_mse_matches_torch_and_rejects_broadcasting(g: torch.Generator) -> None:
    pred, target = randn(10, 1, g=g, grad=True), randn(10, 1, g=g)
    torch.testing.assert_close(scratch.mse(pred, target), F.mse_loss(pred, target))
    assert gradcheck(lambda p: scratch.mse(p, target), (pred,))
    with pytest.raises(ValueError, match="same shape"):
        scratch.mse(pred, target.view(10))


# ---------------------------------------------------------------------------- regression


def test_linear_regression_grads_match_autograd(g: torch.Generator) -> None:
    x = randn(30, 1, g=g)
    y = 3 * x + 2 + 0.1 * randn(30, 1, g=g)
    w, b = (
        torch.tensor(0.5, dtype=torch.float64, requires_grad=True),
        torch.tensor(-1.0, dtype=torch.float64, requires_grad=True),
    )
    F.mse_loss(w * x + b, y).backward()
    dw, db = scratch.linear_regression_grads(x, y, w.detach(), b.detach())
    torch.testing.assert_close(dw, w.grad)
    torch.testing.assert_close(db, b.grad)


def test_least_squares_matches_lstsq(g: torch.Generator) -> None:
    X = randn(50, 3, g=g)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 4 + 0.01 * randn(50, 1, g=g)
    w, b = scratch.least_squares(X, y)
    A = torch.cat([X, torch.ones(50, 1, dtype=torch.float64)], dim=1)
    theta = torch.linalg.lstsq(A, y).solution
    torch.testing.assert_close(w, theta[:-1])
    torch.testing.assert_close(b, theta[-1])
    assert w.shape == (3, 1) and b.shape == (1,)


# ---------------------------------------------------------------------------- convolution


@pytest.mark.parametrize(
    "n, k, padding, stride, dilation",
    [(28, 5, 0, 1, 1), (32, 3, 1, 1, 1), (32, 3, 1, 2, 1), (7, 3, 0, 2, 1), (10, 3, 2, 3, 2), (9, 2, 0, 1, 3)],
)
def test_conv_output_size_matches_nn_conv2d(n: int, k: int, padding: int, stride: int, dilation: int) -> None:
    conv = nn.Conv2d(1, 1, k, stride=stride, padding=padding, dilation=dilation)
    expected = conv(torch.zeros(1, 1, n, n)).shape[-1]
    assert scratch.conv_output_size(n, k, padding, stride, dilation) == expected


def test_conv_output_size_rejects_a_kernel_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        scratch.conv_output_size(3, 5)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 1)])
def test_conv2d_matches_torch(stride: int, padding: int, dilation: int, g: torch.Generator) -> None:
    x, k, bias = randn(2, 3, 9, 8, g=g), randn(4, 3, 3, 2, g=g), randn(4, g=g)
    expected = F.conv2d(x, k, bias, stride=stride, padding=padding, dilation=dilation)
    torch.testing.assert_close(scratch.conv2d(x, k, bias, stride, padding, dilation), expected)
    torch.testing.assert_close(
        scratch.conv2d(x, k, stride=stride, padding=padding, dilation=dilation),
        F.conv2d(x, k, stride=stride, padding=padding, dilation=dilation),
    )


def test_conv2d_gradcheck(g: torch.Generator) -> None:
    x, k, bias = randn(1, 2, 5, 4, g=g, grad=True), randn(2, 2, 2, 2, g=g, grad=True), randn(2, g=g, grad=True)
    assert gradcheck(lambda a, b, c: scratch.conv2d(a, b, c, stride=1, padding=1), (x, k, bias))


def test_convolve2d_is_correlation_with_flipped_kernel(g: torch.Generator) -> None:
    image, kernel = randn(6, 7, g=g), randn(3, 2, g=g)
    flipped = torch.flip(kernel, dims=(0, 1))
    corr = F.conv2d(image[None, None], flipped[None, None])[0, 0]
    torch.testing.assert_close(scratch.convolve2d(image, kernel), corr)
    assert not torch.allclose(scratch.convolve2d(image, kernel), F.conv2d(image[None, None], kernel[None, None])[0, 0])


def test_convolve2d_is_commutative_in_full_mode(g: torch.Generator) -> None:
    # With zero padding k - 1 (the 'full' convolution) the roles of image and kernel swap freely.
    a, b = randn(4, 4, g=g), randn(2, 3, g=g)
    pad = lambda t, by: F.pad(t, (by[1] - 1, by[1] - 1, by[0] - 1, by[0] - 1))  # noqa: E731
    torch.testing.assert_close(scratch.convolve2d(pad(a, b.shape), b), scratch.convolve2d(pad(b, a.shape), a))
