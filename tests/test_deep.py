import pytest
import torch
from torch import nn

from torchbook import debug, models


def test_deep_mlp_shapes_and_depth():
    torch.manual_seed(0)
    for kwargs in (
        {},
        {"activation": "tanh", "norm": "batch"},
        {"activation": "sigmoid", "residual": True, "init": "kaiming"},
    ):
        model = models.DeepMLP(width=16, depth=5, **kwargs)
        assert model(torch.randn(4, 1, 28, 28)).shape == (4, 10)
        assert len(model.layers) == 5
        assert model.layers[0].linear.in_features == 784 and model.head.in_features == 16
    assert models.DeepMLP(in_features=3, width=8, depth=1, out_features=2)(torch.randn(5, 3)).shape == (5, 2)


def test_deep_mlp_first_layer_never_residual():
    model = models.DeepMLP(width=8, depth=3, residual=True)
    assert [layer.residual for layer in model.layers] == [False, True, True]


def test_batch_norm_adds_parameters():
    plain = models.DeepMLP(width=16, depth=4)
    bn = models.DeepMLP(width=16, depth=4, norm="batch")
    assert models.count_parameters(bn) - models.count_parameters(plain) == 4 * 2 * 16


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_residual_block_is_identity_at_zero_weights(activation):
    torch.manual_seed(0)
    model = models.DeepMLP(in_features=6, width=6, depth=4, out_features=6, activation=activation, residual=True)
    for layer in model.layers[1:]:
        nn.init.zeros_(layer.linear.weight)
        nn.init.zeros_(layer.linear.bias)
    x = torch.randn(3, 6)
    h1 = model.layers[0](x)
    torch.testing.assert_close(model(x), model.head(h1))


def test_kaiming_init_statistics():
    torch.manual_seed(0)
    model = models.DeepMLP(width=256, depth=2, init="kaiming", gain=2.0)
    w = model.layers[1].linear.weight
    assert abs(w.std().item() - 2.0 * (2 / 256) ** 0.5) < 0.01
    assert torch.all(model.layers[1].linear.bias == 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        models.DeepMLP(activation="swish")
    with pytest.raises(ValueError, match="norm"):
        models.DeepMLP(norm="layer")
    with pytest.raises(ValueError, match="init"):
        models.DeepMLP(init="orthogonal")
    with pytest.raises(ValueError, match="depth"):
        models.DeepMLP(depth=0)


def test_grad_norms_order_and_values():
    torch.manual_seed(0)
    model = models.DeepMLP(in_features=5, width=4, depth=3, out_features=2, norm="batch")
    loss = model(torch.randn(8, 5)).square().mean()
    loss.backward()
    norms = debug.grad_norms(model)
    assert list(norms) == ["layers.0.linear.weight", "layers.1.linear.weight", "layers.2.linear.weight", "head.weight"]
    for name, p in model.named_parameters():
        if name in norms:
            assert norms[name] == pytest.approx(p.grad.pow(2).sum().sqrt().item(), rel=1e-6)
    everything = debug.grad_norms(model, weights_only=False)
    assert list(everything) == [n for n, _ in model.named_parameters()]  # biases, BN scales too


def test_grad_norms_skips_missing_grads():
    model = nn.Linear(3, 2)
    assert debug.grad_norms(model) == {}
    model(torch.ones(1, 3)).sum().backward()
    assert list(debug.grad_norms(model)) == ["weight"]
