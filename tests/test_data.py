"""Loaders and offline preparation on tiny files the tests make, then on the real mirror copies."""

import gzip
import hashlib
import io
import os
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from torchbook import data
from torchbook import mirror as tb_mirror

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _idx(array: np.ndarray) -> bytes:
    """An IDX file (the MNIST format) holding a uint8 array."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist_gz(folder: Path, n_train: int = 6, n_test: int = 4) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = np.arange(n) % 10
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))


def _write_cifar_tar(path: Path, per_class: int = 2) -> None:
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for split in data.SPLITS:
            for cls in ("airplane", "cat", "truck"):
                for i in range(per_class):
                    buf = io.BytesIO()
                    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, "JPEG", quality=75)
                    info = tarfile.TarInfo(f"cifar10-jpeg/{split}/{cls}/{i:04d}.jpg")
                    info.size = buf.tell()
                    buf.seek(0)
                    tar.addfile(info, buf)


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    src = tmp_path / "mirror"
    _write_mnist_gz(src / "MNIST" / "raw")
    _write_cifar_tar(src / "cifar10-jpeg.tar.gz")
    (src / "tinyshakespeare").mkdir()
    (src / "tinyshakespeare" / "input.txt").write_text(
        "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    )
    return src


def test_root_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCHBOOK_DATA", str(tmp_path))
    assert data.root() == tmp_path.resolve()
    monkeypatch.delenv("TORCHBOOK_DATA")
    assert data.root() == Path(__file__).resolve().parents[1] / "data"


def test_prepare_then_load_tiny_copies(mirror, data_root, tmp_path):
    fashion = tmp_path / "fashion"
    _write_mnist_gz(fashion)
    report = tb_mirror.prepare(mirror, fashion=fashion)
    assert any(line.startswith("MNIST: 4 files") for line in report)
    assert any(line.startswith("Fashion-MNIST: 4 files") for line in report)
    assert any("CIFAR-10 (JPEG mirror): 6 + 6 images" in line for line in report)

    train = data.mnist("train")
    assert len(train) == 6 and len(data.mnist("test")) == 4
    x, y = train[1]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1 and y == 1
    assert len(data.mnist("train", limit=3)) == 3 and len(data.mnist("train", limit=100)) == 6
    assert len(data.fashion_mnist("test")) == 4

    cifar = data.cifar10("train")
    assert data.cifar10_source() == "jpeg-mirror"
    x, y = cifar[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and isinstance(y, int)
    raw = cifar  # not limited: the reader itself
    assert raw.data.shape == (6, 32, 32, 3) and raw.data.dtype == np.uint8
    assert raw.classes == list(data.CIFAR10_CLASSES)
    assert sorted(raw.targets) == [0, 0, 3, 3, 9, 9]  # airplane, cat, truck in CIFAR-10's label order
    assert data.shakespeare().startswith("First Citizen:")
    # running it again keeps what is there
    assert any("already in" in line for line in tb_mirror.prepare(mirror, fashion=fashion))


def test_prepare_from_an_unpacked_jpeg_folder(tmp_path, data_root):
    src = tmp_path / "unpacked"
    src.mkdir()
    _write_cifar_tar(tmp_path / "c.tar.gz", per_class=1)
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        tar.extractall(src, filter="data")
    report = tb_mirror.prepare(src, fashion=tmp_path / "none")
    assert any("CIFAR-10 (JPEG mirror): 3 + 3 images" in line for line in report)
    assert sorted(data.cifar10("test").targets) == [0, 3, 9]


def test_download_refuses_when_offline(data_root, capsys):
    with pytest.raises(data.DataNotFoundError, match="TORCHBOOK_OFFLINE"):
        tb_mirror.download()
    assert tb_mirror.main(["where"]) == 0
    assert capsys.readouterr().out.strip() == str(data_root.resolve())


def test_cifar_reader_matches_torchvision_layout(mirror, data_root):
    tb_mirror.prepare(mirror, fashion=data_root / "none")
    blob = torch.load(data_root / "cifar10" / "test.pt", weights_only=True)
    assert set(blob) == {"images", "labels", "classes"}
    assert blob["images"].dtype == torch.uint8 and blob["images"].shape == (6, 32, 32, 3)
    assert blob["labels"].dtype == torch.int64


def test_missing_data_names_path_and_fixes(data_root):
    for loader, name, folder in (
        (data.mnist, "MNIST", "MNIST/raw"),
        (data.fashion_mnist, "Fashion-MNIST", "FashionMNIST/raw"),
        (data.cifar10, "CIFAR-10", "cifar-10-batches-py"),
    ):
        with pytest.raises(data.DataNotFoundError) as err:
            loader("train")
        message = str(err.value)
        assert f"{name} was not found in {data_root / folder}" in message
        assert "internet" in message and "python -m torchbook.mirror prepare --from" in message
    with pytest.raises(data.DataNotFoundError, match="Tiny Shakespeare") as err:
        data.shakespeare()
    assert "the loader (from GitHub) downloads" in str(err.value) and "torchvision" not in str(err.value)


def test_bad_arguments_are_value_errors(data_root):
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'validation'"):
        data.mnist("validation")
    with pytest.raises(ValueError, match="limit must be None or a non-negative int, got -1"):
        data.cifar10("train", limit=-1)


def test_prepare_from_missing_folder_is_clear(tmp_path, capsys):
    with pytest.raises(data.DataNotFoundError, match="does not exist"):
        tb_mirror.prepare(tmp_path / "nope")
    assert tb_mirror.main(["prepare", "--from", str(tmp_path / "nope"), "--to", str(tmp_path)]) == 2
    assert "error: The mirror folder" in capsys.readouterr().err


def test_synthetic_sets_are_seeded_and_shaped():
    X, y = data.linear_data(100, generator=torch.Generator().manual_seed(0))
    X2, y2 = data.linear_data(100, generator=torch.Generator().manual_seed(0))
    assert X.shape == (100, 1) and y.shape == (100, 1) and torch.equal(y, y2)
    X, y = data.two_moons(101, generator=torch.Generator().manual_seed(0))
    assert X.shape == (101, 2) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert set(y.tolist()) == {0, 1}
    X, y = data.blobs(30, centers=3, generator=torch.Generator().manual_seed(0))
    assert set(y.tolist()) == {0, 1, 2}
    for bad in (lambda: data.linear_data(0), lambda: data.two_moons(1), lambda: data.blobs(10, centers=1)):
        with pytest.raises(ValueError):
            bad()


# ---------------------------------------------------------------- the real offline copies
def _real_root() -> Path:
    root = Path(os.environ.get("TORCHBOOK_DATA") or Path(__file__).resolve().parents[1] / "data")
    if not (root / "MNIST" / "raw").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must prepare the offline data first (make data); nothing in {root}")
        pytest.skip(f"offline copies not prepared in {root} (run `make data`)")
    return root


def test_real_offline_copies(monkeypatch):
    root = _real_root()
    monkeypatch.setenv("TORCHBOOK_DATA", str(root))
    monkeypatch.setenv("TORCHBOOK_OFFLINE", "1")
    train = data.mnist("train")
    assert (len(train), len(data.mnist("test"))) == (60_000, 10_000)
    pixels = train.data.float() / 255
    assert pixels.mean().item() == pytest.approx(0.1307, abs=1e-4)
    assert pixels.std().item() == pytest.approx(0.3081, abs=1e-4)
    assert (len(data.fashion_mnist("train")), len(data.fashion_mnist("test"))) == (60_000, 10_000)
    cifar = data.cifar10("train")
    assert len(cifar) == 50_000 and len(data.cifar10("test")) == 10_000
    assert np.bincount(cifar.targets).tolist() == [5000] * 10
    x, y = cifar[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32
    text = data.shakespeare()
    assert len(text.encode()) == 1_115_394
    assert hashlib.md5(text.encode()).hexdigest() == "6fb458f1232090904fb40fe944165e91"
