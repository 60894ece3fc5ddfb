"""Ledger map: places sized and coloured by how often they changed hands (:mod:`geo.ledger`).

One circle per place of a :attr:`geo.ledger.Ledger.summary` (one source) that
changed hands at least ``min_changes`` times: the more changes, the larger and
darker. The colours are a neutral purple ramp, not the red and blue of gains,
because a change of hands can go either way. Tooltips give the place (names
escaped: they come from GeoNames files), its oblast, the number of changes,
the first and last of them and whether the place was inside the layer on the
last date. The credit line names the source's publisher and GeoNames (CC BY 4.0).
Public through :mod:`geo.render`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from geo.errors import ValidationError
from geo.gazetteer import ATTRIBUTION
from geo.publishers import credit_line, display_name, notice_for
from geo.render.credits import attribution_script
from geo.render.labels import Lang, format_date_range, layer_name, word
from geo.render.layout import RawHTML
from geo.render.snapshot import DEFAULT_TILES, add_region_outlines, add_tiles
from geo.render.style import banner_html, legend_box_html
from geo.text import escape_text

#: Lowest number of changes of each colour class, and its fill (light to dark purple).
CHANGE_CLASSES: tuple[tuple[int, str], ...] = (
    (1, "#9e9ac8"),
    (2, "#807dba"),
    (3, "#6a51a3"),
    (4, "#54278f"),
    (6, "#2d004b"),
)
_NEEDED = ("name", "lon", "lat", "n_changes", "source")


def change_class(n_changes: int) -> tuple[str, str]:
    """Return the fill colour and legend label of a number of changes.

    Examples
    --------
    >>> change_class(1), change_class(5), change_class(12)
    (('#9e9ac8', '1'), ('#54278f', '4-5'), ('#2d004b', '6+'))
    """
    chosen = 0
    for index, (low, _) in enumerate(CHANGE_CLASSES):
        if n_changes >= low:
            chosen = index
    low, colour = CHANGE_CLASSES[chosen]
    if chosen == len(CHANGE_CLASSES) - 1:
        return colour, f"{low}+"
    high = CHANGE_CLASSES[chosen + 1][0] - 1
    return colour, str(low) if high == low else f"{low}-{high}"


def marker_radius(n_changes: int) -> float:
    """Circle radius in pixels: grows with the square root of the changes, 4 to 14."""
    return min(4.0 + 3.0 * math.sqrt(max(n_changes, 1) - 1), 14.0)


def ledger_map(
    summary: pd.DataFrame,
    *,
    source: str | None = None,
    layer: str = "russian_control",
    min_changes: int = 1,
    regions: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    lang: Lang = "en",
    notice: str | None = None,
    tiles: str | None = DEFAULT_TILES,
    attribution: str | None = None,
) -> folium.Map:
    """Map places by how often they changed hands, from a ledger's summary.

    Parameters
    ----------
    summary
        :attr:`geo.ledger.Ledger.summary` (columns ``name``, ``lon``, ``lat``,
        ``n_changes``, ``source`` and, if present, ``name_uk``, ``oblast``,
        ``first_change``, ``last_change``, ``inside_last``, ``first_date``,
        ``last_date``).
    source
        The source to map; needed when the summary holds several.
    layer
        The control layer the ledger tested (for the title).
    min_changes
        Only places that changed hands at least this often (1 or more).
    regions
        Region outlines, dashed and labelled.
    title
        Heading; default "Places by number of changes of hands: <layer>,
        <publisher>, <first date> → <last date>".
    lang
        Language of the title, legend and tooltips.
    notice
        A banner that must stay visible (a source's own notice leads it).
    tiles
        xyzservices basemap name, or ``None`` for none.
    attribution
        Extra credit after the data and GeoNames credit.

    Returns
    -------
    folium.Map
        Write it with :func:`geo.render.save_html`.

    Raises
    ------
    ValidationError
        Missing columns, several sources and no ``source=``, or ``min_changes`` below 1.

    Examples
    --------
    >>> import datetime
    >>> import pandas as pd
    >>> from geo.render import ledger_map, save_html
    >>> summary = pd.DataFrame([
    ...     {"name": "Frontville", "lon": 37.6, "lat": 48.3, "n_changes": 3, "source": "isw",
    ...      "first_date": datetime.date(2024, 1, 1), "last_date": datetime.date(2025, 1, 1)},
    ...     {"name": "Quiet", "lon": 36.0, "lat": 49.0, "n_changes": 0, "source": "isw",
    ...      "first_date": datetime.date(2024, 1, 1), "last_date": datetime.date(2025, 1, 1)}])
    >>> page = save_html(ledger_map(summary, tiles=None))
    >>> "Frontville" in page, "Quiet" in page, "GeoNames" in page
    (True, False, True)
    """
    missing = [column for column in _NEEDED if column not in summary.columns]
    problems = [f"the summary has no column {c!r}: pass Ledger.summary" for c in missing]
    if not isinstance(min_changes, int) or min_changes < 1:
        problems.append(f"min_changes={min_changes!r}: pass a whole number of at least 1")
    sources = sorted({str(s) for s in summary["source"]}) if "source" in summary.columns else []
    if source is None and len(sources) > 1:
        problems.append(f"the summary holds sources {', '.join(sources)}; pass source= to pick one")
    if problems:
        msg = "cannot map the ledger"
        raise ValidationError(msg, problems)
    chosen = source if source is not None else (sources[0] if sources else "")
    rows = summary[(summary["source"] == chosen) & (summary["n_changes"] >= min_changes)]
    rows = rows.sort_values("n_changes", kind="stable")  # the most changed drawn on top
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)  # a tight frame
    add_tiles(fmap, tiles)
    if regions is not None and not regions.empty:
        add_region_outlines(fmap, regions, lang=lang)
    label = word("places_by_changes", lang)
    group = folium.FeatureGroup(name=escape_text(f"{label} ({len(rows):,})"))
    for row in rows.to_dict("records"):
        n = int(row["n_changes"])
        colour, _ = change_class(n)
        folium.CircleMarker(
            location=[float(row["lat"]), float(row["lon"])],
            radius=marker_radius(n),
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=_tooltip(row, lang),
        ).add_to(group)
    group.add_to(fmap)
    if not rows.empty:
        fmap.fit_bounds(
            [[rows["lat"].min(), rows["lon"].min()], [rows["lat"].max(), rows["lon"].max()]],
            padding_top_left=(20, 60),
            padding_bottom_right=(20, 90),
            max_zoom=11,
        )
    elif regions is not None and not regions.empty:
        west, south, east, north = regions.total_bounds
        fmap.fit_bounds([[south, west], [north, east]])
    folium.LayerControl(collapsed=True).add_to(fmap)  # small: the legend explains
    page = fmap.get_root()
    assert isinstance(page, Figure)
    page.html.add_child(RawHTML(_legend_html(rows, lang)))
    heading = title or _title(summary, chosen, layer, lang)
    page.html.add_child(RawHTML(banner_html(heading, top=True)))
    shown = notice_for([chosen], notice)
    if shown:
        page.html.add_child(RawHTML(banner_html(shown, top=False)))
    extra = f"{ATTRIBUTION}{' · ' + attribution if attribution else ''}"
    credit = credit_line([chosen], extra)
    page.html.add_child(RawHTML(attribution_script(fmap.get_name(), credit)))
    return fmap


def _title(summary: pd.DataFrame, source: str, layer: str, lang: Lang) -> str:
    parts = [word("places_by_changes", lang)]
    what = ", ".join(
        p for p in (layer_name(layer, lang), display_name(source) if source else "") if p
    )
    rows = summary[summary["source"] == source]
    if {"first_date", "last_date"} <= set(rows.columns) and not rows.empty:
        first, last = rows["first_date"].min(), rows["last_date"].max()
        if not (pd.isna(first) or pd.isna(last)):
            what += f", {format_date_range(first, last, lang)}"
    return f"{parts[0]}: {what}"


def _text(row: Mapping[Hashable, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _tooltip(row: Mapping[Hashable, Any], lang: Lang) -> str:
    name = escape_text(row["name"])
    uk = _text(row, "name_uk")
    if uk and uk != row["name"]:
        name += f" ({escape_text(uk)})"
    lines = [f"<b>{name}</b>"]
    if oblast := _text(row, "oblast"):
        lines.append(escape_text(oblast))
    lines.append(escape_text(f"{word('changes_of_hands', lang)}: {int(row['n_changes'])}"))
    first, last = _text(row, "first_change"), _text(row, "last_change")
    if first and last:
        lines.append(escape_text(first if first == last else f"{first} … {last}"))
    inside = row.get("inside_last")
    if isinstance(inside, bool):
        answer = {"en": ("yes", "no"), "uk": ("так", "ні")}[lang][0 if inside else 1]
        lines.append(escape_text(f"{word('held_last', lang)}: {answer}"))
    return "<br>".join(lines)


def _legend_html(rows: pd.DataFrame, lang: Lang) -> str:
    top = int(rows["n_changes"].max()) if not rows.empty else 1
    items = []
    for low, _ in CHANGE_CLASSES:
        if low > top:
            break
        colour, text = change_class(low)
        size = 2 * marker_radius(low)
        items.append(
            f'<div style="display:flex;align-items:center;margin:2px 0">'
            f'<span style="display:inline-block;width:{size:.0f}px;height:{size:.0f}px;'
            f"border-radius:50%;background:{colour};border:1px solid #fff;margin:0 6px 0 "
            f'{14 - size / 2:.0f}px"></span>{escape_text(text)}</div>'
        )
    return legend_box_html("".join(items), word("changes_of_hands", lang))
