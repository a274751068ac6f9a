"""torchbook.models.BasicBlock and ResNet (chapter 6.1)."""

import pytest
import torch
from torch import nn

from torchbook import models


def _block_params(c_in: int, c_out: int, projection: bool) -> int:
    """Two bias-free 3x3 convolutions, two BatchNorms (scale and shift), and the 1x1 projection + BN."""
    count = 9 * c_in * c_out + 9 * c_out * c_out + 2 * 2 * c_out
    return count + (c_in * c_out + 2 * c_out if projection else 0)


@pytest.mark.parametrize("c_in,c_out,stride", [(16, 16, 1), (16, 32, 2), (8, 8, 2), (8, 24, 1)])
def test_basic_block_shape_and_parameter_count(c_in, c_out, stride):
    block = models.BasicBlock(c_in, c_out, stride)
    out = block(torch.randn(2, c_in, 9, 9))
    side = (9 + stride - 1) // stride
    assert out.shape == (2, c_out, side, side)
    projection = stride != 1 or c_in != c_out
    assert isinstance(block.shortcut, nn.Sequential) == projection
    assert isinstance(block.shortcut, nn.Identity) == (not projection)
    assert models.count_parameters(block) == _block_params(c_in, c_out, projection)
    assert (out >= 0).all()  # it ends in a ReLU


def test_identity_shortcut_passes_the_input_through():
    block = models.BasicBlock(4, 4).eval()
    nn.init.zeros_(block.bn2.weight)  # the residual branch outputs 0 (bn2's shift is 0 too)
    x = torch.randn(3, 4, 6, 6)
    torch.testing.assert_close(block(x), torch.relu(x))


@pytest.mark.parametrize("blocks,widths", [(1, (16, 32, 64)), (2, (8, 16, 32)), (1, (8, 16))])
def test_resnet_shapes_depth_and_parameters(blocks, widths):
    model = models.ResNet(blocks, widths)
    x = torch.randn(2, 3, 32, 32)
    side = 32 // 2 ** (len(widths) - 1)
    assert model.features(x).shape == (2, widths[-1], side, side)
    assert model(x).shape == (2, 10)
    assert model.depth == 2 * blocks * len(widths) + 2
    n = 27 * widths[0] + 2 * widths[0]  # stem conv + BN
    c_in = widths[0]
    for i, w in enumerate(widths):
        for b in range(blocks):
            n += _block_params(c_in, w, projection=(b == 0 and (i > 0 or c_in != w)))
            c_in = w
    n += widths[-1] * 10 + 10  # head
    assert models.count_parameters(model) == n


def test_resnet8_size_and_grey_input():
    assert models.count_parameters(models.ResNet(1)) == 78_042
    grey = models.ResNet(1, (8, 16, 32), in_channels=1, num_classes=3)
    assert grey(torch.zeros(1, 1, 28, 28)).shape == (1, 3)


def test_resnet_trains_one_step():
    torch.manual_seed(0)
    model = models.ResNet(1, (8, 16, 32))
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.step()
    assert nn.functional.cross_entropy(model(x), y) < loss


def test_resnet_rejects_empty_config():
    with pytest.raises(ValueError):
        models.ResNet(0)
    with pytest.raises(ValueError):
        models.ResNet(1, ())
