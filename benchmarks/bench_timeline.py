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
then ``--steps`` random jumps. The naive page is driven through its own
time-dimension control the same way: a click on the player's "next" button,
then the slider's jump (``setCurrentTimeIndex``), each timed until the layer
on the map has been replaced (new SVG paths in the overlay pane). Both pages
draw into SVG synchronously, so both times end when the new shapes are in
the DOM (paint excluded for both). The worst area error of our encoding
(geodesic area of the decoded geometry vs the snapshot's) is printed too.

Exit status 1 when a target of issue 4 is missed (at most 3 MB of HTML, load
under 1 s, every step and jump under 50 ms, worst area error under 0.1 %) or
a page had blocked requests or JavaScript errors.
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
    """Return the page users can make today: every date's full geometry with its time."""
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


NAIVE_STEP_JS = """async ([n, jumps]) => {
  const map = Object.values(window).find((v) => v instanceof L.Map && v.timeDimension);
  const td = map.timeDimension, pane = map.getPanes().overlayPane;
  const next = document.querySelector(".timecontrol-forward");
  const first = () => pane.querySelector("path");
  // Resolve once the drawn layer is replaced: the time-dimension layer swaps in new paths.
  async function timed(act) {
    const before = first(), a = performance.now();
    act();
    if (first() === before) {
      await new Promise((resolve) => {
        const watch = new MutationObserver(() => {
          if (first() !== before) { watch.disconnect(); resolve(); }
        });
        watch.observe(pane, {childList: true, subtree: true});
        setTimeout(() => { watch.disconnect(); resolve(); }, 30000);  // shows as 30 s
      });
    }
    return performance.now() - a;
  }
  await timed(() => td.setCurrentTimeIndex(0));
  const times = [];
  for (let i = 0; i < n; i++) times.push(await timed(() => next.click()));
  const jumpTimes = [];
  let seed = 12345, g = 0;
  for (let i = 0; i < jumps; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const k = seed % td.getAvailableTimes().length;
    if (k === td.getCurrentTimeIndex()) continue;  // no change to wait for
    jumpTimes.push(await timed(() => td.setCurrentTimeIndex(k)));
  }
  return [times, jumpTimes];
}"""


def browser_times(pages: dict[str, Path], *, loads: int, steps: int) -> dict[str, dict[str, Any]]:
    """Load each page ``loads`` times, then step it. Returns per-page timings in ms."""
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
            if page is not None:
                script = STEP_JS if name == "ours" else NAIVE_STEP_JS
                result["step_ms"], result["jump_ms"] = page.evaluate(script, [steps, steps])
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
    clean = True
    for name, res in times.items():
        if res["blocked"] or res["errors"]:
            clean = False
            print(f"{name}: blocked {res['blocked']} errors {res['errors'][:5]}")
    naive, ours = times["naive"], times["ours"]
    print(f"{'browser, ms':28}{'naive':>10}{'ours':>10}{'ratio':>9}")
    rows = {
        f"page load (median of {args.loads})": (naive["load_ms"], ours["load_ms"]),
        f"step, mean of {len(ours['step_ms'])} forward": _stat(statistics.mean, "step_ms", times),
        "step, max": _stat(max, "step_ms", times),
        f"jump, mean of {len(ours['jump_ms'])} random": _stat(statistics.mean, "jump_ms", times),
        "jump, max": _stat(max, "jump_ms", times),
    }
    for label, (a, b) in rows.items():
        print(f"{label:28}{a:10.2f}{b:10.2f}{a / b if b else float('inf'):8.1f}x")
    targets = {
        "HTML <= 3 MB": ours_b <= 3_000_000,
        "load < 1 s": ours["load_ms"] < 1000,
        "every step < 50 ms": max(ours["step_ms"]) < 50,
        "every jump < 50 ms": max(ours["jump_ms"]) < 50,
        "area error < 0.1 %": timeline.worst_area_error_pct < 0.1,
        "no blocked request or JS error": clean,
    }
    missed = [name for name, met in targets.items() if not met]
    print("targets:", ", ".join(targets), "-", f"NOT met: {', '.join(missed)}" if missed else "met")
    return 1 if missed else 0


def _stat(how: Any, key: str, times: dict[str, dict[str, Any]]) -> tuple[float, float]:
    """``how`` (mean, max) of one timing list, for the naive page and ours."""
    return float(how(times["naive"][key])), float(how(times["ours"][key]))


if __name__ == "__main__":
    sys.exit(main())
