"""Front-line map: the contact line(s) of :func:`geo.frontline.frontline` on a folium map.

The latest line is drawn solid and dark, earlier ones dashed orange, over the
control layer's area (optional, lightly filled) and region outlines. Title,
legend and figures are in words readers use (:mod:`geo.render.labels`); the
data credit and a source's notice come from :mod:`geo.publishers`. Every
string that comes from data is escaped. Public through :mod:`geo.render`.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
from branca.element import Figure
from shapely.geometry import mapping

from geo.errors import ValidationError
from geo.frontline import Frontline
from geo.geometry import WGS84
from geo.layers import layer_colour
from geo.publishers import credit_line, display_name, notice_for
from geo.render.credits import attribution_script
from geo.render.labels import Lang, format_date, format_number, layer_name, map_title, word
from geo.render.layout import RawHTML
from geo.render.snapshot import DEFAULT_TILES, add_region_outlines, add_tiles
from geo.render.style import banner_html, legend_box_html
from geo.snapshot import Snapshot
from geo.text import escape_text

#: The latest line, and the earlier ones.
LINE_STYLES = {
    "latest": {"color": "#111111", "weight": 3, "opacity": 0.95},
    "earlier": {"color": "#e08214", "weight": 2.5, "opacity": 0.9, "dashArray": "6 5"},
}


def frontline_map(
    fronts: Frontline | Sequence[Frontline],
    *,
    area: Snapshot | None = None,
    regions: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    lang: Lang = "en",
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    attribution: str | None = None,
) -> folium.Map:
    """Draw contact lines (the latest solid, earlier ones dashed) on a folium map.

    Parameters
    ----------
    fronts
        One :class:`~geo.frontline.Frontline` or several (e.g. a date and a
        ``--since`` date); drawn oldest first, the latest on top.
    area
        The control layer the latest line bounds, lightly filled underneath.
    regions
        Region outlines (``region`` or ``name`` column), dashed and labelled.
    title
        Heading; default "Contact line: <layer>, <publisher>, <dates>".
    lang
        Language of the title, legend and tooltips (``"en"`` or ``"uk"``).
    notice
        A banner that must stay visible; a source's own notice (the synthetic
        sample's) always leads it.
    tiles
        xyzservices basemap name, or ``None`` for none.
    attribution
        Extra credit after the data credit.

    Returns
    -------
    folium.Map
        Write it with :func:`geo.render.save_html`.

    Raises
    ------
    ValidationError
        No front given.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.frontline import frontline
    >>> from geo.render import frontline_map, save_html
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> area = Snapshot("deepstate", "russian_control", datetime.date(2025, 6, 1),
    ...                 make_features([box(37.5, 48.0, 38.0, 49.0)]), Provenance("x.geojson"))
    >>> front = frontline(area, box(37.0, 48.0, 38.0, 49.0))
    >>> page = save_html(frontline_map(front, area=area, tiles=None))
    >>> "Contact line: Russian-controlled territory, DeepStateMap.Live, 1 Jun 2025" in page
    True
    >>> "Data: DeepStateMap.Live" in page
    True
    """
    lines = [fronts] if isinstance(fronts, Frontline) else list(fronts)
    if not lines:
        msg = "nothing to draw"
        raise ValidationError(msg, ["fronts= is empty; pass at least one Frontline"])
    lines.sort(key=lambda f: (f.date is not None, f.date))
    latest = lines[-1]
    named = [*(f.source for f in lines), area.source if area is not None else None]
    sources = [s for s in dict.fromkeys(named) if s]
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)  # a tight frame
    add_tiles(fmap, tiles)
    if area is not None and not area.features.empty:
        folium.GeoJson(
            gpd.GeoSeries([area.geometry], crs=WGS84).to_json(),
            name=escape_text(f"{layer_name(area.layer, lang)}, {format_date(area.date, lang)}"),
            style_function=lambda _: {
                "fillColor": layer_colour(area.layer), "color": layer_colour(area.layer),
                "weight": 0, "fillOpacity": 0.25,
            },
        ).add_to(fmap)  # fmt: skip
    if regions is not None and not regions.empty:
        add_region_outlines(fmap, regions, lang=lang)
    legend: list[tuple[dict[str, object], str]] = []
    for front in lines:
        style = LINE_STYLES["latest" if front is latest else "earlier"]
        label = _line_label(front, lang)
        legend.append((style, label))
        if front.line.is_empty:
            continue
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": mapping(front.line)},
            name=escape_text(label),
            style_function=lambda _, style=style: dict(style),
            tooltip=folium.Tooltip(escape_text(_tooltip(front, lang))),
        ).add_to(fmap)
    _fit(fmap, lines, area)
    folium.LayerControl(collapsed=True).add_to(fmap)  # small: the legend explains
    page = fmap.get_root()
    assert isinstance(page, Figure)
    if area is not None:
        legend.append(({"fill": layer_colour(area.layer)}, layer_name(area.layer, lang)))
    page.html.add_child(RawHTML(_legend_html(legend)))
    page.html.add_child(RawHTML(banner_html(title or _title(lines, lang), top=True)))
    shown = notice_for(sources, notice)
    if shown:
        page.html.add_child(RawHTML(banner_html(shown, top=False)))
    page.html.add_child(
        RawHTML(attribution_script(fmap.get_name(), credit_line(sources, attribution)))
    )
    return fmap


def _title(lines: list[Frontline], lang: Lang) -> str:
    first, last = lines[0], lines[-1]
    sources = [f.source for f in lines if f.source]
    if last.layer is None or last.date is None or not sources:
        return word("contact_line", lang)
    start = first.date if first.date is not None else last.date
    return f"{word('contact_line', lang)}: {map_title(last.layer, sources, start, last.date, lang)}"


def _line_label(front: Frontline, lang: Lang) -> str:
    when = f", {format_date(front.date, lang)}" if front.date is not None else ""
    return f"{word('contact_line', lang)}{when} ({_km(front.length_km, lang)})"


def _km(value: float, lang: Lang) -> str:
    """Kilometres to the unit: ``1,241 km`` (``1 241 км``)."""
    return f"{format_number(value, lang)} {word('km', lang)}"


def _tooltip(front: Frontline, lang: Lang) -> str:
    parts = [_line_label(front, lang), display_name(front.source) if front.source else ""]
    return " · ".join(p for p in parts if p)


def _fit(fmap: folium.Map, lines: list[Frontline], area: Snapshot | None) -> None:
    bounds = [f.line.bounds for f in lines if not f.line.is_empty]
    if not bounds and area is not None and not area.features.empty:
        bounds = [tuple(area.features.total_bounds)]
    if not bounds:
        return
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    fmap.fit_bounds(
        [[south, west], [north, east]], padding_top_left=(20, 60), padding_bottom_right=(20, 90)
    )


def _legend_html(rows: list[tuple[dict[str, object], str]]) -> str:
    items = []
    for style, label in rows:
        if "fill" in style:
            swatch = (
                "display:inline-block;width:22px;height:12px;margin-right:6px;"
                f"background:{style['fill']};opacity:0.4"
            )
        else:
            dash = "dashed" if "dashArray" in style else "solid"
            swatch = (
                "display:inline-block;width:22px;height:0;margin:0 6px 3px 0;"
                f"border-top:{style['weight']}px {dash} {style['color']}"
            )
        items.append(f'<div><span style="{swatch}"></span>{escape_text(label)}</div>')
    return legend_box_html("".join(items))
