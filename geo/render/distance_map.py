"""Distance rings on a map: how far the front is from each place, and how fast it comes.

:func:`add_distance_rings` draws a :class:`geo.distance.DistanceResult` on any
folium map. For each place:

* a geodesic circle whose radius is the place's distance to the nearest ground
  of the layer at ``date`` (:meth:`geo.distance.DistanceResult.rings`: every
  vertex at exactly that geodesic distance from the place), a solid line;
* with ``earlier``, the circle at that date too, dashed, in a layer of its own,
  so the reader sees the front approach (or recede);
* a marker at the place (click it for every figure), a dotted line to the
  nearest point of the layer and a dot there;
* a label: the name, the distance to 0.1 km and the rate of approach over the
  last 30 days.

A label goes on the first side of its marker (right, left, above, below, then
the corners) that keeps it clear of the other labels, the places' markers, the
page furniture (:data:`geo.render.layout.OBSTACLES`) and the map's edge; where
none is free it drops the rate's line and tries again. The rule runs again
after every zoom and pan. A region label under one gives way; a label with no
room anywhere is hidden until a zoom makes room (the marker's popup, and the
diff map's panel, still give its figures).

:func:`geo.render.diff_map` draws them with ``rings=`` (the diff's later date
solid, its earlier date dashed), frames the map on them
(:func:`distance_bounds`) and lists the figures in its panel
(:func:`distance_table_html`). Names come from files: every string is escaped
(:func:`geo.text.escape_text`, :func:`geo.text.script_json`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Hashable, Mapping
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely

from geo.distance import DistanceResult
from geo.errors import ValidationError
from geo.gazetteer import ATTRIBUTION
from geo.render.labels import Lang, format_date, format_number, layer_name, region_name, word
from geo.render.layout import OBSTACLES, MapScript, RawHTML, map_page
from geo.text import escape_text, script_json

__all__ = [
    "RING_COLOURS",
    "add_distance_rings",
    "diff_rings",
    "distance_bounds",
    "distance_table_html",
    "format_km",
    "place_colours",
]

logger = logging.getLogger(__name__)

#: One row of :attr:`geo.distance.DistanceResult.frame` as a mapping.
Row = Mapping[Hashable, Any]

#: Each place's rings, line and marker, in the order asked (then again): dark hues, clear on
#: red, blue and grey ground and on tiles, none of them the red or blue of a side's gains.
RING_COLOURS = ("#1a1a1a", "#6a3d9a", "#1b7837", "#a6530a", "#01665e", "#c51b7d", "#5c5c00")
_N_POINTS = 180  # vertices per ring: 2° apart, smooth at any zoom a ring fills
_SMOOTH = 0.2  # Leaflet simplifies paths to 1 px by default: a ring would show facets
_RATE_DAYS = 30
_LABEL_OFFSET_PX = 4
_GAP_PX = 3
_MARKER_HALF_PX = 7  # a place's or nearest point's marker, kept clear of labels
_MIN_HALF_KM = 3.0  # the least room framed around a place (one already reached has no ring)
_KM_PER_DEG_LAT = 110.57

_CSS = """<style>
.leaflet-tooltip.geo-distance-label{background:rgba(255,255,255,.94);border:1px solid #555;
  border-radius:3px;padding:2px 6px;font:12px/1.3 Helvetica,Arial,sans-serif;color:#111;
  white-space:nowrap;box-shadow:0 1px 3px rgba(0,0,0,.3)}
.leaflet-tooltip.geo-distance-label .geo-distance-rate{display:block;font-size:11px;color:#444}
.leaflet-tooltip.geo-distance-shifted:before{display:none}
.leaflet-tooltip.geo-distance-compact .geo-distance-rate{display:none}
.geo-distance-panel td:first-child{white-space:nowrap}
.geo-ring-swatch{display:inline-block;width:9px;height:9px;border:2.5px solid;border-radius:50%;
  background:#fff;margin-right:4px;vertical-align:-2px}
.geo-distance-panel table{border-collapse:collapse;width:100%}
.geo-distance-panel td.geo-num{text-align:right;font-variant-numeric:tabular-nums;
  white-space:nowrap}
.geo-distance-panel caption{caption-side:top;text-align:left;color:#666;font-size:11px}
</style>"""


def format_km(value: float, lang: Lang = "en", *, signed: bool = False, unit: bool = True) -> str:
    """Return a distance rounded to 0.1 km: ``12.3 km`` (``12,3 км`` in Ukrainian).

    Parameters
    ----------
    value
        Kilometres (NaN gives ``—``).
    lang
        Language: English groups thousands with commas, Ukrainian with spaces and
        writes a decimal comma.
    signed
        Show ``+`` before positive values (rates).
    unit
        Append the unit.

    Examples
    --------
    >>> format_km(12.345), format_km(1234.56, "uk"), format_km(-0.04, signed=True, unit=False)
    ('12.3 km', '1 234,6 км', '0.0')
    """
    if not math.isfinite(value):
        return "—"
    text = format_number(value, lang, signed=signed, digits=1)
    return f"{text} {word('km', lang)}" if unit else text


def _rate_text(rate: float, lang: Lang, days: int = _RATE_DAYS) -> str | None:
    """Return the rate of approach in words (``None`` without one)."""
    if not math.isfinite(rate):
        return None
    shown = round(rate, 1)
    key = "closer_by" if shown > 0 else "farther_by" if shown < 0 else "no_closer"
    return word(key, lang).format(rate=format_km(abs(rate), lang, unit=False), days=days)


def _rows_at(result: DistanceResult, day: dt.date | None, keyword: str) -> pd.DataFrame:
    """Each place's row on the last stored date on or before ``day``, with its ring."""
    frame = result.frame
    first = min(frame["date"])
    if day is not None and day < first:
        msg = f"the distances start on {first.isoformat()}, after {keyword}={day.isoformat()}"
        raise ValidationError(msg, [
            f"pass {keyword}= a date on or after {first.isoformat()}, or measure from earlier "
            f"(geo.distances(..., start=datetime.date({day.year}, {day.month}, {day.day})))"
        ])  # fmt: skip
    rows = frame if day is None else frame[frame["date"] <= day]
    last = rows.groupby("geonames_id", sort=False).tail(1).reset_index(drop=True)
    rings = result.rings(day, n_points=_N_POINTS)
    assert rings["geonames_id"].tolist() == last["geonames_id"].tolist()
    last["ring"] = list(rings.geometry)
    return last


def _names(result: DistanceResult, lang: Lang) -> dict[int, str]:
    """Each place's name as the reader should see it: Cyrillic in Ukrainian where known."""
    places = result.frame.drop_duplicates("geonames_id")
    names = {int(g): str(n) for g, n in zip(places["geonames_id"], places["place"], strict=True)}
    if lang == "uk" and "name_uk" in result.places.columns:
        for row in result.places.to_dict("records"):
            uk = row.get("name_uk")
            if isinstance(uk, str) and uk:
                names[int(row["geonames_id"])] = uk
    return names


def place_colours(result: DistanceResult) -> dict[int, str]:
    """Return each place's colour (by GeoNames id), in the order the places were asked.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"geonames_id": [7, 7, 3]})
    >>> place_colours(DistanceResult(frame, "deepstate", "russian_control", pd.DataFrame()))
    {7: '#1a1a1a', 3: '#6a3d9a'}
    """
    ids = dict.fromkeys(int(g) for g in result.frame["geonames_id"])
    return {gid: RING_COLOURS[i % len(RING_COLOURS)] for i, gid in enumerate(ids)}


def _swatch(colour: str) -> str:
    return f'<span class="geo-ring-swatch" style="border-color:{colour}"></span>'


def _distance_words(row: Row, lang: Lang) -> str:
    km = float(row["distance_km"])
    if not math.isfinite(km):
        return word("no_ground", lang)
    if bool(row["inside"]):
        return f"{format_km(0.0, lang)} ({word('inside', lang)})"
    return format_km(km, lang)


def _label_html(name: str, row: Row, colour: str, lang: Lang) -> str:
    text = f"{_swatch(colour)}<b>{escape_text(name)}</b> {escape_text(_distance_words(row, lang))}"
    rate = float(row["approach_30d_km_per_month"])
    rate_words = _rate_text(rate, lang)
    # a place held for months has "no change": only say a rate while it tells something
    if rate_words and not (bool(row["inside"]) and round(rate, 1) == 0):
        text += f'<span class="geo-distance-rate">{escape_text(rate_words)}</span>'
    return text


def _popup_html(row: Row, earlier: Row | None, name_uk: str, lang: Lang) -> str:
    gid = int(row["geonames_id"])
    title = " / ".join(dict.fromkeys([str(row["place"]), name_uk]))
    oblast = row.get("oblast")
    lines = [f"<b>{escape_text(title)}</b>"]
    if isinstance(oblast, str):
        lines.append(escape_text(region_name(oblast, lang)))
    lines.append(escape_text(f"{format_date(row['date'], lang)}: {_distance_words(row, lang)}"))
    if earlier is not None:
        lines.append(
            escape_text(f"{format_date(earlier['date'], lang)}: {_distance_words(earlier, lang)}")
        )
    for days in (30, 90):
        rate = _rate_text(float(row[f"approach_{days}d_km_per_month"]), lang, days)
        if rate:
            lines.append(escape_text(rate))
    naive = row.get("naive_zero_date_90d")
    if isinstance(naive, dt.date):
        lines.append(escape_text(f"{word('naive_zero', lang)}: {format_date(naive, lang)}"))
    if math.isfinite(float(row["distance_km"])) and not bool(row["inside"]):
        lines.append(escape_text(
            f"{word('nearest_point', lang)}: {float(row['nearest_lat']):.4f} N "
            f"{float(row['nearest_lon']):.4f} E"
        ))  # fmt: skip
    lines.append(escape_text(f"GeoNames {gid}"))
    return "<br>".join(lines)


def _ring_latlngs(ring: Any) -> list[list[float]]:
    xy = shapely.get_coordinates(shapely.get_exterior_ring(ring))
    return [[round(float(y), 6), round(float(x), 6)] for x, y in xy]


def _group_name(result: DistanceResult, day: dt.date, style_key: str, lang: Lang) -> str:
    return f"{word('distance_rings', lang)}, {format_date(day, lang)} ({word(style_key, lang)})"


def add_distance_rings(
    fmap: folium.Map,
    result: DistanceResult,
    *,
    date: dt.date | None = None,
    earlier: dt.date | None = None,
    lang: Lang = "en",
) -> folium.FeatureGroup:
    r"""Draw each place's distance to the layer as a ring, with a marker, a line and a label.

    Parameters
    ----------
    fmap
        Any folium map (e.g. from :func:`geo.render.diff_map`, which calls this
        with ``rings=``).
    result
        Output of :func:`geo.distance.distances`.
    date
        Draw the distance on the last stored date on or before this one (default:
        the last date of ``result``), as a solid ring.
    earlier
        Also draw the distance on or before this date, as a dashed ring in a
        layer of its own (left out when it falls on the same stored date).
    lang
        Language of every word: ``"en"`` or ``"uk"`` (Ukrainian also names the
        places in Cyrillic where the gazetteer has it).

    Returns
    -------
    folium.FeatureGroup
        The layer of the solid rings, markers, lines and labels, named
        "Distance rings, <date> (solid)"; it credits GeoNames in the
        map's attribution. Add it before a :class:`folium.LayerControl`, which
        lists only the layers it finds.

    Raises
    ------
    ValidationError
        ``date`` or ``earlier`` is before the first date of ``result``, or
        ``lang`` is not a language the labels exist in.

    Examples
    --------
    >>> import datetime, tempfile
    >>> from pathlib import Path
    >>> import folium
    >>> from shapely.geometry import box
    >>> import geo
    >>> from geo.render import add_distance_rings
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> folder = Path(tempfile.mkdtemp())
    >>> store = geo.open_store(folder / "store")
    >>> _ = store.ingest([
    ...     Snapshot("deepstate", "russian_control", datetime.date(2025, 6, day),
    ...              make_features([box(37.0, 48.0, east, 48.5)]), Provenance("my.json"))
    ...     for day, east in ((1, 37.5), (8, 37.6))])
    >>> gazetteer = folder / "UA.txt"
    >>> _ = gazetteer.write_text("\t".join(["1", "Frontville", "Frontville", "", "48.25", "38.0",
    ...     "P", "PPL", "UA", "", "05", "", "", "", "12000", "", "", "Europe/Kyiv", "2026-01-01"]))
    >>> result = geo.distances(store, ["Frontville"], gazetteer=gazetteer)
    >>> fmap = folium.Map(tiles=None)
    >>> group = add_distance_rings(fmap, result, earlier=datetime.date(2025, 6, 1))
    >>> group.layer_name
    'Distance rings, 8 Jun 2025 (solid)'
    >>> page = fmap.get_root().render()
    >>> "Frontville" in page and "8 Jun 2025: 29.7 km" in page  # the marker's popup
    True
    >>> "closer by" in page  # a week of data: no 30-day rate yet
    False
    >>> '"dashArray": "7 6"' in page  # the ring of 1 Jun, dashed
    True
    """
    word("km", lang)  # an unknown language fails before any work
    later = _rows_at(result, date, "date")
    before = None if earlier is None else _rows_at(result, earlier, "earlier")
    names, names_uk, colours = _names(result, lang), _names(result, "uk"), place_colours(result)
    page = map_page(fmap)
    page.header.add_child(RawHTML(_CSS), name="geo_distance_css")
    day = max(later["date"])
    if before is not None and max(before["date"]) != day:
        dashed = folium.FeatureGroup(
            name=escape_text(_group_name(result, max(before["date"]), "dashed_ring", lang))
        )
        for row in before.to_dict("records"):
            if row["ring"].is_empty:
                continue
            folium.Polygon(
                _ring_latlngs(row["ring"]), color=colours[int(row["geonames_id"])], weight=1.8,
                opacity=0.9, smooth_factor=_SMOOTH,
                dash_array="7 6", fill=False, class_name="geo-distance-ring-earlier",
                tooltip=escape_text(
                    f"{names[int(row['geonames_id'])]}: {_distance_words(row, lang)}, "
                    f"{format_date(row['date'], lang)}"
                ),
            ).add_to(dashed)  # fmt: skip
        dashed.add_to(fmap)
    earlier_rows = (
        {} if before is None
        else {int(r["geonames_id"]): r for r in before.to_dict("records")}
    )  # fmt: skip
    group = folium.FeatureGroup(
        name=escape_text(_group_name(result, day, "solid_ring", lang)),
        attribution=escape_text(ATTRIBUTION),
    )
    rows = later.to_dict("records")
    for row in rows:  # rings and lines first: the markers lie on top
        gid = int(row["geonames_id"])
        if not row["ring"].is_empty:
            folium.Polygon(
                _ring_latlngs(row["ring"]), color=colours[gid], weight=2.5, fill=False,
                smooth_factor=_SMOOTH,
                class_name="geo-distance-ring",
                tooltip=escape_text(
                    f"{names[gid]}: {_distance_words(row, lang)}, {format_date(row['date'], lang)}"
                ),
            ).add_to(group)  # fmt: skip
            nearest = [float(row["nearest_lat"]), float(row["nearest_lon"])]
            folium.PolyLine(  # type: ignore[no-untyped-call]
                [[float(row["lat"]), float(row["lon"])], nearest], color=colours[gid],
                weight=2, dash_array="2 5", class_name="geo-distance-line", interactive=False,
            ).add_to(group)  # fmt: skip
            folium.CircleMarker(
                nearest, radius=3, color=colours[gid], weight=1, fill=True,
                fill_color=colours[gid], fill_opacity=1, class_name="geo-distance-nearest",
                tooltip=escape_text(f"{names[gid]}: {word('nearest_point', lang)}"),
            ).add_to(group)  # fmt: skip
    for row in rows:
        gid = int(row["geonames_id"])
        folium.CircleMarker(
            [float(row["lat"]), float(row["lon"])], radius=6, color=colours[gid], weight=2.5,
            fill=True, fill_color="#ffffff", fill_opacity=1, class_name="geo-distance-place",
            popup=folium.Popup(
                _popup_html(row, earlier_rows.get(gid), names_uk[gid], lang), max_width=320
            ),
        ).add_to(group)  # fmt: skip
    labels = []
    for row in rows:
        gid = int(row["geonames_id"])
        near = (
            None if row["ring"].is_empty else [float(row["nearest_lat"]), float(row["nearest_lon"])]
        )
        place = [float(row["lat"]), float(row["lon"])]
        labels.append([_label_html(names[gid], row, colours[gid], lang), place, gid, near])
    MapScript(_labels_script(fmap.get_name(), group.get_name(), labels)).add_to(group)
    group.add_to(fmap)
    return group


def distance_bounds(
    result: DistanceResult, *, date: dt.date | None = None, earlier: dt.date | None = None
) -> list[list[float]]:
    """Return Leaflet bounds ``[[south, west], [north, east]]`` holding every ring and place.

    At least :data:`_MIN_HALF_KM` around each place, so a place already reached
    (no ring) is still shown with its surroundings.

    Examples
    --------
    >>> import pandas as pd
    >>> from geo.distance import DISTANCE_COLUMNS
    >>> row = dict.fromkeys(DISTANCE_COLUMNS, float("nan"))
    >>> row |= {"geonames_id": 1, "place": "Here", "lon": 37.0, "lat": 48.0,
    ...         "date": dt.date(2025, 6, 1), "distance_km": 10.0, "inside": False}
    >>> result = DistanceResult(pd.DataFrame([row]), "deepstate", "russian_control",
    ...                         pd.DataFrame())
    >>> [[round(v, 3) for v in corner] for corner in distance_bounds(result)]
    [[47.91, 36.866], [48.09, 37.134]]
    """
    parts = [_rows_at(result, date, "date")]
    if earlier is not None:
        parts.append(_rows_at(result, earlier, "earlier"))
    boxes = []
    for rows in parts:
        for row in rows.to_dict("records"):
            lon, lat = float(row["lon"]), float(row["lat"])
            dlat = _MIN_HALF_KM / _KM_PER_DEG_LAT
            dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
            boxes.append((lon - dlon, lat - dlat, lon + dlon, lat + dlat))
            if not row["ring"].is_empty:
                boxes.append(tuple(shapely.bounds(row["ring"])))
    west, south, east, north = (
        float(np.min([b[0] for b in boxes])), float(np.min([b[1] for b in boxes])),
        float(np.max([b[2] for b in boxes])), float(np.max([b[3] for b in boxes])),
    )  # fmt: skip
    return [[south, west], [north, east]]


def distance_table_html(
    result: DistanceResult,
    *,
    date: dt.date | None = None,
    earlier: dt.date | None = None,
    lang: Lang = "en",
) -> str:
    """Return a table of the distances (class ``geo-distance-panel``) for a map's panel.

    One row per place: the distance on ``date`` and on ``earlier`` (if given), in
    km to 0.1, and the rate of approach over the last 30 days (km/month, ``+``
    when the distance shrinks); GeoNames credited under it. Names escaped.
    """
    later = _rows_at(result, date, "date")
    before = None if earlier is None else _rows_at(result, earlier, "earlier")
    names, colours = _names(result, lang), place_colours(result)
    earlier_km = (
        {} if before is None
        else {int(r["geonames_id"]): r for r in before.to_dict("records")}
    )  # fmt: skip
    days = [max(later["date"])] if before is None else [max(before["date"]), max(later["date"])]
    # the panel's head gives the year; the columns need it only when the dates' years differ
    same_year = len({d.year for d in days}) == 1 and before is not None
    columns = [format_date(d, lang, year=not same_year) for d in days]
    head = (
        f"<tr><th>{escape_text(word('place', lang))}</th>"
        + "".join(f"<th>{escape_text(c)}</th>" for c in columns)
        + f"<th>{escape_text(word('approach', lang))}</th></tr>"
    )
    body = []
    for row in later.to_dict("records"):
        gid = int(row["geonames_id"])
        cells = [row] if before is None else [earlier_km[gid], row]
        figures = "".join(
            f'<td class="geo-num" data-km="{float(r["distance_km"]):.3f}">'
            f"{escape_text(_cell(r, lang))}</td>"
            for r in cells
        )
        rate = float(row["approach_30d_km_per_month"])
        body.append(
            f'<tr class="geo-distance-row" data-geonames-id="{gid}">'
            f"<td>{_swatch(colours[gid])}{escape_text(names[gid])}</td>{figures}"
            f'<td class="geo-num">{escape_text(format_km(rate, lang, signed=True, unit=False))}'
            "</td></tr>"
        )
    what = word("distance_to", lang).format(layer=layer_name(result.layer, lang))
    return (
        f'<div class="geo-distance-panel geo-panel-section"><b>{escape_text(what)}</b>'
        f"<table><caption>{escape_text(word('distance_caption', lang))}</caption>"
        f"{head}{''.join(body)}</table>"
        f'<div style="color:#555">{escape_text(ATTRIBUTION)}</div></div>'
    )


def _cell(row: Row, lang: Lang) -> str:
    km = float(row["distance_km"])
    if math.isfinite(km) and bool(row["inside"]):
        return f"0 ({word('inside', lang)})"
    return format_km(km, lang, unit=False)


def diff_rings(
    fmap: folium.Map,
    result: DistanceResult,
    date_from: dt.date,
    date_to: dt.date,
    *,
    lang: Lang = "en",
) -> tuple[list[list[float]], str]:
    """Draw the rings of a diff map: ``date_to`` solid, ``date_from`` dashed.

    The dashed rings are left out, with a note, when ``result`` starts after
    ``date_from``.

    Returns
    -------
    tuple
        The bounds to frame (:func:`distance_bounds`) and the panel's table
        (:func:`distance_table_html`).
    """
    first = min(result.frame["date"])
    earlier: dt.date | None = date_from
    if date_from < first:
        logger.warning(
            "the distances start on %s, after the diff's first date %s: no dashed rings "
            "(measure from that date: geo.distances(..., start=...))",
            first.isoformat(), date_from.isoformat(),
        )  # fmt: skip
        earlier = None
    add_distance_rings(fmap, result, date=date_to, earlier=earlier, lang=lang)
    bounds = distance_bounds(result, date=date_to, earlier=earlier)
    return bounds, distance_table_html(result, date=date_to, earlier=earlier, lang=lang)


def _labels_script(map_name: str, group_name: str, labels: list[Any]) -> str:
    """Place each label on the first free side of its marker, after every zoom and pan.

    Sides are tried in order: right, left, above, below, then the corners; then the
    same without the rate's line; then over a nearest point's dot; a label with no
    room left is hidden. Labels are placed in the order asked, or, when that hides
    some, with the hidden ones first if that hides fewer.
    """
    o = _LABEL_OFFSET_PX
    # [name, Leaflet direction, x, y offset in px, y shift in half heights, x in half widths]
    sides = [
        ["right", "right", o, 0, 0, 0], ["left", "left", -o, 0, 0, 0],
        ["top", "top", 0, -o, 0, 0], ["bottom", "bottom", 0, o, 0, 0],
        ["above-right", "right", o, 0, -1, 0], ["below-right", "right", o, 0, 1, 0],
        ["above-left", "left", -o, 0, -1, 0], ["below-left", "left", -o, 0, 1, 0],
        ["top-right", "top", 0, -o, 0, 1], ["top-left", "top", 0, -o, 0, -1],
        ["bottom-right", "bottom", 0, o, 0, 1], ["bottom-left", "bottom", 0, o, 0, -1],
    ]  # fmt: skip
    return (
        f"(function(){{var map={map_name},group={group_name},labels={script_json(labels)};"
        f"var sides={script_json(sides)},g={_GAP_PX},m={_MARKER_HALF_PX};"
        "var tips=labels.map(function(l){var t=L.tooltip({permanent:true,direction:'right',"
        f"offset:[{o},0],className:'geo-distance-label',interactive:false,opacity:1}})"
        ".setLatLng(l[1]).setContent(l[0]);group.addLayer(t);t.geoLabel=l;return t;});"
        "function meets(r,k){return r.left<k.right+g&&r.right+g>k.left&&r.top<k.bottom+g&&"
        "r.bottom+g>k.top;}"
        # a shifted label sits beside the marker's corner; its pointer would miss, so it has none
        "function side(t,s){var el=t.getElement(),h=el.offsetHeight/2+2,w=el.offsetWidth/2-m;"
        "t.options.direction=s[1];t.options.offset=L.point(s[2]+s[5]*w,s[3]+s[4]*h);t.update();"
        "el.classList.toggle('geo-distance-shifted',s[4]!==0||s[5]!==0);}"
        "function declutter(){if(!map.hasLayer(group))return;"
        "var box=map.getContainer().getBoundingClientRect(),kept=[],placed=[];"
        f"document.querySelectorAll({script_json(', '.join(OBSTACLES))}).forEach(function(el){{"
        "var r=el.getBoundingClientRect();if(r.width&&r.height)kept.push(r);});"
        # the places and nearest points themselves: no label covers one (a nearest point
        # only when there is no other way: its line still shows where it is)
        "var dots=[];labels.forEach(function(l){[l[1],l[3]].forEach(function(ll,j){if(!ll)return;"
        "var p=map.latLngToContainerPoint(ll),x=box.left+p.x,y=box.top+p.y;"
        "(j?dots:kept).push({left:x-m,right:x+m,top:y-m,bottom:y+m});});});"
        "function free(t,el,avoid){for(var i=0;i<sides.length;i++){side(t,sides[i]);"
        "var r=el.getBoundingClientRect();"
        "var out=r.left<box.left||r.right>box.right||r.top<box.top||r.bottom>box.bottom;"
        "if(!out&&!kept.concat(avoid).some(function(k){return meets(r,k);}))"
        "return [sides[i][0],r];}return null;}"
        "var furniture=kept.slice();"
        "function place(order){kept=furniture.slice();placed=[];var missed=[];"
        "order.forEach(function(t){var el=t.getElement();if(!el)return;"
        "el.classList.remove('geo-label-hidden','geo-distance-compact');"
        "el.setAttribute('data-geonames-id',t.geoLabel[2]);var fit=free(t,el,dots);"
        "if(!fit){el.classList.add('geo-distance-compact');fit=free(t,el,dots)||free(t,el,[]);}"
        "if(fit){kept.push(fit[1]);placed.push(fit[1]);el.setAttribute('data-side',fit[0]);}"
        "else{el.classList.remove('geo-distance-compact');side(t,sides[0]);missed.push(t);"
        "el.classList.add('geo-label-hidden');el.removeAttribute('data-side');}});return missed;}"
        # in the order asked; if a label finds no room, once more with the missed ones first
        "var missed=place(tips);if(missed.length){var again=missed.concat(tips.filter("
        "function(t){return missed.indexOf(t)<0;}));if(place(again).length>=missed.length)"
        "place(tips);}"
        # a region's name under a place's label gives way
        "document.querySelectorAll('.geo-region-label').forEach(function(el){"
        "if(el.classList.contains('geo-label-hidden'))return;var r=el.getBoundingClientRect();"
        "if(placed.some(function(k){return meets(r,k);}))el.classList.add('geo-label-hidden');});}"
        "map.on('zoomend moveend resize overlayadd overlayremove',declutter);declutter();"
        "(window.geoDeclutters=window.geoDeclutters||[]).push(declutter);})();"
    )
