"""Shared helpers of the store, ingest, stats and places benchmarks.

Every timed step runs in a fresh child process (``script --child STEP``), so
that each step's peak memory (``ru_maxrss`` of that process) is its own and
no step warms a cache for another; the child times only the step itself
(imports and setup excluded) and prints one JSON line. Memory is printed as
the peak resident size of the step's process and, in brackets, what it grew
by during the step (over the size after imports and setup). The parent repeats each
step ``--repeat`` times, keeps the best time (this 2-core machine is shared:
timings vary by 20 % and more from run to run, and by 2x when others are
busy), prints the machine load, the ratios against the baseline measured in
the same run, and exits 1 when a target is missed. Each step reports wall
time and CPU time (user + system of every thread of its process): on a shared
machine the CPU time of a single-threaded step hardly depends on what others
run, the wall time does, so targets on single-threaded steps compare CPU
times, and both are printed. Steps are run round by round (baseline, then
ours, then the baseline again...), so that both meet the same load.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DAILY = ("control", "deepstate", "daily")
OCHA = ("regions", "ukraine-ocha-codab-2017", "ukr_admbnda_adm1_q2_sspe_20171221.shp")
NATURAL_EARTH = ("regions", "natural-earth-50m", "ne_50m_admin_1_states_provinces.geojson")
REGION_NAMES = ["Kursk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk", "Crimea", "Kharkiv"]
LAYER = "russian_control"

Step = Callable[[dict[str, Any]], dict[str, Any]]


def default_data() -> Path:
    """``$GEO_SHARED_DATA``, else ``../shared/data`` next to the repository."""
    env = os.environ.get("GEO_SHARED_DATA", "").strip()
    return Path(env) if env else HERE.parent.parent / "shared" / "data"


def daily_files(data: Path) -> list[Path]:
    """Return the DeepState daily archive, oldest first."""
    return sorted(data.joinpath(*DAILY).glob("deepstatemap_data_*.geojson.gz"))


def archive_files(data: Path, limit: int | None = None) -> list[Path]:
    """Return the first ``limit`` daily files; exit 2 with a message when there are none."""
    files = daily_files(data)[:limit]
    if not files:
        print(f"no DeepState daily files under {data}", file=sys.stderr)
        raise SystemExit(2)
    return files


def load_regions(data: Path) -> Any:
    """OCHA oblasts plus Natural Earth (Kursk): the README's seven regions."""
    import warnings

    from geo.regions import load_regions as load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Crimea kept from the earlier file", as documented
        return load([data.joinpath(*OCHA), data.joinpath(*NATURAL_EARTH)], only=REGION_NAMES)


def build_store(path: Path, files: list[Path]) -> Path:
    """Ingest ``files`` into a new store at ``path`` (not timed)."""
    from geo.ingest import ingest_files
    from geo.store import open_store

    ingest_files(open_store(path), files, progress=False)
    return path


@contextlib.contextmanager
def archive_store(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """Yield ``--store``, or the archive (``--data``, ``--limit``) in a temporary store."""
    if args.store is not None:
        yield Path(args.store)
        return
    tmp = temp_dir(prefix)
    try:
        yield build_store(tmp / "store", archive_files(args.data, args.limit))
    finally:
        cleanup(tmp)


def parser(doc: str) -> argparse.ArgumentParser:
    """Return a parser with the options every benchmark takes."""
    out = argparse.ArgumentParser(description=doc.splitlines()[0])
    out.add_argument("--data", type=Path, default=default_data(), help="the shared data folder")
    out.add_argument("--limit", type=int, default=None, help="only the first N daily files")
    out.add_argument("--repeat", type=int, default=3, help="runs of each step; the best counts")
    out.add_argument("--store", type=Path, default=None, help="reuse an ingested store")
    out.add_argument("--child", default=None, help=argparse.SUPPRESS)
    out.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    return out


def child_main(steps: dict[str, Step], name: str, params_json: str) -> int:
    """Run one step in this (child) process and print its result as one JSON line."""
    result = steps[name](json.loads(params_json))
    result.setdefault("cpu_s", LAST_CPU[0])
    result.setdefault("rss_before_mb", LAST_RSS[0])
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))
    return 0


def peak_mb(field: str = "VmHWM") -> float:
    """Peak (or, with ``field="VmRSS"``, current) resident memory of this process in MB.

    From ``/proc/self/status`` where there is one: ``ru_maxrss`` of a child
    started by fork and exec starts from its parent's size on Linux.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kb = next(int(row.split()[1]) for row in status.splitlines() if row.startswith(f"{field}:"))
    return kb / 1024


def run_once(script: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one step once in a fresh process; its JSON result."""
    out = subprocess.run(
        [sys.executable, script, "--child", name, "--params", json.dumps(params)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        msg = f"step {name} failed (exit {out.returncode})"
        raise SystemExit(msg)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run_steps(
    script: str, steps: dict[str, tuple[str, dict[str, Any]]], repeat: int
) -> dict[str, dict[str, Any]]:
    """Run each step ``repeat`` times, interleaved round by round; best time, largest peak.

    Interleaving puts a baseline and the step compared with it under the same
    load (the machine is shared): round 1 runs every step once, then round 2...
    """
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in steps}
    for _ in range(max(repeat, 1)):
        for key, (name, params) in steps.items():
            runs[key].append(run_once(script, name, params))
    out = {}
    for key, results in runs.items():
        best = min(results, key=lambda r: r["seconds"])
        out[key] = {
            **best,
            "runs": [r["seconds"] for r in results],
            "cpu_s": min(r["cpu_s"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results),
            "rss_before_mb": min(r["rss_before_mb"] for r in results),
        }
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Return the wall seconds of ``fn()`` and its result (its CPU seconds go to LAST_CPU)."""
    LAST_RSS[0] = peak_mb("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    LAST_CPU[0] = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return wall, value


#: CPU seconds (user + system, every thread) of the last :func:`timed` call.
LAST_CPU = [0.0]
#: Resident MB when the last :func:`timed` call started (imports and setup done).
LAST_RSS = [0.0]


def machine() -> str:
    """One line: cores, load, versions (say the load when you measure)."""
    import pyarrow
    import shapely

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now().isoformat(timespec='seconds')}  {os.cpu_count()} cores, "
        f"load average {load}; Python {platform.python_version()}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), pyarrow {pyarrow.__version__}"
    )


def line(label: str, step: dict[str, Any], extra: str = "") -> None:
    """Print one step: best wall time, all runs, best CPU time, peak memory."""
    runs = ", ".join(f"{t:.2f}" for t in step["runs"])
    grew = step["peak_mb"] - step["rss_before_mb"]
    tail = f"  {extra}" if extra else ""
    print(f"{label:<44} wall {step['seconds']:7.3f} s (runs {runs})  cpu {step['cpu_s']:7.3f} s"
          f"  peak {step['peak_mb']:4.0f} MB (+{grew:.0f}){tail}")  # fmt: skip


def verdict(checks: list[tuple[str, bool]]) -> int:
    """Print each target as met or MISSED; 1 if any was missed."""
    for text, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


def temp_dir(prefix: str) -> Path:
    """Return a fresh temporary folder (removed by :func:`cleanup`)."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix))


def cleanup(path: Path) -> None:
    """Remove a temporary folder."""
    shutil.rmtree(path, ignore_errors=True)
