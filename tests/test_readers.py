"""geo.readers: the vectorised GeoJSON polygon path builds exactly what shape() builds."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from geo.errors import InputFormatError
from geo.readers import _simple_polygons, json_table

_POINT = st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list)
_RING = st.lists(_POINT, min_size=4, max_size=7)


@settings(max_examples=40, deadline=None)
@given(rings=st.lists(st.lists(_RING, min_size=1, max_size=3), min_size=1, max_size=8))
def test_vectorised_polygons_equal_shape(rings: list[list[list[list[float]]]]) -> None:
    geometries = [{"type": "Polygon", "coordinates": r} for r in rings] * (1000 // len(rings) + 1)
    fast = _simple_polygons(geometries)
    assert fast is not None and len(fast) == len(geometries)
    for built, geometry in zip(fast, geometries, strict=True):
        assert shapely.equals_exact(built, shape(geometry), tolerance=0)  # rings closed alike


def _many(**change: Any) -> list[Any]:
    ring = [[37.0, 48.0], [37.5, 48.0], [37.5, 48.5], [37.0, 48.0]]
    geometries: list[Any] = [{"type": "Polygon", "coordinates": [ring]} for _ in range(1200)]
    geometries[7] = change.get("odd", geometries[7])
    return geometries


def test_anything_else_goes_back_to_shape() -> None:
    assert _simple_polygons(_many()[:10]) is None  # small files: shape() is fast enough
    for odd in (
        None,
        {"type": "MultiPolygon", "coordinates": [[[[37, 48], [38, 48], [38, 49], [37, 48]]]]},
        {"type": "Polygon", "coordinates": [[[37, 48, 1], [38, 48, 1], [38, 49, 1], [37, 48, 1]]]},
        {"type": "Polygon", "coordinates": [[[37, 48], [38, 48], [37, 48]]]},
        {"type": "Polygon", "coordinates": [[[37, 48], ["x", 48], [38, 49], [37, 48]]]},
        {"type": "Polygon", "coordinates": []},
    ):
        assert _simple_polygons(_many(odd=odd)) is None, odd


def test_json_table_names_the_bad_feature_among_many() -> None:
    features = [
        {"type": "Feature", "properties": {}, "geometry": g}
        for g in _many(odd={"type": "Polygon", "coordinates": [[[37, 48], ["x", 48], [37, 48]]]})
    ]
    with pytest.raises(InputFormatError, match=r"many\.geojson: feature 7: unreadable geometry"):
        json_table({"type": "FeatureCollection", "features": features}, "many.geojson")
