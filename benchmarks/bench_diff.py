"""Benchmark: consecutive diffs of the DeepState daily archive, naive loop vs geo.diff.

Run ``python benchmarks/bench_diff.py [--limit N] [--data DIR] [--repeat N]``. It reads the
769 daily files of ``../shared/data/control/deepstate/daily`` twice:

* naive: what users write today, per file ``geopandas.read_file`` ->
  ``to_crs`` (Albers equal-area) -> ``make_valid`` -> ``union_all``, then per
  consecutive pair two ``difference`` calls and their areas;
* ours: ``json`` + ``shapely.geometry.shape`` + ``geo.geometry.clean_geometries``
  into ``Snapshot`` objects, then ``geo.diff.diff_series``.

Timings printed: the naive diff step (the two differences and the areas), the
naive end-to-end loop (including reads), our diff step (``diff_series``: all
per-snapshot preparation, overlays, areas and the sliver filter) and our load
step (including ``Snapshot.geometry``, the union of features, which like the
naive ``union_all`` is left out of the diff step). The ratio is naive diff step
/ our diff step, each the best of ``--repeat`` runs (default 3; the naive
repeats reuse the geometries its first run read).

Agreement. The naive loop overlays in Albers metres, where a lon/lat edge is a
chord; we overlay in lon/lat, where GeoJSON edges are straight. On long thin
patches the two differ by up to a few %, so the script also checks our raw
gained/lost against a plain shapely overlay in lon/lat measured the same way
(``--no-reference`` skips that extra ~15 s). It prints the effect of the
default sliver filter and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import resource
import sys
import time
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from geo.diff import diff_series
from geo.geometry import ALBERS_UA, clean_geometries, densify, equal_area_km2
from geo.snapshot import Provenance, Snapshot, make_features

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DAILY = "control/deepstate/daily"
FILE_DATE = re.compile(r"deepstatemap_data_(\d{8})\.geojson\.gz$")


def naive(paths: list[Path]) -> tuple[float, float, np.ndarray, list[object]]:
    """Run the loop users write today.

    Returns (diff-step s, end-to-end s, km² per pair, geometries).
    """
    start = time.perf_counter()
    diff_s = 0.0
    geoms = []
    rows = []
    for path in paths:
        frame = gpd.read_file(f"/vsigzip/{path}").to_crs(ALBERS_UA)
        geom = shapely.union_all(shapely.make_valid(frame.geometry.values))
        if geoms:
            t0 = time.perf_counter()
            rows.append(naive_pair(geoms[-1], geom))
            diff_s += time.perf_counter() - t0
        geoms.append(geom)
    return diff_s, time.perf_counter() - start, np.array(rows).reshape(-1, 2), geoms


def naive_pair(prev: object, geom: object) -> tuple[float, float]:
    """Gained and lost km² of one pair, as the naive loop computes them."""
    gained = geom.difference(prev)  # type: ignore[attr-defined]
    lost = prev.difference(geom)  # type: ignore[attr-defined]
    return gained.area / 1e6, lost.area / 1e6


def naive_diff_step(geoms: list[object]) -> float:
    """Seconds for the naive diff step alone over already-read geometries."""
    t0 = time.perf_counter()
    for prev, geom in pairwise(geoms):
        naive_pair(prev, geom)
    return time.perf_counter() - t0


def reference(snapshots: list[Snapshot]) -> np.ndarray:
    """Plain lon/lat shapely overlays of consecutive pairs, measured as geo.diff does."""
    rows = []
    for a, b in pairwise(s.geometry for s in snapshots):
        gained, lost = shapely.difference(b, a), shapely.difference(a, b)
        densified = densify(np.array([gained, lost], dtype=object), 0.01)
        rows.append(equal_area_km2(densified))
    return np.array(rows).reshape(-1, 2)


def agreement(label: str, ours: np.ndarray, other: np.ndarray) -> None:
    """Print the largest absolute and relative disagreement of gained/lost km²."""
    err = np.abs(ours - other)
    worst = np.unravel_index(np.argmax(err), err.shape)
    kind = "gained" if worst[1] == 0 else "lost"
    print(f"{label}: max abs {err.max():.3g} km² (pair {worst[0]} {kind}, {other[worst]:.4f} km²)")
    for floor in (0.01, 1.0):
        big = other >= floor  # relative error is meaningless on crumbs of a few m²
        rel = err[big] / other[big]
        print(
            f"  values >= {floor:g} km²: max rel {rel.max() * 100 if rel.size else 0:.3g} %, "
            f"{int((rel <= 1e-4).sum())} of {rel.size} within 0.01 %"
        )
    total = abs(ours.sum() - other.sum()) / other.sum()
    print(f"  summed gross change: {other.sum():,.3f} km², rel diff {total * 100:.2g} %")


def load_snapshots(paths: list[Path]) -> list[Snapshot]:
    """Read the daily files into snapshots without geo.io."""
    snapshots = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            data = json.load(stream)
        geoms = [shape(f["geometry"]) if f.get("geometry") else None for f in data["features"]]
        clean, _, report = clean_geometries(geoms, where=str(path))
        match = FILE_DATE.search(path.name)
        assert match, path
        date = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        provenance = Provenance(str(path), date_rule="file name")
        features = make_features(clean)
        snapshot = Snapshot("deepstate", "russian_control", date, features, provenance, report)
        snapshot.geometry  # noqa: B018  # the union of features, cached: the naive union_all
        snapshots.append(snapshot)
    return snapshots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="use the first N files only")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the lon/lat overlay check"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="time both diff steps N times, keep the best"
    )
    args = parser.parse_args(argv)
    paths = sorted((args.data / DAILY).glob("deepstatemap_data_*.geojson.gz"))[: args.limit]
    if len(paths) < 2:
        print(f"need at least 2 daily files in {args.data / DAILY}", file=sys.stderr)
        return 2
    print(f"{len(paths)} snapshots, {len(paths) - 1} consecutive diffs")

    naive_diff_s, naive_total_s, naive_km2, naive_geoms = naive(paths)
    naive_runs = [naive_diff_s] + [naive_diff_step(naive_geoms) for _ in range(args.repeat - 1)]

    t0 = time.perf_counter()
    snapshots = load_snapshots(paths)
    load_s = time.perf_counter() - t0
    ours_runs = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        diffs = diff_series(snapshots)
        ours_runs.append(time.perf_counter() - t0)
    # Best of N for both sides: this 2-core machine's timings vary by about 10 %.
    naive_diff_s, ours_s = min(naive_runs), min(ours_runs)
    print("diff step runs (s): naive " + ", ".join(f"{t:.2f}" for t in naive_runs)
          + "; ours " + ", ".join(f"{t:.2f}" for t in ours_runs))  # fmt: skip

    ours_km2 = np.array([(d.gained_raw_km2, d.lost_raw_km2) for d in diffs])
    kept_km2 = np.array([(d.gained_km2, d.lost_km2) for d in diffs])
    changed = np.abs(kept_km2 - ours_km2) > 0.01 * ours_km2
    local = sum(d.overlay.startswith("local") for d in diffs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"naive diff step (2 x difference + area per pair): {naive_diff_s:8.2f} s")
    print(f"naive end to end (read, to_crs, make_valid, union_all, diff): {naive_total_s:8.2f} s")
    print(f"ours diff step (diff_series: prepare, overlay, areas, filter): {ours_s:8.2f} s")
    print(f"ours load (json, shapely, clean_geometries, Snapshot.geometry): {load_s:8.2f} s")
    print(f"ratio naive diff step / ours: {naive_diff_s / ours_s:6.1f}x")
    print(f"ratio naive end to end / ours load + diff: {naive_total_s / (load_s + ours_s):6.1f}x")
    print(f"local overlays: {local} of {len(diffs)} pairs (the rest: whole geometries)")
    agreement("ours vs naive (overlay in Albers metres)", ours_km2, naive_km2)
    if not args.no_reference:
        agreement("ours vs plain lon/lat overlay", ours_km2, reference(snapshots))
    print(
        f"sliver filter ({diffs[0].sliver_filter.description}): summed gross change "
        f"{ours_km2.sum():,.3f} -> {kept_km2.sum():,.3f} km² "
        f"({(kept_km2.sum() / ours_km2.sum() - 1) * 100:+.4f} %); {int(changed.sum())} of "
        f"{changed.size} gained/lost values change by > 1 %, all with raw change <= "
        f"{ours_km2[changed].max() if changed.any() else 0:.3g} km²"
    )
    print(f"peak memory (ru_maxrss): {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
