"""Shared fixtures. Real datasets are read from ../shared/data (override with MARSAD_SHARED_DATA)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MARSAD_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared datasets not found at {SHARED_DATA}; set MARSAD_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture
def ws(tmp_path):
    from marsad import Workspace

    w = Workspace(tmp_path / "test.duckdb")
    yield w
    w.close()
