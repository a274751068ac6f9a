"""torchbook.transfer and the torchvision weights API of page 6.7, offline, on tiny cases."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision.models import ResNet18_Weights, resnet18
from torchvision.transforms import v2

from torchbook import models, transfer


def test_select_classes_keeps_and_relabels_in_the_given_order():
    images = torch.arange(8).view(8, 1)
    labels = torch.tensor([0, 5, 7, 5, 2, 7, 9, 0])
    x, y = transfer.select_classes(images, labels, (7, 5))
    assert x.flatten().tolist() == [1, 2, 3, 5]
    assert y.tolist() == [1, 0, 1, 0]  # 7 -> 0, 5 -> 1
    with pytest.raises(ValueError):
        transfer.select_classes(images, labels, (5, 5))


def test_few_per_class_is_balanced_seeded_and_checks_the_supply():
    labels = torch.arange(60) % 3
    a = transfer.few_per_class(labels, 4, generator=torch.Generator().manual_seed(0))
    b = transfer.few_per_class(labels, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and len(a.unique()) == 12
    assert torch.bincount(labels[a]).tolist() == [4, 4, 4]
    with pytest.raises(ValueError):
        transfer.few_per_class(labels, 21)


def test_augmentation_levels_keep_shape_and_dtype():
    image = torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8)
    assert torch.equal(transfer.augmentation("none", 16)(image), image)
    torch.manual_seed(0)
    for level in transfer.LEVELS[1:]:
        out = transfer.augmentation(level, 16, padding=2)(image)
        assert out.shape == (3, 16, 16) and out.dtype == torch.uint8
    with pytest.raises(ValueError):
        transfer.augmentation("everything", 16)


def test_image_tensors_normalise_and_mix_collate_gives_soft_labels():
    images = torch.full((6, 3, 8, 8), 255, dtype=torch.uint8)
    ds = transfer.ImageTensors(images, torch.arange(6) % 3, mean=(0.5,) * 3, std=(0.25,) * 3)
    x, label = ds[1]
    torch.testing.assert_close(x, torch.full((3, 8, 8), 2.0))  # (1 - 0.5) / 0.25
    assert label == 1
    torch.manual_seed(0)
    loader = DataLoader(ds, batch_size=6, collate_fn=transfer.mix_collate(transfer.mixup_or_cutmix(3)))
    X, y = next(iter(loader))
    assert X.shape == (6, 3, 8, 8) and y.shape == (6, 3)
    torch.testing.assert_close(y.sum(1), torch.ones(6))


def test_accuracy_reads_hard_and_soft_labels():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    hard = torch.tensor([0, 1, 1])
    soft = torch.tensor([[0.7, 0.3], [0.4, 0.6], [0.2, 0.8]])
    assert transfer.accuracy(logits, hard).item() == pytest.approx(2 / 3)
    assert transfer.accuracy(logits, soft).item() == pytest.approx(2 / 3)


def test_cross_entropy_with_probabilities_is_the_mixed_loss():
    logits = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    a, b, lam = torch.tensor([0, 1, 2, 3]), torch.tensor([4, 0, 1, 2]), 0.3
    soft = lam * nn.functional.one_hot(a, 5).float() + (1 - lam) * nn.functional.one_hot(b, 5).float()
    ce = nn.CrossEntropyLoss(reduction="none")
    expected = (lam * ce(logits, a) + (1 - lam) * ce(logits, b)).mean()
    torch.testing.assert_close(nn.CrossEntropyLoss()(logits, soft), expected)


def test_new_head_param_groups_freeze_and_features():
    torch.manual_seed(0)
    model = models.ResNet(blocks=1, widths=(4, 8, 16), num_classes=10)
    head = transfer.new_head(model, 3)
    assert model.head is head and head.out_features == 3 and head.in_features == 16
    groups = transfer.param_groups(model, head_lr=0.1, backbone_lr=0.01)
    assert [g["lr"] for g in groups] == [0.01, 0.1]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in head.parameters()}
    assert sum(p.numel() for g in groups for p in g["params"]) == models.count_parameters(model)
    feats = transfer.features(model, torch.randn(7, 3, 16, 16), batch_size=3)
    assert feats.shape == (7, 16) and not model.training
    transfer.freeze(model)
    assert models.count_parameters(model) == 0
    with pytest.raises(TypeError):
        transfer.new_head(model, 3, name="stem")


def test_weights_preset_is_what_the_page_says():
    weights = ResNet18_Weights.DEFAULT
    preset = weights.transforms()
    assert weights == ResNet18_Weights.IMAGENET1K_V1
    assert preset.resize_size == [256] and preset.crop_size == [224]
    assert preset.mean == [0.485, 0.456, 0.406] and preset.std == [0.229, 0.224, 0.225]
    assert preset.interpolation == v2.InterpolationMode.BILINEAR
    assert len(weights.meta["categories"]) == 1000 and weights.meta["categories"][0] == "tench"
    out = preset(torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
    assert out.shape == (3, 224, 224) and out.dtype == torch.float32
    with pytest.raises(ValueError, match="num_classes"):
        resnet18(weights=weights, num_classes=5)  # raised before any download


def test_local_state_dict_round_trips_exactly(tmp_path):
    torch.manual_seed(0)
    saved = resnet18(weights=None)
    path = tmp_path / "resnet18-local.pth"
    torch.save(saved.state_dict(), path)
    torch.manual_seed(1)
    model = resnet18(weights=None)
    assert not transfer.same_weights(model, saved)
    model.load_state_dict(torch.load(path, weights_only=True))
    assert transfer.same_weights(model, saved)  # every tensor, buffers included, bit for bit


def test_weights_api_reads_a_file_from_the_hub_cache(tmp_path):
    torch.manual_seed(0)
    saved = resnet18(weights=None)
    weights = ResNet18_Weights.DEFAULT
    (tmp_path / "checkpoints").mkdir()
    torch.save(saved.state_dict(), tmp_path / "checkpoints" / weights.url.rsplit("/", 1)[-1])
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    try:
        cached = resnet18(weights=weights)  # found in the cache: nothing is downloaded
    finally:
        torch.hub.set_dir(previous)
    assert transfer.same_weights(cached, saved)


def test_scaled_trivial_augment_translates_in_proportion_to_the_image():
    scaled, wide = transfer.ScaledTrivialAugmentWide(), transfer.ScaledTrivialAugmentWide(max_translate=32)
    reference = v2.TrivialAugmentWide._AUGMENTATION_SPACE
    for name in ("TranslateX", "TranslateY"):
        torch.testing.assert_close(scaled._AUGMENTATION_SPACE[name][0](31, 16, 16), torch.linspace(0, 16, 31))
        torch.testing.assert_close(wide._AUGMENTATION_SPACE[name][0](31, 16, 16), reference[name][0](31, 16, 16))
    assert scaled._AUGMENTATION_SPACE["TranslateY"][0](31, 8, 16)[-1] == 8  # Y follows the height
    for name in set(reference) - {"TranslateX", "TranslateY"}:
        assert scaled._AUGMENTATION_SPACE[name] is reference[name]
    assert v2.TrivialAugmentWide._AUGMENTATION_SPACE is reference  # the class itself is untouched
    # a 16 x 16 image that leaves the frame becomes all fill (0): often with 32 px, rarely scaled
    image = torch.full((3, 16, 16), 200, dtype=torch.uint8)
    torch.manual_seed(0)
    gone = {
        name: sum(int(t(image).eq(0).all()) for _ in range(3000)) / 3000
        for name, t in (("scaled", scaled), ("wide", wide))
    }
    assert gone["wide"] > 0.05 and gone["scaled"] < 0.01, gone
