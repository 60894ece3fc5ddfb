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
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure
from jinja2 import Template

from geo.errors import GeoError, ValidationError
from geo.layers import layer_colour
from geo.parallel import executor_for, map_ordered
from geo.progress import Progress, progress_meter
from geo.publishers import credit_line, display_name, notice_for
from geo.render import labels
from geo.render.credits import attribution_script
from geo.render.encode import (
    DEFAULT_CHUNK_VERTICES,
    EncodedSeries,
    IntArray,
    PreparedDate,
    SeriesEncoder,
    blocks,
    prepare_block,
)
from geo.render.layout import RawHTML, VerbatimMacro
from geo.render.patches import change_rings, polygon_lists_area_km2
from geo.render.snapshot import DEFAULT_TILES, add_region_outlines, tile_layer
from geo.render.timeline_page import page_css, page_script, panel_html, title_html
from geo.render.wire import Opcode, encode_ints, encode_polygon_lists
from geo.snapshot import Snapshot
from geo.text import script_json

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
    #: Per date, the ground gained and lost since the layer's previous date (km², geodesic,
    #: of the drawn outline; 0 on the first date).
    gained_km2: tuple[float, ...] = ()
    lost_km2: tuple[float, ...] = ()
    #: Per date, the gained and lost patches (:func:`geo.render.wire.encode_polygons`).
    gained_patches: tuple[str, ...] = ()
    lost_patches: tuple[str, ...] = ()


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

    def payload(self, lang: labels.Lang = "en") -> dict[str, Any]:
        """Return the JSON-ready data the page script reads (layer names in ``lang``)."""
        days = [(d - _EPOCH).days for d in self.dates]
        index = {d: i for i, d in enumerate(self.dates)}
        layers = []
        for layer in self.layers:
            at = [index[d] for d in layer.dates]
            colours = labels.change_colours(layer.layer)
            layers.append({
                "name": labels.layer_name(layer.layer, lang) if layer.name == layer.layer
                else layer.name,
                "source": ", ".join(display_name(s) for s in layer.sources),
                "colour": layer.colour,
                "gained_colour": colours["gained"],
                "lost_colour": colours["lost"],
                "at": encode_ints(np.diff(at, prepend=0)),
                "area_km2": [round(a, 1) for a in layer.encoded.area_km2],
                "gained_km2": [round(a, 2) for a in layer.gained_km2],
                "lost_km2": [round(a, 2) for a in layer.lost_km2],
                "gained": list(layer.gained_patches),
                "lost": list(layer.lost_patches),
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


def _encode_layer(
    name: str,
    snaps: list[Snapshot],
    *,
    precision: int,
    tolerance_deg: float,
    jobs: int | None,
    executor: Executor | None,
    progress: Progress,
) -> TimelineLayer:
    """Encode one layer: dates prepared in blocks (anywhere), numbered and compared in order."""
    geoms = [s.geometry for s in snaps]
    tasks = [
        ([geoms[i] for i in block], precision, tolerance_deg, DEFAULT_CHUNK_VERTICES)
        for block in blocks(len(geoms), jobs=jobs, executor=executor)
    ]
    encoder = SeriesEncoder(precision=precision, tolerance_deg=tolerance_deg,
                            chunk_mean_vertices=DEFAULT_CHUNK_VERTICES)  # fmt: skip
    # two steps a date: numbered (with its edits), then compared with the date before
    bar = progress_meter(progress=progress, desc=f"timeline {name}"[:40], unit="step",
                         total=2 * len(geoms))  # fmt: skip
    prepared: list[PreparedDate] = []
    tokens: list[IntArray] = []
    opcodes: list[list[Opcode]] = []
    with bar, executor_for(jobs, executor) as pool:
        for block in map_ordered(prepare_block, tasks, executor=pool):
            for date in block:
                prepared.append(date)
                encoder.add(date)
                tokens.append(encoder.token_array)
                opcodes.append(encoder.opcodes)
            bar.update(len(block))
        # the patches once every date is numbered: each pass keeps its own data in the caches
        changes = [change_rings(None, prepared[0], precision=precision)]
        for k in range(1, len(prepared)):
            changes.append(change_rings(
                prepared[k - 1], prepared[k], precision=precision,
                tokens=(tokens[k - 1], tokens[k], opcodes[k]),
            ))  # fmt: skip
            if k % 64 == 0:
                bar.update(64)
        bar.update(len(prepared) - 64 * ((len(prepared) - 1) // 64))
    gained = [g for g, _ in changes]
    lost = [lo for _, lo in changes]
    gained_km2 = polygon_lists_area_km2(gained, precision=precision).tolist()
    lost_km2 = polygon_lists_area_km2(lost, precision=precision).tolist()
    return TimelineLayer(
        name=name,
        layer=snaps[0].layer,
        colour=layer_colour(snaps[0].layer),
        sources=tuple(dict.fromkeys(s.source for s in snaps)),
        dates=tuple(s.date for s in snaps),
        encoded=encoder.finish([s.area_km2 for s in snaps]),
        gained_km2=tuple(gained_km2),
        lost_km2=tuple(lost_km2),
        gained_patches=tuple(encode_polygon_lists(gained)),
        lost_patches=tuple(encode_polygon_lists(lost)),
    )


def build_timeline(
    series: Mapping[str, Sequence[Snapshot]] | Sequence[Snapshot],
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    precision: int = 5,
    jobs: int | None = None,
    executor: Executor | None = None,
    progress: Progress = None,
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
    jobs, executor
        Where the dates are simplified, cut and compared: in this thread
        (default), on ``jobs`` local processes (0: one per core), or on any
        :class:`concurrent.futures.Executor` (e.g. a Dask client's
        ``get_executor()``). The timeline is the same, byte for byte.
    progress
        A bar on stderr per layer (``None``: when stderr is a terminal).

    Returns
    -------
    Timeline

    Raises
    ------
    GeoError
        No snapshots, an empty layer, or two snapshots of a layer on one date.
    ValidationError
        ``jobs`` is negative or not an integer.

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
    >>> [round(km2) for km2 in timeline.layers[0].gained_km2]  # since the previous date
    [0, 413, 413]
    """
    if tolerance_m < 0:
        msg = f"tolerance_m {tolerance_m} is negative; use 0 (no simplification) or more"
        raise GeoError(msg)
    layers = []
    west = south = np.inf
    east = north = -np.inf
    for name, snaps in _groups(series):
        layers.append(_encode_layer(
            name, snaps, precision=precision, tolerance_deg=tolerance_m / METRES_PER_DEGREE,
            jobs=jobs, executor=executor, progress=progress,
        ))  # fmt: skip
        geoms = [s.geometry for s in snaps]
        boxes = shapely.bounds(np.asarray([g for g in geoms if not g.is_empty], dtype=object))
        if len(boxes):
            west, south = min(west, boxes[:, 0].min()), min(south, boxes[:, 1].min())
            east, north = max(east, boxes[:, 2].max()), max(north, boxes[:, 3].max())
    dates = tuple(sorted({d for layer in layers for d in layer.dates}))
    bounds = (float(west), float(south), float(east), float(north)) if west <= east else None
    return Timeline(dates, tuple(layers), bounds, tolerance_m, precision)


class _TimelineElement(VerbatimMacro):
    """The panel, data and script of a timeline, as a folium child of the map."""

    _template = Template(
        "{% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}"
        "{% macro html(this, kwargs) %}{{ this.panel }}{% endmacro %}"
        "{% macro script(this, kwargs) %}{{ this.js(this._parent.get_name()) }}{% endmacro %}"
    )

    def __init__(
        self,
        timeline: Timeline,
        *,
        bounds: tuple[float, float, float, float] | None,
        lang: labels.Lang,
        trail_days: int,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoTimeline"
        self.timeline = timeline
        self.element_id = f"geo-timeline-{self._id}"
        self.css = page_css()
        payload = dict(timeline.payload(lang), bounds=bounds, trail=trail_days)
        self.panel = panel_html(timeline, self.element_id, lang=lang, trail_days=trail_days) + (
            f'<script type="application/json" id="{self.element_id}-data">'
            f"{script_json(payload, compact=True)}</script>"
        )
        self.lang = lang

    def js(self, map_name: str) -> str:
        """Return the page script for the map variable ``map_name``."""
        return page_script(map_name, self.element_id, lang=self.lang)


def default_title(timeline: Timeline, lang: labels.Lang = "en") -> str:
    """Return a timeline's human title: layers, publishers, first and last date.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snaps = [Snapshot("deepstate", "russian_control", datetime.date(2025, m, 1),
    ...                   make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("x.json"))
    ...          for m in (1, 6)]
    >>> default_title(build_timeline(snaps))
    'Russian-controlled territory, DeepStateMap.Live, 1 Jan → 1 Jun 2025'
    """
    kinds = list(dict.fromkeys(layer.layer for layer in timeline.layers))
    sources = [s for layer in timeline.layers for s in layer.sources]
    first, last = timeline.dates[0], timeline.dates[-1]
    title = labels.map_title(kinds[0], sources, first, last, lang)
    if len(kinds) > 1:  # name every layer; the publishers and dates stay as map_title says them
        head = labels.layer_name(kinds[0], lang)
        title = " · ".join(labels.layer_name(k, lang) for k in kinds) + title[len(head) :]
    return title


def timeline_map(
    series: Mapping[str, Sequence[Snapshot]] | Sequence[Snapshot] | Timeline,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    lang: labels.Lang = "en",
    trail_days: int = 0,
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    precision: int = 5,
    regions: gpd.GeoDataFrame | None = None,
    attribution: str | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    progress: Progress = None,
) -> folium.Map:
    """Make a folium map with a date slider over all dates of the given layers.

    The page shows, for the date on the slider, each layer, the ground it
    gained and lost since its previous date (in the colours of
    :func:`geo.render.labels.change_colours`: Russian gains red, Ukrainian
    gains blue), optionally the changes of the ``trail_days`` before, a
    tooltip with the area and its change, an area chart and a bar chart of
    the change per day or per month (net, or gained and lost; a click on a bar
    goes to its date). The date and the map view live in the URL's hash
    (``#date=2025-03-18``), so a link opens that date.

    Parameters
    ----------
    series
        One list of snapshots per layer, keyed by the name shown (or one list,
        split by layer and source), or a :class:`Timeline` already built by
        :func:`build_timeline`.
    title
        Heading shown at the top of the map; default :func:`default_title`
        (layer, publisher, date range).
    subtitle
        A line under the title.
    lang
        Language of the page's words and dates (``"en"`` or ``"uk"``).
    trail_days
        Also draw the gains and losses of this many days before the date
        shown, fainter (0: none).
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
    jobs, executor, progress
        Passed to :func:`build_timeline` when ``series`` is not built yet.

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
    ValidationError
        ``lang`` or ``trail_days`` is not one this function knows.

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
    labels.word("date", lang)  # an unknown language fails before any work
    if isinstance(trail_days, bool) or not isinstance(trail_days, int) or trail_days < 0:
        msg = "invalid trail"
        raise ValidationError(msg, [f"trail_days={trail_days!r}: pass 0 (none) or a count of days"])
    basemap = tile_layer(tiles)  # an unknown basemap fails before any encoding
    timeline = (
        series
        if isinstance(series, Timeline)
        else build_timeline(series, tolerance_m=tolerance_m, precision=precision, jobs=jobs,
                            executor=executor, progress=progress)
    )  # fmt: skip
    notice = notice_for((s for layer in timeline.layers for s in layer.sources), notice)
    fmap = folium.Map(tiles=None, control_scale=True, location=[48.5, 35.0], zoom_start=6)
    # Only Leaflet is used: jQuery, Bootstrap and Font Awesome would add ~1.9 MB offline.
    fmap.default_js = [(n, url) for n, url in fmap.default_js if n == "leaflet"]
    fmap.default_css = [(n, url) for n, url in fmap.default_css if n == "leaflet_css"]
    if basemap is not None:
        basemap.add_to(fmap)
    if regions is not None and not regions.empty:
        add_region_outlines(fmap, regions, tolerance_deg=timeline.tolerance_m / METRES_PER_DEGREE,
                            precision=timeline.precision, lang=lang)  # fmt: skip
    bounds = timeline.bounds
    if bounds is None and regions is not None and not regions.empty:
        west, south, east, north = (float(v) for v in regions.to_crs("EPSG:4326").total_bounds)
        bounds = (west, south, east, north)
    element = _TimelineElement(timeline, bounds=bounds, lang=lang, trail_days=trail_days)
    element.add_to(fmap)
    page = fmap.get_root()
    assert isinstance(page, Figure)
    credit = credit_line((s for layer in timeline.layers for s in layer.sources), attribution)
    page.html.add_child(RawHTML(attribution_script(fmap.get_name(), credit)))
    heading = title if title is not None else default_title(timeline, lang)
    page.html.add_child(RawHTML(title_html(heading, subtitle, notice)))
    return fmap
