"""The wire format of the timeline's data: varint strings and edits of token lists.

Integer streams (:func:`encode_ints`) are zigzag varints written 5 bits to a
character in the URL-safe base64 alphabet (the idea of Google's encoded
polylines, with an alphabet that needs no escaping in JSON or HTML); the
page's ``timeline.js`` reads them back. A date's token list (chunk ids and
ring and polygon breaks, :mod:`geo.render.encode`) is stored as edits of the
previous date's list (:func:`_date_ops`: keep, skip, insert), found by
:func:`token_opcodes` (:class:`difflib.SequenceMatcher` on what lies between
the common prefix and suffix, so a day that changes a few stretches costs
little). :func:`_apply_ops` is the inverse.

Polygons (a date's gained and lost patches, :mod:`geo.render.patches`) reach
the page as one string each (:func:`encode_polygons`): zigzag varints of
``n_polygons``, then per polygon ``n_rings``, then per ring ``n_vertices``
and the vertices' deltas (closing vertex left out).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Sequence

import numpy as np

from geo.errors import GeoError
from geo.render.prepare import IntArray

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CODE = np.full(128, -1, dtype=np.int64)
_CODE[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = np.arange(64)
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_CONTINUED = frozenset(ALPHABET[32:])  # characters that say "more of this value follows"

#: Lists up to this long are handled in plain Python (NumPy's call overhead dominates).
_SHORT = 64


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

    Examples
    --------
    >>> encode_ints([0, -1, 1, 16, 1000])
    'ABCgBw-B'
    >>> decode_ints(encode_ints([0, -1, 1, 16, 1000])).tolist()
    [0, -1, 1, 16, 1000]
    """
    if len(values) <= _SHORT:  # a few values (a date's edits): plain Python is quicker
        chars = []
        for value in values:
            left = int(value) << 1 if value >= 0 else (-int(value) << 1) - 1  # zigzag
            while left >= 32:
                chars.append(ALPHABET[32 + (left & 31)])
                left >>= 5
            chars.append(ALPHABET[left])
        return "".join(chars)
    ints = np.asarray(values, dtype=np.int64)
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


def _common_ends(
    previous: Sequence[int], current: Sequence[int], arrays: tuple[IntArray, IntArray] | None = None
) -> tuple[int, int]:
    """Lengths of the common prefix and (after it) the common suffix of two token lists.

    ``arrays``: the two lists as int64 arrays, if the caller has them.
    """
    n = min(len(previous), len(current))
    if n <= _SHORT:  # short lists (a stretch's vertices): plain Python is quicker
        prefix = 0
        while prefix < n and previous[prefix] == current[prefix]:
            prefix += 1
        suffix, m = 0, n - prefix
        while suffix < m and previous[-1 - suffix] == current[-1 - suffix]:
            suffix += 1
        return prefix, suffix
    every_a, every_b = arrays if arrays is not None else (
        np.asarray(previous, dtype=np.int64), np.asarray(current, dtype=np.int64))  # fmt: skip
    differ = np.flatnonzero(every_a[:n] != every_b[:n])
    prefix = int(differ[0]) if differ.size else n
    m = n - prefix
    a = every_a[len(previous) - m :][::-1]
    b = every_b[len(current) - m :][::-1]
    differ = np.flatnonzero(a != b)
    suffix = int(differ[0]) if differ.size else m
    return prefix, suffix


Opcode = tuple[str, int, int, int, int]


def token_opcodes(
    previous: Sequence[int],
    current: Sequence[int],
    *,
    arrays: tuple[IntArray, IntArray] | None = None,
) -> list[Opcode]:
    """Return :meth:`difflib.SequenceMatcher.get_opcodes` of two token lists.

    The common prefix and suffix are kept as they are; only the middle is
    diffed (a day changes a few stretches): by :func:`_unique_opcodes` when no
    token repeats there (most days), else by :class:`difflib.SequenceMatcher`.

    ``arrays`` are the two lists as int64 arrays, if the caller has them.

    Examples
    --------
    >>> token_opcodes([2, 3, 4, 5, 6], [2, 3, 9, 5, 6])
    [('equal', 0, 2, 0, 2), ('replace', 2, 3, 2, 3), ('equal', 3, 5, 3, 5)]
    """
    prefix, suffix = _common_ends(previous, current, arrays)
    middle_prev = previous[prefix : len(previous) - suffix]
    middle_cur = current[prefix : len(current) - suffix]
    if len(middle_prev) and len(middle_cur) and not set(middle_prev).isdisjoint(middle_cur):
        unique = _unique_opcodes(middle_prev, middle_cur)
        if unique is None:
            matcher = difflib.SequenceMatcher(None, middle_prev, middle_cur, autojunk=False)
            unique = list(matcher.get_opcodes())
        middle: list[Opcode] = unique
    elif len(middle_prev) or len(middle_cur):  # nothing in common: what difflib says too
        tag = "replace" if len(middle_prev) and len(middle_cur) else (
            "delete" if len(middle_prev) else "insert")  # fmt: skip
        middle = [(tag, 0, len(middle_prev), 0, len(middle_cur))]
    else:
        middle = []
    opcodes = [("equal", 0, prefix, 0, prefix)] if prefix else []
    opcodes += [
        (tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix) for tag, i1, i2, j1, j2 in middle
    ]
    if suffix:
        opcodes.append(("equal", len(previous) - suffix, len(previous),
                        len(current) - suffix, len(current)))  # fmt: skip
    return opcodes


def _unique_opcodes(a: Sequence[int], b: Sequence[int]) -> list[Opcode] | None:
    """:meth:`difflib.SequenceMatcher.get_opcodes` if no value repeats in either list, or ``None``.

    Then every match lies on one of the maximal runs ``a[i:i+k] == b[j:j+k]``
    (a value has one place in each list), found in one pass; difflib's
    recursion (the longest block in a range, the earliest in ``a`` on a tie,
    then the ranges left and right of it) is replayed on those runs, without
    its index of ``b`` and its scan of every position of each range.
    """
    where = {value: j for j, value in enumerate(b)}
    if len(where) < len(b) or len(set(a)) < len(a):
        return None
    runs: list[tuple[int, int, int]] = []
    i, n_a, n_b = 0, len(a), len(b)
    while i < n_a:
        j = where.get(a[i])
        if j is None:
            i += 1
            continue
        k = 1
        while i + k < n_a and j + k < n_b and a[i + k] == b[j + k]:
            k += 1
        runs.append((i, j, k))
        i += k
    blocks = []
    queue = [(0, n_a, 0, n_b)]
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        best_i, best_j, best_k = alo, blo, 0
        for i0, j0, k0 in runs:  # by position in a: the first longest is the earliest
            start = max(i0, alo, i0 + blo - j0)
            size = min(i0 + k0, ahi, i0 + bhi - j0) - start
            if size > best_k:
                best_i, best_j, best_k = start, j0 + start - i0, size
        if best_k:
            blocks.append((best_i, best_j, best_k))
            if alo < best_i and blo < best_j:
                queue.append((alo, best_i, blo, best_j))
            if best_i + best_k < ahi and best_j + best_k < bhi:
                queue.append((best_i + best_k, ahi, best_j + best_k, bhi))
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    for block in blocks:  # adjacent blocks merged, as difflib does
        if (
            merged
            and merged[-1][0] + merged[-1][2] == block[0]
            and (merged[-1][1] + merged[-1][2] == block[1])
        ):
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + block[2])
        else:
            merged.append(block)
    merged.append((n_a, n_b, 0))
    opcodes: list[Opcode] = []
    i = j = 0
    for ai, bj, size in merged:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            opcodes.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            opcodes.append(("equal", ai, i, bj, j))
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


def _apply_ops(
    previous: Sequence[int] | IntArray,
    ops: Sequence[int] | IntArray,
    *,
    running: IntArray | None = None,
    start: int = 0,
    end: int | None = None,
) -> IntArray:
    """Apply one date's edits (:func:`_date_ops`, ``ops[start:end]``) to the tokens before.

    ``running`` is the cumulative sum of ``ops``, if the caller has it (one sum for all
    dates): an inserted run is the last token kept plus its deltas' running sum, a slice.
    """
    if not isinstance(ops, list):
        ops = np.asarray(ops).tolist()
    if running is None:
        running = np.cumsum(np.asarray(ops, dtype=np.int64))
    previous = np.asarray(previous, dtype=np.int64)
    pieces: list[IntArray] = []
    pos, i, last = 0, start, 0
    stop = len(ops) if end is None else end
    while i < stop:
        keep, skip, n = ops[i], ops[i + 1], ops[i + 2]
        if keep:
            kept = previous[pos : pos + keep]
            pieces.append(kept)
            last = int(kept[-1]) if len(kept) else last
        pos += keep + skip
        if n:
            run = running[i + 3 : i + 3 + n] + (last - running[i + 2])
            pieces.append(run)
            last = int(run[-1])
        i += 3 + n
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def encode_polygons(polygons: list[list[IntArray]]) -> str:
    """Encode integer polygons as one varint string (see the module docstring).

    Examples
    --------
    >>> ring = np.array([[0, 0], [10, 0], [10, 10]])
    >>> [r.tolist() for r in decode_polygons(encode_polygons([[ring]]))[0]]
    [[[0, 0], [10, 0], [10, 10]]]
    """
    return encode_polygon_lists([polygons])[0]


def encode_polygon_lists(lists: Sequence[list[list[IntArray]]]) -> list[str]:
    """:func:`encode_polygons` of each list, in one pass (a timeline's dates' patches).

    Examples
    --------
    >>> ring = np.array([[0, 0], [10, 0], [10, 10]])
    >>> texts = encode_polygon_lists([[[ring]], [], [[ring], [ring + 5]]])
    >>> texts[1], [[r.tolist() for r in p] for p in decode_polygons(texts[2])]
    ('', [[[[0, 0], [10, 0], [10, 10]]], [[[5, 5], [15, 5], [15, 15]]]])
    """
    rings: list[IntArray] = []
    inserts: list[int] = []  # header values and ring lengths, each before its place
    at: list[int] = []  # in the deltas
    firsts: list[int] = []  # each list's first vertex: its delta is from (0, 0)
    n_values: list[int] = []  # per list
    n_vertices = 0
    for polygons in lists:
        if not polygons:
            n_values.append(0)
            continue
        header = [len(polygons), *(len(ring_list) for ring_list in polygons)]
        inserts += header
        at += [2 * n_vertices] * len(header)
        firsts.append(n_vertices)
        count = len(header)
        for ring_list in polygons:
            for ring in ring_list:
                rings.append(ring)
                inserts.append(len(ring))
                at.append(2 * n_vertices)
                n_vertices += len(ring)
                count += 1 + 2 * len(ring)
        n_values.append(count)
    if not rings:
        return [""] * len(lists)
    xy = np.concatenate(rings)
    deltas = np.diff(xy, axis=0, prepend=xy[:1])
    deltas[firsts] = xy[firsts]
    text = encode_ints(np.insert(deltas.ravel(), at, inserts))
    # a value ends on a character without the "more follows" bit
    codes = _CODE[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    value_ends = np.concatenate([[0], np.flatnonzero(codes < 32) + 1])
    cuts = value_ends[np.cumsum([0, *n_values])].tolist()
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def decode_polygons(text: str) -> list[list[IntArray]]:
    """Inverse of :func:`encode_polygons`."""
    ints = decode_ints(text).tolist()
    if not ints:
        return []
    n_polygons, pos = ints[0], 1
    ring_counts = ints[pos : pos + n_polygons]
    pos += n_polygons
    x = y = 0
    out: list[list[IntArray]] = []
    for n_rings in ring_counts:
        rings = []
        for _ in range(n_rings):
            n = ints[pos]
            flat = np.asarray(ints[pos + 1 : pos + 1 + 2 * n], dtype=np.int64).reshape(-1, 2)
            flat[0] += (x, y)
            ring = np.cumsum(flat, axis=0)
            x, y = (int(v) for v in ring[-1])
            rings.append(ring)
            pos += 1 + 2 * n
        out.append(rings)
    return out
