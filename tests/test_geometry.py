"""Hygiene steps and areas, on tiny boxes with known areas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from geo.errors import CRSError
from geo.geometry import (
    HygieneReport,
    clean_geometries,
    equal_area_km2,
    geodesic_area_km2,
    polygonal_part,
)

BOWTIE = Polygon([(30, 48), (31, 49), (31, 48), (30, 49), (30, 48)])


def test_clean_counts_every_step() -> None:
    geoms = [
        None,
        box(30, 48, 31, 49),
        BOWTIE,
        Point(30, 48),
        GeometryCollection([box(32, 48, 33, 49), Point(3, 3)]),
        Polygon(),
    ]
    out, kept, report = clean_geometries(geoms)
    assert list(kept) == [1, 2, 4]
    assert report == HygieneReport(
        n_input=6, n_null=1, n_empty=1, n_non_polygonal=1, n_collections=1,
        n_invalid_repaired=1, n_output=3,
    )  # fmt: skip
    assert all(g.is_valid for g in out)
    assert all(g.geom_type in {"Polygon", "MultiPolygon"} for g in out)
    # The repaired bow-tie keeps its two triangles: half the box.
    assert out[1].area == pytest.approx(0.5)


def test_clean_drops_z_and_m() -> None:
    square_z = shapely.force_3d(box(30, 48, 31, 49), 5.0)
    out, _, report = clean_geometries([square_z])
    assert report.n_z_dropped == 1
    assert not shapely.has_z(out[0])


def test_clean_reprojects_web_mercator() -> None:
    # 1 degree box around (30, 48) in EPSG:3857 metres.
    merc = shapely.Polygon(
        [(3339584.7, 6106854.8), (3450904.2, 6106854.8), (3450904.2, 6274861.4),
         (3339584.7, 6274861.4)]
    )  # fmt: skip
    out, _, report = clean_geometries([merc], crs="EPSG:3857")
    assert report.reprojected and report.source_crs == "EPSG:3857"
    xmin, ymin, xmax, ymax = out[0].bounds
    assert (xmin, ymin, xmax, ymax) == pytest.approx((30, 48, 31, 49), abs=1e-4)


def test_metres_without_crs_is_a_clear_error() -> None:
    with pytest.raises(CRSError, match=r'sample\.geojson.*crs="EPSG:XXXX"'):
        clean_geometries([box(3339584, 6106854, 3450904, 6274861)], where="sample.geojson")


def test_polygonal_part_of_lines_is_none() -> None:
    assert polygonal_part(LineString([(0, 0), (1, 1)])) is None
    assert polygonal_part(None) is None


def test_report_summary_and_roundtrip() -> None:
    report = HygieneReport(n_input=3, n_null=1, n_output=2)
    assert report.summary() == "1 null geometries dropped"
    assert HygieneReport.from_dict(report.to_dict()) == report
    assert HygieneReport(n_output=2).summary() == "clean"
    assert (report + report).n_null == 2


def _ellipsoid_cell_km2(lat1: float, lat2: float, dlon: float) -> float:
    # Closed form for the area between two parallels on the WGS 84 ellipsoid.
    a, f = 6378.137, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    b2 = (a * (1 - f)) ** 2

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return math.radians(dlon) * b2 / 2 * (q(lat2) - q(lat1))


def test_geodesic_area_of_one_degree_cell() -> None:
    # Densified so that the edges follow parallels, as the closed form assumes.
    cell = shapely.segmentize(box(30, 48, 31, 49), 0.001)
    assert geodesic_area_km2(cell) == pytest.approx(_ellipsoid_cell_km2(48, 49, 1), rel=1e-5)
    assert geodesic_area_km2([cell, None])[1] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    lon=st.floats(22, 40),
    lat=st.floats(44, 53),
    width=st.floats(0.01, 3),
    height=st.floats(0.01, 3),
)
def test_equal_area_agrees_with_geodesic(
    lon: float, lat: float, width: float, height: float
) -> None:
    cell = shapely.segmentize(box(lon, lat, lon + width, lat + height), 0.05)
    geodesic = geodesic_area_km2(cell)
    albers = float(equal_area_km2(np.array([cell]))[0])
    assert albers == pytest.approx(geodesic, rel=1e-4)


def test_densify_keeps_a_polygon_with_a_collinear_spike() -> None:
    from geo.geometry import densify

    # A real gained patch of the bundled sample; shapely.segmentize (GEOS 3.14) collapses it.
    spike = shapely.from_wkt(
        "POLYGON ((38.3 47.9875, 38.3 48.6, 38.3 49.983333, 38.4 49.966666363636364, "
        "38.4 47.975, 39.8 47.8, 38.3 47.9875))"
    )
    dense = densify(spike, 0.01)
    assert dense.geom_type == "Polygon"
    assert dense.area == pytest.approx(spike.area, rel=1e-12)
    assert shapely.get_num_coordinates(dense) > 300
    edges = np.diff(shapely.get_coordinates(dense.exterior), axis=0)
    assert np.hypot(edges[:, 0], edges[:, 1]).max() <= 0.01 + 1e-12


@settings(max_examples=40, deadline=None)
@given(
    lon=st.floats(22, 40),
    lat=st.floats(44, 53),
    size=st.floats(0.05, 3),
    hole=st.floats(0.2, 0.8),
)
def test_densify_preserves_area_holes_and_parts(
    lon: float, lat: float, size: float, hole: float
) -> None:
    from geo.geometry import densify

    outer = box(lon, lat, lon + size, lat + size)
    inner = box(lon + size * 0.1, lat + size * 0.1, lon + size * hole, lat + size * hole)
    shape = shapely.MultiPolygon([outer.difference(inner), box(lon - 1, lat, lon - 0.5, lat + 0.5)])
    line = LineString([(lon, lat), (lon + size, lat)])
    arr = np.array([shape, outer, None, Polygon(), line], dtype=object)
    dense = densify(arr, 0.05)
    assert dense[0].geom_type == "MultiPolygon" and len(dense[0].geoms) == 2
    assert len(dense[0].geoms[0].interiors) == 1
    assert dense[0].area == pytest.approx(shape.area, rel=1e-9)
    assert dense[1].geom_type == "Polygon" and dense[1].area == pytest.approx(outer.area)
    assert dense[2] is None and dense[3].is_empty
    assert dense[4].length == pytest.approx(size)
    assert shapely.get_num_coordinates(dense[1]) >= 4 * size / 0.05


def test_geodesic_area_ignores_ring_orientation() -> None:
    """Parts and holes wound either way; checked against pyproj.Geod on oriented rings."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")

    def ring_km2(coords: list[tuple[float, float]]) -> float:
        lons, lats = zip(*coords, strict=True)
        return abs(geod.polygon_area_perimeter(lons, lats)[0]) / 1e6

    ccw = box(35, 48, 36, 49)
    cw = Polygon(list(ccw.exterior.coords)[::-1])
    far_cw = Polygon([(c[0] + 2, c[1]) for c in cw.exterior.coords])
    parts = shapely.MultiPolygon([ccw, far_cw])
    assert parts.is_valid
    one = ring_km2(list(ccw.exterior.coords))
    assert geodesic_area_km2(parts) == pytest.approx(one + ring_km2(list(far_cw.exterior.coords)))
    hole = [(35.2, 48.2), (35.8, 48.2), (35.8, 48.8), (35.2, 48.8)]  # counter-clockwise
    holed = Polygon(ccw.exterior.coords, [hole])
    assert holed.is_valid
    assert geodesic_area_km2(holed) == pytest.approx(one - ring_km2(hole), rel=1e-9)
    assert geodesic_area_km2(cw) == pytest.approx(one)


def test_check_lonlat_passes_empty_geometries() -> None:
    from geo.geometry import check_lonlat

    check_lonlat(np.array([Polygon(), None], dtype=object), where="f.geojson")
    with pytest.raises(CRSError, match="cannot be longitude/latitude"):
        check_lonlat(np.array([Polygon(), box(3e6, 6e6, 3.1e6, 6.1e6)]), where="f.geojson")


_CELLS = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 3), st.integers(1, 3)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(cells=_CELLS)
def test_union_polygons_equals_union_all(cells: list[tuple[int, int, int, int]]) -> None:
    """Boxes on a grid (touching, overlapping or apart): same area and shape as union_all."""
    from geo.geometry import union_polygons

    geoms = np.array(
        [
            box(30 + x * 0.1, 47 + y * 0.1, 30 + (x + w) * 0.1, 47 + (y + h) * 0.1)
            for x, y, w, h in cells
        ],
        dtype=object,
    )
    fast, slow = union_polygons(geoms), shapely.union_all(geoms)
    assert fast.is_valid and fast.geom_type in {"Polygon", "MultiPolygon"}
    assert fast.area == pytest.approx(slow.area, rel=1e-12)
    assert shapely.symmetric_difference(fast, slow).area < 1e-12
    assert geodesic_area_km2(fast) == pytest.approx(geodesic_area_km2(slow), rel=1e-9)


def test_union_polygons_edge_cases() -> None:
    from geo.geometry import union_polygons

    assert union_polygons([]).is_empty
    assert union_polygons([None, Polygon()]).is_empty
    one = box(37, 48, 38, 49)
    assert union_polygons([one, None]) is one


@settings(max_examples=60, deadline=None)
@given(
    x=st.floats(-170, 170),
    y=st.floats(-80, 75),
    size=st.floats(0.01, 4),
    hole=st.booleans(),
    flip=st.booleans(),
)
def test_geodesic_area_matches_geod_on_oriented_polygons(
    x: float, y: float, size: float, hole: bool, flip: bool
) -> None:
    """Ring by ring equals pyproj.Geod's geometry_area_perimeter on oriented polygons."""
    from geo.geometry import GEOD

    shell = box(x, y, x + size, y + size)
    inner = [box(x + size / 4, y + size / 4, x + size / 2, y + size / 2).exterior] if hole else []
    polygon = Polygon(shell.exterior, inner)
    other = box(x + 2 * size, y, x + 3 * size, y + size)
    if flip:
        polygon = shapely.reverse(polygon)
    parts = shapely.MultiPolygon([polygon, other])
    want = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(parts))[0]) / 1e6
    assert geodesic_area_km2(parts) == pytest.approx(want, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-170, 170), st.floats(-80, 80), st.floats(0.01, 5), st.booleans()),
        min_size=1,
        max_size=5,
    )
)
def test_geodesic_area_sums_like_pyproj(parts: list) -> None:
    # Ring by ring on NumPy coordinates, in pyproj's order: the very same float.
    from geo.geometry import GEOD

    polys = []
    for x, y, size, holed in parts:
        outer = shapely.box(x, y, x + size, y + size / 2)
        hole = [shapely.box(x + size / 4, y + size / 8, x + size / 2, y + size / 4).exterior.coords]
        poly = shapely.Polygon(outer.exterior.coords, hole if holed else None)
        polys.append(poly if len(polys) % 2 else poly.reverse())
    geom = shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
    area_m2, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    assert geodesic_area_km2(geom) == abs(float(area_m2)) / 1e6
