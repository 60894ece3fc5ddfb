"""Snapshot map: one date, chosen layers, a legend and region outlines.

Built on folium. Every string that comes from data (layer names, labels,
sources, file names) is escaped with :func:`html.escape` before it reaches the
page, because folium inserts tooltip and popup text as raw HTML.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure

from geo.layers import CANONICAL_LAYERS, layer_colour
from geo.snapshot import Snapshot

DEFAULT_TILES = "OpenStreetMap"


def _style(colour: str) -> Any:
    def style(_: Any) -> dict[str, Any]:
        return {"fillColor": colour, "color": colour, "weight": 1, "fillOpacity": 0.5}

    return style


def snapshot_map(
    snapshots: Sequence[Snapshot],
    *,
    regions: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    attribution: str | None = None,
) -> folium.Map:
    """Make a folium map of snapshots (normally one date, several layers).

    Parameters
    ----------
    snapshots
        Snapshots to draw, one map layer each, toggled by a layer control.
    regions
        Region outlines with a ``region`` (or ``name``) column, drawn as
        dashed outlines with their names as tooltips.
    title
        Heading shown at the top of the map.
    notice
        A banner that must stay visible (e.g. the synthetic-data notice).
    tiles
        Basemap name understood by folium, or ``None`` for no tiles.
    attribution
        Data attribution added to the map's attribution control.

    Returns
    -------
    folium.Map
    """
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    if tiles:
        folium.TileLayer(tiles, name="basemap", control=False).add_to(fmap)
    bounds: list[float] | None = None
    for snap in snapshots:
        if snap.features.empty:
            continue
        colour = layer_colour(snap.layer)
        text = (
            f"{snap.layer} · {snap.date.isoformat()} · {snap.area_km2:,.1f} km² · "
            f"source: {snap.source}"
        )
        layer = folium.GeoJson(
            snap.features[["geometry"]].to_json(),
            name=html.escape(f"{snap.layer} {snap.date.isoformat()}"),
            style_function=_style(colour),
            tooltip=folium.Tooltip(html.escape(text)),
        )
        layer.add_to(fmap)
        xmin, ymin, xmax, ymax = snap.features.total_bounds
        bounds = (
            [xmin, ymin, xmax, ymax]
            if bounds is None
            else [min(bounds[0], xmin), min(bounds[1], ymin),
                  max(bounds[2], xmax), max(bounds[3], ymax)]
        )  # fmt: skip
    if regions is not None and not regions.empty:
        _add_regions(fmap, regions)
        if bounds is None:
            rxmin, rymin, rxmax, rymax = regions.total_bounds
            bounds = [rxmin, rymin, rxmax, rymax]
    if bounds is not None:
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.LayerControl(collapsed=False).add_to(fmap)
    layers = list(dict.fromkeys(s.layer for s in snapshots))
    page = fmap.get_root()
    assert isinstance(page, Figure)
    page.html.add_child(Element(_legend_html(layers)))
    if title:
        page.html.add_child(Element(_banner_html(title, top=True)))
    if notice:
        page.html.add_child(Element(_banner_html(notice, top=False)))
    if attribution:
        page.html.add_child(Element(_attribution_script(fmap, attribution)))
    return fmap


def _add_regions(fmap: folium.Map, regions: gpd.GeoDataFrame) -> None:
    name_column = "region" if "region" in regions.columns else "name"
    group = folium.FeatureGroup(name="regions")
    for name, geometry in zip(regions[name_column], regions.geometry, strict=True):
        folium.GeoJson(
            gpd.GeoSeries([geometry], crs=regions.crs).to_crs("EPSG:4326").to_json(),
            style_function=lambda _: {"fill": False, "color": "#333333",
                                      "weight": 1.5, "dashArray": "4 4"},
            tooltip=folium.Tooltip(html.escape(str(name))),
        ).add_to(group)  # fmt: skip
    group.add_to(fmap)


def _legend_html(layers: Sequence[str]) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{layer_colour(layer)};opacity:0.7"></span>{html.escape(layer)}'
        f"{' (unknown layer)' if layer not in CANONICAL_LAYERS else ''}</div>"
        for layer in layers
    )
    return (
        '<div class="geo-legend" style="position:fixed;bottom:30px;left:10px;z-index:9999;'
        'background:white;padding:6px 8px;border:1px solid #999;font:12px sans-serif">'
        f"<b>Layers</b>{rows}</div>"
    )


def _banner_html(text: str, *, top: bool) -> str:
    where = "top:10px" if top else "bottom:30px"
    weight = "bold" if not top else "normal"
    css_class = "geo-title" if top else "geo-notice"
    return (
        f'<div class="{css_class}" style="position:fixed;{where};left:50%;'
        "transform:translateX(-50%);z-index:9999;background:#fff3cd;border:2px solid #b58900;"
        f'padding:4px 10px;font:14px sans-serif;font-weight:{weight}">{html.escape(text)}</div>'
    )


def _attribution_script(fmap: folium.Map, attribution: str) -> str:
    # json.dumps-style quoting is not enough inside <script>: escape '<' too.
    import json

    text = json.dumps(attribution).replace("<", "\\u003c")
    return (
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"var m={fmap.get_name()};m.attributionControl.addAttribution({text});}});</script>"
    )


def save_map(fmap: folium.Map, path: str | Path) -> Path:
    """Write a folium map to ``path`` atomically and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        fmap.save(tmp)
        # mkstemp creates 0600; a published map should get the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
