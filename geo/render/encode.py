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
original geometry with :func:`geo.geometry.geodesic_area_km2`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError
from geo.geometry import geodesic_area_km2, polygonal_part

#: Default simplification tolerance in degrees (about 55 m north-south).
DEFAULT_TOLERANCE_DEG = 0.0005
#: Mean number of vertices per chunk (the divisor of the cut rule).
DEFAULT_CHUNK_VERTICES = 4
#: Version of the ``data`` layout, checked by the decoders.
FORMAT_VERSION = 1

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CODE = np.full(128, -1, dtype=np.int64)
_CODE[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = np.arange(64)
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)

# Tokens of a date's list: chunk id c is stored as c + 2.
POLYGON_BREAK = 0
RING_BREAK = 1

IntArray = npt.NDArray[np.int64]


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
    if tolerance_deg > 0:
        part = shapely.simplify(part, tolerance_deg, preserve_topology=True)
    scale = 10.0**precision
    polygons: list[list[IntArray]] = []
    for poly in shapely.get_parts(part):
        rings: list[IntArray] = []
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = np.rint(shapely.get_coordinates(ring) * scale).astype(np.int64)[:-1]
            keep = np.ones(len(xy), dtype=bool)
            keep[1:] = (xy[1:] != xy[:-1]).any(axis=1)
            xy = xy[keep]
            if len(xy) > 1 and (xy[0] == xy[-1]).all():
                xy = xy[:-1]
            if len(xy) < 3:
                if k == 0:
                    break
                continue
            rings.append(xy)
        if rings:
            polygons.append(rings)
    return polygons


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
        original is empty).
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


def _date_ops(previous: list[int], current: list[int]) -> list[int]:
    """Edit operations turning ``previous`` into ``current``: (keep, skip, n, tokens...)."""
    matcher = difflib.SequenceMatcher(None, previous, current, autojunk=False)
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

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
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


def _apply_ops(previous: list[int], ops: IntArray) -> list[int]:
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


class _ChunkTable:
    """Distinct chunks, each stored once; ids are given in order of first use."""

    def __init__(self, mean_vertices: int) -> None:
        self.mean_vertices = mean_vertices
        self.ids: dict[bytes, int] = {}
        self.chunks: list[IntArray] = []
        self.n_refs = 0

    def ring_tokens(self, ring: IntArray) -> list[int]:
        """Return the tokens (chunk id + 2) of a ring's chunks, adding new chunks to the table."""
        tokens = []
        for chunk in chunk_ring(ring, mean_vertices=self.mean_vertices):
            key = chunk.tobytes()
            cid = self.ids.get(key)
            if cid is None:
                cid = self.ids[key] = len(self.chunks)
                self.chunks.append(chunk)
            tokens.append(cid + 2)
        self.n_refs += len(tokens)
        return tokens

    def stream(self) -> IntArray:
        """Return every stored chunk's vertices, concatenated: an ``(n, 2)`` int64 array."""
        return np.concatenate(self.chunks) if self.chunks else np.zeros((0, 2), dtype=np.int64)


@dataclasses.dataclass
class _Counts:
    """Vertex and ring counts over the dates, for :class:`EncodedSeries`."""

    n_in: int = 0
    n_drawn: int = 0
    n_dropped: int = 0


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


def _date_tokens(polygons: list[list[IntArray]], table: _ChunkTable) -> list[int]:
    """Return one date's token list: its rings' chunks, with ring and polygon breaks."""
    tokens: list[int] = []
    for p, rings in enumerate(polygons):
        if p:
            tokens.append(POLYGON_BREAK)
        for r, ring in enumerate(rings):
            if r:
                tokens.append(RING_BREAK)
            tokens.extend(table.ring_tokens(ring))
    return tokens


def _encode_dates(
    geometries: Sequence[BaseGeometry | None],
    table: _ChunkTable,
    counts: _Counts,
    *,
    precision: int,
    tolerance_deg: float,
) -> list[str]:
    """Return each date encoded as edits of the previous date's tokens; chunks go to ``table``."""
    dates: list[str] = []
    previous: list[int] = []
    for geometry in geometries:
        polygons = prepare_geometry(geometry, precision=precision, tolerance_deg=tolerance_deg)
        counts.n_in += int(shapely.get_num_coordinates(geometry)) if geometry is not None else 0
        counts.n_dropped += n_rings(geometry) - sum(len(rings) for rings in polygons)
        counts.n_drawn += sum(len(ring) for rings in polygons for ring in rings)
        tokens = _date_tokens(polygons, table)
        dates.append(encode_ints(_date_ops(previous, tokens)))
        previous = tokens
    return dates


def _layout(table: _ChunkTable, dates: list[str], precision: int) -> dict[str, Any]:
    """Return the JSON-ready encoding: chunk lengths, the delta-encoded vertices, the dates."""
    stream = table.stream()
    deltas = np.diff(stream, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "format": FORMAT_VERSION,
        "precision": precision,
        "chunk_lengths": encode_ints([len(c) for c in table.chunks]),
        "coords": encode_ints(deltas.ravel()),
        "dates": dates,
    }


def _area_errors_pct(data: Mapping[str, Any], originals: Sequence[float]) -> tuple[float, ...]:
    """Return per date ``100 * |decoded - original| / original`` (0 where both are empty)."""
    decoded = [float(a) for a in geodesic_area_km2(decode_series(data))]
    return tuple(
        100.0 * abs(d - o) / o if o > 0 else (0.0 if d == 0 else 100.0)
        for d, o in zip(decoded, originals, strict=True)
    )


def encode_series(
    geometries: Sequence[BaseGeometry | None],
    *,
    precision: int = 5,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
    chunk_mean_vertices: int = DEFAULT_CHUNK_VERTICES,
    areas_km2: Sequence[float] | None = None,
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
    table, counts = _ChunkTable(chunk_mean_vertices), _Counts()
    dates = _encode_dates(
        geometries, table, counts, precision=precision, tolerance_deg=tolerance_deg
    )
    data = _layout(table, dates, precision)
    originals = [
        float(a) for a in (areas_km2 if areas_km2 is not None else geodesic_area_km2(geometries))
    ]
    return EncodedSeries(
        data=data,
        precision=precision,
        tolerance_deg=tolerance_deg,
        chunk_mean_vertices=chunk_mean_vertices,
        n_vertices_in=counts.n_in,
        n_vertices_drawn=counts.n_drawn,
        n_vertices_stored=sum(len(c) for c in table.chunks),
        n_unique_chunks=len(table.chunks),
        n_chunk_refs=table.n_refs,
        n_rings_dropped=counts.n_dropped,
        area_km2=tuple(originals),
        area_error_pct=_area_errors_pct(data, originals),
    )


def decode_tokens(data: Mapping[str, Any]) -> list[list[int]]:
    """Return the token list of every date (chunk id + 2, or a break)."""
    if data.get("format") != FORMAT_VERSION:
        msg = (
            f"encoded timeline format {data.get('format')!r} is not {FORMAT_VERSION}; "
            "rebuild the page with this version of geo"
        )
        raise GeoError(msg)
    lists: list[list[int]] = []
    previous: list[int] = []
    for text in data["dates"]:
        previous = _apply_ops(previous, decode_ints(text))
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
