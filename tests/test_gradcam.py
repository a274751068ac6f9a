"""torchbook.explain.grad_cam (chapter 6.1)."""

import pytest
import torch
from torch import nn

from torchbook import explain, models


class _CamNet(nn.Module):
    """conv -> ReLU -> global average pool -> linear: the setting of the original CAM."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv(x)).mean(dim=(2, 3)))


def test_grad_cam_equals_the_hand_computation():
    torch.manual_seed(0)
    model = _CamNet().double()
    x = torch.randn(3, 2, 5, 6, dtype=torch.float64)
    target = torch.tensor([0, 2, 1])
    cam = explain.grad_cam(model, model.act, x, target)
    # by hand: d logit_c / d A_k(i, j) = w_ck / (h w) everywhere, so alpha_k = w_ck / (h w)
    with torch.no_grad():
        A = torch.relu(model.conv(x))  # (N, K, h, w)
        w = model.fc.weight[target]  # (N, K)
        expected = torch.relu((w[:, :, None, None] * A).sum(1) / (5 * 6))
    assert cam.shape == (3, 5, 6)
    torch.testing.assert_close(cam, expected)
    # and the CAM sums to the class score minus the bias when nothing is clipped by the ReLU
    scores = model(x).gather(1, target.view(-1, 1)).squeeze(1) - model.fc.bias[target]
    unclipped = ((w[:, :, None, None] * A).sum(1) / 30).sum((1, 2))
    torch.testing.assert_close(unclipped, scores.detach())


def test_grad_cam_on_resnet_shape_nonnegative_and_upsampled():
    torch.manual_seed(0)
    model = models.ResNet(1, (8, 16, 32))
    x = torch.randn(4, 3, 32, 32)
    target = torch.tensor([1, 2, 3, 4])
    cam = explain.grad_cam(model, model.stages, x, target)
    assert cam.shape == (4, 8, 8)
    assert (cam >= 0).all() and not cam.requires_grad
    big = explain.grad_cam(model, model.stages, x, target, size=(32, 32))
    assert big.shape == (4, 32, 32) and (big >= 0).all()
    assert all(p.grad is None for p in model.parameters())  # parameters' gradients untouched
    assert not model.training


def test_grad_cam_needs_a_layer_of_the_model():
    model = _CamNet()
    with pytest.raises(ValueError, match="not called"):
        explain.grad_cam(model, nn.ReLU(), torch.randn(1, 2, 4, 4), torch.tensor([0]))
