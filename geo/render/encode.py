"""Compact encoding of many dates of one polygon layer, for the timeline map.

Consecutive dates of a control layer share almost all of their boundary, so
storing every date's full geometry (what folium's ``TimestampedGeoJson``
does) repeats the same vertices hundreds of times. The encoding here stores
each stretch of boundary once:

1. **Quantize** lon/lat to integers of ``10**-precision`` degrees (1e-5° is
   about 1.1 m north-south), merging consecutive duplicate vertices and
   leaving out the closing vertex, then **simplify** each ring section by
   section: Douglas-Peucker at ``tolerance_deg`` between content-defined cut
   vertices (kept), so boundary shared by dates is simplified the same way.
   Rings left with fewer than 3 vertices are dropped and counted.
2. **Chunk** every ring by content: cut after each vertex whose hash is
   divisible by ``chunk_mean_vertices``, and rotate the ring to start after
   its cut vertex of least hash. A local change then alters only the chunks it
   touches, and a ring whose start vertex moved still gives the same chunks.
3. **Deduplicate**: each distinct chunk is stored once, its vertices
   delta-encoded in one stream over all chunks.
4. Each date is a token list (chunk ids, ring and polygon breaks), stored as
   edit operations against the previous date's list (keep, skip, insert).

Integer streams and the edits are written as :mod:`geo.render.wire` says.
:func:`decode_series` is the Python reference decoder; ``timeline.js`` carries the same decoder in
JavaScript. The area error of the encoding is measured per date against the
original geometry: the decoded area is geodesic, summed over each distinct
chunk and join once (:func:`decoded_areas_km2`), not over every date's vertices.

Steps 1 and 2 live in :mod:`geo.render.prepare` (its main names re-exported here). Speed:
:func:`~geo.render.prepare.prepare_date` simplifies, quantizes and cuts a
whole date with NumPy; dates are prepared in blocks, in this thread or on any
:class:`concurrent.futures.Executor` (``jobs=``, ``executor=``), and handed in
date order to :class:`SeriesEncoder`, which alone numbers chunks and writes
edits, so the encoding is the same byte for byte however the blocks ran.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.area_methods import edge_areas_m2
from geo.errors import GeoError
from geo.geometry import geodesic_area_km2
from geo.parallel import executor_for, map_ordered
from geo.progress import Progress, progress_meter
from geo.render.prepare import (
    DEFAULT_CHUNK_VERTICES as DEFAULT_CHUNK_VERTICES,
)
from geo.render.prepare import (
    DEFAULT_TOLERANCE_DEG as DEFAULT_TOLERANCE_DEG,
)
from geo.render.prepare import (
    IntArray as IntArray,
)
from geo.render.prepare import (
    PreparedDate as PreparedDate,
)
from geo.render.prepare import _vertex_hash
from geo.render.prepare import (
    chunk_ring as chunk_ring,
)
from geo.render.prepare import (
    prepare_block as prepare_block,
)
from geo.render.prepare import (
    prepare_date as prepare_date,
)
from geo.render.prepare import (
    prepare_dates as prepare_dates,
)
from geo.render.prepare import (
    prepare_geometry as prepare_geometry,
)
from geo.render.prepare import (
    simplify_ring as simplify_ring,
)
from geo.render.wire import (
    _CONTINUED,
    Opcode,
    _apply_ops,
    _date_ops,
    decode_ints,
    encode_ints,
    token_opcodes,
)

#: A run of chunks that :class:`SeriesEncoder` looks up at once ends after a chunk whose last
#: vertex's hash this divides (chunk ends' hashes are multiples of 4: about 16 chunks a run).
_RUN_CHUNKS = 64
#: Version of the ``data`` layout, checked by the decoders.
FORMAT_VERSION = 1

# Tokens of a date's list: chunk id c is stored as c + 2.
POLYGON_BREAK = 0
RING_BREAK = 1


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
        self.token_array: IntArray = np.zeros(0, dtype=np.int64)  #: the last date's, as an array
        self._n_in = self._n_drawn = self._n_dropped = self._n_refs = 0
        #: The last date's :func:`token_opcodes` against the date before it.
        self.opcodes: list[Opcode] = []
        self._last: PreparedDate | None = None
        self._last_n_chunks = 0
        self._run_ids: dict[bytes, list[int]] = {}  # the last date's runs and their chunk ids

    def _number(self, prepared: PreparedDate) -> tuple[list[int], int]:
        """Return a date's tokens and its number of chunks, numbering new chunks on first use.

        Chunks are looked up in runs: a ring is cut after each chunk whose
        last vertex's hash is divisible by :data:`_RUN_CHUNKS` (by content,
        like the chunks themselves), and a run of the date before that comes
        back unchanged keeps its ids; only the chunks of new runs are looked
        up one by one. Breaks as :func:`_with_breaks`.
        """
        coords = np.ascontiguousarray(prepared.coords)
        ends = prepared.chunk_ends
        if not len(ends):
            return [], 0
        raw = coords.tobytes()
        width = 2 * coords.itemsize
        last_of_ring = np.searchsorted(ends, prepared.ring_ends, side="right") - 1
        run_end = _vertex_hash(coords[ends - 1]) % np.uint64(_RUN_CHUNKS) == 0
        run_end[last_of_ring] = True
        run_ends = np.flatnonzero(run_end).tolist()  # the last chunk of each run
        chunk_ends = ends.tolist()
        ring_starts = [0, *prepared.ring_ends[:-1].tolist()]
        polygon_starts = set(np.cumsum(prepared.polygon_rings[:-1]).tolist())
        breaks = {
            start: POLYGON_BREAK if r in polygon_starts else RING_BREAK
            for r, start in enumerate(ring_starts) if r
        }  # fmt: skip
        tokens: list[int] = []
        runs: dict[bytes, list[int]] = {}
        a = c = 0
        for last in run_ends:
            b = chunk_ends[last]
            if a in breaks:
                tokens.append(breaks[a])
            key = raw[a * width : b * width]
            run = self._run_ids.get(key)
            if run is None:
                run = []
                for end in chunk_ends[c : last + 1]:
                    chunk = raw[a * width : end * width]
                    cid = self._ids.get(chunk)
                    if cid is None:
                        cid = self._ids[chunk] = len(self._chunks)
                        self._chunks.append(np.frombuffer(chunk, dtype=np.int64).reshape(-1, 2))
                    run.append(cid + 2)
                    a = end
            runs[key] = run
            tokens.extend(run)
            a, c = b, last + 1
        self._run_ids = runs
        return tokens, len(chunk_ends)

    def add(self, prepared: PreparedDate) -> list[int]:
        """Append the next date; return its token list (chunk id + 2, or a break)."""
        if prepared is self._last:  # the same rings as the date before (prepare_dates)
            tokens, n_chunks, array = self._previous, self._last_n_chunks, self.token_array
        else:
            tokens, n_chunks = self._number(prepared)
            array = np.asarray(tokens, dtype=np.int64)
        self._last, self._last_n_chunks = prepared, n_chunks
        self.opcodes = token_opcodes(self._previous, tokens, arrays=(self.token_array, array))
        self.token_array = array
        self._dates.append(encode_ints(_date_ops(self._previous, tokens, self.opcodes)))
        self._previous = tokens
        self._n_in += prepared.n_vertices_in
        self._n_drawn += len(prepared.coords)
        self._n_dropped += prepared.n_rings_dropped
        self._n_refs += n_chunks
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


def blocks(n: int, *, jobs: int | None, executor: Executor | None) -> list[range]:
    """Cut ``range(n)`` into consecutive blocks: one for a serial run, ~4 per worker otherwise."""
    parallel = executor is not None or (jobs is not None and jobs != 1)
    size = max(8, -(-n // 32)) if parallel else max(n, 1)
    return [range(a, min(a + size, n)) for a in range(0, n, size)]


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
        Where dates are simplified and cut (see :func:`geo.parallel.executor_for`): in this
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
    with bar, executor_for(jobs, executor) as pool:
        for prepared in map_ordered(prepare_block, tasks, executor=pool):
            for date in prepared:
                encoder.add(date)
            bar.update(len(prepared))
    originals = areas_km2 if areas_km2 is not None else geodesic_area_km2(geometries).tolist()
    return encoder.finish([float(a) for a in originals])


def decoded_areas_km2(data: Mapping[str, Any]) -> npt.NDArray[np.float64]:
    """Geodesic area of every decoded date, without building its geometry.

    A ring's geodesic area is a sum of one term per edge
    (:func:`geo.area_methods.edge_areas_m2`, vectorized). Each distinct
    chunk's own edges are measured once, however many dates use it, and so is
    each edge from a chunk's last vertex to the first vertex of the chunk
    stored after it (most chunks are followed by that one); the other joins
    are measured per use. Polygons count their exterior minus their holes,
    as :func:`geo.geometry.geodesic_area_km2` does, and agree with it to
    1e-9 (``tests/test_render_timeline.py``).
    """
    lengths = decode_ints(data["chunk_lengths"])
    xy = np.cumsum(decode_ints(data["coords"]).reshape(-1, 2), axis=0) / 10.0 ** data["precision"]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    dates = _decode_token_arrays(data)
    if not dates:
        return np.zeros(0)
    if offsets[-1] != len(xy):
        msg = "encoded timeline data is corrupt (chunk lengths do not match coordinates)"
        raise GeoError(msg)
    if not len(lengths):
        return np.zeros(len(dates))  # no chunk: every date is empty
    lon, lat = xy[:, 0], xy[:, 1]
    # every date ends with a polygon break; rings numbered over all dates
    brk = np.asarray([POLYGON_BREAK])
    tokens = np.concatenate([piece for d in dates for piece in (d, brk)])
    if tokens.min() < 0 or tokens.max() >= len(lengths) + 2:
        msg = "encoded timeline data is corrupt (a date uses a chunk that is not stored)"
        raise GeoError(msg)
    date_of = np.repeat(np.arange(len(dates)), [len(d) + 1 for d in dates])
    is_break = tokens < 2
    breaks = np.flatnonzero(is_break)
    chunk_pos = np.flatnonzero(~is_break)
    chunk = tokens[chunk_pos] - 2
    if not len(chunk):
        return np.zeros(len(dates))  # every date is empty
    # a ring is what lies between two breaks
    ring = np.repeat(np.arange(len(breaks)), np.diff(breaks, prepend=-1) - 1)
    starts_ring = np.ones(len(chunk), dtype=bool)
    starts_ring[1:] = ring[1:] != ring[:-1]
    ends_ring = np.roll(starts_ring, -1)
    following = np.roll(chunk, -1)
    following[ends_ring] = chunk[starts_ring]  # the closing join
    # the edges of the stored stream used: those within a chunk, and from a chunk's last
    # vertex to the next chunk's first where that chunk follows it (most joins)
    n_chunks = len(lengths)
    chunk_of_vertex = np.repeat(np.arange(n_chunks), lengths)
    inner = chunk_of_vertex[1:] == chunk_of_vertex[:-1]
    last = offsets[1:] - 1
    next_stored = following == chunk + 1
    used = inner.copy()
    used[last[chunk[next_stored]]] = True
    at = np.flatnonzero(used)
    stream = np.zeros(len(inner))
    stream[at] = edge_areas_m2(lon[at], lat[at], lon[at + 1], lat[at + 1])
    own = np.bincount(chunk_of_vertex[:-1][inner], stream[inner], minlength=n_chunks)
    joins = stream[np.minimum(last[chunk], len(stream) - 1)]
    other = np.flatnonzero(~next_stored)  # the other joins: each distinct one measured once
    pairs, where = np.unique(chunk[other] * n_chunks + following[other], return_inverse=True)
    a, b = last[pairs // n_chunks], offsets[pairs % n_chunks]
    joins[other] = edge_areas_m2(lon[a], lat[a], lon[b], lat[b])[where]
    n_rings = int(ring[-1]) + 1
    ring_area = np.abs(np.bincount(ring, own[chunk] + joins, minlength=n_rings))
    # a ring opened by a ring break is a hole; after a polygon break (or first) an exterior
    opener = np.where(ring > 0, tokens[breaks[np.maximum(ring - 1, 0)]], POLYGON_BREAK)
    sign = np.zeros(n_rings)
    sign[ring] = np.where(opener == RING_BREAK, -1.0, 1.0)
    ring_date = np.zeros(n_rings, dtype=np.int64)
    ring_date[ring] = date_of[chunk_pos]
    return np.bincount(ring_date, weights=sign * ring_area, minlength=len(dates)) / 1e6


def _decode_token_arrays(data: Mapping[str, Any]) -> list[IntArray]:
    """:func:`decode_tokens` as one array per date (edits applied to arrays, not lists)."""
    texts = _checked_texts(data)
    values = decode_ints("".join(texts))
    ends = np.cumsum([_value_count(text) for text in texts]).tolist()
    out: list[IntArray] = []
    previous = np.zeros(0, dtype=np.int64)
    running = np.cumsum(values)
    listed = values.tolist()
    for a, b in zip([0, *ends[:-1]], ends, strict=True):
        previous = _apply_ops(previous, listed, running=running, start=a, end=b)
        out.append(previous)
    return out


def decode_tokens(data: Mapping[str, Any]) -> list[list[int]]:
    """Return the token list of every date (chunk id + 2, or a break)."""
    return [tokens.tolist() for tokens in _decode_token_arrays(data)]


_WITHOUT_CONTINUED = str.maketrans("", "", "".join(sorted(_CONTINUED)))


def _checked_texts(data: Mapping[str, Any]) -> list[str]:
    """Return the dates' edit strings, each checked to end on a whole value (and the format)."""
    if data.get("format") != FORMAT_VERSION:
        msg = (
            f"encoded timeline data is corrupt or format {data.get('format')!r} is not "
            f"{FORMAT_VERSION}; rebuild the page with this version of geo"
        )
        raise GeoError(msg)
    texts = list(data["dates"])
    for text in texts:
        if text and text[-1] in _CONTINUED:
            decode_ints(text)  # raises the corrupt-data error
    return texts


def _value_count(text: str) -> int:
    """Values in one varint string: the characters without the "more follows" bit."""
    return len(text.translate(_WITHOUT_CONTINUED))


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
