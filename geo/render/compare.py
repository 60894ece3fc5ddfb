"""Compare map: two dates or two sources, side by side or as a swipe.

``mode="side-by-side"`` draws two synchronized maps (folium's ``DualMap``,
which loads Leaflet.Sync; :mod:`geo.render.assets` maps its URL to the npm
package ``leaflet.sync``). ``mode="swipe"`` draws both sides on one map, each
in its own Leaflet pane, and a slider clips the panes at a movable divider.
The swipe script is ours (about 30 lines, inline): the npm release of
``leaflet-side-by-side`` ships only CommonJS sources, no browser build, and its
control clips tile layers only, not vector layers.

Labels say which date and source is on which side; like every string from data
they are escaped with :func:`geo.text.escape_text`. Public through :mod:`geo.render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import folium
import geopandas as gpd
import shapely
from branca.element import Figure
from folium.plugins import DualMap

from geo.errors import ValidationError
from geo.layers import CANONICAL_LAYERS, layer_colour
from geo.publishers import credit_line, display_name, notice_for
from geo.render.credits import attribution_script
from geo.render.labels import Lang, format_date, format_km2, layer_name, word
from geo.render.layout import (
    LAYOUT_CSS,
    LegendRow,
    RawHTML,
    add_framing,
    add_legend,
    add_scale,
    header_html,
    leaflet_bounds,
    merge_bounds,
    new_map,
    title_for,
)
from geo.render.outlines import add_regions_near
from geo.render.snapshot import DEFAULT_TILES, add_tiles, fill_style, tile_layer
from geo.snapshot import Snapshot
from geo.text import escape_text, script_json

#: The two ways of comparing: two synchronized maps, or one map with a divider.
CompareMode = Literal["side-by-side", "swipe"]
#: The values of :data:`CompareMode`.
MODES: tuple[CompareMode, ...] = ("side-by-side", "swipe")
#: Leaflet panes of the two sides in swipe mode.
SWIPE_PANES = ("geo-left", "geo-right")
_THUMB_PX = 28  # diameter of the slider's handle; the divider follows its centre


@overload
def compare_map(
    left: Snapshot | Sequence[Snapshot],
    right: Snapshot | Sequence[Snapshot],
    *,
    mode: Literal["side-by-side"] = ...,
    regions: gpd.GeoDataFrame | None = ...,
    region_names: str | Sequence[str] | None = ...,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    tiles: str | None = ...,
    left_label: str | None = ...,
    right_label: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
) -> Figure: ...


@overload
def compare_map(
    left: Snapshot | Sequence[Snapshot],
    right: Snapshot | Sequence[Snapshot],
    *,
    mode: Literal["swipe"],
    regions: gpd.GeoDataFrame | None = ...,
    region_names: str | Sequence[str] | None = ...,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    tiles: str | None = ...,
    left_label: str | None = ...,
    right_label: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
) -> folium.Map: ...


@overload
def compare_map(
    left: Snapshot | Sequence[Snapshot],
    right: Snapshot | Sequence[Snapshot],
    *,
    mode: CompareMode,
    regions: gpd.GeoDataFrame | None = ...,
    region_names: str | Sequence[str] | None = ...,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    tiles: str | None = ...,
    left_label: str | None = ...,
    right_label: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
) -> folium.Map | Figure: ...


def compare_map(
    left: Snapshot | Sequence[Snapshot],
    right: Snapshot | Sequence[Snapshot],
    *,
    mode: CompareMode = "side-by-side",
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    left_label: str | None = None,
    right_label: str | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
) -> folium.Map | Figure:
    """Make a map comparing two sets of snapshots (two dates, or two sources).

    Parameters
    ----------
    left, right
        Snapshot(s) of each side (one layer or several), drawn in the palette
        of :mod:`geo.layers`.
    mode
        ``"side-by-side"``: two synchronized maps (panning or zooming one
        moves the other). ``"swipe"``: one map with a divider to drag.
    regions
        Region outlines (a ``region`` or ``name`` column), drawn on both sides:
        those that hold or border either side's ground
        (:func:`geo.region_select.select_regions`), labelled without collisions.
    region_names
        Draw these regions instead (any name or code
        :func:`geo.regions.resolve_region` accepts).
    title
        Heading; default the layers, publishers and dates in words
        (:func:`geo.render.labels.map_title`).
    subtitle
        A line under the title; default none.
    notice
        A banner that must stay visible. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    tiles
        xyzservices basemap name (see :func:`geo.render.snapshot.tile_layer`),
        or ``None`` or ``"none"`` for no tiles.
    left_label, right_label
        What each side shows; default what tells the sides apart (the date,
        the publisher, or both; :func:`side_label`).
    attribution
        Extra credit added after the data credit (:func:`geo.publishers.credit_line`
        of both sides' sources) in the attribution control(s).
    lang
        Language of every word on the map: ``"en"`` or ``"uk"``.

    Returns
    -------
    branca.element.Figure or folium.Map
        Side by side, the page holding the two synchronized maps (a
        :class:`branca.element.Figure`); as a swipe, the one
        :class:`folium.Map`. Both display inline in Jupyter and go to
        :func:`geo.render.save_html`.

    Raises
    ------
    ValidationError
        If ``mode`` is unknown, a side has no snapshots, or ``lang`` is unknown.
    RegionError
        A name in ``region_names`` is unknown or not among ``regions``.
    BasemapError
        ``tiles`` names no keyless xyzservices provider.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import compare_map, save_html
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> def snap(source, east):
    ...     return Snapshot(source, "russian_control", datetime.date(2025, 6, 1),
    ...                     make_features([box(37.0, 48.0, east, 48.5)]), Provenance("my.json"))
    >>> page = save_html(compare_map(snap("isw", 37.5), snap("deepstate", 37.6), tiles=None))
    >>> "◀ Institute for the Study of War (ISW)" in page and "DeepStateMap.Live ▶" in page
    True
    >>> swipe = compare_map(snap("isw", 37.5), snap("deepstate", 37.6), mode="swipe", tiles=None)
    >>> "geo-swipe-range" in save_html(swipe)
    True
    """
    left = [left] if isinstance(left, Snapshot) else list(left)
    right = [right] if isinstance(right, Snapshot) else list(right)
    word("layers", lang)  # an unknown language fails before any work
    notice = notice_for((s.source for s in [*left, *right]), notice)
    tile_layer(tiles)  # an unknown basemap fails before any work
    problems = [f"mode is {mode!r}, not one of {', '.join(MODES)}"] if mode not in MODES else []
    problems += [f"no {side} snapshots" for side, s in (("left", left), ("right", right)) if not s]
    if problems:
        msg = "cannot make a compare map"
        raise ValidationError(msg, problems)
    labels = (
        left_label or side_label(left, other=right, lang=lang),
        right_label or side_label(right, other=left, lang=lang),
    )
    if mode == "swipe":
        fmap = new_map()
        add_tiles(fmap, tiles)
        for pane, z_index in zip(SWIPE_PANES, (410, 411), strict=True):
            folium.map.CustomPane(pane, z_index=z_index, pointer_events=True).add_to(fmap)
        focus = _add_snapshots(fmap, left, pane=SWIPE_PANES[0], side=labels[0], lang=lang)
        focus = merge_bounds(
            focus, _add_snapshots(fmap, right, pane=SWIPE_PANES[1], side=labels[1], lang=lang)
        )
        maps = [fmap]
        root: folium.Map | Figure = fmap
        page = fmap.get_root()
        assert isinstance(page, Figure)
        page.header.add_child(RawHTML(_SWIPE_CSS))
        page.html.add_child(RawHTML(_swipe_script(fmap.get_name())))
    else:
        dual = DualMap(tiles=None, control_scale=False, prefer_canvas=False, zoom_snap=0.25)  # type: ignore[no-untyped-call]
        maps = [dual.m1, dual.m2]
        focus = None
        for fmap, snaps, label in zip(maps, (left, right), labels, strict=True):
            add_scale(fmap)
            add_tiles(fmap, tiles)
            focus = merge_bounds(focus, _add_snapshots(fmap, snaps, pane=None, side=label,
                                                       lang=lang))  # fmt: skip
        page = dual.get_root()
        assert isinstance(page, Figure)
        root = page
        # The title sits over the seam, where the right map's zoom buttons would be.
        page.html.add_child(RawHTML(
            "<script>document.addEventListener('DOMContentLoaded',function(){"
            f"{dual.m2.get_name()}.zoomControl.setPosition('topright');}});</script>"
        ))  # fmt: skip
    page.header.add_child(RawHTML(LAYOUT_CSS), name="geo_layout_css")
    credit = credit_line((s.source for s in [*left, *right]), attribution)
    outlined = add_regions_near(maps, regions, names=region_names, near=[*left, *right], lang=lang)
    for fmap in maps:
        folium.LayerControl(collapsed=True, position="bottomright").add_to(fmap)
        page.html.add_child(RawHTML(attribution_script(fmap.get_name(), credit)))
    focus = focus if focus is not None else outlined
    add_legend(maps[0], word("layers", lang), _legend_rows(left, right, lang))
    days = sorted({s.date for s in [*left, *right]})
    default = title_for((s.layer for s in [*left, *right]), (s.source for s in [*left, *right]),
                        days[0], days[-1], lang)  # fmt: skip
    page.html.add_child(RawHTML(header_html(title or default, subtitle, notice)))
    page.html.add_child(RawHTML(_labels_html(*labels)))
    page.html.add_child(RawHTML(_LABELS_SCRIPT))  # placed under the header before the framing
    add_framing(page, maps, focus)
    page.html.add_child(RawHTML(hash_state_script([m.get_name() for m in maps], left, right)))
    return root


def side_label(
    snapshots: Sequence[Snapshot],
    *,
    other: Sequence[Snapshot] | None = None,
    lang: Lang = "en",
) -> str:
    """Default label of one side: its publishers and dates, or what differs from ``other``.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> def snap(source, day):
    ...     return Snapshot(source, "russian_control", datetime.date(2025, 6, day),
    ...                     make_features([box(37, 48, 38, 49)]), Provenance("my.json"))
    >>> side_label([snap("deepstate", 1)])
    'DeepStateMap.Live, 1 Jun 2025'
    >>> side_label([snap("deepstate", 1)], other=[snap("deepstate", 8)], lang="uk")
    '1 червня 2025'
    >>> side_label([snap("isw", 1)], other=[snap("deepstate", 1)])
    'Institute for the Study of War (ISW)'
    """
    sources = list(dict.fromkeys(s.source for s in snapshots))
    dates = sorted({s.date for s in snapshots})
    who = ", ".join(display_name(source) for source in sources)
    when = ", ".join(format_date(day, lang) for day in dates)
    if other is not None:
        if set(sources) == {s.source for s in other}:
            return when
        if set(dates) == {s.date for s in other}:
            return who
    return f"{who}, {when}"


def _legend_rows(
    left: Sequence[Snapshot], right: Sequence[Snapshot], lang: Lang
) -> list[LegendRow]:
    """One row per layer, with its area on each side when each side shows it once."""
    rows = []
    for layer in dict.fromkeys(s.layer for s in [*left, *right]):
        label = layer_name(layer, lang)
        if layer not in CANONICAL_LAYERS:
            label += f" ({word('unknown_layer', lang)})"
        sides = [[s for s in snaps if s.layer == layer] for snaps in (left, right)]
        value = (
            f"{format_km2(sides[0][0].area_km2, lang)} → {format_km2(sides[1][0].area_km2, lang)}"
            if all(len(side) == 1 for side in sides)
            else None
        )
        rows.append(LegendRow(layer_colour(layer), label, value, opacity=0.5))
    return rows


def _add_snapshots(
    fmap: folium.Map, snapshots: Sequence[Snapshot], *, pane: str | None, side: str, lang: Lang
) -> list[list[float]] | None:
    """Draw snapshots on ``fmap`` (in ``pane`` if given); return their Leaflet bounds."""
    bounds: list[list[float]] | None = None
    for snap in snapshots:
        if snap.features.empty:
            continue
        colour = layer_colour(snap.layer)
        text = (
            f"{side}: {layer_name(snap.layer, lang)} · {format_date(snap.date, lang)} · "
            f"{format_km2(snap.area_km2, lang)} · {display_name(snap.source)}"
        )
        options: dict[str, Any] = {"pane": pane} if pane else {}
        folium.GeoJson(
            snap.features[["geometry"]].to_json(drop_id=True),
            name=escape_text(f"{side}: {layer_name(snap.layer, lang)}"),
            style_function=fill_style(colour),
            tooltip=folium.Tooltip(escape_text(text)),
            **options,
        ).add_to(fmap)
        bounds = merge_bounds(bounds, leaflet_bounds(shapely.bounds(snap.geometry)))
    return bounds


def _labels_html(left: str, right: str) -> str:
    style = (
        "position:fixed;top:64px;z-index:1000;transform:translateX(-50%);background:white;"
        "border:1px solid #555;border-radius:3px;padding:3px 8px;"
        "font:bold 13px Helvetica,Arial,sans-serif;max-width:40%;white-space:nowrap;"
        "overflow:hidden;text-overflow:ellipsis"
    )
    return "".join(
        f'<div class="geo-side-label" data-side="{side}" style="{style};left:{where}">'
        f"{arrow}{escape_text(text)}{tail}</div>"
        for side, where, text, arrow, tail in (
            ("left", "25%", left, "◀ ", ""),
            ("right", "75%", right, "", " ▶"),
        )
    )


# Side labels go just under the header, whatever its height.
_LABELS_SCRIPT = (
    "<script>document.addEventListener('DOMContentLoaded',function(){"
    "var header=document.querySelector('.geo-header');if(!header)return;"
    "var top=header.getBoundingClientRect().bottom+6;"
    "document.querySelectorAll('.geo-side-label').forEach(function(el){el.style.top=top+'px';});"
    "});</script>"
)


_SWIPE_CSS = f"""<style>
.geo-swipe-range{{position:absolute;top:50%;left:0;width:100%;height:0;margin:0;padding:0;
  z-index:999;background:transparent;pointer-events:none;-webkit-appearance:none;appearance:none}}
.geo-swipe-range::-webkit-slider-thumb{{pointer-events:auto;-webkit-appearance:none;
  width:{_THUMB_PX}px;height:{_THUMB_PX}px;border-radius:50%;background:#fff;border:2px solid #333;
  cursor:ew-resize}}
.geo-swipe-range::-moz-range-thumb{{pointer-events:auto;width:{_THUMB_PX}px;
  height:{_THUMB_PX}px;border-radius:50%;background:#fff;border:2px solid #333;cursor:ew-resize}}
.geo-swipe-line{{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;background:#333;
  z-index:998;pointer-events:none}}
</style>"""


def _swipe_script(map_name: str) -> str:
    panes = script_json(list(SWIPE_PANES))
    return (
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"var map={map_name};var names={panes};"
        "var left=map.getPane(names[0]),right=map.getPane(names[1]);"
        "var box=map.getContainer();"
        "var line=L.DomUtil.create('div','geo-swipe-line',box);"
        "var range=L.DomUtil.create('input','geo-swipe-range',box);"
        "range.type='range';range.min=0;range.max=1;range.step='any';range.value=0.5;"
        "range.setAttribute('aria-label','swipe between the two sides');"
        "L.DomEvent.disableClickPropagation(range);"
        "['mousedown','touchstart','pointerdown'].forEach(function(t){"
        "range.addEventListener(t,function(){map.dragging.disable();});});"
        "['mouseup','touchend','pointerup'].forEach(function(t){"
        "range.addEventListener(t,function(){map.dragging.enable();});});"
        "function update(){var size=map.getSize();"
        "var nw=map.containerPointToLayerPoint([0,0]),se=map.containerPointToLayerPoint(size);"
        f"var x={_THUMB_PX / 2}+range.value*(size.x-{_THUMB_PX});"
        "line.style.left=x+'px';var cx=nw.x+x;"
        "left.style.clip='rect('+[nw.y,cx,se.y,nw.x].join('px,')+'px)';"
        "right.style.clip='rect('+[nw.y,se.x,se.y,cx].join('px,')+'px)';}"
        "range.addEventListener('input',update);map.on('move zoom resize',update);update();"
        "});</script>"
    )


# --- the page's state in the URL hash (a link opens the same view) -------------------------------


def hash_state_script(
    map_names: Sequence[str], left: Sequence[Snapshot], right: Sequence[Snapshot]
) -> str:
    """Return a script keeping ``#dates=D1,D2&map=zoom/lat/lon&pos=0.42`` in the URL.

    ``dates`` names what the page compares (a link says which comparison it
    is), ``map`` the view and ``pos`` the swipe divider. A link opens that view
    and divider; the hash follows the reader with ``history.replaceState``.
    """
    dates = [max(s.date for s in side).isoformat() for side in (left, right)]
    return (
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"var maps=[{','.join(map_names)}],dates={script_json(','.join(dates))};"
        "var range=document.querySelector('.geo-swipe-range');"
        "function read(){var p={};location.hash.replace(/^#/,'').split('&').forEach(function(kv){"
        "var i=kv.indexOf('=');if(i>0)p[decodeURIComponent(kv.slice(0,i))]="
        "decodeURIComponent(kv.slice(i+1));});return p;}"
        "function apply(){var p=read(),v=/^(\\d+)\\/(-?[\\d.]+)\\/(-?[\\d.]+)$/.exec(p.map||'');"
        "if(v)maps[0].setView([+v[2],+v[3]],+v[1],{animate:false});"
        "var pos=parseFloat(p.pos);if(range&&pos>=0&&pos<=1){range.value=pos;"
        "range.dispatchEvent(new Event('input'));}}"
        "var timer=null;function write(){timer=null;var c=maps[0].getCenter();"
        "var h='#dates='+dates+'&map='+maps[0].getZoom()+'/'+c.lat.toFixed(4)+'/'+c.lng.toFixed(4)"
        "+(range?'&pos='+(+range.value).toFixed(3):'');"
        "if(location.hash!==h)history.replaceState(null,'',h);}"
        "function later(){if(timer===null)timer=setTimeout(write,150);}"
        "if(location.hash.length>1)apply();"
        "maps.forEach(function(m){m.on('moveend',later);});"
        "if(range)range.addEventListener('input',later);"
        "window.addEventListener('hashchange',apply);});</script>"
    )
