"""Reading a whole series back from the store, against a plain loop over its files.

Target (issue 11): the batch read path (``Store.read_series``: one pass over
the series' Parquet files, one ``shapely.from_wkb`` call, no GeoDataFrame)
within 1.5x of the plain loop ``pyarrow.parquet.read_table`` +
``shapely.from_wkb`` over the same files. Usage::

    python benchmarks/bench_store_read.py [--data DIR] [--store DIR] [--repeat N]

Steps, each in a fresh process (best of ``--repeat``; peak memory of each):

* plain: the loop above, file by file in date order (the baseline);
* batch: ``store.read_series(layer).feature_geometries``;
* batch + unions: the same plus the geometry of each snapshot (``.geometries``);
* series: ``store.series(layer)``, one Snapshot (GeoDataFrame) per date;
* get loop: ``store.get`` per date, the way the loops of issue 3 read.

The target must hold for both the CPU-time ratio and the wall-time ratio
(best of each). Exit status 1 when the target is missed.
"""

from __future__ import annotations

from typing import Any

import _bench

SCRIPT = __file__


def step_plain(p: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.parquet as pq
    import shapely

    from geo.store import open_store

    store = open_store(p["store"], create=False)
    files = [store.path / f for f in store.snapshots(layer=_bench.LAYER)["file"]]

    def loop() -> int:
        n = 0
        for file in files:
            table = pq.read_table(file)
            n += len(shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False)))
        return n

    seconds, n = _bench.timed(loop)
    return {"seconds": seconds, "features": n, "snapshots": len(files)}


def step_batch(p: dict[str, Any]) -> dict[str, Any]:
    from geo.store import open_store

    store = open_store(p["store"], create=False)

    def read() -> Any:
        series = store.read_series(_bench.LAYER)
        if p.get("unions"):
            return len(series.geometries)
        return len(series.feature_geometries)

    seconds, n = _bench.timed(read)
    return {"seconds": seconds, "n": n}


def step_series(p: dict[str, Any]) -> dict[str, Any]:
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    seconds, snaps = _bench.timed(lambda: store.series(_bench.LAYER))
    return {"seconds": seconds, "n": len(snaps)}


def step_get(p: dict[str, Any]) -> dict[str, Any]:
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    dates = store.dates(_bench.LAYER)
    seconds, n = _bench.timed(lambda: sum(store.get(_bench.LAYER, d).n_features for d in dates))
    return {"seconds": seconds, "n": n}


STEPS = {"plain": step_plain, "batch": step_batch, "series": step_series, "get": step_get}


def main() -> int:
    args = _bench.parser(__doc__ or "").parse_args()
    if args.child:
        return _bench.child_main(STEPS, args.child, args.params)
    print(_bench.machine())
    with _bench.archive_store(args, "bench-store-read-") as path:
        store = {"store": str(path)}
        steps = {
            "plain": ("plain", store), "batch": ("batch", store),
            "unions": ("batch", {**store, "unions": True}), "series": ("series", store),
            "get": ("get", store),
        }  # fmt: skip
        got = _bench.run_steps(SCRIPT, steps, args.repeat)
        plain, batch, unions, series, get = (got[k] for k in steps)
    print(f"{plain['snapshots']} snapshots, {plain['features']} features")
    _bench.line("plain loop (read_table + from_wkb per file)", plain)
    _bench.line("batch: read_series().feature_geometries", batch,
                f"{batch['cpu_s'] / plain['cpu_s']:.2f}x plain (cpu)")  # fmt: skip
    _bench.line("batch + snapshot geometries (unions)", unions,
                f"{unions['cpu_s'] / plain['cpu_s']:.2f}x plain (cpu)")  # fmt: skip
    _bench.line("Store.series (a GeoDataFrame per date)", series,
                f"{series['cpu_s'] / plain['cpu_s']:.2f}x plain (cpu)")  # fmt: skip
    _bench.line("Store.get per date", get, f"{get['cpu_s'] / plain['cpu_s']:.2f}x plain (cpu)")
    ratio = batch["cpu_s"] / plain["cpu_s"]
    wall = batch["seconds"] / plain["seconds"]
    target = f"batch read {ratio:.2f}x the plain loop (CPU), {wall:.2f}x (wall); target <= 1.5x"
    return _bench.verdict([(target, max(ratio, wall) <= 1.5)])


if __name__ == "__main__":
    raise SystemExit(main())
