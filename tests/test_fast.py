"""torchbook.fast: the device-resident loader, batched augmentation, the sync-free loop, the speed run."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Subset

from torchbook import data, fast, models

CPU = torch.device("cpu")
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _images(n: int = 10, c: int = 3, side: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, c, side, side), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


class _FakeCIFAR(torch.utils.data.Dataset):
    """Like data.CIFAR10Tensors: .data uint8 numpy (N, H, W, C), .targets a list, PIL items."""

    def __init__(self, n: int = 12, transform=None) -> None:
        self.data = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        self.targets = [i % 10 for i in range(n)]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        from PIL import Image

        return self.transform(Image.fromarray(self.data[i])), self.targets[i]


# ---------------------------------------------------------------------------- as_uint8, normalize


def test_as_uint8_cifar_layout_and_subset():
    ds = _FakeCIFAR(12)
    images, labels = fast.as_uint8(ds)
    assert images.dtype == torch.uint8 and images.shape == (12, 3, 32, 32)
    assert labels.dtype == torch.int64 and labels.tolist() == ds.targets
    assert torch.equal(images[3], torch.from_numpy(ds.data[3]).permute(2, 0, 1))
    sub = Subset(Subset(ds, range(2, 10)), [5, 0, 1])  # nested, as limit= on a Subset would make
    s_images, s_labels = fast.as_uint8(sub)
    assert torch.equal(s_images, images[[7, 2, 3]]) and s_labels.tolist() == [7, 2, 3]


def test_as_uint8_mnist_like_and_pairs():
    class MNISTLike:
        data = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
        targets = torch.tensor([3, 1, 4, 1, 5])

    images, labels = fast.as_uint8(MNISTLike())
    assert images.shape == (5, 1, 28, 28) and torch.equal(images[:, 0], MNISTLike.data)
    assert labels.dtype == torch.int64
    images2, _ = fast.as_uint8((MNISTLike.data, MNISTLike.targets))
    assert torch.equal(images, images2)
    with pytest.raises(TypeError, match="no .data/.targets"):
        fast.as_uint8(torch.utils.data.TensorDataset(torch.zeros(2, 3)))


def test_as_uint8_reads_the_real_mnist_subset():
    root = data.root()
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip("MNIST is not prepared")
    ds = data.mnist("test", limit=50)
    images, labels = fast.as_uint8(ds)
    assert images.shape == (50, 1, 28, 28) and labels.shape == (50,)
    x0, y0 = ds[7]  # the torchvision path: ToTensor
    torch.testing.assert_close(images[7].float() / 255, x0)
    assert labels[7].item() == y0


def test_normalize_matches_the_torchvision_path():
    ds = _FakeCIFAR(6, transform=data.to_tensor(data.CIFAR10_MEAN, data.CIFAR10_STD))
    images, _ = fast.as_uint8(ds)
    ours = fast.normalize(images, data.CIFAR10_MEAN, data.CIFAR10_STD)
    theirs = torch.stack([ds[i][0] for i in range(6)])
    assert ours.dtype == torch.float32 and ours.shape == theirs.shape == (6, 3, 32, 32)
    torch.testing.assert_close(ours, theirs)
    assert fast.normalize(images, data.CIFAR10_MEAN, data.CIFAR10_STD, torch.bfloat16).dtype == torch.bfloat16


def test_loader_batches_equal_torchvision_tensors():
    ds = _FakeCIFAR(12, transform=data.to_tensor(data.CIFAR10_MEAN, data.CIFAR10_STD))
    loader = fast.DeviceLoader(*fast.as_uint8(ds), batch_size=5, mean=data.CIFAR10_MEAN, std=data.CIFAR10_STD)
    batches = list(loader)
    assert len(loader) == len(batches) == 3 and [len(y) for _, y in batches] == [5, 5, 2]
    X = torch.cat([x for x, _ in batches])
    torch.testing.assert_close(X, torch.stack([ds[i][0] for i in range(12)]))
    assert torch.cat([y for _, y in batches]).tolist() == ds.targets


# ---------------------------------------------------------------------------- shuffling


def test_shuffle_is_a_seeded_permutation():
    images, labels = _images(100, 1, 4), torch.arange(100)

    def epoch_orders(seed: int) -> list[list[int]]:
        loader = fast.DeviceLoader(images, labels, 32, (0.5,), (0.5,), shuffle=True, seed=seed)
        return [torch.cat([y for _, y in loader]).tolist() for _ in range(2)]

    first, second = epoch_orders(0)
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second  # a new order each epoch
    assert epoch_orders(0) == [first, second]  # same seed, same orders
    assert epoch_orders(1)[0] != first
    dropped = fast.DeviceLoader(images, labels, 32, (0.5,), (0.5,), shuffle=True, drop_last=True)
    assert len(dropped) == 3 and all(len(y) == 32 for _, y in dropped)


def test_images_follow_their_labels():
    images = torch.arange(20, dtype=torch.uint8).view(20, 1, 1, 1).expand(20, 1, 2, 2).contiguous()
    loader = fast.DeviceLoader(images, torch.arange(20), 6, (0.0,), (1 / 255,), shuffle=True)
    for X, y in loader:  # std 1/255, mean 0: X holds the raw value, which equals the label
        assert torch.equal(X[:, 0, 0, 0].round().long(), y)


def test_loader_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        fast.DeviceLoader(torch.zeros(2, 1, 2, 2), torch.zeros(2), 1, (0.0,), (1.0,))
    with pytest.raises(ValueError, match="labels"):
        fast.DeviceLoader(_images(3), torch.zeros(2), 1, (0.0,) * 3, (1.0,) * 3)
    with pytest.raises(ValueError, match="one per channel"):
        fast.DeviceLoader(_images(3), torch.zeros(3), 1, (0.0,), (1.0,))


# ---------------------------------------------------------------------------- augmentation


def test_crop_equals_slicing_the_padded_image():
    x = _images(4, 2, 6)
    dy, dx = torch.tensor([0, 4, 2, 1]), torch.tensor([4, 0, 2, 3])
    out = fast.crop(x, 2, dy, dx)
    assert out.shape == x.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for b in range(4):
        assert torch.equal(out[b], padded[b, :, dy[b] : dy[b] + 6, dx[b] : dx[b] + 6])
    assert torch.equal(fast.crop(x, 2, torch.full((4,), 2), torch.full((4,), 2)), x)  # centre: identity


def test_crop_on_a_known_image():
    x = torch.arange(1, 10, dtype=torch.uint8).view(1, 1, 3, 3)  # 1..9
    down_right = fast.crop(x, 1, torch.tensor([0]), torch.tensor([0]))  # shift content down-right
    assert down_right[0, 0].tolist() == [[0, 0, 0], [0, 1, 2], [0, 4, 5]]
    up_left = fast.crop(x, 1, torch.tensor([2]), torch.tensor([2]))
    assert up_left[0, 0].tolist() == [[5, 6, 0], [8, 9, 0], [0, 0, 0]]


def test_random_flip_and_crop():
    x = _images(64, 3, 5)
    g = torch.Generator().manual_seed(0)
    flipped = fast.random_flip(x, g)
    same = (flipped == x).flatten(1).all(1)
    mirrored = (flipped == x.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 16 < int(mirrored.sum()) < 48  # about half
    assert torch.equal(fast.random_flip(x, torch.Generator().manual_seed(0)), flipped)  # seeded
    cropped = fast.random_crop(x, 1, g)
    assert cropped.shape == x.shape and cropped.dtype == torch.uint8
    aug = fast.Augment(crop_padding=2, flip=True)
    assert aug(x, g).shape == x.shape
    assert torch.equal(fast.Augment()(x), x)


def test_loader_applies_augmentation_before_normalising():
    images = torch.full((8, 1, 4, 4), 255, dtype=torch.uint8)
    loader = fast.DeviceLoader(images, torch.zeros(8), 8, (0.0,), (1.0,), augment=fast.Augment(crop_padding=2))
    X, _ = next(iter(loader))
    assert X.min().item() == 0.0 and X.max().item() == 1.0  # zero padding shows at some borders


# ---------------------------------------------------------------------------- the loop


def _tiny_problem(n: int = 256, seed: int = 0):
    """Two classes of 1x4x4 images: bright or dark, with noise."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    base = torch.where(labels.view(-1, 1, 1, 1) == 1, 170.0, 85.0)
    images = (base + 40 * torch.randn(n, 1, 4, 4, generator=g)).clamp(0, 255).to(torch.uint8)
    return images, labels


def test_one_epoch_improves_a_tiny_model():
    torch.manual_seed(0)
    images, labels = _tiny_problem()
    loader = fast.DeviceLoader(images, labels, 32, (0.5,), (0.25,), shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    before_loss, before_acc = fast.evaluate(model, loader, loss_fn)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, acc = fast.train_epoch(model, loader, loss_fn, optimizer)
    assert loss.shape == () and acc.shape == ()  # 0-d tensors, still on the device
    after_loss, after_acc = fast.evaluate(model, loader, loss_fn)
    assert after_loss.item() < before_loss.item() and after_acc.item() > 0.9


def test_summed_loss_is_reported_per_example():
    images, labels = _tiny_problem(64)
    loader = fast.DeviceLoader(images, labels, 16, (0.5,), (0.25,))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    mean_loss = fast.evaluate(model, loader, nn.CrossEntropyLoss())[0]
    sum_loss = fast.evaluate(model, loader, nn.CrossEntropyLoss(reduction="sum"))[0]
    torch.testing.assert_close(mean_loss, sum_loss)


def test_the_loop_never_reads_a_value_back(monkeypatch):
    """Count host reads issued from fast.py while train_epoch runs: there must be none."""
    fast_file = Path(inspect.getsourcefile(fast)).resolve()
    calls: list[str] = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            caller = Path(sys._getframe(1).f_code.co_filename).resolve()
            if caller == fast_file:
                calls.append(name)
            return original(self, *args, **kwargs)

        return wrapper

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, counting(name))
    images, labels = _tiny_problem(128)
    loader = fast.DeviceLoader(images, labels, 16, (0.5,), (0.25,), shuffle=True,
                               augment=fast.Augment(crop_padding=1, flip=True))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    fast.train_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
    fast.evaluate(model, loader, nn.CrossEntropyLoss())
    assert calls == []
    history = fast.fit(model, loader, nn.CrossEntropyLoss(), optimizer, 2, val_loader=loader)
    assert calls == ["tolist", "item"] * 2  # fit: one read per epoch for training, one for the test


@CUDA
def test_no_sync_inside_the_epoch_on_cuda():
    images, labels = _tiny_problem(512)
    loader = fast.DeviceLoader(images, labels, 64, (0.5,), (0.25,), shuffle=True, device="cuda",
                               augment=fast.Augment(crop_padding=1, flip=True))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2)).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    fast.train_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)  # warm-up (lazy init may sync)
    torch.cuda.set_sync_debug_mode("error")
    try:
        loss, acc = fast.train_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert 0 <= acc.item() <= 1


def test_flags_fall_back_on_cpu():
    opts = fast.FastOptions(amp=True, channels_last=True, compile=True).resolve(CPU)
    assert (opts.amp, opts.channels_last, opts.compile) == (False, False, False)
    assert len(opts.notes) == 3 and all("CUDA only" in n for n in opts.notes)
    assert fast.FastOptions().resolve(CPU).notes == ()
    cuda_opts = fast.FastOptions(amp=True, compile=True).resolve("cuda")  # kept as asked on CUDA
    assert cuda_opts.amp and cuda_opts.compile
    torch.manual_seed(0)
    images, labels = _tiny_problem(64)
    loader = fast.DeviceLoader(images, labels, 16, (0.5,), (0.25,), channels_last=opts.channels_last)
    model = opts.prepare(nn.Sequential(nn.Flatten(), nn.Linear(16, 2)))
    loss, acc = fast.train_epoch(model, loader, nn.CrossEntropyLoss(),
                                 torch.optim.SGD(model.parameters(), lr=0.1), opts=opts)
    assert torch.isfinite(loss)


def test_amp_and_channels_last_work_when_forced_on_cpu():
    """The switches themselves are device-agnostic: bf16 autocast and NHWC run on a CPU too."""
    opts = fast.FastOptions(amp=True, channels_last=True)  # not resolved: forced
    loader = fast.DeviceLoader(_images(8, 3, 32), torch.arange(8) % 10, 4, data.CIFAR10_MEAN, data.CIFAR10_STD,
                               channels_last=True)
    X, _ = next(iter(loader))
    assert X.is_contiguous(memory_format=torch.channels_last)
    model = opts.prepare(models.LeNet())
    loss, acc = fast.train_epoch(model, loader, nn.CrossEntropyLoss(),
                                 torch.optim.Adam(model.parameters()), opts=opts)
    assert torch.isfinite(loss)


# ---------------------------------------------------------------------------- the speed run


def test_speednet_shapes_and_whitening():
    torch.manual_seed(0)
    net = fast.SpeedNet(widths=(8, 16, 16))
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
    full = fast.SpeedNet()
    assert 1_900_000 < models.count_parameters(full) < 2_000_000


def test_warmup_decay_schedule():
    f = fast.warmup_decay(100, warmup=0.2)
    assert f(0) == pytest.approx(0.2) and f(20) == pytest.approx(1.0) and f(100) == pytest.approx(0.07)
    values = [f(s) for s in range(101)]
    assert max(values) == pytest.approx(1.0) and values.index(max(values)) == 20


def test_nesterov_sgd_groups():
    net = fast.SpeedNet(widths=(8, 16, 16))
    cfg = fast.SpeedConfig()
    opt = fast.nesterov_sgd(net, cfg)
    biases, others = opt.param_groups
    assert biases["lr"] == pytest.approx(others["lr"] * cfg.bias_scaler) and opt.defaults["nesterov"]
    assert biases["lr"] * biases["weight_decay"] == pytest.approx(others["lr"] * others["weight_decay"])
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    assert {id(p) for g in opt.param_groups for p in g["params"]} == trainable


def test_speedrun_learns_on_a_tiny_slice():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(512) % 2
    images = torch.randint(0, 120, (512, 3, 32, 32), generator=g, dtype=torch.uint8)
    images[labels == 1, 0] += 100  # class 1: redder
    train, test = (images[:384], labels[:384]), (images[384:], labels[384:])
    cfg = fast.SpeedConfig(epochs=2, batch_size=64, widths=(8, 16, 16), whiten_bias_epochs=1)
    result = fast.speedrun(train, test, cfg, opts=fast.FastOptions(amp=True, compile=True))
    assert len(result.history) == 2 and result.test_acc > 0.9
    assert not result.model.whiten.bias.requires_grad  # frozen after whiten_bias_epochs


# ---------------------------------------------------------------------------- the benchmark


def test_bench_runs_and_writes_its_report(tmp_path, monkeypatch):
    if not (data.root() / "MNIST" / "raw").is_dir():
        pytest.skip("MNIST is not prepared")
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("bench", Path(__file__).resolve().parents[1] / "bench" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    out = tmp_path / "smoke"
    argv = ["--device", "cpu", "--epochs", "1", "--limit", "256", "--test-limit", "128", "--tasks", "mlp",
            "--rows", "a,b3,b5", "--out", str(out)]
    assert bench.main(argv) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    rows = {r["row"]: r for r in report["tasks"]["mlp"]}
    assert rows["a"]["speedup"] == 1.0 and len(rows["b3"]["epoch_s"]) == 2 and rows["b3"]["setup_s"] > 0
    assert "CUDA only" in rows["b5"]["skipped"]
    assert report["flops_per_image"]["mlp"] == 2 * (784 * 128 + 128 * 10)
    assert "| b3 |" in out.with_suffix(".md").read_text()


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
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", Path(__file__).resolve().parents[1] / "bench" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)
    spec.loader.exec_module(bench)
    assert bench.parse_airbench_eval(AIRBENCH_STDOUT) == (0.9401, 2.0812)
    with pytest.raises(ValueError, match="no 'eval' row"):
        bench.parse_airbench_eval("|  0  |  1  |  0.5  |")
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="needs a CUDA device"):
            bench.run_airbench(1)
