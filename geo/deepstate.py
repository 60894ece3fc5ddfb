r"""DeepStateMap raw snapshots -> canonical-layer snapshots.

A raw snapshot is the ``map`` member of DeepState's history API (a
FeatureCollection of Google-My-Maps-styled polygons and point markers), alone
or inside the API wrapper ``{"id", "datetime", "map"}``. Each polygon's
``name`` says what it is, in one of three eras:

1. until 2022-05-12, Ukrainian only and free-form (``Окуповано``,
   ``Рубіжне. Території зайняті ворогом``, ``Багатокутник 11``);
2. from 2022-05-13, ``UA /// EN`` (``Окуповано /// Occupied``);
3. from 2024-03-23, ``UA /// EN /// key`` (``... /// geoJSON.status.occupied``).

Names carry ``\\xa0``, newlines and missing spaces around ``///``; whitespace
is collapsed before splitting. :func:`classify` tries the era-3 key, then the
English part, then the Ukrainian part, then the fill colour (era-1 names such
as ``24.03`` or ``Багатокутник 11`` only say what they are through colour:
``#a52714`` occupied, ``#0288d1``/``#0f9d58`` liberated, greys contested).
Ukrainian words are matched narrowly (``окупов``, ``звільн``, ``під
питанням``...) so that hedged notes like ``Невідомо точно при вихід`` (red) or
``Фактично контролюється ворогом, але...`` (grey) follow their colour.

Layers: ``russian_control`` = occupied + Crimea + ORDLO + Tuzla Island;
``russian_control_pre_2022`` = Crimea + ORDLO + Tuzla (these features are in
both layers). The daily archive (cyterat) unions only occupied/Crimea/ORDLO;
we add Tuzla because it is part of Crimea, occupied since 2014, and DeepState
draws it as a separate ``geoJSON.territories.tuzla`` polygon in the Crimea
colour; this adds a few km² (tested within 0.05 % of the daily archive).
Snake Island is liberated unless drawn red (it was occupied until 2022-06-30).

Inside or outside Ukraine: no boundary data is bundled and none is drawn.
The decision rests on keys, names and fill colours, verified against OCHA and
Natural Earth boundaries over all 212 archived snapshots:

* joke/editorial polygons ("Occupied Petsamo", East Prussia, Kuril islands,
  Transnistria, Abkhazia...) are recognised by their ``geoJSON.territories.*``
  key (anything but Crimea/ORDLO/Tuzla), their place name in either language,
  or their fill ``#ff5252`` (used for nothing else) -- before the word
  "Occupied" is looked at. They are dropped and counted;
* a "liberated"/"dismissed" polygon filled ``#01579b`` is Ukrainian-held ground
  in Russia (the Kursk incursion): ``ukrainian_control_russia``. Liberated
  areas inside Ukraine are ``#0f9d58`` (or ``#0288d1``, mostly in 2022);
* the Kursk grey zone (``geoJSON.status.unknown``, ``#bdbdbd``) stays in
  ``contested``, like every grey zone; filter on the ``fill`` in ``properties``
  to separate it;
* as a last guard, polygon parts lying wholly outside a generous box around
  Ukraine and its border regions (:data:`AREA_BOX`, lon 21.5-41, lat 44-53)
  are dropped and reported, whatever their layer (a 527 km² stray triangle in
  the Arabian Sea rides in an "Unknown status" collection in 2023).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DateError, InputFormatError
from geo.geojson import geometry_from_geojson
from geo.geometry import clean_geometries, geodesic_area_km2
from geo.snapshot import Provenance, Snapshot, make_features

SOURCE = "deepstate"
OCCUPIED_FILL = "#a52714"
KURSK_FILL = "#01579b"
JOKE_FILL = "#ff5252"
#: lon/lat box around Ukraine and Kursk/Belgorod/Bryansk; parts wholly outside are strays.
AREA_BOX = shapely.box(21.5, 44.0, 41.0, 53.0)

_RU = "russian_control"
_PRE = "russian_control_pre_2022"
_LIB = "liberated"
_GREY = "contested"
_UA_RU = "ukrainian_control_russia"
_JOKE = "joke"  # internal verdict: dropped, counted separately
_BY_FILL = "by-fill"  # internal: layer comes from colour (Snake Island)
_LAYER_ORDER = (_RU, _PRE, _GREY, _LIB, _UA_RU)

_FILL_LAYERS = {
    OCCUPIED_FILL: _RU,
    "#0f9d58": _LIB,
    "#0288d1": _LIB,
    KURSK_FILL: _UA_RU,
    "#bcaaa4": _GREY,
    "#bdbdbd": _GREY,
    "#757575": _GREY,
}
_KEY_LAYERS = {
    "geoJSON.status.occupied": _RU,
    "geoJSON.status.unknown": _GREY,
    "geoJSON.status.contested": _GREY,
    "geoJSON.status.dismissed": _LIB,
    "geoJSON.status.dismissed_at": _LIB,
    "geoJSON.status.liberated": _LIB,
    "geoJSON.territories.crimea": _PRE,
    "geoJSON.territories.ordlo": _PRE,
    "geoJSON.territories.tuzla": _PRE,
    "geoJSON.zmiinyi_island": _BY_FILL,
}
# Place names of the joke polygons; specific enough not to hit Ukrainian villages (Курилівка).
_JOKE_WORDS = re.compile(
    r"petsamo|\bsalla\b|abkhaz|tskhinval|kuril island|latvia|estonia|prussia|karelia|ichkeri"
    r"|transnistri|pechorsk|saatse|петсамо|\bсалла\b|абхаз|цхінвал|курильськ|латві|естоні"
    r"|прусі|пруссі|карелі|ічкері|придністров|печорськ"
)
# (pattern, verdict) in order; Crimea before "occupied", "recaptured" before "captured".
_EN_RULES = (
    (re.compile(r"crimea|\bcadr\b|\bcalr\b|ordlo|tuzla"), _PRE),
    (re.compile(r"snake island"), _BY_FILL),
    (re.compile(r"unknown|contest|contens|contenes|gr[ae]y zone"), _GREY),
    (re.compile(r"liberat|taken back|recaptur|pushed back|dismissed"), _LIB),
    (re.compile(r"occupi|occupation|captured"), _RU),
)
_UA_RULES = (
    (re.compile(r"\bкрим\b|ордло|\bтузла\b"), _PRE),  # not Кримське, a Luhansk village
    (re.compile(r"зміїн"), _BY_FILL),
    (re.compile(r"під питанням|статус невідом|ситуація невідом|сіра зона"), _GREY),
    (re.compile(r"звільн|відбит|відкинуто|під контролем зсу"), _LIB),
    (re.compile(r"окупов|захоплен|зайнят\w* ворогом"), _RU),
)
_KEY = re.compile(r"geoJSON\.[A-Za-z0-9_.\-]*[A-Za-z0-9_]")
_SEPARATOR = re.compile(r"(?<!:)/{2,}")
_STYLE_FILL = re.compile(r"^#poly-([0-9A-Fa-f]{6})\b")
_MARKER_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString"}
_AREA_TYPES = {"Polygon", "MultiPolygon", "GeometryCollection"}
_EARLIEST = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)


def _clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def split_name(name: str) -> tuple[str, str, str]:
    """Split a DeepState polygon name into its Ukrainian, English and key parts.

    Parameters
    ----------
    name
        The raw ``name`` property, any era.

    Returns
    -------
    tuple of str
        ``(ua, en, key)`` with whitespace collapsed; missing parts are ``""``.
        ``key`` is e.g. ``"geoJSON.status.dismissed_at"`` (template dropped).
    """
    text = _clean_text(name)
    found = _KEY.search(text)
    key = found.group(0) if found else ""
    parts = [_clean_text(p) for p in _SEPARATOR.split(text)]
    parts = [p for p in parts if p and not p.startswith("geoJSON.")]
    ua = en = ""
    for part in parts:
        if re.search(r"[А-Яа-яІіЇїЄєҐґ]", part) and not ua and not en:
            ua = part
        elif not en:
            en = part
    return ua, en, key


def _fill_of(properties: Mapping[str, Any]) -> str | None:
    fill = properties.get("fill")
    if isinstance(fill, str) and fill.strip():
        return fill.strip().lower()
    style = properties.get("styleUrl")
    if isinstance(style, str) and (match := _STYLE_FILL.match(style)):
        return "#" + match.group(1).lower()
    return None


def _resolve(verdict: str, fill: str | None) -> str:
    if verdict == _BY_FILL:
        return _FILL_LAYERS.get(fill or "", _LIB)
    if verdict == _LIB and fill == KURSK_FILL:
        return _UA_RU
    return verdict


def _verdict(name: str, fill: str | None) -> str | None:
    """Layer, ``_JOKE`` or ``None`` for one polygon."""
    fill = fill.strip().lower() if fill else None
    ua, en, key = split_name(name)
    if key in _KEY_LAYERS:
        return _resolve(_KEY_LAYERS[key], fill)
    if key.startswith("geoJSON.territories."):
        return _JOKE
    if _JOKE_WORDS.search(en.casefold()) or _JOKE_WORDS.search(ua.casefold()) or fill == JOKE_FILL:
        return _JOKE
    for text, rules in ((en.casefold(), _EN_RULES), (ua.casefold(), _UA_RULES)):
        for pattern, verdict in rules:
            if text and pattern.search(text):
                return _resolve(verdict, fill)
    return _FILL_LAYERS.get(fill or "")


def classify(name: str, fill: str | None) -> str | None:
    """Canonical layer of one DeepState polygon.

    Parameters
    ----------
    name
        The raw ``name`` property (any era, whitespace as found).
    fill
        The ``fill`` colour (``"#a52714"``), or ``None``.

    Returns
    -------
    str or None
        ``russian_control`` (occupied), ``russian_control_pre_2022`` (Crimea,
        ORDLO, Tuzla; :func:`parse_deepstate` also puts these in
        ``russian_control``), ``contested``, ``liberated`` or
        ``ukrainian_control_russia``; ``None`` for joke polygons outside
        Ukraine and for names and colours not recognised.
    """
    verdict = _verdict(name, fill)
    return None if verdict == _JOKE else verdict


def _is_collection(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("features"), list)


def _unwrap(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    inner = data.get("map")
    if _is_collection(inner) and ("id" in data or "datetime" in data):
        return inner
    return data if _is_collection(data) else None


def is_deepstate_raw(data: Mapping[str, Any]) -> bool:
    """Whether parsed JSON is a raw DeepState snapshot.

    True for the API wrapper ``{"id", "datetime", "map"}`` and for a ``map``
    FeatureCollection with ``///`` names or ``geoJSON.`` keys. An era-1
    collection (Ukrainian names only) needs ``#poly-`` style URLs *and* at
    least one DeepState status word, since any Google My Maps export carries
    ``#poly-`` styles.

    Parameters
    ----------
    data
        The parsed JSON document.
    """
    if not isinstance(data, Mapping):
        return False
    if _is_collection(data.get("map")) and ("id" in data or "datetime" in data):
        return True
    if data.get("type") != "FeatureCollection" or not _is_collection(data):
        return False
    styled = False
    names: list[str] = []
    for feature in data["features"]:
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        name = props.get("name")
        if isinstance(name, str):
            if "///" in name or "geoJSON.status" in name or "geoJSON.territories" in name:
                return True
            names.append(name)
        style = props.get("styleUrl")
        styled = styled or (isinstance(style, str) and style.startswith("#poly-"))
    # Status words only matter for #poly- styled files: other large files skip the regexes.
    return styled and any(
        p.search(_clean_text(name).casefold()) for name in names for p, _ in _UA_RULES
    )


def _from_unix(value: Any) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d{10}(\.\d+)?", text):
        return None
    moment = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
    # A YYYYMMDDHH stem also has 10 digits; it reads as a time in the future.
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return moment if _EARLIEST <= moment <= latest else None


def _from_iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the API serves UTC
    return moment.astimezone(dt.UTC)


def published_at(data: Mapping[str, Any], path: str | Path | None) -> dt.datetime | None:
    """When a DeepState snapshot was published (UTC).

    Parameters
    ----------
    data
        The parsed JSON document (wrapper or bare ``map``).
    path
        The file it came from; a stem of 10 digits (``1648989208.geojson.gz``)
        is DeepState's history id, the Unix time of the update.

    Returns
    -------
    datetime.datetime or None
        Timezone-aware UTC time from the wrapper ``id`` or ``datetime``, else
        from the file name; ``None`` if none of them holds a plausible time.
    """
    if isinstance(data, Mapping) and _is_collection(data.get("map")):
        found = _from_unix(data.get("id")) or _from_iso(data.get("datetime"))
        if found is not None:
            return found
    if path is not None:
        return _from_unix(Path(path).name.split(".")[0])
    return None


def _kyiv() -> ZoneInfo:
    for zone in ("Europe/Kyiv", "Europe/Kiev"):  # older tz databases know only Kiev
        try:
            return ZoneInfo(zone)
        except ZoneInfoNotFoundError:
            continue
    msg = "the time zone Europe/Kyiv is unknown on this system; pip install tzdata"
    raise DateError(msg)


def snapshot_date(published: dt.datetime) -> dt.date:
    """Return the date a DeepState snapshot describes: its Kyiv-local publication date.

    DeepState publishes updates mostly in the evening, Kyiv time; a late update
    (after 21:00 UTC in summer) already falls on the next Kyiv day while UTC is
    still on the previous one. The Kyiv date is the one DeepState's site shows
    and the one the archive's ``index.csv`` records (``kyiv_local_date``).

    Parameters
    ----------
    published
        Publication time; a naive value is taken as UTC.
    """
    if published.tzinfo is None:
        published = published.replace(tzinfo=dt.UTC)
    return published.astimezone(_kyiv()).date()


def _label(name: str) -> str:
    ua, en, key = split_name(name)
    return en or ua or key


@dataclasses.dataclass(frozen=True)
class _Row:
    geometry: BaseGeometry
    label: str
    properties: str
    kind: str  # era-3 key, else the label: what provenance calls the original layer
    pre_2022: bool


@dataclasses.dataclass(frozen=True)
class _FileInfo:
    path: str
    sha256: str
    date: dt.date
    date_rule: str
    notes: tuple[str, ...]


def _geometry(raw: Mapping[str, Any], where: str, index: int, name: str) -> BaseGeometry:
    try:
        return geometry_from_geojson(dict(raw))
    except Exception as exc:  # shapely raises several types for bad GeoJSON
        msg = (
            f"{where}: feature {index} ({name!r}): unreadable {raw.get('type')} geometry "
            f"({exc}); fix or remove that feature"
        )
        raise InputFormatError(msg) from exc


def _tally(counter: Counter[str], limit: int = 30) -> str:
    items = [f"{name!r} x{count}" for name, count in counter.most_common(limit)]
    if len(counter) > limit:
        items.append(f"... {len(counter) - limit} more names")
    return ", ".join(items)


def _drop_strays(geoms: list[BaseGeometry]) -> tuple[list[BaseGeometry | None], int, float]:
    """Remove parts wholly outside :data:`AREA_BOX`; count them and their area."""
    kept: list[BaseGeometry | None] = []
    n_parts, area_km2 = 0, 0.0
    for geom in geoms:
        parts = shapely.get_parts(geom)
        inside = shapely.intersects(parts, AREA_BOX)
        if inside.all():
            kept.append(geom)
            continue
        n_parts += int((~inside).sum())
        area_km2 += float(np.sum(geodesic_area_km2(parts[~inside])))
        kept.append(shapely.union_all(parts[inside]) if inside.any() else None)
    return kept, n_parts, area_km2


def _features_of(data: Mapping[str, Any], where: str) -> list[Any]:
    collection = _unwrap(data) if isinstance(data, Mapping) else None
    if collection is None:
        msg = (
            f"{where}: not a DeepState snapshot (expected a FeatureCollection or the API's "
            "{'id', 'datetime', 'map'} wrapper); load it as ordinary GeoJSON instead"
        )
        raise InputFormatError(msg)
    return list(collection["features"])


def _date_of(data: Mapping[str, Any], path: str, date: dt.date | None) -> tuple[dt.date, str]:
    published = published_at(data, path)
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ") if published else ""
    if date is not None:
        return date, f"given date (published {stamp})" if stamp else "given date"
    if published is None:
        msg = (
            f"{path}: cannot tell when this DeepState snapshot was published (no wrapper 'id' or "
            "'datetime', and the file name is not a Unix time like 1648989208.geojson); "
            'pass date="YYYY-MM-DD"'
        )
        raise DateError(msg)
    return snapshot_date(published), f"published {stamp} (Kyiv date)"


def parse_deepstate(
    data: Mapping[str, Any],
    *,
    path: str,
    sha256: str = "",
    date: dt.date | None = None,
) -> list[Snapshot]:
    """Parse one raw DeepState snapshot into one snapshot per layer present.

    Parameters
    ----------
    data
        Parsed JSON: the ``map`` FeatureCollection or the API wrapper.
    path
        The file (named in messages and provenance; its stem may give the date).
    sha256
        SHA-256 of the file's bytes, for provenance.
    date
        The snapshot date; overrides the publication time.

    Returns
    -------
    list of Snapshot
        Source ``"deepstate"``, in the order russian_control,
        russian_control_pre_2022, contested, liberated, ukrainian_control_russia
        (absent layers left out). Provenance notes count skipped markers,
        dropped jokes, unclassified names and stray parts.

    Raises
    ------
    DateError
        If no date is given and the publication time cannot be found.
    InputFormatError
        If the document is malformed or holds no classifiable polygon.
    """
    features = _features_of(data, path)
    date, date_rule = _date_of(data, path, date)
    layers: dict[str, list[_Row]] = {layer: [] for layer in _LAYER_ORDER}
    jokes: Counter[str] = Counter()
    unclassified: Counter[str] = Counter()
    n_markers = n_null = 0
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping):
            msg = f"{path}: feature {index} is not a GeoJSON Feature object"
            raise InputFormatError(msg)
        props = feature.get("properties")
        props = props if isinstance(props, Mapping) else {}
        name = str(props.get("name") or "")
        raw = feature.get("geometry")
        if raw is None:
            n_null += 1
            continue
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        if kind in _MARKER_TYPES:
            n_markers += 1
            continue
        if not isinstance(raw, Mapping) or kind not in _AREA_TYPES:
            msg = (
                f"{path}: feature {index} ({name!r}) has geometry type {kind!r}, not a GeoJSON "
                "geometry; fix or remove that feature"
            )
            raise InputFormatError(msg)
        fill = _fill_of(props)
        verdict = _verdict(name, fill)
        label = _label(name)
        if verdict is None:
            unclassified[f"{label or '(no name)'} [fill {fill}]"] += 1
            continue
        if verdict == _JOKE:
            jokes[label] += 1
            continue
        row = _Row(
            geometry=_geometry(raw, path, index, name),
            label=label,
            properties=json.dumps(dict(props), ensure_ascii=False, sort_keys=True, default=str),
            kind=split_name(name)[2] or label,
            pre_2022=verdict == _PRE,
        )
        layers[verdict].append(row)
        if row.pre_2022:
            layers[_RU].append(row)

    notes: list[str] = []
    if n_markers:
        notes.append(f"{n_markers} point/line markers skipped")
    if n_null:
        notes.append(f"{n_null} features without geometry skipped")
    if jokes:
        notes.append(f"{jokes.total()} joke/out-of-Ukraine polygons dropped: {_tally(jokes)}")
    if unclassified:
        notes.append(
            f"{unclassified.total()} polygons not classified, dropped: {_tally(unclassified)}"
        )
    if not any(layers.values()):
        msg = (
            f"{path}: no DeepState status polygon found ({'; '.join(notes) or 'no features'}); "
            "if this is not a DeepState map, load it as ordinary GeoJSON with layer="
        )
        raise InputFormatError(msg)
    info = _FileInfo(path, sha256, date, date_rule, tuple(notes))
    return [_snapshot(layer, rows, info) for layer, rows in layers.items() if rows]


def _snapshot(layer: str, rows: list[_Row], info: _FileInfo) -> Snapshot:
    clean, kept, hygiene = clean_geometries(
        [row.geometry for row in rows], where=f"{info.path} ({layer})"
    )
    checked, n_stray, stray_km2 = _drop_strays(list(clean))
    notes = list(info.notes)
    if n_stray:
        notes.append(
            f"{n_stray} polygon part(s) of {layer} far outside Ukraine dropped "
            f"({stray_km2:,.1f} km²; outside lon 21.5-41, lat 44-53)"
        )
    n_pre = sum(row.pre_2022 for row in rows)
    if layer == _RU and n_pre:
        notes.append(f"includes {n_pre} Crimea/ORDLO/Tuzla polygons (occupied before 2022)")
    keep = [(geom, rows[i]) for geom, i in zip(checked, kept, strict=True) if geom is not None]
    kinds = sorted({row.kind for row in rows})
    original = ", ".join(kinds[:12]) + (f" (+{len(kinds) - 12} more)" if len(kinds) > 12 else "")
    return Snapshot(
        source=SOURCE,
        layer=layer,
        date=info.date,
        features=make_features(
            [geom for geom, _ in keep],
            [row.label for _, row in keep],
            [row.properties for _, row in keep],
        ),
        provenance=Provenance(
            path=info.path,
            sha256=info.sha256,
            original_layer=original,
            date_rule=info.date_rule,
            notes=tuple(notes),
        ),
        hygiene=hygiene,
    )
