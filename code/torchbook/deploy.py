"""A trained model leaves Python, and what it costs to look inside one (page 7.4).

ep = torch.export.export(model, (x,))                  # one graph, no Python
path = deploy.export_onnx(ep, "mlp.onnx")              # an ONNX file
deploy.onnx_predict(path, x)                           # run by onnxruntime, (N, C) tensor
small = deploy.quantize_int8(model)                    # torchao int8 weights, a copy
compress.state_bytes(small)                            # what torch.save writes
deploy.read_scalars("runs/x", "loss/train")            # TensorBoard's own reader
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import torch
from torch import nn


def export_onnx(program: torch.export.ExportedProgram, path: str | Path) -> Path:
    """Translate an ``ExportedProgram`` to ONNX and write it, weights included, to one file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx_program = torch.onnx.export(program, dynamo=True, external_data=False, verbose=False)
    onnx_program.save(str(path))
    return path


def onnx_session(path: str | Path):  # type: ignore[no-untyped-def]
    """An ``onnxruntime.InferenceSession`` for ``path`` on the CPU."""
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def onnx_predict(path_or_session, x: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
    """Run the ONNX model on ``x`` (N, ...) with onnxruntime; its first output as a CPU tensor (N, ...)."""
    session = onnx_session(path_or_session) if isinstance(path_or_session, str | Path) else path_or_session
    name = session.get_inputs()[0].name
    return torch.from_numpy(session.run(None, {name: x.detach().cpu().numpy()})[0])


def quantize_int8(model: nn.Module, dynamic_activations: bool = False) -> nn.Module:
    """A copy of ``model`` whose ``nn.Linear`` weights are int8 with one scale per row (torchao).

    ``dynamic_activations=True`` also quantizes each layer's input at every call, with one scale
    per row of the input (per example, ``(N, in_features)`` -> N scales), so that the matrix
    product can run in int8 where the backend has kernels for it. The original model is left
    unchanged.
    """
    # torchao registers its enums with torch's pytree at import, which logs a notice of torch's
    # own about that registration; it says nothing to the reader of the book.
    pytree_log = logging.getLogger("torch.utils._pytree")
    level = pytree_log.level
    pytree_log.setLevel(logging.ERROR)
    try:
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_
    finally:
        pytree_log.setLevel(level)
    quantized = copy.deepcopy(model).eval()
    config = Int8DynamicActivationInt8WeightConfig() if dynamic_activations else Int8WeightOnlyConfig()
    quantize_(quantized, config)
    return quantized


def read_scalars(logdir: str | Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) pairs of scalar ``tag`` from the TensorBoard event files in ``logdir``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(logdir))
    accumulator.Reload()
    if tag not in accumulator.Tags()["scalars"]:
        raise KeyError(f"no scalar {tag!r} in {logdir}; it has {sorted(accumulator.Tags()['scalars'])}")
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def zero_fraction(tensors: list[torch.Tensor]) -> float:
    """Share of the entries of ``tensors`` that are exactly zero (e.g. gradients lost to underflow)."""
    total = sum(t.numel() for t in tensors)
    return sum((t == 0).sum().item() for t in tensors) / total
