"""Per-region time series of the DeepState daily archive, against the naive loop.

Targets (issue 11): ``geo stats`` of the whole archive with regions at least
10x faster than the naive consecutive-difference loop; memory bounded: a 10x
synthetic archive (7,690 dates) runs with about the peak of the real one.
Usage::

    python benchmarks/bench_stats.py [--data DIR] [--store DIR] [--repeat N]
                                     [--naive-repeat N] [--synthetic 10] [--limit N]

Steps, each in a fresh process (best of ``--repeat``, run round by round;
peak memory of each):

* naive: what users write today, per file ``geopandas.read_file`` ->
  ``to_crs`` (Albers equal-area) -> ``make_valid`` -> ``union_all``, then per
  consecutive pair two ``difference`` calls and their areas (no regions);
  end to end, reads included (best of ``--naive-repeat``, default 2: a run
  takes 25 s or more);
* stats: :func:`geo.stats.timeseries` with the seven README regions, from a
  store holding the archive (ingested beforehand, not timed), in one thread;
* stats --jobs 2: the same on two local worker processes (pool start-up
  included), and on two threads (``ThreadPoolExecutor``) - wall times, to
  weigh processes against threads on this 2-core machine;
* stats 10x: the same series (one thread) over a synthetic archive of
  ``--synthetic`` times as many dates (the real geometries repeated, each
  cycle shifted east by 0.02 degree; built in a temporary folder, never kept),
  for its peak memory; then with ``--jobs 2``, where the pool's start-up is
  spread over ten times the work.

The speed target compares wall times; a missed target exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _bench

SCRIPT = __file__


def step_naive(p: dict[str, Any]) -> dict[str, Any]:

    import geopandas as gpd
    import shapely

    from geo.geometry import ALBERS_UA

    files = [Path(f) for f in p["files"]]

    def loop() -> float:
        total, geoms = 0.0, []
        for path in files:
            frame = gpd.read_file(f"/vsigzip/{path}").to_crs(ALBERS_UA)
            geoms.append(shapely.union_all(shapely.make_valid(frame.geometry.values)))
            if len(geoms) == 2:
                prev, geom = geoms
                total += geom.difference(prev).area / 1e6 + prev.difference(geom).area / 1e6
                geoms.pop(0)
        return total

    seconds, total = _bench.timed(loop)
    return {"seconds": seconds, "gross_km2": total, "pairs": len(files) - 1}


def step_stats(p: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from geo.stats import timeseries
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    regions = _bench.load_regions(Path(p["data"]))

    def run() -> Any:
        if p.get("threads"):
            with ThreadPoolExecutor(p["threads"]) as pool:
                return timeseries(store, _bench.LAYER, regions=regions, executor=pool)
        return timeseries(store, _bench.LAYER, regions=regions, jobs=p.get("jobs"), progress=False)

    seconds, frame = _bench.timed(run)
    gross = float((frame["gained_km2"].fillna(0) + frame["lost_km2"].fillna(0)).sum())
    return {"seconds": seconds, "dates": len(frame), "gross_km2": gross,
            "last_area_km2": float(frame["area_km2"].iloc[-1])}  # fmt: skip


def step_in_memory(p: dict[str, Any]) -> dict[str, Any]:
    """Diff the way stats did before: every snapshot in memory, then one diff_series."""
    from geo.diff import diff_series
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    regions = _bench.load_regions(Path(p["data"]))

    def run() -> int:
        diffs = diff_series(store.series(_bench.LAYER), regions=regions, progress=False)
        return len(diffs)

    seconds, n = _bench.timed(run)
    return {"seconds": seconds, "pairs": n}


def step_synthetic(p: dict[str, Any]) -> dict[str, Any]:
    """Build the synthetic archive (a step of its own, so that its memory stays out)."""
    import datetime as dt

    import numpy as np
    import shapely

    from geo.snapshot import Provenance, Snapshot, make_features
    from geo.store import open_store

    real = open_store(p["store"], create=False).read_series(_bench.LAYER)
    geoms = list(real.geometries)
    target = open_store(p["target"])
    first = real.dates[0]
    n = len(geoms)

    def build() -> None:
        for cycle in range(p["times"]):
            shift = np.array([0.02 * cycle, 0.0])
            moved = shapely.transform(geoms, lambda xy, d=shift: xy + d)
            target.ingest(
                Snapshot("synthetic", _bench.LAYER, first + dt.timedelta(days=cycle * n + i),
                         make_features([g]), Provenance("synthetic"))
                for i, g in enumerate(moved)
            )  # fmt: skip

    seconds, _ = _bench.timed(build)
    return {"seconds": seconds, "dates": len(target)}


STEPS = {
    "naive": step_naive, "stats": step_stats, "in_memory": step_in_memory,
    "synthetic": step_synthetic,
}  # fmt: skip


def main() -> int:
    parser = _bench.parser(__doc__ or "")
    parser.add_argument("--naive-repeat", type=int, default=2, help="runs of the naive loop")
    parser.add_argument("--synthetic", type=int, default=10, help="times the archive (0: skip)")
    args = parser.parse_args()
    if args.child:
        return _bench.child_main(STEPS, args.child, args.params)
    print(_bench.machine())
    files = _bench.archive_files(args.data, args.limit)
    tmp = _bench.temp_dir("bench-stats-")
    try:
        store = args.store or _bench.build_store(tmp / "store", files)
        common = {"store": str(store), "data": str(args.data)}
        naive = _bench.run_steps(
            SCRIPT, {"naive": ("naive", {"files": [str(f) for f in files]})}, args.naive_repeat
        )["naive"]
        steps = {
            "stats": ("stats", common),
            "jobs2": ("stats", {**common, "jobs": 2}),
            "threads2": ("stats", {**common, "threads": 2}),
        }
        got = _bench.run_steps(SCRIPT, steps, args.repeat)
        big = None
        if args.synthetic > 1:
            synthetic = tmp / "synthetic"
            params = {"store": str(store), "target": str(synthetic), "times": args.synthetic}
            built = _bench.run_once(SCRIPT, "synthetic", params)
            big_steps = {
                "big": ("stats", {**common, "store": str(synthetic)}),
                "big_jobs2": ("stats", {**common, "store": str(synthetic), "jobs": 2}),
                "big_in_memory": ("in_memory", {**common, "store": str(synthetic)}),
            }
            bigs = _bench.run_steps(SCRIPT, big_steps, 1)
            big, big_jobs2, big_in_memory = bigs["big"], bigs["big_jobs2"], bigs["big_in_memory"]
        in_memory = _bench.run_steps(SCRIPT, {"m": ("in_memory", common)}, 1)["m"]
    finally:
        _bench.cleanup(tmp)
    stats = got["stats"]
    speedup = naive["seconds"] / stats["seconds"]
    print(f"{stats['dates']} dates, {naive['pairs']} consecutive pairs, "
          f"{len(_bench.REGION_NAMES)} regions")  # fmt: skip
    _bench.line("naive loop (read_file .. 2 x difference)", naive)
    _bench.line("geo stats (timeseries, one thread)", stats, f"{speedup:.1f}x faster than naive")
    for key, label in (("jobs2", "geo stats --jobs 2 (processes)"),
                       ("threads2", "geo stats on 2 threads (executor=)")):  # fmt: skip
        step = got[key]
        _bench.line(label, step, f"{stats['seconds'] / step['seconds']:.2f}x one thread")
        same = (step["gross_km2"], step["last_area_km2"]) == (
            stats["gross_km2"],
            stats["last_area_km2"],
        )
        print(f"{'':46} identical figures: {same}")
    print(f"gross change summed: ours {stats['gross_km2']:,.1f} km² (after the sliver filter), "
          f"naive {naive['gross_km2']:,.1f} km² (Albers overlay of chords)")  # fmt: skip
    _bench.line("all in memory (series + diff_series), as before", in_memory)
    checks = [(f"stats {speedup:.1f}x faster than the naive loop (target >= 10x)", speedup >= 10)]
    if big is not None:
        _bench.line(f"geo stats, {big['dates']}-date synthetic archive", big,
                    f"(built in {built['seconds']:.0f} s)")  # fmt: skip
        _bench.line(f"geo stats --jobs 2, {big['dates']} dates", big_jobs2,
                    f"{big['seconds'] / big_jobs2['seconds']:.2f}x one thread")  # fmt: skip
        same = (big_jobs2["gross_km2"], big_jobs2["last_area_km2"]) == (
            big["gross_km2"],
            big["last_area_km2"],
        )
        print(f"{'':46} identical figures: {same}")
        checks.append((f"--jobs 2 on {big['dates']} dates: the same figures as one thread", same))
        _bench.line(f"all in memory, {big['dates']} dates", big_in_memory)
        grew, big_grew = (s["peak_mb"] - s["rss_before_mb"] for s in (stats, big))
        held = big_in_memory["peak_mb"] - big_in_memory["rss_before_mb"]
        checks.append(
            (
                f"memory bounded: stats grew by {big_grew:.0f} MB over {big['dates']} dates, "
                f"{grew:.0f} MB over {stats['dates']} (target: under a quarter of the "
                f"{held:.0f} MB that holding them all takes)",
                big_grew < held / 4,
            )
        )
    return _bench.verdict(checks)


if __name__ == "__main__":
    raise SystemExit(main())
