"""Shared fixtures: a clean environment for every test and the path to the real bakery data."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real bakery sales described in ../shared/data/README.md."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real bakery data not found at {SHARED_DATA}")
    return SHARED_DATA
