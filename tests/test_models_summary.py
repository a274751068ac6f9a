"""torchbook.models.summary: a per-layer table from forward hooks on a dummy input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from torchbook.models import MLP, LeNet, count_parameters, summary


def _rows(table: str) -> list[str]:
    """The body rows: the lines between the two rules."""
    lines = table.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line) == {"="}]
    return lines[rules[0] + 1 : rules[1]]


def test_mlp_table() -> None:
    table = summary(MLP(), (1, 1, 28, 28))
    assert table.splitlines()[0].split() == ["Layer", "(type)", "Output", "shape", "Param", "#"]
    rows = [r.split() for r in _rows(table)]
    assert rows == [["fc1", "(Linear)", "(1,", "128)", "100,480"], ["fc2", "(Linear)", "(1,", "10)", "1,290"]]
    assert "Total params: 101,770" in table
    assert "Trainable params: 101,770" in table
    assert "Non-trainable params: 0" in table


def test_lenet_shapes_follow_the_batch() -> None:
    table = summary(LeNet(), (2, 3, 32, 32))
    rows = _rows(table)
    assert [r.split()[0] for r in rows] == ["conv1", "pool", "conv2", "pool", "fc1", "fc2", "fc3"]
    assert "(2, 16, 5, 5)" in rows[3]
    assert f"Total params: {count_parameters(LeNet()):,}" in table


def test_nested_containers_come_before_their_children_and_frozen_params_count() -> None:
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Sequential(nn.Linear(5, 1)))
    model[0].weight.requires_grad_(False)
    rows = [r.split()[0] for r in _rows(summary(model, (4, 10)))]
    assert rows == ["0", "1", "2", "2.0"]
    table = summary(model, (4, 10))
    assert "Total params: 61" in table
    assert "Trainable params: 11" in table
    assert "Non-trainable params: 50" in table


def test_mode_is_restored_and_hooks_removed() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    summary(model, (2, 3))
    assert model.training and model[1].training
    model.eval()
    summary(model, (2, 3))
    assert not model.training
    assert not model[0]._forward_hooks and not model[0]._forward_pre_hooks


def test_a_module_called_twice_has_two_rows() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(torch.relu(self.fc(x)))

    table = summary(Twice(), (1, 4))
    assert [r.split()[0] for r in _rows(table)] == ["fc", "fc"]
    assert "Total params: 20" in table


def test_tuple_outputs() -> None:
    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, 2, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return out

    rows = _rows(summary(Wrap(), (1, 5, 3)))
    assert "[(1, 5, 2), [(1, 1, 2), (1, 1, 2)]]" in rows[0]


def test_wrong_input_shape_raises_and_leaves_no_hooks() -> None:
    model = MLP()
    with pytest.raises(RuntimeError):
        summary(model, (1, 3, 32, 32))
    assert not model.fc1._forward_hooks and not model.fc1._forward_pre_hooks
