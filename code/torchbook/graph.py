"""The computation graph autograd records, read from ``grad_fn`` (no graphviz needed).

y = (x * w).sum()
print(graph.text(y, names={"x": x, "w": w}))
# SumBackward0
# └─ MulBackward0
#    ├─ AccumulateGrad  leaf x (3,)
#    └─ AccumulateGrad  leaf w (3,)
fig = graph.draw(y, names={"x": x, "w": w})   # the same graph as a layered picture
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _label(fn: Any, names: dict[int, str]) -> str:
    name = type(fn).__name__
    variable = getattr(fn, "variable", None)
    if variable is not None:  # AccumulateGrad: the leaf tensor it writes .grad into
        leaf = names.get(id(variable), "")
        return f"{name}  leaf {leaf + ' ' if leaf else ''}{tuple(variable.shape)}"
    return name


def _structure(
    t: torch.Tensor, names: dict[str, torch.Tensor] | None
) -> tuple[list[int], dict[int, str], list[tuple[int, int]], dict[int, bool]]:
    """Distinct nodes behind ``t`` in depth-first order, their labels, edges and leaf flags."""
    by_id = {id(v): k for k, v in (names or {}).items()}
    order: list[int] = []
    labels: dict[int, str] = {}
    is_leaf: dict[int, bool] = {}
    edges: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack: list[Any] = [t.grad_fn]
    while stack:  # iterative depth-first search: long graphs (loops) need no recursion
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(id(fn))
        is_leaf[id(fn)] = getattr(fn, "variable", None) is not None
        labels[id(fn)] = _label(fn, by_id)
        children = [c for c, _ in fn.next_functions if c is not None]
        edges.extend((id(fn), id(c)) for c in children)
        stack.extend(reversed(children))
    return order, labels, edges, is_leaf


def walk(t: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> list[tuple[int, str]]:
    """Depth-first list of (depth, label) of the graph behind ``t``; ``names`` labels leaves.

    A node reached a second time is listed once more as "... (shown above)" and not expanded.
    """
    if t.grad_fn is None:
        kind = "leaf that requires grad" if t.requires_grad else "tensor with no graph (requires_grad=False)"
        return [(0, f"{kind} {tuple(t.shape)}")]
    order, labels, edges, _ = _structure(t, names)
    children: dict[int, list[int]] = {n: [] for n in order}
    for a, b in edges:
        children[a].append(b)
    rows: list[tuple[int, str]] = []
    seen: set[int] = set()
    stack = [(order[0], 0)]  # (node, depth); no recursion, so long graphs (loops) are fine
    while stack:
        n, depth = stack.pop()
        if n in seen:
            rows.append((depth, f"{labels[n]} (shown above)"))
            continue
        seen.add(n)
        rows.append((depth, labels[n]))
        stack.extend((c, depth + 1) for c in reversed(children[n]))
    return rows


def _continues(rows: list[tuple[int, str]], i: int, level: int) -> bool:
    """Whether a later row at ``level`` follows row ``i`` before any row shallower than ``level``."""
    for d, _ in rows[i + 1 :]:
        if d <= level:
            return d == level
    return False


def text(t: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> str:
    """The graph behind ``t`` as an indented tree, one node per line (see :func:`walk`)."""
    rows = walk(t, names)
    lines = []
    for i, (depth, label) in enumerate(rows):
        if depth == 0:
            lines.append(label)
            continue
        # a bar where an ancestor still has siblings below; the branch shape by this node's own
        prefix = "".join("│  " if _continues(rows, i, level) else "   " for level in range(1, depth))
        lines.append(prefix + ("├─ " if _continues(rows, i, depth) else "└─ ") + label)
    return "\n".join(lines)


def count(t: torch.Tensor, kind: str | None = None) -> int:
    """Number of distinct nodes behind ``t`` (only those whose type name starts with ``kind``)."""
    return sum(1 for _, label in walk(t) if "(shown above)" not in label and (kind is None or label.startswith(kind)))


# ----------------------------------------------------------------------------- drawing (chapter 2)


def draw(t: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> Figure:
    """Draw the graph behind ``t`` in layers: ``t.grad_fn`` on top, the leaves' nodes below.

    Each distinct ``grad_fn`` node is one box (a node reached twice is drawn once, with two
    arrows into it); ``AccumulateGrad`` boxes, the leaves, are green and carry the leaf's name
    from ``names`` and its shape. Arrows point the way ``backward()`` sends gradients; an input
    used k > 1 times by one node (``x * x``) gets one arrow marked "xk". A node sits one layer
    below the deepest node that points to it. Returns the matplotlib Figure (text artists: one
    per node, plus one per "xk" mark).
    """
    import matplotlib.pyplot as plt

    if t.grad_fn is None:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.text(
            0.5, 0.5, walk(t, names)[0][1], ha="center", va="center", bbox={"boxstyle": "round", "facecolor": "#eeeeee"}
        )
        ax.axis("off")
        return fig

    order, labels, edges, is_leaf = _structure(t, names)
    # layer = length of the longest path from the root, so every arrow points downwards
    waiting = {n: 0 for n in order}  # arrows into n not yet processed
    for _, b in edges:
        waiting[b] += 1
    layer = {n: 0 for n in order}
    ready = [n for n in order if waiting[n] == 0]  # the root
    children: dict[int, list[int]] = {n: [] for n in order}
    for a, b in edges:
        children[a].append(b)
    while ready:
        n = ready.pop()
        for c in children[n]:
            layer[c] = max(layer[c], layer[n] + 1)
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    rows: dict[int, list[int]] = {}
    for n in order:  # depth-first order within a layer keeps related nodes side by side
        rows.setdefault(layer[n], []).append(n)
    width = max(len(r) for r in rows.values())
    parents: dict[int, list[int]] = {n: [] for n in order}
    for a, b in edges:
        parents[b].append(a)
    pos: dict[int, tuple[float, float]] = {}
    for d in sorted(rows):  # top down; order each layer by its parents' mean x (fewer crossings)
        row = rows[d]
        if d > 0:
            row.sort(key=lambda n: sum(pos[p][0] for p in parents[n]) / len(parents[n]))
        for i, n in enumerate(row):
            pos[n] = (i - (len(row) - 1) / 2, -float(d))

    layer_height = 0.8  # inches from one layer to the next
    fig, ax = plt.subplots(figsize=(max(4.0, 2.6 * width), layer_height * (len(rows) + 0.6)))
    multiplicity: dict[tuple[int, int], int] = {}
    for edge in edges:  # x * x reaches the same leaf twice: one arrow, marked "x2"
        multiplicity[edge] = multiplicity.get(edge, 0) + 1
    for (a, b), k in multiplicity.items():
        top = (0.25 if is_leaf[b] else 0.14) / layer_height  # half a box: leaves have two lines
        ax.annotate(
            "",
            xy=(pos[b][0], pos[b][1] + top),
            xytext=(pos[a][0], pos[a][1] - 0.14 / layer_height),
            arrowprops={"arrowstyle": "-|>", "color": "0.45", "shrinkA": 0, "shrinkB": 0},
        )
        if k > 1:
            ax.text(
                (pos[a][0] + pos[b][0]) / 2 + 0.08,
                (pos[a][1] + pos[b][1]) / 2,
                f"x{k}",
                fontsize=8,
                color="0.3",
                va="center",
            )
    for n in order:
        x, y = pos[n]
        ax.text(
            x,
            y,
            labels[n].replace("  leaf ", "\n", 1),
            ha="center",
            va="center",
            fontsize=9,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "#d9f2d9" if is_leaf[n] else "#dce8f7", "edgecolor": "0.3"},
        )
    ax.set_xlim(-width / 2 - 0.1, width / 2 + 0.1)
    ax.set_ylim(-(len(rows) - 1) - 0.5, 0.5)
    ax.axis("off")
    fig.tight_layout()
    return fig
