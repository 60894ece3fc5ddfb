"""Gained and lost patches between consecutive timeline dates, checked against full overlays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from geo.geometry import geodesic_area_km2
from geo.render.encode import prepare_date
from geo.render.patch_boxes import changed_boxes, merge_boxes, to_geometry
from geo.render.patches import (
    _FEW,
    MAX_STRETCHES,
    _box_loops,
    _signed_area2,
    _stretch_loops,
    change_patches,
    polygon_lists_area_km2,
    polygons_area_km2,
)
from geo.render.wire import decode_polygons, encode_ints, encode_polygon_lists, encode_polygons


def blob(n: int = 300, *, bump: float = 0.0, at: int = 100, width: int = 3) -> Polygon:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 0.5 + 0.02 * np.sin(7 * t) + 0.01 * np.cos(23 * t)
    r[at : at + width] += bump
    return Polygon(np.column_stack([37 + r * np.cos(t) * 1.5, 48 + r * np.sin(t)]))


def overlay(a: Any, b: Any) -> tuple[float, float]:
    """Gained and lost km² of the drawn outlines by a full overlay of both dates."""
    old, new = to_geometry(a, precision=5), to_geometry(b, precision=5)
    gained = shapely.difference(new, old, grid_size=1e-5)
    lost = shapely.difference(old, new, grid_size=1e-5)
    return float(geodesic_area_km2(gained)), float(geodesic_area_km2(lost))


def check(first: Any, second: Any, *, tolerance: float = 0.0) -> Any:
    a = prepare_date(first, tolerance_deg=tolerance)
    b = prepare_date(second, tolerance_deg=tolerance)
    patches = change_patches(a, b, precision=5)
    gained, lost = overlay(a, b)
    # rel: an overlay may drop a vertex on a straight edge, and a geodesic through it differs
    # from one without it (0.2 % on 1°-long edges of these boxes, nothing on real data's)
    assert patches.gained_km2 == pytest.approx(gained, abs=1e-3, rel=2e-3)
    assert patches.lost_km2 == pytest.approx(lost, abs=1e-3, rel=2e-3)
    # the areas are those of the patches' own polygons, measured as pyproj.Geod does
    drawn = [Polygon(rings[0] / 1e5, [h / 1e5 for h in rings[1:]]) for rings in patches.gained]
    want = float(geodesic_area_km2(shapely.union_all(drawn))) if drawn else 0.0
    edges = sum(len(r) for rings in patches.gained for r in rings)  # within 0.3 m² an edge
    assert polygons_area_km2(patches.gained, precision=5) == pytest.approx(want, abs=3e-7 * edges)
    return patches


@given(st.lists(st.tuples(st.integers(2_000_000, 5_000_000), st.integers(4_400_000, 5_300_000)),
                min_size=3, max_size=3 * _FEW))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_signed_area_is_the_exact_shoelace_sum(ring: list[tuple[int, int]]) -> None:
    """Small rings summed in Python, larger ones with NumPy: both exact on the 1e-5° grid."""
    edges = zip(ring, ring[1:] + ring[:1], strict=True)
    exact = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in edges)
    assert _signed_area2(np.asarray(ring, dtype=np.int64)) == exact


def test_polygon_lists_are_measured_as_geod_does() -> None:
    """Exteriors less holes, per list, in one pass; each as geodesic_area_km2 measures it."""
    holed = box(37.0, 48.0, 37.4, 48.3).difference(shapely.Point(37.2, 48.15).buffer(0.05))
    shapes = [[holed, box(38.0, 48.0, 38.03, 48.01)], [], [box(36.0, 47.0, 36.7, 47.9)]]
    lists = [
        [[np.rint(np.asarray(r.coords)[:-1] * 1e5).astype(np.int64)
          for r in (p.exterior, *p.interiors)] for p in polys]
        for polys in shapes
    ]  # fmt: skip
    got = polygon_lists_area_km2(lists, precision=5)
    want = [
        float(geodesic_area_km2(MultiPolygon([Polygon(p[0] / 1e5, [h / 1e5 for h in p[1:]])
                                              for p in polys]))) if polys else 0.0
        for polys in lists
    ]  # fmt: skip
    edges = [sum(len(r) for rings in polys for r in rings) for polys in lists]
    assert got == pytest.approx(want, abs=3e-7 * max(edges))  # 0.3 m² an edge at most
    assert polygon_lists_area_km2([], precision=5).shape == (0,)


def test_a_bump_out_is_gained_and_a_dent_is_lost() -> None:
    grown = check(blob(), blob(bump=0.05))
    assert grown.gained and not grown.lost and grown.gained_km2 > 10
    assert _stretch_loops(prepare_date(blob()), prepare_date(blob(bump=0.05))) is not None
    shrunk = check(blob(), blob(bump=-0.05))
    assert shrunk.lost and not shrunk.gained
    assert shrunk.lost_km2 == pytest.approx(grown.gained_km2, rel=0.2)


def test_a_change_across_a_rings_start_is_a_stretch_too() -> None:
    """A bump over the ring's first chunk (where its chunk list starts) needs no overlay."""
    base = prepare_date(blob())
    outline = np.asarray(blob().exterior.coords)[:-1]
    first = int(np.argmin(np.hypot(*(outline - base.coords[0] / 1e5).T)))
    for shift in (-4, -2, 0):  # the bump starts before the first vertex, or on it
        bumped = blob(bump=0.05, at=first + shift, width=6)
        grown = check(blob(), bumped)
        assert grown.gained and not grown.lost and grown.gained_km2 > 10
        assert _stretch_loops(base, prepare_date(bumped)) is not None


def test_a_day_redrawn_all_along_the_front_is_patched_box_by_box() -> None:
    """More stretches than MAX_STRETCHES: each box's stretches are tried alone, no overlay."""
    n_bumps = MAX_STRETCHES + 12
    t = np.linspace(0, 2 * np.pi, 400 * n_bumps, endpoint=False)
    r = 0.5 + 0.02 * np.sin(7 * t)
    bumped = r.copy()
    for k in range(n_bumps):  # out and in by turns, far enough apart to simplify apart
        bumped[400 * k + 200 : 400 * k + 210] += 0.03 if k % 2 else -0.03
    a, b = (prepare_date(Polygon(np.column_stack([37 + x * np.cos(t) * 1.5, 48 + x * np.sin(t)])))
            for x in (r, bumped))  # fmt: skip
    assert _stretch_loops(a, b) is None, "too many stretches for one try"
    boxes = changed_boxes(a, b)
    by_box = _box_loops(a, b, None, boxes)
    assert by_box is not None and len(by_box) == len(boxes) > MAX_STRETCHES
    assert all(found for found in by_box), "every box patched by its stretches"
    patches = check(Polygon(np.column_stack([37 + r * np.cos(t) * 1.5, 48 + r * np.sin(t)])),
                    Polygon(np.column_stack([37 + bumped * np.cos(t) * 1.5,
                                             48 + bumped * np.sin(t)])))  # fmt: skip
    assert len(patches.gained) == len(patches.lost) == n_bumps // 2


def test_a_front_that_moves_both_ways_is_cut_at_the_crossing() -> None:
    t = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    wave = np.where((t > 1.0) & (t < 1.6), 0.04 * np.sin((t - 1.0) / 0.6 * 2 * np.pi), 0.0)
    r = 0.5 + wave
    moved = Polygon(np.column_stack([37 + r * np.cos(t) * 1.5, 48 + r * np.sin(t)]))
    plain = Polygon(np.column_stack([37 + 0.5 * np.cos(t) * 1.5, 48 + 0.5 * np.sin(t)]))
    patches = check(plain, moved)
    assert patches.gained and patches.lost, (
        "advance on one side of the crossing, retreat on the other"
    )


def test_a_hole_that_grows_is_lost_ground() -> None:
    hole = np.column_stack([37 + 0.1 * np.cos(np.linspace(0, 6.2, 40)),
                            48 + 0.1 * np.sin(np.linspace(0, 6.2, 40))])  # fmt: skip
    bigger = hole.copy()
    bigger[5:8] += 0.03
    patches = check(Polygon(blob().exterior, [hole]), Polygon(blob().exterior, [bigger]))
    assert patches.lost_km2 > 0.5 > patches.gained_km2


def test_islands_that_appear_and_vanish() -> None:
    island = box(39.0, 48.0, 39.2, 48.1)
    appeared = check(blob(), MultiPolygon([blob(), island]))
    assert appeared.gained_km2 == pytest.approx(geodesic_area_km2(island), rel=1e-6)
    vanished = check(MultiPolygon([blob(), island]), blob())
    assert vanished.lost_km2 == pytest.approx(geodesic_area_km2(island), rel=1e-6)


def test_unchanged_and_first_dates_have_no_patches() -> None:
    same = check(blob(), blob())
    assert not same.gained and not same.lost and same.gained_km2 == 0
    first = change_patches(None, prepare_date(blob()), precision=5)
    assert (first.gained, first.lost, first.gained_km2) == ([], [], 0.0)


boxes = st.lists(
    st.tuples(st.floats(36, 38), st.floats(47, 49), st.floats(0.01, 1), st.floats(0.01, 1)),
    min_size=1,
    max_size=4,
)


@given(boxes, boxes, st.sampled_from([0.0, 0.0005]))
@settings(max_examples=60, deadline=None)
def test_random_changes_match_a_full_overlay(first: Any, second: Any, tolerance: float) -> None:
    union = [
        shapely.union_all([box(x, y, x + w, y + h) for x, y, w, h in b]) for b in (first, second)
    ]
    check(*union, tolerance=tolerance)


@given(boxes, st.floats(-0.3, 0.3), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_local_edits_match_a_full_overlay(shapes: Any, shift: float, corner: int) -> None:
    """A union of boxes, then one of its corners moved: the typical day."""
    base = shapely.union_all([box(x, y, x + w, y + h) for x, y, w, h in shapes])
    moved = shapes.copy()
    x, y, w, h = moved[corner % len(moved)]
    moved[corner % len(moved)] = (x, y, max(w + shift, 0.01), h)
    edited = shapely.union_all([box(x, y, x + w, y + h) for x, y, w, h in moved])
    check(base, edited)


def test_polygons_round_trip_through_their_encoding() -> None:
    patches = check(blob(), blob(bump=0.05, at=50))
    text = encode_polygons(patches.gained)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = decode_polygons(text)
    assert [[r.tolist() for r in p] for p in back] == [
        [r.tolist() for r in p] for p in patches.gained
    ]
    assert encode_polygons([]) == "" and decode_polygons("") == []


def one_by_one(polygons: list[list[Any]]) -> str:
    """Encode one list of polygons value by value (what encode_polygons did alone)."""
    if not polygons:
        return ""
    values = [len(polygons), *(len(rings) for rings in polygons)]
    x = y = 0
    for rings in polygons:
        for ring in rings:
            values.append(len(ring))
            for vx, vy in ring.tolist():
                values += [vx - x, vy - y]
                x, y = vx, vy
    return encode_ints(values)


def test_polygon_lists_encode_each_list_as_alone() -> None:
    rng = np.random.default_rng(7)
    lists = [
        [
            [rng.integers(-(10**7), 10**7, size=(rng.integers(3, 9), 2)) for _ in range(n_rings)]
            for n_rings in rng.integers(1, 4, size=n_polygons)
        ]
        for n_polygons in [0, 1, 3, 0, 0, 2, 5, 0]
    ]
    texts = encode_polygon_lists(lists)
    assert texts == [one_by_one(polygons) for polygons in lists]
    assert [len(decode_polygons(text)) for text in texts] == [0, 1, 3, 0, 0, 2, 5, 0]
    assert encode_polygon_lists([[], []]) == ["", ""] and encode_polygon_lists([]) == []


def greedy_merge(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The plain pairwise merge (what merge_boxes did before it worked on arrays)."""
    merged = True
    while merged:
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for b in sorted(boxes):
            for i, o in enumerate(out):
                if b[0] <= o[2] + 1 and o[0] <= b[2] + 1 and b[1] <= o[3] + 1 and o[1] <= b[3] + 1:
                    out[i] = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]), max(b[3], o[3]))
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return boxes


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 8),
                          st.integers(0, 8)), max_size=30))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_merged_boxes_are_those_of_a_pairwise_merge(
    corners: list[tuple[int, int, int, int]],
) -> None:
    boxes = [(x, y, x + w, y + h) for x, y, w, h in corners]
    assert merge_boxes(boxes) == greedy_merge(boxes)
