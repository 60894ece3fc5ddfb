"""Benchmark: contact line of the DeepState daily archive, time per date.

Run ``python benchmarks/bench_frontline.py [--every N] [--data DIR]``. It builds
the Ukraine outline once (OCHA COD-AB + Natural Earth through
``geo.regions.load_regions`` and ``geo.frontline.country_outline``), reads
every N-th of the 769 daily files with ``geo.io.read`` (timed apart) and
traces ``geo.frontline.frontline`` on each. It prints the length per date, the
time per front (first call, which also erodes the outline, and the median,
mean and max of the rest), and one ``displacement`` between the first and the
last date with its time.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from geo.frontline import country_outline, displacement, frontline
from geo.io import read
from geo.regions import load_regions

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DAILY = "control/deepstate/daily"
OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"
NATURAL_EARTH = "regions/natural-earth-50m/ne_50m_admin_1_states_provinces.geojson"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--every", type=int, default=10, help="take every N-th daily file")
    args = parser.parse_args()

    start = time.perf_counter()
    logging.getLogger("geo.regions").setLevel(logging.ERROR)  # NE duplicates OCHA's Crimea
    regions = load_regions([args.data / OCHA, args.data / NATURAL_EARTH])
    outline = country_outline(regions)
    print(f"outline: {time.perf_counter() - start:.2f} s (regions + union + hole filling)")

    paths = sorted((args.data / DAILY).glob("*.geojson.gz"))[:: args.every]
    read_s, front_s, fronts, snapshots = [], [], [], []
    for path in paths:
        t0 = time.perf_counter()
        (snap,) = read(path)
        t1 = time.perf_counter()
        front = frontline(snap, outline)
        t2 = time.perf_counter()
        read_s.append(t1 - t0)
        front_s.append(t2 - t1)
        fronts.append(front)
        snapshots.append(snap)
        print(
            f"{snap.date}  {front.length_km:8.1f} km  {front.n_pieces:3d} pieces  "
            f"{front.dropped_km:5.2f} km dropped  {front.pockets_km2:6.0f} km² pockets  "
            f"{1000 * (t2 - t1):6.1f} ms"
        )
    rest = front_s[1:] or front_s
    print(
        f"\n{len(paths)} dates: frontline first {1000 * front_s[0]:.0f} ms (erodes the outline), "
        f"then median {1000 * statistics.median(rest):.1f} ms, mean "
        f"{1000 * statistics.mean(rest):.1f} ms, max {1000 * max(rest):.1f} ms; "
        f"read median {1000 * statistics.median(read_s):.1f} ms"
    )
    lengths = [f.length_km for f in fronts]
    print(f"length {min(lengths):,.1f} .. {max(lengths):,.1f} km")

    t0 = time.perf_counter()
    moved = displacement(fronts[0], fronts[-1], area_before=snapshots[0])
    print(f"displacement {time.perf_counter() - t0:.2f} s: {moved!r}")
    print(f"  from {moved.max_from}, advanced share {moved.advanced_share:.0%}")


if __name__ == "__main__":
    main()
