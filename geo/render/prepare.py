"""Simplify, quantize and cut one layer's dates into chunks, for :mod:`geo.render.encode`.

Each ring is quantized to integers of ``10**-precision`` degrees (duplicate
vertices merged, the closing vertex left out), simplified section by section
(:func:`simplify_ring`: Douglas-Peucker between content-defined cut vertices,
so boundary that dates share is simplified the same way, once), and cut into
content-defined chunks (:func:`chunk_ring`). :func:`prepare_geometry` and
:func:`chunk_ring` are the plain reference; :func:`prepare_dates` does the
same on a whole date at a time with NumPy, and is what the encoder runs, on
blocks of dates anywhere (:func:`prepare_block` is picklable).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.geometry import polygonal_part

#: Default simplification tolerance in degrees (about 55 m north-south).
DEFAULT_TOLERANCE_DEG = 0.0005
#: Mean number of vertices per chunk (the divisor of the cut rule).
DEFAULT_CHUNK_VERTICES = 4
#: Mean number of vertices per simplification section (see :func:`simplify_ring`).
SECTION_VERTICES = 64

IntArray = npt.NDArray[np.int64]

#: Dates whose new rings :func:`prepare_dates` prepares in one pass.
_GROUP_DATES = 16


def prepare_geometry(
    geometry: BaseGeometry | None,
    *,
    precision: int = 5,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
) -> list[list[IntArray]]:
    """Simplify and quantize a geometry into integer rings.

    Parameters
    ----------
    geometry
        A lon/lat geometry; only its polygonal part is used.
    precision
        Decimal places kept (coordinates become ``round(x * 10**precision)``).
    tolerance_deg
        Simplification tolerance in degrees (0 turns simplification off).

    Returns
    -------
    list of list of numpy.ndarray
        Per polygon, its rings (exterior first), each an ``(n, 2)`` int64
        array without the closing vertex. Rings that collapse to fewer than
        3 vertices are left out (a hole's polygon keeps its exterior; a
        collapsed exterior drops its holes too).
    """
    part = polygonal_part(geometry)
    if part is None:
        return []
    scale = 10.0**precision
    polygons: list[list[IntArray]] = []
    for poly in shapely.get_parts(part):
        rings: list[IntArray] = []
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = _clean_ring(np.rint(shapely.get_coordinates(ring) * scale).astype(np.int64)[:-1])
            if tolerance_deg > 0:
                xy = _clean_ring(simplify_ring(xy, tolerance_deg * scale))
            if len(xy) < 3:
                if k == 0:
                    break
                continue
            rings.append(xy)
        if rings:
            polygons.append(rings)
    return polygons


def _clean_ring(xy: IntArray) -> IntArray:
    """Drop consecutive duplicate vertices, and a last vertex equal to the first."""
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = (xy[1:] != xy[:-1]).any(axis=1)
    xy = xy[keep]
    if len(xy) > 1 and (xy[0] == xy[-1]).all():
        xy = xy[:-1]
    return xy


def _ring_sections(xy: IntArray, hashes: npt.NDArray[np.uint64] | None = None) -> list[IntArray]:
    """Cut a ring (no closing vertex) at its section vertices; each section holds both ends."""
    h = _vertex_hash(xy) if hashes is None else hashes
    cuts = np.flatnonzero(h % np.uint64(SECTION_VERTICES) == 0)
    if cuts.size == 0:
        return [np.concatenate([xy, xy[:1]])]
    closed = np.concatenate([np.roll(xy, -int(cuts[0]), axis=0), xy[cuts[:1]]])
    bounds = [*(cuts - cuts[0]).tolist(), len(xy)]
    return [closed[a : b + 1] for a, b in itertools.pairwise(bounds)]


def _douglas_peucker(sections: list[IntArray], tolerance: float) -> list[IntArray]:
    """Douglas-Peucker on each section (ends kept), in one call into GEOS."""
    if not sections:
        return []
    lines = shapely.linestrings(
        np.concatenate(sections).astype(float),
        indices=np.repeat(np.arange(len(sections)), [len(x) for x in sections]),
    )
    simple = shapely.simplify(lines, tolerance, preserve_topology=False)
    xy, which = shapely.get_coordinates(simple, return_index=True)
    cuts = np.flatnonzero(np.diff(which)) + 1
    return [np.rint(part).astype(np.int64) for part in np.split(xy, cuts)]


def simplify_ring(
    xy: IntArray,
    tolerance: float,
    *,
    cache: dict[bytes, IntArray] | None = None,
    hashes: npt.NDArray[np.uint64] | None = None,
) -> IntArray:
    """Simplify one quantized ring (no closing vertex) section by section.

    The ring is cut after every vertex whose hash is divisible by
    :data:`SECTION_VERTICES` (content-defined, like the chunks), and each
    section is simplified by Douglas-Peucker with both of its ends kept, so a
    stretch of boundary that several dates share is simplified the same way
    on each, and only once when ``cache`` (section bytes to result) is given.
    A ring that would collapse below 3 vertices is kept as it is.

    Parameters
    ----------
    xy
        ``(n, 2)`` integer vertices.
    tolerance
        In the units of ``xy``.
    cache
        Results of sections already simplified, filled in here.
    hashes
        The vertices' hashes, if already computed.

    Returns
    -------
    numpy.ndarray
        The kept vertices (a subset of ``xy``, rotated to start at a section end).
    """
    if len(xy) < 4:
        return xy
    sections = _ring_sections(xy, hashes)
    keys = [section.tobytes() for section in sections]
    known = cache if cache is not None else {}
    todo = {k: sec for k, sec in zip(keys, sections, strict=True) if k not in known}
    known.update(zip(todo, _douglas_peucker(list(todo.values()), tolerance), strict=True))
    out = np.concatenate([known[k][:-1] for k in keys])
    return out if len(out) >= 3 else xy


def n_rings(geometry: BaseGeometry | None) -> int:
    """Return the number of rings (exteriors and holes) of the polygonal part of ``geometry``."""
    part = polygonal_part(geometry)
    if part is None:
        return 0
    return int(sum(1 + len(p.interiors) for p in shapely.get_parts(part)))


def _vertex_hash(xy: IntArray) -> npt.NDArray[np.uint64]:
    # A fixed integer mix (not Python's salted hash) so pages are reproducible.
    mask = np.uint64(0xFFFFFFFF)
    x = xy[:, 0].astype(np.uint64) & mask
    y = xy[:, 1].astype(np.uint64) & mask
    h = (x * np.uint64(0x9E3779B1) + y * np.uint64(0x85EBCA77)) & mask
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x2C1B3C6D)) & mask
    h ^= h >> np.uint64(12)
    h = (h * np.uint64(0x297A2D39)) & mask
    h ^= h >> np.uint64(15)
    return h


def chunk_ring(ring: IntArray, *, mean_vertices: int = DEFAULT_CHUNK_VERTICES) -> list[IntArray]:
    """Split a ring into content-defined chunks (see the module docstring).

    Returns
    -------
    list of numpy.ndarray
        Chunks whose concatenation is the ring, rotated to its canonical start.
    """
    h = _vertex_hash(ring)
    cuts = np.flatnonzero(h % np.uint64(mean_vertices) == 0)
    if cuts.size == 0:
        start = int(np.argmin(h))
        return [np.roll(ring, -start, axis=0)]
    first = int(cuts[np.argmin(h[cuts])])
    rotated = np.roll(ring, -(first + 1), axis=0)
    ends = (np.sort((cuts - first - 1) % len(ring)) + 1).tolist()
    return [rotated[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _starts_of(ends: IntArray) -> IntArray:
    """Return the starts of consecutive ranges that end at ``ends`` (the first at 0)."""
    return np.append(np.int64(0), ends)[:-1].astype(np.int64)


@dataclasses.dataclass(frozen=True)
class PreparedDate:
    """One date simplified, quantized and cut into chunks (what :func:`prepare_date` returns).

    Attributes
    ----------
    coords
        ``(n, 2)`` int64: every kept ring's vertices, each ring rotated to its
        canonical start (as :func:`chunk_ring` rotates it), rings one after another.
    ring_ends
        End (exclusive) in ``coords`` of each ring.
    polygon_rings
        Number of rings of each polygon (exterior first).
    chunk_ends
        End (exclusive) in ``coords`` of each chunk.
    n_vertices_in
        Vertices of the input geometry (closing vertices included).
    n_rings_dropped
        Rings that collapsed under simplification or quantization.
    """

    coords: IntArray
    ring_ends: IntArray
    polygon_rings: IntArray
    chunk_ends: IntArray
    n_vertices_in: int
    n_rings_dropped: int

    @functools.cached_property
    def chunk_keys(self) -> list[bytes]:
        """The bytes of each chunk (equal chunks give equal keys)."""
        raw = np.ascontiguousarray(self.coords).tobytes()
        width = 2 * self.coords.itemsize
        ends = self.chunk_ends.tolist()
        return [raw[a * width : b * width] for a, b in zip([0, *ends[:-1]], ends)]  # noqa: B905

    @functools.cached_property
    def chunk_starts(self) -> IntArray:
        """Start in ``coords`` of each chunk."""
        return _starts_of(self.chunk_ends)

    @functools.cached_property
    def chunk_ring(self) -> IntArray:
        """Ring of each chunk."""
        return np.searchsorted(self.ring_ends, self.chunk_ends - 1, side="right")

    @functools.cached_property
    def chunk_boxes(self) -> tuple[IntArray, IntArray]:
        """Least and greatest ``(x, y)`` of each chunk."""
        if not len(self.chunk_ends):
            return np.zeros((0, 2), np.int64), np.zeros((0, 2), np.int64)
        return (np.minimum.reduceat(self.coords, self.chunk_starts, axis=0),
                np.maximum.reduceat(self.coords, self.chunk_starts, axis=0))  # fmt: skip

    @functools.cached_property
    def ring_starts(self) -> IntArray:
        """Start in ``coords`` of each ring."""
        return _starts_of(self.ring_ends)

    @functools.cached_property
    def ring_boxes(self) -> IntArray:
        """``(xmin, ymin, xmax, ymax)`` of each ring."""
        if not len(self.ring_ends):
            return np.zeros((0, 4), np.int64)
        return np.hstack([np.minimum.reduceat(self.coords, self.ring_starts, axis=0),
                          np.maximum.reduceat(self.coords, self.ring_starts, axis=0)])  # fmt: skip

    def rings(self) -> list[list[IntArray]]:
        """Return per polygon its rings, like :func:`prepare_geometry` (rotated)."""
        ends = self.ring_ends.tolist()
        rings = [self.coords[a:b] for a, b in zip(self.ring_starts.tolist(), ends, strict=True)]
        out, k = [], 0
        for n in self.polygon_rings.tolist():
            out.append(rings[k : k + n])
            k += n
        return out


_EMPTY = np.zeros(0, dtype=np.int64)


def prepare_date(
    geometry: BaseGeometry | None,
    *,
    precision: int = 5,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
    chunk_mean_vertices: int = DEFAULT_CHUNK_VERTICES,
) -> PreparedDate:
    """Simplify, quantize and chunk one date: :func:`prepare_geometry` then :func:`chunk_ring`.

    The same rings and chunks as those two functions, computed on all rings
    of the date at once (NumPy) rather than ring by ring.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> prepared = prepare_date(box(37.0, 48.0, 37.5, 48.5))
    >>> prepared.coords.shape, prepared.polygon_rings.tolist(), prepared.n_rings_dropped
    ((4, 2), [1], 0)
    """
    return prepare_dates(
        [geometry], precision=precision, tolerance_deg=tolerance_deg,
        chunk_mean_vertices=chunk_mean_vertices,
    )[0]  # fmt: skip


def prepare_dates(
    geometries: Sequence[BaseGeometry | None],
    *,
    precision: int = 5,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
    chunk_mean_vertices: int = DEFAULT_CHUNK_VERTICES,
) -> list[PreparedDate]:
    """Run :func:`prepare_date` on several dates.

    Each distinct ring (same coordinates) is prepared once, however many
    dates hold it (consecutive dates share most rings), and the distinct
    rings of a few dates at a time in one pass (fewer NumPy calls). A date
    made of the same rings as the date before is returned as the same object.
    """
    parts = [polygonal_part(g) for g in geometries]
    present_at = [i for i, part in enumerate(parts) if part is not None]
    present = np.array([parts[i] for i in present_at], dtype=object)
    # a geometry identical to the one before (a day without change) is read only once
    repeat = np.zeros(len(present), dtype=bool)
    repeat[1:] = shapely.equals_identical(present[1:], present[:-1])
    distinct = np.flatnonzero(~repeat).tolist()
    n_in = shapely.get_num_coordinates(np.array([*geometries, None], dtype=object)[:-1]).tolist()
    rings = _DistinctRings(precision=precision, mean_vertices=chunk_mean_vertices,
                           tolerance=tolerance_deg * 10.0**precision)  # fmt: skip
    blank = PreparedDate(np.zeros((0, 2), np.int64), _EMPTY, _EMPTY, _EMPTY, 0, 0)
    out = [blank] * len(geometries)
    previous: tuple[bytes, PreparedDate] | None = None
    # a few dates at a time: fewer NumPy calls than date by date, and the coordinates of only
    # those dates in memory (all of them at once would be most of the build's peak)
    for g0 in range(0, len(distinct), _GROUP_DATES):
        group = distinct[g0 : g0 + _GROUP_DATES]
        xy, ring_ends, ring_polygon, geometry_rings = _ragged(present[group])
        uid = rings.add(xy, ring_ends)
        bounds = geometry_rings.tolist()
        for d, at in enumerate(group):
            first, last = bounds[d], bounds[d + 1]
            uids = uid[first:last]
            polygons = ring_polygon[first:last]
            signature = uids.tobytes() + (polygons - polygons[0]).tobytes()
            date = None
            if previous is not None and previous[0] == signature:
                date = previous[1]  # the same rings as the date before
            else:
                date = rings.date(uids.tolist(), polygons.tolist(), n_in[present_at[at]])
            # this date, then the dates identical to it
            following = distinct[g0 + d + 1] if g0 + d + 1 < len(distinct) else len(present)
            for k in range(at, following):
                if date.n_vertices_in != n_in[present_at[k]]:
                    date = dataclasses.replace(date, n_vertices_in=n_in[present_at[k]])
                out[present_at[k]] = date
            previous = (signature, date)
    return out


class _DistinctRings:
    """Every distinct ring of some dates, prepared once (see :func:`prepare_dates`)."""

    def __init__(self, *, precision: int, mean_vertices: int, tolerance: float) -> None:
        self.precision, self.mean_vertices, self.tolerance = precision, mean_vertices, tolerance
        self.index: dict[bytes, int] = {}  # a ring's coordinates -> its number
        self.count: list[int] = []  # vertices, after simplification
        self.coords: list[IntArray] = []
        self.chunk_ends: list[IntArray] = []  # within the ring
        self.cache: dict[bytes, IntArray] = {}  # sections already simplified

    def add(self, xy: npt.NDArray[np.float64], ring_ends: IntArray) -> IntArray:
        """Give each ring of ``xy`` (ending at ``ring_ends``) its number; prepare the new ones."""
        width = 2 * xy.itemsize
        raw = np.ascontiguousarray(xy).tobytes()
        ends = ring_ends.tolist()
        index, n_done = self.index, len(self.index)
        uid = np.asarray(
            [index.setdefault(raw[a * width : b * width], len(index))
             for a, b in zip([0, *ends[:-1]], ends, strict=True)],
            dtype=np.int64,
        )  # fmt: skip
        new = np.flatnonzero(uid >= n_done)
        new = new[np.unique(uid[new], return_index=True)[1]]  # first use of each
        if new.size:
            self._prepare(xy, ring_ends, new)
        return uid

    def _prepare(self, xy: npt.NDArray[np.float64], ends: IntArray, new: IntArray) -> None:
        """Prepare the rings at positions ``new`` (distinct, in order of their numbers)."""
        starts = (ends - np.diff(ends, prepend=0))[new]
        counts = ends[new] - starts
        take = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        counts, coords, chunk_ends, ring_ends = _prepare_rings(
            xy[take], np.cumsum(counts), precision=self.precision,
            mean_vertices=self.mean_vertices, tolerance=self.tolerance, cache=self.cache,
        )  # fmt: skip
        self.count.extend(counts.tolist())
        vertex: list[int] = [0, *ring_ends.tolist()]
        cuts: list[int] = np.searchsorted(chunk_ends, vertex, side="right").tolist()
        r = 0
        for n in counts.tolist():
            if n < 3:  # collapsed: never drawn
                self.coords.append(coords[:0])
                self.chunk_ends.append(_EMPTY)
                continue
            a = vertex[r]
            self.coords.append(coords[a : vertex[r + 1]])
            self.chunk_ends.append(chunk_ends[cuts[r] : cuts[r + 1]] - a)
            r += 1

    def date(self, uids: list[int], polygons: list[int], n_vertices_in: int) -> PreparedDate:
        """Assemble a date from its prepared rings (their ids, each ring's polygon)."""
        counts = self.count
        kept: list[int] = []
        polygon_rings: list[int] = []
        dead = None
        for k, (u, poly) in enumerate(zip(uids, polygons, strict=True)):
            if k == 0 or poly != polygons[k - 1]:  # an exterior
                dead = poly if counts[u] < 3 else None  # a collapsed exterior drops its polygon
                if dead is None:
                    polygon_rings.append(0)
            if poly == dead or counts[u] < 3:
                continue
            kept.append(u)
            polygon_rings[-1] += 1
        if not kept:
            return PreparedDate(np.zeros((0, 2), np.int64), _EMPTY, _EMPTY, _EMPTY,
                                n_vertices_in, len(uids))  # fmt: skip
        sizes = np.asarray([counts[u] for u in kept], dtype=np.int64)
        ring_ends = np.cumsum(sizes)
        offsets = (ring_ends - sizes).tolist()
        return PreparedDate(
            coords=np.concatenate([self.coords[u] for u in kept]),
            ring_ends=ring_ends,
            polygon_rings=np.asarray(polygon_rings, dtype=np.int64),
            chunk_ends=np.concatenate([self.chunk_ends[u] + o for u, o in zip(kept, offsets)]),  # noqa: B905
            n_vertices_in=n_vertices_in,
            n_rings_dropped=len(uids) - len(kept),
        )


def _ragged(
    geometries: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.float64], IntArray, IntArray, IntArray]:
    """Coordinates of (Multi)Polygons; each ring's end, each ring's polygon, each geometry's rings.

    The last array holds, for geometry g, its rings' range ``[out[g], out[g + 1])``.
    """
    if len(geometries) == 0:
        return np.zeros((0, 2)), _EMPTY, _EMPTY, np.zeros(1, dtype=np.int64)
    # what shapely.to_ragged_array gives, in fewer passes over the coordinates
    parts, part_geometry = shapely.get_parts(geometries, return_index=True)
    rings, ring_polygon = shapely.get_rings(parts, return_index=True)
    ring_ends = np.cumsum(shapely.get_num_coordinates(rings)).astype(np.int64)
    xy = shapely.get_coordinates(geometries)
    per_geometry = np.bincount(part_geometry[ring_polygon], minlength=len(geometries))
    geometry_rings = np.concatenate([[0], np.cumsum(per_geometry)]).astype(np.int64)
    return xy, ring_ends, ring_polygon.astype(np.int64), geometry_rings


def _prepare_rings(
    xy: npt.NDArray[np.float64],
    ring_ends: IntArray,
    *,
    precision: int,
    mean_vertices: int,
    tolerance: float,
    cache: dict[bytes, IntArray],
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Quantize, clean, simplify and chunk rings (closed, as GEOS gives them).

    Returns each ring's vertex count after cleaning and simplification, then
    for the rings of 3 or more vertices (the others collapsed): their
    vertices one after another, the chunk ends and the ring ends.
    """
    q = np.rint(xy * 10.0**precision).astype(np.int64)
    counts = np.diff(ring_ends, prepend=0)
    keep = np.ones(len(q), dtype=bool)
    keep[ring_ends[ring_ends > 0] - 1] = False  # the closing vertex
    q, counts = _clean(q[keep], counts - (counts > 0))
    if tolerance > 0:
        simple = _simplify_rings(q, counts, tolerance, cache)
        q = np.concatenate(simple) if simple else q
        q, counts = _clean(q, np.asarray([len(r) for r in simple], dtype=np.int64))
    starts = np.cumsum(counts) - counts
    whole = np.flatnonzero(counts >= 3)
    coords, chunk_ends, ring_ends_out = _chunked(
        q, starts[whole], counts[whole], mean_vertices=mean_vertices
    )
    return counts, coords, chunk_ends, ring_ends_out


def _simplify_rings(
    q: IntArray, counts: IntArray, tolerance: float, cache: dict[bytes, IntArray]
) -> list[IntArray]:
    """:func:`simplify_ring` on every ring (``counts`` vertices each), sections in one batch."""
    starts = np.cumsum(counts) - counts
    h = _vertex_hash(q)
    simple: list[IntArray] = []
    pending: list[tuple[int, list[bytes]]] = []
    todo: dict[bytes, IntArray] = {}
    for a, n in zip(starts.tolist(), counts.tolist(), strict=True):
        ring = q[a : a + n]
        if n >= 4:
            sections = _ring_sections(ring, h[a : a + n])
            keys = [section.tobytes() for section in sections]
            todo.update((k, sec) for k, sec in zip(keys, sections, strict=True) if k not in cache)
            pending.append((len(simple), keys))
        simple.append(ring)
    cache.update(zip(todo, _douglas_peucker(list(todo.values()), tolerance), strict=True))
    for r, keys in pending:
        out = np.concatenate([cache[k][:-1] for k in keys])
        if len(out) >= 3:
            simple[r] = out
    return simple


def _clean(q: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """:func:`_clean_ring` on every ring at once (rings of ``counts`` vertices, no closing one)."""
    ends = np.cumsum(counts)
    starts = ends - counts
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = (q[1:, 0] != q[:-1, 0]) | (q[1:, 1] != q[:-1, 1])
    keep[starts[counts > 0]] = True  # a ring's first vertex
    kept = np.concatenate([[0], np.cumsum(keep)])
    counts = kept[ends] - kept[starts]
    if kept[-1] < len(q):
        q = q[keep]
    if len(q):
        starts = np.cumsum(counts) - counts
        last, first = q[np.maximum(starts + counts - 1, 0)], q[np.minimum(starts, len(q) - 1)]
        wrap = (counts > 1) & (last == first).all(axis=1)
        if wrap.any():
            drop = np.zeros(len(q), dtype=bool)
            drop[(starts + counts - 1)[wrap]] = True
            q, counts = q[~drop], counts - wrap
    return q, counts


def _chunked(
    q: IntArray, starts: IntArray, counts: IntArray, *, mean_vertices: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Rotate and cut the rings ``q[starts[r]:starts[r] + counts[r]]`` as :func:`chunk_ring` does.

    Returns the rotated rings one after another, the chunk ends and the ring ends.
    """
    n_ring = len(counts)
    if n_ring == 0:
        return np.zeros((0, 2), dtype=np.int64), _EMPTY, _EMPTY
    out_ends = np.cumsum(counts)
    out_starts = out_ends - counts
    ring = np.repeat(np.arange(n_ring), counts)
    local = np.arange(len(ring)) - out_starts[ring]
    if len(q) == len(ring) and np.array_equal(starts, out_starts):
        ordered = q  # the rings are all of q, one after another
    else:
        ordered = q[starts[ring] + local]
    h = _vertex_hash(ordered)
    is_cut = h % np.uint64(mean_vertices) == 0
    # rotation: after the cut of least hash, or to the vertex of least hash when no cut
    has_cut = np.bincount(ring, weights=is_cut, minlength=n_ring) > 0
    key = np.where(is_cut | ~has_cut[ring], h, np.iinfo(np.uint64).max)
    # per ring, the first vertex of least key (a lexsort by ring, key, position, but linear)
    is_least = key == np.minimum.reduceat(key, out_starts)[ring]
    least = np.flatnonzero(is_least)
    best = local[least[np.searchsorted(ring[least], np.arange(n_ring))]]
    shift = np.where(has_cut, best + 1, best)
    rotated = (local - shift[ring]) % counts[ring]
    coords = np.empty((len(ring), 2), dtype=np.int64)
    coords[out_starts[ring] + rotated] = ordered
    cut_ends = (out_starts[ring] + rotated + 1)[is_cut]
    chunk_ends = np.sort(np.concatenate([cut_ends, out_ends[~has_cut]]))
    return coords, chunk_ends, out_ends.astype(np.int64)


def prepare_block(
    task: tuple[Sequence[BaseGeometry | None], int, float, int],
) -> list[PreparedDate]:
    """Run :func:`prepare_dates` on ``(geometries, precision, tolerance_deg, mean_vertices)``."""
    geometries, precision, tolerance_deg, mean_vertices = task
    return prepare_dates(geometries, precision=precision, tolerance_deg=tolerance_deg,
                         chunk_mean_vertices=mean_vertices)  # fmt: skip
