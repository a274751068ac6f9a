"""Model compression (chapter 8.1): int8 weights, bytes on disk, knowledge distillation.

    q, scale = compress.quantize_int8(model.fc1.weight)        # int8 (out, in), float32 (out,)
    w = compress.dequantize_int8(q, scale)                     # float32 (out, in), |w - W| <= scale/2
    small = compress.quantize_state_dict(model.state_dict())   # every weight matrix as int8 + scales
    compress.state_bytes(small), compress.state_bytes(model)   # bytes that torch.save writes
    loss = compress.distillation_loss(student_logits, teacher_logits, temperature=4.0)
    history = compress.distill(student, teacher, train_loader, optimizer, cfg, temperature=4.0)

The quantizer is symmetric (zero stays exactly zero, no zero point) and per channel: each output
row of a weight matrix gets its own scale ``max|row| / 127``, so one large row does not cost the
others their resolution.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from torchbook.training import Batch, History, TrainConfig, fit

QMAX = 127  # symmetric int8 range [-127, 127]: -128 is left unused so that the range is symmetric
SCALE_SUFFIX = ":scale"  # a key no module parameter can have (their names use dots)


def _per_channel_shape(w: torch.Tensor, dim: int) -> list[int]:
    shape = [1] * w.ndim
    shape[dim] = w.shape[dim]
    return shape


def quantize_int8(w: torch.Tensor, dim: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-channel int8 quantization along ``dim``: w (C, ...) -> q int8 (C, ...), scale (C,).

    ``scale[c] = max|w[c]| / 127`` (1.0 for an all-zero channel) and ``q = round(w / scale)``,
    so ``dequantize_int8(q, scale)`` is within ``scale / 2`` of ``w`` and exact for values that
    are integer multiples of the scale.
    """
    if not w.is_floating_point():
        raise TypeError(f"quantize_int8 needs a floating-point tensor, got {w.dtype}")
    dim = dim % w.ndim
    others = [d for d in range(w.ndim) if d != dim]
    amax = w.detach().abs().amax(dim=others) if others else w.detach().abs()  # (C,)
    scale = torch.where(amax > 0, amax / QMAX, torch.ones_like(amax)).float()  # (C,)
    q = torch.round(w.detach() / scale.view(_per_channel_shape(w, dim)))
    return q.clamp(-QMAX, QMAX).to(torch.int8), scale


def dequantize_int8(q: torch.Tensor, scale: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Undo :func:`quantize_int8`: q int8 (C, ...), scale (C,) -> float32 (C, ...) = q * scale."""
    if q.dtype != torch.int8:
        raise TypeError(f"dequantize_int8 needs an int8 tensor, got {q.dtype}")
    dim = dim % q.ndim
    return q.float() * scale.view(_per_channel_shape(q, dim))


def quantize_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every floating tensor with 2+ dims (weight matrices, conv kernels) as int8 plus its scales.

    A weight ``name`` becomes ``name`` (int8) and ``name + ":scale"`` (float32 (out,)); biases and
    other 1-dim tensors stay as they are. Undo with :func:`dequantize_state_dict`.
    """
    out: dict[str, torch.Tensor] = {}
    for name, t in state.items():
        if t.is_floating_point() and t.ndim >= 2:
            out[name], out[name + SCALE_SUFFIX] = quantize_int8(t)
        else:
            out[name] = t
    return out


def dequantize_state_dict(qstate: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A float ``state_dict`` from :func:`quantize_state_dict`'s output, ready for ``load_state_dict``."""
    out: dict[str, torch.Tensor] = {}
    for name, t in qstate.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        scale = qstate.get(name + SCALE_SUFFIX)
        out[name] = dequantize_int8(t, scale) if scale is not None else t
    return out


def state_bytes(obj: nn.Module | Mapping[str, torch.Tensor]) -> int:
    """Bytes ``torch.save`` writes for a model's ``state_dict`` (or for a dict of tensors).

    Tensors are saved from the CPU as a plain dict, so the count does not depend on the device.
    """
    items = obj.state_dict().items() if isinstance(obj, nn.Module) else obj.items()
    state = {k: v.detach().cpu() if isinstance(v, torch.Tensor) else v for k, v in items}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def distillation_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 4.0
) -> torch.Tensor:
    """Hinton et al.'s soft-target loss: ``T^2 * KL(softmax(t/T) || softmax(s/T))``, batch mean.

    student_logits, teacher_logits (N, C) -> 0-dim tensor. The ``T^2`` keeps its gradients on the
    scale of a cross-entropy's as ``T`` changes; it is 0 when the logits are equal.
    """
    if student_logits.shape != teacher_logits.shape or student_logits.ndim != 2:
        raise ValueError(
            f"distillation_loss needs two (N, C) tensors of one shape, got "
            f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}"
        )
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    log_p_student = F.log_softmax(student_logits / temperature, dim=1)
    log_p_teacher = F.log_softmax(teacher_logits / temperature, dim=1)
    kl = F.kl_div(log_p_student, log_p_teacher, log_target=True, reduction="batchmean")
    return kl * temperature**2


def distill(
    student: nn.Module,
    teacher: nn.Module,
    train_loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    cfg: TrainConfig = TrainConfig(),
    *,
    temperature: float = 4.0,
    alpha: float = 0.9,
    val_loader: Iterable[Batch] | None = None,
    device: torch.device | str = "cpu",
) -> History:
    """Train ``student`` on ``alpha * distillation_loss + (1 - alpha) * cross_entropy(labels)``.

    The teacher runs in eval mode without gradients on the same batch (X (B, ...), y (B,)).
    It is :func:`torchbook.training.fit` with this ``objective``, so it returns fit's History
    (train loss of the combined objective, train accuracy, and the cross-entropy and accuracy on
    ``val_loader``); ``alpha=0`` is exactly ``fit`` with ``CrossEntropyLoss``.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    teacher.to(device).eval()

    def objective(logits: torch.Tensor, y: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(logits, y)
        if alpha > 0:
            with torch.no_grad():
                teacher_logits = teacher(X)  # (B, C)
            loss = alpha * distillation_loss(logits, teacher_logits, temperature) + (1 - alpha) * loss
        return loss

    return fit(
        student,
        train_loader,
        nn.CrossEntropyLoss(),
        optimizer,
        cfg,
        val_loader=val_loader,
        device=device,
        objective=objective,
    )
