"""torchbook.debug: the activation recorder and the NaN finder of chapter 7.2."""

import pytest
import torch
from torch import nn

from torchbook import debug


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_act_stats_matches_torch():
    t = torch.tensor([[0.0, 1.0], [-3.0, float("nan")]])
    s = debug.act_stats(t)
    finite = torch.tensor([0.0, 1.0, -3.0, 0.0])  # NaN counted, and replaced by 0 in the statistics
    assert s.shape == (2, 2) and s.nonfinite == 1
    assert s.mean == pytest.approx(finite.mean().item()) and s.std == pytest.approx(finite.std().item())
    assert s.zero_frac == 0.25 and s.max_abs == 3.0


def test_recorder_leaf_modules_and_hooks_removed():
    net = _net()
    x = torch.randn(5, 4)
    with debug.ActivationRecorder(net) as rec:
        out = net(x)
        net(x)
    assert list(rec.stats) == ["0", "1", "2"] and all(len(v) == 2 for v in rec.stats.values())
    assert rec.last()["2"].shape == (5, 3)
    torch.testing.assert_close(out, net(x))  # hooks change nothing
    assert all(not m._forward_hooks for m in net.modules())  # and are gone after the block
    relu = net[1](net[0](x))
    assert rec.last()["1"].zero_frac == pytest.approx((relu == 0).float().mean().item())
    assert "module" in rec.table() and len(rec.table().splitlines()) == 2 + 3


def test_recorder_types_and_dead_layer():
    net = _net()
    nn.init.constant_(net[0].bias, -100.0)  # every pre-activation negative: a dead ReLU layer
    with debug.ActivationRecorder(net, types=[nn.ReLU]) as rec:
        net(torch.randn(16, 4))
    assert list(rec.stats) == ["1"] and rec.last()["1"].zero_frac == 1.0


def test_find_anomaly_names_node_and_line():
    a = torch.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)

    def step():
        d = torch.sqrt(((a[:, None] - a[None]) ** 2).sum(-1))  # zero distances: NaN gradient
        return d.sum()

    found = debug.find_anomaly(step)
    assert found is not None and found.node == "PowBackward0" and "nan" in found.message
    assert any("** 2" in line for line in found.forward_lines)
    assert not any("/" in line and "site-packages" in line for line in found.forward_lines)


def test_find_anomaly_clean_and_foreign_errors():
    w = torch.ones(3, requires_grad=True)
    assert debug.find_anomaly(lambda: (w * 2).sum()) is None
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        debug.find_anomaly(lambda: (torch.ones(2, 3) @ torch.ones(2, 3)).sum())
