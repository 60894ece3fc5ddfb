"""Benchmark: the DeepState daily archive as a 1280 x 720 MP4, naive re-plot vs geo.render.animate.

Run ``python benchmarks/bench_animate.py [--data DIR] [--store DIR] [--jobs 1,2]``.
It ingests the 769 daily files of ``control/deepstate/daily`` under ``--data``
(``$GEO_SHARED_DATA``, else ``../shared/data``)
into a temporary store (not timed; or pass ``--store`` holding them), then, each
in a fresh process so that peak memory is its own:

* ours: :func:`geo.render.animation.read_series` then
  :func:`geo.render.animate` to an MP4, once per ``--jobs`` value; the time is
  wall clock from the store to the finished file (reading, page layout,
  frames, encoding), peak memory the largest resident set of the process and
  of its children (workers, ffmpeg);
* naive: what a user writes today, on the first ``--naive-frames`` dates: for
  each date a new matplotlib figure, ``GeoSeries.to_crs(...).plot`` of the
  layer over the same countries (also ``.plot``), a title, ``savefig`` to PNG,
  then the PNGs encoded with the same ffmpeg. Its time for the whole archive
  is the measured time per frame times the number of frames, plus the
  reading of the store measured in the same process.

The video is read back (frame count and size must be right). Prints a table
and the ratio naive / ours. Exit status 1 when the default configuration
(the first ``--jobs`` value, 1 unless given: what ``geo animate`` does) takes
more than ``--target-s`` (60 s), or the video is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(
    os.environ.get("GEO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
DAILY = "control/deepstate/daily"
LAYER = "russian_control"
SIZE = (1280, 720)


def _peak_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mb": round(own, 1), "peak_child_mb": round(children, 1)}


def run_ours(store_path: Path, out: Path, jobs: int) -> dict[str, Any]:
    import geo
    from geo.render import animate
    from geo.render.animation import read_series

    start = time.perf_counter()
    store = geo.open_store(store_path)
    series = read_series(store, LAYER, progress=False)
    read_s = time.perf_counter() - start
    animate(series, out, size=SIZE, jobs=jobs, progress=False)
    total_s = time.perf_counter() - start
    return {"frames": len(series), "read_s": read_s, "total_s": total_s, **_peak_mb()}


def run_naive(store_path: Path, out_dir: Path, n_frames: int) -> dict[str, Any]:
    import geopandas as gpd
    import imageio.v2 as iio
    import imageio_ffmpeg
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import geo
    from geo.render.animation import read_series
    from geo.render.context import countries, projection_for

    start = time.perf_counter()
    store = geo.open_store(store_path)
    series = read_series(store, LAYER, progress=False)
    read_s = time.perf_counter() - start
    crs = projection_for(series[-1].geometry.bounds).crs
    world = gpd.GeoDataFrame(geometry=[c.geometry for c in countries()], crs=4326)
    begin = time.perf_counter()
    paths = []
    for snap in series[:n_frames]:
        fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        world.to_crs(crs).plot(ax=ax, color="#e9e7e1", edgecolor="#9a9a9a", linewidth=0.5)
        layer = gpd.GeoSeries([snap.geometry], crs=4326).to_crs(crs)
        layer.plot(ax=ax, color="#c0392b", alpha=0.62)
        xmin, ymin, xmax, ymax = layer.total_bounds
        ax.set_xlim(xmin - 1e5, xmax + 1e5)
        ax.set_ylim(ymin - 1e5, ymax + 1e5)
        ax.set_title(f"Russian-controlled territory, {snap.date:%d %b %Y}")
        path = out_dir / f"frame{len(paths):05d}.png"
        fig.savefig(path)
        paths.append(path)
    plot_s = time.perf_counter() - begin
    begin = time.perf_counter()
    writer = imageio_ffmpeg.write_frames(
        str(out_dir / "naive.mp4"),
        SIZE,
        fps=12,
        codec="libx264",
        quality=None,
        output_params=["-crf", "23", "-preset", "veryfast"],
        macro_block_size=2,
    )
    writer.send(None)
    for path in paths:
        writer.send(iio.imread(path)[..., :3].copy())
    writer.close()
    encode_s = time.perf_counter() - begin
    per_frame = (plot_s + encode_s) / len(paths)
    return {
        "frames_timed": len(paths),
        "frames": len(series),
        "read_s": read_s,
        "per_frame_s": per_frame,
        "total_s": read_s + per_frame * len(series),
        **_peak_mb(),
    }


def check_video(path: Path, expected_frames: int) -> list[str]:
    import imageio.v2 as iio

    reader = iio.get_reader(path)
    problems = []
    frames = reader.count_frames()
    size = tuple(reader.get_meta_data()["size"])
    if frames != expected_frames:
        problems.append(f"{path}: {frames} frames, expected {expected_frames}")
    if size != SIZE:
        problems.append(f"{path}: size {size}, expected {SIZE}")
    reader.close()
    return problems


def child(args: argparse.Namespace) -> None:
    if args.child == "ours":
        result = run_ours(args.store, args.out, args.jobs_one)
    else:
        result = run_naive(args.store, args.out, args.naive_frames)
    print(json.dumps(result))


def spawn(mode: str, **options: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{mode} run failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--store", type=Path, default=None, help="A store holding the archive.")
    parser.add_argument(
        "--jobs", default="1,2", help="jobs= values to time; the first is the target"
    )
    parser.add_argument("--naive-frames", type=int, default=24)
    parser.add_argument("--target-s", type=float, default=60.0)
    parser.add_argument("--child", choices=["ours", "naive"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--jobs-one", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-animate-") as tmp:
        folder = Path(tmp)
        store = args.store
        if store is None:
            import geo
            from geo.io import read_many

            store = folder / "store"
            began = time.perf_counter()
            result = read_many([args.data / DAILY])
            result.raise_for_problems()
            geo.open_store(store).ingest(result.snapshots)
            print(
                f"ingested {len(result.snapshots)} snapshots in "
                f"{time.perf_counter() - began:.1f} s (not timed)"
            )
        jobs = [int(j) for j in args.jobs.split(",")]
        ours = {}
        problems = []
        for j in jobs:
            out = folder / f"ours-jobs{j}.mp4"
            ours[j] = spawn("ours", store=store, out=out, jobs_one=j)
            hold = round(2.0 * 12)  # the default hold of the last frame at 12 fps
            problems += check_video(out, ours[j]["frames"] + hold)
        naive_dir = folder / "naive"
        naive_dir.mkdir()
        naive = spawn("naive", store=store, out=naive_dir, naive_frames=args.naive_frames)
    frames = ours[jobs[0]]["frames"]
    print(f"\nDeepState daily archive, {frames} dates, {SIZE[0]}x{SIZE[1]} MP4 (H.264)")
    print(f"{'run':<28}{'total s':>10}{'read s':>9}{'ms/frame':>10}{'peak MB':>9}{'child MB':>10}")
    for j, row in ours.items():
        per = 1000 * (row["total_s"] - row["read_s"]) / frames
        print(
            f"{f'geo.render.animate jobs={j}':<28}{row['total_s']:>10.1f}{row['read_s']:>9.1f}"
            f"{per:>10.1f}{row['peak_mb']:>9.0f}{row['peak_child_mb']:>10.0f}"
        )
    print(
        f"{'naive re-plot (estimated)':<28}{naive['total_s']:>10.1f}{naive['read_s']:>9.1f}"
        f"{1000 * naive['per_frame_s']:>10.1f}{naive['peak_mb']:>9.0f}"
        f"{naive['peak_child_mb']:>10.0f}"
    )
    print(f"  (naive timed on {naive['frames_timed']} frames, scaled to {frames})")
    for j, row in ours.items():
        print(f"ratio naive / ours (jobs={j}): {naive['total_s'] / row['total_s']:.1f}x")
    default = ours[jobs[0]]["total_s"]
    target_ok = default <= args.target_s
    print(
        f"target: the archive in <= {args.target_s:.0f} s with jobs={jobs[0]}: "
        f"{default:.1f} s -> {'met' if target_ok else 'MISSED'}"
    )
    for problem in problems:
        print(f"problem: {problem}")
    return 0 if target_ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
