"""Shared fixtures: where the real archives are, and tiny generated inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GEO_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()
REQUIRE_REAL_DATA = os.environ.get("GEO_REQUIRE_REAL_DATA", "") not in {"", "0"}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real archives of ``../shared/data``.

    Skips where the folder is absent (a user's clone); with
    ``GEO_REQUIRE_REAL_DATA=1`` (set by ``.ci/run``) the skip is a failure.
    """
    if not (SHARED_DATA / "README.md").is_file():
        reason = f"real data folder {SHARED_DATA} is absent (set GEO_SHARED_DATA to point at it)"
        if REQUIRE_REAL_DATA:
            pytest.fail(f"GEO_REQUIRE_REAL_DATA is set but {reason}")
        pytest.skip(reason)
    return SHARED_DATA


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """An empty folder for a snapshot store."""
    path = tmp_path / "store"
    path.mkdir()
    return path
