"""Hand-written versions of what PyTorch does for us, each tested against PyTorch.

Chapter 2 writes the optimizers' update rules by hand; chapter 4 the forward pass,
backpropagation, softmax, cross-entropy and convolution. Each function states its shapes
and has a twin test in ``tests/`` that compares it with PyTorch on tiny tensors.
"""

from __future__ import annotations

import torch

# ============================================================================ optimizers (chapter 2)


# ============================================================================ the math chapter (chapter 4)
