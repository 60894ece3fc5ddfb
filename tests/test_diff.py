"""Tests of geo.diff: totals, identities, local vs whole overlay, slivers, regions, real data."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import make_snapshot
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.polygon import orient

import geo.overlay as geooverlay
from geo.diff import (
    DEFAULT_MIN_AREA_KM2,
    Diff,
    SliverFilter,
    diff,
    diff_geometries,
    diff_series,
)
from geo.errors import CRSError, InputFormatError, RegionError, ValidationError
from geo.geometry import clean_geometries, densify, equal_area_km2, geodesic_area_km2
from geo.snapshot import Snapshot

D1, D2 = dt.date(2024, 7, 1), dt.date(2024, 7, 2)
DAILY = "control/deepstate/daily"
OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"


def km2(geom: object) -> float:
    """Albers area after densifying to 0.01 degree, as geo.diff measures."""
    # densify, not shapely.segmentize: GEOS 3.14's polygon densifier can collapse slivers.
    return float(equal_area_km2(densify(np.array([geom], dtype=object), 0.01))[0])


def wiggly(cx: float = 35.0, cy: float = 48.0, n: int = 1500) -> Polygon:
    """A star-ish polygon with many vertices, so that local changes stay local."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1.0 + 0.05 * np.sin(17 * t)
    return Polygon(np.column_stack([cx + r * np.cos(t), cy + 0.7 * r * np.sin(t)]))


def regions_frame(*rows: tuple[str, object], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"region": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=crs
    )


# --- totals on boxes with known areas ---------------------------------------------------


def test_shifted_box_totals() -> None:
    a, b = box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    assert d.gained_km2 == pytest.approx(km2(box(31, 48, 31.5, 49)), rel=1e-9)
    assert d.lost_km2 == pytest.approx(km2(box(30, 48, 30.5, 49)), rel=1e-9)
    assert d.net_km2 == pytest.approx(d.area_to_km2 - d.area_from_km2, abs=1e-6)
    assert d.unchanged_km2 == pytest.approx(km2(box(30.5, 48, 31, 49)), rel=1e-9)
    assert d.gained.equals(box(31, 48, 31.5, 49))
    data = d.to_dict()
    assert (data["from"], data["to"], data["days"]) == ("2024-07-01", "2024-07-02", 1)
    assert data["source"] == "test" and data["layer"] == "russian_control"
    assert "Albers" in data["method"] and "Mercator" in data["method"]
    assert data["raw"]["gained_km2"] == data["gained_km2"] > 3000
    assert data["regions"] == [] and "outside_regions" not in data
    json.dumps(data)  # JSON-ready


def test_identical_and_reoriented_snapshots_are_empty() -> None:
    poly = Polygon(wiggly().exterior, [box(34.8, 47.9, 35.2, 48.1).exterior])
    reoriented = orient(poly, sign=-1.0)
    for other in (poly, reoriented):
        d = diff(make_snapshot(poly, D1), make_snapshot(other, D2))
        assert d.gained_raw_km2 == d.lost_raw_km2 == 0.0
        assert d.overlay.startswith("local (0 boxes")
        assert d.area_to_km2 == pytest.approx(d.area_from_km2, rel=1e-12)
        assert len(d.to_geodataframe(raw=True)) == 0 and d.gained.is_empty


def test_empty_snapshots() -> None:
    a = box(30, 48, 31, 49)
    grow = diff(make_snapshot(None, D1), make_snapshot(a, D2))
    assert grow.gained_km2 == pytest.approx(km2(a)) and grow.lost_km2 == 0.0
    shrink = diff(make_snapshot(a, D1), make_snapshot(None, D2))
    assert shrink.lost_km2 == pytest.approx(km2(a)) and shrink.area_to_km2 == 0.0


# --- the local overlay ------------------------------------------------------------------


def test_local_overlay_equals_whole_overlay() -> None:
    a = wiggly()
    bump, dent, island = (
        box(35.95, 47.9, 36.2, 48.1),
        box(33.9, 47.9, 34.1, 48.0),
        box(37, 50, 37.1, 50.1),
    )
    b = shapely.union_all([shapely.difference(a, dent), bump, island])
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    assert d.overlay.startswith("local")
    assert d.gained_raw_km2 == pytest.approx(km2(b.difference(a)), rel=1e-9)
    assert d.lost_raw_km2 == pytest.approx(km2(a.difference(b)), rel=1e-9)
    assert d.area_to_km2 == pytest.approx(km2(b), abs=1e-6)  # derived, not recomputed
    gained, lost = diff_geometries(a, b)
    assert gained.symmetric_difference(b.difference(a)).area < 1e-12
    assert lost.symmetric_difference(a.difference(b)).area < 1e-12
    assert len(d.gained.geoms) == 2 and len(d.lost.geoms) == 1


def test_failed_local_check_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    a = wiggly()
    b = shapely.union_all([a, box(35.95, 47.9, 36.2, 48.1)])
    monkeypatch.setattr(geooverlay, "_CHECK_TOL_DEG2", -1.0)
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    assert d.overlay == "whole geometries (the local check failed)"
    assert d.gained_raw_km2 == pytest.approx(km2(b.difference(a)), rel=1e-9)


def test_unrelated_geometries_still_go_local() -> None:
    a = wiggly()
    for b in (translate(a, 0.001, 0.0), wiggly(35.3, 48.2, 700)):  # every segment differs
        d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
        assert d.overlay.startswith("local (")
        assert d.gained_raw_km2 == pytest.approx(km2(b.difference(a)), rel=1e-9)
        assert d.lost_raw_km2 == pytest.approx(km2(a.difference(b)), rel=1e-9)


def test_many_small_parts_clip_part_by_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of scattered parts (the 200k-feature case, small): same figures as shapely.

    Every part is clipped through a tree of parts, not the whole geometry per box
    (that was quadratic: two 200,000-part snapshots never finished).
    """
    rng = np.random.default_rng(7)
    corners = rng.uniform([34.0, 47.0], [36.0, 49.0], size=(600, 2))
    cells = [box(x, y, x + 0.01, y + 0.01) for x, y in corners]
    a = shapely.union_all(cells[:400])
    b = shapely.union_all(cells[200:])
    assert shapely.get_num_geometries(a) > geooverlay._MANY_PARTS
    calls: list[int] = []
    monkeypatch.setattr(geooverlay, "_clip_parts", _counting(geooverlay._clip_parts, calls))
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2), min_area_km2=0, min_width_m=0)
    assert calls and d.overlay.startswith("local (")
    assert d.gained_raw_km2 == pytest.approx(km2(b.difference(a)), rel=1e-9)
    assert d.lost_raw_km2 == pytest.approx(km2(a.difference(b)), rel=1e-9)


def _counting(func: Any, calls: list[int]) -> Any:
    def counted(*args: Any) -> Any:
        calls.append(1)
        return func(*args)

    return counted


def test_patches_sharing_an_edge_are_told_apart() -> None:
    # Gained and lost share an edge: a symmetric difference would merge them into one
    # part; the two local differences keep them apart.
    a, b = box(30, 48, 31, 49), box(31, 48, 32.5, 49)
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2), min_area_km2=0, min_width_m=0)
    assert d.overlay.startswith("local (")
    assert d.gained.equals(b) and d.lost.equals(a)
    assert d.gained_km2 == pytest.approx(km2(b)) and d.lost_km2 == pytest.approx(km2(a))


def test_merge_boxes_leaves_disjoint_boxes() -> None:
    boxes = np.array(
        [[0, 0, 1, 1], [1, 1, 2, 2], [5, 5, 6, 6], [0.5, 3, 0.6, 4], [0.55, 0.9, 0.56, 3.1]]
    )
    merged = geooverlay._merge_boxes(boxes.astype(float))
    assert sorted(map(tuple, merged.tolist())) == [(0, 0, 2, 4), (5, 5, 6, 6)]


# --- property tests ---------------------------------------------------------------------

cell = st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(1, 4), st.integers(1, 4))


def cells(items: list[tuple[int, int, int, int]]) -> object:
    """Union of grid boxes (0.1 degree cells) near 30 E, 48 N: shared edges on purpose."""
    return shapely.union_all(
        [
            box(30 + x / 10, 48 + y / 10, 30 + (x + w) / 10, 48 + (y + h) / 10)
            for x, y, w, h in items
        ]
    )


QUADRANTS = regions_frame(
    ("SW", box(29, 47, 30.5, 48.5)), ("SE", box(30.5, 47, 32, 48.5)),
    ("NW", box(29, 48.5, 30.5, 50)), ("NE", box(30.5, 48.5, 32, 50)),
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(cell, min_size=1, max_size=6), st.lists(cell, max_size=3), st.lists(cell, max_size=3)
)
# Gained and lost parts sharing an edge, whose misclassifications cancelled in deg² once.
@example(base=[(0, 4, 1, 4), (2, 1, 3, 4), (2, 3, 2, 4)], add=[], cut=[(1, 1, 2, 4), (2, 5, 4, 2)])
@example(base=[(0, 0, 1, 4), (2, 1, 3, 4), (2, 3, 2, 4)], add=[], cut=[(1, 0, 2, 3), (2, 5, 4, 2)])
def test_identities(base: list, add: list, cut: list) -> None:
    a = cells(base)
    # b is a with local edits, or an unrelated union (most segments differ, and edges
    # shared with sides swapped send some examples down the whole-overlay fallback)
    for b in (
        shapely.difference(shapely.union_all([a, cells(add)]), cells(cut)),
        cells(add or cut or base),
    ):
        d = diff(
            make_snapshot(a, D1),
            make_snapshot(b, D2),
            regions=QUADRANTS,
            region_names=QUADRANTS["region"],  # every quadrant, held or not
            min_area_km2=0,
            min_width_m=0,
        )
        unchanged = km2(shapely.intersection(a, b))
        tol = 1e-6 * max(d.area_from_km2, d.area_to_km2, 1.0)
        assert d.area_from_km2 == pytest.approx(unchanged + d.lost_km2, abs=tol)
        assert d.area_to_km2 == pytest.approx(unchanged + d.gained_km2, abs=tol)
        assert d.area_from_km2 == pytest.approx(km2(a), abs=tol)
        assert d.area_to_km2 == pytest.approx(km2(b), abs=tol)
        for key in ("area_from_km2", "area_to_km2", "gained_km2", "lost_km2"):
            assert sum(getattr(r, key) for r in d.regions) == pytest.approx(
                getattr(d, key), abs=tol
            )
        for r, (_, quadrant) in zip(d.regions, QUADRANTS.itertuples(index=False), strict=True):
            assert r.area_to_km2 == pytest.approx(km2(shapely.intersection(b, quadrant)), abs=tol)
        same = diff(make_snapshot(a, D1), make_snapshot(a, D2), regions=QUADRANTS)
        assert same.gained_raw_km2 == same.lost_raw_km2 == 0.0
        assert all(r.net_km2 == 0.0 for r in same.regions)
        # by default only the quadrants near the ground: those left out hold nothing
        near = diff(make_snapshot(a, D1), make_snapshot(b, D2), regions=QUADRANTS)
        kept = {r.region for r in near.regions}
        for r in d.regions:
            if r.region not in kept:
                assert r.area_from_km2 == r.area_to_km2 == 0.0, r.region
        assert {r.region for r in d.regions if r.area_from_km2 or r.area_to_km2} <= kept


# --- sliver filter ----------------------------------------------------------------------


def test_sliver_filter_drops_thin_and_tiny_patches() -> None:
    a = box(35, 48, 35.5, 48.5)
    sliver = box(35.5, 48.1, 35.500013, 48.4)  # ~1 m wide, 33 km long: 0.03 km²
    crumb = box(35.2, 48.5, 35.2003, 48.5002)  # ~22 m x 22 m: 0.0005 km²
    real = box(35.5, 48.0, 35.52, 48.02)  # ~1.5 x 2.2 km
    b = shapely.union_all([a, sliver, crumb, real])
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    assert d.gained_km2 == pytest.approx(km2(real), rel=1e-6)
    # densified chords along a's split edges differ by ~1e-5 km² from a's own
    assert d.gained_raw_km2 == pytest.approx(km2(b) - km2(a), abs=1e-4)
    assert d.to_dict()["sliver_filter"]["patches_dropped"] == 2
    assert "opening of 1 m" in d.sliver_filter.description
    everything = diff(make_snapshot(a, D1), make_snapshot(b, D2), min_area_km2=0, min_width_m=0)
    assert everything.gained_km2 == everything.gained_raw_km2
    wide_only = diff(make_snapshot(a, D1), make_snapshot(b, D2), min_area_km2=0)
    assert wide_only.gained_km2 == pytest.approx(km2(real) + km2(crumb), rel=1e-6)
    raw = d.to_geodataframe(raw=True)
    assert sorted(raw["kept"]) == [False, False, True] and len(d.to_geodataframe()) == 1


@pytest.mark.parametrize("kwargs", [{"min_area_km2": -1.0}, {"min_width_m": math.nan}])
def test_sliver_filter_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="sliver filter"):
        SliverFilter(**kwargs)
    assert SliverFilter().min_area_km2 == DEFAULT_MIN_AREA_KM2


# --- regions, patches, output -----------------------------------------------------------


def two_regions() -> gpd.GeoDataFrame:
    return regions_frame(("West <Oblast>", box(29, 47, 31, 50)), ("East & Co", box(31, 47, 33, 50)))


def test_per_region_change_and_shares() -> None:
    a = box(30, 48, 31.5, 49)
    b = shapely.union_all([box(30, 48, 30.8, 49), box(31.5, 48, 31.8, 49)])
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2), regions=two_regions())
    west, east = d.regions
    assert west.lost_km2 == pytest.approx(km2(box(30.8, 48, 31, 49)), rel=1e-9)
    assert east.lost_km2 == pytest.approx(km2(box(31, 48, 31.5, 49)), rel=1e-9)
    assert east.gained_km2 == pytest.approx(km2(box(31.5, 48, 31.8, 49)), rel=1e-9)
    assert west.area_to_km2 == pytest.approx(km2(box(30, 48, 30.8, 49)), rel=1e-9)
    assert east.share_to_pct == pytest.approx(100 * east.area_to_km2 / km2(box(31, 47, 33, 50)))
    row = d.to_dict()["regions"][1]
    assert set(row) >= {"region", "area_from_km2", "area_to_km2", "gained_km2", "lost_km2",
                        "share_to_pct", "share_from_pct", "region_area_km2"}  # fmt: skip
    assert all(abs(v) < 1e-6 for v in d.to_dict()["outside_regions"].values())
    top = d.largest_changes(2)
    assert list(top["region"]) == ["East & Co", "East & Co"]
    assert list(top["change"]) == ["lost", "gained"]  # 0.5 then 0.3 degrees wide
    html = d._repr_html_()
    assert "East &amp; Co" in html and "&lt;Oblast&gt;" in html and "<Oblast>" not in html


def test_largest_changes_centroids_and_kinds() -> None:
    a = wiggly()
    big, small = box(35.95, 47.9, 36.2, 48.1), box(33.9, 47.95, 34.05, 48.05)
    b = shapely.difference(shapely.union_all([a, big]), small)
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    gained = d.largest_changes(5, change="gained")
    assert list(gained["change"]) == ["gained"] and gained["region"].isna().all()
    centroid = b.difference(a).centroid
    assert gained["lon"][0] == pytest.approx(centroid.x, abs=0.01)
    assert gained["lat"][0] == pytest.approx(centroid.y, abs=0.01)
    assert list(d.largest_changes(1)["change"]) == ["gained"]
    assert len(d.largest_changes(0)) == 0
    with pytest.raises(ValidationError, match="gained/lost"):
        d.largest_changes(change="won")


def test_regions_reprojected_merged_and_checked() -> None:
    west = box(29, 47, 31, 50)
    halves = regions_frame(("West", box(29, 47, 30, 50)), ("West", box(30, 47, 31, 50)))
    merc = regions_frame(("West", west)).to_crs("EPSG:3857")
    a, b = box(30, 48, 30.5, 49), box(30, 48, 30.7, 49)
    for frame in (halves, merc):
        (region,) = diff(make_snapshot(a, D1), make_snapshot(b, D2), regions=frame).regions
        assert region.region == "West"
        assert region.region_area_km2 == pytest.approx(km2(west), rel=1e-6)
        assert region.gained_km2 == pytest.approx(km2(box(30.5, 48, 30.7, 49)), rel=1e-6)
    with pytest.raises(RegionError, match="no 'region' column"):
        diff(
            make_snapshot(a, D1),
            make_snapshot(b, D2),
            regions=halves.rename(columns={"region": "name"}),
        )
    bad = regions_frame(("Dot", Point(30, 48)), ("Empty", Polygon()))
    with pytest.raises(
        RegionError, match=r"row 0 \('Dot'\) has Point; row 1 \('Empty'\) has no geometry"
    ):
        diff(make_snapshot(a, D1), make_snapshot(b, D2), regions=bad)


def test_repr_and_geodataframe() -> None:
    a, b = box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)
    d = diff(make_snapshot(a, D1), make_snapshot(b, D2))
    text = repr(d)
    assert "\n" not in text and "2024-07-01 → 2024-07-02" in text and "gained" in text
    frame = d.to_geodataframe()
    assert list(frame["change"]) == ["gained", "lost"] and frame.crs == "EPSG:4326"
    assert isinstance(d, Diff) and d.unchanged.equals(box(30.5, 48, 31, 49))


# --- pairs and series -------------------------------------------------------------------


def test_mixed_pairs_need_allow_mixed() -> None:
    a, b = box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)
    with pytest.raises(ValidationError, match="layers differ"):
        diff(make_snapshot(a, D1), make_snapshot(b, D2, layer="liberated"))
    with pytest.raises(ValidationError, match="dates differ"):
        diff(make_snapshot(a, D1, source="isw"), make_snapshot(b, D2, source="deepstate"))
    same_day = diff(make_snapshot(a, D1, source="isw"), make_snapshot(b, D1, source="deepstate"))
    assert same_day.to_dict()["source"] == "isw vs deepstate" and same_day.notes == ()
    mixed = diff(make_snapshot(a, D1), make_snapshot(b, D2, layer="liberated"), allow_mixed=True)
    assert mixed.layer == "russian_control vs liberated" and "layers differ" in mixed.notes[0]
    backwards = diff(make_snapshot(a, D2), make_snapshot(b, D1))
    assert "earlier" in backwards.notes[0] and backwards.to_dict()["days"] == -1


def test_diff_geometries_rejects_bad_input() -> None:
    a = box(30, 48, 31, 49)
    with pytest.raises(InputFormatError, match=r"geometry b: a Point has no area"):
        diff_geometries(a, Point(30, 48))
    bowtie = Polygon([(30, 48), (31, 49), (31, 48), (30, 49)])
    with pytest.raises(InputFormatError, match=r"invalid polygon.*clean_geometries"):
        diff_geometries(bowtie, a)
    with pytest.raises(CRSError):
        diff_geometries(box(3.3e6, 6.1e6, 3.4e6, 6.2e6), a)
    gained, lost = diff_geometries(MultiPolygon([a]), a)
    assert gained.is_empty and lost.is_empty


def test_series_carries_areas() -> None:
    a = wiggly()
    steps = [a, shapely.union_all([a, box(35.95, 47.9, 36.2, 48.1)])]
    steps.append(shapely.difference(steps[-1], box(34.9, 47.2, 35.1, 47.5)))  # across W/E
    steps.append(translate(steps[-1], 0.002, 0))  # every segment differs
    steps.append(shapely.union_all([steps[-1], box(33.9, 48.4, 34.3, 48.6)]))
    regions = regions_frame(("W", box(30, 40, 35, 55)), ("E", box(35, 40, 40, 55)))
    snaps = [make_snapshot(g, D1 + dt.timedelta(days=i)) for i, g in enumerate(steps)]
    diffs = diff_series(snaps, regions=regions)
    assert all(d.overlay.startswith("local") for d in diffs)
    for d, geom in zip(diffs, steps[1:], strict=True):
        assert d.area_to_km2 == pytest.approx(km2(geom), rel=1e-8)  # cuts cost a few m²
        for r, (_, region) in zip(d.regions, regions.itertuples(index=False), strict=True):
            assert r.area_to_km2 == pytest.approx(km2(geom.intersection(region)), rel=1e-8)
    assert diff_series(snaps[:1]) == [] and diff_series([]) == []


# --- real archives ----------------------------------------------------------------------


def read_daily(path: Path) -> Snapshot:
    """A DeepState daily file as a snapshot, without geo.io."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        data = json.load(stream)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    clean, _, report = clean_geometries(geoms, where=path.name)
    date = dt.datetime.strptime(path.name[18:26], "%Y%m%d").date()
    return make_snapshot(clean, date, source="deepstate", path=str(path), hygiene=report)


@pytest.fixture(scope="module")
def daily(shared_data: Path) -> list[Path]:
    paths = sorted((shared_data / DAILY).glob("deepstatemap_data_*.geojson.gz"))
    assert len(paths) == 769
    return paths


# Consecutive files: a quiet day, busy days, a day after a missing date, a re-digitised day.
PAIRS = [0, 40, 65, 85, 100, 404, 600]


@pytest.mark.realdata
def test_real_pairs_match_plain_overlay(daily: list[Path]) -> None:
    """8 pairs, each also run through a plain shapely overlay (~0.5 s)."""
    pairs = [(daily[i], daily[i + 1]) for i in PAIRS] + [(daily[0], daily[-1])]
    gross_raw = gross_kept = 0.0
    for path_a, path_b in pairs:
        a, b = read_daily(path_a), read_daily(path_b)
        d = diff(a, b)
        gained, lost = b.geometry.difference(a.geometry), a.geometry.difference(b.geometry)
        assert d.gained_raw_km2 == pytest.approx(km2(gained), rel=1e-9, abs=1e-9)  # agree to 2e-11
        assert d.lost_raw_km2 == pytest.approx(km2(lost), rel=1e-9, abs=1e-9)
        assert d.area_to_km2 == pytest.approx(km2(b.geometry), rel=1e-9)
        gross_raw += d.gained_raw_km2 + d.lost_raw_km2
        gross_kept += d.gained_km2 + d.lost_km2
    assert d.date_to == dt.date(2026, 8, 22) and d.gained_km2 > 5000  # the long gap
    # the default sliver filter changes the totals by far less than 1 %
    assert 0 < (gross_raw - gross_kept) / gross_raw < 0.01
    assert d.gained_km2 == pytest.approx(d.gained_raw_km2, rel=2e-5)  # the filter: 1.6e-6
    assert d.lost_km2 == pytest.approx(d.lost_raw_km2, rel=0.01)


@pytest.mark.realdata
def test_real_albers_agrees_with_geodesic(daily: list[Path]) -> None:
    """Densified Albers vs pyproj.Geod on the same vertices, to 0.01 %.

    Thin patches are measured on densified geometries by both: there, edge
    interpretation (geodesic or straight in lon/lat) alone moves areas by 0.5 %.
    """
    pairs = [(daily[i], daily[i + 1]) for i in (0, 85, 404)] + [(daily[0], daily[-1])]
    for path_a, path_b in pairs:
        a, b = read_daily(path_a), read_daily(path_b)
        d = diff(a, b)
        for geom, albers in ((d.gained, d.gained_km2), (d.lost, d.lost_km2)):
            geodesic = float(geodesic_area_km2(shapely.segmentize(geom, 0.01)))
            assert albers == pytest.approx(geodesic, rel=1e-6)  # agrees to 9.6e-8
        assert d.area_from_km2 == pytest.approx(a.area_km2, rel=5e-5)  # geodesic, not densified
        assert d.area_to_km2 == pytest.approx(b.area_km2, rel=5e-5)  # both agree to 4.9e-6


@pytest.mark.realdata
def test_real_regions_derived_areas(shared_data: Path, daily: list[Path]) -> None:
    """Ten consecutive days against OCHA oblasts: derived areas equal direct overlays."""
    ocha = gpd.read_file(shared_data / OCHA, encoding="utf-8")
    regions = gpd.GeoDataFrame({"region": ocha["ADM1_PCODE"]}, geometry=ocha.geometry, crs=ocha.crs)
    snaps = [read_daily(p) for p in daily[80:90]]
    diffs = diff_series(snaps, regions=regions, region_names=regions["region"])  # all 27
    last = snaps[-1].geometry
    by_code = {r.region: r for r in diffs[-1].regions}
    for code, geom in zip(regions["region"], regions.geometry, strict=True):
        assert by_code[code].area_to_km2 == pytest.approx(km2(last.intersection(geom)), abs=5e-5)
    donetsk = by_code["UA14"]
    assert 50 < donetsk.share_to_pct < 80 and donetsk.region_area_km2 == pytest.approx(
        26_506,
        rel=3e-5,  # the README's figure; agrees to 2.4e-6
    )
    for d in diffs:
        outside = d.to_dict()["outside_regions"]  # sea and the Syvash lagoon are in no oblast
        assert outside["gained_km2"] >= -1e-3 and outside["area_to_km2"] > 1000


# --- notebook API: map, reprs ------------------------------------------------------------


def test_map_returns_folium_map_with_sample_notice() -> None:
    import folium

    from geo.sample import SAMPLE_NOTICE

    a, b = box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)
    fmap = diff(make_snapshot(a, D1), make_snapshot(b, D2), regions=two_regions()).map(
        tiles=None, top_n=1
    )
    assert isinstance(fmap, folium.Map)
    page = fmap.get_root().render()
    assert "East &amp; Co" in page and "&lt;Oblast&gt;" in page and "<Oblast>" not in page
    assert SAMPLE_NOTICE not in page
    sample = diff(make_snapshot(a, D1, source="sample"), make_snapshot(b, D2, source="sample")).map(
        tiles=None
    )
    assert SAMPLE_NOTICE in sample.get_root().render()
    mixed = diff(make_snapshot(a, D1), make_snapshot(b, D1, source="sample"), allow_mixed=True)
    assert f"{SAMPLE_NOTICE} - Draft" in mixed.map(tiles=None, notice="Draft").get_root().render()


def test_repr_one_line_and_html_escaped_with_hostile_names() -> None:
    hostile = "<img src=x onerror=alert(1)>\n"
    a, b = box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)
    regions = regions_frame((hostile, box(29, 47, 33, 50)))
    d = diff(
        make_snapshot(a, D1, source=hostile), make_snapshot(b, D2, source=hostile), regions=regions
    )
    text = repr(d)
    assert text.splitlines() == [text] and "alert(1)>\\x0a/russian_control" in text
    page = d._repr_html_()
    assert "<img" not in page and "\n" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;\\x0a") == 2  # caption and region row
    assert "<th>Net km²</th>" in page and "<td>Total</td>" in page


def test_bundled_sample_diffs_match_plain_geodesic_overlays() -> None:
    """Every consecutive sample diff against pyproj.Geod on a plain shapely overlay.

    The sample's straight fronts make near-collinear spikes: GEOS 3.14's polygon
    densifier once collapsed a 1,619 km² gained patch to 3e-6 km² here.
    """
    from importlib import resources

    from geo.io import read_many

    snapshots = read_many([Path(str(resources.files("geo").joinpath("data/sample")))]).snapshots
    by_layer: dict[str, list[Snapshot]] = {}
    for s in snapshots:
        by_layer.setdefault(s.layer, []).append(s)
    checked = 0
    for series in by_layer.values():
        series.sort(key=lambda s: s.date)
        for a, b in itertools.pairwise(series):
            d = diff(a, b)
            gained = float(geodesic_area_km2(shapely.difference(b.geometry, a.geometry)))
            lost = float(geodesic_area_km2(shapely.difference(a.geometry, b.geometry)))
            # Long sample edges: lon/lat-straight vs geodesic edges differ by ~0.1 %.
            assert d.gained_raw_km2 == pytest.approx(gained, rel=5e-3, abs=0.01)
            assert d.lost_raw_km2 == pytest.approx(lost, rel=5e-3, abs=0.01)
            assert d.area_from_km2 + d.gained_raw_km2 - d.lost_raw_km2 == pytest.approx(
                d.area_to_km2, rel=1e-6
            )
            checked += 1
    assert checked >= 8


# --- chunks and executors: identical to one serial pass --------------------------------


def diff_fingerprint(diffs: list) -> list:
    """Everything a diff says, exactly: figures, regions, overlay and the patches (as WKB)."""
    return [
        (
            d.to_dict(),
            d.patches.gained.tolist(), d.patches.kept.tolist(), d.patches.area_km2.tolist(),
            d.patches.region.tolist(), [shapely.to_wkb(g) for g in d.patches.geoms],
            shapely.to_wkb(d.geometry_from), shapely.to_wkb(d.geometry_to),
        )
        for d in diffs
    ]  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(cell, max_size=4), min_size=2, max_size=9),
    st.integers(1, 4),
)
def test_chunked_series_equals_one_serial_pass(steps: list, chunk_pairs: int) -> None:
    # A walk of edits (some empty snapshots, some unrelated ones: whole overlays) diffed
    # in chunks of a few pairs must give exactly what one pass over all pairs gives,
    # areas chained across chunk boundaries included.
    geoms = [cells(items) if items else None for items in steps]
    snaps = [make_snapshot(g, D1 + dt.timedelta(days=i)) for i, g in enumerate(geoms)]
    one = diff_series(snaps, regions=QUADRANTS)
    import geo.changes as changes

    original = changes.CHUNK_PAIRS
    try:
        changes.CHUNK_PAIRS = chunk_pairs
        chunked = diff_series(snaps, regions=QUADRANTS)
    finally:
        changes.CHUNK_PAIRS = original
    assert diff_fingerprint(chunked) == diff_fingerprint(one)


def test_threads_and_processes_give_identical_diffs(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import geo.changes as changes

    base = wiggly()
    snaps = [
        make_snapshot(
            shapely.difference(base, Point(35 + 0.1 * i, 48.5).buffer(0.05 + 0.01 * i)),
            D1 + dt.timedelta(days=i),
        )
        for i in range(9)
    ]
    snaps.append(make_snapshot(translate(base, 0.3), D1 + dt.timedelta(days=9)))  # a whole overlay
    regions = regions_frame(("W", box(33, 46, 35, 50)), ("E", box(35, 46, 37, 50)))
    serial = diff_fingerprint(diff_series(snaps, regions=regions))
    monkeypatch.setattr(changes, "CHUNK_PAIRS", 2)
    with ThreadPoolExecutor(3) as pool:
        threads = diff_fingerprint(diff_series(snaps, regions=regions, executor=pool))
    processes = diff_fingerprint(diff_series(snaps, regions=regions, jobs=2))
    assert threads == serial
    assert processes == serial


def test_diff_series_of_a_stored_series(store_dir: Path) -> None:
    from geo.store import open_store

    store = open_store(store_dir)
    snaps = [
        make_snapshot(cells([(0, 0, 3, 3), (i, 5, 2, 1)]), D1 + dt.timedelta(days=i))
        for i in range(5)
    ]
    store.ingest(snaps)
    from_store = diff_series(store.read_series("russian_control"), regions=QUADRANTS)
    in_memory = diff_series(store.series("russian_control"), regions=QUADRANTS)
    assert diff_fingerprint(from_store) == diff_fingerprint(in_memory)
    assert [d.date_to for d in from_store] == [s.date for s in snaps[1:]]


def test_progress_bar_counts_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    snaps = [
        make_snapshot(box(30, 48, 31 + i / 10, 49), D1 + dt.timedelta(days=i)) for i in range(4)
    ]
    diff_series(snaps, progress=True)
    err = capsys.readouterr().err
    assert "diffing" in err and "/3 " in err and "pair" in err
