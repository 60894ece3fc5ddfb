"""Diff map: what changed between two dates, with a per-region table.

Colours keep their meaning whatever the layer (:func:`geo.render.labels.change_colours`):
ground Russia gains is red, ground Ukraine gains blue, unchanged ground grey;
the legend and the panel say so in words (:func:`geo.render.labels.change_labels`),
in English or Ukrainian. The map is framed on the change (the gained and lost
patches; the layer when nothing changed), clear of the header, panel and legend
(:func:`geo.render.layout.add_framing`); a panel that would leave too little
room is collapsed, and it can be hidden and shown.

A fixed panel lists gained, lost and net km² per region straight from
:attr:`geo.diff.Diff.regions`, rounded to the unit for reading (the exact
figures are in each cell's ``data-km2``), the totals and the area method, and
the largest changes (:meth:`geo.diff.Diff.largest_changes`) as rows that zoom
the map to their patch when clicked (bounds computed here, ``fitBounds`` in a
small inline script).

With ``places`` (a :func:`geo.places.places_changed` frame) the map also
marks the places that changed hands and lists them at the foot of the panel
(:mod:`geo.render.places`). With ``rings`` (a :func:`geo.distance.distances`
result) it draws each place's distance to the layer as a ring, at the later
date solid and the earlier dashed, frames the map on them and lists the
distances in the panel (:mod:`geo.render.distance_map`).

Every string from data (region names, sources, layers, notes) is escaped with
:func:`geo.text.escape_text`; values placed inside ``<script>`` go through
:func:`script_json`, which also escapes ``<``, ``>`` and ``&``. Public through
:mod:`geo.render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo.diff import Diff
from geo.geometry import WGS84
from geo.publishers import credit_line, notice_for
from geo.render.credits import attribution_script
from geo.render.distance_map import diff_rings
from geo.render.labels import (
    Lang,
    change_colours,
    change_labels,
    change_names,
    format_date_range,
    format_km2,
    format_number,
    map_title,
    word,
)
from geo.render.layout import (
    LegendRow,
    RawHTML,
    add_framing,
    add_legend,
    header_html,
    leaflet_bounds,
    map_page,
    new_map,
)
from geo.render.outlines import add_regions_near, display_region
from geo.render.places import add_places, places_table_html
from geo.render.snapshot import DEFAULT_TILES, add_tiles, fill_style
from geo.text import escape_text, script_json

if TYPE_CHECKING:
    import pandas as pd

    from geo.distance import DistanceResult

_ZERO_KM2 = 5e-7  # below the 1 m² that Diff.to_dict rounds to
_MAX_ZOOM = 13  # zooming to a tiny patch any closer only shows tiles
_FRAME_MAX_ZOOM = 12  # the first view of a small change

#: One row of the largest changes: change, km², region, [[s, w], [n, e]].
Largest = tuple[str, float, str | None, list[list[float]]]


def diff_map(
    d: Diff,
    *,
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Sequence[str] | None = None,
    tiles: str | None = DEFAULT_TILES,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    top_n: int = 10,
    places: pd.DataFrame | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
    rings: DistanceResult | None = None,
) -> folium.Map:
    """Make a folium map of a diff: gained, lost and unchanged ground and a table.

    Parameters
    ----------
    d
        The diff (from :func:`geo.diff.diff`); pass ``regions`` to
        :func:`geo.diff.diff` to get the per-region table.
    regions
        Region outlines to draw (a ``region`` or ``name`` column), dashed,
        with their names as labels (labels that would overlap are dropped, the
        larger region's kept). Only the regions that hold or border the
        ground at either date are drawn (:func:`geo.region_select.select_regions`).
        Optional; the table needs none.
    region_names
        Draw these regions instead (any name or code
        :func:`geo.regions.resolve_region` accepts).
    tiles
        xyzservices basemap name (see :func:`geo.render.snapshot.tile_layer`),
        or ``None`` or ``"none"`` for no tiles.
    title
        Heading; default the layer, publisher(s) and dates in words
        (:func:`geo.render.labels.map_title`).
    subtitle
        A line under the title; default the gross gains, losses and net change.
    notice
        A banner that must stay visible. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    top_n
        How many of the largest changes to list (0 for none).
    places
        Places that changed hands (:func:`geo.places.places_changed`): drawn as
        markers in their own layer and listed in the panel (class
        ``geo-places-panel``); ``None`` for none.
    attribution
        Extra credit added after the data credit (:func:`geo.publishers.credit_line`
        of the diff's sources) in the map's attribution control.
    lang
        Language of every word on the map: ``"en"`` or ``"uk"``.
    rings
        Distances from places to the layer (:func:`geo.distance.distances`):
        each place's ring at the diff's later date (solid) and earlier date
        (dashed, when the distances reach back that far), a marker, a line to
        the nearest point and a label (:func:`geo.render.add_distance_rings`);
        the map is framed on the rings and the panel lists the distances
        (class ``geo-distance-panel``). ``None`` for none.

    Returns
    -------
    folium.Map
        Its root figure holds the panel (class ``geo-diff-panel``) and the legend.

    Raises
    ------
    BasemapError
        ``tiles`` names no keyless xyzservices provider.
    ValidationError
        ``lang`` is not a language the labels exist in.
    RegionError
        A name in ``region_names`` is unknown or not among ``regions``.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> import geo
    >>> from geo.render import diff_map, save_html
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> def snap(day, east):
    ...     return Snapshot("deepstate", "russian_control", datetime.date(2025, 6, day),
    ...                     make_features([box(37.0, 48.0, east, 48.5)]), Provenance("my.json"))
    >>> change = geo.diff(snap(1, 37.5), snap(8, 37.6))
    >>> page = save_html(diff_map(change, tiles=None))
    >>> "Russian-controlled territory, DeepStateMap.Live, 1 Jun → 8 Jun 2025" in page
    True
    >>> f"Russian gains {change.gained_km2:,.0f} km²" in page
    True
    """
    word("change", lang)  # an unknown language fails before any work
    notice = notice_for((d.source_from, d.source_to), notice)
    fmap = new_map()
    add_tiles(fmap, tiles)
    page = map_page(fmap)
    page.header.add_child(RawHTML(_PANEL_CSS), name="geo_panel_css")
    colours, names = change_colours(d.layer), change_names(d.layer, lang)
    if not d.unchanged.is_empty:
        frame = gpd.GeoDataFrame(
            {"change": [names["unchanged"]], "area": [format_km2(d.unchanged_km2, lang)],
             "region": ["—"]},
            geometry=[d.unchanged],
            crs=WGS84,
        )  # fmt: skip
        _add_layer(fmap, frame, colours["unchanged"], 0.35, names["unchanged"], lang)
    patches = d.to_geodataframe()
    for kind in ("lost", "gained"):
        rows = patches[patches["change"] == kind]
        if rows.empty:
            continue
        frame = gpd.GeoDataFrame(
            {
                "change": [names[kind]] * len(rows),
                "area": [_area_text(a, lang) for a in rows["area_km2"]],
                "region": [_region_text(r, lang) for r in rows["region"]],
            },
            geometry=list(rows.geometry),
            crs=WGS84,
        )
        _add_layer(fmap, frame, colours[kind], 0.7, names[kind], lang)
    focus = _focus(d, patches)
    near = [d.geometry_from, d.geometry_to]
    outlined = add_regions_near([fmap], regions, names=region_names, near=near, lang=lang)
    focus = focus if focus is not None else outlined
    if places is not None:  # before the layer control, which must find the places' layer
        add_places(fmap, places, colours=colours, names=names, lang=lang)
    rings_html = ""
    if rings is not None:  # before the layer control too; the rings are the map's subject
        focus, rings_html = diff_rings(fmap, rings, d.date_from, d.date_to, lang=lang)
    folium.LayerControl(collapsed=False, position="bottomright").add_to(fmap)
    panel_id = f"geo-diff-panel-{fmap.get_name()}"
    largest = _largest(d, top_n)
    listed = (
        "" if places is None
        else places_table_html(places, colours=colours, names=names, lang=lang)
    )  # fmt: skip
    page.html.add_child(RawHTML(_panel_html(d, panel_id, largest, listed, lang, rings_html)))
    page.html.add_child(RawHTML(_panel_script(fmap.get_name(), panel_id, largest, lang)))
    labels = change_labels(d.layer, d.date_from, d.date_to, lang)
    add_legend(fmap, word("change", lang), [
        LegendRow(colours[kind], labels[kind], format_km2(area, lang),
                  opacity=0.35 if kind == "unchanged" else 0.7)
        for kind, area in (("gained", d.gained_km2), ("lost", d.lost_km2),
                           ("unchanged", d.unchanged_km2))
    ])  # fmt: skip
    default_title = map_title(d.layer, [d.source_from, d.source_to], d.date_from, d.date_to, lang)
    default_subtitle = (
        f"{names['gained']} {format_km2(d.gained_km2, lang)} · "
        f"{names['lost']} {format_km2(d.lost_km2, lang)} · "
        f"{word('net', lang)} {format_km2(d.net_km2, lang, signed=True)}"
    )
    page.html.add_child(
        RawHTML(header_html(title or default_title, subtitle or default_subtitle, notice))
    )
    credit = credit_line((d.source_from, d.source_to), attribution)
    page.html.add_child(RawHTML(attribution_script(fmap.get_name(), credit)))
    add_framing(page, [fmap], focus, max_zoom=_FRAME_MAX_ZOOM)
    return fmap


# --- pieces of the diff map -------------------------------------------------------------


def _add_layer(
    fmap: folium.Map, frame: gpd.GeoDataFrame, colour: str, opacity: float, name: str, lang: Lang
) -> None:
    folium.GeoJson(
        frame.to_json(drop_id=True),
        name=escape_text(name),
        style_function=fill_style(colour, opacity),
        tooltip=folium.GeoJsonTooltip(
            fields=["change", "area", "region"],
            aliases=[word(key, lang) for key in ("change", "area", "region")],
        ),
    ).add_to(fmap)


def _region_name(value: Any) -> str | None:
    """Return the region of a patch; ``None`` for ground in no region (None or NaN in frames)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _region_text(value: Any, lang: Lang) -> str:
    name = _region_name(value)
    return "—" if name is None else escape_text(display_region(name, lang))


def _digits(value: float) -> int:
    """Decimals a figure needs: none from 1 km², more for the small patches a list can hold."""
    size = abs(value)
    return 0 if size >= 1 or size < _ZERO_KM2 else 1 if size >= 0.1 else 2 if size >= 0.01 else 3


def _area_text(value: float, lang: Lang) -> str:
    return format_km2(value, lang, digits=_digits(value))


def _number(value: float, lang: Lang, *, signed: bool = False) -> str:
    """Return a table figure: as :func:`_area_text`, without the unit (the header gives it)."""
    return format_number(value, lang, signed=signed, digits=_digits(value))


def _focus(d: Diff, patches: gpd.GeoDataFrame) -> list[list[float]] | None:
    """Return the change (kept patches), else the layer at either date, as Leaflet bounds."""
    if not patches.empty:
        return leaflet_bounds(patches.total_bounds)
    geoms = [g for g in (d.geometry_from, d.geometry_to) if not g.is_empty]
    if geoms:
        return leaflet_bounds(shapely.bounds(shapely.union_all(geoms)))
    return None


def _largest(d: Diff, top_n: int) -> list[Largest]:
    """(change, km², region, [[s, w], [n, e]]) of the ``top_n`` largest kept patches."""
    table = d.largest_changes(max(top_n, 0))
    patches = d.to_geodataframe()  # kept patches in the order largest_changes ranks them
    order = np.argsort(-patches["area_km2"].to_numpy(), kind="stable")[: len(table)]
    boxes = shapely.bounds(np.asarray(patches.geometry.values, dtype=object)[order])
    areas = table["area_km2"].to_numpy(dtype=float)
    columns = zip(table["change"], areas, table["region"], boxes, strict=True)
    return [
        (str(kind), float(area), _region_name(region), leaflet_bounds(box))
        for kind, area, region, box in columns
    ]


def _cells(gained: float, lost: float, net: float, lang: Lang) -> str:
    return "".join(
        f'<td class="geo-num" data-km2="{value:.6f}">{_number(value, lang, signed=signed)}</td>'
        for value, signed in ((gained, False), (lost, False), (net, True))
    )


def _region_rows(d: Diff, lang: Lang) -> tuple[str, list[str], list[str]]:
    """Return rows of the regions that changed (largest gross change first), then names.

    The names are those of the regions that held ground but did not change, and of
    those that held nothing.
    """
    changed = sorted(
        (r for r in d.regions if max(r.gained_km2, r.lost_km2) > _ZERO_KM2),
        key=lambda r: (-(r.gained_km2 + r.lost_km2), r.region),
    )
    rows = "".join(
        f'<tr class="geo-region" data-region="{escape_text(r.region)}">'
        f"<td>{escape_text(display_region(r.region, lang))}</td>"
        f"{_cells(r.gained_km2, r.lost_km2, r.net_km2, lang)}</tr>"
        for r in changed
    )
    if d.regions:
        outside = d.to_dict()["outside_regions"]
        if max(abs(outside["gained_km2"]), abs(outside["lost_km2"])) >= _ZERO_KM2 * 1e4:
            net = outside["gained_km2"] - outside["lost_km2"]
            rows += (
                f'<tr class="geo-outside"><td><i>{escape_text(word("outside_regions", lang))}'
                f"</i></td>{_cells(outside['gained_km2'], outside['lost_km2'], net, lang)}</tr>"
            )
    rest = [r for r in d.regions if r not in changed]
    steady = [display_region(r.region, lang) for r in rest
              if max(r.area_from_km2, r.area_to_km2) > _ZERO_KM2]  # fmt: skip
    empty = [display_region(r.region, lang) for r in rest
             if max(r.area_from_km2, r.area_to_km2) <= _ZERO_KM2]  # fmt: skip
    return rows, steady, empty


def _days(count: int, lang: Lang) -> str:
    if lang == "uk":  # 1, 21 день; 2-4, 22-24 дні; 5-20, 25-30 днів
        key = (
            "day_one" if count % 10 == 1 and count % 100 != 11
            else "day_few" if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14)
            else "day_many"
        )  # fmt: skip
    else:
        key = "day_one" if count == 1 else "day_many"
    return f"{count} {word(key, lang)}"


def _panel_html(
    d: Diff,
    panel_id: str,
    largest: list[Largest],
    places_html: str,
    lang: Lang,
    rings_html: str = "",
) -> str:
    colours, names = change_colours(d.layer), change_names(d.layer, lang)
    region_rows, steady, empty = _region_rows(d, lang)
    total = (
        f'<tr class="geo-total"><th>{escape_text(word("total", lang))}</th>'
        f"{_cells(d.gained_km2, d.lost_km2, d.net_km2, lang)}</tr>"
    )
    head = (
        f"<tr><th>{escape_text(word('region', lang))}</th>"
        f'<th style="color:{colours["gained"]}">{escape_text(names["gained"])}</th>'
        f'<th style="color:{colours["lost"]}">{escape_text(names["lost"])}</th>'
        f"<th>{escape_text(word('net', lang))}</th></tr>"
    )
    nothing = "".join(
        f'<div class="{css}">{escape_text(word(key, lang))}: {escape_text(", ".join(names))}</div>'
        for css, key, names in (
            ("geo-no-change", "no_change_in", steady),
            ("geo-nothing-held", "nothing_held", empty),
        )
        if names
    )
    if largest:
        change_rows = "".join(
            f'<tr class="geo-change" data-geo-change="{i}" tabindex="0" role="button" '
            f'title="{escape_text(word("zoom_to_patch", lang))}">'
            f'<td>{i + 1}</td><td style="color:{colours[kind]}">{escape_text(names[kind])}</td>'
            f'<td class="geo-num" data-km2="{area:.6f}">{_number(area, lang)}</td>'
            f"<td>{escape_text(display_region(region, lang)) if region is not None else '—'}"
            "</td></tr>"
            for i, (kind, area, region, _) in enumerate(largest)
        )
        changes = (
            f"<div class='geo-panel-section'><b>{escape_text(word('largest_changes', lang))}</b> "
            f"<span class='geo-hint'>({escape_text(word('click_to_zoom', lang))})</span>"
            "<table class='geo-changes'>"
            f"<tr><th>#</th><th>{escape_text(word('change', lang))}</th><th>km²</th>"
            f"<th>{escape_text(word('region', lang))}</th></tr>{change_rows}</table></div>"
        )
    elif d.patches.kept.any():
        changes = ""  # top_n=0: the caller asked for no list
    else:
        changes = (
            f"<div class='geo-panel-section'><b>{escape_text(word('largest_changes', lang))}</b>"
            f"<div>{escape_text(word('no_change', lang))}</div></div>"
        )
    notes = "".join(
        f"<div>{escape_text(word('note', lang))}: {escape_text(note)}</div>" for note in d.notes
    )
    places = (
        f'<div class="geo-places-panel geo-panel-section">{places_html}</div>'
        if places_html
        else ""
    )
    span = format_date_range(d.date_from, d.date_to, lang)
    days = _days((d.date_to - d.date_from).days, lang)
    held = (
        f"{escape_text(word('held', lang))}: {format_km2(d.area_from_km2, lang)} → "
        f"{format_km2(d.area_to_km2, lang)}"
    )
    return (
        f'<div id="{panel_id}" class="geo-diff-panel">'
        f'<div class="geo-panel-head"><b>{escape_text(word("change", lang))}, '
        f"{escape_text(span)}</b> <span>({escape_text(days)})</span>"
        f'<button type="button" class="geo-panel-toggle" aria-expanded="true">'
        f"{escape_text(word('hide', lang))}</button></div>"
        f'<div class="geo-panel-body"><div class="geo-held">{held}</div>'
        f"<table class='geo-regions'><caption>{escape_text(word('areas_in_km2', lang))}</caption>"
        f"{head}{region_rows}{total}</table>"
        f"{rings_html}{nothing}{changes}{notes}{places}"
        f'<div class="geo-method">{escape_text(word("areas", lang))}: {escape_text(d.method)}. '
        f"{escape_text(word('slivers', lang))}: {escape_text(d.sliver_filter.description)}."
        "</div></div></div>"
    )


_PANEL_CSS = """<style>
.geo-diff-panel{position:fixed;top:84px;right:10px;z-index:1000;box-sizing:border-box;
  background:rgba(255,255,255,.96);padding:6px 8px;border:1px solid #999;border-radius:4px;
  font:12px/1.35 Helvetica,Arial,sans-serif;color:#222;width:340px;max-width:calc(100% - 80px);
  overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.geo-diff-panel table{border-collapse:collapse;width:100%;margin-top:3px}
.geo-diff-panel th,.geo-diff-panel td{padding:1px 4px;text-align:left;vertical-align:top}
.geo-diff-panel th{font-weight:600;border-bottom:1px solid #ccc}
.geo-diff-panel td.geo-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.geo-diff-panel caption{caption-side:top;text-align:left;color:#666;font-size:11px}
.geo-diff-panel tr.geo-total th,.geo-diff-panel tr.geo-total td{border-top:1px solid #999;
  font-weight:bold}
.geo-diff-panel tr.geo-change{cursor:pointer}
.geo-diff-panel tr.geo-change:hover,.geo-diff-panel tr.geo-change:focus{background:#eef3fb}
.geo-panel-head{display:flex;gap:4px;align-items:baseline;flex-wrap:wrap}
.geo-panel-head span{flex:1}
.geo-panel-toggle{font:11px Helvetica,Arial,sans-serif;padding:0 6px;cursor:pointer}
.geo-panel-section{margin-top:6px}
.geo-hint,.geo-method,.geo-nothing-held,.geo-no-change{color:#666}
.geo-method{margin-top:6px;font-size:11px}
.geo-collapsed .geo-panel-body{display:none}
.geo-diff-panel.geo-collapsed{width:auto}
</style>"""


def _panel_script(map_name: str, panel_id: str, largest: list[Largest], lang: Lang) -> str:
    """Collapse and expand the panel; zoom to a largest change on click or Enter."""
    bounds = [box for *_, box in largest]
    words = script_json([word("hide", lang), word("show", lang)])
    selector = script_json(f"#{panel_id} tr[data-geo-change]")
    return (
        # the toggle works at once (the framing may collapse the panel on DOMContentLoaded)
        f"<script>(function(){{var panel=document.getElementById({script_json(panel_id)});"
        f"var button=panel.querySelector('.geo-panel-toggle');var words={words};"
        "panel.geoCollapse=function(c){panel.classList.toggle('geo-collapsed',c);"
        "button.textContent=words[c?1:0];button.setAttribute('aria-expanded',c?'false':'true');"
        "(window.geoDeclutters||[]).forEach(function(f){f();});};"
        "button.addEventListener('click',function(){"
        "panel.geoCollapse(!panel.classList.contains('geo-collapsed'));});"
        "document.addEventListener('DOMContentLoaded',function(){"
        f"var map={map_name};var bounds={script_json(bounds)};"
        # below the header where they meet, above the controls of the bottom-right corner
        "function place(){var box=map.getContainer().getBoundingClientRect();"
        "var top=box.top+10,header=document.querySelector('.geo-header');"
        "var p=panel.getBoundingClientRect();if(header){var h=header.getBoundingClientRect();"
        "if(h.right>p.left&&h.left<p.right)top=Math.max(top,h.bottom+8);}"
        "var corner=map.getContainer().querySelector('.leaflet-bottom.leaflet-right');"
        "var floor=box.bottom-10;corner&&corner.querySelectorAll('.leaflet-control').forEach("
        "function(c){var r=c.getBoundingClientRect();if(r.height)floor=Math.min(floor,r.top-8);});"
        "panel.style.top=top+'px';panel.style.maxHeight=Math.max(80,floor-top)+'px';}"
        "place();window.addEventListener('resize',place);"
        f"document.querySelectorAll({selector}).forEach(function(row){{"
        "function go(){window.geoLayout.fit([map],bounds[+row.getAttribute('data-geo-change')],"
        f"{_MAX_ZOOM},true);}}"
        "row.addEventListener('click',go);"
        "row.addEventListener('keydown',function(e){"
        "if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});"
        "});});})();</script>"
    )
