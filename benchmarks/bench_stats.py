"""Per-region time series of the DeepState daily archive vs merely reading the store.

Target (issue 3): the whole per-region series costs no more than about three
times reading every snapshot from the store. Usage::

    python benchmarks/bench_stats.py [--data ../shared/data] [--limit N]

Prints the ingest time, the read time, the series time, their ratio and the
peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from geo.io import read_many
from geo.regions import load_regions
from geo.stats import timeseries
from geo.store import open_store

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="only the first N days")
    args = parser.parse_args()
    daily = sorted((args.data / "control" / "deepstate" / "daily").glob("*.geojson.gz"))
    if not daily:
        print(f"no DeepState daily files under {args.data}", file=sys.stderr)
        return 2
    daily = daily[: args.limit]
    regions = load_regions(
        [
            args.data
            / "regions"
            / "ukraine-ocha-codab-2017"
            / "ukr_admbnda_adm1_q2_sspe_20171221.shp",
            args.data / "regions" / "natural-earth-50m" / "ne_50m_admin_1_states_provinces.geojson",
        ],
        only=["Kursk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk", "Crimea", "Kharkiv"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "store")
        start = time.perf_counter()
        store.ingest(read_many(daily).snapshots)
        ingest_s = time.perf_counter() - start

        dates = store.dates("russian_control")
        start = time.perf_counter()
        total = sum(store.get("russian_control", day).n_features for day in dates)
        read_s = time.perf_counter() - start

        start = time.perf_counter()
        frame = timeseries(store, "russian_control", regions=regions)
        series_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"snapshots                     {len(dates)} ({total} features)")
    print(f"ingest (read files + store)   {ingest_s:8.2f} s")
    print(f"read every snapshot (store)   {read_s:8.2f} s")
    print(f"per-region time series        {series_s:8.2f} s  ({len(regions)} regions)")
    print(f"ratio series / read           {series_s / read_s:8.2f} x  (target <= ~3)")
    print(f"peak memory                   {peak_mb:8.0f} MB")
    print(f"last row: {frame.iloc[-1]['date']} area {frame.iloc[-1]['area_km2']:,.1f} km²")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
