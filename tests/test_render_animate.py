"""Videos of a series: frames from the data, MP4/WebM through imageio-ffmpeg, GIF through Pillow."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import imageio.v2 as iio
import numpy as np
import pytest
from conftest import make_snapshot
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from shapely.geometry import box

import geo.render.animation as animation
import geo.render.frames as frames
from geo.errors import MissingDependencyError, ValidationError
from geo.layers import layer_colour
from geo.render import animate
from geo.render.animation import pick_frames, read_series
from geo.render.labels import change_colours
from geo.render.newsmap import LAND_UKRAINE
from geo.snapshot import Snapshot
from geo.store import open_store

HELD, ADDED = box(37.0, 48.0, 37.3, 48.4), box(37.3, 48.0, 37.6, 48.4)
SIZE = (640, 360)


def growing(n: int, *, layer: str = "russian_control", source: str = "isw") -> list[Snapshot]:
    """``n`` daily snapshots: HELD, then HELD plus a growing slice of ADDED."""
    out = []
    for day in range(n):
        east = 37.3 + 0.3 * day / max(n - 1, 1)
        shapes = [HELD] if day == 0 else [HELD, box(37.3, 48.0, east, 48.4)]
        out.append(make_snapshot(shapes, day, layer=layer, source=source))
    return out


def blend(hex_colour: str, alpha: float) -> Any:
    colour = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    under = np.array([int(LAND_UKRAINE[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return alpha * colour + (1 - alpha) * under


def near(frame: Any, colour: Any, tol: float = 18) -> Any:
    return np.abs(frame[..., :3].astype(float) - colour).max(axis=-1) < tol


def gif_frames(path: Path) -> list[Any]:
    image = Image.open(path)
    frames = []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(np.asarray(image.convert("RGB")))
    return frames


# --- which dates ----------------------------------------------------------------------------------


def test_pick_frames_keeps_the_first_and_the_last_of_each_period() -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(0, 70, 3)]
    assert pick_frames(days, "day") == list(range(len(days)))
    months = pick_frames(days, "month")
    assert [days[i].isoformat() for i in months] == ["2025-01-01", "2025-01-31", "2025-02-27",
                                                    "2025-03-11"]  # fmt: skip
    with pytest.raises(ValidationError, match="every='year': pass 'day', 'week' or 'month'"):
        pick_frames(days, "year")  # type: ignore[arg-type]
    assert pick_frames([], "week") == []


@given(st.lists(st.dates(dt.date(2022, 1, 1), dt.date(2027, 1, 1)), unique=True, min_size=1))
def test_pick_frames_invariants(dates: list[dt.date]) -> None:
    days = sorted(dates)
    for every in ("day", "week", "month"):
        picks = pick_frames(days, every)  # type: ignore[arg-type]
        assert picks[0] == 0 and picks[-1] == len(days) - 1
        assert picks == sorted(set(picks))
        if every == "day":
            assert picks == list(range(len(days)))
            continue
        periods = [(d.year, d.month) if every == "month" else d.isocalendar()[:2] for d in days]
        last = {period: i for i, period in enumerate(periods)}
        assert set(picks) == {0, *last.values()}  # the first date, the last of each period


# --- videos --------------------------------------------------------------------------------------


def test_mp4_from_a_tiny_store_reads_back(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.ingest(growing(6))
    series = read_series(store, "russian_control")
    assert [s.date for s in series] == [s.date for s in growing(6)]
    out = animate(series, tmp_path / "war.mp4", size=SIZE, fps=6, hold_s=1.0, progress=False)
    reader = iio.get_reader(out)
    assert reader.count_frames() == 6 + 6  # a frame per date, then the last one held 1 s
    assert tuple(reader.get_meta_data()["size"]) == SIZE
    assert reader.get_meta_data()["fps"] == pytest.approx(6.0)
    first, last = reader.get_data(0), reader.get_data(5)
    reader.close()
    held = blend(layer_colour("russian_control"), 0.62)
    gained = blend(change_colours("russian_control")["gained"], 0.88)
    assert near(first, held).sum() > 1000 and near(first, gained).sum() < 50
    red = np.argwhere(near(last, gained))
    assert len(red) > 1000  # the ground gained since the first date, in red
    assert red[:, 1].mean() > np.argwhere(near(last, held))[:, 1].mean()  # east of the held box


def test_webm_and_the_frames_of_each_step(tmp_path: Path) -> None:
    out = animate(growing(4), tmp_path / "war.webm", size=SIZE, hold_s=0, progress=False)
    reader = iio.get_reader(out)
    assert reader.count_frames() == 4 and tuple(reader.get_meta_data()["size"]) == SIZE
    reader.close()
    weeks = [make_snapshot(HELD, day) for day in range(0, 60, 2)]
    gif = animate(weeks, tmp_path / "weeks.gif", every="week", size=SIZE, hold_s=0)
    assert Image.open(gif).n_frames == len(pick_frames([s.date for s in weeks], "week"))
    assert Image.open(gif).info["duration"] == 250  # 4 frames a second by default


def test_gif_needs_no_ffmpeg_and_burns_in_the_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    out = animate(growing(5), tmp_path / "war.gif", size=SIZE, fps=5, hold_s=0.4)
    frames = gif_frames(out)
    assert len(frames) == 5 + 2 and frames[0].shape == (SIZE[1], SIZE[0], 3)
    image = Image.open(out)
    assert image.info["duration"] == 200 and image.info["loop"] == 0
    header = slice(0, 40)  # the title: the same in every frame
    assert all(np.array_equal(f[header], frames[0][header]) for f in frames)
    badge = frames[0][60:110, 10:200]  # the date and figures: change every frame
    assert not np.array_equal(badge, frames[1][60:110, 10:200])
    assert np.array_equal(frames[-1], frames[-2]) and np.array_equal(frames[-2], frames[-3])
    assert near(frames[-1], blend(change_colours("russian_control")["gained"], 0.88), 12).sum()


def test_mp4_without_the_extra_names_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    rendered = []
    monkeypatch.setattr(animation, "make_plan", lambda *a, **k: rendered.append(1))
    with pytest.raises(MissingDependencyError, match=r"pip install 'geo\[video\]'"):
        animate(growing(3), tmp_path / "war.mp4")
    assert rendered == [] and not list(tmp_path.iterdir())  # refused before any work
    assert isinstance(MissingDependencyError("x"), ImportError)


def test_jobs_render_the_same_frames_in_worker_processes(tmp_path: Path) -> None:
    series = growing(20)
    one = animate(series, tmp_path / "one.gif", size=(320, 180), hold_s=0, jobs=1)
    two = animate(series, tmp_path / "two.gif", size=(320, 180), hold_s=0, jobs=2)
    assert one.read_bytes() == two.read_bytes()


def test_a_failure_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "war.gif"
    target.write_bytes(b"old")
    calls = []

    def broken(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("out of memory")
        return real(*args)

    real = frames.assemble_frame
    monkeypatch.setattr(frames, "assemble_frame", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        animate(growing(6), target, size=SIZE, hold_s=0)
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]


def test_bad_requests_are_refused_with_the_fix(tmp_path: Path) -> None:
    mixed = [*growing(2), make_snapshot(HELD, 5, layer="contested", source="isw")]
    with pytest.raises(ValidationError, match="mixes layers"):
        animate(mixed, tmp_path / "x.gif")
    sources = [*growing(2), make_snapshot(HELD, 5, source="deepstate")]
    with pytest.raises(ValidationError, match="pass source= to read one"):
        animate(sources, tmp_path / "x.gif")
    with pytest.raises(ValidationError, match="the series is empty"):
        animate([], tmp_path / "x.gif")
    with pytest.raises(ValidationError, match="every='year'"):
        animate(growing(2), tmp_path / "x.gif", every="year")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="fps=0"):
        animate(growing(2), tmp_path / "x.gif", fps=0)
    with pytest.raises(ValidationError, match=r"need even sizes"):
        animate(growing(2), tmp_path / "x.mp4", size=(641, 360))
    with pytest.raises(ValidationError, match=r"use \.mp4, \.webm or \.gif"):
        animate(growing(2), tmp_path / "x.avi")
    with pytest.raises(ValidationError, match=r"format='avi'; pass 'mp4', 'webm' or 'gif'"):
        animate(growing(2), tmp_path / "x.mp4", format="avi")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="jobs=-1"):
        animate(growing(2), tmp_path / "x.gif", jobs=-1)
    empty = [make_snapshot([], 1), make_snapshot([], 2)]
    with pytest.raises(ValidationError, match="every snapshot of the series is empty"):
        animate(empty, tmp_path / "x.gif")
    assert not list(tmp_path.iterdir())


def test_progress_bar_counts_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    animate(growing(3), tmp_path / "war.gif", size=SIZE, hold_s=0, progress=True)
    err = capsys.readouterr().err
    assert "video" in err and "3/3" in err


@pytest.mark.realdata
def test_real_archive_month_by_month(shared_path: Any, tmp_path: Path) -> None:
    from geo.io import read_many

    daily = shared_path("control", "deepstate", "daily")
    files = sorted(daily.glob("deepstatemap_data_2025*.geojson.gz"))[:120]
    store = open_store(tmp_path / "store")
    store.ingest(read_many(files).snapshots)
    series = read_series(store, "russian_control")
    out = animate(series, tmp_path / "2025.gif", every="month", size=(640, 360), hold_s=0)
    frames = gif_frames(out)
    dates = [s.date for s in series]
    assert len(frames) == len(pick_frames(dates, "month")) == 6  # the first, the last of 5 months
    gained = blend(change_colours("russian_control")["gained"], 0.88)
    assert near(frames[0], gained, 12).sum() < near(frames[-1], gained, 12).sum()
