"""The fast path: a training loop that keeps the GPU busy (chapter 7, "speed of light").

The articles' loop (``DataLoader`` + per-sample ``ToTensor``, batch 64, ``loss.item()`` every
step) spends almost all of its time in Python and on the host, not in the model. This module
removes that time one step at a time, for data sets that fit in device memory (MNIST,
Fashion-MNIST, CIFAR-10)::

    from torchbook import fast
    images, labels = fast.as_uint8(data.cifar10("train"))    # uint8 (N, 3, 32, 32), int64 (N,)
    train_loader = fast.DeviceLoader(images, labels, batch_size=512, mean=data.CIFAR10_MEAN,
                                     std=data.CIFAR10_STD, shuffle=True, device=device, seed=0,
                                     augment=fast.Augment(crop_padding=4, flip=True))
    opts = fast.FastOptions(amp=True, channels_last=True).resolve(device)  # GPU-only flags off on CPU
    loss, acc = fast.train_epoch(model, train_loader, loss_fn, optimizer, opts=opts)  # 0-d tensors
    print(f"{loss.item():.4f}")                                 # the one sync of the epoch

It holds, in order: the data on the device (``as_uint8``, ``DeviceLoader``, batched
augmentation ``crop``/``random_crop``/``random_flip``), the step loop (``FastOptions``,
``train_epoch``, ``evaluate``, ``fit``) and the CIFAR-10 speed run (``SpeedNet``, an
airbench94-style network, with its whitening initialisation, optimiser, schedule and flip
test-time augmentation). Everything runs on the CPU too, with the same API.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, Subset

from torchbook.training import History

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

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


# ============================================================================ the step loop


@dataclass(frozen=True)
class FastOptions:
    """Speed switches of :func:`train_epoch`; :meth:`resolve` turns off those a device can't use.

    amp: bf16 autocast (CUDA; tensor cores). channels_last: NHWC memory for convolutions (CUDA).
    compile: ``torch.compile(model, mode=compile_mode)``; "reduce-overhead" captures CUDA graphs.
    """

    amp: bool = False
    channels_last: bool = False
    compile: bool = False
    compile_mode: str = "reduce-overhead"
    notes: tuple[str, ...] = field(default=(), compare=False)

    def resolve(self, device: torch.device | str) -> FastOptions:
        """The options that pay on ``device``: on a CPU (or MPS) all three fall back to off, with notes.

        bf16 on CPUs without AMX units is slower than float32; channels_last helps cuDNN's tensor-core
        kernels, not the CPU's; compiling costs minutes on a small CPU for a few percent.
        """
        if torch.device(device).type == "cuda":
            return self
        notes = [f"{name} off on {torch.device(device).type}: it pays on CUDA only"
                 for name in ("amp", "channels_last", "compile") if getattr(self, name)]
        return replace(self, amp=False, channels_last=False, compile=False, notes=tuple(notes))

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        """bf16 autocast on ``device`` when ``amp`` is on, else a no-op context."""
        if self.amp:
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def prepare(self, model: nn.Module) -> nn.Module:
        """Apply channels_last and compile to ``model`` (already on its device); return the model to call."""
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        if self.compile:
            model = torch.compile(model, mode=self.compile_mode)  # type: ignore[assignment]
        return model


def _device_of(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def train_epoch(
    model: nn.Module,
    loader: Iterator[Batch] | DeviceLoader | Sequence[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    scheduler: Any | None = None,
    *,
    opts: FastOptions = FastOptions(),
    max_batches: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass of training; returns (mean loss, accuracy) as 0-d tensors ON THE DEVICE.

    Batches are X (B, ...) and y (B,) already on the model's device. The loop never reads a value
    back to the host (no ``.item()``, no ``if loss < ...``): losses and correct counts are summed on
    the device, so the host can queue step after step while the GPU works. Call ``.item()`` (or
    ``torch.stack([...]).tolist()``) on the result once per epoch. ``scheduler.step()`` runs after
    each optimiser step (per-step schedules). ``loss_fn`` may return a sum
    (``reduction="sum"``, airbench's convention) or a mean: the reported loss is per example either way.
    """
    device = _device_of(model)
    model.train()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    count = 0
    summed = getattr(loss_fn, "reduction", "mean") == "sum"
    cudagraphs = opts.compile and opts.compile_mode == "reduce-overhead"
    for i, (X, y) in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()  # a new iteration: graph outputs may be reused
        with opts.autocast(device):
            logits = model(X)  # (B, classes)
            loss = loss_fn(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = y.shape[0]
        total_loss += loss.detach().float() * (1 if summed else n)
        correct += (logits.detach().argmax(dim=1) == y).sum()
        count += n
    if count == 0:
        raise ValueError("the loader yielded no batches")
    return total_loss / count, correct.float() / count


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterator[Batch] | DeviceLoader | Sequence[Batch],
    loss_fn: LossFn | None = None,
    *,
    opts: FastOptions = FastOptions(),
    tta_flip: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean loss, accuracy) of ``model`` in eval mode as 0-d device tensors; loss is 0 without ``loss_fn``.

    ``tta_flip=True`` averages the logits of each image and its mirror image (test-time
    augmentation, 测试时增强): X (B, C, H, W) -> logits (B, classes) = (f(X) + f(flip(X))) / 2.
    """
    device = _device_of(model)
    model.eval()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    count = 0
    for X, y in loader:
        if opts.compile and opts.compile_mode == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()
        with opts.autocast(device):
            logits = model(X).float()
            if tta_flip:
                logits = (logits + model(X.flip(-1)).float()) / 2
        if loss_fn is not None:
            summed = getattr(loss_fn, "reduction", "mean") == "sum"
            total_loss += loss_fn(logits, y).float() * (1 if summed else y.shape[0])
        correct += (logits.argmax(dim=1) == y).sum()
        count += y.shape[0]
    if count == 0:
        raise ValueError("the loader yielded no batches")
    return total_loss / count, correct.float() / count


def synchronize(device: torch.device) -> None:
    """Wait for the device to finish its queued work (CUDA only), so a clock reading is honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def fit(
    model: nn.Module,
    train_loader: DeviceLoader | Sequence[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    val_loader: DeviceLoader | Sequence[Batch] | None = None,
    scheduler: Any | None = None,
    opts: FastOptions = FastOptions(),
    tta_flip: bool = False,
    on_epoch_end: Callable[[int], None] | None = None,
) -> History:
    """Train for ``epochs`` epochs with one host sync per epoch; seconds include that sync.

    ``model`` must already be prepared (``opts.prepare(model)``) and on the loaders' device.
    ``on_epoch_end(epoch)`` runs after each epoch (1-based), e.g. to freeze a layer.
    """
    device = _device_of(model)
    history = History()  # the same record as training.fit's; val_loss stays empty here
    for epoch in range(1, epochs + 1):
        synchronize(device)
        start = time.perf_counter()
        loss, acc = train_epoch(model, train_loader, loss_fn, optimizer, scheduler, opts=opts)
        values = torch.stack([loss, acc]).tolist()  # the one sync of the epoch
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(values[0])
        history.train_acc.append(values[1])
        if val_loader is not None:
            history.val_acc.append(evaluate(model, val_loader, opts=opts, tta_flip=tta_flip)[1].item())
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    return history


# ============================================================================ the speed run


class _BatchNorm(nn.BatchNorm2d):
    """airbench's BatchNorm: running statistics move fast (momentum 0.4), the scale is frozen at 1."""

    def __init__(self, channels: int, momentum: float = 0.4, eps: float = 1e-12) -> None:
        super().__init__(channels, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


class _Conv(nn.Conv2d):
    """3x3 'same' convolution without bias, initialised as identity on its first channels (dirac)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(c_in, c_out, kernel_size=3, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        w = self.weight.data
        nn.init.dirac_(w[: w.size(1)])  # the first c_in filters pass their input through


class ConvGroup(nn.Module):
    """conv -> max-pool 2 -> BN -> GELU -> conv -> BN -> GELU: (B, c_in, H, W) -> (B, c_out, H // 2, W // 2)."""

    def __init__(self, c_in: int, c_out: int, bn_momentum: float = 0.4) -> None:
        super().__init__()
        self.conv1, self.pool, self.norm1 = _Conv(c_in, c_out), nn.MaxPool2d(2), _BatchNorm(c_out, bn_momentum)
        self.conv2, self.norm2, self.activ = _Conv(c_out, c_out), _BatchNorm(c_out, bn_momentum), nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class SpeedNet(nn.Module):
    """An airbench94-style CIFAR-10 network (Jordan 2024, arXiv:2404.00498): x (B, 3, 32, 32) -> logits (B, 10).

    A 2x2 whitening convolution (3 -> 24 channels, no padding: 32 -> 31, weights set from the
    data by :meth:`init_whitening` and frozen), then three :class:`ConvGroup` (31 -> 15 -> 7 -> 3),
    a 3x3 max-pool to 1x1, a linear layer without bias and a fixed scale of 1/9. With the default
    ``widths=(64, 256, 256)`` it has about 1.97 M parameters; smaller widths make CPU runs cheap.
    """

    def __init__(self, widths: tuple[int, int, int] = (64, 256, 256), num_classes: int = 10,
                 bn_momentum: float = 0.4, scale: float = 1 / 9) -> None:
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, kernel_size=2, padding=0, bias=True)
        self.whiten.weight.requires_grad_(False)
        nn.init.zeros_(self.whiten.bias)
        self.layers = nn.Sequential(
            nn.GELU(),
            ConvGroup(24, widths[0], bn_momentum),
            ConvGroup(widths[0], widths[1], bn_momentum),
            ConvGroup(widths[1], widths[2], bn_momentum),
            nn.MaxPool2d(3),
            nn.Flatten(),
        )
        self.head = nn.Linear(widths[2], num_classes, bias=False)
        self.scale = scale

    @torch.no_grad()
    def init_whitening(self, images: torch.Tensor, eps: float = 5e-4) -> None:
        """Set the 2x2 filters to the whitening transform of the patches of ``images`` (B, 3, H, W) float.

        The 12 eigenvectors of the patch covariance, scaled by 1/sqrt(eigenvalue + eps), and their
        negatives (24 filters): after GELU, both signs of each decorrelated direction survive.
        """
        c, (h, w) = images.shape[1], self.whiten.weight.shape[2:]
        patches = images.unfold(2, h, 1).unfold(3, w, 1)  # (B, C, H-1, W-1, h, w)
        patches = patches.transpose(1, 3).reshape(-1, c * h * w).double()  # (P, C*h*w)
        cov = patches.T @ patches / len(patches)  # (12, 12)
        eigenvalues, eigenvectors = torch.linalg.eigh(cov)
        eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.T.flip(0)  # largest first, rows
        filters = (eigenvectors / torch.sqrt(eigenvalues + eps).view(-1, 1)).reshape(-1, c, h, w)
        self.whiten.weight.copy_(torch.cat([filters, -filters]).to(self.whiten.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.whiten(x))  # (B, widths[2])
        return self.head(x) * self.scale  # (B, num_classes)


@dataclass(frozen=True)
class SpeedConfig:
    """The speed run's recipe: airbench94's hyper-parameters (Jordan 2024, arXiv:2404.00498).

    ``lr`` and ``weight_decay`` are per 1024 examples of a summed loss (airbench's units); BN
    biases learn ``bias_scaler`` times faster. The learning rate warms up linearly from 0.2x to
    1x over the first ``warmup`` share of steps, then decays linearly to 0.07x.
    """

    epochs: int = 10
    batch_size: int = 1024
    lr: float = 11.5
    momentum: float = 0.85
    weight_decay: float = 0.0153
    bias_scaler: float = 64.0
    label_smoothing: float = 0.2
    warmup: float = 0.23
    whiten_bias_epochs: int = 3
    crop_padding: int = 2
    widths: tuple[int, int, int] = (64, 256, 256)
    tta_flip: bool = True


def nesterov_sgd(model: nn.Module, cfg: SpeedConfig) -> torch.optim.SGD:
    """SGD with Nesterov momentum in airbench's units; BatchNorm biases get ``bias_scaler`` x the rate.

    PyTorch's SGD couples decay to the rate (``p -= lr * wd * p``); dividing ``weight_decay`` by
    each group's ``lr`` keeps the decay per step the same for both groups.
    """
    kilostep = 1024 * (1 + 1 / (1 - cfg.momentum))
    lr = cfg.lr / kilostep
    wd = cfg.weight_decay * cfg.batch_size / kilostep
    norm_biases = [p for n, p in model.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in model.named_parameters() if "norm" not in n and p.requires_grad]
    lr_biases = lr * cfg.bias_scaler
    groups = [dict(params=norm_biases, lr=lr_biases, weight_decay=wd / lr_biases),
              dict(params=others, lr=lr, weight_decay=wd / lr)]
    return torch.optim.SGD(groups, momentum=cfg.momentum, nesterov=True)


def warmup_decay(total_steps: int, warmup: float = 0.23, start: float = 0.2, end: float = 0.07) -> Callable[[int], float]:
    """Learning-rate factor of step s: linear ``start -> 1`` over ``warmup * total_steps``, then ``1 -> end``."""
    warm = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return start + (1 - start) * step / warm
        return 1 + (end - 1) * min(1.0, (step - warm) / max(1, total_steps - warm))

    return factor


@dataclass
class SpeedResult:
    """What :func:`speedrun` returns: the history, the final TTA test accuracy and the timed seconds."""

    history: History
    test_acc: float
    train_seconds: float
    model: nn.Module


def speedrun(
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    cfg: SpeedConfig = SpeedConfig(),
    *,
    device: torch.device | str = "cpu",
    opts: FastOptions = FastOptions(),
    mean: Sequence[float] = (0.4914, 0.4822, 0.4465),
    std: Sequence[float] = (0.2470, 0.2435, 0.2616),
    seed: int = 0,
) -> SpeedResult:
    """Train :class:`SpeedNet` on uint8 CIFAR-10 ``train`` = (images (N, 3, 32, 32), labels (N,)).

    Returns the test accuracy (flip TTA when ``cfg.tta_flip``) and the training seconds (clock
    stopped after a device sync; the first epoch includes cuDNN/compile warm-up; the test pass
    is not timed). Evaluation runs once, at the end, as airbench does.
    """
    device = torch.device(device)
    opts = opts.resolve(device)
    torch.manual_seed(seed)
    loader_kw = dict(mean=mean, std=std, device=device, channels_last=opts.channels_last)
    train_loader = DeviceLoader(*train, cfg.batch_size, shuffle=True, drop_last=True, seed=seed,
                                augment=Augment(crop_padding=cfg.crop_padding, flip=True), **loader_kw)
    test_loader = DeviceLoader(*test, 2000, **loader_kw)
    net = SpeedNet(cfg.widths).to(device)
    net.init_whitening(normalize(train_loader.images[:5000], mean, std))
    optimizer = nesterov_sgd(net, cfg)
    steps = cfg.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_decay(steps, cfg.warmup))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing, reduction="sum")
    model = opts.prepare(net)

    def freeze_whitening_bias(epoch: int) -> None:
        if epoch == cfg.whiten_bias_epochs:
            net.whiten.bias.requires_grad_(False)

    history = fit(model, train_loader, loss_fn, optimizer, cfg.epochs, scheduler=scheduler, opts=opts,
                  on_epoch_end=freeze_whitening_bias)
    acc = evaluate(model, test_loader, opts=opts, tta_flip=cfg.tta_flip)[1].item()
    return SpeedResult(history, acc, sum(history.seconds), net)
