"""Where two consecutive dates of a timeline differ: changed boxes, and the overlay in them.

The encoding of :mod:`geo.render.encode` knows which chunks of boundary
changed from one date to the next; :func:`changed_boxes` puts each changed
chunk, with its neighbours along the ring, in a bounding box on the quantized
grid and merges boxes that touch, so the boxes are disjoint.
:mod:`geo.render.patches` closes most changes into patches without any
overlay; where that fails, :func:`overlay_boxes` clips both dates' outlines
(:func:`to_geometry`) to each failing box and differences them there, on the
grid (``grid_size``: snap-rounding, exact and robust). The boxes are
disjoint, so their patches add up to those of a full overlay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo.render.encode import IntArray, PreparedDate

#: A box on the integer grid: ``(xmin, ymin, xmax, ymax)``.
Box = tuple[int, int, int, int]


def to_geometry(prepared: PreparedDate, *, precision: int) -> BaseGeometry:
    """Return the (Multi)Polygon a prepared date draws, in degrees."""
    ring_ends = prepared.ring_ends
    if not len(ring_ends):
        return Polygon()
    ring_of = np.repeat(np.arange(len(ring_ends)), np.diff(ring_ends, prepend=0))
    rings = np.asarray(shapely.linearrings(prepared.coords / 10.0**precision, indices=ring_of))
    polygon_of = np.repeat(np.arange(len(prepared.polygon_rings)), prepared.polygon_rings)
    polygons = np.asarray(shapely.polygons(rings, indices=polygon_of), dtype=object)
    if len(polygons) == 1:
        return cast(BaseGeometry, polygons[0])
    return cast(BaseGeometry, shapely.multipolygons(polygons))


def range_starts(ends: IntArray) -> IntArray:
    """Return the starts of consecutive ranges that end at ``ends`` (the first at 0)."""
    out = np.empty(len(ends), dtype=np.int64)
    if len(ends):
        out[0] = 0
        out[1:] = ends[:-1]
    return out


def changed_boxes(
    before: PreparedDate,
    after: PreparedDate,
    tokens: tuple[Sequence[int] | IntArray, Sequence[int] | IntArray] | None = None,
) -> list[Box]:
    """Disjoint boxes (integer grid) holding every chunk in one date but not the other.

    Each changed chunk's box takes in its neighbours along the ring, so the
    joins to unchanged boundary are inside too. Chunks are compared by their
    ids in ``tokens`` (both dates' token lists) if given, else by their bytes.
    """
    if tokens is not None:
        ids = [np.asarray(t, dtype=np.int64) for t in tokens[:2]]
        ids = [t[t >= 2] for t in ids]
        changes = [~np.isin(ids[0], ids[1]), ~np.isin(ids[1], ids[0])]
    else:
        keys = [before.chunk_keys, after.chunk_keys]
        sets = [set(k) for k in keys]
        changes = [np.asarray([k not in sets[1] for k in keys[0]], dtype=bool),
                   np.asarray([k not in sets[0] for k in keys[1]], dtype=bool)]  # fmt: skip
    boxes: list[Box] = []
    for date, change in ((before, changes[0]), (after, changes[1])):
        changed = np.flatnonzero(change)
        if not changed.size:
            continue
        low, high = date.chunk_boxes
        ring = date.chunk_ring
        first = np.searchsorted(ring, ring, side="left")[changed]
        last = np.searchsorted(ring, ring, side="right")[changed] - 1
        before_c = np.where(changed > first, changed - 1, last)
        after_c = np.where(changed < last, changed + 1, first)
        # one grid step of margin: a box around a straight stretch is never flat
        lo = np.minimum(np.minimum(low[changed], low[before_c]), low[after_c]) - 1
        hi = np.maximum(np.maximum(high[changed], high[before_c]), high[after_c]) + 1
        boxes.extend(zip(*lo.T.tolist(), *hi.T.tolist(), strict=True))
    return merge_boxes(boxes)


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Merge boxes that overlap or touch until none do (sorted, as a greedy pass leaves them)."""
    if len(boxes) < 2:
        return sorted(boxes)
    b = np.asarray(boxes, dtype=np.int64)
    while True:
        touch = (
            (b[:, None, 0] <= b[None, :, 2] + 1) & (b[None, :, 0] <= b[:, None, 2] + 1)
            & (b[:, None, 1] <= b[None, :, 3] + 1) & (b[None, :, 1] <= b[:, None, 3] + 1)
        )  # fmt: skip
        label = np.arange(len(b))
        while True:  # connected groups: each box takes the least label it touches
            least = np.where(touch, label[None, :], len(b)).min(axis=1)
            if np.array_equal(least, label):
                break
            label = least[least]
        groups, group = np.unique(label, return_inverse=True)
        if len(groups) == len(b):
            return sorted((x0, y0, x1, y1) for x0, y0, x1, y1 in b.tolist())
        merged = np.empty((len(groups), 4), dtype=np.int64)
        for k in (0, 1):
            merged[:, k] = np.full(len(groups), np.iinfo(np.int64).max)
            np.minimum.at(merged[:, k], group, b[:, k])
            merged[:, k + 2] = np.full(len(groups), np.iinfo(np.int64).min)
            np.maximum.at(merged[:, k + 2], group, b[:, k + 2])
        b = merged


def _difference(a: BaseGeometry, b: BaseGeometry, grid: float) -> BaseGeometry:
    try:  # snap-rounding on the grid of the outlines: clipped pieces may self-touch, and
        # a floating-point overlay of such input can be silently wrong
        return shapely.difference(a, b, grid_size=grid)
    except GEOSException:  # an outline made invalid by quantization: repair, then retry
        return shapely.difference(_repaired(a), _repaired(b), grid_size=grid)


def _int_polygons(geometry: BaseGeometry, precision: int) -> list[list[IntArray]]:
    """Return an overlay's polygons as integer rings (no closing vertex)."""
    parts = shapely.get_parts(geometry)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    polys = parts[keep].tolist()
    if not polys:
        return []
    rings, polygon_of = shapely.get_rings(np.asarray(polys, dtype=object), return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    q = np.rint(xy * 10.0**precision).astype(np.int64)
    ends = np.cumsum(np.bincount(ring_of, minlength=len(rings)))
    out: list[list[IntArray]] = [[] for _ in polys]
    for r, (a, b) in enumerate(zip(range_starts(ends).tolist(), ends.tolist(), strict=True)):
        out[polygon_of[r]].append(q[a : b - 1])
    return out


def overlay_boxes(
    before: PreparedDate,
    after: PreparedDate,
    boxes: list[Box],
    *,
    precision: int,
    out: tuple[list[list[IntArray]], list[list[IntArray]]],
) -> None:
    """Append to ``out`` the patches gained and lost in each (disjoint) box, by overlay."""
    old = to_geometry(before, precision=precision)
    new = to_geometry(after, precision=precision)
    grid = 10.0**-precision
    edges = np.asarray(boxes, dtype=float) * grid
    gained, lost = out
    for edge in edges.tolist():  # the boxes are disjoint: their patches add up
        before_box = _valid(shapely.clip_by_rect(old, *edge))
        after_box = _valid(shapely.clip_by_rect(new, *edge))
        gained += _int_polygons(_difference(after_box, before_box, grid), precision)
        lost += _int_polygons(_difference(before_box, after_box, grid), precision)


def _repaired(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.make_valid(geometry, method="structure", keep_collapsed=False)


def _valid(geometry: BaseGeometry) -> BaseGeometry:
    """Return the geometry, repaired if clipping left it invalid (an overlay could go wrong)."""
    return geometry if shapely.is_valid(geometry) else _repaired(geometry)
