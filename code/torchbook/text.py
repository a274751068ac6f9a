"""Character-level language modelling (chapter 6.2): a vocabulary, random windows, a training
loop and sampling, shared by every model that maps ``idx (B, T) -> logits (B, T, V)``::

    from torchbook import data, text
    vocab = text.CharVocab(data.shakespeare())
    ids = vocab.encode(corpus)                               # int64 (N,)
    train_ids, val_ids = text.split(ids, 0.9)
    x, y = text.batches(train_ids, block_size=64, batch_size=32, generator=g)   # (B, T) each
    history = text.train_lm(model, train_ids, val_ids, text.LMConfig(steps=1500), generator=g)
    out = text.generate(model, vocab.encode("ROMEO:")[None], steps=200, generator=g)

Nothing here seeds or downloads: randomness comes from the ``generator`` passed in.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from torchbook import training


class CharVocab:
    """The characters (字符表) of a text, sorted; ``encode`` str -> int64 (N,), ``decode`` back."""

    def __init__(self, corpus: str) -> None:
        self.chars: list[str] = sorted(set(corpus))
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> torch.Tensor:
        """The ids of the characters of ``s``: int64 (len(s),). Unknown characters raise KeyError."""
        try:
            return torch.tensor([self.stoi[c] for c in s], dtype=torch.int64)
        except KeyError as err:
            raise KeyError(f"character {err.args[0]!r} is not in the vocabulary of {len(self)} characters") from None

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """The text of a 1-D sequence of ids (a tensor (N,) or a list)."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"decode takes one sequence (N,), got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        return "".join(self.chars[i] for i in ids)


def split(ids: torch.Tensor, train_fraction: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``train_fraction`` of a 1-D sequence for training, the rest for validation (no shuffle)."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n = int(train_fraction * len(ids))
    return ids[:n], ids[n:]


def batches(
    data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of ``data`` (N,): inputs x (B, T) and next-character targets
    y (B, T) with ``y[:, t] == data[start + t + 1]``, i.e. x shifted left by one. T = ``block_size``.

    The windows are drawn on the CPU with ``generator``; the tensors are on ``data``'s device.
    """
    if data.dim() != 1:
        raise ValueError(f"data must be a 1-D sequence of ids, got shape {tuple(data.shape)}")
    if len(data) <= block_size:
        raise ValueError(f"data has {len(data)} ids; a window of {block_size} needs at least {block_size + 1}")
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size + 1)
    windows = data[(starts[:, None] + offsets).to(data.device)]  # (B, T + 1)
    return windows[:, :-1], windows[:, 1:]


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy in nats per character: logits (B, T, V), targets (B, T)."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


@dataclass(frozen=True)
class LMConfig:
    """Settings of :func:`train_lm`; override by name: ``LMConfig(steps=100)``."""

    steps: int = 1000
    block_size: int = 64  # T, characters per window
    batch_size: int = 32  # B, windows per step
    lr: float = 3e-3
    weight_decay: float = 0.01  # AdamW's decoupled weight decay
    clip: float | None = 1.0  # max gradient norm; None = no clipping
    eval_every: int = 100  # steps between validation estimates
    eval_batches: int = 10  # fixed validation batches per estimate
    warmup: int = 0  # steps of linear learning-rate warm-up; then cosine decay to lr / 10
    log: bool = False  # print one line per evaluation

    def __post_init__(self) -> None:
        if self.steps < 1 or self.eval_every < 1 or self.eval_batches < 1:
            raise ValueError("steps, eval_every and eval_batches must be at least 1")


@dataclass
class LMHistory(training.History):
    """A ``training.History`` whose records are taken every ``eval_every`` steps, not per epoch.

    ``step`` is the step of each record; ``train_loss`` the mean training loss since the last
    record, ``val_loss`` the validation loss (nats per character), ``seconds`` the wall seconds
    of training so far (cumulative); ``train_acc``/``val_acc`` stay empty.
    ``torchbook.plot.history`` draws it against ``step``.
    """

    step: list[int] = field(default_factory=list)


def _lr_factor(step: int, cfg: LMConfig) -> float:
    if cfg.warmup and step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def train_lm(
    model: nn.Module,
    train_data: torch.Tensor,
    val_data: torch.Tensor,
    cfg: LMConfig = LMConfig(),
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> LMHistory:
    """Train a language model ``idx (B, T) -> logits (B, T, V)`` on random windows of ``train_data``
    (N,) with AdamW, gradient clipping and a warm-up + cosine learning-rate schedule.

    Every ``cfg.eval_every`` steps (and after the last) it records the validation loss on the
    same ``cfg.eval_batches`` windows of ``val_data``, drawn once from a generator seeded with 0,
    so the points of the curve are comparable, with ``training.evaluate`` (the book's one
    evaluation loop). This is a step-based loop, different from the epoch loop ``training.fit``:
    each step draws fresh random windows, so there are no epochs to pass over. Returns the
    :class:`LMHistory`.
    """
    device = torch.device(device)
    model.to(device)
    train_data, val_data = train_data.to(device), val_data.to(device)
    val_gen = torch.Generator().manual_seed(0)
    val_windows = [batches(val_data, cfg.block_size, cfg.batch_size, val_gen) for _ in range(cfg.eval_batches)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _lr_factor(s, cfg))
    history = LMHistory()
    running = torch.zeros((), device=device)
    since = 0
    elapsed = 0.0
    model.train()
    start = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        x, y = batches(train_data, cfg.block_size, cfg.batch_size, generator)
        loss = lm_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        optimizer.step()
        schedule.step()
        running += loss.detach()
        since += 1
        if step % cfg.eval_every == 0 or step == cfg.steps:
            train_loss = (running / since).item()  # the one host sync per evaluation
            elapsed += time.perf_counter() - start
            val_loss, _ = training.evaluate(model, val_windows, lm_loss, device, metric=None)
            model.train()
            history.step.append(step)
            history.train_loss.append(train_loss)
            history.val_loss.append(val_loss)
            history.seconds.append(elapsed)
            if cfg.log:
                print(f"step {step:>5}/{cfg.steps}  train_loss {train_loss:.4f}  val_loss {val_loss:.4f}")
            running.zero_()
            since = 0
            start = time.perf_counter()
    return history


@torch.no_grad()
def generate(
    model: nn.Module,
    idx: torch.Tensor,
    steps: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    context: int | None = None,
) -> torch.Tensor:
    """Extend ``idx`` (B, T0) by ``steps`` sampled characters; returns (B, T0 + steps) on the CPU.

    Each step feeds the last ``context`` ids (default: ``model.block_size`` if the model has
    one, else all of them) and samples the next id from ``softmax(logits / temperature)`` with
    ``generator`` (a CPU generator, so the same seed gives the same text on every device, up to
    the model's arithmetic). ``temperature=0`` takes the most likely character (greedy).
    """
    if idx.dim() != 2:
        raise ValueError(f"idx must be (B, T0), got shape {tuple(idx.shape)}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    context = context or getattr(model, "block_size", None)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = idx.cpu()
    for _ in range(steps):
        window = out if context is None else out[:, -context:]
        logits = model(window.to(device))[:, -1, :].float().cpu()  # (B, V): the last position
        if temperature == 0:
            nxt = logits.argmax(dim=-1, keepdim=True)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
        out = torch.cat([out, nxt], dim=1)
    model.train(was_training)
    return out
