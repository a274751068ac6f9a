"""Metrics of classification. Each returns a tensor on the inputs' device (no host sync).

acc = metrics.accuracy(logits, y)          # 0-dim tensor; float(acc) or f"{acc:.4f}"
cm = metrics.confusion_matrix(logits.argmax(1), y, num_classes=10)
"""

from __future__ import annotations

import torch


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of rows whose arg-max equals the label. logits (N, C), labels (N,) -> 0-dim tensor."""
    if logits.ndim != 2 or labels.ndim != 1 or logits.shape[0] != labels.shape[0]:
        raise ValueError(
            f"accuracy needs logits (N, C) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}"
        )
    return (logits.argmax(dim=1) == labels).float().mean()


def binary_accuracy(outputs: torch.Tensor, labels: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """Share of correct 0/1 decisions ``outputs > threshold``. outputs (N,) or (N, 1), labels likewise.

    Use ``threshold=0.0`` for logits and ``0.5`` for probabilities (a model ending in sigmoid).
    """
    outputs, labels = outputs.reshape(-1), labels.reshape(-1)
    if outputs.shape != labels.shape:
        raise ValueError(f"binary_accuracy needs one output per label, got {outputs.numel()} and {labels.numel()}")
    return ((outputs > threshold).long() == labels.long()).float().mean()


def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts (C, C): row = true class, column = predicted class. preds (N,), labels (N,) int."""
    if preds.shape != labels.shape:
        raise ValueError(
            f"preds and labels must have the same shape, got {tuple(preds.shape)} and {tuple(labels.shape)}"
        )
    index = labels.long() * num_classes + preds.long()
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def precision_recall_f1(cm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-class precision, recall and F1, each (C,), from a confusion matrix (C, C); 0 where undefined."""
    cm = cm.double()
    tp = cm.diagonal()
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp(min=1), torch.zeros_like(tp))
    denom = precision + recall
    f1 = torch.where(denom > 0, 2 * precision * recall / denom.clamp(min=1e-12), torch.zeros_like(tp))
    return precision, recall, f1
