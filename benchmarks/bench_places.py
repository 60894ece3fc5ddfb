"""Places that changed hands over the whole DeepState daily archive (first -> last date).

Target (issue 7): the full Ukrainian GeoNames gazetteer against the whole
archive in a few seconds. Usage::

    python benchmarks/bench_places.py [--data ../shared/data] [--store DIR]

Without ``--store`` the daily archive is ingested into a temporary store first
(not timed as part of the query). Prints the gazetteer load time, the query
time, places tested and changed, and the snapshots read (``lookups``) against
the number of stored dates.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from geo.gazetteer import load_gazetteer
from geo.io import read_many
from geo.places import places_changed
from geo.store import Store, open_store

HERE = Path(__file__).resolve().parent


def run(store: Store, gazetteer_path: Path) -> None:
    start = time.perf_counter()
    gaz = load_gazetteer(gazetteer_path)
    load_s = time.perf_counter() - start
    dates = store.dates("russian_control")
    start = time.perf_counter()
    frame = places_changed(store, "russian_control", dates[0], dates[-1], gazetteer=gaz)
    query_s = time.perf_counter() - start
    counts = frame["change"].value_counts()
    print(f"gazetteer load                {load_s:8.2f} s  ({len(gaz)} places)")
    print(f"places_changed first->last    {query_s:8.2f} s  ({dates[0]} -> {dates[-1]})")
    print(f"places tested                 {frame.attrs['n_tested']:8d}")
    print(f"gained / lost                 {counts.get('gained', 0):8d} / {counts.get('lost', 0)}")
    print(f"snapshots read (lookups)      {frame.attrs['lookups']:8d}  of {len(dates)} dates")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--store", type=Path, default=None, help="reuse an ingested store")
    args = parser.parse_args()
    gazetteer_path = args.data / "places" / "geonames-UA.txt.gz"
    if args.store is not None:
        run(open_store(args.store, create=False), gazetteer_path)
        return 0
    daily = sorted((args.data / "control" / "deepstate" / "daily").glob("*.geojson.gz"))
    if not daily:
        print(f"no DeepState daily files under {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "store")
        start = time.perf_counter()
        store.ingest(read_many(daily).snapshots)
        print(f"ingest (not part of the query){time.perf_counter() - start:8.2f} s")
        run(store, gazetteer_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
