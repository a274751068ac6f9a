"""torchbook.speedrun and models.SpeedNet: the recipe of page 7.1's CIFAR-10 speed run; the bench's report."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

from torchbook import benchreport, data, models, speedrun

REPO = Path(__file__).resolve().parents[1]


def load_bench(monkeypatch: pytest.MonkeyPatch):
    """bench/bench.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("bench", REPO / "bench" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    return bench


def tiny_cifar(n: int = 512, seed: int = 0):
    """Two separable classes of uint8 (N, 3, 32, 32) images: class 1 is redder."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = torch.randint(0, 120, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    images[labels == 1, 0] += 100
    return (images[: 3 * n // 4], labels[: 3 * n // 4]), (images[3 * n // 4 :], labels[3 * n // 4 :])


def test_speednet_shapes_and_whitening():
    torch.manual_seed(0)
    net = models.SpeedNet(widths=(8, 16, 16))
    x = torch.randn(64, 3, 32, 32) * torch.tensor([1.0, 2.0, 0.5]).view(1, 3, 1, 1)
    assert net(x).shape == (64, 10)
    net.init_whitening(x)
    assert not net.whiten.weight.requires_grad and net.whiten.weight.shape == (24, 3, 2, 2)
    # the first 12 filters whiten the 2x2 patches: their outputs have identity covariance
    out = torch.nn.functional.conv2d(x.double(), net.whiten.weight[:12].double())  # (64, 12, 31, 31)
    flat = out.permute(0, 2, 3, 1).reshape(-1, 12)
    cov = flat.T @ flat / len(flat)
    torch.testing.assert_close(cov, torch.eye(12, dtype=torch.float64), atol=2e-2, rtol=0)
    assert torch.equal(net.whiten.weight[12:], -net.whiten.weight[:12])
    assert 1_900_000 < models.count_parameters(models.SpeedNet()) < 2_000_000


def test_warmup_decay_schedule():
    f = speedrun.warmup_decay(100, warmup=0.2)
    assert f(0) == pytest.approx(0.2) and f(20) == pytest.approx(1.0) and f(100) == pytest.approx(0.07)
    values = [f(s) for s in range(101)]
    assert max(values) == pytest.approx(1.0) and values.index(max(values)) == 20


def test_nesterov_sgd_groups():
    net = models.SpeedNet(widths=(8, 16, 16))
    cfg = speedrun.SpeedConfig()
    opt = speedrun.nesterov_sgd(net, cfg)
    biases, others = opt.param_groups
    assert biases["lr"] == pytest.approx(others["lr"] * cfg.bias_scaler) and opt.defaults["nesterov"]
    assert biases["lr"] * biases["weight_decay"] == pytest.approx(others["lr"] * others["weight_decay"])
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    assert {id(p) for g in opt.param_groups for p in g["params"]} == trainable


def test_speedrun_learns_on_a_tiny_slice():
    train, test = tiny_cifar()
    cfg = speedrun.SpeedConfig(epochs=2, batch_size=64, widths=(8, 16, 16), whiten_bias_epochs=1)
    result = speedrun.speedrun(train, test, cfg, compile=True)
    assert len(result.history) == 2 and result.test_acc > 0.9
    assert not result.model.whiten.bias.requires_grad  # frozen after whiten_bias_epochs
    assert len(result.notes) == 3 and all("CUDA only" in n for n in result.notes)  # on the CPU: all off


def test_the_speedrun_defaults_are_the_books_cifar_statistics():
    import inspect

    params = inspect.signature(speedrun.speedrun).parameters
    assert params["mean"].default == data.CIFAR10_MEAN and params["std"].default == data.CIFAR10_STD


def test_bench_runs_and_writes_its_report(tmp_path, monkeypatch):
    if not (data.root() / "MNIST" / "raw").is_dir():
        pytest.skip("MNIST is not prepared")
    bench = load_bench(monkeypatch)
    out = tmp_path / "smoke"
    argv = [
        "--device",
        "cpu",
        "--epochs",
        "1",
        "--limit",
        "256",
        "--test-limit",
        "128",
        "--tasks",
        "mlp",
        "--rows",
        "a,b3,b4,b5,b6",
        "--repeats",
        "2",
        "--out",
        str(out),
    ]
    assert bench.main(argv) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    rows = {r["row"]: r for r in report["tasks"]["mlp"]}
    assert rows["a"]["speedup"] == 1.0 and rows["b3"]["setup_s"] > 0
    assert [len(e) for e in rows["b3"]["epoch_s"]] == [2, 2] and len(rows["b3"]["repeat_s"]) == 2  # 2 rounds
    assert "CUDA only" in rows["b5"]["skipped"] and rows["b4"]["skipped"] is None  # bf16 runs on the CPU too
    assert rows["b6"]["skipped"] is None and "b4 + fused" in rows["b6"]["notes"][0]
    s = benchreport.speedup(report, "mlp", "b3", "b4")
    assert s.k == 2 and s.low <= s.ratio <= s.high
    with pytest.raises(ValueError, match="2 or more rounds"):
        benchreport.speedup(report, "mlp", "b3", "b5")
    assert report["flops_per_image"]["mlp"] == 2 * (784 * 128 + 128 * 10)
    assert "| b3 |" in out.with_suffix(".md").read_text()
    assert report["hardware"]["cpu_count"] and "cifar10_copy" in report["hardware"]  # runtime.hardware + copy
    text = benchreport.table(report)
    assert "b3" in text and "skipped (CUDA only" in text
    assert benchreport.load("smoke", tmp_path) == report and benchreport.load("absent", tmp_path) is None


def test_committed_reports_are_named_for_what_they_are():
    names = {p.stem for p in (REPO / "bench" / "reports").glob("*.json")}
    assert names <= {"cpu", "gpu"}, names  # not named for one GPU model (h100, a100, ...)


def test_speedup_is_a_ratio_of_geometric_means_paired_by_round():
    def report(a, b):
        rows = [{"row": "x", "repeat_s": a}, {"row": "y", "repeat_s": b}]
        return {"tasks": {"t": rows}}

    # y is about twice as fast in every round, however loaded the machine was
    s = benchreport.speedup(report([1.0, 3.0, 2.0], [0.5, 1.4, 1.05]), "t", "x", "y")
    assert 1.9 < s.ratio < 2.1 and 1.5 < s.low < s.ratio < s.high < 2.6 and s.significant
    # the same times unpaired in order: the rounds' load swamps the difference, no claim possible
    s = benchreport.speedup(report([1.0, 3.0, 2.0], [1.5, 1.0, 0.5]), "t", "x", "y")
    assert s.low < 1 < s.high and not s.significant
