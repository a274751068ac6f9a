"""The exact building blocks of object detection (chapter 6.1): box areas, IoU, non-maximum suppression.

Boxes are rows ``(x1, y1, x2, y2)`` in pixels, corners top-left and bottom-right with
``x1 <= x2`` and ``y1 <= y2``, the convention of ``torchvision.ops``::

    from torchbook import detection
    iou = detection.box_iou(boxes_a, boxes_b)          # (N, M), in [0, 1]
    keep = detection.nms(boxes, scores, iou_threshold=0.5)   # indices, highest score first

Each function is written with plain tensor operations and tested against ``torchvision.ops``.
"""

from __future__ import annotations

import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Area of each box: boxes (N, 4) as (x1, y1, x2, y2) -> (N,)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Intersection over union (交并比) of every pair: boxes1 (N, 4), boxes2 (M, 4) -> (N, M).

    ``|A ∩ B| / |A ∪ B|`` with ``|A ∪ B| = |A| + |B| - |A ∩ B|``. The intersection of two boxes
    is the box between the larger top-left and the smaller bottom-right corner, or empty when
    those cross (its width or height clamped at 0). Boxes that only touch have IoU 0; a box of
    zero area compared with itself gives 0/0 = nan, as in torchvision.
    """
    top_left = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])  # (N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)  # (N, M, 2): 0 where they do not overlap
    inter = wh[..., 0] * wh[..., 1]  # (N, M)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter  # (N, M)
    return inter / union


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression (非极大值抑制). boxes (N, 4), scores (N,) -> kept indices (K,) int64.

    Repeatedly keep the highest-scoring box left and discard every remaining box whose IoU
    with it is greater than ``iou_threshold``. The result is sorted by decreasing score, like
    ``torchvision.ops.nms``. One class at a time: run it per class (or offset the boxes of each
    class so that they cannot overlap) for a multi-class detector.
    """
    order = scores.argsort(descending=True)  # candidates, best first
    iou = box_iou(boxes, boxes)  # (N, N), computed once
    suppressed = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold  # i's own IoU is 1, so it marks itself: fine, it is kept
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)
