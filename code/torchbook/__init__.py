"""torchbook: the shared code of "PyTorch: Principles and Practice"."""
