"""Shared fixtures: where the real archives are, and tiny generated inputs."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import pytest
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.geometry import HygieneReport
from geo.snapshot import Provenance, Snapshot, make_features

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GEO_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()
REQUIRE_REAL_DATA = os.environ.get("GEO_REQUIRE_REAL_DATA", "") not in {"", "0"}


def real_data_missing(reason: str) -> NoReturn:
    """Skip the test for missing real data, or fail it under ``GEO_REQUIRE_REAL_DATA=1``."""
    if REQUIRE_REAL_DATA:
        pytest.fail(f"GEO_REQUIRE_REAL_DATA is set but {reason}")
    pytest.skip(reason)


def require_shared(root: Path, *parts: str) -> Path:
    """``root/parts...``, skipping (or failing) with the missing path named if it is absent."""
    path = root.joinpath(*parts)
    if not path.exists():
        real_data_missing(
            f"real data {path} is absent (a partial copy of {root}?); copy it there or set "
            "GEO_SHARED_DATA to a complete copy"
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real archives of ``../shared/data``.

    Skips where the folder is absent (a user's clone); with
    ``GEO_REQUIRE_REAL_DATA=1`` (set by ``.ci/run``) the skip is a failure.
    Use :func:`shared_path` to require the subpaths a test reads.
    """
    if not (SHARED_DATA / "README.md").is_file():
        real_data_missing(
            f"real data folder {SHARED_DATA} is absent (set GEO_SHARED_DATA to point at it)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_path(shared_data: Path) -> Callable[..., Path]:
    """``shared_path("control", "isw", "2023-weekly")``: a real-data path the test needs.

    Skips with the missing path named (fails under ``GEO_REQUIRE_REAL_DATA=1``)
    where the real data folder exists but lacks it.
    """
    return functools.partial(require_shared, shared_data)


# --- the one snapshot factory -----------------------------------------------------------

#: Day 0 of :func:`make_snapshot`'s integer dates.
BASE_DATE = dt.date(2024, 7, 1)
#: A 0.5° x 0.5° box in Donetsk oblast (about 2,060 km²), the default geometry.
DEFAULT_BOX = box(37.0, 48.0, 37.5, 48.5)


def make_snapshot(
    geometry: BaseGeometry | Sequence[BaseGeometry] | None = DEFAULT_BOX,
    date: dt.date | int = BASE_DATE,
    *,
    source: str = "test",
    layer: str = "russian_control",
    labels: Sequence[str] | None = None,
    properties: Sequence[str] | None = None,
    path: str | None = None,
    provenance: Provenance | None = None,
    hygiene: HygieneReport | None = None,
) -> Snapshot:
    """Build a snapshot from shapely geometries; every test uses this one factory.

    Parameters
    ----------
    geometry
        One geometry (a Multi* becomes one feature per part), a sequence of
        geometries (one feature each), or ``None`` for an empty snapshot.
    date
        A date, or an integer number of days after :data:`BASE_DATE`.
    source, layer
        The snapshot's key.
    labels
        One label per feature (default ``""``).
    properties
        One JSON text of attributes per feature (default ``"{}"``).
    path
        Provenance path (default ``/in/<source>/<layer>/<date>.geojson``).
    provenance
        The whole provenance instead (then ``path`` must not be given).
    hygiene
        What cleaning changed (default: nothing).
    """
    day = BASE_DATE + dt.timedelta(days=date) if isinstance(date, int) else date
    if geometry is None:
        geoms: list[BaseGeometry] = []
    elif isinstance(geometry, BaseGeometry):
        geoms = list(getattr(geometry, "geoms", [geometry]))
    else:
        geoms = list(geometry)
    if provenance is not None and path is not None:
        msg = "make_snapshot: give path or provenance, not both"
        raise TypeError(msg)
    origin = provenance or Provenance(path or f"/in/{source}/{layer}/{day.isoformat()}.geojson")
    features = make_features(geoms, labels=labels, properties=properties)
    return Snapshot(source, layer, day, features, origin, hygiene or HygieneReport())


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """An empty folder for a snapshot store."""
    path = tmp_path / "store"
    path.mkdir()
    return path


# --- real-browser harness (tests/browser_harness.py) ---------------------------------


def _browser_unavailable(reason: str) -> None:
    from browser_harness import REQUIRE_BROWSER

    if REQUIRE_BROWSER:
        pytest.fail(f"GEO_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _chromium():  # type: ignore[no-untyped-def]
    """One headless chromium per test session (skips if unavailable)."""
    from browser_harness import CHROMIUM, CHROMIUM_ARGS, launch_problem

    from geo.render.assets import asset_cache_dir, missing_assets

    problem = launch_problem()
    if problem is None and (missing := missing_assets()):
        problem = (
            f"{len(missing)} page assets are not in the cache {asset_cache_dir()} "
            f"(e.g. {missing[0]}): run `geo assets fetch` before pytest"
        )
    if problem is not None:
        _browser_unavailable(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser(_chromium, request):  # type: ignore[no-untyped-def]
    """A :class:`browser_harness.Harness`; fails the test on blocked requests or JS errors."""
    from browser_harness import Harness

    harness = Harness(_chromium, request.node.name)
    yield harness
    problems = harness.problems()
    if problems and harness.page is not None:
        harness.screenshot(f"FAILED-{request.node.name}")
    harness.close()
    if problems:
        pytest.fail("browser problems:\n" + "\n".join(problems[:20]), pytrace=False)


# --- local HTTP fixture server (tests/http_server.py) ------------------------------


@pytest.fixture
def http_server():  # type: ignore[no-untyped-def]
    """A :class:`http_server.FixtureServer` on 127.0.0.1, stopped after the test."""
    from http_server import FixtureServer

    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the HTTP layer's retry sleeps instead of sleeping."""
    from geo.sources import http

    slept: list[float] = []
    monkeypatch.setattr(http, "_sleep", slept.append)
    return slept


@pytest.fixture(scope="session")
def deepstate_daily_store(shared_path, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The whole DeepState daily archive (769 dates) ingested once per session; read it only."""
    from geo.io import read_many
    from geo.store import open_store

    daily = sorted(shared_path("control", "deepstate", "daily").glob("*.geojson.gz"))
    store = open_store(tmp_path_factory.mktemp("deepstate-daily") / "store")
    store.ingest(read_many(daily).snapshots)
    return store
