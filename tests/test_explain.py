import pytest
import torch
from torch import nn

from torchbook import explain


def _tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def test_integrated_gradients_completeness():
    model = _tiny_model()
    x = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    target = torch.tensor([0, 1, 2, 1])
    baseline = torch.full((6,), 0.3, dtype=torch.float64)
    attr = explain.integrated_gradients(model, x, target, baseline=baseline, steps=200)
    with torch.no_grad():
        gap = model(x).gather(1, target.view(-1, 1)).squeeze(1) - model(baseline.expand_as(x))[torch.arange(4), target]
    assert attr.shape == x.shape
    torch.testing.assert_close(attr.sum(1), gap, rtol=1e-4, atol=1e-5)
    coarse = explain.integrated_gradients(model, x, target, baseline=baseline, steps=4)
    assert (coarse.sum(1) - gap).abs().max() > (attr.sum(1) - gap).abs().max()  # error shrinks with steps


def test_linear_model_attributions_are_exact():
    torch.manual_seed(2)
    model = nn.Linear(5, 3).double()
    x = torch.randn(2, 5, dtype=torch.float64)
    target = torch.tensor([2, 0])
    w = model.weight.detach()[target]  # (2, 5)
    torch.testing.assert_close(explain.integrated_gradients(model, x, target, steps=1), w * x)
    torch.testing.assert_close(explain.saliency(model, x, target), w.abs())
    torch.testing.assert_close(explain.saliency(model, x, target, absolute=False), w)


def test_images_shapes_and_no_parameter_grads():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 4))
    x = torch.rand(3, 1, 4, 4)
    target = torch.tensor([0, 1, 3])
    assert explain.saliency(model, x, target).shape == (3, 1, 4, 4)
    assert explain.integrated_gradients(model, x, target, steps=8).shape == (3, 1, 4, 4)
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError):
        explain.integrated_gradients(model, x, target, steps=0)
