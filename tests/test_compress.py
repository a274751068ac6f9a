import pytest
import torch
from torch import nn

from torchbook import compress, models
from torchbook.training import TrainConfig, fit


def test_quantize_int8_matches_fake_quantize_reference():
    w = torch.randn(16, 40, generator=torch.Generator().manual_seed(0))
    q, scale = compress.quantize_int8(w)
    assert q.dtype == torch.int8 and q.shape == w.shape and scale.shape == (16,)
    torch.testing.assert_close(scale, w.abs().amax(1) / 127)
    zero_point = torch.zeros(16, dtype=torch.int32)
    ref = torch.fake_quantize_per_channel_affine(w, scale, zero_point, 0, -127, 127)
    torch.testing.assert_close(compress.dequantize_int8(q, scale), ref, rtol=0, atol=0)
    assert q.abs().amax(1).eq(127).all()  # the largest entry of each row uses the full range


def test_round_trip_error_at_most_half_a_step():
    w = torch.randn(8, 3, 5, 5, generator=torch.Generator().manual_seed(1)) * torch.logspace(-3, 1, 8).view(8, 1, 1, 1)
    q, scale = compress.quantize_int8(w)
    err = (compress.dequantize_int8(q, scale) - w).abs()
    assert (err <= scale.view(8, 1, 1, 1) / 2 * (1 + 1e-6)).all()


def test_exact_on_representable_values_and_zero_rows():
    g = torch.Generator().manual_seed(2)
    k = torch.randint(-127, 128, (6, 10), generator=g)
    k[:, 0] = 127  # each row reaches the top of the range, so the scale is found exactly
    steps = 2.0 ** -torch.arange(6, dtype=torch.float32)  # powers of two: no rounding anywhere
    w = k.float() * steps.view(6, 1)
    w[5] = 0.0  # an all-zero row
    q, scale = compress.quantize_int8(w)
    assert torch.equal(compress.dequantize_int8(q, scale), w)
    assert torch.equal(q[:5], k[:5].to(torch.int8)) and scale[5] == 1.0 and q[5].eq(0).all()


def test_quantize_along_other_dim_and_errors():
    w = torch.randn(5, 7, generator=torch.Generator().manual_seed(3))
    q, scale = compress.quantize_int8(w, dim=1)
    assert scale.shape == (7,)
    torch.testing.assert_close(compress.dequantize_int8(q, scale, dim=1), w, atol=float(scale.max()) / 2, rtol=0)
    with pytest.raises(TypeError):
        compress.quantize_int8(torch.ones(2, 2, dtype=torch.int64))
    with pytest.raises(TypeError):
        compress.dequantize_int8(torch.ones(2, 2), torch.ones(2))


def test_state_dict_round_trip_and_bytes():
    model = models.MLP()
    qstate = compress.quantize_state_dict(model.state_dict())
    assert qstate["fc1.weight"].dtype == torch.int8 and qstate["fc1.bias"].dtype == torch.float32
    assert set(compress.dequantize_state_dict(qstate)) == set(model.state_dict())
    copy = models.MLP()
    copy.load_state_dict(compress.dequantize_state_dict(qstate))
    for (name, p), p2 in zip(model.named_parameters(), copy.parameters()):
        assert (p - p2).abs().max() <= p.abs().max() / 127, name
    full, small = compress.state_bytes(model), compress.state_bytes(qstate)
    assert 3.5 < full / small < 4.0  # 4x smaller weights, plus scales, biases and file overhead
    assert compress.state_bytes(model.state_dict()) == full


def test_distillation_loss_by_hand():
    g = torch.Generator().manual_seed(4)
    s, t, T = torch.randn(5, 10, generator=g), torch.randn(5, 10, generator=g), 3.0
    p_t, p_s = torch.softmax(t / T, 1), torch.softmax(s / T, 1)
    by_hand = (p_t * (p_t.log() - p_s.log())).sum(1).mean() * T**2
    torch.testing.assert_close(compress.distillation_loss(s, t, T), by_hand)
    assert compress.distillation_loss(t, t, T).abs() < 1e-6
    assert compress.distillation_loss(s, t, T) > 0
    with pytest.raises(ValueError):
        compress.distillation_loss(s, t[:, :3])
    with pytest.raises(ValueError):
        compress.distillation_loss(s, t, 0.0)


def _toy_loader():
    g = torch.Generator().manual_seed(5)
    X = torch.randn(96, 1, 4, 4, generator=g)
    y = (X.flatten(1).sum(1) > 0).long()
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32)]


def test_distill_with_alpha_zero_is_fit_with_cross_entropy():
    loader = _toy_loader()
    torch.manual_seed(0)
    a = models.MLP(16, 8, 2)
    b = models.MLP(16, 8, 2)
    b.load_state_dict(a.state_dict())
    teacher = models.MLP(16, 8, 2)
    cfg = TrainConfig(epochs=2)
    h1 = compress.distill(a, teacher, loader, torch.optim.SGD(a.parameters(), lr=0.1), cfg, alpha=0.0)
    h2 = fit(b, loader, nn.CrossEntropyLoss(), torch.optim.SGD(b.parameters(), lr=0.1), cfg)
    for p1, p2 in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p1, p2)
    assert h1.train_loss == pytest.approx(h2.train_loss)


def test_distill_moves_student_towards_teacher():
    loader = _toy_loader()
    torch.manual_seed(1)
    teacher, student = models.MLP(16, 8, 2), models.MLP(16, 4, 2)
    X = torch.cat([x for x, _ in loader])
    before = compress.distillation_loss(student(X), teacher(X)).item()
    opt = torch.optim.SGD(student.parameters(), lr=0.05)
    h = compress.distill(student, teacher, loader, opt, TrainConfig(epochs=20), alpha=1.0, val_loader=loader)
    after = compress.distillation_loss(student(X), teacher(X)).item()
    assert after < before and len(h.val_acc) == 20
    with pytest.raises(ValueError):
        compress.distill(student, teacher, loader, opt, alpha=1.5)
