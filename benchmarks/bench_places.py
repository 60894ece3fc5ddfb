"""Places that changed hands over the whole DeepState daily archive, against geo stats.

Targets: issue 7, the full Ukrainian GeoNames gazetteer against the whole
archive (first -> last date) in a few seconds; issue 11, at most 2x the time
of ``geo stats`` over the same archive. Usage::

    python benchmarks/bench_places.py [--data DIR] [--store DIR] [--repeat N]

Without ``--store`` the daily archive is ingested into a temporary store first
(not timed). Steps, each in a fresh process (best of ``--repeat``, round by
round; peak memory of each; the gazetteer is loaded before the clock starts
and its load timed apart):

* places: :func:`geo.places.places_changed` first -> last date, one thread;
* places --jobs 2: the same on two local worker processes (pool start-up
  included), and on two threads;
* stats: :func:`geo.stats.timeseries` of the same archive, without regions
  (the stricter comparison: with regions it takes longer).

Prints places tested and changed and the snapshots read (``lookups``) against
the number of stored dates. A missed target exits 1.
"""

from __future__ import annotations

from typing import Any

import _bench

SCRIPT = __file__
GAZETTEER = ("places", "geonames-UA.txt.gz")


def step_places(p: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from geo.gazetteer import load_gazetteer
    from geo.places import places_changed
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    load_s, gaz = _bench.timed(lambda: load_gazetteer(Path(p["gazetteer"])))
    dates = store.dates(_bench.LAYER)

    def run() -> Any:
        kw: dict[str, Any] = {"gazetteer": gaz, "progress": False}
        if p.get("threads"):
            with ThreadPoolExecutor(p["threads"]) as pool:
                return places_changed(store, _bench.LAYER, dates[0], dates[-1], executor=pool, **kw)
        return places_changed(store, _bench.LAYER, dates[0], dates[-1], jobs=p.get("jobs"), **kw)

    seconds, frame = _bench.timed(run)
    counts = frame["change"].value_counts()
    return {
        "seconds": seconds, "load_s": load_s, "n_places": len(gaz),
        "tested": frame.attrs["n_tested"], "gained": int(counts.get("gained", 0)),
        "lost": int(counts.get("lost", 0)), "lookups": frame.attrs["lookups"],
        "dates": len(dates), "first": str(dates[0]), "last": str(dates[-1]),
        "ids": sorted(int(i) for i in frame["geonames_id"]),
    }  # fmt: skip


def step_stats(p: dict[str, Any]) -> dict[str, Any]:
    from geo.stats import timeseries
    from geo.store import open_store

    store = open_store(p["store"], create=False)
    seconds, frame = _bench.timed(lambda: timeseries(store, _bench.LAYER, progress=False))
    return {"seconds": seconds, "dates": len(frame)}


STEPS = {"places": step_places, "stats": step_stats}


def main() -> int:
    args = _bench.parser(__doc__ or "").parse_args()
    if args.child:
        return _bench.child_main(STEPS, args.child, args.params)
    print(_bench.machine())
    gazetteer = args.data.joinpath(*GAZETTEER)
    with _bench.archive_store(args, "bench-places-") as store:
        common = {"store": str(store), "gazetteer": str(gazetteer)}
        steps = {
            "places": ("places", common),
            "jobs2": ("places", {**common, "jobs": 2}),
            "threads2": ("places", {**common, "threads": 2}),
            "stats": ("stats", common),
        }
        got = _bench.run_steps(SCRIPT, steps, args.repeat)
    places, stats = got["places"], got["stats"]
    ratio = places["seconds"] / stats["seconds"]
    print(f"gazetteer load {places['load_s']:.2f} s ({places['n_places']} places); "
          f"{places['first']} -> {places['last']}")  # fmt: skip
    _bench.line("places_changed first -> last (one thread)", places,
                f"{ratio:.2f}x geo stats")  # fmt: skip
    for key, label in (("jobs2", "places --jobs 2 (processes)"),
                       ("threads2", "places on 2 threads (executor=)")):  # fmt: skip
        step = got[key]
        same = step["ids"] == places["ids"]
        _bench.line(label, step, f"{places['seconds'] / step['seconds']:.2f}x one thread; "
                    f"identical places: {same}")  # fmt: skip
    _bench.line("geo stats, same archive (no regions)", stats)
    print(f"places tested {places['tested']}, gained {places['gained']} / lost {places['lost']}; "
          f"snapshots read (lookups) {places['lookups']} of {places['dates']} dates")  # fmt: skip
    seconds = places["seconds"]
    checks = [
        (f"places {seconds:.2f} s, {ratio:.2f}x geo stats (target <= 2x)", ratio <= 2.0),
        (f"places within a few seconds ({seconds:.2f} s; target < 5 s)", seconds < 5.0),
    ]
    return _bench.verdict(checks)


if __name__ == "__main__":
    raise SystemExit(main())
