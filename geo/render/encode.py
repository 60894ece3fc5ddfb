"""Compact encoding of many dates of one polygon layer, for the timeline map.

Consecutive dates of a control layer share almost all of their boundary, so
storing every date's full geometry (what folium's ``TimestampedGeoJson``
does) repeats the same vertices hundreds of times. The encoding here stores
each stretch of boundary once:

1. **Simplify** each date with :func:`shapely.simplify` (``preserve_topology``)
   at ``tolerance_deg``, then **quantize** lon/lat to integers of
   ``10**-precision`` degrees (1e-5° is about 1.1 m north-south). Consecutive
   duplicate vertices are merged and the closing vertex is left out; rings
   left with fewer than 3 vertices are dropped and counted.
2. **Chunk** every ring by content: cut after each vertex whose hash is
   divisible by ``chunk_mean_vertices``, and rotate the ring to start after
   its cut vertex of least hash. A local change then alters only the chunks it
   touches, and a ring whose start vertex moved still gives the same chunks.
3. **Deduplicate**: each distinct chunk is stored once, its vertices
   delta-encoded in one stream over all chunks.
4. Each date is a token list (chunk ids, ring and polygon breaks), stored as
   edit operations against the previous date's list (keep, skip, insert).

Integer streams are zigzag varints written 5 bits to a character in the
URL-safe base64 alphabet (the idea of Google's encoded polylines, with an
alphabet that needs no escaping in JSON or HTML). :func:`decode_series` is the
Python reference decoder; ``timeline.py`` carries the same decoder in
JavaScript. The area error of the encoding is measured per date against the
original geometry: the decoded area is geodesic, summed over each distinct
chunk and join once (:func:`decoded_areas_km2`), not over every date's vertices.

Speed: :func:`prepare_date` simplifies, quantizes and cuts a whole date with
NumPy; dates are prepared in blocks, in this thread or on any
:class:`concurrent.futures.Executor` (``jobs=``, ``executor=``), and handed in
date order to :class:`SeriesEncoder`, which alone numbers chunks and writes
edits, so the encoding is the same byte for byte however the blocks ran.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError, ValidationError
from geo.geometry import GEOD, geodesic_area_km2, polygonal_part
from geo.progress import Progress, progress_meter

#: Default simplification tolerance in degrees (about 55 m north-south).
DEFAULT_TOLERANCE_DEG = 0.0005
#: Mean number of vertices per chunk (the divisor of the cut rule).
DEFAULT_CHUNK_VERTICES = 4
#: Mean number of vertices per simplification section (see :func:`simplify_ring`).
SECTION_VERTICES = 64
#: Version of the ``data`` layout, checked by the decoders.
FORMAT_VERSION = 1

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CODE = np.full(128, -1, dtype=np.int64)
_CODE[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = np.arange(64)
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_CONTINUED = frozenset(ALPHABET[32:])  # characters that say "more of this value follows"

# Tokens of a date's list: chunk id c is stored as c + 2.
POLYGON_BREAK = 0
RING_BREAK = 1

IntArray = npt.NDArray[np.int64]
T = TypeVar("T")
R = TypeVar("R")


def encode_ints(values: Sequence[int] | IntArray) -> str:
    """Encode integers as zigzag varints, 5 bits per base64url character.

    Parameters
    ----------
    values
        Signed integers with magnitude below 2**62.

    Returns
    -------
    str
        One character per 5 bits; bit 6 (value 32) marks "more follows".
    """
    ints = np.asarray(values, dtype=np.int64)
    if ints.size == 0:
        return ""
    zig = ((ints << 1) ^ (ints >> 63)).astype(np.uint64)
    n_groups = np.ones(ints.size, dtype=np.int64)
    rest = zig >> np.uint64(5)
    while rest.any():
        n_groups += rest > 0
        rest >>= np.uint64(5)
    width = int(n_groups.max())
    shifts = (np.arange(width, dtype=np.uint64) * np.uint64(5))[None, :]
    groups = ((zig[:, None] >> shifts) & np.uint64(31)).astype(np.int64)
    index = np.arange(width)[None, :]
    groups[index < (n_groups - 1)[:, None]] += 32
    codes = groups[index < n_groups[:, None]]
    return _ALPHABET_BYTES[codes].tobytes().decode("ascii")


def decode_ints(text: str) -> IntArray:
    """Inverse of :func:`encode_ints`.

    Raises
    ------
    GeoError
        If ``text`` holds characters outside the alphabet or ends mid-value.
    """
    if not text:
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    codes = _CODE[np.minimum(raw, 127)]
    if (codes < 0).any() or codes[-1] >= 32:
        msg = "encoded timeline data is corrupt (bad character or truncated value)"
        raise GeoError(msg)
    ends = np.flatnonzero(codes < 32)
    starts = np.concatenate([[0], ends[:-1] + 1])
    value_of_char = np.repeat(np.arange(ends.size), ends - starts + 1)
    position = np.arange(codes.size) - starts[value_of_char]
    parts = (codes & 31).astype(np.uint64) << (position.astype(np.uint64) * np.uint64(5))
    zig = np.add.reduceat(parts, starts)
    return (zig >> np.uint64(1)).astype(np.int64) ^ -(zig & np.uint64(1)).astype(np.int64)


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

    def rings(self) -> list[list[IntArray]]:
        """Return per polygon its rings, like :func:`prepare_geometry` (rotated)."""
        starts = [0, *self.ring_ends[:-1].tolist()]
        rings = [self.coords[a:b] for a, b in zip(starts, self.ring_ends.tolist(), strict=True)]
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
    """Run :func:`prepare_date` on several dates (simplified together: fewer calls into GEOS)."""
    parts = [polygonal_part(g) for g in geometries]
    present = np.array([p for p in parts if p is not None], dtype=object)
    xy, ring_ends, ring_polygon, geometry_rings = _ragged(present)
    cache: dict[bytes, IntArray] = {}  # rings and sections simplified on an earlier date
    out, k = [], 0
    for geometry, part in zip(geometries, parts, strict=True):
        if part is None:
            out.append(PreparedDate(np.zeros((0, 2), np.int64), _EMPTY, _EMPTY, _EMPTY, 0, 0))
            continue
        # one date at a time: its arrays stay in the processor's cache
        first, last = int(geometry_rings[k]), int(geometry_rings[k + 1])
        a = int(ring_ends[first - 1]) if first else 0
        b = int(ring_ends[last - 1]) if last > first else a
        coords, chunk_ends, kept_ends, kept = _prepare_rings(
            xy[a:b], ring_ends[first:last] - a, ring_polygon[first:last],
            precision=precision, mean_vertices=chunk_mean_vertices,
            tolerance=tolerance_deg * 10.0**precision, cache=cache,
        )  # fmt: skip
        polygons = ring_polygon[first:last][kept]
        starts = np.flatnonzero(np.r_[True, polygons[1:] != polygons[:-1]]) if len(kept) else _EMPTY
        out.append(PreparedDate(
            coords=coords,
            ring_ends=kept_ends,
            polygon_rings=np.diff(np.r_[starts, len(kept)]).astype(np.int64),
            chunk_ends=chunk_ends,
            n_vertices_in=int(shapely.get_num_coordinates(geometry)),
            n_rings_dropped=(last - first) - len(kept),
        ))  # fmt: skip
        k += 1
    return out


def _ragged(
    geometries: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.float64], IntArray, IntArray, IntArray]:
    """Coordinates of (Multi)Polygons; each ring's end, each ring's polygon, each geometry's rings.

    The last array holds, for geometry g, its rings' range ``[out[g], out[g + 1])``.
    """
    if len(geometries) == 0:
        return np.zeros((0, 2)), _EMPTY, _EMPTY, np.zeros(1, dtype=np.int64)
    kind, xy, offsets = shapely.to_ragged_array(geometries, include_z=False)
    ring_offsets = offsets[0].astype(np.int64)
    polygon_offsets = offsets[1].astype(np.int64)
    geometry_polygons = (
        offsets[2].astype(np.int64)
        if kind == shapely.GeometryType.MULTIPOLYGON
        else np.arange(len(geometries) + 1)
    )
    ring_polygon = np.repeat(np.arange(len(polygon_offsets) - 1), np.diff(polygon_offsets))
    return xy, ring_offsets[1:], ring_polygon, polygon_offsets[geometry_polygons]


def _prepare_rings(
    xy: npt.NDArray[np.float64],
    ring_ends: IntArray,
    ring_polygon: IntArray,
    *,
    precision: int,
    mean_vertices: int,
    tolerance: float,
    cache: dict[bytes, IntArray],
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Quantize, clean, simplify and chunk rings (closed, as GEOS gives them).

    Returns the kept rings' vertices one after another, the chunk ends, the
    kept rings' ends, and which of the input rings were kept.
    """
    q = np.rint(xy * 10.0**precision).astype(np.int64)
    n_ring = len(ring_ends)
    counts = np.diff(ring_ends, prepend=0)
    keep = np.ones(len(q), dtype=bool)
    keep[ring_ends[ring_ends > 0] - 1] = False  # the closing vertex
    q, counts = _clean(q[keep], counts - (counts > 0))
    if tolerance > 0:
        starts = np.cumsum(counts) - counts
        h = _vertex_hash(q)
        simple = []
        for a, n in zip(starts.tolist(), counts.tolist(), strict=True):
            key = b"ring" + q[a : a + n].tobytes()  # a ring unchanged since an earlier date
            ring = cache.get(key)
            if ring is None:
                ring = cache[key] = simplify_ring(
                    q[a : a + n], tolerance, cache=cache, hashes=h[a : a + n]
                )
            simple.append(ring)
        q = np.concatenate(simple) if simple else q
        q, counts = _clean(q, np.asarray([len(r) for r in simple], dtype=np.int64))
    starts = np.cumsum(counts) - counts
    # a collapsed ring is dropped; a collapsed exterior drops its whole polygon
    is_exterior = np.r_[True, ring_polygon[1:] != ring_polygon[:-1]] if n_ring else _EMPTY
    dead = np.zeros(int(ring_polygon.max(initial=-1)) + 1, dtype=bool)
    dead[ring_polygon[is_exterior & (counts < 3)]] = True
    kept = np.flatnonzero((counts >= 3) & ~dead[ring_polygon])
    coords, chunk_ends, ring_ends_out = _chunked(
        q, starts[kept], counts[kept], mean_vertices=mean_vertices
    )
    return coords, chunk_ends, ring_ends_out, kept


def _clean(q: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """:func:`_clean_ring` on every ring at once (rings of ``counts`` vertices, no closing one)."""
    ring = np.repeat(np.arange(len(counts)), counts)
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = (ring[1:] != ring[:-1]) | (q[1:] != q[:-1]).any(axis=1)
    counts = np.bincount(ring[keep], minlength=len(counts))
    q = q[keep]
    if len(q):
        starts = np.cumsum(counts) - counts
        last, first = q[np.maximum(starts + counts - 1, 0)], q[np.minimum(starts, len(q) - 1)]
        wrap = (counts > 1) & (last == first).all(axis=1)
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
    source = starts[ring] + local
    h = _vertex_hash(q[source])
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
    coords[out_starts[ring] + rotated] = q[source]
    cut_ends = (out_starts[ring] + rotated + 1)[is_cut]
    chunk_ends = np.sort(np.concatenate([cut_ends, out_ends[~has_cut]]))
    return coords, chunk_ends, out_ends.astype(np.int64)


@dataclasses.dataclass(frozen=True)
class EncodedSeries:
    """One layer's dates, encoded, with what the encoding cost.

    Attributes
    ----------
    data
        The JSON-ready encoding (see :func:`decode_series`).
    precision, tolerance_deg, chunk_mean_vertices
        The parameters used.
    n_vertices_in
        Vertices of the input geometries (closing vertices included).
    n_vertices_drawn
        Vertices over all dates after simplification and quantization.
    n_vertices_stored
        Vertices actually stored (in distinct chunks).
    n_unique_chunks, n_chunk_refs
        Distinct chunks, and chunk references over all dates.
    n_rings_dropped
        Rings that collapsed under simplification or quantization.
    area_km2
        Geodesic area of each original geometry.
    area_error_pct
        Per date, ``100 * |decoded - original| / original`` (0 where the
        original is empty), the decoded area geodesic too
        (:func:`decoded_areas_km2`).
    """

    data: dict[str, Any]
    precision: int
    tolerance_deg: float
    chunk_mean_vertices: int
    n_vertices_in: int
    n_vertices_drawn: int
    n_vertices_stored: int
    n_unique_chunks: int
    n_chunk_refs: int
    n_rings_dropped: int
    area_km2: tuple[float, ...]
    area_error_pct: tuple[float, ...]

    @property
    def n_dates(self) -> int:
        """Number of dates encoded."""
        return len(self.data["dates"])

    @property
    def worst_area_error_pct(self) -> float:
        """The largest per-date area error in percent (0 for no dates)."""
        return max(self.area_error_pct, default=0.0)

    def to_json(self) -> str:
        """Compact JSON of :attr:`data`."""
        return json.dumps(self.data, separators=(",", ":"))

    @property
    def bytes(self) -> int:
        """Size of :meth:`to_json` in bytes (what the page embeds)."""
        return len(self.to_json().encode())


def _common_ends(previous: Sequence[int], current: Sequence[int]) -> tuple[int, int]:
    """Lengths of the common prefix and (after it) the common suffix of two token lists."""
    n = min(len(previous), len(current))
    a = np.asarray(previous[:n], dtype=np.int64)
    b = np.asarray(current[:n], dtype=np.int64)
    differ = np.flatnonzero(a != b)
    prefix = int(differ[0]) if differ.size else n
    m = n - prefix
    a = np.asarray(previous[len(previous) - m :], dtype=np.int64)[::-1]
    b = np.asarray(current[len(current) - m :], dtype=np.int64)[::-1]
    differ = np.flatnonzero(a != b)
    suffix = int(differ[0]) if differ.size else m
    return prefix, suffix


Opcode = tuple[str, int, int, int, int]


def token_opcodes(previous: Sequence[int], current: Sequence[int]) -> list[Opcode]:
    """Return :meth:`difflib.SequenceMatcher.get_opcodes` of two token lists.

    The common prefix and suffix are kept as they are; only the middle goes
    through :class:`difflib.SequenceMatcher` (a day changes a few stretches).
    """
    prefix, suffix = _common_ends(previous, current)
    middle_prev = previous[prefix : len(previous) - suffix]
    middle_cur = current[prefix : len(current) - suffix]
    matcher = difflib.SequenceMatcher(None, middle_prev, middle_cur, autojunk=False)
    opcodes = [("equal", 0, prefix, 0, prefix)] if prefix else []
    opcodes += [
        (tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    if suffix:
        opcodes.append(("equal", len(previous) - suffix, len(previous),
                        len(current) - suffix, len(current)))  # fmt: skip
    return opcodes


def _date_ops(
    previous: list[int], current: list[int], opcodes: list[Opcode] | None = None
) -> list[int]:
    """Edit operations turning ``previous`` into ``current``: (keep, skip, n, tokens...)."""
    if opcodes is None:
        opcodes = token_opcodes(previous, current)
    ops: list[int] = []
    keep = skip = 0
    inserted: list[int] = []
    last = 0

    def flush() -> None:
        nonlocal keep, skip, inserted, last
        ops.extend((keep, skip, len(inserted)))
        for token in inserted:
            ops.append(token - last)
            last = token
        keep, skip, inserted = 0, 0, []

    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            if skip or inserted:
                flush()
            keep += i2 - i1
            last = current[j2 - 1]
        else:
            skip += i2 - i1
            inserted.extend(current[j1:j2])
    if keep or skip or inserted:
        flush()
    return ops


def _apply_ops(previous: list[int], ops: Sequence[int] | IntArray) -> list[int]:
    out: list[int] = []
    pos = 0
    i = 0
    last = 0
    while i < len(ops):
        keep, skip, n = int(ops[i]), int(ops[i + 1]), int(ops[i + 2])
        out.extend(previous[pos : pos + keep])
        if keep:
            last = out[-1]
        pos += keep + skip
        for delta in ops[i + 3 : i + 3 + n]:
            last += int(delta)
            out.append(last)
        i += 3 + n
    return out


def _check_parameters(
    n_geometries: int,
    *,
    precision: int,
    tolerance_deg: float,
    chunk_mean_vertices: int,
    areas_km2: Sequence[float] | None,
) -> None:
    """Raise :class:`GeoError` for parameters :func:`encode_series` cannot use."""
    if not 1 <= precision <= 7:
        msg = f"precision {precision} is out of range; use 1 to 7 decimals (5 is ~1 m)"
        raise GeoError(msg)
    if not 0 <= tolerance_deg < 1:
        msg = f"tolerance {tolerance_deg}° is out of range; use 0 to 1 degree"
        raise GeoError(msg)
    if not 2 <= chunk_mean_vertices <= 1024:
        msg = f"chunk_mean_vertices {chunk_mean_vertices} is out of range; use 2 to 1024"
        raise GeoError(msg)
    if areas_km2 is not None and len(areas_km2) != n_geometries:
        msg = (
            f"areas_km2 has {len(areas_km2)} values for {n_geometries} geometries; "
            "pass one area per geometry or none"
        )
        raise GeoError(msg)


def _with_breaks(prepared: PreparedDate, ids: list[int]) -> list[int]:
    """Return a date's tokens: its chunk tokens with ring and polygon breaks between rings."""
    if not ids:
        return []
    chunk_ring = np.searchsorted(prepared.ring_ends, prepared.chunk_ends - 1, side="right")
    ring_polygon = np.repeat(np.arange(len(prepared.polygon_rings)), prepared.polygon_rings)
    new_ring = np.flatnonzero(chunk_ring[1:] != chunk_ring[:-1]) + 1
    breaks = np.where(
        ring_polygon[chunk_ring[new_ring]] != ring_polygon[chunk_ring[new_ring - 1]],
        POLYGON_BREAK, RING_BREAK,
    )  # fmt: skip
    tokens: list[int] = np.insert(np.asarray(ids, dtype=np.int64), new_ring, breaks).tolist()
    return tokens


class SeriesEncoder:
    """Encode prepared dates one after another (what :func:`encode_series` runs).

    Chunk ids are given in order of first use, and each date is stored as
    edits of the previous date's tokens, so the encoding depends only on the
    order of the dates, not on where they were prepared.
    """

    def __init__(self, *, precision: int, tolerance_deg: float, chunk_mean_vertices: int) -> None:
        self.precision = precision
        self.tolerance_deg = tolerance_deg
        self.chunk_mean_vertices = chunk_mean_vertices
        self._ids: dict[bytes, int] = {}
        self._chunks: list[IntArray] = []
        self._dates: list[str] = []
        self._previous: list[int] = []
        self._n_in = self._n_drawn = self._n_dropped = self._n_refs = 0
        #: The last date's :func:`token_opcodes` against the date before it.
        self.opcodes: list[Opcode] = []

    def add(self, prepared: PreparedDate) -> list[int]:
        """Append the next date; return its token list (chunk id + 2, or a break)."""
        ids = []
        for key in prepared.chunk_keys:
            cid = self._ids.get(key)
            if cid is None:
                cid = self._ids[key] = len(self._chunks)
                self._chunks.append(np.frombuffer(key, dtype=np.int64).reshape(-1, 2))
            ids.append(cid + 2)
        tokens = _with_breaks(prepared, ids)
        self.opcodes = token_opcodes(self._previous, tokens)
        self._dates.append(encode_ints(_date_ops(self._previous, tokens, self.opcodes)))
        self._previous = tokens
        self._n_in += prepared.n_vertices_in
        self._n_drawn += len(prepared.coords)
        self._n_dropped += prepared.n_rings_dropped
        self._n_refs += len(ids)
        return tokens

    @property
    def data(self) -> dict[str, Any]:
        """The JSON-ready encoding so far: chunk lengths, delta-encoded vertices, the dates."""
        stream = np.concatenate(self._chunks) if self._chunks else np.zeros((0, 2), np.int64)
        deltas = np.diff(stream, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        return {
            "format": FORMAT_VERSION,
            "precision": self.precision,
            "chunk_lengths": encode_ints([len(c) for c in self._chunks]),
            "coords": encode_ints(deltas.ravel()),
            "dates": list(self._dates),
        }

    def finish(self, areas_km2: Sequence[float]) -> EncodedSeries:
        """Return the :class:`EncodedSeries`, its area error measured against ``areas_km2``."""
        data = self.data
        decoded = decoded_areas_km2(data)
        errors = tuple(
            100.0 * abs(d - o) / o if o > 0 else (0.0 if d == 0 else 100.0)
            for d, o in zip(decoded.tolist(), areas_km2, strict=True)
        )
        return EncodedSeries(
            data=data,
            precision=self.precision,
            tolerance_deg=self.tolerance_deg,
            chunk_mean_vertices=self.chunk_mean_vertices,
            n_vertices_in=self._n_in,
            n_vertices_drawn=self._n_drawn,
            n_vertices_stored=sum(len(c) for c in self._chunks),
            n_unique_chunks=len(self._chunks),
            n_chunk_refs=self._n_refs,
            n_rings_dropped=self._n_dropped,
            area_km2=tuple(float(a) for a in areas_km2),
            area_error_pct=errors,
        )


def map_ordered(
    fn: Callable[[T], R], items: Sequence[T], *, jobs: int | None = None,
    executor: Executor | None = None,
) -> Iterator[R]:  # fmt: skip
    """Yield ``fn(item)`` for each item in order: here, on ``jobs`` processes, or on ``executor``.

    ``jobs``: ``None`` or 1 runs in the calling thread, ``N > 1`` on N local
    processes, ``0`` on one process per core; an ``executor`` (threads,
    processes, ``distributed.Client(...).get_executor()``) takes precedence and
    is not shut down here. ``fn`` must be picklable (module level) for processes.

    Raises
    ------
    ValidationError
        ``jobs`` is negative or not an integer.
    """
    if isinstance(jobs, bool) or not (jobs is None or (isinstance(jobs, int) and jobs >= 0)):
        msg = "invalid jobs"
        raise ValidationError(msg, [f"jobs={jobs!r} must be None, 0 (every core) or a count >= 1"])
    workers = 1 if jobs is None else (len(os.sched_getaffinity(0)) if jobs == 0 else jobs)
    if executor is not None:
        yield from executor.map(fn, items)
        return
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    # forkserver: a forked copy of a process running Arrow or tqdm threads may deadlock
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context) as pool:
        yield from pool.map(fn, items)


def blocks(n: int, *, jobs: int | None, executor: Executor | None) -> list[range]:
    """Cut ``range(n)`` into consecutive blocks: one for a serial run, ~4 per worker otherwise."""
    parallel = executor is not None or (jobs is not None and jobs != 1)
    size = max(8, -(-n // 32)) if parallel else max(n, 1)
    return [range(a, min(a + size, n)) for a in range(0, n, size)]


def prepare_block(
    task: tuple[Sequence[BaseGeometry | None], int, float, int],
) -> list[PreparedDate]:
    """Run :func:`prepare_dates` on ``(geometries, precision, tolerance_deg, mean_vertices)``."""
    geometries, precision, tolerance_deg, mean_vertices = task
    return prepare_dates(geometries, precision=precision, tolerance_deg=tolerance_deg,
                         chunk_mean_vertices=mean_vertices)  # fmt: skip


def encode_series(
    geometries: Sequence[BaseGeometry | None],
    *,
    precision: int = 5,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
    chunk_mean_vertices: int = DEFAULT_CHUNK_VERTICES,
    areas_km2: Sequence[float] | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    progress: Progress = False,
) -> EncodedSeries:
    """Encode one layer's geometries, one per date in order.

    Parameters
    ----------
    geometries
        Lon/lat geometries (polygonal parts are used; ``None`` is empty).
    precision
        Decimal places of the quantized coordinates (1 to 7).
    tolerance_deg
        Simplification tolerance in degrees; 0 keeps every vertex.
    chunk_mean_vertices
        Divisor of the content-defined cut rule (2 to 1024).
    areas_km2
        Geodesic areas of the originals if already known (e.g.
        ``Snapshot.area_km2``), to skip recomputing them.
    jobs, executor
        Where dates are simplified and cut (see :func:`map_ordered`): in this
        thread (default), on ``jobs`` local processes, or on any
        :class:`concurrent.futures.Executor`. The result is the same, byte for byte.
    progress
        A bar on stderr (:mod:`geo.progress`; ``None``: when stderr is a terminal).

    Returns
    -------
    EncodedSeries

    Raises
    ------
    GeoError
        On parameters out of range, or ``areas_km2`` of the wrong length.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> grown = [box(37.0, 48.0, 37.5, 48.5), box(37.0, 48.0, 37.6, 48.5)]
    >>> encoded = encode_series(grown)
    >>> encoded.n_dates, encoded.n_unique_chunks <= 2 * encoded.n_dates
    (2, True)
    >>> [round(g.area, 3) for g in decode_series(encoded.data)]
    [0.25, 0.3]
    """
    _check_parameters(
        len(geometries), precision=precision, tolerance_deg=tolerance_deg,
        chunk_mean_vertices=chunk_mean_vertices, areas_km2=areas_km2,
    )  # fmt: skip
    encoder = SeriesEncoder(precision=precision, tolerance_deg=tolerance_deg,
                            chunk_mean_vertices=chunk_mean_vertices)  # fmt: skip
    tasks = [
        ([geometries[i] for i in block], precision, tolerance_deg, chunk_mean_vertices)
        for block in blocks(len(geometries), jobs=jobs, executor=executor)
    ]
    bar = progress_meter(progress=progress, desc="encoding", unit="date", total=len(geometries))
    with bar:
        for prepared in map_ordered(prepare_block, tasks, jobs=jobs, executor=executor):
            for date in prepared:
                encoder.add(date)
            bar.update(len(prepared))
    originals = areas_km2 if areas_km2 is not None else geodesic_area_km2(geometries).tolist()
    return encoder.finish([float(a) for a in originals])


def _fan_area_m2(lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]) -> float:
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return float(area)


def decoded_areas_km2(data: Mapping[str, Any]) -> npt.NDArray[np.float64]:
    """Geodesic area of every decoded date, without building its geometry.

    A geodesic ring's signed area is the sum, over its edges, of the triangles
    they make with one fixed apex (the edges from the apex cancel out). Each
    distinct chunk's edges and each distinct join of two chunks are measured
    once with :meth:`pyproj.Geod.polygon_area_perimeter`, however many dates
    use them; a ring's area is then a sum over its tokens. Polygons count
    their exterior minus their holes, as :func:`geo.geometry.geodesic_area_km2`
    does, and agree with it to rounding.
    """
    lengths = decode_ints(data["chunk_lengths"])
    xy = np.cumsum(decode_ints(data["coords"]).reshape(-1, 2), axis=0) / 10.0 ** data["precision"]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    lists = decode_tokens(data)
    if not lists:
        return np.zeros(0)
    if offsets[-1] != len(xy):
        msg = "encoded timeline data is corrupt (chunk lengths do not match coordinates)"
        raise GeoError(msg)
    apex = xy[0] if len(xy) else np.zeros(2)
    # each chunk's vertices after the apex: chunk c spans rows offsets[c] + c + (0..len]
    with_apex = np.insert(xy, offsets[:-1], apex, axis=0)
    fans = np.array([
        _fan_area_m2(with_apex[a + c : b + c + 1, 0], with_apex[a + c : b + c + 1, 1])
        for c, (a, b) in enumerate(itertools.pairwise(offsets.tolist()))
    ])  # fmt: skip
    # every date ends with a polygon break; rings and polygons numbered over all dates
    tokens = np.concatenate([np.asarray([*t, POLYGON_BREAK], dtype=np.int64) for t in lists])
    date_of = np.repeat(np.arange(len(lists)), [len(t) + 1 for t in lists])
    breaks = np.flatnonzero(tokens < 2)
    chunk_pos = np.flatnonzero(tokens >= 2)
    chunk = tokens[chunk_pos] - 2
    ring = np.searchsorted(breaks, chunk_pos)  # a ring is what lies between two breaks
    following = np.empty_like(chunk)
    following[:-1] = chunk[1:]
    last_of_ring = np.ones(len(chunk), dtype=bool)
    last_of_ring[:-1] = ring[1:] != ring[:-1]
    first_of_ring = np.searchsorted(ring, ring)
    following[last_of_ring] = chunk[first_of_ring[last_of_ring]]  # the closing join
    n_chunks = len(lengths)
    pairs, join_of = np.unique(chunk * n_chunks + following, return_inverse=True)
    ends, starts = xy[offsets[1:] - 1], xy[offsets[:-1]]
    triangles = np.stack([np.broadcast_to(apex, (len(pairs), 2)), ends[pairs // n_chunks],
                          starts[pairs % n_chunks]], axis=1)  # fmt: skip
    joins = np.array([_fan_area_m2(t[:, 0], t[:, 1]) for t in triangles])
    n_rings = len(breaks) + 1
    ring_area = np.abs(np.bincount(ring, weights=fans[chunk] + joins[join_of], minlength=n_rings))
    # a ring opened by a ring break is a hole; after a polygon break (or first) an exterior
    opener = np.where(ring > 0, tokens[breaks[np.maximum(ring - 1, 0)]], POLYGON_BREAK)
    sign = np.zeros(n_rings)
    sign[ring] = np.where(opener == RING_BREAK, -1.0, 1.0)
    ring_date = np.zeros(n_rings, dtype=np.int64)
    ring_date[ring] = date_of[chunk_pos]
    return np.bincount(ring_date, weights=sign * ring_area, minlength=len(lists)) / 1e6


def decode_tokens(data: Mapping[str, Any]) -> list[list[int]]:
    """Return the token list of every date (chunk id + 2, or a break)."""
    if data.get("format") != FORMAT_VERSION:
        msg = (
            f"encoded timeline data is corrupt or format {data.get('format')!r} is not "
            f"{FORMAT_VERSION}; rebuild the page with this version of geo"
        )
        raise GeoError(msg)
    texts = list(data["dates"])
    for text in texts:  # each date must end on a whole value
        if text and text[-1] in _CONTINUED:
            decode_ints(text)  # raises the corrupt-data error
    values = decode_ints("".join(texts)).tolist()  # one call for all dates
    counts = [sum(1 for ch in text if ch not in _CONTINUED) for text in texts]
    lists: list[list[int]] = []
    previous: list[int] = []
    pos = 0
    for n in counts:
        previous = _apply_ops(previous, values[pos : pos + n])
        pos += n
        lists.append(previous)
    return lists


def decode_series(data: Mapping[str, Any]) -> list[BaseGeometry]:
    """Decode :attr:`EncodedSeries.data` into one (Multi)Polygon per date.

    The rings are the simplified, quantized rings of
    :func:`prepare_geometry`, each rotated to its canonical start.
    """
    lengths = decode_ints(data["chunk_lengths"])
    xy = np.cumsum(decode_ints(data["coords"]).reshape(-1, 2), axis=0) / 10.0 ** data["precision"]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if offsets[-1] != len(xy):
        msg = "encoded timeline data is corrupt (chunk lengths do not match coordinates)"
        raise GeoError(msg)
    out: list[BaseGeometry] = []
    for tokens in decode_tokens(data):
        polygons: list[Polygon] = []
        rings: list[npt.NDArray[np.float64]] = []
        ring: list[npt.NDArray[np.float64]] = []
        for token in [*tokens, POLYGON_BREAK]:
            if token >= 2:
                ring.append(xy[offsets[token - 2] : offsets[token - 1]])
                continue
            if ring:
                rings.append(np.concatenate(ring))
                ring = []
            if token == POLYGON_BREAK and rings:
                polygons.append(Polygon(rings[0], rings[1:]))
                rings = []
        out.append(
            polygons[0] if len(polygons) == 1 else MultiPolygon(polygons) if polygons else Polygon()
        )
    return out
