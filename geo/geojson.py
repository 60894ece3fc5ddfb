"""GeoJSON geometry objects to shapely, fast for polygons.

:func:`shapely.geometry.shape` builds each coordinate pair in Python, which
made it the largest cost of reading the DeepState archive (2.3 million
vertices). :func:`geometry_from_geojson` hands each ring's coordinate list to
NumPy in one call and builds the rings, polygons and multipolygon with
shapely's vectorized constructors; the result is the geometry ``shape`` gives,
coordinate for coordinate. Anything but a well-formed Polygon or MultiPolygon
(points, lines, collections, empty or ragged coordinates, too-short rings)
goes to ``shape`` itself, so its errors and edge cases are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

__all__ = ["geometry_from_geojson"]

ObjArray = npt.NDArray[Any]


def geometry_from_geojson(geometry: Any) -> BaseGeometry:
    """Return the shapely geometry of a GeoJSON geometry object (as ``shape`` does).

    Examples
    --------
    >>> ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    >>> geometry_from_geojson({"type": "MultiPolygon", "coordinates": [[ring]]}).wkt
    'MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))'
    >>> geometry_from_geojson({"type": "Point", "coordinates": [30, 50]}).wkt
    'POINT (30 50)'
    """
    if not isinstance(geometry, Mapping):
        return shape(geometry)  # its error names what is wrong
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    fast = None
    if kind == "Polygon" and isinstance(coords, list) and coords:
        fast = _polygons([coords], multi=False)
    elif kind == "MultiPolygon" and isinstance(coords, list) and coords:
        fast = _polygons(coords, multi=True)
    return fast if fast is not None else shape(dict(geometry))


def _polygons(polygons: list[Any], *, multi: bool) -> BaseGeometry | None:
    """Build a (Multi)Polygon from GeoJSON polygon coordinates, or ``None`` to fall back."""
    rings: list[Any] = []
    ring_of: list[int] = []  # the polygon each ring belongs to
    for number, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            return None  # an empty part: leave it to shape()
        rings.extend(polygon)
        ring_of.extend([number] * len(polygon))
    try:
        arrays = [np.asarray(ring, dtype=np.float64) for ring in rings]
    except (TypeError, ValueError):  # ragged or non-numeric positions
        return None
    dims = {a.shape[1] if a.ndim == 2 else 0 for a in arrays}
    if len(dims) != 1 or dims.pop() not in (2, 3) or any(len(a) < 3 for a in arrays):
        return None
    lengths = np.array([len(a) for a in arrays])
    try:
        ring_index = np.repeat(np.arange(len(arrays)), lengths)
        built: ObjArray = np.asarray(
            shapely.linearrings(np.concatenate(arrays), indices=ring_index), dtype=object
        )
        polys: ObjArray = np.asarray(
            shapely.polygons(built, indices=np.asarray(ring_of)), dtype=object
        )
    except (ValueError, shapely.errors.GEOSException):  # e.g. a ring of < 4 positions
        return None
    if not multi:
        only: BaseGeometry = polys[0]
        return only
    return shapely.MultiPolygon(list(polys))
