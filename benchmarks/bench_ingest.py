"""Ingesting the DeepState daily archive, against merely reading its files.

Targets (issue 11): ``geo ingest`` of the archive at most 2x the plain read of
the files; re-ingesting the unchanged files (same size, time and SHA-256) a
no-op in under 1 s. Usage::

    python benchmarks/bench_ingest.py [--data DIR] [--limit N] [--repeat N]

Steps, each in a fresh process (best of ``--repeat``; peak memory of each):

* plain read (the baseline): ``geopandas.read_file("/vsigzip/...")`` of each
  file, the plain way to read the archive (the issue's "~4 s to read the files");
* bare parse, for reference: per file ``gzip`` + ``json.load`` +
  ``shapely.geometry.shape`` of every feature, a floor below any real reader
  (no CRS, no checks, no attributes);
* ingest: :func:`geo.ingest.ingest_files` of the folder into a new store
  (read, hygiene, hashes, geodesic areas, GeoParquet files flushed to disk,
  catalog);
* re-ingest: the same call again on the filled store (timed alone; it must
  read no file);
* re-ingest CLI: ``geo ingest DIR`` again, wall time of the whole command
  (Python start-up and imports included), for reference.

The ingest target must hold for CPU times (user + system: on this shared
2-core machine they hardly depend on other users' load) and for wall times.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _bench

SCRIPT = __file__


def step_plain(p: dict[str, Any]) -> dict[str, Any]:
    import gzip
    import json

    from shapely.geometry import shape

    files = [Path(f) for f in p["files"]]

    def loop() -> int:
        n = 0
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8") as stream:
                data = json.load(stream)
            geoms = [shape(f["geometry"]) for f in data["features"] if f.get("geometry")]
            n += len(geoms)
        return n

    seconds, n = _bench.timed(loop)
    return {"seconds": seconds, "features": n}


def step_read_file(p: dict[str, Any]) -> dict[str, Any]:
    import geopandas as gpd

    files = [Path(f) for f in p["files"]]
    seconds, n = _bench.timed(lambda: sum(len(gpd.read_file(f"/vsigzip/{f}")) for f in files))
    return {"seconds": seconds, "features": n}


def step_ingest(p: dict[str, Any]) -> dict[str, Any]:
    from geo.ingest import ingest_files
    from geo.store import open_store

    tmp = _bench.temp_dir("bench-ingest-")
    try:
        store = open_store(tmp / "store")
        files = [Path(f) for f in p["files"]]
        seconds, result = _bench.timed(lambda: ingest_files(store, files, progress=False))
    finally:
        _bench.cleanup(tmp)
    return {"seconds": seconds, "summary": result.summary()}


def step_reingest(p: dict[str, Any]) -> dict[str, Any]:
    from geo.ingest import ingest_files
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    files = [Path(f) for f in p["files"]]
    seconds, result = _bench.timed(lambda: ingest_files(store, files, progress=False))
    return {"seconds": seconds, "summary": result.summary(), "read": result.n_read}


STEPS = {
    "plain": step_plain, "read_file": step_read_file, "ingest": step_ingest,
    "reingest": step_reingest,
}  # fmt: skip


def main() -> int:
    args = _bench.parser(__doc__ or "").parse_args()
    if args.child:
        return _bench.child_main(STEPS, args.child, args.params)
    print(_bench.machine())
    files = _bench.archive_files(args.data, args.limit)
    names = {"files": [str(f) for f in files]}
    tmp = _bench.temp_dir("bench-reingest-")
    try:
        store = _bench.build_store(tmp / "store", files)
        steps = {
            "read_file": ("read_file", names), "plain": ("plain", names),
            "ingest": ("ingest", names), "reingest": ("reingest", {**names, "store": str(store)}),
        }  # fmt: skip
        got = _bench.run_steps(SCRIPT, steps, args.repeat)
        read_file, plain, ingest, reingest = (got[k] for k in steps)
        cli_runs = []
        for _ in range(max(args.repeat, 1)):
            start = time.perf_counter()
            subprocess.run(
                [str(Path(sys.executable).with_name("geo")), "ingest", "--store", str(store),
                 *map(str, files)],
                check=True, capture_output=True,
            )  # fmt: skip
            cli_runs.append(time.perf_counter() - start)
    finally:
        _bench.cleanup(tmp)
    print(f"{len(files)} files, {plain['features']} features")
    _bench.line("plain read (geopandas.read_file per file)", read_file)
    _bench.line("bare parse (gzip + json + shape)", plain)
    ratio = ingest["cpu_s"] / read_file["cpu_s"]
    wall = ingest["seconds"] / read_file["seconds"]
    bare = ingest["cpu_s"] / plain["cpu_s"]
    said = f"{ratio:.2f}x read_file cpu, {wall:.2f}x wall; {bare:.2f}x bare parse cpu"
    _bench.line("ingest_files into a new store", ingest, said)
    _bench.line("re-ingest, unchanged files", reingest, reingest["summary"])
    cli = ", ".join(f"{t:.2f}" for t in cli_runs)
    print(f"{'re-ingest CLI (geo ingest, whole command)':<46} {min(cli_runs):8.3f} s  (runs {cli})")
    return _bench.verdict(
        [
            (
                f"ingest {ratio:.2f}x (CPU), {wall:.2f}x (wall) the plain read (target <= 2x)",
                max(ratio, wall) <= 2.0,
            ),
            (
                f"re-ingest of unchanged files {reingest['seconds']:.3f} s reading "
                f"{reingest['read']} files (target: under 1 s, none read)",
                reingest["seconds"] < 1.0 and reingest["read"] == 0,
            ),
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
