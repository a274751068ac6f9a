"""Shared fixtures: the repository root, and a private data root for tests that build data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root, offline: loaders see only what the test puts there."""
    monkeypatch.setenv("TORCHBOOK_DATA", str(tmp_path))
    monkeypatch.setenv("TORCHBOOK_OFFLINE", "1")
    return tmp_path
