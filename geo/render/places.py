"""Places that changed hands on a folium map: labelled markers and a table for the diff panel.

:func:`add_places` draws each row of a :func:`geo.places.places_changed` frame
as a circle marker (colour by change) with a tooltip and popup giving name,
Ukrainian name, oblast, change, first-seen date and population.
:func:`places_table_html` makes the matching table for the diff map's panel.
Names come from files: everything is passed through :func:`geo.text.escape_text`.
:func:`geo.render.diff_map` draws both when given ``places=``; :func:`add_places`
is public through :mod:`geo.render` for any other folium map.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import folium
import pandas as pd

from geo.gazetteer import ATTRIBUTION
from geo.render.labels import CHANGE_COLOURS, Lang, word
from geo.text import escape_text

#: Marker colours by change unless given: Russian gains red, Ukrainian gains blue.
PLACE_COLOURS = {"gained": CHANGE_COLOURS["russia"], "lost": CHANGE_COLOURS["ukraine"]}


def _label(row: Mapping[Hashable, Any]) -> str:
    uk = row.get("name_uk")
    name = escape_text(str(row["name"]))
    if isinstance(uk, str) and uk != row["name"]:
        name += f" ({escape_text(uk)})"
    return name


def _change(row: Mapping[Hashable, Any], names: Mapping[str, str] | None) -> str:
    kind = str(row["change"])
    return (names or {}).get(kind, kind)


def _details(row: Mapping[Hashable, Any], names: Mapping[str, str] | None = None) -> str:
    oblast = row.get("oblast")
    pop = row.get("population")
    lines = [
        f"<b>{_label(row)}</b>",
        escape_text(f"{oblast if isinstance(oblast, str) else '?'} oblast"),
        escape_text(f"{_change(row, names)}; first seen {row['first_seen']}"),
        escape_text(f"{float(row['lat']):.4f} N {float(row['lon']):.4f} E"),
    ]
    if pop is not None and not pd.isna(pop):
        lines.append(escape_text(f"population {int(pop):,}"))
    lines.append(escape_text(f"GeoNames {row['geonames_id']}"))
    return "<br>".join(lines)


def add_places(
    fmap: folium.Map,
    places_frame: pd.DataFrame,
    *,
    limit: int | None = 500,
    colours: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    lang: Lang = "en",
) -> folium.FeatureGroup:
    """Add the changed places as labelled markers in their own toggleable layer.

    Parameters
    ----------
    fmap
        The map (e.g. from :func:`geo.render.diffmap.diff_map`).
    places_frame
        A :func:`geo.places.places_changed` frame.
    limit
        Draw at most this many (the frame is sorted largest first); ``None``
        for all.
    colours
        Marker fill by change (``gained``, ``lost``), e.g. the diff map's
        :func:`geo.render.labels.change_colours`; default red and blue.
    names
        Words for each change (``{"gained": "Russian gains", ...}``); default the raw value.
    lang
        Language of the layer's name.

    Returns
    -------
    folium.FeatureGroup
        The layer added, named "Places that changed hands (N)". Add it before
        a :class:`folium.LayerControl`, which lists only the layers it finds.

    Examples
    --------
    >>> import folium
    >>> import pandas as pd
    >>> from geo.render import add_places
    >>> places = pd.DataFrame([{
    ...     "name": "Frontville", "name_uk": "Фронтове", "oblast": "Donetsk", "change": "gained",
    ...     "first_seen": "2025-01-15", "lat": 48.3, "lon": 37.6, "population": 12000,
    ...     "geonames_id": 1}])
    >>> fmap = folium.Map(tiles=None)
    >>> add_places(fmap, places).layer_name
    'Places that changed hands (1)'
    """
    shown = places_frame if limit is None else places_frame.head(limit)
    count = (
        f"{len(shown)}" if len(shown) == len(places_frame)
        else f"the {len(shown)} largest of {len(places_frame)}"
    )  # fmt: skip
    fills = {**PLACE_COLOURS, **(colours or {})}
    group = folium.FeatureGroup(name=f"{word('places_changed', lang)} ({count})", show=True)
    for row in shown.to_dict("records"):
        colour = fills.get(str(row["change"]), "#444444")
        folium.CircleMarker(  # a ring: a town, not a patch of ground of the same colour
            location=[float(row["lat"]), float(row["lon"])],
            radius=4,
            color=colour,
            weight=2,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=0.95,
            tooltip=f"{_label(row)}: {escape_text(_change(row, names))} "
            f"{escape_text(str(row['first_seen']))}",
            popup=folium.Popup(_details(row, names), max_width=260),
        ).add_to(group)
    group.add_to(fmap)
    return group


def places_table_html(
    places_frame: pd.DataFrame,
    *,
    limit: int = 20,
    colours: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    lang: Lang = "en",
) -> str:
    """Return an HTML table (name, oblast, change, first seen) for the diff panel, credited.

    Parameters
    ----------
    places_frame
        A :func:`geo.places.places_changed` frame, sorted largest first.
    limit
        Rows listed; the rest are counted.
    colours, names, lang
        As in :func:`add_places`.

    Returns
    -------
    str
        HTML, every name escaped.
    """
    fills = {**PLACE_COLOURS, **(colours or {})}
    rows = []
    for row in places_frame.head(limit).to_dict("records"):
        colour = fills.get(str(row["change"]), "#444444")
        oblast = row["oblast"] if isinstance(row["oblast"], str) else "?"
        rows.append(
            f"<tr><td>{_label(row)}</td><td>{escape_text(oblast)}</td>"
            f'<td style="color:{colour}">{escape_text(_change(row, names))}</td>'
            f"<td>{escape_text(str(row['first_seen']))}</td></tr>"
        )
    more = len(places_frame) - limit
    tail = f"<div>… +{more}</div>" if more > 0 else ""
    head = "".join(
        f"<th>{escape_text(word(key, lang))}</th>"
        for key in ("place", "region", "change", "first_seen")
    )
    return (
        f"<div><b>{escape_text(word('places_changed', lang))}</b> ({len(places_frame)})"
        f"<table><thead><tr>{head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"
        f'<div style="color:#555">{escape_text(ATTRIBUTION)}</div></div>'
    )
