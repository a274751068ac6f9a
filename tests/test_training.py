import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from torchbook import data, metrics, runtime
from torchbook.training import History, TrainConfig, evaluate, fit, load_checkpoint, predict, save_checkpoint


def _blobs_loaders(g: torch.Generator):
    X, y = data.blobs(400, centers=2, spread=0.4, generator=g)
    train = DataLoader(TensorDataset(X[:300], y[:300]), batch_size=32, shuffle=True, generator=g)
    val = DataLoader(TensorDataset(X[300:], y[300:]), batch_size=100)
    return train, val


def test_fit_learns_a_separable_problem():
    g = runtime.seed(0)
    train, val = _blobs_loaders(g)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, train, nn.CrossEntropyLoss(), optimizer, TrainConfig(epochs=5), val_loader=val)
    assert isinstance(history, History) and len(history) == 5
    assert history.val_acc[-1] > 0.95
    assert history.train_loss[-1] < history.train_loss[0]
    assert len(history.seconds) == 5 and all(s > 0 for s in history.seconds)


def test_fit_binary_and_regression_metrics():
    g = runtime.seed(1)
    X, y = data.two_moons(200, noise=0.05, generator=g)
    loader = DataLoader(TensorDataset(X, y.float().unsqueeze(1)), batch_size=50)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    h = fit(model, loader, nn.BCEWithLogitsLoss(), opt, TrainConfig(epochs=2), metric=metrics.binary_accuracy)
    assert len(h.train_acc) == 2 and 0.0 <= h.train_acc[-1] <= 1.0
    Xr, yr = data.linear_data(64, generator=g)
    lin = nn.Linear(1, 1)
    h = fit(
        lin,
        DataLoader(TensorDataset(Xr, yr), batch_size=16),
        nn.MSELoss(),
        torch.optim.SGD(lin.parameters(), lr=0.1),
        TrainConfig(epochs=3),
        metric=None,
    )
    assert h.train_acc == [] and len(h.train_loss) == 3


def test_max_batches_limits_work():
    g = runtime.seed(0)
    train, _ = _blobs_loaders(g)
    seen = []
    model = nn.Linear(2, 2)

    def loss_fn(out, y):
        seen.append(len(y))
        return nn.functional.cross_entropy(out, y)

    fit(model, train, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1), TrainConfig(epochs=2, max_batches=3))
    assert len(seen) == 6


def test_log_prints_formatted_line(capsys):
    g = runtime.seed(0)
    train, val = _blobs_loaders(g)
    model = nn.Linear(2, 2)
    fit(
        model,
        train,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        TrainConfig(epochs=1, log=True),
        val_loader=val,
    )
    line = capsys.readouterr().out.strip()
    assert line.startswith("epoch   1/1  train_loss ") and "val_acc" in line


def test_evaluate_matches_a_hand_computation():
    g = runtime.seed(0)
    _, val = _blobs_loaders(g)
    model = nn.Linear(2, 2)
    loss, acc = evaluate(model, val, nn.CrossEntropyLoss())
    X, y = val.dataset.tensors
    with torch.no_grad():
        out = model(X)
    assert loss == pytest.approx(nn.functional.cross_entropy(out, y).item(), rel=1e-6)
    assert acc == pytest.approx(float(metrics.accuracy(out, y)))
    outputs, labels = predict(model, val)
    torch.testing.assert_close(outputs, out)
    assert torch.equal(labels, y)


def test_train_config_validation():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="max_batches"):
        TrainConfig(max_batches=0)


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    path = save_checkpoint(tmp_path / "ck" / "model.pt", model, opt, epoch=3)
    clone = nn.Linear(3, 2)
    opt2 = torch.optim.Adam(clone.parameters(), lr=0.01)
    extra = load_checkpoint(path, clone, opt2)
    assert extra == {"epoch": 3}
    for a, b in zip(model.state_dict().values(), clone.state_dict().values()):
        assert torch.equal(a, b)
    assert opt2.state_dict()["state"][0]["step"] == 1
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        load_checkpoint(tmp_path / "missing.pt", clone)
    save_checkpoint(tmp_path / "no_opt.pt", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "no_opt.pt", clone, opt2)


def test_empty_loader_is_an_error():
    model = nn.Linear(2, 2)
    empty = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)), batch_size=4)
    with pytest.raises(ValueError, match="no batches"):
        evaluate(model, empty, nn.CrossEntropyLoss())


def test_objective_sees_the_inputs_and_replaces_the_training_loss():
    X, y = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)), torch.arange(64) % 2
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    loss_fn = nn.CrossEntropyLoss()
    cfg = TrainConfig(epochs=2)

    def train(objective, lr=0.1):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        h = fit(
            model,
            loader,
            loss_fn,
            torch.optim.SGD(model.parameters(), lr=lr),
            cfg,
            val_loader=loader,
            objective=objective,
        )
        return model, h

    seen = []

    def same_loss(outputs, labels, inputs):
        seen.append(inputs)
        return loss_fn(outputs, labels)

    plain, h_plain = train(None)
    same, h_same = train(same_loss)
    torch.testing.assert_close(same.weight, plain.weight, rtol=0, atol=0)
    assert h_same.as_dict() | {"seconds": []} == h_plain.as_dict() | {"seconds": []}
    assert len(seen) == 8 and torch.equal(torch.cat(seen[:4]), X)  # 4 batches per epoch, the inputs in order

    # twice the loss at half the learning rate: the same SGD steps, a training loss twice as large,
    # and the same validation loss, because validation reports loss_fn
    doubled, h_doubled = train(lambda outputs, labels, inputs: 2 * loss_fn(outputs, labels), lr=0.05)
    torch.testing.assert_close(doubled.weight, plain.weight)
    assert h_doubled.train_loss == pytest.approx([2 * v for v in h_plain.train_loss])
    assert h_doubled.val_loss == pytest.approx(h_plain.val_loss)


# ---------------------------------------------------------------------------- bad checkpoint files


def _no_unsafe_advice(message: str) -> None:
    assert "weights_only=False" not in message and "weights_only = False" not in message


def test_load_checkpoint_names_a_file_that_is_not_a_checkpoint(tmp_path):
    import pickle
    from fractions import Fraction

    from torchbook.training import CheckpointError

    bad = tmp_path / "pickle.pt"
    torch.save({"model": Fraction(1, 3)}, bad)  # any Python class: a weights_only load must refuse it
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(bad, nn.Linear(2, 1))
    assert str(bad) in str(err.value) and "not a checkpoint" in str(err.value)
    _no_unsafe_advice(str(err.value))
    assert err.value.__suppress_context__  # torch's own advice is not shown under ours
    text = tmp_path / "notes.pt"
    text.write_bytes(pickle.dumps("just a string")[:3] + b"garbage")
    with pytest.raises(CheckpointError, match="notes.pt"):
        load_checkpoint(text, nn.Linear(2, 1))


def test_load_checkpoint_names_a_truncated_file(tmp_path):
    from torchbook.training import CheckpointError

    path = save_checkpoint(tmp_path / "full.pt", nn.Linear(20, 10))
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=r"cut\.pt .*not a complete checkpoint") as err:
        load_checkpoint(cut, nn.Linear(20, 10))
    _no_unsafe_advice(str(err.value))
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pt"):
        load_checkpoint(empty, nn.Linear(20, 10))


def test_load_checkpoint_names_keys_and_shapes_of_another_model(tmp_path):
    from torchbook.training import CheckpointError

    path = save_checkpoint(tmp_path / "mlp.pt", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2), nn.Linear(2, 2)))
    message = str(err.value)
    assert "mlp.pt" in message and "different model" in message
    assert "missing keys (2): 3.weight; 3.bias" in message
    assert "0.weight: file (8, 4), model (16, 4)" in message
    bare = tmp_path / "bare.pt"
    torch.save(nn.Linear(2, 1).state_dict(), bare)  # a state_dict, not a save_checkpoint file
    with pytest.raises(CheckpointError, match="no|not a checkpoint of save_checkpoint"):
        load_checkpoint(bare, nn.Linear(2, 1))
