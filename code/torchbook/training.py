"""The training loop of chapter 3, written once: train, evaluate, fit, predict, checkpoint.

    cfg = TrainConfig(epochs=10)
    history = fit(model, train_loader, loss_fn, optimizer, cfg, val_loader=val_loader, device=device)
    history.val_acc[-1]

Losses and metrics are accumulated on the device and read back once per epoch, so the loop
never waits for the GPU inside an epoch. Printing is opt-in (``TrainConfig(log=True)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from torchbook import metrics

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
    """Per-epoch means: losses, the metric (accuracy by default) and wall seconds."""

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
) -> tuple[float, float | None]:
    """One pass over ``loader``; trains when ``optimizer`` is given. Returns (mean loss, mean metric).

    The loss is ``objective(outputs, y, X)`` when given, else ``loss_fn(outputs, y)``.
    """
    total_loss = torch.zeros((), device=device)
    total_metric = torch.zeros((), device=device)
    count = 0
    for X, y in _batches(loader, max_batches, progress, "train" if optimizer else "eval"):
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        outputs = model(X)
        loss = loss_fn(outputs, y) if objective is None else objective(outputs, y, X)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        n = X.shape[0]
        total_loss += loss.detach() * n
        if metric is not None:
            total_metric += metric(outputs.detach(), y) * n
        count += n
    if count == 0:
        raise ValueError("the loader yielded no batches")
    mean_metric = (total_metric / count).item() if metric is not None else None
    return (total_loss / count).item(), mean_metric


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
) -> tuple[float, float | None]:
    """Train for one pass over ``loader``; return (mean loss, mean metric or None).

    ``objective(outputs, y, X)``, when given, replaces ``loss_fn`` as the loss to minimise.
    """
    model.train()
    return _run(model, loader, loss_fn, torch.device(device), optimizer, metric, max_batches, progress, objective)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str = "cpu",
    metric: Metric | None = metrics.accuracy,
    max_batches: int | None = None,
) -> tuple[float, float | None]:
    """Mean loss and metric of ``model`` (in eval mode, without gradients) over ``loader``."""
    model.eval()
    return _run(model, loader, loss_fn, torch.device(device), None, metric, max_batches, False)


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
) -> History:
    """Train ``model`` for ``cfg.epochs`` epochs, validating after each; return the History.

    The model is moved to ``device``; pass ``metric=None`` for regression and
    ``metric=metrics.binary_accuracy`` for one-logit binary classifiers. ``objective(outputs, y,
    X)``, when given, is the training loss instead of ``loss_fn`` (for losses that need the
    inputs, e.g. distillation); validation always reports ``loss_fn``.
    """
    device = torch.device(device)
    model.to(device)
    history = History()
    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        loss, acc = train_one_epoch(
            model, train_loader, loss_fn, optimizer, device, metric, cfg.max_batches, cfg.progress, objective
        )
        history.train_loss.append(loss)
        if acc is not None:
            history.train_acc.append(acc)
        line = f"epoch {epoch:>3}/{cfg.epochs}  train_loss {loss:.4f}"
        line += f"  train_acc {acc:.4f}" if acc is not None else ""
        if val_loader is not None:
            vloss, vacc = evaluate(model, val_loader, loss_fn, device, metric, cfg.max_batches)
            history.val_loss.append(vloss)
            line += f"  val_loss {vloss:.4f}"
            if vacc is not None:
                history.val_acc.append(vacc)
                line += f"  val_acc {vacc:.4f}"
        history.seconds.append(time.perf_counter() - start)
        if cfg.log:
            print(line)
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


def load_checkpoint(
    path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, map_location: str = "cpu"
) -> dict[str, Any]:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``); return the extras."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}; save one first with save_checkpoint(path, model).")
    state = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(state.pop("model"))
    opt_state = state.pop("optimizer", None)
    if optimizer is not None:
        if opt_state is None:
            raise ValueError(f"{path} holds no optimizer state; save it with save_checkpoint(path, model, optimizer).")
        optimizer.load_state_dict(opt_state)
    return state
