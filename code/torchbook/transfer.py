"""Transfer learning and data augmentation (6.7): class splits, few labels, probes, heads, augmentation.

A network pretrained on some classes is adapted to others with few labels::

    from torchbook import transfer
    src_x, src_y = transfer.select_classes(images, labels, (0, 1, 2, 3, 4))  # relabelled 0..4
    idx = transfer.few_per_class(tgt_y, per_class=50, generator=g)          # a balanced sample
    feats = transfer.features(backbone, X)             # a linear probe's fixed features (N, D)
    transfer.new_head(model, num_classes=5)            # fine-tuning: a fresh last layer ...
    groups = transfer.param_groups(model, head_lr=0.1, backbone_lr=0.01)   # ... and two lrs

The augmentation is torchvision's ``transforms.v2``: per image (:func:`augmentation`, run by
:class:`ImageTensors`; TrivialAugment with translations scaled to the image,
:class:`ScaledTrivialAugmentWide`) and per batch (MixUp/CutMix, :func:`mixup_or_cutmix` in a
DataLoader's ``collate_fn`` by :func:`mix_collate`). Their soft labels (N, C) go to
``nn.CrossEntropyLoss`` as they are and are scored by :func:`accuracy`. Training is
``torchbook.training.fit``; comparisons over seeds are ``torchbook.stats.compare_seeds``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, default_collate
from torchvision.transforms import v2

from torchbook import metrics

Batch = tuple[torch.Tensor, torch.Tensor]
LEVELS = ("none", "crop+flip", "+TrivialAugment", "+MixUp/CutMix")

# ---------------------------------------------------------------------------- data


def select_classes(
    images: torch.Tensor, labels: torch.Tensor, classes: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The rows whose label is in ``classes``, relabelled 0..len(classes)-1 in that order.

    images (N, ...) any dtype, labels (N,) int -> images (M, ...), labels (M,) int64.
    """
    classes_t = torch.as_tensor(list(classes), dtype=torch.int64)
    if len(classes_t.unique()) != len(classes_t):
        raise ValueError(f"classes must be distinct, got {list(classes)}")
    keep = torch.isin(labels, classes_t)  # (N,)
    new = torch.full((int(labels.max()) + 1,), -1, dtype=torch.int64)
    new[classes_t] = torch.arange(len(classes_t))
    return images[keep], new[labels[keep]]


def few_per_class(labels: torch.Tensor, per_class: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices of ``per_class`` random examples of every class: labels (N,) -> int64 (C * per_class,).

    The indices are sorted by class, then drawn order; a class with fewer examples is an error.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    chosen = []
    for c in labels.unique().tolist():
        rows = (labels == c).nonzero().flatten()
        if len(rows) < per_class:
            raise ValueError(f"class {c} has {len(rows)} examples, fewer than per_class={per_class}")
        chosen.append(rows[torch.randperm(len(rows), generator=generator)[:per_class]])
    return torch.cat(chosen)


class ImageTensors(Dataset):
    """uint8 images (N, C, H, W) and labels (N,) as a Dataset; ``transform`` runs on each uint8 image.

    Items are (float32 image (C, H, W) normalised by ``mean``/``std``, int label): the transform
    (e.g. :func:`augmentation`) sees the raw uint8 image, as torchvision's transforms expect.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        mean: Sequence[float],
        std: Sequence[float],
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4 or len(images) != len(labels):
            raise ValueError(f"need uint8 images (N, C, H, W) and N labels, got {images.dtype} {tuple(images.shape)}")
        self.images, self.labels, self.transform = images, labels, transform
        self.normalize = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = self.images[i]  # (C, H, W) uint8
        if self.transform is not None:
            x = self.transform(x)
        return self.normalize(x), int(self.labels[i])


# ---------------------------------------------------------------------------- augmentation


class ScaledTrivialAugmentWide(v2.TrivialAugmentWide):
    """``v2.TrivialAugmentWide`` whose translations scale with the image (uint8 (..., C, H, W) in and out).

    torchvision's wide space translates by up to 32 pixels whatever the image size: at most the
    whole width of a 32 x 32 CIFAR-10 image, but twice the width of a 16 x 16 one, where about
    half of the translation magnitudes move the image out of the frame entirely. Here the largest
    translation is ``max_translate`` pixels, by default the image's own width (height), the
    fraction the wide space uses on CIFAR-10; ``max_translate=32`` is torchvision's space. Every
    other operation and magnitude is torchvision's.
    """

    def __init__(self, max_translate: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_translate = max_translate

        def translations(extent: int) -> Callable[[int, int, int], torch.Tensor]:
            def magnitudes(num_bins: int, height: int, width: int) -> torch.Tensor:
                top = max_translate if max_translate is not None else (width, height)[extent]
                return torch.linspace(0.0, float(top), num_bins)

            return magnitudes

        self._AUGMENTATION_SPACE = {
            **type(self)._AUGMENTATION_SPACE,
            "TranslateX": (translations(0), True),
            "TranslateY": (translations(1), True),
        }


def augmentation(level: str, size: int, padding: int = 4, max_translate: float | None = None) -> v2.Transform:
    """The per-image pipeline of an ablation level (:data:`LEVELS`), on uint8 images (C, size, size).

    ``"none"``: identity; ``"crop+flip"``: ``RandomCrop(size, padding)`` and
    ``RandomHorizontalFlip()``; ``"+TrivialAugment"`` and ``"+MixUp/CutMix"`` add
    :class:`ScaledTrivialAugmentWide` (``max_translate``: None scales translations to the image,
    32 is torchvision's ``TrivialAugmentWide``); the batch mixing of the last level is
    :func:`mix_collate`.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    steps: list[v2.Transform] = []
    if level != "none":
        steps += [v2.RandomCrop(size, padding=padding), v2.RandomHorizontalFlip()]
    if level in LEVELS[2:]:
        steps.append(ScaledTrivialAugmentWide(max_translate))
    return v2.Compose(steps) if steps else v2.Identity()


def mixup_or_cutmix(num_classes: int, alpha: float = 1.0) -> v2.Transform:
    """One of MixUp and CutMix per batch, chosen at random: (X (B, C, H, W), y (B,)) -> (X, soft y (B, K))."""
    return v2.RandomChoice(
        [v2.MixUp(alpha=alpha, num_classes=num_classes), v2.CutMix(alpha=alpha, num_classes=num_classes)]
    )


def mix_collate(mix: Callable[[torch.Tensor, torch.Tensor], Batch]) -> Callable[[list[Any]], Batch]:
    """A DataLoader ``collate_fn`` that stacks a batch, then applies ``mix`` (e.g. :func:`mixup_or_cutmix`)."""

    def collate(items: list[Any]) -> Batch:
        X, y = default_collate(items)  # (B, C, H, W), (B,)
        return mix(X, y)

    return collate


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``metrics.accuracy`` for class indices (N,) or soft labels (N, C) (scored by their arg-max)."""
    return metrics.accuracy(logits, target.argmax(1) if target.ndim == 2 else target)


# ---------------------------------------------------------------------------- models


@torch.no_grad()
def features(model: nn.Module, X: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Globally pooled last feature map of ``model.features`` in eval mode: X (N, C, H, W) -> (N, D).

    The features a linear probe trains on; computed once, since the backbone does not change.
    """
    model.eval()
    device = next(model.parameters()).device
    out = [
        model.features(X[i : i + batch_size].to(device)).mean(dim=(2, 3)).cpu() for i in range(0, len(X), batch_size)
    ]
    return torch.cat(out)


def new_head(model: nn.Module, num_classes: int, name: str = "head") -> nn.Linear:
    """Replace the linear layer ``model.<name>`` by a freshly initialised one with ``num_classes`` outputs."""
    old = getattr(model, name)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"model.{name} is a {type(old).__name__}, not an nn.Linear")
    head = nn.Linear(old.in_features, num_classes).to(old.weight.device)
    setattr(model, name, head)
    return head


def param_groups(model: nn.Module, head_lr: float, backbone_lr: float, head: str = "head") -> list[dict[str, Any]]:
    """Two optimizer parameter groups: the layer ``model.<head>`` at ``head_lr``, every other at ``backbone_lr``."""
    head_params = list(getattr(model, head).parameters())
    ids = {id(p) for p in head_params}
    backbone = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": backbone, "lr": backbone_lr}, {"params": head_params, "lr": head_lr}]


def freeze(module: nn.Module) -> nn.Module:
    """Stop gradients to every parameter of ``module`` (``requires_grad_(False)``); returns it.

    BatchNorm layers still update their running statistics in train mode: freezing parameters
    does not freeze a module (see page 6.7).
    """
    for p in module.parameters():
        p.requires_grad_(False)
    return module


# ---------------------------------------------------------------------------- checks


def same_weights(a: nn.Module | dict[str, torch.Tensor], b: nn.Module | dict[str, torch.Tensor]) -> bool:
    """True when two models (or state dicts) have the same keys and bit-identical tensors."""
    sa = a.state_dict() if isinstance(a, nn.Module) else a
    sb = b.state_dict() if isinstance(b, nn.Module) else b
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
