"""Every code path that only the GPU lane takes, run on the CPU first (issue 14, item 2).

What runs here for real on the CPU: bf16 autocast, channels_last, fused and foreach optimizers,
the per-step scheduler and the epoch callback of ``training.fit``, the speed run with the CUDA
switches forced on, the bench's airbench parse, ``runtime.device()``/``runtime.hardware()``/
``speedrun.gpu_switches``/``speedrun.page_budget`` choosing the CUDA branch (with
``torch.cuda`` monkeypatched). Faked: ``torch.compile(mode="reduce-overhead")`` compiles with the
``aot_eager`` backend (TorchDynamo + AOTAutograd, the same graph capture) because Inductor
needs over a minute on this CPU and CUDA graphs need CUDA; the CUDA-only sync check is skipped
without a GPU.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from torchbook import data, fast, models, runtime, speedrun, training

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
TRAINING_FILE = Path(inspect.getsourcefile(training)).resolve()


def tiny_problem(n: int = 256, seed: int = 0):
    """Two classes of 1x4x4 uint8 images: bright or dark, with noise."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    base = torch.where(labels.view(-1, 1, 1, 1) == 1, 170.0, 85.0)
    images = (base + 40 * torch.randn(n, 1, 4, 4, generator=g)).clamp(0, 255).to(torch.uint8)
    return images, labels


def tiny_cifar_loader(n: int = 32, batch: int = 16, channels_last: bool = False) -> fast.DeviceLoader:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    return fast.DeviceLoader(
        images, torch.arange(n) % 10, batch, data.CIFAR10_MEAN, data.CIFAR10_STD, channels_last=channels_last
    )


def fit_tiny_linear(loader: fast.DeviceLoader, model: nn.Module | None = None, **options):
    """Two epochs of SGD (lr 0.1) on the tiny problem, validated on the same loader: (model, history)."""
    model = model if model is not None else nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    cfg = training.TrainConfig(epochs=2)
    return model, training.fit(model, loader, nn.CrossEntropyLoss(), optimizer, cfg, val_loader=loader, **options)


def test_fit_trains_a_tiny_model_through_the_device_loader():
    torch.manual_seed(0)
    loader = fast.DeviceLoader(*tiny_problem(), 32, (0.5,), (0.25,), shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    before = training.evaluate(model, loader, nn.CrossEntropyLoss())
    _, history = fit_tiny_linear(loader, model)
    assert history.val_loss[-1] < before[0] and history.val_acc[-1] > 0.9


def test_summed_loss_is_reported_per_example():
    loader = fast.DeviceLoader(*tiny_problem(64), 16, (0.5,), (0.25,))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    mean_loss = training.evaluate(model, loader, nn.CrossEntropyLoss())[0]
    sum_loss = training.evaluate(model, loader, nn.CrossEntropyLoss(reduction="sum"))[0]
    assert sum_loss == pytest.approx(mean_loss, rel=1e-5)


def test_one_read_back_per_pass(monkeypatch):
    """Host reads issued from training.py: one per pass (train, validation), none inside it."""
    calls: list[str] = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            if Path(sys._getframe(1).f_code.co_filename).resolve() == TRAINING_FILE:
                calls.append(name)
            return original(self, *args, **kwargs)

        return wrapper

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, counting(name))
    loader = fast.DeviceLoader(
        *tiny_problem(128), 16, (0.5,), (0.25,), shuffle=True, augment=fast.Augment(crop_padding=1, flip=True)
    )
    fit_tiny_linear(loader)
    assert calls == ["tolist"] * 4  # 2 epochs x (training pass, validation pass)


@CUDA
def test_no_sync_inside_the_epoch_on_cuda():
    loader = fast.DeviceLoader(
        *tiny_problem(512),
        64,
        (0.5,),
        (0.25,),
        shuffle=True,
        device="cuda",
        augment=fast.Augment(crop_padding=1, flip=True),
    )
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2)).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    kw = dict(autocast=torch.bfloat16)
    training.train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer, "cuda", **kw)  # warm-up
    torch.cuda.set_sync_debug_mode("error")
    try:  # the steps of a pass, without its one read-back at the end
        for X, y in loader:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = nn.functional.cross_entropy(model(X), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_bf16_autocast_and_channels_last_run_on_cpu():
    loader = tiny_cifar_loader(channels_last=True)
    X, _ = next(iter(loader))
    assert X.is_contiguous(memory_format=torch.channels_last)
    torch.manual_seed(0)
    model = models.LeNet()
    seen: list[torch.dtype] = []
    model.fc3.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    history = training.fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters()),
        training.TrainConfig(epochs=1),
        val_loader=loader,
        autocast=torch.bfloat16,
        channels_last=True,
    )
    assert set(seen) == {torch.bfloat16}  # the model ran under bf16 autocast, training and validation
    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.isfinite(torch.tensor(history.train_loss + history.val_loss)).all()
    loss, acc = training.evaluate(
        model, loader, nn.CrossEntropyLoss(), autocast=torch.bfloat16, channels_last=True, tta_flip=True
    )
    assert 0.0 <= acc <= 1.0 and loss > 0


def test_compile_reduce_overhead_marks_every_step(monkeypatch):
    modes: list[str | None] = []
    real_compile = torch.compile

    def compile_aot_eager(model, mode=None, **kw):
        modes.append(mode)
        return real_compile(model, backend="aot_eager")

    marks: list[int] = []
    monkeypatch.setattr(torch, "compile", compile_aot_eager)
    monkeypatch.setattr(torch.compiler, "cudagraph_mark_step_begin", lambda: marks.append(1))
    torch.manual_seed(0)
    loader = fast.DeviceLoader(*tiny_problem(64), 16, (0.5,), (0.25,), drop_last=True)
    _, history = fit_tiny_linear(loader, compile_mode="reduce-overhead")
    assert modes == ["reduce-overhead"] and len(marks) == 2 * (4 + 4)  # every training and validation step
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize("flag", ["foreach", "fused"])
def test_foreach_and_fused_optimizers_match_the_for_loop(flag):
    results = []
    for kw in ({"foreach": False}, {flag: True}):
        torch.manual_seed(0)
        model = models.LeNet()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, **kw)
        training.fit(model, tiny_cifar_loader(), nn.CrossEntropyLoss(), opt, training.TrainConfig(epochs=1))
        results.append(model.fc3.weight.detach().clone())
    torch.testing.assert_close(results[0], results[1], rtol=1e-4, atol=1e-5)


def test_scheduler_steps_per_batch_and_epoch_callback():
    loader = tiny_cifar_loader(n=48, batch=16)
    model = models.LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 / (s + 1))
    epochs_seen = []
    training.fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        opt,
        training.TrainConfig(epochs=2),
        scheduler=sched,
        on_epoch_end=lambda epoch, h: epochs_seen.append((epoch, len(h))),
    )
    assert sched.last_epoch == 6 and opt.param_groups[0]["lr"] == pytest.approx(1 / 7)
    assert epochs_seen == [(1, 1), (2, 2)]


def test_speedrun_with_the_cuda_switches_forced_on_cpu():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (192, 3, 32, 32), generator=g, dtype=torch.uint8)
    train, test = (images[:128], torch.arange(128) % 10), (images[128:], torch.arange(64) % 10)
    switches, _ = speedrun.gpu_switches("cuda", amp=True, channels_last=True, compile=False)
    cfg = speedrun.SpeedConfig(epochs=1, batch_size=64, widths=(8, 8, 8), whiten_bias_epochs=1)
    result = speedrun.speedrun(train, test, cfg, switches=switches)
    assert len(result.history) == 1 and 0.0 <= result.test_acc <= 1.0 and result.notes == []
    assert result.model.layers[1].conv1.weight.is_contiguous(memory_format=torch.channels_last)


def test_gpu_switches_and_page_budget_choose_by_device():
    on_cuda, notes = speedrun.gpu_switches("cuda", amp=True, channels_last=True, compile=True)
    assert on_cuda == {"autocast": torch.bfloat16, "channels_last": True, "compile_mode": "reduce-overhead"}
    assert notes == []
    on_cpu, notes = speedrun.gpu_switches("cpu", amp=True, channels_last=True, compile=True)
    assert on_cpu == {"autocast": None, "channels_last": False, "compile_mode": None} and len(notes) == 3
    assert speedrun.page_budget("cuda", "full") == (speedrun.SpeedConfig(), None, None)
    cfg, limit, _ = speedrun.page_budget("cpu", "full")
    assert limit == 5000 and cfg.widths == (32, 64, 64)
    assert speedrun.page_budget("cuda", "fast") == speedrun.page_budget("cpu", "fast")


def test_runtime_device_chooses_cuda_when_there_is_one(monkeypatch):
    monkeypatch.delenv("TORCHBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert runtime.device() == torch.device("cuda")
    monkeypatch.setenv("TORCHBOOK_DEVICE", "cuda:0")
    assert runtime.device() == torch.device("cuda:0")
    monkeypatch.setenv("TORCHBOOK_DEVICE", "cuda:1")
    with pytest.raises(runtime.ConfigError, match="has none"):
        runtime.device()


def test_runtime_hardware_describes_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda dev=None: "NVIDIA H200")
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: 91000)
    hw = runtime.hardware("cuda")
    assert hw["gpu"] == "NVIDIA H200" and hw["device"] == "cuda" and hw["cudnn"] == 91000 and "cuda" in hw
    assert "gpu" not in runtime.hardware("cpu")


AIRBENCH_STDOUT = """\
---------------------------------------------------------------------------------------------
|  run     |  epoch  |  train_loss  |  train_acc  |  val_acc  |  tta_val_acc  |  total_time_seconds  |
---------------------------------------------------------------------------------------------
|       0  |      0  |      0.8923  |     0.7207  |   0.7461  |               |              0.7581  |
|          |      9  |      0.4981  |     0.9434  |   0.9342  |               |              2.0130  |
|          |   eval  |              |             |           |       0.9401  |              2.0812  |
---------------------------------------------------------------------------------------------
"""


def test_bench_reads_airbench_final_row(monkeypatch):
    from test_speedrun import load_bench

    bench = load_bench(monkeypatch)
    assert bench.parse_airbench_eval(AIRBENCH_STDOUT) == (0.9401, 2.0812)
    with pytest.raises(ValueError, match="no 'eval' row"):
        bench.parse_airbench_eval("|  0  |  1  |  0.5  |")
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="needs a CUDA device"):
            bench.run_airbench(1)
