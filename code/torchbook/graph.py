"""The computation graph autograd records, read from ``grad_fn`` (no graphviz needed).

    y = (x * w).sum()
    print(graph.text(y))
    # SumBackward0
    # └─ MulBackward0
    #    ├─ AccumulateGrad  leaf x (3,)
    #    └─ AccumulateGrad  leaf w (3,)
"""

from __future__ import annotations

from typing import Any

import torch


def _label(fn: Any, names: dict[int, str]) -> str:
    name = type(fn).__name__
    variable = getattr(fn, "variable", None)
    if variable is not None:  # AccumulateGrad: the leaf tensor it writes .grad into
        leaf = names.get(id(variable), "")
        return f"{name}  leaf {leaf + ' ' if leaf else ''}{tuple(variable.shape)}"
    return name


def walk(t: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> list[tuple[int, str]]:
    """Depth-first list of (depth, label) of the graph behind ``t``; ``names`` labels leaves.

    A node reached a second time is listed once more as "... (shown above)" and not expanded.
    """
    if t.grad_fn is None:
        kind = "leaf that requires grad" if t.requires_grad else "tensor with no graph (requires_grad=False)"
        return [(0, f"{kind} {tuple(t.shape)}")]
    by_id = {id(v): k for k, v in (names or {}).items()}
    rows: list[tuple[int, str]] = []
    seen: set[int] = set()

    def visit(fn: Any, depth: int) -> None:
        label = _label(fn, by_id)
        if id(fn) in seen:
            rows.append((depth, f"{label} (shown above)"))
            return
        seen.add(id(fn))
        rows.append((depth, label))
        for child, _ in fn.next_functions:
            if child is not None:
                visit(child, depth + 1)

    visit(t.grad_fn, 0)
    return rows


def text(t: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> str:
    """The graph behind ``t`` as an indented tree, one node per line (see :func:`walk`)."""
    rows = walk(t, names)
    lines = []
    for i, (depth, label) in enumerate(rows):
        if depth == 0:
            lines.append(label)
            continue
        # a sibling follows if a later row at this depth comes before any shallower row
        last = True
        for d, _ in rows[i + 1:]:
            if d < depth:
                break
            if d == depth:
                last = False
                break
        prefix = ""
        for level in range(1, depth):
            # draw a bar where the ancestor at this level still has siblings below
            more = False
            for d, _ in rows[i + 1:]:
                if d < level:
                    break
                if d == level:
                    more = True
                    break
            prefix += "│  " if more else "   "
        lines.append(prefix + ("└─ " if last else "├─ ") + label)
    return "\n".join(lines)


def count(t: torch.Tensor, kind: str | None = None) -> int:
    """Number of distinct nodes behind ``t`` (only those whose type name starts with ``kind``)."""
    return sum(1 for _, label in walk(t) if "(shown above)" not in label and (kind is None or label.startswith(kind)))
