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
from collections.abc import Callable, Sequence
from typing import Any

import folium
import geopandas as gpd
import xyzservices

from geo.errors import BasemapError
from geo.layers import CANONICAL_LAYERS, layer_colour
from geo.publishers import credit_line, display_name, notice_for
from geo.render.credits import attribution_script
from geo.render.labels import Lang, format_date, format_km2, layer_name, word
from geo.render.layout import (
    LegendRow,
    RawHTML,
    add_framing,
    add_legend,
    header_html,
    leaflet_bounds,
    map_page,
    merge_bounds,
    new_map,
    title_for,
)
from geo.render.outlines import add_region_outlines, add_regions_near
from geo.snapshot import Snapshot
from geo.text import escape_text

__all__ = [
    "DEFAULT_TILES",
    "add_region_outlines",
    "add_tiles",
    "fill_style",
    "snapshot_map",
    "tile_layer",
]

DEFAULT_TILES = "OpenStreetMap"


def snapshot_map(
    snapshots: Snapshot | Sequence[Snapshot],
    *,
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    attribution: str | None = None,
    lang: Lang = "en",
) -> folium.Map:
    """Make a folium map of snapshots (normally one date, several layers).

    Parameters
    ----------
    snapshots
        A snapshot, or several: one map layer each, toggled by a layer control,
        in the palette of :mod:`geo.layers`.
    regions
        Region outlines with a ``region`` (or ``name``) column, drawn dashed
        and labelled (labels that would overlap are dropped, the larger
        region's kept). Only the regions that hold or border the layers are
        drawn (:func:`geo.region_select.select_regions`).
    region_names
        Draw these regions instead (any name or code
        :func:`geo.regions.resolve_region` accepts).
    title
        Heading; default the layers, publishers and date in words
        (:func:`geo.render.labels.map_title`).
    subtitle
        A line under the title; default none.
    notice
        A banner that must stay visible. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    tiles
        xyzservices basemap name (see :func:`tile_layer`), or ``None`` or
        ``"none"`` for no tiles.
    attribution
        Extra credit added after the data credit (:func:`geo.publishers.credit_line`
        of the snapshots' sources) in the map's attribution control.
    lang
        Language of every word on the map: ``"en"`` or ``"uk"``.

    Returns
    -------
    folium.Map
        Displays inline in Jupyter; write it with :func:`geo.render.save_html`.
        The map is framed on the layers, clear of the header and legend.

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
    >>> from geo.render import save_html, snapshot_map
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snap = Snapshot("isw", "russian_control", datetime.date(2025, 6, 1),
    ...                 make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("mine.geojson"))
    >>> page = save_html(snapshot_map(snap, tiles=None))
    >>> "Russian-controlled territory, Institute for the Study of War (ISW), 1 Jun 2025" in page
    True
    >>> "Data: Institute for the Study of War (ISW)" in page
    True
    >>> "1 червня 2025" in save_html(snapshot_map(snap, tiles=None, lang="uk"))
    True
    """
    snapshots = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
    word("layers", lang)  # an unknown language fails before any work
    notice = notice_for((s.source for s in snapshots), notice)
    fmap = new_map()
    add_tiles(fmap, tiles)
    page = map_page(fmap)
    focus: list[list[float]] | None = None
    for snap in snapshots:
        if snap.features.empty:
            continue
        text = (
            f"{layer_name(snap.layer, lang)} · {format_date(snap.date, lang)} · "
            f"{format_km2(snap.area_km2, lang)} · {display_name(snap.source)}"
        )
        folium.GeoJson(
            snap.features[["geometry"]].to_json(),
            name=escape_text(f"{layer_name(snap.layer, lang)}, {format_date(snap.date, lang)}"),
            style_function=fill_style(layer_colour(snap.layer)),
            tooltip=folium.Tooltip(escape_text(text)),
        ).add_to(fmap)
        focus = merge_bounds(focus, leaflet_bounds(snap.features.total_bounds))
    outlined = add_regions_near([fmap], regions, names=region_names, near=snapshots, lang=lang)
    focus = focus if focus is not None else outlined
    folium.LayerControl(collapsed=False, position="bottomright").add_to(fmap)
    add_legend(fmap, word("layers", lang), _legend_rows(snapshots, lang))
    if snapshots:
        days = sorted({s.date for s in snapshots})
        default = title_for((s.layer for s in snapshots), (s.source for s in snapshots),
                            days[0], days[-1], lang)  # fmt: skip
    else:
        default = word("layers", lang)
    page.html.add_child(RawHTML(header_html(title or default, subtitle, notice)))
    credit = credit_line((s.source for s in snapshots), attribution)
    page.html.add_child(RawHTML(attribution_script(fmap.get_name(), credit)))
    add_framing(page, [fmap], focus)
    return fmap


def _legend_rows(snapshots: Sequence[Snapshot], lang: Lang) -> list[LegendRow]:
    """One row per layer; its area when the map shows it at one date."""
    rows = []
    for layer in dict.fromkeys(s.layer for s in snapshots):
        shown = [s for s in snapshots if s.layer == layer]
        label = layer_name(layer, lang)
        if layer not in CANONICAL_LAYERS:
            label += f" ({word('unknown_layer', lang)})"
        area = format_km2(shown[0].area_km2, lang) if len(shown) == 1 else None
        rows.append(LegendRow(layer_colour(layer), label, area, opacity=0.5))
    return rows


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


def add_tiles(fmap: folium.Map, tiles: str | None) -> None:
    """Add the basemap ``tiles`` names (:func:`tile_layer`) to ``fmap``; ``None`` adds none.

    Each map gets its own layer: a Leaflet layer belongs to one map.
    """
    basemap = tile_layer(tiles)
    if basemap is not None:
        basemap.add_to(fmap)


def fill_style(colour: str, opacity: float = 0.5) -> Callable[[Any], dict[str, Any]]:
    """Return a folium ``style_function`` filling shapes with ``colour``, outlined in it.

    Examples
    --------
    >>> fill_style("#c0392b", 0.7)(None)["fillOpacity"]
    0.7
    """

    def style(_: Any) -> dict[str, Any]:
        return {"fillColor": colour, "color": colour, "weight": 1, "fillOpacity": opacity}

    return style
