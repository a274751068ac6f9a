"""torchbook.detection: box IoU and NMS against torchvision.ops (chapter 6.1)."""

import pytest
import torch
from torchvision import ops

from torchbook import detection


def _random_boxes(n: int, seed: int, size: float = 100.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * size / 3 + 1
    return torch.cat([xy, xy + wh], dim=1)  # (n, 4), x1 < x2, y1 < y2


def test_box_area():
    boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.0, 5.0]])
    torch.testing.assert_close(detection.box_area(boxes), torch.tensor([6.0, 0.0]))
    b = _random_boxes(20, 0)
    torch.testing.assert_close(detection.box_area(b), ops.box_area(b))


@pytest.mark.parametrize("seed", range(5))
def test_box_iou_matches_torchvision(seed):
    a, b = _random_boxes(17, seed), _random_boxes(9, seed + 100)
    iou = detection.box_iou(a, b)
    assert iou.shape == (17, 9)
    torch.testing.assert_close(iou, ops.box_iou(a, b))
    assert ((iou >= 0) & (iou <= 1)).all()


def test_box_iou_edge_cases():
    box = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    others = torch.tensor(
        [
            [0.0, 0.0, 2.0, 2.0],  # the same box: 1
            [2.0, 0.0, 4.0, 2.0],  # touching edge: 0
            [5.0, 5.0, 6.0, 6.0],  # far apart: 0
            [1.0, 0.0, 3.0, 2.0],  # half overlap: 2 / 6
            [0.5, 0.5, 1.5, 1.5],  # inside: 1 / 4
        ]
    )
    expected = torch.tensor([[1.0, 0.0, 0.0, 1 / 3, 0.25]])
    torch.testing.assert_close(detection.box_iou(box, others), expected)
    torch.testing.assert_close(detection.box_iou(others, box), expected.T)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7])
def test_nms_matches_torchvision(seed, threshold):
    boxes = _random_boxes(60, seed)
    scores = torch.rand(60, generator=torch.Generator().manual_seed(seed + 1000))
    keep = detection.nms(boxes, scores, threshold)
    assert keep.dtype == torch.int64
    assert torch.equal(keep, ops.nms(boxes, scores, threshold))


def test_nms_keeps_one_of_duplicates_and_all_disjoint():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    scores = torch.tensor([0.5, 0.9, 0.1])
    assert detection.nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert detection.nms(boxes, scores, 1.0).tolist() == [1, 0, 2]  # IoU 1 is not > 1
    assert detection.nms(boxes[:0], scores[:0], 0.5).tolist() == []
