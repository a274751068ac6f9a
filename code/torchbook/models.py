"""The models the chapters build, one class each, in the order the book meets them.

Every ``forward`` returns raw scores (logits) unless its docstring says otherwise: the loss
functions ``CrossEntropyLoss`` and ``BCEWithLogitsLoss`` apply softmax/sigmoid themselves.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearRegression(nn.Module):
    """``y = x W^T + b`` (articles 003/004). x (N, in_features) -> (N, out_features)."""

    def __init__(self, in_features: int = 1, out_features: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class SimpleNet(nn.Module):
    """Article 000's binary classifier, 2 -> hidden -> 1. x (N, 2) -> logits (N, 1).

    ``probabilities=True`` ends in a sigmoid as the article does (pair it with ``BCELoss``);
    the default returns logits for the numerically stable ``BCEWithLogitsLoss``.
    """

    def __init__(self, in_features: int = 2, hidden: int = 5, probabilities: bool = False) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.probabilities = probabilities

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc1(x))  # (N, hidden)
        x = self.fc2(x)  # (N, 1)
        return torch.sigmoid(x) if self.probabilities else x


class MLP(nn.Module):
    """Article 001's ``Net``: flatten, 784 -> 128 -> 10. x (N, 1, 28, 28) -> logits (N, 10)."""

    def __init__(self, in_features: int = 784, hidden: int = 128, num_classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)  # (N, 784)
        x = torch.relu(self.fc1(x))  # (N, 128)
        return self.fc2(x)  # (N, 10)


class LeNet(nn.Module):
    """Article 002's CNN, completed: conv 5x5 -> pool -> conv 5x5 -> pool -> 120 -> 84 -> classes.

    x (N, in_channels, image_size, image_size) -> logits (N, num_classes). For CIFAR-10
    (3, 32, 32) the flattened features are 16 * 5 * 5 = 400, as the article writes.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, image_size: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((image_size - 4) // 2 - 4) // 2  # 32 -> 28 -> 14 -> 10 -> 5
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))  # (N, 6, 14, 14)
        x = self.pool(torch.relu(self.conv2(x)))  # (N, 16, 5, 5)
        x = torch.flatten(x, 1)  # (N, 400)
        x = torch.relu(self.fc1(x))  # (N, 120)
        x = torch.relu(self.fc2(x))  # (N, 84)
        return self.fc3(x)  # (N, num_classes)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``model`` (only those with ``requires_grad`` by default)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def summary(model: nn.Module, input_shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> str:
    """A table of the submodules ``model`` calls on a dummy input of ``input_shape`` (batch first).

    One row per call of a submodule, in call order (a container before its children): its
    name, type, output shape and the number of parameters it owns directly
    (``recurse=False``; containers show 0; a module called twice has two rows, its parameters
    are counted once in the totals, which come from ``model.parameters()``). Functional
    calls in ``forward`` (``torch.relu``, ``torch.flatten``) are not modules and have no row.
    The dummy input is zeros on the device of the model's first parameter; the forward pass
    runs under ``no_grad`` in eval mode, and the model's train/eval mode is restored after.
    """
    rows: list[list[str]] = []
    open_rows: dict[int, list[int]] = {}  # id(module) -> its rows whose output is pending

    def shape_of(out: object) -> str:
        if isinstance(out, torch.Tensor):
            return str(tuple(out.shape))
        if isinstance(out, (tuple, list)):
            return "[" + ", ".join(shape_of(o) for o in out) + "]"
        return type(out).__name__

    def before(name: str):  # noqa: ANN202 - a forward pre-hook: the row, in call order
        def hook(module: nn.Module, args: object) -> None:
            own = sum(p.numel() for p in module.parameters(recurse=False))
            open_rows.setdefault(id(module), []).append(len(rows))
            rows.append([f"{name} ({type(module).__name__})", "?", f"{own:,}"])

        return hook

    def after(module: nn.Module, args: object, output: object) -> None:  # the output shape
        rows[open_rows[id(module)].pop()][1] = shape_of(output)

    handles = []
    for name, m in model.named_modules():
        if name:  # every submodule, not the model itself
            handles.append(m.register_forward_pre_hook(before(name)))
            handles.append(m.register_forward_hook(after))
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape, dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    header = ("Layer (type)", "Output shape", "Param #")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]

    def line(r: tuple[str, ...] | list[str]) -> str:
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

    rule = "=" * (sum(widths) + 4)
    total = count_parameters(model, trainable_only=False)
    trainable = count_parameters(model)
    out = [line(header), rule, *(line(r) for r in rows), rule,
           f"Input shape: {tuple(input_shape)}",
           f"Total params: {total:,}",
           f"Trainable params: {trainable:,}",
           f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(out)
