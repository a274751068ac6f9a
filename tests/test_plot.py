import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from torchbook import data, plot  # noqa: E402
from torchbook.training import History  # noqa: E402


def teardown_function():
    plt.close("all")


def test_history_with_and_without_accuracy():
    fig = plot.history(History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], train_acc=[0.5, 0.8], val_acc=[0.4, 0.7]))
    assert len(fig.axes) == 2
    fig = plot.history(History(train_loss=[1.0, 0.5]))
    assert len(fig.axes) == 1


def test_image_grid_titles_and_errors():
    images = torch.rand(5, 1, 8, 8)
    fig = plot.image_grid(images, labels=[0, 1, 2, 3, 4], preds=[0, 1, 0, 3, 4], ncols=3)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == ["0/0", "1/1", "0/2", "3/3", "4/4"]
    assert fig.axes[2].title.get_color() == "red"
    fig = plot.image_grid(
        torch.rand(2, 3, 8, 8), labels=[1, 0], class_names=["cat", "dog"], mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2)
    )
    assert [ax.get_title() for ax in fig.axes[:2]] == ["dog", "cat"]
    with pytest.raises(ValueError, match="N, C, H, W"):
        plot.image_grid(torch.rand(8, 8))


def test_confusion_matrix_and_decision_boundary():
    fig = plot.confusion_matrix(torch.tensor([[3, 1], [0, 4]]), ["a", "b"])
    assert fig.axes[0].get_xlabel() == "predicted"
    X, y = data.two_moons(50, generator=torch.Generator().manual_seed(0))
    fig = plot.decision_boundary(nn.Linear(2, 1), X, y, resolution=20)
    assert fig.axes[0].get_xlabel() == "$x_1$"
    fig = plot.decision_boundary(nn.Linear(2, 3), X, y, resolution=20)
    with pytest.raises(ValueError):
        plot.decision_boundary(nn.Linear(3, 1), torch.zeros(4, 3), y[:4])


def test_curve():
    fig = plot.curve([3.0, 2.0, 1.0], logy=True)
    assert fig.axes[0].get_yscale() == "log"


def test_history_plots_several_runs_and_step_histories():
    from torchbook import text

    lm = text.LMHistory(train_loss=[3.0, 2.0], val_loss=[3.1, 2.2], seconds=[1.0, 2.0], step=[100, 200])
    fig = plot.history(
        {"a": lm, "b": text.LMHistory(train_loss=[2.5, 1.9], val_loss=[2.6, 2.0], step=[100, 200])}, floor=2.4
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and list(ax.lines[0].get_xdata()) == [100, 200]
    assert len(ax.lines) == 2 * 2 + 1  # two runs x (train, validation) + the floor
    assert len(plot.history(History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.7])).axes) == 2
