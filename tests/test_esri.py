"""Tests for geo.esri: ArcGIS REST f=json query responses."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon

from geo.errors import InputFormatError
from geo.esri import is_esri_json, parse_esri_json


def square(x0: float, y0: float, size: float, *, clockwise: bool) -> list[list[float]]:
    """A closed square ring; clockwise = Esri outer shell, counter-clockwise = hole."""
    x1, y1 = x0 + size, y0 + size
    ccw = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return ccw[::-1] if clockwise else ccw


def response(*geometries: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    features = [
        {"attributes": {"OBJECTID": i + 1, "name": f"f{i}"}, "geometry": g}
        for i, g in enumerate(geometries)
    ]
    data: dict[str, Any] = {
        "objectIdFieldName": "OBJECTID",
        "geometryType": "esriGeometryPolygon",
        "spatialReference": {"wkid": 4326, "latestWkid": 4326},
        "features": features,
    }
    data.update(extra)
    return data


def one_polygon(rings: list[list[list[float]]]) -> Any:
    geoms, _, _ = parse_esri_json(response({"rings": rings}), where="q.json")
    return geoms[0]


# --- detection ------------------------------------------------------------------------------


def test_is_esri_json() -> None:
    assert is_esri_json(response({"rings": [square(0, 0, 1, clockwise=True)]}))
    assert is_esri_json({"features": [{"attributes": {"a": 1}}]})
    assert is_esri_json({"spatialReference": {"wkid": 3857}, "features": []})
    assert is_esri_json({"features": [{"geometry": {"x": 1, "y": 2}}]})
    assert is_esri_json({"error": {"code": 400, "message": "Invalid query", "details": []}})
    geojson = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": None}],
    }
    assert not is_esri_json(geojson)
    assert not is_esri_json({"type": "FeatureCollection", "spatialReference": {}, "features": []})
    assert not is_esri_json({"features": [{"type": "Feature", "properties": {"a": 1}}]})
    assert not is_esri_json({"features": "nope", "geometryType": "esriGeometryPolygon"})
    assert not is_esri_json({})


# --- CRS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spatial_reference", "expected"),
    [
        ({"wkid": 4326}, "EPSG:4326"),
        ({"wkid": 102100, "latestWkid": 3857}, "EPSG:3857"),
        ({"wkid": 102100}, "EPSG:3857"),
        ({"wkid": 102113}, "EPSG:3857"),
        ({"wkid": 32636, "latestWkid": 32636}, "EPSG:32636"),
        ({"wkid": 54009}, "ESRI:54009"),
        ({"wkt": 'GEOGCS["GCS_WGS_1984"]'}, 'GEOGCS["GCS_WGS_1984"]'),
        ({}, None),
        (None, None),
    ],
)
def test_crs(spatial_reference: dict[str, Any] | None, expected: str | None) -> None:
    data = response({"rings": [square(0, 0, 1, clockwise=True)]})
    data["spatialReference"] = spatial_reference
    assert parse_esri_json(data, where="q.json")[2] == expected


def test_crs_from_geometry_and_bad_wkid() -> None:
    data = response(
        {"rings": [square(0, 0, 1, clockwise=True)], "spatialReference": {"wkid": 102100}}
    )
    del data["spatialReference"]
    assert parse_esri_json(data, where="q.json")[2] == "EPSG:3857"
    data["spatialReference"] = {"wkid": "web mercator"}
    with pytest.raises(InputFormatError, match=r"q\.json: spatialReference wkid .*pass crs="):
        parse_esri_json(data, where="q.json")


# --- polygons and the ring rule -------------------------------------------------------------


def test_shell_and_hole() -> None:
    poly = one_polygon([square(0, 0, 10, clockwise=True), square(2, 2, 2, clockwise=False)])
    assert isinstance(poly, Polygon)
    assert len(poly.interiors) == 1
    assert poly.area == pytest.approx(96.0)


def test_two_separate_shells() -> None:
    poly = one_polygon([square(0, 0, 10, clockwise=True), square(20, 0, 3, clockwise=True)])
    assert isinstance(poly, MultiPolygon)
    assert len(poly.geoms) == 2
    assert poly.area == pytest.approx(109.0)


def test_hole_goes_to_the_shell_that_contains_it() -> None:
    rings = [
        square(0, 0, 10, clockwise=True),
        square(20, 0, 10, clockwise=True),
        square(22, 2, 3, clockwise=False),  # inside the second shell only
    ]
    poly = one_polygon(rings)
    assert isinstance(poly, MultiPolygon)
    first, second = poly.geoms
    assert len(first.interiors) == 0 and len(second.interiors) == 1
    assert poly.area == pytest.approx(100.0 + 91.0)


def test_island_in_a_lake() -> None:
    rings = [
        square(0, 0, 10, clockwise=True),
        square(2, 2, 6, clockwise=False),  # lake
        square(4, 4, 2, clockwise=True),  # island in the lake
    ]
    poly = one_polygon(rings)
    assert isinstance(poly, MultiPolygon)
    assert poly.area == pytest.approx(100.0 - 36.0 + 4.0)
    assert poly.is_valid


def test_ogc_orientation_falls_back_to_nesting() -> None:
    # Outer ring counter-clockwise, hole clockwise: the Esri rule would make the
    # hole a shell and the shell an orphan hole; nesting keeps the true area.
    poly = one_polygon([square(0, 0, 10, clockwise=False), square(2, 2, 2, clockwise=True)])
    assert isinstance(poly, Polygon)
    assert poly.area == pytest.approx(96.0)
    single = one_polygon([square(0, 0, 10, clockwise=False)])
    assert single.area == pytest.approx(100.0)


def test_unclosed_ring_is_closed_and_degenerate_ring_refused() -> None:
    poly = one_polygon([square(0, 0, 10, clockwise=True)[:-1]])
    assert poly.area == pytest.approx(100.0)
    with pytest.raises(InputFormatError, match=r"q\.json: feature 0 \(OBJECTID 1\): ring 0"):
        one_polygon([[[0, 0], [1, 1], [0, 0]]])


def test_self_intersecting_ring_is_kept_for_hygiene() -> None:
    bowtie: list[list[float]] = [[0, 0], [0, 10], [10, 0], [10, 10], [0, 0]]
    poly = one_polygon([bowtie, square(1, 4, 1, clockwise=False)])
    assert poly is not None and not poly.is_valid  # repaired later by geo.geometry


def test_z_and_m_values_are_dropped() -> None:
    z_ring = [[*xy, 5.0] for xy in square(0, 0, 10, clockwise=True)]
    zm_ring = [[*xy, 5.0, None] for xy in square(2, 2, 2, clockwise=False)]
    data = response({"rings": [z_ring, zm_ring]}, hasZ=True, hasM=True)
    (poly,), _, _ = parse_esri_json(data, where="q.json")
    assert poly is not None and not poly.has_z
    assert poly.area == pytest.approx(96.0)


# --- other geometries, attributes, nulls ----------------------------------------------------


def test_null_geometry_points_and_lines() -> None:
    data = response(
        None,
        {},
        {"x": 30.5, "y": 48.5, "z": 0},
        {"x": "NaN", "y": "NaN"},
        {"paths": [[[30, 48], [31, 49]]]},
        {"paths": [[[30, 48], [31, 49]], [[32, 48], [33, 49]]]},
        {"points": [[30, 48], [31, 49]]},
        {"rings": []},
    )
    geoms, attrs, crs = parse_esri_json(data, where="q.json")
    assert geoms[0] is None and geoms[1] is None
    assert geoms[2] == Point(30.5, 48.5)
    assert isinstance(geoms[3], Point) and geoms[3].is_empty
    assert isinstance(geoms[4], LineString)
    assert isinstance(geoms[5], MultiLineString)
    assert isinstance(geoms[6], MultiPoint)
    assert geoms[7] is not None and geoms[7].is_empty
    assert [a["OBJECTID"] for a in attrs] == list(range(1, 9))
    assert attrs[0] == {"OBJECTID": 1, "name": "f0"}
    assert crs == "EPSG:4326"


def test_attributes_are_kept_as_is() -> None:
    data = {
        "geometryType": "esriGeometryPolygon",
        "features": [
            {
                "attributes": {"layer": "russian_control", "EditDate": 1649877900000, "x": None},
                "geometry": {"rings": [square(0, 0, 1, clockwise=True)]},
            },
            {"geometry": {"rings": [square(0, 0, 1, clockwise=True)]}},
        ],
    }
    _, attrs, crs = parse_esri_json(data, where="q.json")
    assert attrs == [{"layer": "russian_control", "EditDate": 1649877900000, "x": None}, {}]
    assert crs is None


# --- errors ---------------------------------------------------------------------------------


def test_curve_rings_are_refused_with_the_fix() -> None:
    curve = {"curveRings": [[[0, 0], {"a": [[0, 0], [1, 1], 0, 1]}]]}
    with pytest.raises(InputFormatError, match=r"f=geojson.*returnTrueCurves=false") as info:
        parse_esri_json(response(curve), where="q.json")
    assert "q.json: feature 0 (OBJECTID 1)" in str(info.value)


def test_arcgis_error_body_is_quoted() -> None:
    body = {"error": {"code": 400, "message": "Invalid query parameters", "details": ["bad where"]}}
    assert is_esri_json(body)
    with pytest.raises(InputFormatError, match=r"q\.json: .*error 400: Invalid query parameters"):
        parse_esri_json(body, where="q.json")


def test_truncated_response_is_refused() -> None:
    data = response({"rings": [square(0, 0, 1, clockwise=True)]}, exceededTransferLimit=True)
    with pytest.raises(InputFormatError, match=r"exceededTransferLimit.*first 1 features"):
        parse_esri_json(data, where="q.json")


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"rings": [[[0, 0], [0, "a"], [1, 1], [0, 0]]]}, "bad coordinate"),
        ({"rings": [[[0, 0], [0], [1, 1], [0, 0]]]}, "bad coordinate"),
        ({"rings": [[[0, 0], [0, float("inf")], [1, 1], [0, 0]]]}, "bad coordinate"),
        ({"rings": [[[0, 0], [0, True], [1, 1], [0, 0]]]}, "bad coordinate"),
        ({"rings": "nope"}, "'rings' is not a list"),
        ({"paths": [[[0, 0]]]}, "path 0 has 1 points"),
        ({"foo": 1}, r"not an Esri geometry \(keys: foo\)"),
        ([1, 2], "'geometry' is not a JSON object"),
    ],
)
def test_bad_geometry_names_the_feature(geometry: Any, message: str) -> None:
    data = response({"rings": [square(0, 0, 1, clockwise=True)]}, geometryType=None)
    data["features"].append({"attributes": {"OBJECTID": 77}, "geometry": geometry})
    with pytest.raises(InputFormatError, match=message) as info:
        parse_esri_json(data, where="q.json")
    assert "q.json: feature 1 (OBJECTID 77)" in str(info.value)


def test_malformed_features() -> None:
    with pytest.raises(InputFormatError, match="without a 'features' list"):
        parse_esri_json({"geometryType": "esriGeometryPolygon"}, where="q.json")
    with pytest.raises(InputFormatError, match="feature 0 is not a JSON object"):
        parse_esri_json({"features": [3]}, where="q.json")
    with pytest.raises(InputFormatError, match="'attributes' is not an object"):
        parse_esri_json({"features": [{"attributes": [1]}]}, where="q.json")
