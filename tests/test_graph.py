"""torchbook.graph: the autograd graph as rows, text and a drawing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from torchbook import graph  # noqa: E402
from torchbook.models import MLP  # noqa: E402


def _xw() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.ones(3, requires_grad=True)
    w = torch.ones(3, requires_grad=True)
    return (x * w).sum(), x, w


def test_walk_lists_depth_and_labels() -> None:
    y, x, w = _xw()
    assert graph.walk(y, names={"x": x, "w": w}) == [
        (0, "SumBackward0"),
        (1, "MulBackward0"),
        (2, "AccumulateGrad  leaf x (3,)"),
        (2, "AccumulateGrad  leaf w (3,)"),
    ]


def test_walk_of_tensors_without_graph() -> None:
    assert graph.walk(torch.ones(2)) == [(0, "tensor with no graph (requires_grad=False) (2,)")]
    assert graph.walk(torch.ones(2, requires_grad=True)) == [(0, "leaf that requires grad (2,)")]


def test_walk_marks_a_shared_node_once() -> None:
    x = torch.ones(2, requires_grad=True)
    h = x.exp()
    y = (h + h).sum()
    labels = [label for _, label in graph.walk(y)]
    assert labels.count("ExpBackward0") == 1
    assert labels.count("ExpBackward0 (shown above)") == 1


def test_text_draws_a_tree() -> None:
    y, x, w = _xw()
    assert graph.text(y, names={"x": x, "w": w}) == (
        "SumBackward0\n└─ MulBackward0\n   ├─ AccumulateGrad  leaf x (3,)\n   └─ AccumulateGrad  leaf w (3,)"
    )


def test_count_counts_distinct_nodes_by_kind() -> None:
    y, _, _ = _xw()
    assert graph.count(y) == 4
    assert graph.count(y, "AccumulateGrad") == 2
    x = torch.ones(2, requires_grad=True)
    h = x.exp()
    assert graph.count((h + h).sum()) == 4  # Sum, Add, Exp, AccumulateGrad: Exp counted once


def _box_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_bbox_patch() is not None]


def test_draw_one_box_per_distinct_node() -> None:
    y, x, w = _xw()
    fig = graph.draw(y, names={"x": x, "w": w})
    assert isinstance(fig, Figure)
    assert sorted(_box_texts(fig)) == sorted(
        ["SumBackward0", "MulBackward0", "AccumulateGrad\nx (3,)", "AccumulateGrad\nw (3,)"]
    )
    plt.close(fig)


def test_draw_layers_and_arrows() -> None:
    model = MLP()
    out = model(torch.zeros(2, 1, 28, 28)).sum()
    fig = graph.draw(out, names=dict(model.named_parameters()))
    ax = fig.axes[0]
    boxes = [(t.get_text(), t.get_position()) for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(boxes) == graph.count(out)  # AddmmBackward0 and TBackward0 twice each: two layers
    y_of = dict(boxes)  # the leaves' labels are unique
    # the root on top; fc1 (used first in forward) is deeper in the backward graph than fc2
    assert y_of["SumBackward0"][1] == max(pos[1] for _, pos in boxes)
    assert y_of["AccumulateGrad\nfc1.weight (128, 784)"][1] < y_of["AccumulateGrad\nfc2.weight (10, 128)"][1]
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation" and c.get_text() == ""]
    assert len(arrows) == graph.count(out) - 1  # a tree here: one arrow into every node but the root
    plt.close(fig)


def test_draw_marks_an_input_used_twice() -> None:
    x = torch.ones(3, requires_grad=True)
    fig = graph.draw((x * x).sum(), names={"x": x})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "x2" in texts
    assert len(_box_texts(fig)) == 3
    plt.close(fig)


def test_draw_tensor_without_graph() -> None:
    fig = graph.draw(torch.ones(2))
    assert _box_texts(fig) == ["tensor with no graph (requires_grad=False) (2,)"]
    plt.close(fig)


def test_draw_a_long_chain_needs_no_recursion() -> None:
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(1500):
        y = y * 1.0
    fig = graph.draw(y)
    assert len(_box_texts(fig)) == 1501
    plt.close(fig)


def test_walk_handles_graphs_deeper_than_the_recursion_limit():
    x = torch.ones(2, requires_grad=True)
    h = x
    for _ in range(3000):  # a loop in forward: 3000 nodes in a chain
        h = h * 1.0001
    rows = graph.walk(h.sum())
    assert len(rows) == 3002 and rows[-1][0] == 3001
    assert graph.count(h.sum(), "MulBackward0") == 3000
