"""The CIFAR-10 speed run of chapter 7.1: airbench94's recipe on the book's one training loop.

    from torchbook import fast, speedrun
    train = fast.as_uint8(data.cifar10("train")); test = fast.as_uint8(data.cifar10("test"))
    result = speedrun.speedrun(train, test, speedrun.SpeedConfig(), device=device)
    result.test_acc, result.train_seconds

It holds the recipe (``SpeedConfig``, ``page_budget``), its optimiser (``nesterov_sgd``) and schedule
(``warmup_decay``), the choice of speed switches per device (``gpu_switches``) and the run
itself (``speedrun``, which trains ``models.SpeedNet`` with ``training.fit``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from torchbook import data, training
from torchbook.fast import Augment, DeviceLoader, normalize
from torchbook.models import SpeedNet


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
    groups = [
        dict(params=norm_biases, lr=lr_biases, weight_decay=wd / lr_biases),
        dict(params=others, lr=lr, weight_decay=wd / lr),
    ]
    return torch.optim.SGD(groups, momentum=cfg.momentum, nesterov=True)


def warmup_decay(
    total_steps: int, warmup: float = 0.23, start: float = 0.2, end: float = 0.07
) -> Callable[[int], float]:
    """Learning-rate factor of step s: linear ``start -> 1`` over ``warmup * total_steps``, then ``1 -> end``."""
    warm = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return start + (1 - start) * step / warm
        return 1 + (end - 1) * min(1.0, (step - warm) / max(1, total_steps - warm))

    return factor


def gpu_switches(
    device: torch.device | str, *, amp: bool = True, channels_last: bool = True, compile: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The speed switches of ``training.fit`` that pay on ``device``, and a note for each one turned off.

    On CUDA: ``autocast=torch.bfloat16`` (tensor cores), ``channels_last`` (cuDNN's NHWC
    kernels) and ``compile_mode="reduce-overhead"`` (CUDA graphs) as asked. Elsewhere all three
    are off, so that a CPU run computes in float32 on every CPU, bf16 instructions or not
    (whether bf16 and channels_last pay on a CPU is what ``bench/bench.py``'s row b4 measures),
    and CUDA graphs do not exist there.
    """
    on_cuda = torch.device(device).type == "cuda"
    asked = {"amp": amp, "channels_last": channels_last, "compile": compile}
    notes = (
        []
        if on_cuda
        else [f"{name} off on {torch.device(device).type}: used on CUDA only" for name, on in asked.items() if on]
    )
    switches: dict[str, Any] = {
        "autocast": torch.bfloat16 if (amp and on_cuda) else None,
        "channels_last": channels_last and on_cuda,
        "compile_mode": "reduce-overhead" if (compile and on_cuda) else None,
    }
    return switches, notes


def page_budget(device: torch.device | str, mode: str) -> tuple[SpeedConfig, int | None, int | None]:
    """Page 7.1's (config, training images, test images) for ``device`` and run mode ("full"/"fast").

    CUDA in full mode: the real recipe on all of CIFAR-10. Otherwise a narrower network on a
    slice, with small batches; airbench's rate is kept per *step* (lr x 1024 / batch), not per
    example, or a run of a few dozen steps barely moves.
    """
    if torch.device(device).type == "cuda" and mode == "full":
        return SpeedConfig(), None, None
    if mode == "full":
        return SpeedConfig(epochs=4, batch_size=256, lr=46.0, widths=(32, 64, 64), whiten_bias_epochs=1), 5000, 2000
    return SpeedConfig(epochs=2, batch_size=64, lr=115.0, widths=(16, 32, 32), whiten_bias_epochs=1), 1024, 500


@dataclass
class SpeedResult:
    """What :func:`speedrun` returns: the history, the final TTA test accuracy and the timed seconds."""

    history: training.History
    test_acc: float
    train_seconds: float
    model: nn.Module
    notes: list[str] = field(default_factory=list)  # speed switches turned off on this device


def speedrun(
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    cfg: SpeedConfig = SpeedConfig(),
    *,
    device: torch.device | str = "cpu",
    amp: bool = True,
    channels_last: bool = True,
    compile: bool = False,
    mean: Sequence[float] = data.CIFAR10_MEAN,
    std: Sequence[float] = data.CIFAR10_STD,
    seed: int = 0,
    switches: dict[str, Any] | None = None,
) -> SpeedResult:
    """Train :class:`~torchbook.models.SpeedNet` on uint8 CIFAR-10 ``train`` = (images (N, 3, 32, 32), labels (N,)).

    ``amp``, ``channels_last`` and ``compile`` are used on CUDA only (:func:`gpu_switches`);
    ``switches`` (keyword arguments of ``training.fit``) overrides that choice, e.g. to test
    the CUDA path's code on a CPU. Returns the test accuracy (flip TTA when ``cfg.tta_flip``)
    and the training seconds (clock started and stopped after a device sync; the first epoch
    includes cuDNN/compile warm-up; the test pass is not timed). Evaluation runs once, at the
    end, as airbench does.
    """
    device = torch.device(device)
    notes: list[str] = []
    if switches is None:
        switches, notes = gpu_switches(device, amp=amp, channels_last=channels_last, compile=compile)
    torch.manual_seed(seed)
    loader_kw = dict(mean=mean, std=std, device=device, channels_last=bool(switches.get("channels_last")))
    train_loader = DeviceLoader(
        *train,
        cfg.batch_size,
        shuffle=True,
        drop_last=True,
        seed=seed,
        augment=Augment(crop_padding=cfg.crop_padding, flip=True),
        **loader_kw,
    )
    test_loader = DeviceLoader(*test, 2000, **loader_kw)
    net = SpeedNet(cfg.widths).to(device)
    net.init_whitening(normalize(train_loader.images[:5000], mean, std))
    optimizer = nesterov_sgd(net, cfg)
    steps = cfg.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_decay(steps, cfg.warmup))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing, reduction="sum")

    def freeze_whitening_bias(epoch: int, history: training.History) -> None:
        if epoch == cfg.whiten_bias_epochs:
            net.whiten.bias.requires_grad_(False)

    history = training.fit(
        net,
        train_loader,
        loss_fn,
        optimizer,
        training.TrainConfig(epochs=cfg.epochs),
        device=device,
        scheduler=scheduler,
        on_epoch_end=freeze_whitening_bias,
        **switches,
    )
    _, acc = training.evaluate(
        net,
        test_loader,
        loss_fn,
        device,
        autocast=switches.get("autocast"),
        channels_last=bool(switches.get("channels_last")),
        tta_flip=cfg.tta_flip,
    )
    return SpeedResult(history, float(acc), sum(history.seconds), net, notes)
