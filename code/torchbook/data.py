"""Data sets of the book: where they live, how to load them, how to prepare offline copies.

Every loader reads from :func:`root` (``TORCHBOOK_DATA``, default ``<repo>/data``)::

    from torchbook import data
    train_ds = data.mnist("train", limit=1000)   # a torchvision-style Dataset of (image, label)
    X, y = data.two_moons(1000, generator=g)      # a synthetic 2-D classification set

With internet access the loaders download what is missing (the image data sets through torchvision).
Offline, lay out the mirror copies once with ``python -m torchbook.mirror prepare --from ../shared/data``
(the preparation of offline copies lives in ``torchbook.mirror``; this module is the loaders readers call).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Subset
from torchvision import datasets
from torchvision.transforms import v2

SPLITS = ("train", "test")
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
FASHION_MNIST_MEAN, FASHION_MNIST_STD = (0.2860,), (0.3530,)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
FASHION_MNIST_DEBIAN = Path("/usr/share/datasets/fashion-mnist")
SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
MIRROR_HINT = "python -m torchbook.mirror prepare --from ../shared/data"


class DataNotFoundError(FileNotFoundError):
    """A data set is not on disk and could not be downloaded."""


# ---------------------------------------------------------------------------- where


def root() -> Path:
    """The data folder: ``TORCHBOOK_DATA`` if set, else ``<repo>/data`` in a checkout of the book.

    Outside a checkout (e.g. the package installed on Colab) it is ``./data``.
    """
    env = os.environ.get("TORCHBOOK_DATA", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "_toc.yml").is_file():
        return repo / "data"
    return Path.cwd() / "data"


def offline() -> bool:
    """True when ``TORCHBOOK_OFFLINE`` is set to 1/true/yes: loaders never try to download."""
    return os.environ.get("TORCHBOOK_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def _missing(name: str, where: Path, reason: str, downloader: str = "torchvision") -> DataNotFoundError:
    """The error of a loader that found no ``name`` in ``where`` (``downloader`` fetches it online)."""
    return DataNotFoundError(
        f"{name} was not found in {where} and {reason}.\n"
        "Fix it in one of two ways:\n"
        f"  1. With internet access: call the loader again without TORCHBOOK_OFFLINE set; "
        f"{downloader} downloads {name} into {root()}.\n"
        f"  2. Offline, from a mirror copy (see data/README.md): {MIRROR_HINT!r}, or set "
        "TORCHBOOK_DATA to a folder that already holds it."
    )


# ---------------------------------------------------------------------------- checks


def _check_split(split: str) -> bool:
    """Validate ``split`` and return True for the training split."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split == "train"


def _check_limit(limit: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be None or a non-negative int, got {limit!r}")


def subset(ds: Dataset, limit: int | None) -> Dataset:
    """The first ``limit`` items of ``ds`` (all of them when ``limit`` is None)."""
    _check_limit(limit)
    if limit is None or limit >= len(ds):  # type: ignore[arg-type]
        return ds
    return Subset(ds, range(limit))


def to_tensor(mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None) -> v2.Compose:
    """PIL image -> float32 tensor (C, H, W) in [0, 1], then normalised if ``mean``/``std`` given."""
    steps: list[Callable[..., Any]] = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]
    if mean is not None and std is not None:
        steps.append(v2.Normalize(mean, std))
    return v2.Compose(steps)


# ---------------------------------------------------------------------------- image sets


def _torchvision(
    cls: type, name: str, folder: Path, split: str, limit: int | None, transform: Callable | None
) -> Dataset:
    train = _check_split(split)
    _check_limit(limit)
    kwargs = dict(root=str(root()), train=train, transform=transform or to_tensor())
    try:
        ds = cls(download=False, **kwargs)
    except RuntimeError:
        if offline():
            raise _missing(name, folder, "TORCHBOOK_OFFLINE forbids downloading it") from None
        try:
            ds = cls(download=True, **kwargs)
        except Exception as err:  # no network, a mirror down, a bad checksum
            raise _missing(name, folder, f"could not be downloaded ({type(err).__name__}: {err})") from None
    return subset(ds, limit)


def mnist(split: str = "train", limit: int | None = None, transform: Callable | None = None) -> Dataset:
    """MNIST digits: items are (image (1, 28, 28) float in [0, 1] by default, label int 0-9)."""
    return _torchvision(datasets.MNIST, "MNIST", root() / "MNIST" / "raw", split, limit, transform)


def fashion_mnist(split: str = "train", limit: int | None = None, transform: Callable | None = None) -> Dataset:
    """Fashion-MNIST: items are (image (1, 28, 28) float in [0, 1] by default, label int 0-9)."""
    folder = root() / "FashionMNIST" / "raw"
    return _torchvision(datasets.FashionMNIST, "Fashion-MNIST", folder, split, limit, transform)


class CIFAR10Tensors(datasets.VisionDataset):
    """CIFAR-10 read from ``<root>/cifar10/{train,test}.pt`` (as prepared from the JPEG mirror).

    Behaves like ``torchvision.datasets.CIFAR10``: ``data`` is uint8 (N, 32, 32, 3), ``targets``
    a list of ints, ``classes`` the ten names in label order; items are (PIL image -> transform, int).
    The files are dicts ``{"images": uint8 (N, 32, 32, 3), "labels": int64 (N,), "classes": list}``,
    the layout airbench reads too.
    """

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None) -> None:
        super().__init__(str(root), transform=transform)
        path = Path(root) / "cifar10" / ("train.pt" if train else "test.pt")
        blob = torch.load(path, weights_only=True)
        self.data: np.ndarray = blob["images"].numpy()
        self.targets: list[int] = blob["labels"].tolist()
        self.classes: list[str] = list(blob["classes"])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        from PIL import Image

        img = Image.fromarray(self.data[index])
        if self.transform is not None:
            img = self.transform(img)
        return img, self.targets[index]


def cifar10(split: str = "train", limit: int | None = None, transform: Callable | None = None) -> Dataset:
    """CIFAR-10: items are (image (3, 32, 32) float in [0, 1] by default, label int 0-9).

    Reads torchvision's original copy (``cifar-10-batches-py``) if present, else the prepared
    JPEG mirror (``cifar10/*.pt``), else downloads the original.
    """
    train = _check_split(split)
    _check_limit(limit)
    r = root()
    transform = transform or to_tensor()
    if not (r / "cifar-10-batches-py").is_dir() and (r / "cifar10" / f"{split}.pt").is_file():
        return subset(CIFAR10Tensors(r, train=train, transform=transform), limit)
    where = r / "cifar-10-batches-py"
    return _torchvision(datasets.CIFAR10, "CIFAR-10", where, split, limit, transform)


def cifar10_source(split: str = "train") -> str:
    """Which copy :func:`cifar10` reads: ``"original"``, ``"jpeg-mirror"`` or ``"missing"``."""
    r = root()
    if (r / "cifar-10-batches-py").is_dir():
        return "original"
    if (r / "cifar10" / f"{split}.pt").is_file():
        return "jpeg-mirror"
    return "missing"


# ---------------------------------------------------------------------------- text


def shakespeare() -> str:
    """Tiny Shakespeare (Karpathy's char-rnn corpus) as one string of 1,115,394 characters."""
    path = root() / "tinyshakespeare" / "input.txt"
    via = "the loader (from GitHub)"  # who downloads it, for the error message
    if not path.is_file():
        if offline():
            raise _missing("Tiny Shakespeare", path, "TORCHBOOK_OFFLINE forbids downloading it", downloader=via)
        try:
            import urllib.request

            path.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(SHAKESPEARE_URL, timeout=30) as resp:
                path.write_bytes(resp.read())
        except Exception as err:
            raise _missing("Tiny Shakespeare", path, f"could not be downloaded ({err})", downloader=via) from None
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- synthetic


def linear_data(
    n: int = 100, w: float = 3.0, b: float = 2.0, noise: float = 1.0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of ``y = w x + b + noise * N(0, 1)`` with ``x ~ N(0, 1)``: X (n, 1), y (n, 1)."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    X = torch.randn(n, 1, generator=generator)
    y = w * X + b + noise * torch.randn(n, 1, generator=generator)
    return X, y


def two_moons(
    n: int = 1000, noise: float = 0.1, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved half-moons: X (n, 2) float32, y (n,) int64 in {0, 1}, classes alternate."""
    if n <= 1:
        raise ValueError(f"n must be at least 2, got {n}")
    y = torch.arange(n) % 2
    t = torch.rand(n, generator=generator) * math.pi
    x0 = torch.where(y == 0, torch.cos(t), 1 - torch.cos(t))
    x1 = torch.where(y == 0, torch.sin(t), 0.5 - torch.sin(t))
    X = torch.stack([x0, x1], dim=1) + noise * torch.randn(n, 2, generator=generator)
    return X.float(), y.long()


def blobs(
    n: int = 200, centers: int = 2, spread: float = 0.5, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian blobs around centres on the unit circle (radius 2): X (n, 2), y (n,) int64."""
    if centers < 2:
        raise ValueError(f"centers must be at least 2, got {centers}")
    y = torch.arange(n) % centers
    angle = 2 * math.pi * y.float() / centers
    mu = 2 * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    X = mu + spread * torch.randn(n, 2, generator=generator)
    return X.float(), y.long()
