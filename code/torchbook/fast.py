"""Data on the device (chapter 7, "speed of light"): whole splits held as uint8, batched on the device.

The articles' loop (``DataLoader`` + per-sample ``ToTensor``, batch 64, ``loss.item()`` every
step) spends almost all of its time in Python and on the host, not in the model. For data sets
that fit in device memory (MNIST, Fashion-MNIST, CIFAR-10) this module removes the data part::

    from torchbook import fast, training
    images, labels = fast.as_uint8(data.cifar10("train"))    # uint8 (N, 3, 32, 32), int64 (N,)
    train_loader = fast.DeviceLoader(images, labels, batch_size=512, mean=data.CIFAR10_MEAN,
                                     std=data.CIFAR10_STD, shuffle=True, device=device, seed=0,
                                     augment=fast.Augment(crop_padding=4, flip=True))
    history = training.fit(model, train_loader, loss_fn, optimizer, cfg, device=device,
                           autocast=torch.bfloat16, channels_last=True)   # the book's one loop

It holds the data on the device (``as_uint8``, ``normalize``, ``DeviceLoader``), batched
augmentation (``crop``/``random_crop``/``random_flip``/``Augment``) and ``synchronize`` for
honest clocks. The training loop is ``training.fit``; the CIFAR-10 speed run is
``torchbook.speedrun`` and its network ``models.SpeedNet``. Everything runs on the CPU too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

Batch = tuple[torch.Tensor, torch.Tensor]

# ============================================================================ data on the device


def as_uint8(ds: Dataset | tuple[Any, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw images and labels of a data set: uint8 (N, C, H, W) and int64 (N,), on the CPU.

    Accepts what ``torchbook.data`` returns: a torchvision MNIST/Fashion-MNIST (``.data`` uint8
    (N, H, W)), a CIFAR-10 (``.data`` uint8 numpy (N, H, W, C)), a ``Subset`` of either (as
    ``limit=`` makes), or a pair ``(images, labels)`` already in (N, C, H, W) or (N, H, W).
    The dataset's own ``transform`` is ignored: the loader normalises on the device.
    """
    if isinstance(ds, tuple):
        images, labels = torch.as_tensor(ds[0]), torch.as_tensor(ds[1])
        if images.ndim == 3:
            images = images.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
        return images.to(torch.uint8).contiguous(), labels.to(torch.int64)
    indices: torch.Tensor | None = None
    while isinstance(ds, Subset):  # limit= wraps the dataset; nested subsets compose
        idx = torch.as_tensor(list(ds.indices), dtype=torch.int64)
        indices = idx if indices is None else idx[indices]
        ds = ds.dataset
    if not hasattr(ds, "data") or not hasattr(ds, "targets"):
        raise TypeError(
            f"{type(ds).__name__} has no .data/.targets; pass a torchbook/torchvision image data set "
            "or a pair (images uint8 (N, C, H, W), labels (N,))"
        )
    images = torch.as_tensor(np.asarray(ds.data)) if isinstance(ds.data, np.ndarray) else ds.data
    labels = torch.as_tensor(ds.targets, dtype=torch.int64)
    if images.ndim == 3:  # MNIST-like (N, H, W)
        images = images.unsqueeze(1)
    elif images.ndim == 4 and images.shape[-1] in (1, 3):  # CIFAR-like (N, H, W, C)
        images = images.permute(0, 3, 1, 2)
    if indices is not None:
        images, labels = images[indices], labels[indices]
    return images.to(torch.uint8).contiguous(), labels


def normalize(
    images: torch.Tensor, mean: Sequence[float], std: Sequence[float], dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """uint8 (B, C, H, W) in 0..255 -> ``dtype`` (B, C, H, W), ``(x / 255 - mean) / std`` as one multiply-add.

    The same numbers as ``data.to_tensor(mean, std)`` gives per image (up to float rounding).
    """
    scale, shift = _affine(mean, std, images.device)
    return torch.addcmul(shift, images.float(), scale).to(dtype)


def _affine(mean: Sequence[float], std: Sequence[float], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """scale = 1 / (255 std) and shift = -mean / std, each (1, C, 1, 1) float32 on ``device``.

    Built once per loader: creating a tensor from Python numbers on a GPU is a blocking copy.
    """
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (1.0 / (255.0 * std_t)).to(device), (-mean_t / std_t).to(device)


def crop(images: torch.Tensor, padding: int, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Crop each image of a zero-padded batch at its own offset, by one gather (no Python loop).

    images (B, C, H, W) any dtype; dy, dx int64 (B,) in ``0..2 * padding``. Image b of the result
    is ``F.pad(images, [padding] * 4)[b, :, dy[b]:dy[b] + H, dx[b]:dx[b] + W]``: (B, C, H, W).
    """
    B, C, H, W = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))  # (B, C, H + 2p, W + 2p), zeros
    rows = dy.view(B, 1) + torch.arange(H, device=images.device)  # (B, H)
    cols = dx.view(B, 1) + torch.arange(W, device=images.device)  # (B, W)
    b = torch.arange(B, device=images.device).view(B, 1, 1)
    # advanced indices split by the channel slice go first: (B, H, W) then C -> (B, H, W, C)
    out = padded[b, :, rows.view(B, H, 1), cols.view(B, 1, W)]
    return out.permute(0, 3, 1, 2)  # (B, C, H, W); memory stays NHWC, what channels_last wants


def random_crop(images: torch.Tensor, padding: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """torchvision's ``RandomCrop(H, padding)`` for a whole batch: images (B, C, H, W) -> same shape."""
    B = images.shape[0]
    dy = torch.randint(0, 2 * padding + 1, (B,), device=images.device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (B,), device=images.device, generator=generator)
    return crop(images, padding, dy, dx)


def random_flip(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2: images (B, C, H, W) -> same shape."""
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < 0.5  # (B,)
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


@dataclass(frozen=True)
class Augment:
    """Batched augmentation on the device: random crop with zero ``crop_padding`` (0 = none), flip."""

    crop_padding: int = 0
    flip: bool = False

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """images (B, C, H, W) uint8 -> augmented (B, C, H, W) uint8."""
        if self.crop_padding > 0:
            images = random_crop(images, self.crop_padding, generator)
        if self.flip:
            images = random_flip(images, generator)
        return images


class DeviceLoader:
    """A whole split held on ``device`` as one uint8 tensor; yields normalised batches by index.

    images uint8 (N, C, H, W) (see :func:`as_uint8`), labels int64 (N,). Each epoch draws one
    permutation from a seeded generator on the device (``shuffle=True``), gathers batches of
    ``batch_size`` rows, applies ``augment`` to the uint8 batch, then normalises with ``mean``/``std``
    into ``dtype`` (float32 by default; ``channels_last=True`` returns that memory format).
    Yields (X (B, C, H, W), y (B,)) on ``device``; nothing is copied from the host after
    construction and nothing waits for the device. Same seed, same device: same batches.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        mean: Sequence[float],
        std: Sequence[float],
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        augment: Augment | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        channels_last: bool = False,
        seed: int = 0,
    ) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if len(mean) != images.shape[1] or len(std) != images.shape[1]:
            raise ValueError(f"mean/std need {images.shape[1]} values (one per channel)")
        self.device = torch.device(device)
        self.images = images.to(self.device)  # uint8 (N, C, H, W): 4x smaller than float32
        self.labels = labels.to(self.device, torch.int64)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.mean, self.std = tuple(mean), tuple(std)
        self.augment, self.dtype, self.channels_last = augment, dtype, channels_last
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self._scale, self._shift = _affine(self.mean, self.std, self.device)  # (1, C, 1, 1) each

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, device=self.device, generator=self.generator)  # (N,)
        else:
            order = torch.arange(n, device=self.device)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]  # (B,)
            X = self.images[idx]  # (B, C, H, W) uint8, a gather on the device
            if self.augment is not None:
                X = self.augment(X, self.generator)
            X = torch.addcmul(self._shift, X.float(), self._scale).to(self.dtype)  # normalize(), fused
            X = X.contiguous(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)
            yield X, self.labels[idx]


def synchronize(device: torch.device) -> None:
    """Wait for the device to finish its queued work (CUDA only), so a clock reading is honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
