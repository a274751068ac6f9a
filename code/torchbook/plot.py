"""Plots the chapters share. Each function draws one figure and returns it.

Nothing is configured at import. In a notebook end the call with ``;`` so the figure is shown
once::

    plot.history(history);
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from torchbook.training import History


def history(h: History | Mapping[str, History], title: str | None = None, floor: float | None = None) -> Figure:
    """Loss (left) and accuracy (right, if recorded), train and validation, of one History or several.

    The x-axis is the epoch, or the step for a history that records steps (``text.LMHistory``).
    One History: train as circles, validation as squares. A dict ``{name: History}`` compares
    runs on shared axes: one colour per run, training dashed, validation solid. ``floor`` draws
    a horizontal reference line on the loss panel (e.g. the best loss of a simpler model).
    """
    runs = dict(h) if isinstance(h, Mapping) else {"": h}
    panels = [("loss", "train_loss", "val_loss")]
    if any(r.train_acc or r.val_acc for r in runs.values()):
        panels.append(("accuracy", "train_acc", "val_acc"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for ax, (name, train_key, val_key) in zip(axes[0], panels):
        for i, (run, r) in enumerate(runs.items()):
            steps = list(getattr(r, "step", None) or [])
            for key, style, label in ((train_key, "o-", "train"), (val_key, "s--", "validation")):
                values = getattr(r, key)
                if not values:
                    continue
                x = steps if len(steps) == len(values) else range(1, len(values) + 1)
                if run:  # several runs: colour per run, line style per split
                    ax.plot(
                        x,
                        values,
                        "--" if label == "train" else "-",
                        color=f"C{i}",
                        label=f"{run} ({label})",
                        alpha=0.6 if label == "train" else 1.0,
                    )
                else:
                    ax.plot(x, values, style, label=label)
        if name == "loss" and floor is not None:
            ax.axhline(floor, color="gray", linestyle=":", label=f"floor {floor:.3f}")
        xlabel = "step" if any(getattr(r, "step", None) for r in runs.values()) else "epoch"
        ax.set(xlabel=xlabel, ylabel=name, title=name)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(
    images: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    preds: Sequence[int] | torch.Tensor | None = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> Figure:
    """A grid of images (N, C, H, W), titled "label" or "pred/label" (red when wrong).

    ``mean``/``std`` undo a normalisation before drawing.
    """
    images = images.detach().cpu().float()
    if images.ndim != 4:
        raise ValueError(f"image_grid needs images (N, C, H, W), got shape {tuple(images.shape)}")
    if mean is not None and std is not None:
        images = images * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
    images = images.clamp(0, 1)
    n = images.shape[0]
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.6 * nrows), squeeze=False)

    def name(i: int) -> str:
        return class_names[i] if class_names is not None else str(i)

    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        img = images[k].permute(1, 2, 0).numpy()
        ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None)
        if labels is not None:
            label = int(labels[k])
            if preds is not None:
                pred = int(preds[k])
                ax.set_title(f"{name(pred)}/{name(label)}", fontsize=8, color="black" if pred == label else "red")
            else:
                ax.set_title(name(label), fontsize=8)
    fig.tight_layout()
    return fig


def confusion_matrix(cm: torch.Tensor, class_names: Sequence[str] | None = None, title: str = "") -> Figure:
    """A confusion matrix (C, C) (rows true, columns predicted) as a heat map with counts."""
    cm_np = cm.detach().cpu().numpy()
    c = cm_np.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(c)]
    fig, ax = plt.subplots(figsize=(0.55 * c + 2, 0.55 * c + 1.5))
    im = ax.imshow(cm_np, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set(xticks=range(c), yticks=range(c), xlabel="predicted", ylabel="true", title=title)
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticklabels(names)
    threshold = cm_np.max() / 2
    for i in range(c):
        for j in range(c):
            color = "white" if cm_np[i, j] > threshold else "black"
            ax.text(j, i, str(cm_np[i, j]), ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    return fig


@torch.no_grad()
def decision_boundary(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    device: torch.device | str = "cpu",
    resolution: int = 200,
    title: str = "",
) -> Figure:
    """Regions a 2-D classifier assigns to each class, with the points X (N, 2), y (N,) on top.

    The model returns one logit (N, 1)/(N,) for two classes, or logits (N, C).
    """
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points X (N, 2), got {tuple(X.shape)}")
    model.eval()
    lo, hi = X.min(0).values - 0.5, X.max(0).values + 0.5
    xs = torch.linspace(float(lo[0]), float(hi[0]), resolution)
    ys = torch.linspace(float(lo[1]), float(hi[1]), resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    out = model(grid.to(device)).cpu()
    if out.ndim == 1 or out.shape[1] == 1:
        region = (out.reshape(-1) > 0).long()
    else:
        region = out.argmax(1)
    fig, ax = plt.subplots(figsize=(5, 4.2))
    ax.contourf(gx.numpy(), gy.numpy(), region.reshape(resolution, resolution).numpy(), alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0].numpy(), X[:, 1].numpy(), c=y.numpy(), s=8, cmap="coolwarm", edgecolors="none")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    fig.tight_layout()
    return fig


def curve(
    values: Sequence[float] | np.ndarray,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str = "",
    logy: bool = False,
) -> Figure:
    """One line of values against their index (a loss curve, say)."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(np.arange(1, len(values) + 1), np.asarray(values))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    fig.tight_layout()
    return fig
