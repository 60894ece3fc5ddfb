"""Diff map: what changed between two dates, with a per-region table.

Gained ground is red, lost ground blue and ground held at both dates grey
(:data:`DIFF_COLOURS`). A fixed panel lists gained, lost and net km² per region
straight from :attr:`geo.diff.Diff.regions` (regions with nothing held at
either date are left out and counted), the totals and the area method, and the
largest changes (:meth:`geo.diff.Diff.largest_changes`) as rows that zoom the
map to their patch when clicked (bounds computed here, ``fitBounds`` in a small
inline script).

With ``places`` (a :func:`geo.places.places_changed` frame) the map also
marks the places that changed hands and lists them at the foot of the panel
(:mod:`geo.render.places`).

Every string from data (region names, sources, layers, notes) is escaped with
:func:`geo.text.escape_text`; values placed inside ``<script>`` go through
:func:`script_json`, which also escapes ``<``, ``>`` and ``&``. Public through
:mod:`geo.render`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure

from geo.diff import Diff
from geo.geometry import WGS84
from geo.publishers import credit_line, notice_for
from geo.render.credits import attribution_script
from geo.render.places import add_places, places_table_html
from geo.render.snapshot import DEFAULT_TILES, add_region_outlines, tile_layer
from geo.render.style import DIFF_COLOURS, DIFF_LABELS, banner_html, legend_html
from geo.text import escape_text, script_json

if TYPE_CHECKING:
    import pandas as pd

_ZERO_KM2 = 5e-7  # below the 1 m² that Diff.to_dict rounds to
_SHOWN_KM2 = 0.005  # shows as 0.01 in the table
_MAX_ZOOM = 13  # zooming to a tiny patch any closer only shows tiles


def diff_map(
    d: Diff,
    *,
    regions: gpd.GeoDataFrame | None = None,
    tiles: str | None = DEFAULT_TILES,
    title: str | None = None,
    notice: str | None = None,
    top_n: int = 10,
    places: pd.DataFrame | None = None,
    attribution: str | None = None,
) -> folium.Map:
    """Make a folium map of a diff: gained, lost and unchanged ground and a table.

    Parameters
    ----------
    d
        The diff (from :func:`geo.diff.diff`); pass ``regions`` to
        :func:`geo.diff.diff` to get the per-region table.
    regions
        Region outlines to draw (a ``region`` or ``name`` column), dashed,
        with their names as labels. Optional; the table needs none.
    tiles
        xyzservices basemap name (see :func:`geo.render.snapshot.tile_layer`),
        or ``None`` or ``"none"`` for no tiles.
    title
        Heading; default says layer, source and the two dates.
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

    Returns
    -------
    folium.Map
        Its root figure holds the panel (class ``geo-diff-panel``) and the legend.

    Raises
    ------
    BasemapError
        ``tiles`` names no keyless xyzservices provider.

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
    >>> "russian_control (deepstate): 2025-06-01 → 2025-06-08" in page
    True
    >>> f"{change.gained_km2:,.2f}" in page
    True
    """
    notice = notice_for((d.source_from, d.source_to), notice)
    basemap = tile_layer(tiles)
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    if basemap is not None:
        basemap.add_to(fmap)
    span = f"{d.date_from.isoformat()} → {d.date_to.isoformat()}"
    unchanged = d.unchanged
    if not unchanged.is_empty:
        frame = gpd.GeoDataFrame(
            {"change": ["unchanged"], "area": [_km2_text(d.unchanged_km2)], "region": ["all"]},
            geometry=[unchanged],
            crs=WGS84,
        )
        _add_layer(fmap, frame, "unchanged", f"unchanged {span}")
    patches = d.to_geodataframe()
    for kind in ("lost", "gained"):
        rows = patches[patches["change"] == kind]
        if rows.empty:
            continue
        frame = gpd.GeoDataFrame(
            {
                "change": [kind] * len(rows),
                "area": [_km2_text(a) for a in rows["area_km2"]],
                "region": [escape_text(_region_name(r) or "—") for r in rows["region"]],
            },
            geometry=list(rows.geometry),
            crs=WGS84,
        )
        _add_layer(fmap, frame, kind, f"{kind} {span}")
    if regions is not None and not regions.empty:
        add_region_outlines(fmap, regions)
    bounds = _fit(d, regions)
    if bounds is not None:
        fmap.fit_bounds(bounds)
    if places is not None:  # before the layer control, which must find the places' layer
        add_places(fmap, places)
    folium.LayerControl(collapsed=False, position="bottomright").add_to(fmap)
    page = fmap.get_root()
    assert isinstance(page, Figure)
    panel_id = f"geo-diff-panel-{fmap.get_name()}"
    largest = _largest(d, top_n)
    listed = "" if places is None else places_table_html(places)
    page.html.add_child(Element(_panel_html(d, panel_id, largest, listed)))
    page.html.add_child(Element(_zoom_script(fmap.get_name(), panel_id, largest)))
    page.html.add_child(Element(legend_html("Change", DIFF_COLOURS, DIFF_LABELS)))
    default_title = f"{d.layer} ({d.source}): {span}"
    page.html.add_child(Element(banner_html(title or default_title, top=True)))
    if notice:
        page.html.add_child(Element(banner_html(notice, top=False)))
    credit = credit_line((d.source_from, d.source_to), attribution)
    page.html.add_child(Element(attribution_script(fmap.get_name(), credit)))
    return fmap


# --- pieces of the diff map -------------------------------------------------------------


def _add_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, kind: str, name: str) -> None:
    colour = DIFF_COLOURS[kind]
    opacity = 0.35 if kind == "unchanged" else 0.7

    def style(_: Any) -> dict[str, Any]:
        return {"fillColor": colour, "color": colour, "weight": 1, "fillOpacity": opacity}

    folium.GeoJson(
        frame.to_json(drop_id=True),
        name=escape_text(name),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["change", "area", "region"], aliases=["Change", "Area km²", "Region"]
        ),
    ).add_to(fmap)


def _region_name(value: Any) -> str | None:
    """Return the region of a patch; ``None`` for ground in no region (None or NaN in frames)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _km2_text(value: float) -> str:
    return f"{value:,.4f}" if abs(value) < 0.01 else f"{value:,.2f}"


def _fit(d: Diff, regions: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    geoms = [g for g in (d.geometry_from, d.geometry_to) if not g.is_empty]
    if geoms:
        return _leaflet_bounds(shapely.bounds(shapely.union_all(geoms)))
    if regions is not None and not regions.empty:
        frame = regions.to_crs(WGS84) if regions.crs is not None else regions
        return _leaflet_bounds(frame.total_bounds)
    return None


def _leaflet_bounds(box: Any) -> list[list[float]]:
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    return [[ymin, xmin], [ymax, xmax]]


def _largest(d: Diff, top_n: int) -> list[tuple[str, float, str | None, list[list[float]]]]:
    """(change, km², region, [[s, w], [n, e]]) of the ``top_n`` largest kept patches."""
    table = d.largest_changes(max(top_n, 0))
    patches = d.to_geodataframe()  # kept patches in the order largest_changes ranks them
    order = np.argsort(-patches["area_km2"].to_numpy(), kind="stable")[: len(table)]
    boxes = shapely.bounds(np.asarray(patches.geometry.values, dtype=object)[order])
    areas = table["area_km2"].to_numpy(dtype=float)
    columns = zip(table["change"], areas, table["region"], boxes, strict=True)
    return [
        (str(kind), float(area), _region_name(region), _leaflet_bounds(box))
        for kind, area, region, box in columns
    ]


def _region_rows(d: Diff) -> tuple[str, int]:
    shown = [
        r for r in d.regions
        if max(r.area_from_km2, r.area_to_km2, r.gained_km2, r.lost_km2) > _ZERO_KM2
    ]  # fmt: skip
    rows = "".join(
        f'<tr class="geo-region" data-region="{escape_text(r.region)}">'
        f"<td>{escape_text(r.region)}</td>{_cells(r.gained_km2, r.lost_km2, r.net_km2)}</tr>"
        for r in shown
    )
    if d.regions:
        outside = d.to_dict()["outside_regions"]
        if max(abs(outside["gained_km2"]), abs(outside["lost_km2"])) >= _SHOWN_KM2:
            net = outside["gained_km2"] - outside["lost_km2"]
            rows += (
                '<tr class="geo-outside"><td><i>outside the regions</i></td>'
                f"{_cells(outside['gained_km2'], outside['lost_km2'], net)}</tr>"
            )
    return rows, len(d.regions) - len(shown)


def _cells(gained: float, lost: float, net: float) -> str:
    return (
        f'<td style="text-align:right">{gained:,.2f}</td>'
        f'<td style="text-align:right">{lost:,.2f}</td>'
        f'<td style="text-align:right">{round(net, 2) + 0.0:+,.2f}</td>'
    )


def _panel_html(
    d: Diff,
    panel_id: str,
    largest: list[tuple[str, float, str | None, list[list[float]]]],
    places_html: str,
) -> str:
    region_rows, n_skipped = _region_rows(d)
    totals = _cells(d.gained_km2, d.lost_km2, d.net_km2)
    total = f'<tr class="geo-total"><th>Total</th>{totals}</tr>'
    skipped = (
        f"<div>{n_skipped} region(s) with nothing held at either date not shown.</div>"
        if n_skipped
        else ""
    )
    head = "<tr><th>Region</th><th>Gained km²</th><th>Lost km²</th><th>Net km²</th></tr>"
    if largest:
        change_rows = "".join(
            f'<tr class="geo-change" data-geo-change="{i}" tabindex="0" role="button" '
            f'style="cursor:pointer" title="zoom to this patch">'
            f'<td>{i + 1}</td><td style="color:{DIFF_COLOURS[kind]}">{escape_text(kind)}</td>'
            f'<td style="text-align:right">{_km2_text(area)}</td>'
            f"<td>{escape_text(region) if region is not None else '—'}</td></tr>"
            for i, (kind, area, region, _) in enumerate(largest)
        )
        changes = (
            "<b>Largest changes</b> (click to zoom)<table class='geo-changes'>"
            "<tr><th>#</th><th>Change</th><th>km²</th><th>Region</th></tr>"
            f"{change_rows}</table>"
        )
    elif d.patches.kept.any():
        changes = ""  # top_n=0: the caller asked for no list
    else:
        changes = "<b>Largest changes</b><div>No change above the sliver filter.</div>"
    notes = "".join(f"<div>Note: {escape_text(note)}</div>" for note in d.notes)
    places = (
        f'<div class="geo-places-panel" style="margin-top:6px">{places_html}</div>'
        if places_html
        else ""
    )
    return (
        f'<div id="{panel_id}" class="geo-diff-panel" style="position:fixed;top:60px;right:10px;'
        "z-index:9999;background:white;padding:6px 8px;border:1px solid #999;"
        'font:12px sans-serif;max-width:360px;max-height:calc(100% - 200px);overflow:auto">'
        f"<b>{escape_text(d.layer)}</b> ({escape_text(d.source)})<br>"
        f"{d.date_from.isoformat()} → {d.date_to.isoformat()} "
        f"({(d.date_to - d.date_from).days} days)<br>"
        f"Held: {d.area_from_km2:,.2f} → {d.area_to_km2:,.2f} km²"
        f"<table class='geo-regions'>{head}{region_rows}{total}</table>{skipped}"
        f"{changes}{notes}{places}"
        f'<div style="color:#555;margin-top:4px">Areas: {escape_text(d.method)}. Slivers: '
        f"{escape_text(d.sliver_filter.description)}.</div></div>"
    )


def _zoom_script(
    map_name: str, panel_id: str, largest: list[tuple[str, float, str | None, list[list[float]]]]
) -> str:
    bounds = [box for *_, box in largest]
    selector = script_json(f"#{panel_id} tr[data-geo-change]")
    return (
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"var map={map_name};var bounds={script_json(bounds)};"
        f"var panel=document.getElementById({script_json(panel_id)});"
        f"var rows=document.querySelectorAll({selector});"
        "rows.forEach(function(row){"
        # keep the patch clear of the panel on the right (at most half the map)
        "function go(){var right=Math.min(panel.offsetWidth+30,map.getSize().x/2);"
        "map.fitBounds(bounds[+row.getAttribute('data-geo-change')],"
        f"{{maxZoom:{_MAX_ZOOM},paddingTopLeft:[20,60],paddingBottomRight:[right,20]}});}}"
        "row.addEventListener('click',go);"
        "row.addEventListener('keydown',function(e){"
        "if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});"
        "});});</script>"
    )
