"""Distance to the front: exactness against pyproj.Geod, rates, places, outputs, CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from conftest import BASE_DATE, make_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.cli import cli
from geo.distance import (
    DISTANCE_COLUMNS,
    approach,
    distance_to,
    distances,
    resolve_places,
    write_distances,
)
from geo.errors import PlaceError, ValidationError
from geo.gazetteer import load_gazetteer
from geo.geometry import polygonal_part
from geo.render.distance_chart import distance_chart
from geo.store import Store, open_store

GEOD = pyproj.Geod(ellps="WGS84")


def brute_km(geometry: shapely.Geometry, lon: float, lat: float, step: float = 0.0005) -> float:
    """Geodesic distance to a boundary (or lines) densified to ``step`` degrees (Geod.inv).

    An upper bound of the true distance, above it by at most a few metres at
    this step (the nearest point may fall between two vertices).
    """
    lines = geometry if geometry.geom_type.endswith("LineString") else shapely.boundary(geometry)
    xy = shapely.get_coordinates(shapely.segmentize(lines, step))
    _, _, metres = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return float(np.min(metres)) / 1000.0


@st.composite
def shape_and_place(draw: st.DrawFn) -> tuple[shapely.Geometry, float, float]:
    x0, y0 = draw(st.floats(30.0, 40.0)), draw(st.floats(45.0, 51.0))
    n = draw(st.integers(3, 10))
    radius = draw(st.floats(0.05, 1.0))
    angles = np.sort(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n)))
    scale = draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n))
    pts = [
        (x0 + radius * s * np.cos(a), y0 + radius * s * np.sin(a))
        for a, s in zip(angles, scale, strict=True)
    ]
    geom = polygonal_part(shapely.make_valid(shapely.Polygon(pts))) or box(
        x0, y0, x0 + 0.2, y0 + 0.2
    )
    bearing = draw(st.floats(0, 360))
    reach_m = draw(st.floats(1_000, 150_000))
    lon, lat, _ = GEOD.fwd(x0, y0, bearing, reach_m)
    return geom, float(lon), float(lat)


@settings(max_examples=80, deadline=None)
@given(shape_and_place())
def test_distance_is_geodesic_to_0_1_km(case: tuple[shapely.Geometry, float, float]) -> None:
    geom, lon, lat = case
    km, nx, ny = distance_to(geom, lon, lat)
    if shapely.intersects_xy(geom, lon, lat):
        assert (km, nx, ny) == (0.0, lon, lat)
        return
    brute = brute_km(geom, lon, lat)
    assert km <= brute + 1e-5  # never more than a real boundary point's distance (1 cm)
    assert km == pytest.approx(brute, abs=0.01)  # 10 m, well inside the 0.1 km promised
    # the nearest point is on the boundary, at exactly that geodesic distance
    _, _, metres = GEOD.inv(lon, lat, nx, ny)
    assert metres / 1000 == pytest.approx(km, abs=1e-6)
    assert shapely.distance(shapely.boundary(geom), shapely.Point(nx, ny)) < 1e-8


def test_inside_on_edge_and_empty() -> None:
    square = box(37.0, 48.0, 37.5, 48.5)
    assert distance_to(square, 37.2, 48.2) == (0.0, 37.2, 48.2)
    assert distance_to(square, 37.5, 48.2)[0] == 0.0  # on the edge
    assert np.isnan(distance_to(shapely.MultiPolygon(), 37.2, 48.2)[0])
    # a hole: the place in it is outside, nearest ground is the hole's edge
    holed = square.difference(box(37.2, 48.2, 37.3, 48.3))
    km, _, _ = distance_to(holed, 37.25, 48.25)
    assert km == pytest.approx(brute_km(holed, 37.25, 48.25), abs=0.01)
    assert 3.0 < km < 4.0


def test_approach_rates_and_naive_dates() -> None:
    days = [BASE_DATE + dt.timedelta(days=d) for d in (0, 10, 30, 55, 100)]
    km = [50.0, 48.0, 44.0, 40.0, 50.0]
    rate, naive = approach(days, km, 30)
    assert np.isnan(rate[0]) and np.isnan(rate[1]) and naive[1] is None
    assert rate[2] == pytest.approx(6 / 30 * 365.25 / 12)  # 6 km in 30 days
    assert naive[2] == days[2] + dt.timedelta(days=220)  # 44 km at 0.2 km/day
    assert rate[3] == pytest.approx(8 / 45 * 365.25 / 12)  # against day 10: latest <= day 25
    assert rate[4] < 0 and naive[4] is None  # receding: no projection
    rate, naive = approach(days, [5.0, 3.0, 0.0, 0.0, 0.0], 30)
    assert rate[2] > 0 and naive[2] is None  # already there


def tsv_row(
    gid: int, name: str, lon: float, lat: float, *, pop: int = 0, admin1: str = "05"
) -> str:
    fields = [str(gid), name, name, "", str(lat), str(lon), "P", "PPL", "UA", "", admin1,
              "", "", "", str(pop), "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    return "\t".join(fields)


@pytest.fixture
def gaz_file(tmp_path: Path) -> Path:
    path = tmp_path / "UA.txt"
    rows = [
        tsv_row(1, "Targetivka", 37.8, 48.25, pop=20_000),
        tsv_row(2, "Twinsk", 37.9, 48.1, pop=500),
        tsv_row(3, "Twinsk", 30.5, 50.4, pop=1200, admin1="12"),
        tsv_row(4, "Cash $ville", 38.0, 48.3, pop=10),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_resolve_places_by_id_or_unique_name(gaz_file: Path) -> None:
    gaz = load_gazetteer(gaz_file)
    rows = resolve_places(gaz, ["Targetivka", 2, "3", "1"])
    assert rows["geonames_id"].tolist() == [1, 2, 3]  # the repeat is kept once
    with pytest.raises(PlaceError) as err:
        resolve_places(gaz, ["Twinsk"])
    text = str(err.value)
    assert "matches 2 places" in text and "pass the GeoNames id" in text
    assert "pop. 1,200, id 3" in text and "pop. 500, id 2" in text
    assert "Donetsk" in text
    with pytest.raises(PlaceError, match="no place named 'Nowhere'"):
        resolve_places(gaz, ["Nowhere"])
    with pytest.raises(PlaceError, match="no place with GeoNames id 99"):
        resolve_places(gaz, [99])


def front_store(store_dir: Path) -> Store:
    """A front moving east by 0.05° every 10 days (edge at 37.0 .. 37.45), then back once."""
    edges = [37.0 + 0.05 * i for i in range(10)] + [37.3]
    snaps = [make_snapshot(box(36.5, 48.0, east, 48.5), 10 * i) for i, east in enumerate(edges)]
    store = open_store(store_dir)
    store.ingest(snaps)
    return store


def test_distances_over_a_store(store_dir: Path, gaz_file: Path) -> None:
    store = front_store(store_dir)
    result = distances(store, ["Targetivka", 2], gazetteer=gaz_file)
    frame = result.frame
    assert list(frame.columns) == list(DISTANCE_COLUMNS)
    assert len(frame) == 2 * 11 and result.source == "test"
    target = frame[frame["geonames_id"] == 1].reset_index(drop=True)
    for row in target.to_dict("records"):
        geometry = store.get("russian_control", row["date"]).geometry
        assert row["distance_km"] == pytest.approx(brute_km(geometry, 37.8, 48.25), abs=0.01)
    km = target["distance_km"].to_numpy()
    assert (np.diff(km[:10]) < 0).all() and km[10] > km[9]
    # 0.05° of longitude at 48.25° N is ~3.71 km per 10 days: ~11.3 km a month
    assert target.loc[5, "approach_30d_km_per_month"] == pytest.approx(11.29, abs=0.05)
    naive = target.loc[5, "naive_zero_date_30d"]
    expected = target.loc[5, "date"] + dt.timedelta(days=round(km[5] / (km[2] - km[5]) * 30))
    assert abs((naive - expected).days) <= 1
    assert target.loc[10, "naive_zero_date_30d"] is None  # the front went back
    latest = result.latest()
    assert latest["date"].tolist() == [target["date"].iloc[-1]] * 2
    # from a date on: the series starts at the state on that date
    later = distances(store, [1], gazetteer=gaz_file, start=BASE_DATE + dt.timedelta(days=35))
    assert later.frame["date"].iloc[0] == BASE_DATE + dt.timedelta(days=30)


def test_rings_are_geodesic_circles(store_dir: Path, gaz_file: Path) -> None:
    store = front_store(store_dir)
    result = distances(store, [1], gazetteer=gaz_file)
    rings = result.rings(BASE_DATE + dt.timedelta(days=40), n_points=64)
    assert len(rings) == 1 and rings.crs.to_epsg() == 4326
    row = rings.iloc[0]
    xy = shapely.get_coordinates(row.geometry)
    _, _, metres = GEOD.inv(np.full(len(xy), 37.8), np.full(len(xy), 48.25), xy[:, 0], xy[:, 1])
    assert np.allclose(metres / 1000, row["distance_km"], atol=1e-6)
    assert row["date"] == BASE_DATE + dt.timedelta(days=40)


def test_outputs_and_chart(store_dir: Path, gaz_file: Path, tmp_path: Path) -> None:
    store = front_store(store_dir)
    result = distances(store, [1, 4], gazetteer=gaz_file)
    csv = write_distances(result, tmp_path / "d.csv", fmt="csv")
    back = pd.read_csv(tmp_path / "d.csv")
    assert back.shape == result.frame.shape and csv.startswith("geonames_id,place")
    payload = json.loads(write_distances(result, None, fmt="json"))
    assert "not a forecast" in payload["naive_note"] and len(payload["rows"]) == 22
    assert payload["rows"][5]["date"] == (BASE_DATE + dt.timedelta(days=50)).isoformat()
    for name in ("chart.png", "chart.svg"):
        path = distance_chart(result, tmp_path / name)
        assert path.stat().st_size > 5_000
    svg = (tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert "naive projection" in svg and "GeoNames" in svg
    # words, not ids, in the title (text kept as text, as in every static chart)
    assert "<dc:title>Distance to Russian-controlled territory, test<" in svg
    assert "Distance to Russian-controlled territory, test</text>" in svg
    with pytest.raises(ValidationError, match=r"\.pdf; use \.png or \.svg"):
        distance_chart(result, tmp_path / "chart.pdf")


def test_cli_distance(store_dir: Path, gaz_file: Path, tmp_path: Path) -> None:
    front_store(store_dir)
    runner = CliRunner()
    base = ["distance", "--store", str(store_dir), "--gazetteer", str(gaz_file)]
    out = runner.invoke(cli, [*base, "--to", "Targetivka", "--to", "2"])
    assert out.exit_code == 0, out.output
    assert "Targetivka, Donetsk [1]: " in out.stdout and "not a forecast" in out.stdout
    end = (BASE_DATE + dt.timedelta(days=45)).isoformat()
    out = runner.invoke(cli, [*base, "--to", "1", "--to", end, "--json"])
    rows = json.loads(out.stdout)["rows"]
    assert rows[-1]["date"] == (BASE_DATE + dt.timedelta(days=40)).isoformat()
    png = tmp_path / "d.png"
    out = runner.invoke(cli, [*base, "--to", "1", "--format", "csv", "--png", str(png)])
    assert out.exit_code == 0 and png.exists() and out.stdout.startswith("geonames_id,")
    out = runner.invoke(cli, [*base, "--to", "Twinsk"])
    assert out.exit_code == 1 and "matches 2 places" in out.stderr
    out = runner.invoke(cli, [*base, "--to", "2025-01-01"])
    assert out.exit_code == 2 and "name at least one place" in out.output


@pytest.mark.realdata
def test_real_distances_match_geod_on_the_deepstate_archive(  # type: ignore[no-untyped-def]
    deepstate_daily_store, shared_path
) -> None:
    gazetteer = shared_path("places", "geonames-UA.txt.gz")
    # Kramatorsk, Zaporizhzhia, Kostiantynivka (Donetsk): GeoNames ids, names are ambiguous
    result = distances(deepstate_daily_store, [704508, 687700, 705104], gazetteer=gazetteer)
    frame = result.frame
    assert len(frame) == 3 * 769
    sample = frame.iloc[::97]
    for row in sample.to_dict("records"):
        geometry = deepstate_daily_store.get("russian_control", row["date"]).geometry
        if row["inside"]:
            assert geometry.intersects(shapely.Point(row["lon"], row["lat"]))
            continue
        # brute force on the real boundary near the nearest point (a subset holding it)
        window = shapely.clip_by_rect(
            shapely.boundary(geometry), row["nearest_lon"] - 0.5, row["nearest_lat"] - 0.5,
            row["nearest_lon"] + 0.5, row["nearest_lat"] + 0.5,
        )  # fmt: skip
        expected = brute_km(window, row["lon"], row["lat"], step=0.0002)
        assert row["distance_km"] == pytest.approx(expected, abs=0.01)
        assert row["distance_km"] <= brute_km(geometry, row["lon"], row["lat"], step=1.0) + 1e-6
    kramatorsk = frame[frame["geonames_id"] == 704508]
    assert 10 < kramatorsk["distance_km"].iloc[-1] < 30
