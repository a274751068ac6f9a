"""torchbook.gan: shapes of the two networks, the losses against their formulas, the step loop, coverage."""

import math

import pytest
import torch

from torchbook import gan


def test_generator_and_discriminator_shapes():
    torch.manual_seed(0)
    G, D = gan.Generator(z_dim=8, width=4), gan.Discriminator(width=4)
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1  # tanh
    assert D(x).shape == (5,)
    assert gan.Discriminator(width=4, minibatch_std=True)(x).shape == (5,)
    assert gan.Generator(z_dim=8, width=4, batch_norm=False)(torch.randn(2, 8)).shape == (2, 1, 28, 28)


def test_conditional_pair_needs_labels():
    G, D = gan.Generator(z_dim=8, width=4, n_classes=10), gan.Discriminator(width=4, n_classes=10)
    y = torch.tensor([0, 3, 9])
    x = G(torch.randn(3, 8), y)
    assert x.shape == (3, 1, 28, 28) and D(x, y).shape == (3,)
    with pytest.raises(ValueError):
        G(torch.randn(3, 8))
    with pytest.raises(ValueError):
        D(x)


def test_minibatch_stddev_appends_the_batch_spread():
    x = torch.randn(6, 3, 2, 2)
    out = gan.MinibatchStdDev()(x)
    assert out.shape == (6, 4, 2, 2)
    torch.testing.assert_close(out[:, :3], x)
    spread = x.std(dim=0, unbiased=False).mean(0)  # (2, 2): per pixel, averaged over channels
    torch.testing.assert_close(out[:, 3], spread.expand(6, 2, 2))
    by_hand = ((x - x.mean(0)) ** 2).mean(0).sqrt().mean(0)
    torch.testing.assert_close(spread, by_hand)
    same = gan.MinibatchStdDev()(x[:1].expand(6, -1, -1, -1))
    assert same[:, 3].abs().max() < 1e-6  # a collapsed batch has no spread


def test_losses_match_their_formulas():
    r, f = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.0])
    D = torch.sigmoid
    expected_d = -torch.log(D(r)).mean() - torch.log(1 - D(f)).mean()
    torch.testing.assert_close(gan.d_loss(r, f), expected_d)
    smooth = -(0.9 * torch.log(D(r)) + 0.1 * torch.log(1 - D(r))).mean() - torch.log(1 - D(f)).mean()
    torch.testing.assert_close(gan.d_loss(r, f, real_target=0.9), smooth)
    torch.testing.assert_close(gan.g_loss_saturating(f), torch.log(1 - D(f)).mean())
    torch.testing.assert_close(gan.g_loss_nonsaturating(f), -torch.log(D(f)).mean())


def test_saturating_gradient_vanishes_where_the_discriminator_wins():
    logits = torch.tensor([-6.0, -4.0, 0.0], requires_grad=True)  # D(G(z)) = 0.0025, 0.018, 0.5
    (g_sat,) = torch.autograd.grad(gan.g_loss_saturating(logits), logits)
    (g_ns,) = torch.autograd.grad(gan.g_loss_nonsaturating(logits), logits)
    p = torch.sigmoid(logits.detach())
    torch.testing.assert_close(g_sat, -p / 3)  # d/dl log(1 - sigmoid(l)) = -sigmoid(l)
    torch.testing.assert_close(g_ns, -(1 - p) / 3)  # d/dl -log sigmoid(l) = -(1 - sigmoid(l))
    assert g_sat[0].abs() < 0.01 * g_ns[0].abs()
    assert g_sat[2] == g_ns[2]  # equal where D is undecided


def test_train_is_deterministic_and_records_history():
    images = torch.rand(40, 1, 28, 28) * 2 - 1
    cfg = gan.GANConfig(steps=6, batch_size=8, z_dim=8, record_every=3)

    def run() -> tuple[gan.GANHistory, torch.Tensor]:
        torch.manual_seed(0)
        G, D = gan.Generator(z_dim=8, width=4), gan.Discriminator(width=4)
        before = [p.clone() for p in G.parameters()]
        h = gan.train(G, D, images, cfg, generator=torch.Generator().manual_seed(1))
        assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))  # G was updated
        return h, gan.sample(G, 4, generator=torch.Generator().manual_seed(2))

    (h1, s1), (h2, s2) = run(), run()
    assert h1.step == [3, 6] and len(h1.d_loss) == len(h1.g_loss) == len(h1.d_real) == len(h1.d_fake) == 2
    assert h1.d_loss == h2.d_loss and torch.equal(s1, s2)
    assert s1.shape == (4, 1, 28, 28)
    assert all(0 < v < 1 for v in h1.d_real + h1.d_fake)


def test_train_conditional_and_config_checks():
    images, labels = torch.rand(20, 1, 28, 28) * 2 - 1, torch.arange(20) % 10
    G, D = gan.Generator(z_dim=8, width=4, n_classes=10), gan.Discriminator(width=4, n_classes=10)
    h = gan.train(G, D, images, gan.GANConfig(steps=2, batch_size=4, z_dim=8, g_steps=2), labels=labels)
    assert h.step == [2]
    assert gan.sample(G, 3, labels=torch.tensor([1, 2, 3])).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError):
        gan.GANConfig(g_steps=0)
    with pytest.raises(ValueError):
        gan.GANConfig(batch_size=1)


def test_class_coverage_on_hand_examples():
    uniform = torch.eye(10).repeat(10, 1)  # 100 sure samples, ten of each class
    c = gan.class_coverage(uniform)
    assert c["covered"] == 10 and c["confident"] == 1.0 and c["max_share"] == pytest.approx(0.1)
    assert c["entropy"] == pytest.approx(math.log(10))
    one = torch.zeros(50, 10)
    one[:, 3] = 1.0
    c = gan.class_coverage(one)
    assert c["covered"] == 1 and c["entropy"] == pytest.approx(0.0) and c["max_share"] == 1.0
    unsure = torch.full((100, 10), 0.1)  # near-uniform probabilities: nothing recognised
    unsure[torch.arange(100), torch.arange(100) % 10] = 0.19
    c = gan.class_coverage(unsure)
    assert c["covered"] == 0 and c["confident"] == 0.0 and c["entropy"] == pytest.approx(math.log(10))


def test_diversity_is_zero_for_copies_and_the_mean_distance_otherwise():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 8.0]]).view(3, 1, 1, 2)
    assert gan.diversity(x) == pytest.approx((5 + 8 + 5) / 3)
    assert gan.diversity(x[:1].expand(4, -1, -1, -1)) == 0.0


def test_nearest_distance_finds_the_closest_reference_image():
    reference = torch.tensor([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]]).view(3, 1, 1, 2)
    images = torch.tensor([[3.0, 4.0], [9.0, 0.0], [0.0, 1.0]]).view(3, 1, 1, 2)
    torch.testing.assert_close(gan.nearest_distance(images, reference, chunk=2), torch.tensor([0.0, 1.0, 1.0]))
    assert gan.nearest_distance(reference, reference).eq(0).all()  # every image is its own nearest neighbour
