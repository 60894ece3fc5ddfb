"""Publishers' own ways of measuring area, so their numbers can be reproduced exactly.

``geo`` measures area on the WGS 84 ellipsoid (geodesic, ``pyproj.Geod``) of
the *union* of a snapshot's features. Publishers do otherwise, which is most of
why trackers disagree by a few tenths of a percent on the same map:

``"ellipsoid"`` (geo's default)
    Geodesic area on the WGS 84 ellipsoid of the union of the features
    (overlaps counted once). Diffs use the Albers equal-area projection of
    :mod:`geo.areas`, within 0.01 % of it.
``"deepstate"``
    DeepStateMap's ``/api/history/{id}/areas``: each polygon's area in the
    Lambert cylindrical equal-area projection of a sphere of radius
    6,378,137 m (``x = R·λ``, ``y = R·sin φ``; the formula of turf.js /
    mapbox ``geojson-area``, Chamberlain & Duquette, JPL 2007), summed over
    the polygons of a status **without union**. Reproduced to 1e-9 on raw
    snapshots ``1648989208`` (2022-04-03) and ``1748723682`` (2025-05-31)
    against the publisher's figures archived by ``hexqnt/rua``
    (``data/area_history.csv``). On the ellipsoid the same ground measures
    about 0.045 % more at Ukraine's latitudes (47-48° N).
``"economist"``
    The Economist's ISW series (``TheEconomist/the-economist-war-fire-model``,
    ``aux_assess_size_of_area_of_control_by_day.R``: ``sum(st_area(...))``
    in R ``sf`` with ``s2``): each feature's area on a sphere with great-circle
    edges, summed **without union** (overlapping features count twice). The
    published figures are reproduced to 1e-11 with s2's Earth radius
    6,371,010 m (``S2Earth::RadiusMeters``); the mean radius 6,371,008.8 m
    sometimes quoted leaves them 3.8e-7 apart. The sphere reads 0.17-0.30 %
    below the ellipsoid here.

Per-feature sums need the features as published: ``geo`` keeps them (after
hygiene: repaired rings and the polygonal parts of collections are kept, so a
collection's overlapping parts are merged), and its DeepState parser drops the
editorial polygons DeepState counts under ``other_territories``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import ValidationError
from geo.geometry import GEOD, geodesic_area_km2

AreaMethod = Literal["ellipsoid", "deepstate", "economist"]
#: The methods, default first.
AREA_METHODS: tuple[AreaMethod, ...] = get_args(AreaMethod)
#: Sphere radius of DeepStateMap's ``/areas`` (turf.js ``earthRadius``), metres.
DEEPSTATE_RADIUS_M = 6_378_137.0
#: Sphere radius of the Economist's ISW areas (``S2Earth::RadiusMeters``), metres.
ECONOMIST_RADIUS_M = 6_371_010.0

FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    """How one method measures, in words, and where that comes from.

    Attributes
    ----------
    name
        The key (``"ellipsoid"``, ``"deepstate"``, ``"economist"``).
    description
        One line for outputs.
    source
        Where the method was taken from and how it was checked.
    union
        Whether a snapshot's features are merged before measuring (else summed).
    """

    name: str
    description: str
    source: str
    union: bool


METHOD_INFO: dict[str, MethodInfo] = {
    "ellipsoid": MethodInfo(
        "ellipsoid",
        "geodesic area on the WGS 84 ellipsoid (pyproj.Geod) of the union of the features",
        "geo's own; diffs use Albers equal-area within 0.01 % of it",
        union=True,
    ),
    "deepstate": MethodInfo(
        "deepstate",
        "DeepStateMap /areas: per-feature area in the Lambert cylindrical equal-area projection "
        "of a sphere of radius 6,378,137 m (turf.js area), summed without union",
        "reproduces DeepStateMap's /api/history/{id}/areas to 1e-9 (raw snapshots 1648989208 "
        "and 1748723682 against the figures archived in hexqnt/rua data/area_history.csv)",
        union=False,
    ),
    "economist": MethodInfo(
        "economist",
        "The Economist's ISW series: per-feature area on a sphere of radius 6,371,010 m with "
        "great-circle edges (R sf/s2 st_area), summed without union",
        "TheEconomist/the-economist-war-fire-model aux_assess_size_of_area_of_control_by_day.R; "
        "reproduces its ISW 2022-04-13 figures to 1e-11",
        union=False,
    ),
}


def check_area_method(method: str) -> AreaMethod:
    """Return ``method`` if it is one of :data:`AREA_METHODS`.

    Raises
    ------
    ValidationError
        For any other value, listing the methods.
    """
    if method not in AREA_METHODS:
        msg = "unknown area method"
        raise ValidationError(
            msg, [f"method={method!r}; pass one of {', '.join(map(repr, AREA_METHODS))}"]
        )
    return method


def describe_method(method: str) -> str:
    """One line saying how ``method`` measures, for outputs."""
    return METHOD_INFO[check_area_method(method)].description


def _as_array(geoms: Any) -> npt.NDArray[Any]:
    if isinstance(geoms, BaseGeometry):
        return np.array([geoms], dtype=object)
    return np.asarray(geoms if isinstance(geoms, np.ndarray) else list(geoms), dtype=object)


def cylindrical_area_km2(geoms: Any, *, radius_m: float = DEEPSTATE_RADIUS_M) -> FloatArray:
    """Area of each lon/lat geometry in the cylindrical equal-area projection of a sphere.

    ``x = R·λ``, ``y = R·sin φ`` (radians), then the planar area: the ring
    formula of turf.js ``area`` and mapbox ``geojson-area``, which DeepStateMap
    uses. ``None`` and empty geometries measure 0.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> float(cylindrical_area_km2([box(30, 48, 31, 49)])[0])  # doctest: +ELLIPSIS
    8211.1...
    """
    arr = _as_array(geoms)
    scale = np.pi / 180.0

    def to_cylinder(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack([radius_m * scale * xy[:, 0], radius_m * np.sin(scale * xy[:, 1])])

    out = np.nan_to_num(shapely.area(shapely.transform(arr, to_cylinder))) / 1e6
    return np.asarray(out, dtype=float)


#: WGS 84's semi-major axis (metres) and flattening, as :data:`geo.geometry.GEOD` has them.
_WGS84_A, _WGS84_F = 6_378_137.0, 1 / 298.257223563
_E2 = _WGS84_F * (2 - _WGS84_F)
_E = float(np.sqrt(_E2))


def _authalic_q(sin_phi: FloatArray) -> FloatArray:
    return (1 - _E2) * (
        sin_phi / (1 - _E2 * sin_phi**2)
        - np.log((1 - _E * sin_phi) / (1 + _E * sin_phi)) / (2 * _E)
    )


_Q_POLE = float(_authalic_q(np.ones(1))[0])
#: Radius of the sphere with the WGS 84 ellipsoid's area, metres (``R_q``).
AUTHALIC_RADIUS_M = _WGS84_A * float(np.sqrt(_Q_POLE / 2))


def authalic_tan_half(lat_deg: FloatArray) -> FloatArray:
    """``tan(β/2)`` of the authalic latitudes ``β`` of WGS 84 latitudes (degrees).

    Mapping the ellipsoid to the sphere of radius :data:`AUTHALIC_RADIUS_M`
    by ``(λ, φ) -> (λ, β)`` keeps every area (Snyder, *Map Projections: A
    Working Manual*, eq. 3-11). Feed the result to :func:`edge_excess`.
    """
    ratio = _authalic_q(np.sin(np.radians(lat_deg))) / _Q_POLE
    return np.asarray(np.tan(np.arcsin(np.clip(ratio, -1.0, 1.0)) / 2), dtype=float)


def edge_excess(lam1: FloatArray, t1: FloatArray, lam2: FloatArray, t2: FloatArray) -> FloatArray:
    """Signed spherical excess between each great-circle edge and the equator, in steradians.

    Edges run from ``(lam1, t1)`` to ``(lam2, t2)``: longitudes in radians and
    ``t = tan(latitude / 2)``. A ring's area is the absolute sum over its
    edges times R² (rings smaller than a hemisphere and not around a pole).
    Longitude steps are taken the short way round (across the antimeridian).
    """
    dlam = np.remainder(lam2 - lam1 + np.pi, 2 * np.pi) - np.pi
    return np.asarray(2 * np.arctan2(np.tan(dlam / 2) * (t1 + t2), 1 + t1 * t2), dtype=float)


#: Edges longer than this (degrees of latitude or longitude) are measured on the ellipsoid by
#: :func:`edge_areas_m2`; below it a great circle on the authalic sphere is within ~4 m² of it.
LONG_EDGE_DEG = 0.05


def edge_areas_m2(
    lon1: FloatArray,
    lat1: FloatArray,
    lon2: FloatArray,
    lat2: FloatArray,
    *,
    long_edge_deg: float = LONG_EDGE_DEG,
) -> FloatArray:
    """Signed area between each geodesic edge of the WGS 84 ellipsoid and the equator, in m².

    A ring's geodesic area is the absolute sum over its edges (as
    ``pyproj.Geod.polygon_area_perimeter`` measures it, for rings smaller than
    a hemisphere and not around a pole), so shared edges are measured once.
    Vectorized: each edge is measured on the authalic sphere
    (:func:`edge_excess`), which differs from the geodesic only by the edge's
    shape (at most about 0.03 m² for 0.01°, 0.3 m² for 0.02°, 4 m² for
    0.05°: it grows with the cube of the length); an edge longer than
    ``long_edge_deg`` (in latitude or longitude) is measured with
    ``pyproj.Geod`` as the quadrilateral it makes with the equator (its
    meridians and the equator are geodesics), each distinct one once.

    Examples
    --------
    >>> import numpy as np
    >>> lon, lat = np.array([30.0, 31.0, 31.0, 30.0]), np.array([48.0, 48.0, 49.0, 49.0])
    >>> ring = edge_areas_m2(lon, lat, np.roll(lon, -1), np.roll(lat, -1))
    >>> round(float(abs(ring.sum())) / 1e6, 3)  # as geodesic_area_km2(box(30, 48, 31, 49))
    8217.59
    """
    lam1, lam2 = np.radians(lon1), np.radians(lon2)
    out = edge_excess(lam1, authalic_tan_half(lat1), lam2, authalic_tan_half(lat2))
    out *= AUTHALIC_RADIUS_M**2
    long = np.flatnonzero(
        (np.abs(lat2 - lat1) > long_edge_deg)
        | (np.abs(np.remainder(lon2 - lon1 + 180, 360) - 180) > long_edge_deg)
    )
    if len(long):  # each distinct long edge once (a join may repeat on every date)
        ends = np.column_stack([lon1[long], lat1[long], lon2[long], lat2[long]])
        distinct, where = np.unique(ends, axis=0, return_inverse=True)
        quads = [
            GEOD.polygon_area_perimeter([x1, x2, x2, x1], [y1, y2, 0.0, 0.0])[0]
            for x1, y1, x2, y2 in distinct.tolist()
        ]
        out[long] = -np.asarray(quads)[where.ravel()]  # the quadrilateral runs the other way
    return np.asarray(out, dtype=float)


def spherical_area_km2(geoms: Any, *, radius_m: float = ECONOMIST_RADIUS_M) -> FloatArray:
    """Area of each lon/lat polygon on a sphere, edges along great circles.

    Exact (spherical excess): each edge from (λ1, φ1) to (λ2, φ2) adds
    ``2·atan2(tan(Δλ/2)·(t1 + t2), 1 + t1·t2)`` with ``t = tan(φ/2)``, the
    excess of the quadrilateral between the edge and the equator; a ring's
    area is the absolute sum times R², a polygon's its exterior less its
    holes. Rings are assumed smaller than a hemisphere and not around a pole.
    ``None`` and empty geometries measure 0. Vectorized over every vertex.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> float(spherical_area_km2([box(30, 48, 31, 49)])[0])  # doctest: +ELLIPSIS
    8192.6...
    """
    arr = _as_array(geoms)
    out = np.zeros(len(arr))
    present = np.flatnonzero(~shapely.is_missing(arr) & ~shapely.is_empty(arr))
    if not len(present):
        return out
    parts, part_of = shapely.get_parts(arr[present], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    lam, t = np.radians(xy[:, 0]), np.tan(np.radians(xy[:, 1]) / 2)
    same = ring[1:] == ring[:-1]  # consecutive vertices of one ring form an edge
    excess = edge_excess(lam[:-1], t[:-1], lam[1:], t[1:])
    ring_km2 = np.abs(np.bincount(ring[:-1][same], excess[same], minlength=len(rings)))
    ring_km2 *= radius_m**2 / 1e6
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    signed = np.where(exterior, ring_km2, -ring_km2)
    per_part = np.bincount(ring_part, signed, minlength=len(parts))
    out[present] = np.bincount(part_of, per_part, minlength=len(present))
    return out


def parts_area_km2(geoms: Any, method: str) -> FloatArray:
    """Area of each geometry as ``method`` measures one polygon (no union, no sum).

    ``"ellipsoid"`` is geodesic on WGS 84, ``"deepstate"``
    :func:`cylindrical_area_km2`, ``"economist"`` :func:`spherical_area_km2`.
    """
    chosen = check_area_method(method)
    if chosen == "deepstate":
        return cylindrical_area_km2(geoms)
    if chosen == "economist":
        return spherical_area_km2(geoms)
    return np.asarray(geodesic_area_km2(list(_as_array(geoms))), dtype=float)


def features_area_km2(
    features: Iterable[BaseGeometry | None] | npt.NDArray[Any],
    method: str = "ellipsoid",
    *,
    union: BaseGeometry | None = None,
) -> float:
    """Return a snapshot's total area as ``method`` computes it.

    Parameters
    ----------
    features
        The snapshot's lon/lat features.
    method
        One of :data:`AREA_METHODS`. ``"ellipsoid"`` measures the union of the
        features (overlaps once); the publishers' methods sum the features
        (overlaps twice), as their own numbers do.
    union
        The features' union, if already at hand (``"ellipsoid"`` only).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> two = [box(30, 48, 31, 49), box(30.5, 48, 31.5, 49)]  # half of each overlaps
    >>> round(features_area_km2(two, "economist") / features_area_km2(two), 2)
    1.33
    """
    chosen = check_area_method(method)
    arr = _as_array(features)
    if chosen == "ellipsoid":
        merged = union if union is not None else shapely.union_all(arr)
        return float(geodesic_area_km2(merged))
    return float(parts_area_km2(arr, chosen).sum())
