import pytest
import torch

from torchbook import models, text, training

V = 11


@pytest.mark.parametrize(
    "make",
    [lambda: models.BigramLM(V), lambda: models.CharLSTM(V, 8, 16, 2), lambda: models.TinyGPT(V, 12, 16, 2, 2)],
    ids=["bigram", "lstm", "gpt"],
)
def test_shapes(make):
    torch.manual_seed(0)
    model = make()
    idx = torch.randint(V, (3, 12))
    assert model(idx).shape == (3, 12, V)


def test_lstm_state_continues_a_sequence():
    torch.manual_seed(0)
    model = models.CharLSTM(V, 8, 16, 2)
    idx = torch.randint(V, (2, 10))
    whole, _ = model.forward_state(idx)
    first, state = model.forward_state(idx[:, :4])
    second, _ = model.forward_state(idx[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    assert state[0].shape == state[1].shape == (2, 2, 16)


def test_gpt_is_causal():
    torch.manual_seed(0)
    model = models.TinyGPT(V, 16, 16, 2, 2).eval()
    idx = torch.randint(V, (1, 16))
    changed = idx.clone()
    changed[0, 10] = (idx[0, 10] + 1) % V
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, :10], b[:, :10])  # the past does not see the future
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_gpt_rejects_long_input_and_bad_heads():
    model = models.TinyGPT(V, 8, 16, 2, 1)
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.int64))
    with pytest.raises(ValueError, match="divisible"):
        models.TinyGPT(V, 8, 15, 2, 1)


@pytest.mark.parametrize(
    "make", [lambda: models.CharLSTM(V, 8, 16, 1), lambda: models.TinyGPT(V, 8, 16, 2, 1)], ids=["lstm", "gpt"]
)
def test_generate_length_and_determinism(make):
    torch.manual_seed(0)
    model = make()
    start = torch.zeros(2, 1, dtype=torch.int64)
    a = text.generate(model, start, steps=20, generator=torch.Generator().manual_seed(1))
    b = text.generate(model, start, steps=20, generator=torch.Generator().manual_seed(1))
    c = text.generate(model, start, steps=20, generator=torch.Generator().manual_seed(2))
    assert a.shape == (2, 21) and torch.equal(a, b) and not torch.equal(a, c)
    assert int(a.min()) >= 0 and int(a.max()) < V
    assert model.training  # generate restores the mode


@pytest.mark.parametrize(
    "make", [lambda: models.CharLSTM(V, 16, 32, 1), lambda: models.TinyGPT(V, 16, 32, 2, 1)], ids=["lstm", "gpt"]
)
def test_tiny_overfit(make):
    torch.manual_seed(0)
    data = torch.randint(V, (40,)).repeat(30)  # a 40-character phrase, repeated
    model = make()
    cfg = text.LMConfig(steps=150, block_size=16, batch_size=16, lr=1e-2, eval_every=50, eval_batches=2)
    x, y = text.batches(data, 16, 16, torch.Generator().manual_seed(1))
    before, _ = training.evaluate(model, [(x, y)], text.lm_loss, metric=None)
    history = text.train_lm(model, data[:1000], data[1000:], cfg, generator=torch.Generator().manual_seed(0))
    assert before > 0.8 * torch.log(torch.tensor(float(V))).item()  # about uniform at the start
    assert model.training  # train_lm leaves the model in training mode after its evaluations
    assert isinstance(history, training.History) and history.step == [50, 100, 150] and len(history) == 3
    assert history.val_loss[-1] < 0.5 and training.evaluate(model, [(x, y)], text.lm_loss, metric=None)[0] < 0.5
