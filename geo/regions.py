"""Admin-1 boundaries: load them from any vector file and resolve regions by name or code.

:func:`resolve_region` maps a name or code to one canonical English name through
the alias table ``geo/data/region_aliases.csv``. Canonical names (32):

* Ukraine (27 units): Cherkasy, Chernihiv, Chernivtsi, Crimea, Dnipropetrovsk,
  Donetsk, Ivano-Frankivsk, Kharkiv, Kherson, Khmelnytskyi, Kirovohrad, Kyiv (the
  city), Kyiv Oblast, Luhansk, Lviv, Mykolaiv, Odesa, Poltava, Rivne, Sevastopol,
  Sumy, Ternopil, Vinnytsia, Volyn, Zakarpattia, Zaporizhzhia, Zhytomyr;
* Russia (border regions): Belgorod, Bryansk, Kursk, Rostov, Voronezh.

Accepted forms: English names and transliterations (``Zaporizhia``,
``Zaporozhye``, ``Donetska``, ``Donetsk Oblast``), Ukrainian and Russian names
(``Донецька область``, ``Курская область``), ISO 3166-2 (``UA-09``, ``RU-KRS``),
OCHA PCODE (``UA44``) and the 10-digit KOATUU (``4400000000``), Natural Earth
``adm1_code`` (``RUS-2362``) and HASC (``UA.LH``). ISO and PCODE differ for five
units (Luhansk UA-09 / UA44 among them), so codes match exactly, hyphen included.

:func:`load_regions` reads boundary files into one row per region. Names a file
uses for units outside the table are kept as they are (``code`` from the file's
ISO column if any). Drops and merges are never silent: each is logged as a
warning (logger ``geo.regions``) and listed in the result's ``attrs``
(``"duplicates"``: one dict per region dropped because an earlier file defined
it; ``"notes"``: every message logged). Regions of later files are clipped to what earlier
files leave uncovered, so that two boundary sets can be combined (OCHA for
Ukraine, Natural Earth for Kursk) without counting border ground twice.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from shapely.geometry.base import BaseGeometry

from geo import limits
from geo.errors import InputFormatError, RegionError
from geo.geometry import WGS84, clean_geometries, geodesic_area_km2, polygonal_part

logger = logging.getLogger(__name__)

#: The regions the project follows most closely.
TARGET_REGIONS: tuple[str, ...] = ("Kursk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk")

#: Attribute columns holding codes, tried first and in this order (case-insensitive).
CODE_COLUMNS = (
    "ADM1_PCODE", "shapeISO", "iso_3166_2", "ISO_3166_2", "ISO", "HASC_1", "code_hasc",
    "adm1_code", "KOATUU",
)  # fmt: skip
#: Attribute columns holding names, tried after the codes, in this order.
NAME_COLUMNS = (
    "ADM1_EN", "shapeName", "NAME_1", "name_en", "name", "NAME", "ADM1_UA", "ADM1_RU",
    "name_local", "name_uk", "name_ru", "NL_NAME_1", "VARNAME_1",
)  # fmt: skip
_ISO_COLUMNS = {"shapeiso", "iso_3166_2", "iso"}
_COUNTRY_COLUMNS = ("iso_a2", "ADM0_PCODE", "shapeGroup", "adm0_a3", "GID_0", "ISO_A3")
_ALPHA3 = {"UKR": "UA", "RUS": "RU", "BLR": "BY", "MDA": "MD", "POL": "PL", "ROU": "RO"}
_ISO_CODE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_APOSTROPHES = str.maketrans("", "", "'’‘ʼʹ`´")
_TOKEN = re.compile(r"[^\W_]+")
# Words that say what kind of unit a name is, not which one.
_GENERIC = frozenset(
    {"oblast", "oblasti", "obl", "region", "province", "city", "misto", "gorod", "of", "the"}
    | {"область", "обл", "місто", "м", "город", "г"}
)
_READ_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    OSError,
    ValueError,
    zipfile.BadZipFile,
)


@dataclass(frozen=True)
class _Table:
    codes: dict[str, str]
    names: dict[str, str]
    labels: dict[str, str]  # full name key -> the alias as written, for suggestions
    iso: dict[str, str]


@dataclass
class _Row:
    region: str
    code: str | None
    country: str | None
    known: bool
    geometries: list[BaseGeometry] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.region if self.known else f"{self.country}:{self.code or self.region}"


def _name_keys(text: str) -> tuple[str, str]:
    """Return the full key and the key without generic words ("oblast", "область")."""
    norm = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    tokens = _TOKEN.findall(norm.replace("ё", "е"))
    stripped = "".join(t for t in tokens if t not in _GENERIC)
    full = "".join(tokens)
    return full, stripped or full


def _code_key(text: str) -> str:
    return "".join(text.split()).upper()


@functools.cache
def _table() -> _Table:
    text = resources.files("geo").joinpath("data/region_aliases.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    iso: dict[str, str] = {}
    aliases: list[tuple[str, str]] = []
    for number, row in enumerate(rows, start=2):
        region, kind, alias = row["region"].strip(), row["kind"].strip(), row["alias"].strip()
        if kind == "name":
            aliases.append((region, alias))
            continue
        if kind not in {"iso", "pcode", "ne", "hasc"}:
            msg = f"region_aliases.csv: data row {number}: unknown kind {kind!r}"
            raise ValueError(msg)
        keys = [_code_key(alias)]
        if kind == "iso":
            iso[region] = keys[0]
        elif kind == "pcode":
            keys.append(keys[0][2:] + "00000000")  # KOATUU
        for key in keys:
            if codes.setdefault(key, region) != region:
                msg = f"region_aliases.csv: code {alias!r} names two regions"
                raise ValueError(msg)
    aliases[:0] = [(region, region) for region in iso]
    for region, alias in aliases:
        full, _ = _name_keys(alias)
        if names.setdefault(full, region) != region:
            msg = f"region_aliases.csv: name {alias!r} names two regions"
            raise ValueError(msg)
        labels.setdefault(full, alias)
    ambiguous: set[str] = set()
    for region, alias in aliases:
        full, stripped = _name_keys(alias)
        if stripped not in labels and names.setdefault(stripped, region) != region:
            ambiguous.add(stripped)
    for key in ambiguous:
        del names[key]
    return _Table(codes=codes, names=names, labels=labels, iso=iso)


@functools.lru_cache(maxsize=8192)
def _lookup(text: str) -> str | None:
    table = _table()
    found = table.codes.get(_code_key(text))
    if found is not None:
        return found
    full, stripped = _name_keys(text)
    return table.names.get(full) or table.names.get(stripped)


def find_region(name_or_code: str) -> str | None:
    """:func:`resolve_region`, or ``None`` for a name the alias table does not know.

    For names that may well be unknown (a world file's regions): no error
    message is composed (its closest-name search costs ~2 ms a name).

    Examples
    --------
    >>> find_region("UA-14"), find_region("Texas")
    ('Donetsk', None)
    """
    text = name_or_code.strip() if isinstance(name_or_code, str) else ""
    return _lookup(text) if text else None


def known_regions() -> tuple[str, ...]:
    """Return the canonical region names of the alias table, Ukrainian units first."""
    return tuple(_table().iso)


def resolve_region(name_or_code: str) -> str:
    """Canonical English name of a region given by any known name or code.

    Parameters
    ----------
    name_or_code
        A name in English, Ukrainian or Russian, or an ISO 3166-2, OCHA PCODE,
        KOATUU, Natural Earth ``adm1_code`` or HASC code.

    Returns
    -------
    str
        One of :func:`known_regions`, e.g. ``"Luhansk"`` for ``"UA-09"`` and ``"UA44"``.

    Raises
    ------
    RegionError
        If the input is unknown; the message names the closest known names.

    Examples
    --------
    >>> [resolve_region(x) for x in ("UA-09", "UA44", "Zaporozhye", "Донецька область")]
    ['Luhansk', 'Luhansk', 'Zaporizhzhia', 'Donetsk']
    """
    text = name_or_code.strip() if isinstance(name_or_code, str) else ""
    if not text:
        msg = f"empty region name {name_or_code!r}: give a name such as 'Donetsk'"
        raise RegionError(msg)
    found = _lookup(text)
    if found is not None:
        return found
    raise RegionError(_unknown_message(text))


def _unknown_message(text: str) -> str:
    table = _table()
    code = _code_key(text)
    hints = []
    # The same digits with or without the hyphen belong to the other code system.
    for other in {code.replace("-", ""), re.sub(r"^([A-Z]{2})(\d+)$", r"\1-\2", code)} - {code}:
        region = table.codes.get(other)
        if region is not None and "-" in other:
            hints.append(f"{other!r} (with hyphen) is the ISO 3166-2 code of {region}")
        elif region is not None:
            hints.append(
                f"{other!r} (no hyphen) is the OCHA PCODE of {region}, "
                f"whose ISO 3166-2 code is {table.iso[region]}"
            )
    full, _ = _name_keys(text)
    close = difflib.get_close_matches(full, list(table.labels), n=8, cutoff=0.6)
    if not hints and any(ch.isdigit() for ch in code):
        close += difflib.get_close_matches(code, list(table.codes), n=4, cutoff=0.75)
    suggestions: dict[str, str] = {}
    for key in close:
        region = table.names.get(key) or table.codes[key]
        label = table.labels.get(key, key)
        suggestions.setdefault(region, region if label == region else f"{region} (as {label!r})")
    message = f"unknown region {text!r}"
    if hints:
        message += ": " + "; ".join(hints)
    if suggestions:
        message += "; closest known names: " + ", ".join(list(suggestions.values())[:5])
    else:
        message += "; known regions: " + ", ".join(known_regions())
    return message


def region_code(name: str) -> str | None:
    """ISO 3166-2 code of a region (``"UA-09"`` for ``"Luhansk"``).

    Parameters
    ----------
    name
        A canonical region name, or anything :func:`resolve_region` accepts.

    Returns
    -------
    str or None
        ``None`` for names outside the alias table (units a file names itself).
    """
    region = _lookup(name) if isinstance(name, str) else None
    return _table().iso.get(region) if region else None


def load_regions(
    paths: str | Path | Sequence[str | Path],
    *,
    only: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read admin-1 boundaries from vector files, one row per region.

    Parameters
    ----------
    paths
        One file or several (GeoJSON, ``.geojson.gz``, shapefile, zipped
        shapefile, GeoPackage, anything GDAL reads). The first file that defines
        a region wins; later copies are dropped and reported. Regions of later
        files are clipped to what earlier files leave uncovered (so ground near a
        border counts once), with a note where more than 1 km² is cut.
    only
        Keep just these regions (any form :func:`resolve_region` accepts).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region``, ``code`` (ISO 3166-2 or ``None``), ``country``
        (``"UA"``, ``"RU"``, another two-letter code or ``None``), ``source_file``
        and ``geometry`` (valid polygons, EPSG:4326). ``attrs["duplicates"]``
        lists the dropped duplicates, ``attrs["notes"]`` every warning logged.

    Raises
    ------
    RegionError
        If a file cannot be read, has no name or code column, or a region of
        ``only`` is unknown or absent from the files.

    Examples
    --------
    >>> from geo.sample import sample_regions_file
    >>> regions = load_regions(sample_regions_file())
    >>> regions[["region", "code", "country"]].to_dict("records")[:2]
    [{'region': 'Kherson', 'code': 'UA-65', 'country': 'UA'},
     {'region': 'Zaporizhzhia', 'code': 'UA-23', 'country': 'UA'}]
    >>> list(load_regions(sample_regions_file(), only=["UA-14", "Курская область"])["region"])
    ['Donetsk', 'Kursk']
    """
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        msg = "load_regions: no boundary file given"
        raise RegionError(msg)
    only = [only] if isinstance(only, str) else only
    wanted = None if only is None else list(dict.fromkeys(resolve_region(n) for n in only))
    kept: dict[str, tuple[_Row, str]] = {}
    duplicates: list[dict[str, str]] = []
    notes: list[str] = []
    present: dict[str, None] = {}
    for path in files:
        rows, file_notes, names = _read_regions(path, wanted)
        notes += file_notes
        present.update(dict.fromkeys(names))
        dropped = []
        for row in rows:
            if row.key in kept:
                kept_from = kept[row.key][1]
                duplicates.append(
                    {"region": row.region, "dropped_from": str(path), "kept_from": kept_from}
                )
                dropped.append(f"{row.region} (kept from {Path(kept_from).name})")
            else:
                kept[row.key] = (row, str(path))
        if dropped:
            notes.append(
                f"{path}: {len(dropped)} region(s) already defined by an earlier file "
                f"were dropped: {', '.join(dropped)}"
            )
    if wanted is not None:
        missing = [name for name in wanted if name not in kept]
        if missing:
            msg = (
                f"region(s) {', '.join(missing)} not found in {', '.join(map(str, files))}; "
                f"the files contain: {', '.join(sorted(present)) or 'nothing'}"
            )
            raise RegionError(msg)
    order = list(kept) if wanted is None else wanted
    records = [kept[key] for key in order]
    geometries = np.array([_union(row.geometries) for row, _ in records], dtype=object)
    file_index = np.array([[str(p) for p in files].index(src) for _, src in records], dtype=int)
    notes += _clip_later_files(geometries, file_index, [row.region for row, _ in records])
    covered = shapely.is_empty(geometries)
    if covered.any():  # wholly inside earlier files' regions (noted above)
        records = [r for r, gone in zip(records, covered, strict=True) if not gone]
        geometries = geometries[~covered]
    for note in notes:
        logger.warning("%s", note)
    frame = gpd.GeoDataFrame(
        {
            "region": [row.region for row, _ in records],
            "code": pd.Series([row.code for row, _ in records], dtype=object),
            "country": pd.Series([row.country for row, _ in records], dtype=object),
            "source_file": [source for _, source in records],
        },
        geometry=list(geometries),
        crs=WGS84,
    )
    frame.attrs["duplicates"] = duplicates
    frame.attrs["notes"] = notes
    return frame


#: Overlaps smaller than this (km²) are clipped without a note: edge noise between files.
_CLIP_NOTE_KM2 = 1.0


def _clip_later_files(geoms: Any, file_index: Any, names: list[str]) -> list[str]:
    """Cut from each region what regions of earlier files already cover (in place).

    Boundary sets of different makers overlap along shared borders (Natural
    Earth's coarse Kursk reaches ~390 km² into OCHA's Sumy); without the cut,
    ground near the border would count for two regions. The earlier file wins,
    as it does for duplicate names. Returns one note per region clipped by
    more than :data:`_CLIP_NOTE_KM2`.
    """
    notes: list[str] = []
    if len(geoms) == 0 or file_index.max() == 0:
        return notes
    tree = shapely.STRtree(geoms)
    later, earlier = tree.query(geoms, predicate="intersects")
    pairs = file_index[earlier] < file_index[later]
    later, earlier = later[pairs], earlier[pairs]
    for i in np.unique(later):
        cover = shapely.union_all(geoms[earlier[later == i]])
        clipped = polygonal_part(shapely.make_valid(shapely.difference(geoms[i], cover)))
        lost_km2 = float(geodesic_area_km2(geoms[i])) - float(
            geodesic_area_km2(clipped) if clipped is not None else 0.0
        )
        geoms[i] = clipped if clipped is not None else shapely.Polygon()
        if clipped is None:
            notes.append(f"{names[i]}: wholly covered by regions of an earlier file; dropped")
        elif lost_km2 > _CLIP_NOTE_KM2:
            covered_by = ", ".join(dict.fromkeys(names[j] for j in earlier[later == i]))
            notes.append(
                f"{names[i]}: {lost_km2:,.1f} km² overlapping regions of an earlier file "
                f"({covered_by}) were clipped off; the earlier file wins"
            )
    return notes


def _union(geometries: list[BaseGeometry]) -> BaseGeometry:
    if len(geometries) == 1:
        return geometries[0]
    return shapely.make_valid(shapely.union_all(geometries))


def _read_regions(path: Path, wanted: list[str] | None) -> tuple[list[_Row], list[str], list[str]]:
    """Rows of one file (merged per region), the notes to report, all region names."""
    frame = _read_file(path)
    if frame.empty:
        msg = f"{path}: the file holds no features; give an admin-1 boundary file"
        raise RegionError(msg)
    columns = {str(c).lower(): str(c) for c in frame.columns if c != frame.geometry.name}
    code_cols = [columns[c.lower()] for c in CODE_COLUMNS if c.lower() in columns]
    name_cols = [columns[c.lower()] for c in NAME_COLUMNS if c.lower() in columns]
    if not code_cols and not name_cols:
        name_cols = _guess_name_columns(frame, list(columns.values()))
        if not name_cols:
            msg = (
                f"{path}: no region name or code column among {list(columns.values())}; "
                f"expected one of {', '.join(CODE_COLUMNS + NAME_COLUMNS)}, or a text column "
                "whose values are region names or codes (e.g. 'Donetsk', 'UA-14')"
            )
            raise RegionError(msg)
    country_cols = [columns[c.lower()] for c in _COUNTRY_COLUMNS if c.lower() in columns]
    notes: list[str] = []
    rows: list[_Row] = []
    positions: list[int] = []
    names: list[str] = []
    unnamed = 0
    for position, record in enumerate(
        frame[code_cols + name_cols + country_cols].itertuples(index=False, name=None)
    ):
        values = [_text(v) for v in record]
        row = _resolve_row(position, values, code_cols, name_cols, country_cols)
        names.append(row.region)
        unnamed += not any(values[: len(code_cols) + len(name_cols)])
        if wanted is None or row.region in wanted:
            rows.append(row)
            positions.append(position)
    if unnamed:
        notes.append(
            f"{path}: {unnamed} feature(s) have no name or code; kept as 'unnamed feature N'"
        )
    geometries = np.asarray(frame.geometry.array, dtype=object)[positions]
    clean, kept_index, _ = clean_geometries(geometries, crs=frame.crs, where=str(path))
    lost = sorted(set(range(len(rows))) - set(kept_index.tolist()))
    if lost:
        lost_names = ", ".join(rows[i].region for i in lost[:10])
        notes.append(
            f"{path}: {len(lost)} feature(s) without polygon geometry dropped: {lost_names}"
        )
    merged: dict[str, _Row] = {}
    for geometry, index in zip(clean, kept_index, strict=True):
        row = merged.setdefault(rows[index].key, rows[index])
        row.geometries.append(geometry)
    for row in merged.values():
        if len(row.geometries) > 1:
            notes.append(
                f"{path}: {len(row.geometries)} features name {row.region!r}; "
                "merged them into one region"
            )
    return list(merged.values()), notes, names


def _resolve_row(
    position: int,
    values: list[str | None],
    code_cols: list[str],
    name_cols: list[str],
    country_cols: list[str],
) -> _Row:
    n_codes, n_names = len(code_cols), len(name_cols)
    codes, names = values[:n_codes], values[n_codes : n_codes + n_names]
    table = _table()
    for value in codes + names:
        region = _lookup(value) if value else None
        if region is not None:
            code = table.iso[region]
            return _Row(region, code, code.split("-")[0], known=True)
    iso = next(
        (
            v.upper()
            for v, c in zip(codes, code_cols, strict=True)
            if v and c.lower() in _ISO_COLUMNS and _ISO_CODE.match(v.upper())
        ),
        None,
    )
    country = iso.split("-")[0] if iso else None
    for value in values[n_codes + n_names :]:
        if country is None and value:
            text = value.strip().upper()
            country = text if len(text) == 2 and text.isalpha() else _ALPHA3.get(text)
    label = next((v for v in names + codes if v), None) or f"unnamed feature {position}"
    return _Row(label, iso, country, known=False)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _guess_name_columns(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Text columns where some values resolve, most matches first."""
    scores: dict[str, int] = {}
    for column in columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(
            frame[column]
        ):
            values = (_text(v) for v in frame[column].unique())
            scores[column] = sum(1 for v in values if v and _lookup(v))
    return [c for c in sorted(scores, key=lambda c: -scores[c]) if scores[c] > 0]


def _read_file(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        msg = f"{path}: boundary file not found"
        raise RegionError(msg)
    try:
        limits.check_file_size(path)  # a regular file (a FIFO would block), not too large
    except InputFormatError as exc:
        raise RegionError(str(exc)) from None
    source = str(path)
    if path.name.lower().endswith(".gz"):
        source = "/vsigzip/" + source
    try:
        encoding = _shapefile_encoding(path)
        layer = _pick_layer(source)
        info = pyogrio.read_info(source, layer=layer, encoding=encoding)
        fields = [str(f) for f in info["fields"]]
        wanted = {c.lower() for c in CODE_COLUMNS + NAME_COLUMNS + _COUNTRY_COLUMNS}
        named = {c.lower() for c in CODE_COLUMNS + NAME_COLUMNS}
        # Without a name or code column every text column may hold the names.
        columns = (
            [f for f in fields if f.lower() in wanted]
            if named & {f.lower() for f in fields}
            else None
        )
        return pyogrio.read_dataframe(source, layer=layer, encoding=encoding, columns=columns)
    except _READ_ERRORS as exc:
        msg = (
            f"{path}: cannot read as a vector file ({exc}); give a GeoJSON, shapefile "
            "(.shp with .shx/.dbf, or zipped), GeoPackage or another format GDAL reads"
        )
        raise RegionError(msg) from exc


def _pick_layer(source: str) -> str | None:
    """Return the layer to read: the one named like admin-1 when a file holds several."""
    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if len(layers) <= 1:
        return None
    adm1 = [name for name in layers if re.search(r"adm(in)?_?1", name, re.IGNORECASE)]
    return adm1[0] if adm1 else layers[0]


def _shapefile_encoding(path: Path) -> str | None:
    """``"utf-8"`` for a shapefile without ``.cpg`` whose ``.dbf`` text is UTF-8.

    GDAL reads such files as Latin-1 (OCHA COD-AB among them), which turns
    Cyrillic names into mojibake.
    """
    name = path.name.lower()
    bodies: list[bytes] = []
    if name.endswith(".shp"):
        cpgs = [path.with_suffix(s) for s in (".cpg", ".CPG")]
        dbfs = [p for p in (path.with_suffix(s) for s in (".dbf", ".DBF")) if p.is_file()]
        if dbfs and not any(p.is_file() for p in cpgs):
            bodies.append(_dbf_records(dbfs[0].read_bytes()))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = {m.lower(): m for m in archive.namelist()}
            for lower, member in members.items():
                if lower.endswith(".dbf") and lower[:-4] + ".cpg" not in members:
                    with archive.open(member) as handle:
                        bodies.append(_dbf_records(handle.read(64 << 20)))
    non_ascii = [body for body in bodies if not body.isascii()]
    if non_ascii and all(_is_utf8(body) for body in non_ascii):
        return "utf-8"
    return None


def _dbf_records(raw: bytes) -> bytes:
    header_bytes = int.from_bytes(raw[8:10], "little")
    return raw[header_bytes:]


def _is_utf8(data: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


__all__ = [
    "CODE_COLUMNS",
    "NAME_COLUMNS",
    "TARGET_REGIONS",
    "find_region",
    "known_regions",
    "load_regions",
    "region_code",
    "resolve_region",
]
