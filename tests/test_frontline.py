"""Contact lines and their displacement, on a 1° x 1° square country with known answers.

The country is lon 30..31, lat 48..49. A controlled rectangle touching its
west, south and east borders has one front: its north side, a parallel, which
ends ``tolerance_m`` short of the west and east borders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import make_snapshot
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo.errors import CRSError, GeoError, InputFormatError, RegionError, ValidationError
from geo.frontline import (
    DEFAULT_TOLERANCE_M,
    Frontline,
    country_outline,
    displacement,
    frontline,
    write_geojson,
)
from geo.geometry import GEOD, WGS84, geodesic_area_km2, to_equal_area
from geo.snapshot import Snapshot

COUNTRY = box(30, 48, 31, 49)
LAGOON = box(30.4, 48.1, 30.6, 48.3)  # ~330 km², inside the controlled rectangle


def parallel_km(lat: float, lon0: float, lon1: float) -> float:
    """Geodesic length along a parallel (densely sampled)."""
    lons = np.linspace(lon0, lon1, 2001)
    return float(GEOD.line_length(lons, np.full_like(lons, lat))) / 1e3


def east_of(lon: float, lat: float, metres: float) -> float:
    return float(GEOD.fwd(lon, lat, 90.0, metres)[0])


def meridian_km(lat0: float, lat1: float) -> float:
    return float(GEOD.inv(30.5, lat0, 30.5, lat1)[2]) / 1e3


def regions(*rows: tuple[str, str | None, BaseGeometry]) -> gpd.GeoDataFrame:
    names, countries, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"region": list(names), "country": list(countries)}, geometry=list(geoms), crs=WGS84
    )


def halves_with_lagoon() -> gpd.GeoDataFrame:
    """Two regions splitting the country, both leaving the lagoon out, plus a foreign one."""
    west, east = box(30, 48, 30.5, 49), box(30.5, 48, 31, 49)
    return regions(
        ("West", "UA", west.difference(LAGOON)),
        ("East", "UA", east.difference(LAGOON)),
        ("Foreign", "RU", box(31, 48, 32, 49)),
    )


# --- country_outline ---------------------------------------------------------------------


def test_outline_fills_the_lagoon_and_ignores_other_countries() -> None:
    frame = halves_with_lagoon()
    raw = shapely.union_all(frame.geometry.values[:2])
    assert isinstance(raw, Polygon) and len(raw.interiors) == 1  # the union has the lagoon hole
    outline = country_outline(frame)
    assert isinstance(outline, Polygon)
    assert len(outline.interiors) == 0
    assert outline.equals(COUNTRY)


def test_outline_keeps_holes_from_max_hole_km2() -> None:
    outline = country_outline(halves_with_lagoon(), max_hole_km2=100.0)
    assert isinstance(outline, Polygon) and len(outline.interiors) == 1
    assert outline.equals(COUNTRY.difference(LAGOON))


def test_outline_of_another_country_and_case() -> None:
    outline = country_outline(halves_with_lagoon(), country=" ru ")
    assert outline.equals(box(31, 48, 32, 49))


def test_outline_errors_name_the_fix() -> None:
    frame = halves_with_lagoon()
    with pytest.raises(RegionError, match=r"no region of country 'PL'.*RU, UA"):
        country_outline(frame, country="PL")
    with pytest.raises(RegionError, match=r"no 'country' column.*load_regions"):
        country_outline(frame.drop(columns="country"))


# --- frontline on the square country ------------------------------------------------------


def test_three_sided_rectangle_front_is_the_fourth_side() -> None:
    front = frontline(box(30, 48, 31, 48.5), COUNTRY)
    cut = east_of(30, 48.5, DEFAULT_TOLERANCE_M) - 30  # the front stops tolerance_m short
    expected = parallel_km(48.5, 30 + cut, 31 - cut)
    assert front.length_km == pytest.approx(expected, abs=0.01)  # Albers scale: ~4 m
    assert front.n_pieces == 1
    xy = shapely.get_coordinates(front.line)
    assert np.allclose(xy[:, 1], 48.5, atol=1e-7)  # lon/lat, on the parallel
    assert xy[:, 0].min() == pytest.approx(30 + cut, abs=2e-4)
    assert xy[:, 0].max() == pytest.approx(31 - cut, abs=2e-4)
    assert front.dropped_km == 0.0
    assert front.date is None and front.notes == ()
    assert "1000 m" in front.recipe and "Albers" in front.recipe


def test_small_tolerance_gives_almost_the_whole_side() -> None:
    front = frontline(box(30, 48, 31, 48.5), COUNTRY, tolerance_m=10.0)
    assert front.length_km == pytest.approx(parallel_km(48.5, 30, 31) - 0.02, abs=0.01)


def test_area_matching_the_border_roughly_makes_no_front() -> None:
    # The layer's border is 300 m off the outline's: within the tolerance, so no front.
    area = box(30.004, 48.003, 30.996, 48.5)
    front = frontline(area, COUNTRY)
    assert front.n_pieces == 1
    assert np.allclose(shapely.get_coordinates(front.line)[:, 1], 48.5, atol=1e-7)


@pytest.mark.parametrize("covers_lagoon", [True, False])
def test_lagoon_is_not_front(covers_lagoon: bool) -> None:
    outline = country_outline(halves_with_lagoon())
    area: BaseGeometry = box(30, 48, 31, 48.5)
    if not covers_lagoon:  # the layer leaves the water out, along a shore 300 m off the outline's
        area = area.difference(LAGOON.buffer(0.004))
    front = frontline(area, outline)
    assert front.n_pieces == 1
    assert np.allclose(shapely.get_coordinates(front.line)[:, 1], 48.5, atol=1e-7)
    lagoon_km2 = geodesic_area_km2(LAGOON.buffer(0.004))
    assert front.pockets_km2 == pytest.approx(0.0 if covers_lagoon else lagoon_km2, rel=0.01)


def test_lagoon_hole_kept_in_the_outline_is_coast() -> None:
    outline = shapely.union_all(halves_with_lagoon().geometry.values[:2])
    front = frontline(box(30, 48, 31, 48.5).difference(LAGOON), outline, max_pocket_km2=0)
    assert front.n_pieces == 1  # the shore is coast: only the north side is front


def test_max_pocket_zero_draws_every_pocket() -> None:
    area = box(30, 48, 31, 48.5).difference(LAGOON)
    front = frontline(area, COUNTRY, max_pocket_km2=0)
    shore_km = GEOD.geometry_length(LAGOON) / 1e3
    north = frontline(box(30, 48, 31, 48.5), COUNTRY).length_km
    assert front.n_pieces == 2
    assert front.length_km == pytest.approx(north + shore_km, abs=0.1)
    # The largest uncontrolled piece is never a pocket, whatever the threshold.
    assert frontline(area, COUNTRY, max_pocket_km2=1e9).length_km == pytest.approx(north)


def test_area_outside_the_outline_draws_no_front_and_is_noted() -> None:
    front = frontline(box(30, 48, 31.5, 48.5), COUNTRY)
    north = frontline(box(30, 48, 31, 48.5), COUNTRY)
    assert front.length_km == pytest.approx(north.length_km, abs=0.01)
    assert len(front.notes) == 1 and "outside the country outline" in front.notes[0]
    assert "33%" in front.notes[0]


def test_short_pieces_are_dropped_and_counted() -> None:
    # A bite 1.1 km deep into the north border: its inner edge is a ~2.4 km piece.
    bite = box(30.5, 48.99, 30.53, 49)
    area = shapely.union_all([box(30, 48, 31, 48.5), bite])
    kept = frontline(area, COUNTRY)
    dropped = frontline(area, COUNTRY, min_segment_km=3.0)
    assert kept.n_pieces == 2 and dropped.n_pieces == 1
    assert dropped.dropped_km == pytest.approx(kept.length_km - dropped.length_km)
    assert 2.2 < dropped.dropped_km < 2.6
    assert "1 pieces shorter than 3 km dropped" in dropped.recipe


def test_snapshot_input_and_outputs(tmp_path: Path) -> None:
    front = frontline(make_snapshot(box(30, 48, 31, 48.5), dt.date(2025, 6, 1)), COUNTRY)
    assert (front.date, front.source, front.layer) == (
        dt.date(2025, 6, 1),
        "test",
        "russian_control",
    )
    assert repr(front) == (
        f"<Frontline test/russian_control 2025-06-01: {front.length_km:.1f} km in 1 piece "
        "(0.0 km dropped)>"
    )
    assert 71 < front.length_km < 73
    assert "\n" not in repr(front)
    feature = front.to_geojson()
    assert feature["geometry"]["type"] == "MultiLineString"
    assert feature["properties"]["length_km"] == pytest.approx(front.length_km, abs=1e-3)
    assert feature["properties"]["date"] == "2025-06-01"
    out = tmp_path / "front.geojson"
    write_geojson([front], out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["front.geojson"]  # no temp file left

    nested = tmp_path / "new" / "front.geojson"
    write_geojson([front], nested)  # missing folders are created
    assert nested.is_file()
    with pytest.raises(GeoError, match="cannot write"):
        write_geojson([front], out / "front.geojson")  # a file where a folder must be


def test_empty_area_has_no_front() -> None:
    front = frontline(Polygon(), COUNTRY)
    assert front.length_km == 0.0 and front.line.is_empty
    assert front.notes == ("area is empty: no front",)


def test_bad_inputs_raise_geo_errors() -> None:
    area = box(30, 48, 31, 48.5)
    with pytest.raises(ValidationError, match="tolerance_m=0 must be a finite number > 0"):
        frontline(area, COUNTRY, tolerance_m=0)
    with pytest.raises(ValidationError, match="min_segment_km=-1"):
        frontline(area, COUNTRY, min_segment_km=-1)
    with pytest.raises(InputFormatError, match="LineString has no area"):
        frontline(LineString([(30, 48), (31, 49)]), COUNTRY)
    with pytest.raises(CRSError, match="cannot be longitude/latitude"):
        frontline(box(3e6, 5e6, 3.1e6, 5.1e6), COUNTRY)
    with pytest.raises(RegionError, match="outline is empty"):
        frontline(area, Polygon())


# --- displacement -------------------------------------------------------------------------


def test_uniform_advance_has_known_distance() -> None:
    before = frontline(box(30, 48, 31, 48.5), COUNTRY)
    after = frontline(box(30, 48, 31, 48.6), COUNTRY)
    moved = displacement(before, after, area_before=box(30, 48, 31, 48.5))
    expected = meridian_km(48.5, 48.6)  # ~11.1 km
    assert moved.mean_km == pytest.approx(expected, abs=1e-3)
    assert moved.max_km == pytest.approx(expected, abs=1e-3)
    assert moved.n_samples == pytest.approx(after.length_km * 2, abs=2)  # every 500 m
    assert moved.mean_signed_km == pytest.approx(expected, abs=0.05)
    assert moved.advanced_share == 1.0 and moved.retreated_share == 0.0
    assert moved.from_border_share == 0.0
    assert moved.max_from[1] == pytest.approx(48.5, abs=1e-6)


def test_retreat_is_negative() -> None:
    before = frontline(box(30, 48, 31, 48.6), COUNTRY)
    after = frontline(box(30, 48, 31, 48.5), COUNTRY)
    moved = displacement(before, after, area_before=box(30, 48, 31, 48.6))
    assert moved.mean_signed_km == pytest.approx(-meridian_km(48.5, 48.6), abs=0.05)
    assert moved.retreated_share == 1.0
    assert displacement(before, after).mean_signed_km is None


def test_maximum_is_at_the_tip_of_a_salient() -> None:
    base = box(30, 48, 31, 48.5)
    salient = shapely.union_all([base, Polygon([(30.3, 48.5), (30.4, 48.7), (30.5, 48.5)])])
    moved = displacement(frontline(base, COUNTRY), frontline(salient, COUNTRY), step_m=2000)
    assert moved.max_km == pytest.approx(meridian_km(48.5, 48.7), abs=0.01)
    assert moved.max_location == pytest.approx((30.4, 48.7), abs=1e-6)
    assert moved.max_from == pytest.approx((30.4, 48.5), abs=1e-3)
    assert moved.median_km < 0.1  # most of the line did not move
    assert repr(moved).startswith("<Displacement None -> None: mean ")


def test_new_bridgehead_is_measured_from_the_border() -> None:
    base = box(30, 48, 31, 48.5)
    bridgehead = box(30.4, 48.95, 30.6, 49)  # 5.6 km deep, 50 km from the old front
    before = frontline(base, COUNTRY)
    after = frontline(shapely.union_all([base, bridgehead]), COUNTRY)
    moved = displacement(before, after)
    depth = meridian_km(48.95, 49.0)
    assert moved.max_km == pytest.approx(depth, abs=0.05)
    assert moved.from_border_share > 0.1
    # Without the outline the bridgehead seems to have come from the old front.
    bare = displacement(
        dataclasses.replace(before, outline=None), dataclasses.replace(after, outline=None)
    )
    assert bare.max_km > 45 and bare.from_border_share == 0.0


def test_displacement_refuses_bad_pairs() -> None:
    early = frontline(make_snapshot(box(30, 48, 31, 48.5), dt.date(2024, 1, 1)), COUNTRY)
    late = frontline(make_snapshot(box(30, 48, 31, 48.6), dt.date(2025, 1, 1)), COUNTRY)
    empty = frontline(Polygon(), COUNTRY)
    with pytest.raises(ValidationError, match="swap them"):
        displacement(late, early)
    with pytest.raises(ValidationError, match="nothing to measure"):
        displacement(early, empty)
    with pytest.raises(ValidationError, match="step_m=0"):
        displacement(early, late, step_m=0)
    assert displacement(early, late).to_dict()["after_date"] == "2025-01-01"


def test_frontline_is_a_frozen_record() -> None:
    front = frontline(box(30, 48, 31, 48.5), COUNTRY)
    assert isinstance(front, Frontline)
    with pytest.raises(dataclasses.FrozenInstanceError):
        front.length_km = 0.0  # type: ignore[misc]


# --- real data ----------------------------------------------------------------------------

OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"
NATURAL_EARTH = "regions/natural-earth-50m/ne_50m_admin_1_states_provinces.geojson"
DAILY = "control/deepstate/daily/deepstatemap_data_{}.geojson.gz"


@pytest.fixture(scope="module")
def real(shared_data: Path) -> tuple[gpd.GeoDataFrame, object]:
    from geo.regions import load_regions

    frame = load_regions([shared_data / OCHA, shared_data / NATURAL_EARTH])  # notes logged
    return frame, country_outline(frame)


def deepstate(shared_data: Path, day: str) -> Snapshot:
    from geo.io import read

    (snap,) = read(shared_data / DAILY.format(day))
    return snap


@pytest.mark.realdata
def test_real_front_is_plausible(shared_data: Path, real: tuple[gpd.GeoDataFrame, object]) -> None:
    frame, outline = real
    assert isinstance(outline, Polygon | shapely.MultiPolygon)
    assert max(len(p.interiors) for p in shapely.get_parts(outline)) == 0  # Syvash filled
    front = frontline(deepstate(shared_data, "20250601"), outline)
    # 1,241 km: 1,162 km from the Kharkiv border to the Dnipro mouth, plus the strips
    # along the Kharkiv and Sumy borders (33, 30, 15, 1 km).
    assert 1150 < front.length_km < 1350
    assert front.n_pieces <= 8 and front.dropped_km < 5 and front.notes == ()
    assert 300 < front.pockets_km2 < 1500  # Kinburn and Dzharylhach wetlands, Utliuk liman...
    by_region = {
        name: GEOD.geometry_length(front.line.intersection(geom)) / 1e3
        for name, geom in zip(frame["region"], frame.geometry, strict=True)
    }
    assert by_region["Crimea"] == 0.0 and by_region["Sevastopol"] == 0.0
    assert by_region["Kherson"] > 200  # the Dnipro
    assert by_region["Donetsk"] > 350
    # Nothing along the Azov coast: the front keeps 50 km or more away from it.
    azov = to_equal_area(outline.boundary.intersection(box(34.6, 45.2, 39.5, 47.3)))
    assert to_equal_area(front.line).distance(azov) > 50_000


@pytest.mark.realdata
def test_real_displacement_is_plausible(
    shared_data: Path, real: tuple[gpd.GeoDataFrame, object]
) -> None:
    _, outline = real
    assert isinstance(outline, Polygon | shapely.MultiPolygon)
    early = deepstate(shared_data, "20240708")
    late = deepstate(shared_data, "20260822")
    moved = displacement(frontline(early, outline), frontline(late, outline), area_before=early)
    # 44 km west of Pokrovsk (36.91 E, 48.16 N), measured from the July 2024 line at Ocheretyne.
    assert 25 < moved.max_km < 80
    lon, lat = moved.max_location
    assert 35.5 < lon < 38.5 and 47.3 < lat < 50.0
    assert 3 < moved.mean_km < 15
    assert moved.advanced_share is not None and moved.advanced_share > 0.5
    assert moved.retreated_share is not None and moved.retreated_share < 0.05


def test_every_bundled_sample_date_has_a_front() -> None:
    """The sample's 2025-03-15 area once projected to an invalid polygon and crashed GEOS."""
    from importlib import resources

    from geo.io import read_many
    from geo.regions import load_regions

    root = resources.files("geo")
    snapshots = read_many([Path(str(root.joinpath("data/sample")))]).snapshots
    regions = load_regions(Path(str(root.joinpath("data/sample_regions/regions.geojson"))))
    outline = country_outline(regions)
    control = sorted((s for s in snapshots if s.layer == "russian_control"), key=lambda s: s.date)
    assert len(control) >= 5
    lines = [frontline(s, outline) for s in control]
    assert all(line.length_km > 500 for line in lines)
    moved = displacement(lines[0], lines[-1])
    assert 0 < moved.mean_km < moved.max_km
