"""Timeline map: every date of one or more layers on one slider.

The page carries each layer's dates in the compact encoding of
:mod:`geo.render.encode` (shared boundary stretches stored once, dates as
edits of the previous date) and a small script that rebuilds a date's rings,
draws them with one Leaflet polygon per layer and caches recent dates. The
panel has first/previous/play-pause/next/last buttons, a slider, the current
date, each layer's area and an area-over-time chart drawn as inline SVG (no
chart library). All dates of all layers share the slider; a layer without a
snapshot on a date shows its latest earlier snapshot ("as of" that date).

Text from data (layer names, sources, title, notice, region names) reaches the
page escaped: :func:`geo.text.escape_text` in HTML, JSON with ``<>&`` escaped in
scripts, and ``textContent`` in the browser. Public through :mod:`geo.render`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from geo.errors import GeoError
from geo.layers import layer_colour
from geo.publishers import credit_line, notice_for
from geo.render.credits import attribution_script
from geo.render.encode import EncodedSeries, encode_ints, encode_series
from geo.render.snapshot import DEFAULT_TILES, add_region_outlines, tile_layer
from geo.snapshot import Snapshot
from geo.text import escape_text, script_json

#: Default simplification tolerance in metres.
DEFAULT_TOLERANCE_M = 50.0
#: Metres per degree of latitude, to turn ``tolerance_m`` into degrees.
METRES_PER_DEGREE = 111_320.0
_EPOCH = dt.date(1970, 1, 1)


@dataclasses.dataclass(frozen=True)
class TimelineLayer:
    """One layer of a timeline: its snapshots' dates and their encoding."""

    name: str
    layer: str
    colour: str
    sources: tuple[str, ...]
    dates: tuple[dt.date, ...]
    encoded: EncodedSeries


@dataclasses.dataclass(frozen=True)
class Timeline:
    """Everything a timeline page shows, before it becomes HTML.

    Attributes
    ----------
    dates
        Every date of every layer, sorted (the slider's stops).
    layers
        The layers, drawn in this order (later on top).
    bounds
        ``(west, south, east, north)`` over all dates, or ``None`` if empty.
    tolerance_m, precision
        Simplification tolerance and decimal places used by the encoding.
    """

    dates: tuple[dt.date, ...]
    layers: tuple[TimelineLayer, ...]
    bounds: tuple[float, float, float, float] | None
    tolerance_m: float
    precision: int

    @property
    def worst_area_error_pct(self) -> float:
        """Largest area error of the encoding over all layers and dates, in %."""
        return max((layer.encoded.worst_area_error_pct for layer in self.layers), default=0.0)

    @property
    def encoded_bytes(self) -> int:
        """Bytes of encoded geometry over all layers."""
        return sum(layer.encoded.bytes for layer in self.layers)

    def payload(self) -> dict[str, Any]:
        """Return the JSON-ready data the page script reads."""
        days = [(d - _EPOCH).days for d in self.dates]
        index = {d: i for i, d in enumerate(self.dates)}
        layers = []
        for layer in self.layers:
            at = [index[d] for d in layer.dates]
            layers.append({
                "name": layer.name,
                "source": ", ".join(layer.sources),
                "colour": layer.colour,
                "at": encode_ints(np.diff(at, prepend=0)),
                "area_km2": [round(a, 1) for a in layer.encoded.area_km2],
                "enc": layer.encoded.data,
            })  # fmt: skip
        return {"days": encode_ints(np.diff(days, prepend=0)), "layers": layers}


def _groups(
    series: Mapping[str, Sequence[Snapshot]] | Sequence[Snapshot],
) -> list[tuple[str, list[Snapshot]]]:
    if isinstance(series, Mapping):
        groups = [(str(name), list(snaps)) for name, snaps in series.items()]
    else:
        snaps = list(series)
        n_sources = len({s.source for s in snaps})
        by_key: dict[tuple[str, str], list[Snapshot]] = {}
        for snap in snaps:
            by_key.setdefault((snap.layer, snap.source), []).append(snap)
        groups = [
            (layer if n_sources == 1 else f"{layer} ({source})", members)
            for (layer, source), members in by_key.items()
        ]
    if not groups:
        msg = "timeline map: no snapshots given; pass at least one layer's snapshots"
        raise GeoError(msg)
    out = []
    for name, snaps in groups:
        if not snaps:
            msg = f"timeline map: layer {name!r} has no snapshots; drop it or add some"
            raise GeoError(msg)
        snaps = sorted(snaps, key=lambda s: s.date)
        for a, b in itertools.pairwise(snaps):
            if a.date == b.date:
                msg = (
                    f"timeline map: layer {name!r} has two snapshots for {a.date.isoformat()} "
                    f"({a.source}: {a.provenance.path}; {b.source}: {b.provenance.path}); "
                    "keep one per date or pass the sources as separate layers"
                )
                raise GeoError(msg)
        out.append((name, snaps))
    return out


def build_timeline(
    series: Mapping[str, Sequence[Snapshot]] | Sequence[Snapshot],
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    precision: int = 5,
) -> Timeline:
    """Encode the snapshots of a timeline (see :func:`timeline_map`).

    Parameters
    ----------
    series
        One list of snapshots per layer, keyed by the name shown; or one list,
        split by (layer, source).
    tolerance_m
        Simplification tolerance in metres, converted at 111,320 m per degree.
    precision
        Decimal places of the quantized lon/lat.

    Returns
    -------
    Timeline

    Raises
    ------
    GeoError
        No snapshots, an empty layer, or two snapshots of a layer on one date.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import build_timeline
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snaps = [Snapshot("deepstate", "russian_control", datetime.date(2025, 6, day),
    ...                   make_features([box(37.0, 48.0, 37.0 + 0.1 * day, 48.5)]),
    ...                   Provenance("mine.geojson")) for day in (1, 2, 3)]
    >>> timeline = build_timeline(snaps)
    >>> [d.isoformat() for d in timeline.dates]
    ['2025-06-01', '2025-06-02', '2025-06-03']
    >>> timeline.worst_area_error_pct < 0.01
    True
    """
    if tolerance_m < 0:
        msg = f"tolerance_m {tolerance_m} is negative; use 0 (no simplification) or more"
        raise GeoError(msg)
    layers = []
    west = south = np.inf
    east = north = -np.inf
    for name, snaps in _groups(series):
        geoms = [s.geometry for s in snaps]
        encoded = encode_series(
            geoms,
            precision=precision,
            tolerance_deg=tolerance_m / METRES_PER_DEGREE,
            areas_km2=[s.area_km2 for s in snaps],
        )
        layers.append(
            TimelineLayer(
                name=name,
                layer=snaps[0].layer,
                colour=layer_colour(snaps[0].layer),
                sources=tuple(dict.fromkeys(s.source for s in snaps)),
                dates=tuple(s.date for s in snaps),
                encoded=encoded,
            )
        )
        boxes = shapely.bounds(np.asarray([g for g in geoms if not g.is_empty], dtype=object))
        if len(boxes):
            west, south = min(west, boxes[:, 0].min()), min(south, boxes[:, 1].min())
            east, north = max(east, boxes[:, 2].max()), max(north, boxes[:, 3].max())
    dates = tuple(sorted({d for layer in layers for d in layer.dates}))
    bounds = (float(west), float(south), float(east), float(north)) if west <= east else None
    return Timeline(dates, tuple(layers), bounds, tolerance_m, precision)


def _chart_html(timeline: Timeline, element_id: str) -> str:
    n = len(timeline.dates)
    index = {d: i for i, d in enumerate(timeline.dates)}

    def x_pct(i: int) -> float:
        return 100.0 * i / (n - 1) if n > 1 else 50.0

    rows = []
    for layer in timeline.layers:
        areas = np.asarray(layer.encoded.area_km2, dtype=float)
        low, high = float(areas.min()), float(areas.max())
        span = high - low
        ys = 95 - 90 * ((areas - low) / span) if span > 0 else np.full(len(areas), 50.0)
        xs = [10 * x_pct(index[d]) for d in layer.dates]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        rows.append(
            f'<div class="geo-tl-label"><span class="geo-tl-swatch" '
            f'style="background:{escape_text(layer.colour)}"></span>{escape_text(layer.name)} '
            f'<span class="geo-tl-range">{low:,.0f} – {high:,.0f} km²</span></div>'
            '<svg class="geo-tl-svg" viewBox="0 0 1000 100" preserveAspectRatio="none" '
            f'role="img" aria-label="area over time: {escape_text(layer.name)}">'
            f'<polyline points="{points}" fill="none" stroke="{escape_text(layer.colour)}" '
            'stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>'
        )
    first, last = timeline.dates[0], timeline.dates[-1]
    ticks = [
        f'<span style="left:{x_pct(i):.2f}%">{d.year}</span>'
        for i, d in enumerate(timeline.dates)
        if (d.month, d.day) == (1, 1) or (i > 0 and d.year != timeline.dates[i - 1].year)
    ]
    return (
        f'<div class="geo-tl-chart" id="{element_id}-chart" title="Click to jump to a date">'
        f'{"".join(rows)}<div class="geo-tl-cursor" style="left:100%"></div></div>'
        f'<div class="geo-tl-axis"><span style="left:0">{first.isoformat()}</span>'
        f'{"".join(ticks)}<span style="right:0">{last.isoformat()}</span></div>'
    )


# Inline SVG icons: media-control characters are missing from many fonts.
_ICONS = {
    name: f'<svg viewBox="0 0 10 10" width="10" height="10" aria-hidden="true">'
    f'<path d="{d}"/></svg>'
    for name, d in {
        "first": "M1 1h2v8H1zM9 1v8L3 5z",
        "prev": "M8 1v8L2 5z",
        "play": "M2 1v8l7-4z",
        "pause": "M2 1h2v8H2zM6 1h2v8H6z",
        "next": "M2 1v8l6-4z",
        "last": "M7 1h2v8H7zM1 1v8l6-4z",
    }.items()
}


def _panel_html(timeline: Timeline, element_id: str) -> str:
    last = len(timeline.dates) - 1
    buttons = {"first": "First date", "prev": "Previous date", "play": "Play",
               "next": "Next date", "last": "Last date"}  # fmt: skip
    controls = "".join(
        f'<button type="button" class="geo-tl-{act}" data-act="{act}" title="{label}" '
        f'aria-label="{label}">{_ICONS[act]}</button>'
        for act, label in buttons.items()
    )
    areas = "".join(
        f'<span class="geo-tl-area" style="border-color:{escape_text(layer.colour)}"></span>'
        for layer in timeline.layers
    )
    return (
        f'<div class="geo-timeline" id="{element_id}">'
        f'<div class="geo-tl-controls">{controls}'
        f'<input type="range" class="geo-tl-slider" min="0" max="{last}" step="1" value="{last}" '
        'aria-label="Date">'
        f'<span class="geo-tl-date" aria-live="polite">{timeline.dates[-1].isoformat()}</span>'
        '<select class="geo-tl-speed" aria-label="Play speed"><option value="400">slow</option>'
        '<option value="150" selected>normal</option><option value="40">fast</option></select>'
        f'</div><div class="geo-tl-areas">{areas}</div>'
        f"{_chart_html(timeline, element_id)}</div>"
    )


def _banner_html(text: str, *, top_px: int, css_class: str) -> str:
    return (
        f'<div class="{css_class}" style="position:fixed;top:{top_px}px;left:50%;'
        "transform:translateX(-50%);z-index:1001;background:#fff3cd;border:2px solid #b58900;"
        f'padding:4px 10px;font:14px sans-serif">{escape_text(text)}</div>'
    )


_CSS = """<style>
.geo-timeline{position:fixed;left:0;right:0;bottom:0;z-index:1000;background:#fff;
 border-top:1px solid #999;padding:6px 10px;font:12px/1.3 sans-serif}
.geo-tl-controls{display:flex;align-items:center;gap:4px}
.geo-tl-controls button{min-width:30px;height:26px;cursor:pointer;line-height:0}
.geo-tl-controls svg{fill:#333}
.geo-tl-slider{flex:1;min-width:80px}
.geo-tl-date{font-weight:bold;font-size:15px;min-width:96px;text-align:center}
.geo-tl-areas{margin:3px 0}
.geo-tl-area{border-left:12px solid;padding:0 10px 0 4px}
.geo-tl-chart{position:relative;cursor:crosshair}
.geo-tl-svg{display:block;width:100%;height:36px;background:#f7f7f7}
.geo-tl-swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
.geo-tl-range{color:#666}
.geo-tl-cursor{position:absolute;top:0;bottom:0;width:1px;background:#000;pointer-events:none}
.geo-tl-axis{position:relative;height:14px;color:#555}
.geo-tl-axis span{position:absolute;top:0;transform:translateX(-50%)}
.geo-tl-axis span:first-child,.geo-tl-axis span:last-child{transform:none}
</style>"""

_JS = """
(function () {
  "use strict";
  var map = __MAP__, root = document.getElementById(__ID__);
  var D = JSON.parse(document.getElementById(__ID__ + "-data").textContent);
  var A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var CODE = new Int8Array(128);
  for (var i = 0; i < 64; i++) CODE[A.charCodeAt(i)] = i;
  function ints(s) {  // zigzag varints, 5 bits per character (geo.render.encode)
    var out = [], v = 0, mult = 1;
    for (var i = 0; i < s.length; i++) {
      var c = CODE[s.charCodeAt(i)];
      v += (c & 31) * mult;
      if (c < 32) { out.push(v % 2 ? -(v + 1) / 2 : v / 2); v = 0; mult = 1; } else mult *= 32;
    }
    return out;
  }
  function cumsum(a) { for (var i = 1; i < a.length; i++) a[i] += a[i - 1]; return a; }
  var days = cumsum(ints(D.days)), N = days.length, cur = -1, timer = null;
  function iso(k) { return new Date(days[k] * 864e5).toISOString().slice(0, 10); }
  function km2(a) { return Math.round(a).toLocaleString("en-US") + " km\\u00b2"; }
  var layers = D.layers.map(function (spec, li) {
    var e = spec.enc, scale = Math.pow(10, -e.precision), d = ints(e.coords);
    var n = d.length / 2, pts = new Array(n), x = 0, y = 0;
    for (var i = 0; i < n; i++) {
      x += d[2 * i]; y += d[2 * i + 1]; pts[i] = L.latLng(y * scale, x * scale);
    }
    var lens = ints(e.chunk_lengths), off = new Int32Array(lens.length + 1);
    for (i = 0; i < lens.length; i++) off[i + 1] = off[i] + lens[i];
    var at = cumsum(ints(spec.at)), idx = new Int32Array(N), k = -1;
    for (var g = 0; g < N; g++) { while (k + 1 < at.length && at[k + 1] <= g) k++; idx[g] = k; }
    var ly = {spec: spec, pts: pts, off: off, at: at, idx: idx, tokens: [], cache: new Map(),
              shown: -2, label: root.querySelectorAll(".geo-tl-area")[li]};
    ly.poly = L.polygon([], {color: spec.colour, fillColor: spec.colour, weight: 1,
      fillOpacity: 0.45, className: "geo-tl-layer geo-tl-layer-" + li}).addTo(map);
    ly.poly.bindTooltip(function () {
      var el = document.createElement("div");
      el.textContent = spec.name + " \\u00b7 " + iso(at[ly.shown]) + " \\u00b7 " +
        km2(spec.area_km2[ly.shown]) + " \\u00b7 source: " + spec.source;
      return el;
    }, {sticky: true});
    return ly;
  });
  function apply(prev, ops) {  // (keep, skip, n, n token deltas)* against the previous date
    var out = [], pos = 0, last = 0, i = 0, j;
    while (i < ops.length) {
      var keep = ops[i], skip = ops[i + 1], n = ops[i + 2];
      for (j = 0; j < keep; j++) out.push(prev[pos + j]);
      if (keep) last = out[out.length - 1];
      pos += keep + skip;
      for (j = 0; j < n; j++) { last += ops[i + 3 + j]; out.push(last); }
      i += 3 + n;
    }
    return out;
  }
  function shape(ly, k) {
    var hit = ly.cache.get(k);
    if (hit) return hit;
    var t = ly.tokens;
    for (var j = t.length; j <= k; j++) {
      t.push(apply(j ? t[j - 1] : [], ints(ly.spec.enc.dates[j])));
    }
    var polys = [], rings = [], ring = [], toks = t[k];
    for (var i = 0; i <= toks.length; i++) {
      var tok = i < toks.length ? toks[i] : 0;
      if (tok >= 2) {
        for (var v = ly.off[tok - 2], end = ly.off[tok - 1]; v < end; v++) ring.push(ly.pts[v]);
        continue;
      }
      if (ring.length) { rings.push(ring); ring = []; }
      if (tok === 0 && rings.length) { polys.push(rings); rings = []; }
    }
    ly.cache.set(k, polys);
    if (ly.cache.size > 64) ly.cache.delete(ly.cache.keys().next().value);
    return polys;
  }
  var slider = root.querySelector(".geo-tl-slider"), label = root.querySelector(".geo-tl-date");
  var cursor = root.querySelector(".geo-tl-cursor"), playBtn = root.querySelector(".geo-tl-play");
  var speed = root.querySelector(".geo-tl-speed"), ICONS = __ICONS__;
  function show(g) {
    g = Math.max(0, Math.min(N - 1, Math.round(g)));
    layers.forEach(function (ly) {
      var k = ly.idx[g];
      if (k !== ly.shown) { ly.poly.setLatLngs(k < 0 ? [] : shape(ly, k)); ly.shown = k; }
      ly.label.textContent = ly.spec.name + ": " + (k < 0 ? "no data yet" :
        km2(ly.spec.area_km2[k]) + (ly.at[k] === g ? "" : " (as of " + iso(ly.at[k]) + ")"));
    });
    cur = g;
    slider.value = g;
    label.textContent = iso(g);
    cursor.style.left = (N > 1 ? 100 * g / (N - 1) : 50) + "%";
    return g;
  }
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playBtn.innerHTML = ICONS.play; playBtn.setAttribute("aria-label", "Play");
  }
  function play() {
    if (timer !== null) clearInterval(timer);
    if (cur >= N - 1) show(0);
    timer = setInterval(function () {
      if (cur >= N - 1) stop(); else show(cur + 1);
    }, +speed.value);
    playBtn.innerHTML = ICONS.pause; playBtn.setAttribute("aria-label", "Pause");
  }
  var acts = {first: function () { show(0); }, last: function () { show(N - 1); },
    prev: function () { show(cur - 1); }, next: function () { show(cur + 1); },
    play: function () { if (timer === null) play(); else stop(); }};
  root.querySelector(".geo-tl-controls").addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button[data-act]");
    if (!button) return;
    var act = button.getAttribute("data-act");
    if (!act) return;
    if (act !== "play") stop();
    acts[act]();
  });
  slider.addEventListener("input", function () { stop(); show(+slider.value); });
  speed.addEventListener("change", function () { if (timer !== null) play(); });
  root.querySelector(".geo-tl-chart").addEventListener("click", function (ev) {
    var r = ev.currentTarget.getBoundingClientRect();
    stop(); show((ev.clientX - r.left) / r.width * (N - 1));
  });
  document.addEventListener("keydown", function (ev) {
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    if (ev.key === "ArrowLeft") { stop(); show(cur - 1); }
    if (ev.key === "ArrowRight") { stop(); show(cur + 1); }
  });
  var api = {show: show, play: play, stop: stop, size: N,
    index: function () { return cur; }, date: function () { return iso(cur); },
    step: function (d) { return show(cur + (d === undefined ? 1 : d)); }};
  root.geoTimeline = api;
  window.geoTimeline = api;
  function fit() {  // the map ends where the panel starts, so no control hides behind it
    map.getContainer().style.height = Math.max(100, window.innerHeight - root.offsetHeight) + "px";
    map.invalidateSize({animate: false});
  }
  window.addEventListener("resize", fit);
  fit();
  if (D.bounds) {  // no animation, so the first drawing is final
    map.fitBounds([[D.bounds[1], D.bounds[0]], [D.bounds[3], D.bounds[2]]], {animate: false,
      paddingTopLeft: [10, 50], paddingBottomRight: [10, 10]});
  }
  show(N - 1);
})();
"""


class _TimelineElement(MacroElement):
    """The panel, data and script of a timeline, as a folium child of the map."""

    _template = Template(
        "{% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}"
        "{% macro html(this, kwargs) %}{{ this.panel }}{% endmacro %}"
        "{% macro script(this, kwargs) %}{{ this.js(this._parent.get_name()) }}{% endmacro %}"
    )

    def __init__(
        self, timeline: Timeline, *, bounds: tuple[float, float, float, float] | None
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoTimeline"
        self.timeline = timeline
        self.element_id = f"geo-timeline-{self._id}"
        self.css = _CSS
        self.panel = _panel_html(timeline, self.element_id) + (
            f'<script type="application/json" id="{self.element_id}-data">'
            f"{script_json(dict(timeline.payload(), bounds=bounds), compact=True)}</script>"
        )

    def js(self, map_name: str) -> str:
        """Return the page script for the map variable ``map_name``."""
        return (
            _JS.replace("__MAP__", map_name)
            .replace("__ID__", json.dumps(self.element_id))
            .replace("__ICONS__", script_json(_ICONS))
        )


def timeline_map(
    series: Mapping[str, Sequence[Snapshot]] | Sequence[Snapshot] | Timeline,
    *,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    precision: int = 5,
    regions: gpd.GeoDataFrame | None = None,
    attribution: str | None = None,
) -> folium.Map:
    """Make a folium map with a date slider over all dates of the given layers.

    Parameters
    ----------
    series
        One list of snapshots per layer, keyed by the name shown (or one list,
        split by layer and source), or a :class:`Timeline` already built by
        :func:`build_timeline`.
    title
        Heading shown at the top of the map.
    notice
        A banner that must stay visible. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    tiles
        xyzservices basemap name (see :func:`geo.render.snapshot.tile_layer`),
        or ``None`` or ``"none"`` for no tiles.
    tolerance_m
        Simplification tolerance in metres (default 50 m, about 0.00045°);
        the worst resulting area error is in :attr:`Timeline.worst_area_error_pct`.
    precision
        Decimal places kept in lon/lat (5 is about 1 m).
    regions
        Region outlines with a ``region`` (or ``name``) column, drawn dashed
        and labelled as on the other maps
        (:func:`geo.render.snapshot.add_region_outlines`), simplified and
        quantized like the layers.
    attribution
        Extra credit added after the data credit (:func:`geo.publishers.credit_line`
        of the layers' sources) in the map's attribution control.

    Returns
    -------
    folium.Map
        The map. Build the :class:`Timeline` first to read its encoding
        statistics (bytes, worst area error). The page loads Leaflet only
        (no jQuery or Bootstrap: folium popups added later would need them).

    Raises
    ------
    GeoError
        No snapshots, an empty layer, or two snapshots of a layer on one date.
    BasemapError
        ``tiles`` names no keyless xyzservices provider.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import save_html, timeline_map
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snaps = [Snapshot("deepstate", "russian_control", datetime.date(2025, 6, day),
    ...                   make_features([box(37.0, 48.0, 37.0 + 0.1 * day, 48.5)]),
    ...                   Provenance("mine.geojson")) for day in (1, 2, 3)]
    >>> page = save_html(timeline_map({"Russian control": snaps}, tiles=None))
    >>> 'class="geo-tl-slider" min="0" max="2"' in page and "Data: DeepStateMap.Live" in page
    True
    """
    basemap = tile_layer(tiles)  # an unknown basemap fails before any encoding
    timeline = (
        series
        if isinstance(series, Timeline)
        else build_timeline(series, tolerance_m=tolerance_m, precision=precision)
    )
    notice = notice_for((s for layer in timeline.layers for s in layer.sources), notice)
    fmap = folium.Map(tiles=None, control_scale=True, location=[48.5, 35.0], zoom_start=6)
    # Only Leaflet is used: jQuery, Bootstrap and Font Awesome would add ~1.9 MB offline.
    fmap.default_js = [(n, url) for n, url in fmap.default_js if n == "leaflet"]
    fmap.default_css = [(n, url) for n, url in fmap.default_css if n == "leaflet_css"]
    if basemap is not None:
        basemap.add_to(fmap)
    if regions is not None and not regions.empty:
        add_region_outlines(fmap, regions, tolerance_deg=timeline.tolerance_m / METRES_PER_DEGREE,
                            precision=timeline.precision)  # fmt: skip
    bounds = timeline.bounds
    if bounds is None and regions is not None and not regions.empty:
        west, south, east, north = (float(v) for v in regions.to_crs("EPSG:4326").total_bounds)
        bounds = (west, south, east, north)
    element = _TimelineElement(timeline, bounds=bounds)
    element.add_to(fmap)
    page = fmap.get_root()
    assert isinstance(page, Figure)
    credit = credit_line((s for layer in timeline.layers for s in layer.sources), attribution)
    page.html.add_child(folium.Element(attribution_script(fmap.get_name(), credit)))
    if title:
        page.html.add_child(folium.Element(_banner_html(title, top_px=10, css_class="geo-title")))
    if notice:
        top = 48 if title else 10
        page.html.add_child(
            folium.Element(_banner_html(notice, top_px=top, css_class="geo-notice"))
        )
    return fmap
