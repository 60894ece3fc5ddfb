"""Snapshot map: one date, chosen layers, a legend and region outlines.

Built on folium. Every string that comes from data (layer names, labels,
sources, file names) is escaped with :func:`geo.text.escape_text` before it reaches the
page, because folium inserts tooltip and popup text as raw HTML. Public through
:mod:`geo.render`.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
import xyzservices
from branca.element import Element, Figure

from geo.errors import BasemapError
from geo.geometry import WGS84
from geo.layers import CANONICAL_LAYERS, layer_colour
from geo.publishers import credit_line, notice_for
from geo.render.credits import attribution_script
from geo.snapshot import Snapshot
from geo.text import escape_text

DEFAULT_TILES = "OpenStreetMap"


def _style(colour: str) -> Any:
    def style(_: Any) -> dict[str, Any]:
        return {"fillColor": colour, "color": colour, "weight": 1, "fillOpacity": 0.5}

    return style


def snapshot_map(
    snapshots: Snapshot | Sequence[Snapshot],
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
        A snapshot, or several: one map layer each, toggled by a layer control,
        in the palette of :mod:`geo.layers`.
    regions
        Region outlines with a ``region`` (or ``name``) column, drawn as
        dashed outlines labelled with their names.
    title
        Heading shown at the top of the map; default none.
    notice
        A banner that must stay visible. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    tiles
        xyzservices basemap name (see :func:`tile_layer`), or ``None`` or
        ``"none"`` for no tiles.
    attribution
        Extra credit added after the data credit (:func:`geo.publishers.credit_line`
        of the snapshots' sources) in the map's attribution control.

    Returns
    -------
    folium.Map
        Displays inline in Jupyter; write it with :func:`geo.render.save_html`.

    Raises
    ------
    BasemapError
        ``tiles`` names no keyless xyzservices provider.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import save_html, snapshot_map
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snap = Snapshot("isw", "russian_control", datetime.date(2025, 6, 1),
    ...                 make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("mine.geojson"))
    >>> fmap = snapshot_map(snap, title="Donetsk, 1 June 2025", tiles=None)
    >>> page = save_html(fmap)
    >>> "Data: Institute for the Study of War (ISW)" in page and "Donetsk, 1 June 2025" in page
    True
    """
    snapshots = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
    notice = notice_for((s.source for s in snapshots), notice)
    basemap = tile_layer(tiles)
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    if basemap is not None:
        basemap.add_to(fmap)
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
            name=escape_text(f"{snap.layer} {snap.date.isoformat()}"),
            style_function=_style(colour),
            tooltip=folium.Tooltip(escape_text(text)),
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
        add_region_outlines(fmap, regions)
        if bounds is None:
            rxmin, rymin, rxmax, rymax = regions.total_bounds
            bounds = [rxmin, rymin, rxmax, rymax]
    if bounds is not None:
        # Room for the title banner above and the notice below.
        fmap.fit_bounds(
            [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
            padding_top_left=(20, 60),
            padding_bottom_right=(20, 60),
        )
    folium.LayerControl(collapsed=False).add_to(fmap)
    layers = list(dict.fromkeys(s.layer for s in snapshots))
    page = fmap.get_root()
    assert isinstance(page, Figure)
    page.html.add_child(Element(_legend_html(layers)))
    if title:
        page.html.add_child(Element(_banner_html(title, top=True)))
    if notice:
        page.html.add_child(Element(_banner_html(notice, top=False)))
    credit = credit_line((s.source for s in snapshots), attribution)
    page.html.add_child(Element(attribution_script(fmap.get_name(), credit)))
    return fmap


def add_region_outlines(
    fmap: folium.Map,
    regions: gpd.GeoDataFrame,
    *,
    tolerance_deg: float = 0.0,
    precision: int | None = None,
) -> None:
    """Draw regions as dashed outlines, labelled with their names (``region`` or ``name``).

    The one region renderer of every map kind: names are permanent, centred
    labels (class ``geo-region-label``), escaped.

    Parameters
    ----------
    fmap
        Map to draw on.
    regions
        Region boundaries; without a ``region`` or ``name`` column they get no labels.
    tolerance_deg
        Simplify the outlines (topology kept) by this many degrees; 0 draws them as given.
    precision
        Round coordinates to this many decimals; ``None`` keeps them.
    """
    column = "region" if "region" in regions.columns else "name"
    frame = regions.to_crs(WGS84) if regions.crs is not None else regions
    names = [str(n) for n in frame[column]] if column in frame.columns else [""] * len(frame)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if tolerance_deg > 0:  # the timeline simplifies them like its layers, to stay small
        geoms = shapely.simplify(geoms, tolerance_deg)
    if precision is not None:
        geoms = shapely.set_precision(geoms, 10.0**-precision)
    group = folium.FeatureGroup(name="regions")
    for name, geometry in zip(names, geoms, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        label = (
            folium.Tooltip(escape_text(name), permanent=True, direction="center",
                           class_name="geo-region-label")
            if name
            else None
        )  # fmt: skip
        folium.GeoJson(
            gpd.GeoSeries([geometry], crs=WGS84).to_json(),
            style_function=lambda _: {"fill": False, "color": "#333333",
                                      "weight": 1.5, "dashArray": "4 4"},
            tooltip=label,
        ).add_to(group)  # fmt: skip
    group.add_to(fmap)


def _legend_html(layers: Sequence[str]) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{layer_colour(layer)};opacity:0.7"></span>{escape_text(layer)}'
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
        f'padding:4px 10px;font:14px sans-serif;font-weight:{weight}">{escape_text(text)}</div>'
    )


def _norm(name: str) -> str:
    return re.sub(r"[\s._-]", "", name.lower())


def tile_layer(name: str | None, *, api_key: str | None = None) -> folium.TileLayer | None:
    """Return a basemap layer from an xyzservices provider name, with its attribution.

    Parameters
    ----------
    name
        Provider name such as ``"OpenStreetMap"``, ``"CartoDB.Positron"`` or
        ``"Esri.WorldImagery"`` (case, dots and spaces are ignored; a group
        name means its first provider). ``None`` or ``"none"``: no tiles.
    api_key
        Key for providers that need one.

    Returns
    -------
    folium.TileLayer or None
    """
    if name is None or _norm(name) in {"", "none", "off"}:
        return None
    table: dict[str, xyzservices.TileProvider] = {}
    for full, provider in xyzservices.providers.flatten().items():
        table.setdefault(_norm(full), provider)
        table.setdefault(_norm(full.split(".")[0]), provider)
    provider = table.get(_norm(name))
    if provider is None:
        names = list(xyzservices.providers.flatten())
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        msg = (
            f"unknown basemap {name!r}; {hint}try OpenStreetMap, Esri.WorldImagery, "
            "OpenTopoMap, CartoDB.Positron (needs a key) or 'none' "
            f"({len(names)} names: see xyzservices.providers)"
        )
        raise BasemapError(msg)
    if provider.requires_token():
        if not api_key:
            msg = (
                f"basemap {provider.name} needs an API key: pass one, or use OpenStreetMap "
                "or 'none'"
            )
            raise BasemapError(msg)
        provider = provider(apikey=api_key)
    attribution = provider.get("html_attribution") or html.escape(provider.get("attribution", ""))
    return folium.TileLayer(
        provider, attr=attribution or provider.name, name=provider.name, control=False
    )
