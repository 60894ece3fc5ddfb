"""One meaning of ``progress=``: None = a bar when stderr is a terminal, True always, False never.

Every long-running public function is checked: ``False`` writes nothing on
stderr, ``True`` draws a bar, and ``None`` follows whether stderr is a terminal.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_snapshot
from http_server import FixtureServer, Reply
from shapely.geometry import box

from geo.io import read_many
from geo.progress import progress_bar, progress_meter, show_progress
from geo.sources import http
from geo.sources.http import HttpClient
from geo.stats import timeseries
from geo.store import Store, open_store


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """Make stderr a terminal, in the test body (pytest's capture resets it between phases)."""
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_none_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    assert show_progress(None) is True
    assert list(progress_bar(range(3), progress=None, desc="counting", unit="n")) == [0, 1, 2]
    assert "counting" in terminal.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    assert show_progress(None) is False
    assert show_progress(False) is False and show_progress(True) is True


def test_meter_draws_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_meter(progress=False, desc="quiet", unit="B", total=10) as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""
    with progress_meter(progress=True, desc="loud", unit="B", total=10) as bar:
        bar.update(10)
    assert "loud" in capsys.readouterr().err


def _filled_store(store_dir: Path) -> Store:
    store = open_store(store_dir)
    store.ingest(
        [make_snapshot(box(37.0, 48.0, 37.0 + 0.1 * (i + 1), 48.5), i) for i in range(3)],
        progress=False,
    )
    return store


def _geojson(folder: Path) -> Path:
    path = folder / "russian_control_2024-07-01.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": '
        "[[[37, 48], [37.5, 48], [37.5, 48.5], [37, 48.5], [37, 48]]]}}]}"
    )
    return path


CALLS: dict[str, tuple[str, Callable[[Path, Any], object]]] = {
    "read_many": ("reading", lambda tmp, p: read_many([_geojson(tmp)], progress=p)),
    "Store.ingest": (
        "storing",
        lambda tmp, p: open_store(tmp / "s").ingest([make_snapshot()], progress=p),
    ),
    "Store.series": (
        "reading",
        lambda tmp, p: _filled_store(tmp / "s").series("russian_control", progress=p),
    ),
    "timeseries": (
        "reading",
        lambda tmp, p: timeseries(_filled_store(tmp / "s"), "russian_control", progress=p),
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_false_is_silent_true_draws_a_bar(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    label, call = CALLS[name]
    quiet, loud = tmp_path / "quiet", tmp_path / "loud"
    quiet.mkdir()
    loud.mkdir()
    call(quiet, False)
    assert capsys.readouterr().err == ""
    call(loud, True)
    err = capsys.readouterr().err
    assert label in err and "|" in err  # tqdm's bar


@pytest.mark.parametrize("name", sorted(CALLS))
def test_none_draws_on_a_terminal(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    label, call = CALLS[name]
    terminal = _terminal(monkeypatch)
    call(tmp_path, None)
    assert label in terminal.getvalue()


def test_none_is_silent_off_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not sys.stderr.isatty()
    read_many([_geojson(tmp_path)])
    open_store(tmp_path / "s").ingest([make_snapshot(date=dt.date(2024, 1, 2))])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("progress", [False, True, None])
def test_download_bar(
    progress: bool | None,
    http_server: FixtureServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = b"x" * (http.PROGRESS_MIN_BYTES + 1)
    http_server.route("/big.zip", Reply(body=body))
    client = HttpClient(cache_dir=tmp_path / "cache", min_interval_s=0.0, progress=progress)
    client.download(http_server.url("/big.zip"), tmp_path / "big.zip")
    drawn = "big.zip" in capsys.readouterr().err
    assert drawn is (progress is True)  # None: stderr is no terminal under pytest
