"""The training loop of chapter 3, written once: train, evaluate, fit, predict, checkpoint.

    cfg = TrainConfig(epochs=10)
    history = fit(model, train_loader, loss_fn, optimizer, cfg, val_loader=val_loader, device=device)
    history.val_acc[-1]

Losses and metrics are accumulated on the device and read back once per pass (one host sync),
so the loop never waits for the GPU inside an epoch. Printing is opt-in (``TrainConfig(log=True)``).

This is the book's only epoch loop. The speed switches of chapter 7 are optional keyword
arguments of :func:`fit`, off by default (``autocast=torch.bfloat16``, ``channels_last=True``,
``compile_mode="reduce-overhead"``, a per-step ``scheduler``, an ``on_epoch_end`` callback);
the step-based loop of the language models (``text.train_lm``) is a different loop: it draws
random windows instead of passing over a data set.
"""

from __future__ import annotations

import contextlib
import pickle
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from torchbook import metrics
from torchbook.fast import synchronize

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Batch = tuple[torch.Tensor, torch.Tensor]
# A training objective that also needs the batch's inputs: (outputs, y, X) -> 0-dim loss.
# Knowledge distillation (torchbook.compress.distill) is one: it runs a teacher on X.
Objective = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """How long and how verbosely to train; override by name: ``TrainConfig(epochs=2)``."""

    epochs: int = 1
    max_batches: int | None = None  # per epoch, for quick runs; None = the whole loader
    progress: bool = False  # a tqdm bar per epoch
    log: bool = False  # print one formatted line per epoch

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.max_batches is not None and self.max_batches < 1:
            raise ValueError(f"max_batches must be None or at least 1, got {self.max_batches}")


@dataclass
class History:
    """Per-epoch means: losses, the metric (accuracy by default) and wall seconds.

    A loop that counts steps instead of epochs (``text.train_lm``) returns the subclass
    ``text.LMHistory``, which adds the step of each record; :func:`torchbook.plot.history` plots both.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        """The history as a plain dict of lists."""
        return asdict(self)

    def __len__(self) -> int:
        return len(self.train_loss)


def _batches(loader: Iterable[Batch], max_batches: int | None, progress: bool, desc: str) -> Iterable[Batch]:
    if progress:
        from tqdm.auto import tqdm

        total = len(loader) if hasattr(loader, "__len__") else None  # type: ignore[arg-type]
        if total is not None and max_batches is not None:
            total = min(total, max_batches)
        loader = tqdm(loader, total=total, desc=desc, leave=False)
    for i, batch in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        yield batch


def _autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to ``dtype`` on ``device`` (e.g. bf16), or a no-op context for None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _flip_tta(model: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Test-time augmentation (测试时增强) by flips: X (B, C, H, W) -> (f(X) + f(flip(X))) / 2."""

    def averaged(X: torch.Tensor) -> torch.Tensor:
        return (model(X).float() + model(X.flip(-1)).float()) / 2

    return averaged


def _run(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
    optimizer: torch.optim.Optimizer | None,
    metric: Metric | None,
    max_batches: int | None,
    progress: bool,
    objective: Objective | None = None,
    *,
    autocast: torch.dtype | None = None,
    channels_last: bool = False,
    scheduler: Any | None = None,
    cudagraphs: bool = False,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[float, float | None]:
    """One pass over ``loader``; trains when ``optimizer`` is given. Returns (mean loss, mean metric).

    The loss is ``objective(outputs, y, X)`` when given, else ``loss_fn(outputs, y)``. A loss
    with ``reduction="sum"`` (airbench's convention) is reported per example too. ``forward``
    replaces ``model(X)`` (a compiled model, flip TTA); ``cudagraphs`` marks each step's start
    for ``torch.compile(mode="reduce-overhead")``; ``scheduler.step()`` runs after every
    optimiser step. The values are read back to the host once, at the end of the pass.
    """
    forward = forward if forward is not None else model
    summed = getattr(loss_fn, "reduction", "mean") == "sum" and objective is None
    total_loss = torch.zeros((), device=device)
    total_metric = torch.zeros((), device=device)
    count = 0
    for X, y in _batches(loader, max_batches, progress, "train" if optimizer else "eval"):
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if channels_last and X.ndim == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()  # a new step: the graph's outputs may be reused
        with _autocast(device, autocast):
            outputs = forward(X)
            loss = loss_fn(outputs, y) if objective is None else objective(outputs, y, X)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        n = X.shape[0]
        total_loss += loss.detach() * (1 if summed else n)
        if metric is not None:
            total_metric += metric(outputs.detach(), y) * n
        count += n
    if count == 0:
        raise ValueError("the loader yielded no batches")
    if metric is None:
        return (total_loss / count).item(), None
    mean_loss, mean_metric = torch.stack([total_loss / count, total_metric / count]).tolist()  # the one sync
    return mean_loss, mean_metric


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    device: torch.device | str = "cpu",
    metric: Metric | None = metrics.accuracy,
    max_batches: int | None = None,
    progress: bool = False,
    objective: Objective | None = None,
    *,
    autocast: torch.dtype | None = None,
    channels_last: bool = False,
    scheduler: Any | None = None,
) -> tuple[float, float | None]:
    """Train for one pass over ``loader``; return (mean loss, mean metric or None).

    ``objective(outputs, y, X)``, when given, replaces ``loss_fn`` as the loss to minimise.
    ``autocast``, ``channels_last`` and ``scheduler`` are as in :func:`fit`.
    """
    model.train()
    return _run(
        model,
        loader,
        loss_fn,
        torch.device(device),
        optimizer,
        metric,
        max_batches,
        progress,
        objective,
        autocast=autocast,
        channels_last=channels_last,
        scheduler=scheduler,
    )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str = "cpu",
    metric: Metric | None = metrics.accuracy,
    max_batches: int | None = None,
    *,
    autocast: torch.dtype | None = None,
    channels_last: bool = False,
    tta_flip: bool = False,
) -> tuple[float, float | None]:
    """Mean loss and metric of ``model`` (in eval mode, without gradients) over ``loader``.

    ``tta_flip=True`` scores each image (B, C, H, W) by the mean of its logits and its mirror
    image's (flip test-time augmentation). The model is left in eval mode.
    """
    model.eval()
    return _run(
        model,
        loader,
        loss_fn,
        torch.device(device),
        None,
        metric,
        max_batches,
        False,
        autocast=autocast,
        channels_last=channels_last,
        forward=_flip_tta(model) if tta_flip else None,
    )


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    cfg: TrainConfig = TrainConfig(),
    *,
    val_loader: Iterable[Batch] | None = None,
    device: torch.device | str = "cpu",
    metric: Metric | None = metrics.accuracy,
    objective: Objective | None = None,
    autocast: torch.dtype | None = None,
    channels_last: bool = False,
    compile_mode: str | None = None,
    scheduler: Any | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
    tta_flip: bool = False,
) -> History:
    """Train ``model`` for ``cfg.epochs`` epochs, validating after each; return the History.

    The model is moved to ``device``; pass ``metric=None`` for regression and
    ``metric=metrics.binary_accuracy`` for one-logit binary classifiers. ``objective(outputs, y,
    X)``, when given, is the training loss instead of ``loss_fn`` (for losses that need the
    inputs, e.g. distillation); validation always reports ``loss_fn``.

    The speed switches of chapter 7, all off by default: ``autocast`` runs forward and loss
    under ``torch.autocast`` to that dtype (``torch.bfloat16``: tensor cores on CUDA);
    ``channels_last`` stores the model's weights and the 4-d inputs as NHWC; ``compile_mode``
    calls ``torch.compile(model, mode=compile_mode)`` once and trains and validates through it
    (``"reduce-overhead"`` records forward and backward of the model as CUDA graphs; loss,
    ``zero_grad`` and ``optimizer.step()`` stay eager); ``scheduler.step()`` runs after every
    optimiser step; ``on_epoch_end(epoch, history)`` runs after each epoch (1-based), e.g. to
    freeze a layer; ``tta_flip`` validates with flip test-time augmentation.

    ``history.seconds`` of an epoch runs from a device sync to the end of its validation pass
    (each pass ends with its one read-back, so the clock is honest on a GPU too).
    """
    device = torch.device(device)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    forward = torch.compile(model, mode=compile_mode) if compile_mode is not None else None
    cudagraphs = compile_mode == "reduce-overhead"
    speed = dict(autocast=autocast, channels_last=channels_last, cudagraphs=cudagraphs)
    history = History()
    for epoch in range(1, cfg.epochs + 1):
        synchronize(device)
        start = time.perf_counter()
        model.train()
        loss, acc = _run(
            model,
            train_loader,
            loss_fn,
            device,
            optimizer,
            metric,
            cfg.max_batches,
            cfg.progress,
            objective,
            scheduler=scheduler,
            forward=forward,
            **speed,
        )
        history.train_loss.append(loss)
        if acc is not None:
            history.train_acc.append(acc)
        line = f"epoch {epoch:>3}/{cfg.epochs}  train_loss {loss:.4f}"
        line += f"  train_acc {acc:.4f}" if acc is not None else ""
        if val_loader is not None:
            model.eval()
            val_forward = _flip_tta(forward or model) if tta_flip else forward
            with torch.no_grad():
                vloss, vacc = _run(
                    model,
                    val_loader,
                    loss_fn,
                    device,
                    None,
                    metric,
                    cfg.max_batches,
                    False,
                    forward=val_forward,
                    **speed,
                )
            history.val_loss.append(vloss)
            line += f"  val_loss {vloss:.4f}"
            if vacc is not None:
                history.val_acc.append(vacc)
                line += f"  val_acc {vacc:.4f}"
        history.seconds.append(time.perf_counter() - start)
        if cfg.log:
            print(line)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history


@torch.no_grad()
def predict(
    model: nn.Module, loader: Iterable[Batch], device: torch.device | str = "cpu", max_batches: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Model outputs and labels over ``loader``, concatenated on the CPU: (N, ...) and (N,)."""
    model.eval()
    device = torch.device(device)
    outputs, labels = [], []
    for X, y in _batches(loader, max_batches, False, "predict"):
        outputs.append(model(X.to(device)).cpu())
        labels.append(y)
    return torch.cat(outputs), torch.cat(labels)


def save_checkpoint(
    path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, **extra: Any
) -> Path:
    """Save the model's (and optimizer's) ``state_dict`` plus ``extra`` values to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"model": model.state_dict(), **extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    torch.save(state, path)
    return path


class CheckpointError(ValueError):
    """A file that :func:`load_checkpoint` cannot use: not a checkpoint, damaged, or another model's."""


def _read_checkpoint(path: Path, map_location: str) -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True``, its errors turned into a :class:`CheckpointError`."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message advises weights_only=False: never do that for a file you do not trust
        first = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{path} is not a checkpoint that torchbook can read safely: it holds Python objects other "
            f"than tensors and plain containers ({first[:160]}). Save checkpoints with "
            "save_checkpoint(path, model); a file from elsewhere may run code when fully unpickled."
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as err:
        size = path.stat().st_size
        raise CheckpointError(
            f"{path} ({size:,} bytes) is not a complete checkpoint: torch.load could not read it "
            f"({type(err).__name__}: {str(err).splitlines()[0][:160] if str(err) else 'empty'}). "
            "It is truncated or not a torch.save file; save it again with save_checkpoint(path, model)."
        ) from None
    if not isinstance(state, dict) or "model" not in state:
        what = (
            f"a dict with keys {sorted(map(str, state))[:8]}"
            if isinstance(state, dict)
            else f"a {type(state).__name__}"
        )
        raise CheckpointError(
            f"{path} holds {what}, not a checkpoint of save_checkpoint (which has a 'model' entry). "
            "If it is a bare state_dict, load it with model.load_state_dict(torch.load(path, weights_only=True))."
        )
    return state


def _check_state(path: Path, model: nn.Module, weights: dict[str, Any]) -> None:
    """Raise a :class:`CheckpointError` naming missing, unexpected and mis-shaped keys."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    shapes = [
        f"{k}: file {tuple(weights[k].shape)}, model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in weights and isinstance(weights[k], torch.Tensor) and weights[k].shape != v.shape
    ]
    if not (missing or unexpected or shapes):
        return
    parts = []
    for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
        if items:
            more = f" and {len(items) - 5} more" if len(items) > 5 else ""
            parts.append(f"{label} ({len(items)}): " + "; ".join(items[:5]) + more)
    raise CheckpointError(
        f"{path} was saved from a different model than {type(model).__name__}: "
        + " | ".join(parts)
        + ". Build the model with the same class and settings as when it was saved."
    )


def load_checkpoint(
    path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, map_location: str = "cpu"
) -> dict[str, Any]:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``); return the extras.

    Always loads with ``weights_only=True`` (no arbitrary code from the file). A file that is
    not a checkpoint, is truncated, or comes from another model raises :class:`CheckpointError`
    naming the file and what is wrong (missing/unexpected keys, mismatched shapes).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}; save one first with save_checkpoint(path, model).")
    state = _read_checkpoint(path, map_location)
    weights = state.pop("model")
    if not isinstance(weights, dict):
        raise CheckpointError(f"{path}: its 'model' entry is a {type(weights).__name__}, not a state_dict.")
    _check_state(path, model, weights)
    model.load_state_dict(weights)
    opt_state = state.pop("optimizer", None)
    if optimizer is not None:
        if opt_state is None:
            raise ValueError(f"{path} holds no optimizer state; save it with save_checkpoint(path, model, optimizer).")
        optimizer.load_state_dict(opt_state)
    return state
