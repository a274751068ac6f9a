import pytest
import torch

from torchbook import metrics


def test_accuracy():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 1])
    assert float(metrics.accuracy(logits, labels)) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="logits"):
        metrics.accuracy(logits[:, 0], labels)


def test_binary_accuracy_logits_and_probabilities():
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-3.0]])
    labels = torch.tensor([1, 0, 0, 0])
    assert float(metrics.binary_accuracy(logits, labels)) == pytest.approx(0.75)
    assert float(metrics.binary_accuracy(torch.sigmoid(logits), labels.float(), threshold=0.5)) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        metrics.binary_accuracy(logits, labels[:2])


def test_confusion_matrix_and_precision_recall():
    # not symmetric, so precision (column sums) and recall (row sums) differ: a swap fails
    preds = torch.tensor([0, 1, 1, 2, 2, 2])
    labels = torch.tensor([0, 0, 1, 2, 2, 1])
    cm = metrics.confusion_matrix(preds, labels, num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]  # row = true, column = predicted
    precision, recall, f1 = metrics.precision_recall_f1(cm)
    torch.testing.assert_close(precision, torch.tensor([1.0, 0.5, 2 / 3], dtype=torch.float64))
    torch.testing.assert_close(recall, torch.tensor([0.5, 0.5, 1.0], dtype=torch.float64))
    torch.testing.assert_close(f1, torch.tensor([2 / 3, 0.5, 0.8], dtype=torch.float64))
    swapped, _, _ = metrics.precision_recall_f1(cm.T)  # the transposed matrix swaps the two
    torch.testing.assert_close(swapped, recall)


def test_precision_recall_zero_when_undefined():
    cm = torch.tensor([[2, 0], [0, 0]])
    precision, recall, f1 = metrics.precision_recall_f1(cm)
    assert precision.tolist() == [1.0, 0.0] and recall.tolist() == [1.0, 0.0] and f1.tolist() == [1.0, 0.0]
