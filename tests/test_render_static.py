"""Static news maps: equal-area page with context, scale bar, locator, labels that never collide."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import make_snapshot
from matplotlib.figure import Figure
from matplotlib.text import Text
from shapely.geometry import box

from geo.diff import diff
from geo.errors import ValidationError
from geo.geometry import GEOD, geodesic_area_km2
from geo.io import read_many
from geo.regions import load_regions
from geo.render import static_map
from geo.render.context import context_source, countries, projection_for
from geo.render.labels import change_colours, change_labels, format_km2, map_title
from geo.render.newsmap import LAND, LAND_UKRAINE, SEA
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.snapshot import Snapshot

EVIL = "<img src=x onerror=alert(1)>"
DOLLARS = "Cost $5 and $6 _{x}^2"  # mathtext would parse (and mangle or reject) this
SMALL = (800, 450)


def pixels(path: Path) -> Any:
    image = matplotlib.image.imread(path)
    return image[..., :3] if image.ndim == 3 else image


def rgb(hex_colour: str) -> Any:
    return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def mask(image: Any, colour: Any, tol: float = 0.02) -> Any:
    return np.abs(image - colour).max(axis=-1) < tol


def over(hex_colour: str, alpha: float, under: str) -> Any:
    """``hex_colour`` at ``alpha`` over ``under``."""
    return alpha * rgb(hex_colour) + (1 - alpha) * rgb(under)


def texts(fig: Figure, gid: str) -> list[str]:
    found = [a for a in fig.findobj(Text) if a.get_gid() == gid]
    return [t.get_text() for t in found]


def drawn(fig: Figure) -> Any:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def sample() -> list[Snapshot]:
    result = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    result.raise_for_problems()
    return result.snapshots


# --- the page ---------------------------------------------------------------------------------


def test_diff_png_is_a_news_map(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.2, 48.0, 37.7, 48.5), 8, source="isw")
    change = diff(a, b)
    out = static_map(change, tmp_path / "diff.png", size=(1200, 675))
    image = pixels(out)
    assert image.shape[:2] == (675, 1200)  # the size asked for, to the pixel
    colours = change_colours("russian_control")
    # gains red and losses blue over land (Ukraine's land is drawn almost white)
    assert mask(image, over(colours["gained"], 0.88, "#fbfaf6")).sum() > 1000
    assert mask(image, over(colours["lost"], 0.88, "#fbfaf6")).sum() > 1000
    assert mask(image, over(colours["unchanged"], 0.5, "#fbfaf6")).sum() > 1000
    assert mask(image, rgb(LAND_UKRAINE)).sum() > 100_000  # Ukraine, in white
    assert not list(tmp_path.glob(".*.tmp"))
    fig = static_map(change, size=(1200, 675))
    assert texts(fig, "title") == [map_title("russian_control", "isw", a.date, b.date)]
    expected = (
        f"Russian gains: {format_km2(change.gained_km2)} · "
        f"Ukrainian gains: {format_km2(change.lost_km2)} · "
        f"Net: {format_km2(change.net_km2, signed=True)}"
    )
    assert texts(fig, "subtitle") == [expected]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    labels = change_labels("russian_control", a.date, b.date)
    assert legend == [labels["gained"], labels["lost"], labels["unchanged"]]


def test_no_lat_lon_axes_and_the_inset_and_scale_bar_are_there() -> None:
    fig = static_map(make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw"), size=SMALL)
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""
    assert [a.get_gid() for a in fig.axes] == [None, "locator"]
    inset, main = fig.axes[1].get_window_extent(), ax.get_window_extent()
    assert inset.x1 <= main.x1 and inset.y1 <= main.y1  # inside the map, upper right
    assert inset.x0 > main.x0 + main.width / 2 and inset.y0 > main.y0 + main.height / 2
    assert texts(fig, "scale-bar-label")[0].endswith(" km")


def test_scale_bar_is_true_within_one_percent() -> None:
    """The drawn bar, taken back to lon/lat, is as long on the ground as its label says."""
    for geometry, size in (
        (box(37.0, 48.0, 37.5, 48.5), (1600, 900)),  # a zoomed-in map
        (box(30.0, 44.0, 40.0, 52.0), (1280, 720)),  # the whole front
        (box(24.0, 58.0, 25.0, 60.0), (900, 900)),  # far north, square
    ):
        fig = static_map(make_snapshot(geometry, 1, source="isw"), size=size)
        image = drawn(fig)
        ax = fig.axes[0]
        bar = next(p for p in ax.patches if p.get_gid() == "scale-bar").get_window_extent()
        room = next(p for p in ax.patches if p.get_gid() == "scale-bar-box").get_window_extent()
        # the pixels drawn: the dark run across the middle of the bar, inside its white box
        row = image[int(image.shape[0] - (bar.y0 + bar.y1) / 2), int(room.x0) : int(room.x1)]
        dark = np.flatnonzero(mask(row, rgb("#1a1a1a"), 0.05))
        assert abs(len(dark) - bar.width) <= 2 and dark.max() - dark.min() + 1 == len(dark)
        # its ends, back to the ground
        y = (bar.y0 + bar.y1) / 2
        (x0, y0), (x1, y1) = ax.transData.inverted().transform([[bar.x0, y], [bar.x1, y]])
        lon, lat = projection_for(geometry.bounds).inverse_xy(np.array([x0, x1]),
                                                             np.array([y0, y1]))  # fmt: skip
        _, _, metres = GEOD.inv(lon[0], lat[0], lon[1], lat[1])
        label = texts(fig, "scale-bar-label")[0]
        assert metres / 1000 == pytest.approx(float(label.split()[0]), rel=0.01), (size, label)
        assert ax.get_xlim()[0] < x0 < x1 < ax.get_xlim()[1]


def test_areas_on_the_page_are_proportional_to_areas_on_the_ground() -> None:
    """Equal-area: a 1° box at 46° N and one at 54° N keep their geodesic ratio in pixels."""
    south, north = box(24.5, 45.5, 25.5, 46.5), box(27.0, 53.5, 28.0, 54.5)  # Romania, Belarus
    snap = make_snapshot([south, north], 1, source="isw", layer="mine")  # one grey fill
    fig = static_map(snap, size=(1600, 1600))
    image = drawn(fig)
    fill = mask(image, over("#555555", 0.62, LAND), 0.03)
    centre = projection_for(snap.geometry.bounds)
    counts = []
    for shape in (north, south):  # count the fill's pixels around each box only
        x0, y0, x1, y1 = centre.forward(shape).bounds
        (c0, r1), (c1, r0) = fig.axes[0].transData.transform([[x0, y0], [x1, y1]])
        height = image.shape[0]
        window = fill[int(height - r0) - 3 : int(height - r1) + 3, int(c0) - 3 : int(c1) + 3]
        counts.append(window.sum())
    ratio = geodesic_area_km2(north) / geodesic_area_km2(south)
    assert ratio < 0.87  # the boxes differ by a seventh on the ground
    assert counts[0] / counts[1] == pytest.approx(ratio, rel=0.02)
    assert min(counts) > 3000


def test_context_names_countries_and_seas_in_the_language_asked() -> None:
    snap = make_snapshot(box(36.5, 46.2, 38.5, 48.5), 1, source="isw")  # Donbas and the Azov coast
    fig = static_map(snap, size=(1600, 900))
    names = {t.get_text() for t in fig.axes[0].texts}
    assert {"RUSSIA", "Sea of Azov"} <= names
    image = drawn(fig)
    assert mask(image, rgb(LAND)).sum() > 50_000  # Russia, in grey
    assert mask(image, rgb(SEA)).sum() > 20_000
    uk = static_map(snap, size=(1600, 900), lang="uk")
    assert {"РОСІЯ", "Азовське море"} <= {t.get_text() for t in uk.axes[0].texts}
    assert texts(uk, "title")[0].startswith("Територія під контролем Росії")
    assert texts(uk, "credit")[0].startswith("Дані: Institute for the Study of War (ISW) · Кордони")
    assert texts(uk, "scale-bar-label")[0].endswith(" км")


def test_country_names_stay_off_the_data() -> None:
    # a layer covering most of Ukraine's east: UKRAINE must not be written on it
    snap = make_snapshot(box(33.0, 46.5, 39.5, 50.5), 1, source="isw")
    fig = static_map(snap, size=(1600, 900))
    ax = fig.axes[0]
    centre = projection_for(snap.geometry.bounds)
    layer = centre.forward(snap.geometry)
    labels = [t for t in ax.texts if t.get_text() in {"UKRAINE", "RUSSIA"}]
    assert labels
    to_data = ax.transData.inverted()
    for label in labels:
        extent = label.get_window_extent()
        corners = to_data.transform([[extent.x0, extent.y0], [extent.x1, extent.y1]])
        assert not shapely.box(*corners.ravel()).intersects(layer), label.get_text()


def test_the_map_zooms_out_rather_than_hide_the_change_under_the_legend() -> None:
    # gains at the lower left and upper right corners of the change's own frame
    a = make_snapshot(box(37.1, 48.1, 37.5, 48.5), 1, source="isw")
    corners = [box(37.0, 48.0, 37.05, 48.05), box(37.55, 48.55, 37.6, 48.6)]
    b = make_snapshot([a.geometry, *corners], 8, source="isw")
    change = diff(a, b)
    fig = static_map(change, size=(800, 450))
    ax = fig.axes[0]
    to_data = ax.transData.inverted()
    gained = projection_for(change.gained.bounds).forward(change.gained)
    scale = next(p for p in ax.patches if p.get_gid() == "scale-bar-box")
    for artist in (ax.get_legend(), fig.axes[1], scale):
        extent = artist.get_window_extent()
        corners_xy = to_data.transform([[extent.x0, extent.y0], [extent.x1, extent.y1]])
        assert not shapely.box(*corners_xy.ravel()).intersects(gained)
    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    assert gained.within(shapely.box(xmin, ymin, xmax, ymax))


def test_a_diff_map_is_framed_on_the_change_not_the_whole_layer() -> None:
    big = box(33.0, 45.0, 40.0, 50.0)  # some 400,000 km² held at both dates
    a = make_snapshot(big, 1, source="isw")
    b = make_snapshot(shapely.union(big, box(32.8, 47.0, 33.0, 47.2)), 8, source="isw")
    ax = static_map(diff(a, b), size=(1600, 900)).axes[0]
    width_km = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 1000
    assert 80 < width_km < 300  # the change and its surroundings, not the 500 km layer


# --- places ------------------------------------------------------------------------------------


def places_frame(rows: list[tuple[str, str, float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"change": change, "name": name, "name_uk": f"{name}-uk", "oblast": "Donetsk",
             "lon": lon, "lat": lat, "population": population}
            for name, change, lon, lat, population in rows
        ]
    )  # fmt: skip


def test_town_labels_never_collide_and_the_smaller_ones_go() -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.0, 48.0, 37.8, 48.5), 8, source="isw")
    crowd = [(f"Town{i}", "gained", 37.65, 48.25, 90_000 - 1000 * i) for i in range(12)]
    towns = [  # twelve towns on one spot: not all names fit around it
        *crowd,
        *((f"Village{i}", "gained", 37.55 + 0.03 * (i % 7), 48.05 + 0.05 * (i // 5), 200 + i)
          for i in range(20)),
        ("Lostovo", "lost", 37.2, 48.3, 1_000),
    ]  # fmt: skip
    fig = static_map(diff(a, b), places=places_frame(towns), size=(1200, 675))
    ax = fig.axes[0]
    named = {t.get_text() for t in ax.texts}
    placed = [name in named for name, *_ in crowd]
    assert placed[0] and not all(placed)  # the largest is named, some are dropped
    assert placed == sorted(placed, reverse=True)  # and only smaller ones are
    assert "Lostovo" in named
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts if t.get_gid() is None]
    for first, second in itertools.combinations(boxes, 2):
        assert not first.overlaps(second)
    reserved = [ax.get_legend().get_window_extent(), fig.axes[1].get_window_extent()]
    reserved += [p.get_window_extent() for p in ax.patches if p.get_gid() == "scale-bar-box"]
    for extent in boxes:
        assert not any(extent.overlaps(r) for r in reserved)
        assert ax.get_window_extent().contains(extent.x0, extent.y0)
    dots = next(c for c in ax.collections if c.get_gid() == "places")
    assert len(dots.get_offsets()) == len(towns)  # every place has its dot (max_places=40)
    colours = {tuple(np.round(c[:3], 3)) for c in dots.get_facecolors()}
    assert colours == {tuple(np.round(rgb(change_colours("russian_control")[k]), 3))
                       for k in ("gained", "lost")}  # fmt: skip
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "Places that changed hands"
    few = static_map(diff(a, b), places=places_frame(towns), max_places=5, size=(1200, 675))
    assert [t.get_text() for t in few.axes[0].get_legend().get_texts()][-1] == (
        "Places that changed hands (largest 5 shown)"
    )
    uk = static_map(diff(a, b), places=places_frame(towns), lang="uk", size=(1200, 675))
    assert "Town0-uk" in {t.get_text() for t in uk.axes[0].texts}


# --- notices, text, files ------------------------------------------------------------------------


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
    assert "longitude" not in text and "latitude" not in text


def test_the_sample_map_always_shows_its_notice(tmp_path: Path, sample: list[Snapshot]) -> None:
    latest = max(s.date for s in sample)
    snaps = [s for s in sample if s.date == latest]
    regions = load_regions(sample_regions_file())
    out = static_map(snaps, tmp_path / "sample.png", regions=regions, size=SMALL)
    image = pixels(out)
    assert image.shape[:2] == (450, 800)
    assert mask(image, rgb("#fff3cd")).sum() > 500  # the notice box
    svg = static_map(snaps, tmp_path / "sample.svg", regions=regions).read_text(encoding="utf-8")
    assert SAMPLE_NOTICE in svg and "Oblast border" in svg


def test_empty_snapshot_needs_regions(tmp_path: Path) -> None:
    empty = make_snapshot([], 1, source="isw")
    with pytest.raises(ValidationError, match="nothing to draw"):
        static_map(empty, tmp_path / "empty.png")
    regions = gpd.GeoDataFrame({"name": ["Far"]}, geometry=[box(40, 40, 41, 41)], crs=4326)
    assert static_map(empty, tmp_path / "empty.png", regions=regions, size=SMALL).is_file()


def test_bad_input_is_refused_and_failures_leave_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    with pytest.raises(ValidationError, match=r"unsupported file type \.jpg; use \.png or \.svg"):
        static_map(one, tmp_path / "map.jpg")
    with pytest.raises(ValidationError, match=r"size=\(0, 900\): pass \(width, height\)"):
        static_map(one, tmp_path / "map.png", size=(0, 900))
    with pytest.raises(ValidationError, match="lang='fr'"):
        static_map(one, tmp_path / "map.png", lang="fr")  # type: ignore[call-overload]
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        static_map(one, target, size=SMALL)
    assert target.read_bytes() == b"old" and not list(tmp_path.glob(".*.tmp"))


def test_written_with_the_umask_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        out = static_map(make_snapshot(box(37, 48, 37.5, 48.5), 1, source="isw"),
                         tmp_path / "m.png", size=SMALL)  # fmt: skip
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644


def test_svg_credits_the_sources_under_the_map(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.1, 48.0, 37.6, 48.5), 1, source="deepstate")
    svg = static_map(diff(a, b), tmp_path / "diff.svg").read_text(encoding="utf-8")
    assert "Data: Institute for the Study of War (ISW); DeepStateMap.Live" in svg
    assert "Borders: Natural Earth" in svg
    svg = static_map([make_snapshot(box(37, 48, 38, 49), 1, source=EVIL)], tmp_path / "evil.svg",
                     attribution="Made in a test").read_text(encoding="utf-8")  # fmt: skip
    assert "Data: &lt;img src=x onerror=alert(1)&gt; · Made in a test" in svg
    assert EVIL not in svg


def test_no_path_returns_the_figure_and_format_overrides_the_suffix(tmp_path: Path) -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, source="isw")
    b = make_snapshot(box(37.2, 48.0, 37.7, 48.5), 8, source="isw")
    fig = static_map(diff(a, b), notice="Draft", size=SMALL, title="Mine", subtitle="")
    assert isinstance(fig, Figure) and not list(tmp_path.iterdir())
    assert texts(fig, "title") == ["Mine"] and texts(fig, "subtitle") == []
    assert texts(fig, "notice") == ["Draft"]
    out = static_map(a, tmp_path / "report.figure", format="svg", size=SMALL)
    assert isinstance(out, Path) and out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with pytest.raises(ValidationError, match=r"unsupported format='jpg'; pass 'png' or 'svg'"):
        static_map(a, tmp_path / "x.png", format="jpg")  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match=r"file type \(none\); use \.png or \.svg"):
        static_map(a, tmp_path / "no-suffix")


# --- the bundled context -------------------------------------------------------------------------


def test_the_bundled_countries_are_what_the_record_says() -> None:
    record = context_source()
    data = resources.files("geo").joinpath("data/context/countries.geojson").read_bytes()
    assert hashlib.sha256(data).hexdigest() == record["sha256"]
    assert record["licence"].startswith("public domain") and "world-atlas" in record["url"]
    by_name = {c.name: c for c in countries()}
    assert by_name["Ukraine"].geometry.contains(shapely.Point(34.1, 45.0))  # Crimea
    assert not by_name["Russia"].geometry.contains(shapely.Point(34.1, 45.0))
    assert by_name["Russia"].geometry.contains(shapely.Point(37.6, 55.75))  # Moscow
    for country in countries():
        assert country.geometry.is_valid, country.name
    assert len(data) < 300_000  # a small extract


# --- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_deepstate_diff_with_places(shared_path: Any, tmp_path: Path) -> None:
    from geo.places import places_changed
    from geo.store import open_store

    daily = shared_path("control", "deepstate", "daily")
    files = [daily / f"deepstatemap_data_{d}.geojson.gz" for d in ("20241231", "20250601")]
    store = open_store(tmp_path / "store")
    store.ingest(read_many(files).snapshots)
    a, b = (store.get("russian_control", d) for d in (dt.date(2024, 12, 31), dt.date(2025, 6, 1)))
    places = places_changed(store, "russian_control", a.date, b.date,
                            gazetteer=shared_path("places", "geonames-UA.txt.gz"))  # fmt: skip
    assert len(places) > 20
    change = diff(a, b)
    out = static_map(change, tmp_path / "diff.png", places=places)
    assert pixels(out).shape[:2] == (900, 1600)
    fig = static_map(change, places=places)
    ax = fig.axes[0]
    assert texts(fig, "title") == [
        "Russian-controlled territory, DeepStateMap.Live, 31 Dec 2024 → 1 Jun 2025"
    ]
    assert texts(fig, "subtitle")[0].startswith("Russian gains: 1,2")
    fig.canvas.draw()
    named = [t for t in ax.texts if t.get_text() in set(places["name"])]
    assert len(named) >= 10
    boxes = [t.get_window_extent() for t in ax.texts if t.get_gid() is None]
    assert not any(p.overlaps(q) for p, q in itertools.combinations(boxes, 2))
