"""Static export: PNG/SVG maps of snapshots and diffs, and the area chart."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from conftest import make_snapshot
from matplotlib.figure import Figure
from shapely.geometry import box

from geo.diff import diff
from geo.errors import ValidationError
from geo.io import read_many
from geo.regions import load_regions
from geo.render import area_chart, static_map
from geo.render.style import DIFF_COLOURS
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.snapshot import Snapshot
from geo.stats import timeseries
from geo.store import open_store

EVIL = "<img src=x onerror=alert(1)>"
DOLLARS = "Cost $5 and $6 _{x}^2"  # mathtext would parse (and mangle or reject) this


def pixels(path: Path) -> Any:
    image = matplotlib.image.imread(path)
    return image[..., :3] if image.ndim == 3 else image


def has_colour(image: Any, hex_colour: str, *, tol: float = 0.03, alpha: float) -> bool:
    """Whether some pixel shows ``hex_colour`` blended over white at ``alpha``."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    blended = alpha * rgb + (1 - alpha) * 1.0
    return bool((np.abs(image - blended).max(axis=-1) < tol).any())


@pytest.fixture(scope="module")
def sample() -> list[Snapshot]:
    result = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    result.raise_for_problems()
    return result.snapshots


def test_diff_png_has_the_three_colours(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.2, 48.0, 37.7, 48.5), 8, source="isw")
    out = static_map(
        diff(a, b), tmp_path / "diff.png", title="Diff test", notice="TEST DATA", dpi=80
    )
    assert out == tmp_path / "diff.png"
    image = pixels(out)
    assert image.shape[:2] == (640, 800)  # 10 x 8 in at 80 dpi
    assert image.std() > 0.05  # not one colour
    assert has_colour(image, DIFF_COLOURS["gained"], alpha=0.85)
    assert has_colour(image, DIFF_COLOURS["lost"], alpha=0.85)
    assert has_colour(image, DIFF_COLOURS["unchanged"], alpha=0.45)
    assert not list(tmp_path.glob(".*.tmp"))


def test_aspect_follows_latitude(tmp_path: Path) -> None:
    """A 1° x 1° box at 60° N is drawn twice as wide in latitude as in longitude."""
    out = static_map(
        make_snapshot(box(30, 59.5, 31, 60.5), 1, source="isw"), tmp_path / "aspect.png", dpi=60
    )
    image = pixels(out)
    colour = np.array([0xC0, 0x39, 0x2B]) / 255 * 0.6 + 0.4
    filled = np.abs(image - colour).max(axis=-1) < 0.03
    # rows and columns crossing the box, not the legend's small swatch of the same colour
    rows, cols = np.flatnonzero(filled.sum(axis=1) > 30), np.flatnonzero(filled.sum(axis=0) > 30)
    height, width = rows[-1] - rows[0], cols[-1] - cols[0]
    assert height / width == pytest.approx(1 / np.cos(np.radians(60)), rel=0.05)


def test_svg_keeps_title_notice_and_escapes_text(tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame(
        {"region": [EVIL, DOLLARS]},
        geometry=[box(36, 47, 37.2, 49), box(37.2, 47, 38, 49)],
        crs=4326,
    )
    snaps = [make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, layer=EVIL, source=DOLLARS)]
    out = static_map(snaps, tmp_path / "map.svg", regions=regions, title=EVIL, notice=DOLLARS)
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert EVIL not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "Cost $5 and $6" in text  # no mathtext: the dollars stay dollars
    assert "<dc:title>&lt;img" in text  # the title in the metadata too
    assert "#555555" in text.lower()  # an unknown layer is drawn in the fixed grey


def test_sample_snapshot_png_with_regions(tmp_path: Path, sample: list[Snapshot]) -> None:
    latest = max(s.date for s in sample)
    snaps = [s for s in sample if s.date == latest]
    regions = load_regions(sample_regions_file())
    out = static_map(snaps, tmp_path / "sample.png", regions=regions, notice=SAMPLE_NOTICE, dpi=60)
    image = pixels(out)
    assert image.shape[:2] == (480, 600)
    assert has_colour(image, "#fff3cd", alpha=1.0, tol=0.02)  # the notice box
    assert has_colour(image, "#c0392b", alpha=0.6)  # russian_control


def test_empty_snapshot_needs_regions(tmp_path: Path) -> None:
    empty = make_snapshot([], 1, source="isw")
    with pytest.raises(ValidationError, match="nothing to draw"):
        static_map(empty, tmp_path / "empty.png")
    regions = gpd.GeoDataFrame({"name": ["Far"]}, geometry=[box(40, 40, 41, 41)], crs=4326)
    assert static_map(empty, tmp_path / "empty.png", regions=regions).is_file()


def test_bad_suffix_and_atomic_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    with pytest.raises(ValidationError, match=r"unsupported file type \.jpg; use \.png or \.svg"):
        static_map(one, tmp_path / "map.jpg")
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        static_map(one, target)
    assert target.read_bytes() == b"old" and not list(tmp_path.glob(".*.tmp"))


def test_written_with_the_umask_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        out = static_map(
            make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw"),
            tmp_path / "m.png",
            dpi=40,
        )
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644


def test_area_chart_of_the_sample_series(tmp_path: Path, sample: list[Snapshot]) -> None:
    store = open_store(tmp_path / "store")
    store.ingest(sample)
    frame = timeseries(store, "russian_control", source=SAMPLE_SOURCE)
    png = area_chart(frame, tmp_path / "chart.png", notice=SAMPLE_NOTICE, dpi=60)
    image = pixels(png)
    assert image.shape[:2] == (360, 600) and image.std() > 0.05
    assert has_colour(image, DIFF_COLOURS["gained"], alpha=1.0, tol=0.02)  # gain bars
    svg = area_chart(frame, tmp_path / "chart.svg", title="Area <chart>").read_text(
        encoding="utf-8"
    )
    assert "Area &lt;chart&gt;" in svg and "area held (km²)" in svg and "Albers" in svg
    default = area_chart(frame, tmp_path / "default.svg").read_text(encoding="utf-8")
    assert "russian_control (sample): area held, 2024-08-15 – 2025-03-15" in default


def test_area_chart_edge_cases(tmp_path: Path) -> None:
    one_row = pd.DataFrame({"date": [dt.date(2024, 1, 1)], "area_km2": [10.0]})
    assert area_chart(one_row, tmp_path / "one.png", dpi=40).is_file()
    with pytest.raises(ValidationError, match="missing column 'area_km2'"):
        area_chart(pd.DataFrame({"date": [dt.date(2024, 1, 1)]}), tmp_path / "x.png")
    with pytest.raises(ValidationError, match="no rows"):
        area_chart(pd.DataFrame({"date": [], "area_km2": []}), tmp_path / "x.png")


def test_svg_credits_the_sources_under_the_figure(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.1, 48.0, 37.6, 48.5), 1, source="deepstate")
    svg = static_map(diff(a, b), tmp_path / "diff.svg").read_text(encoding="utf-8")
    assert "Data: Institute for the Study of War (ISW); DeepStateMap.Live" in svg
    svg = static_map([make_snapshot(box(37, 48, 38, 49), 1, source=EVIL)], tmp_path / "evil.svg",
                     attribution="Made in a test").read_text(encoding="utf-8")  # fmt: skip
    assert "Data: &lt;img src=x onerror=alert(1)&gt; · Made in a test" in svg
    assert EVIL not in svg
    frame = pd.DataFrame({"date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
                          "area_km2": [10.0, 11.0]})  # fmt: skip
    frame.attrs.update({"source": "deepstate", "layer": "russian_control"})
    chart = area_chart(frame, tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert "Data: DeepStateMap.Live" in chart
    png = static_map([a], tmp_path / "credit.png", dpi=60)
    assert png.stat().st_size > 5_000


# --- without a path: the figure -------------------------------------------------------------


def test_no_path_returns_the_figure_and_format_overrides_the_suffix(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.2, 48.0, 37.7, 48.5), 8, source="isw")
    fig = static_map(diff(a, b), notice="Draft", dpi=50)
    assert isinstance(fig, Figure) and not list(tmp_path.iterdir())
    assert fig.axes[0].get_title().startswith("russian_control (isw): 2024-07-02 → 2024-07-09")
    assert fig.get_suptitle() == "Draft"
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Data: Institute for the Study of War (ISW)" in texts
    frame = pd.DataFrame({"date": [a.date, b.date], "area_km2": [a.area_km2, b.area_km2]})
    frame.attrs.update(source="sample", layer="russian_control")
    chart = area_chart(frame)
    assert isinstance(chart, Figure) and chart.get_suptitle() == SAMPLE_NOTICE
    out = static_map(a, tmp_path / "report.figure", format="svg")
    assert isinstance(out, Path) and out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    png = area_chart(frame, tmp_path / "chart.out", format="png", dpi=40)
    assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValidationError, match=r"unsupported format='jpg'; pass 'png' or 'svg'"):
        static_map(a, tmp_path / "x.png", format="jpg")  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match=r"file type \(none\); use \.png or \.svg"):
        static_map(a, tmp_path / "no-suffix")
