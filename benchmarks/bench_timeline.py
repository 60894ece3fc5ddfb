"""Benchmark: the DeepState daily archive as a timeline page, naive folium vs geo.

Run ``python benchmarks/bench_timeline.py [--limit N] [--data DIR] [--out DIR]``.
It reads the 769 daily files of ``../shared/data/control/deepstate/daily`` once
and builds two pages in the same run:

* naive: folium's ``TimestampedGeoJson`` with one feature per date carrying
  its full geometry and ``times`` (what users can do today);
* ours: :func:`geo.render.timeline.timeline_map` (shared boundary chunks,
  dates as edits of the previous date).

Both are built with no basemap tiles (tile servers are not reachable here and
would only add noise) from the same snapshots, whose union geometry and area
are computed beforehand and counted in neither build. For each page it prints
HTML bytes and build time (building plus writing the HTML) and the size of our
page in offline mode (Leaflet inlined), then opens the file
(``file://``, as a user would) in headless Chromium (Playwright, Debian's
``/usr/bin/chromium``) with CDN requests answered from
:func:`geo.render.assets.local_asset` (run ``geo assets fetch`` first) and any
other request aborted. Page load time is ``loadEventEnd`` of the navigation
entry (our script draws the first date before the load event), median of
``--loads`` fresh pages. Step time is measured in the page with
``performance.now()`` around our step function, over ``--steps`` steps
forward from the first date (cold: each date decoded for the first time) and
then ``--steps`` random jumps. The worst area error of our encoding (geodesic
area of the decoded geometry vs the snapshot's) is printed too.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import folium
from folium.plugins import TimestampedGeoJson
from shapely.geometry import mapping

from geo.io import read_many
from geo.render.assets import ASSETS, local_asset, save_html
from geo.render.timeline import build_timeline, timeline_map
from geo.snapshot import Snapshot

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DAILY = "control/deepstate/daily"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]


def naive_page(snapshots: list[Snapshot]) -> folium.Map:
    """The page users can make today: every date's full geometry with its time."""
    features = []
    for snap in snapshots:
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(snap.geometry),
                "properties": {
                    "times": [snap.date.isoformat()],
                    "style": {"color": "#c0392b", "fillColor": "#c0392b", "weight": 1},
                },
            }
        )
    fmap = folium.Map(tiles=None, location=[48.5, 35.0], zoom_start=6)
    TimestampedGeoJson(  # type: ignore[no-untyped-call]
        {"type": "FeatureCollection", "features": features},
        period="P1D",
        duration="P1D",
        add_last_point=False,
        auto_play=False,
    ).add_to(fmap)
    return fmap


def _route(route: Any, blocked: list[str]) -> None:
    url: str = route.request.url
    if url.startswith("file://"):
        route.continue_()
        return
    asset = ASSETS.get(url)
    if asset is not None and asset.package is None:
        route.fulfill(status=200, body="", content_type="text/css")
        return
    local = local_asset(url)
    if local is None:
        blocked.append(url)
        route.abort("blockedbyclient")
        return
    kind = "text/css" if local.suffix == ".css" else "application/javascript"
    if local.suffix not in {".css", ".js"}:
        kind = "application/octet-stream"
    route.fulfill(status=200, body=local.read_bytes(), content_type=kind)


def _record_error(errors: list[str], exc: Any) -> None:
    errors.append(str(exc))


def _record_console(errors: list[str], message: Any) -> None:
    if message.type == "error":
        errors.append(message.text)


STEP_JS = """([n, jumps]) => {
  const t = window.geoTimeline, times = [];
  t.show(0);
  for (let i = 0; i < n; i++) {
    const a = performance.now(); t.step(1); times.push(performance.now() - a);
  }
  const jumpTimes = [];
  let seed = 12345;
  for (let i = 0; i < jumps; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const g = seed % t.size, a = performance.now();
    t.show(g); jumpTimes.push(performance.now() - a);
  }
  return [times, jumpTimes];
}"""


def browser_times(pages: dict[str, Path], *, loads: int, steps: int) -> dict[str, dict[str, Any]]:
    """Load each page ``loads`` times; step ours. Returns per-page timings in ms."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, Any]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        for name, path in pages.items():
            blocked: list[str] = []
            errors: list[str] = []
            load_ms = []
            page = None
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1200, "height": 800})
                context.route("**/*", functools.partial(_route, blocked=blocked))
                page = context.new_page()
                page.on("pageerror", functools.partial(_record_error, errors))
                page.on("console", functools.partial(_record_console, errors))
                page.goto(path.resolve().as_uri(), wait_until="load", timeout=120_000)
                nav = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                load_ms.append(float(nav))
                if _ < loads - 1:
                    context.close()
            result: dict[str, Any] = {
                "load_ms": statistics.median(load_ms),
                "blocked": blocked,
                "errors": errors,
            }
            if name == "ours" and page is not None:
                forward, jumps = page.evaluate(STEP_JS, [steps, steps])
                result["step_ms"] = forward
                result["jump_ms"] = jumps
            if page is not None:
                page.context.close()
            out[name] = result
        browser.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N days")
    parser.add_argument("--out", type=Path, default=Path("/tmp/geo-bench-timeline"))
    parser.add_argument("--loads", type=int, default=3, help="page loads per page (median)")
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    paths = sorted((args.data / DAILY).glob("*.geojson.gz"))[: args.limit]
    if not paths:
        print(f"no DeepState daily files under {args.data / DAILY}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    result = read_many(paths)
    result.raise_for_problems()
    snapshots = result.snapshots
    for snap in snapshots:
        _ = snap.area_km2  # both pages need the union; count it in neither build
    print(f"read {len(snapshots)} snapshots in {time.perf_counter() - start:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    naive_path = save_html(naive_page(snapshots), args.out / "naive.html")
    naive_s = time.perf_counter() - start

    start = time.perf_counter()
    timeline = build_timeline(snapshots)
    ours_path = save_html(
        timeline_map(timeline, tiles=None, title="DeepState occupied territory"),
        args.out / "ours.html",
    )
    ours_s = time.perf_counter() - start

    naive_b, ours_b = naive_path.stat().st_size, ours_path.stat().st_size
    layer = timeline.layers[0].encoded
    print(
        f"dates: {len(timeline.dates)}; tolerance {timeline.tolerance_m} m, "
        f"precision {timeline.precision} decimals"
    )
    print(
        f"encoding: {layer.n_vertices_in:,} input vertices, {layer.n_vertices_drawn:,} drawn, "
        f"{layer.n_vertices_stored:,} stored in {layer.n_unique_chunks:,} chunks "
        f"({layer.n_chunk_refs:,} references); {layer.n_rings_dropped} rings dropped"
    )
    print(f"worst area error: {timeline.worst_area_error_pct:.5f} % (target < 0.1 %)")
    print(f"{'':8}{'HTML MB':>10}{'build s':>10}")
    print(f"{'naive':8}{naive_b / 1e6:10.2f}{naive_s:10.2f}")
    print(f"{'ours':8}{ours_b / 1e6:10.3f}{ours_s:10.2f}")
    print(f"ratio   {naive_b / ours_b:9.1f}x {naive_s / ours_s:9.2f}x")
    offline = save_html(ours_path.read_text(encoding="utf-8"), args.out / "ours-offline.html",
                        offline=True)  # fmt: skip
    print(f"ours with every asset inlined (--offline): {offline.stat().st_size / 1e6:.3f} MB")

    times = browser_times(
        {"naive": naive_path, "ours": ours_path}, loads=args.loads, steps=args.steps
    )
    for name, res in times.items():
        if res["blocked"] or res["errors"]:
            print(f"{name}: blocked {res['blocked']} errors {res['errors']}")
    naive_ms, ours_ms = times["naive"]["load_ms"], times["ours"]["load_ms"]
    print(
        f"page load (median of {args.loads}): naive {naive_ms:.0f} ms, ours {ours_ms:.0f} ms, "
        f"ratio {naive_ms / ours_ms:.1f}x"
    )
    step, jump = times["ours"]["step_ms"], times["ours"]["jump_ms"]
    print(
        f"our step ({len(step)} forward): mean {statistics.mean(step):.2f} ms, "
        f"max {max(step):.2f} ms; random jumps: mean {statistics.mean(jump):.2f} ms, "
        f"max {max(jump):.2f} ms"
    )
    ok = ours_b <= 3_000_000 and ours_ms < 1000 and max(step) < 50 and max(jump) < 50
    print("targets (<= 3 MB, < 1 s load, < 50 ms step):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
