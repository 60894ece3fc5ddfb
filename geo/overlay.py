"""Fast overlay of two polygonal snapshots that differ only locally.

Consecutive snapshots share almost every boundary segment. Each directed
boundary segment (interior on its left) is hashed; runs of segments found in
only one geometry become small boxes, merged until pairwise disjoint. Every
component of the symmetric difference is bounded by such segments, so it lies
in one box, and outside the boxes both geometries are identical: the overlay
runs only on the parts clipped to the boxes. A cheap check (planar area of
``b`` minus ``a`` equals gained minus lost) falls back to the whole-geometry
overlay when it fails. :mod:`geo.diff` builds areas, regions and patches on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from geo.errors import InputFormatError
from geo.geometry import check_lonlat, polygonal_part

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[Any]
KeyArray = npt.NDArray[np.uint64]

_BOX_MARGIN_DEG = 1e-4  # ~10 m: unshared segments stay strictly inside their box
_CHECK_TOL_DEG2 = 1e-9  # ~8 m² at 48° N; float noise is ~1e-11 deg²
_SNAP_DEG = 1e-9  # grid for the retry after a GEOS robustness failure (~0.1 mm)


@dataclasses.dataclass(frozen=True, eq=False)
class Prepared:
    """Hashed directed boundary segments of one geometry."""

    geometry: BaseGeometry
    area_deg2: float
    xy: FloatArray  # (m, 2) the ring coordinates
    ends: IntArray  # (n, 2) rows of xy where each directed boundary segment starts, ends
    ring: IntArray  # ring of each segment
    order: IntArray  # segment indices sorted by hash
    sorted_keys: KeyArray  # the hashes, sorted


@dataclasses.dataclass(frozen=True, eq=False)
class Overlay:
    """The gained and lost parts of one overlay, and how they were found."""

    parts: ObjArray  # lon/lat polygons
    gained: BoolArray  # True for gained parts, False for lost ones
    mode: str
    local: bool


def prepare(geometry: BaseGeometry | None, *, where: str, check: bool) -> Prepared:
    """Hash the directed boundary segments of one geometry (see :func:`prepare_many`)."""
    return prepare_many([geometry], where=[where], check=check)[0]


def prepare_many(
    geometries: Sequence[BaseGeometry | None], *, where: Sequence[str], check: bool
) -> list[Prepared]:
    """Hash the directed boundary segments of many geometries in one vectorized pass.

    ``where`` names each geometry in error messages; ``check`` validates them
    (lon/lat, valid polygons) first.
    """
    geoms = np.empty(len(geometries), dtype=object)
    geoms[:] = [polygonal(g, where=w, check=check) for g, w in zip(geometries, where, strict=True)]
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    flip = exterior ^ shapely.is_ccw(rings)  # so that the interior is left of every segment
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    xy = xy + 0.0  # -0.0 and 0.0 must hash alike
    x, y = xy[:, 0], xy[:, 1]
    start = np.flatnonzero((ring[:-1] == ring[1:]) & ((x[:-1] != x[1:]) | (y[:-1] != y[1:])))
    vertex = _mix(_mix(x.view(np.uint64)) ^ y.view(np.uint64))
    turn = flip[ring[start]]
    first, second = np.where(turn, start + 1, start), np.where(turn, start, start + 1)
    keys = _mix(vertex[first] ^ (vertex[second] * np.uint64(0x9E3779B97F4A7C15)))
    # Rings, coordinates and segments come geometry by geometry: split them by offsets.
    ring_geom = part_of[ring_part]
    seg_geom, coord_geom = ring_geom[ring[start]], ring_geom[ring]
    seg_at = np.searchsorted(seg_geom, np.arange(len(geoms) + 1))
    coord_at = np.searchsorted(coord_geom, np.arange(len(geoms) + 1))
    areas = shapely.area(geoms)
    out = []
    for i, geometry in enumerate(geoms):
        s0, s1, c0 = seg_at[i], seg_at[i + 1], coord_at[i]
        own = np.argsort(keys[s0:s1]) + s0  # one sort per geometry: a global lexsort is slower
        ends = np.column_stack([first[s0:s1], second[s0:s1]]) - c0
        coords, seg_ring = xy[c0 : coord_at[i + 1]], ring[start[s0:s1]]
        out.append(Prepared(geometry, float(areas[i]), coords, ends, seg_ring, own - s0, keys[own]))
    return out


def _mix(x: KeyArray) -> KeyArray:
    """Return the splitmix64 finaliser: a cheap, well-spread 64-bit hash (wraps on purpose)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def changed_boxes(pa: Prepared, pb: Prepared) -> tuple[FloatArray, int]:
    """Disjoint boxes (rows x0 y0 x1 y1) outside which the two geometries are identical.

    Every component of the symmetric difference lies inside one box, so a point
    outside all of them is inside both geometries or neither. Also returns the
    number of boundary segments found in only one geometry (0: the same boundary).
    """
    # Sorted needles make searchsorted several times faster than ring order.
    only_a = np.sort(pa.order[~_isin_sorted(pa.sorted_keys, pb.sorted_keys)])
    only_b = np.sort(pb.order[~_isin_sorted(pb.sorted_keys, pa.sorted_keys)])
    boxes = _merge_boxes(np.vstack([_run_boxes(pa, only_a), _run_boxes(pb, only_b)]))
    return boxes, len(only_a) + len(only_b)


def overlay(pa: Prepared, pb: Prepared) -> Overlay:
    """Gained and lost parts: by boxes around the changed segments, checked, else whole."""
    # Even when most segments differ (a re-digitised map, a long gap) this is
    # about twice as fast as two whole-geometry differences.
    boxes, n_changed = changed_boxes(pa, pb)
    try:
        parts, gained = _box_overlay(pa.geometry, pb.geometry, boxes)
        area = shapely.area(parts)
        net = area[gained].sum() - area[~gained].sum()
    except GEOSException:
        net = np.nan
    if abs(pb.area_deg2 - pa.area_deg2 - net) <= _CHECK_TOL_DEG2:
        mode = f"local ({len(boxes)} boxes around {n_changed:,} changed segments)"
        return Overlay(parts, gained, mode, True)
    lost_parts = overlay_op(shapely.difference, pa.geometry, pb.geometry)
    parts, gained = _polygons(overlay_op(shapely.difference, pb.geometry, pa.geometry), lost_parts)
    return Overlay(parts, gained, "whole geometries (the local check failed)", False)


def _box_overlay(a: BaseGeometry, b: BaseGeometry, boxes: FloatArray) -> tuple[ObjArray, BoolArray]:
    """Parts of ``b - a`` and ``a - b`` inside the boxes, and which are gained.

    One symmetric difference per box, its parts classified by a point inside
    them. A gained and a lost part that share an edge come out of it as one
    polygon, which no point classifies right; such a box no longer balances
    (signed area and first moments of its parts against ``b - a`` in the box)
    and is redone with two differences, which keep the parts apart.
    """
    clipped_a, clipped_b = clip(a, boxes), clip(b, boxes)
    parts, box = _parts(shapely.symmetric_difference(clipped_b, clipped_a))
    gained = shapely.intersects(clipped_b[box], shapely.point_on_surface(parts))
    sign = np.where(gained, 1.0, -1.0)
    got = _moments(parts, box, len(boxes), weight=sign)
    n = len(boxes)
    both, index = np.concatenate([clipped_b, clipped_a]), np.tile(np.arange(n), 2)
    want = _moments(both, index, n, weight=np.repeat([1.0, -1.0], n))
    scale = 1.0 + np.abs(boxes[:, :2]).max(axis=1, keepdims=True)  # moments grow with x, y
    bad = np.flatnonzero((np.abs(got - want) > _CHECK_TOL_DEG2 * scale).any(axis=1))
    if not len(bad):
        return parts, gained
    redo_parts, redo_gained = _polygons(
        shapely.difference(clipped_b[bad], clipped_a[bad]),
        shapely.difference(clipped_a[bad], clipped_b[bad]),
    )
    keep = ~np.isin(box, bad)
    return (
        np.concatenate([parts[keep], redo_parts]),
        np.concatenate([gained[keep], redo_gained]),
    )


def _parts(geoms: ObjArray) -> tuple[ObjArray, IntArray]:
    """Non-empty polygons of each geometry, and the index of the geometry they came from."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    return np.asarray(parts[keep], dtype=object), np.asarray(index[keep], dtype=np.intp)


def _moments(geoms: ObjArray, group: IntArray, n: int, *, weight: FloatArray) -> FloatArray:
    """Per group: weighted planar area and its first moments (area times centroid x, y)."""
    area = np.nan_to_num(shapely.area(geoms)) * weight
    x, y = np.zeros(len(area)), np.zeros(len(area))
    full = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)  # empty: no centroid
    centroid = shapely.centroid(geoms[full])
    x[full], y[full] = shapely.get_x(centroid), shapely.get_y(centroid)
    return np.column_stack([np.bincount(group, v, minlength=n) for v in (area, area * x, area * y)])


def _run_boxes(prep: Prepared, changed: IntArray) -> FloatArray:
    """One box (x0 y0 x1 y1, with margin) per run of consecutive changed segments."""
    if not len(changed):
        return np.empty((0, 4))
    ends, ring = prep.ends[changed], prep.ring[changed]
    seg = np.hstack([prep.xy[ends[:, 0]], prep.xy[ends[:, 1]]])  # x1 y1 x2 y2
    starts = np.flatnonzero(run_starts((np.diff(changed) != 1) | (ring[1:] != ring[:-1])))
    lo = np.minimum.reduceat(np.minimum(seg[:, :2], seg[:, 2:]), starts) - _BOX_MARGIN_DEG
    hi = np.maximum.reduceat(np.maximum(seg[:, :2], seg[:, 2:]), starts) + _BOX_MARGIN_DEG
    return np.hstack([lo, hi])


def _isin_sorted(x: KeyArray, sorted_y: KeyArray) -> BoolArray:
    if len(sorted_y) == 0:
        return np.zeros(len(x), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_y, x), len(sorted_y) - 1)
    return np.asarray(sorted_y[at] == x)


def _merge_boxes(boxes: FloatArray) -> FloatArray:
    """Merge intersecting or touching boxes (x0 y0 x1 y1 rows) until none are."""
    while len(boxes) > 1:
        left, right = _touching_pairs(boxes)
        if np.array_equal(left, right):
            break
        label = np.arange(len(boxes))
        while True:  # connected components by min-label propagation
            low = np.minimum(label[left], label[right])
            new = label.copy()
            np.minimum.at(new, left, low)
            new = new[new]
            if np.array_equal(new, label):
                break
            label = new
        order = np.argsort(label, kind="stable")
        starts, ordered = np.flatnonzero(run_starts(np.diff(label[order]) != 0)), boxes[order]
        lo, hi = ordered[:, :2], ordered[:, 2:]
        boxes = np.hstack([np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)])
    return boxes


_DENSE_PAIRS_MAX = 512  # below this many boxes an n x n comparison beats building a tree


def _touching_pairs(boxes: FloatArray) -> tuple[IntArray, IntArray]:
    """All (i, j) of intersecting or touching boxes, each box with itself included."""
    if len(boxes) > _DENSE_PAIRS_MAX:
        geoms = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        return np.asarray(left, dtype=np.intp), np.asarray(right, dtype=np.intp)
    lo, hi = boxes[:, None, :2], boxes[None, :, 2:]
    # Closed boxes meet when neither lies wholly left of / below the other.
    meet = ((lo <= hi) & (boxes[None, :, :2] <= boxes[:, None, 2:])).all(axis=2)
    left, right = np.nonzero(meet)
    return left.astype(np.intp), right.astype(np.intp)


_MANY_PARTS = 64  # above this, clip part by part: each clip_by_rect is linear in the parts


def clip(geometry: BaseGeometry | ObjArray, boxes: FloatArray) -> ObjArray:
    """Clip one geometry to each box, or each geometry to its box; repaired if need be."""
    if isinstance(geometry, BaseGeometry) and shapely.get_num_geometries(geometry) > _MANY_PARTS:
        out = _clip_parts(geometry, boxes)
    else:
        geoms = np.broadcast_to(np.asarray(geometry, dtype=object), len(boxes))
        pairs = zip(geoms, boxes.tolist(), strict=True)
        out = np.array([shapely.clip_by_rect(g, *box) for g, box in pairs], dtype=object)
    bad = ~shapely.is_valid(out)
    if bad.any():  # clip_by_rect is fast but may leave invalid rings
        out[bad] = [polygonal_part(g) or shapely.Polygon() for g in shapely.make_valid(out[bad])]
    return out


def _clip_parts(geometry: BaseGeometry, boxes: FloatArray) -> ObjArray:
    """Clip a many-part geometry to each box through a tree of its parts.

    Clipping 200,000 small parts to as many boxes whole took hours (every
    ``clip_by_rect`` walks every part); each box meets only a few parts. The
    parts of a valid MultiPolygon do not overlap, so each box's clipped parts
    together are the clip of the whole.
    """
    parts = shapely.get_parts(geometry)
    rects = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    box_of, part_of = shapely.STRtree(parts).query(rects, predicate="intersects")
    clipped = shapely.intersection(parts[part_of], rects[box_of])
    pieces, owner = _parts(np.asarray(clipped, dtype=object))
    out = np.empty(len(boxes), dtype=object)
    out[:] = [shapely.MultiPolygon()] * len(boxes)
    if len(pieces):
        box_index = box_of[owner]
        order = np.argsort(box_index, kind="stable")
        shapely.multipolygons(pieces[order], indices=box_index[order], out=out)
    return out


def overlay_op(op: Callable[..., Any], x: Any, y: Any) -> Any:
    """Apply a GEOS overlay, retrying on a fine grid after a robustness failure."""
    try:
        return op(x, y)
    except GEOSException:  # robustness failure on near-coincident edges: snap and retry
        return op(x, y, grid_size=_SNAP_DEG)


def _polygons(gained: Any, lost: Any) -> tuple[ObjArray, BoolArray]:
    """Return the polygons of the gained and lost geometries, and which are gained."""
    gained, lost = (np.atleast_1d(np.asarray(g, dtype=object)) for g in (gained, lost))
    parts, index = _parts(np.concatenate([gained, lost]))
    return parts, index < len(gained)


def polygonal(geometry: BaseGeometry | None, *, where: str, check: bool) -> BaseGeometry:
    """Return the polygonal part of ``geometry``; an areal-less geometry is an error."""
    if geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    part = polygonal_part(geometry)
    if part is None:
        msg = f"{where}: a {geometry.geom_type} has no area; pass polygons"
        raise InputFormatError(msg)
    if check:
        check_lonlat(np.array([part], dtype=object), where=where)
        if not part.is_valid:
            msg = (
                f"{where}: invalid polygon ({shapely.is_valid_reason(part)}); repair it with "
                "geo.geometry.clean_geometries before diffing"
            )
            raise InputFormatError(msg)
    return part


def run_starts(changes: BoolArray) -> BoolArray:
    """Where runs start, given where consecutive items differ."""
    return np.concatenate([np.ones(1, dtype=bool), changes])
