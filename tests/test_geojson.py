"""geo.geojson: the fast polygon path gives exactly what shapely.geometry.shape gives."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping, shape

from geo.geojson import geometry_from_geojson

RING = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
HOLE = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]


def same(geometry: Any) -> None:
    """Both builders agree exactly: type, WKB (coordinates, ring order, Z) - or both fail alike."""
    try:
        expected = shape(geometry)
    except Exception as exc:
        with pytest.raises(type(exc)):
            geometry_from_geojson(geometry)
        return
    got = geometry_from_geojson(geometry)
    assert got.geom_type == expected.geom_type
    assert shapely.to_wkb(got) == shapely.to_wkb(expected)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": [RING]},
        {"type": "Polygon", "coordinates": [RING, HOLE]},
        {"type": "Polygon", "coordinates": [RING[:-1]]},  # unclosed: both close it
        {"type": "Polygon", "coordinates": [[[x, y, 7.5] for x, y in RING]]},  # Z kept
        {"type": "MultiPolygon", "coordinates": [[RING, HOLE], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
        {"type": "MultiPolygon", "coordinates": [[RING]]},
        {"type": "Polygon", "coordinates": []},  # empty
        {"type": "MultiPolygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": [[]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},  # too short: an error
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0, 3], [1, 1], [0, 0]]]},  # ragged
        {"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]},
        {
            "type": "Polygon",
            "coordinates": [[[0, 0, 1, 2], [1, 0, 1, 2], [1, 1, 1, 2], [0, 0, 1, 2]]],
        },
        {"type": "Point", "coordinates": [30, 50]},
        {"type": "LineString", "coordinates": [[30, 50], [31, 51]]},
        {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": [RING]}]},
        {"type": "Polygon"},
        "not a mapping",
    ],
)
def test_same_as_shape(geometry: Any) -> None:
    same(geometry)


coord = st.floats(-180, 180, allow_nan=False, width=64)
ring = st.lists(st.tuples(coord, coord), min_size=3, max_size=12).map(
    lambda pts: [list(p) for p in [*pts, pts[0]]]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(ring, min_size=1, max_size=3), min_size=1, max_size=4), st.booleans())
def test_random_rings_same_as_shape(polygons: list, multi: bool) -> None:
    # Arbitrary (often invalid, self-crossing) rings: built as they are, never repaired.
    same({"type": "MultiPolygon", "coordinates": polygons} if multi else
         {"type": "Polygon", "coordinates": polygons[0]})  # fmt: skip


@pytest.mark.realdata
def test_real_archives_same_as_shape(shared_path: Callable[..., Path]) -> None:
    folders = [
        shared_path("control", "deepstate", "daily"),
        shared_path("control", "isw", "2023-weekly"),
    ]
    n = 0
    for folder in folders:
        for path in sorted(folder.glob("*.geojson.gz"))[::7]:
            for feature in json.loads(gzip.decompress(path.read_bytes()))["features"]:
                if feature.get("geometry"):
                    same(feature["geometry"])
                    n += 1
    assert n > 100


def test_round_trip_of_mapping() -> None:
    poly = shapely.Polygon(RING, [HOLE])
    assert geometry_from_geojson(mapping(poly)).equals(poly)
