"""Fixtures of the catalog tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vendor_errors.catalog.loader import DATA_DIR


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped data files, to break or extend in one test."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target
