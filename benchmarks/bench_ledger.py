"""The per-place ledger of the whole DeepState daily archive against the full Ukrainian gazetteer.

Target (issue 14): every place of the GeoNames Ukraine file on every one of the
769 stored dates in seconds, by vectorized point-in-polygon. Usage::

    python benchmarks/bench_ledger.py [--data ../shared/data] [--store DIR]
        [--subset 200] [--target-s 3] [--min-speedup 50]

Without ``--store`` the daily archive is ingested into a temporary store first
(not timed). In the same run it measures:

* ``ledger()`` end to end (reads the snapshots, tests every place, summarises),
  and reading the snapshots alone (``store.series``; the store's read path is
  another engineer's work, so the target is on the ledger's own share);
* its point-in-polygon core, :func:`geo.ledger.points_inside`, on snapshots
  already read;
* a plain vectorized baseline: one ``shapely.contains_xy`` over all places per
  date (what the core does without the changed-boxes shortcut);
* the naive baseline: a loop per place and date with ``geometry.contains(Point)``
  on ``--subset`` places, scaled to all places.

The file cache is warmed by one read first. It checks that the core's matrix
equals the vectorized baseline on every date (and the naive loop on its subset),
prints the ratios and the peak resident memory, and exits 1 when the ledger's
own share (end to end minus reading) exceeds ``--target-s`` or the core is less
than ``--min-speedup`` times faster than the naive loop.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from geo.gazetteer import load_gazetteer
from geo.io import read_many
from geo.ledger import ledger, points_inside, read_series
from geo.store import Store, open_store

HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run(store: Store, gazetteer_path: Path, *, subset: int, target_s: float, speedup: float) -> int:
    start = time.perf_counter()
    gaz = load_gazetteer(gazetteer_path)
    load_s = time.perf_counter() - start
    x, y = gaz.places["lon"].to_numpy(float), gaz.places["lat"].to_numpy(float)
    read_series(store, "russian_control", source="deepstate-daily")  # warm the file cache

    start = time.perf_counter()
    result = ledger(store, gazetteer=gaz, sources=["deepstate-daily"])
    ledger_s = time.perf_counter() - start
    rss_after_ledger = peak_rss_mb()

    start = time.perf_counter()
    snaps = read_series(store, "russian_control", source="deepstate-daily")
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    matrix = points_inside(snaps, x, y)
    core_s = time.perf_counter() - start

    geoms = [s.geometry for s in snaps]
    start = time.perf_counter()
    plain = np.zeros_like(matrix)
    for i, geometry in enumerate(geoms):
        shapely.prepare(geometry)
        plain[i] = shapely.contains_xy(geometry, x, y)
    plain_s = time.perf_counter() - start
    for geometry in geoms:
        shapely.destroy_prepared(geometry)  # the naive loop gets plain geometries

    rng = np.random.default_rng(14)
    chosen = rng.choice(len(x), size=min(subset, len(x)), replace=False)
    start = time.perf_counter()
    naive = np.zeros((len(geoms), len(chosen)), dtype=bool)
    for k, j in enumerate(chosen):  # the per-place loop an analyst would write
        point = shapely.Point(x[j], y[j])
        for i, geometry in enumerate(geoms):
            naive[i, k] = geometry.contains(point)
    naive_subset_s = time.perf_counter() - start
    naive_s = naive_subset_s * len(x) / len(chosen)

    same = np.array_equal(matrix, plain) and np.array_equal(matrix[:, chosen], naive)
    same &= np.array_equal(result.inside[("deepstate-daily", "russian_control")], matrix)
    n_dates, n_places = matrix.shape
    summary = result.summary
    print(f"dates x places                {n_dates} x {n_places:,} ({n_dates * n_places:,} tests)")
    print(f"gazetteer load                {load_s:8.2f} s")
    own_s = ledger_s - read_s
    print(f"ledger() end to end           {ledger_s:8.2f} s")
    print(f"  reading the snapshots       {read_s:8.2f} s  (store.series, measured alone)")
    print(f"  the ledger's own share      {own_s:8.2f} s  (target <= {target_s:g} s)")
    print(f"points_inside (core)          {core_s:8.2f} s")
    print(f"contains_xy per date (plain)  {plain_s:8.2f} s  ratio {plain_s / core_s:6.1f}x")
    print(
        f"naive per-place loop          {naive_s:8.2f} s  ratio {naive_s / core_s:6.1f}x "
        f"(measured on {len(chosen)} places: {naive_subset_s:.2f} s, scaled)"
    )
    print(f"matrices identical            {same}")
    print(f"peak resident memory          {rss_after_ledger:8.0f} MB after ledger()")
    print(
        f"places that changed hands     {int((summary['n_changes'] > 0).sum()):8,d} "
        f"({int((summary['n_changes'] > 1).sum()):,} more than once)"
    )
    failed = []
    if not same:
        failed.append("the matrices differ")
    if own_s > target_s:
        failed.append(f"the ledger's own share took {own_s:.2f} s > {target_s:g} s")
    if naive_s / core_s < speedup:
        failed.append(f"core {naive_s / core_s:.1f}x faster than the naive loop, < {speedup:g}x")
    for problem in failed:
        print(f"TARGET MISSED: {problem}", file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--store", type=Path, default=None, help="reuse an ingested store")
    parser.add_argument("--subset", type=int, default=200, help="places in the naive loop")
    parser.add_argument("--target-s", type=float, default=3.0, help="ledger's own share, s")
    parser.add_argument("--min-speedup", type=float, default=50.0, help="core vs naive loop")
    args = parser.parse_args()
    gazetteer_path = args.data / "places" / "geonames-UA.txt.gz"
    options = {"subset": args.subset, "target_s": args.target_s, "speedup": args.min_speedup}
    if args.store is not None:
        return run(open_store(args.store, create=False), gazetteer_path, **options)
    daily = sorted((args.data / "control" / "deepstate" / "daily").glob("*.geojson.gz"))
    if not daily:
        print(f"no DeepState daily files under {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "store")
        start = time.perf_counter()
        store.ingest(read_many(daily).snapshots)
        print(f"ingest (not timed below)      {time.perf_counter() - start:8.2f} s")
        return run(store, gazetteer_path, **options)


if __name__ == "__main__":
    raise SystemExit(main())
