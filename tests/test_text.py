import pytest
import torch

from torchbook import text, training

CORPUS = "hello world, hello torch.\n"


def test_vocab_round_trip_and_sorted():
    vocab = text.CharVocab(CORPUS)
    assert vocab.chars == sorted(set(CORPUS)) and len(vocab) == len(set(CORPUS))
    ids = vocab.encode(CORPUS)
    assert ids.dtype == torch.int64 and ids.shape == (len(CORPUS),)
    assert vocab.decode(ids) == CORPUS
    assert vocab.decode(ids.tolist()) == CORPUS
    with pytest.raises(KeyError, match="not in the vocabulary"):
        vocab.encode("Z")


def test_split_keeps_order():
    ids = torch.arange(100)
    train, val = text.split(ids, 0.9)
    assert torch.equal(torch.cat([train, val]), ids) and len(train) == 90
    with pytest.raises(ValueError):
        text.split(ids, 1.0)


def test_batches_shapes_and_shift():
    data = torch.arange(1000)
    x, y = text.batches(data, block_size=16, batch_size=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 16) and x.dtype == torch.int64
    assert torch.equal(y[:, :-1], x[:, 1:])  # y is x shifted by one
    assert torch.equal(y, x + 1)  # data[i] = i, so the next id is id + 1
    assert int(y.max()) <= 999


def test_batches_are_reproducible_and_checked():
    data = torch.arange(200)
    a = text.batches(data, 10, 4, torch.Generator().manual_seed(3))
    b = text.batches(data, 10, 4, torch.Generator().manual_seed(3))
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    with pytest.raises(ValueError, match="needs at least"):
        text.batches(torch.arange(10), 10, 2)


class _Counter(torch.nn.Module):
    """Always predicts id (last id + 1) mod V, with certainty: a model whose output we know."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))
        self.v = vocab_size

    def forward(self, idx):
        nxt = (idx + 1) % self.v
        return 100.0 * torch.nn.functional.one_hot(nxt, self.v).float() + self.w


def test_generate_length_greedy_and_context():
    model = _Counter(5)
    out = text.generate(model, torch.tensor([[0], [3]]), steps=6, temperature=0)
    assert out.shape == (2, 7)
    assert out[0].tolist() == [0, 1, 2, 3, 4, 0, 1] and out[1].tolist() == [3, 4, 0, 1, 2, 3, 4]
    out = text.generate(
        model, torch.tensor([[0]]), steps=4, temperature=1.0, context=1, generator=torch.Generator().manual_seed(0)
    )
    assert out[0].tolist() == [0, 1, 2, 3, 4]  # near-certain logits: sampling agrees with greedy


def test_train_lm_learns_a_periodic_sequence():
    torch.manual_seed(0)
    data = torch.arange(5).repeat(200)  # 0 1 2 3 4 0 1 2 ...
    model = torch.nn.Sequential(torch.nn.Embedding(5, 16), torch.nn.Linear(16, 5))
    cfg = text.LMConfig(steps=60, block_size=8, batch_size=8, lr=0.05, eval_every=20, eval_batches=2)
    history = text.train_lm(model, data[:800], data[800:], cfg, generator=torch.Generator().manual_seed(0))
    assert history.step == [20, 40, 60] and len(history) == 3
    assert history.val_loss[-1] < 0.01  # the sequence is deterministic: loss near 0
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.seconds == sorted(history.seconds)
    assert set(history.as_dict()) == {"step", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"}
    assert isinstance(history, training.History) and history.train_acc == history.val_acc == []


def test_lm_loss_of_uniform_logits_is_log_v():
    logits = torch.zeros(2, 3, 7)
    loss = text.lm_loss(logits, torch.zeros(2, 3, dtype=torch.int64))
    assert abs(loss.item() - torch.log(torch.tensor(7.0)).item()) < 1e-6
