"""torchbook.fast: the device-resident loader and batched augmentation (the loop: test_gpu_paths, test_training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Subset

from torchbook import data, fast


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
