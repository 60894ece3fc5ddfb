"""Find the date of a snapshot: ``date=``, a date attribute, the file name or folder names.

Precedence (:func:`resolve_date`): an explicit ``date=`` wins, then a date attribute
(every non-null value must give the same day), then a date in the file name, then
dates in the folder names (``2022/April/01``, ``2022-04-01/``) or a year folder that
completes a file name without a year (``2022/…APR13.zip``). Dates outside
:data:`PLAUSIBLE_YEARS` are rejected, so typos like ``2202-02-02`` fail loudly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import numbers
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from geo.datenames import MONTHS, PLAUSIBLE_YEARS, date_spans, scan, stem
from geo.errors import DateError

__all__ = [
    "ACCEPTED_FORMS", "DATE_ATTRIBUTES", "GIVEN", "MONTHS", "PLAUSIBLE_YEARS", "DateFound",
    "date_from_folders", "date_spans", "dates_in_name", "find_date_attribute", "parse_date",
    "partial_dates_in_name", "resolve_date",
]  # fmt: skip

# Priority order. Shapefiles cut field names to 10 characters, hence the stubs.
# Edit metadata (EditDate, CreationDa, created, last_edited_date) is deliberately absent.
DATE_ATTRIBUTES: tuple[str, ...] = ("snapshot_date", "snapshot_d", "date", "as_of",
                                    "report_date", "report_dat", "datetime", "day")  # fmt: skip

ACCEPTED_FORMS = (
    "YYYY-MM-DD, YYYYMMDD, YYYY-MM-DDTHH:MM:SS[Z|+hh:mm], 13APR2022, 01.05.2023, "
    "a date or datetime value, or Unix time in seconds or milliseconds"
)
FIX = 'pass date="YYYY-MM-DD"'

#: The rule of a date given by the caller (``date=``).
GIVEN = "given date"

_ARCGIS_NULL = dt.date(1899, 12, 30)  # ArcGIS writes null dates as this day

_UNIX_TIME = re.compile(r"(?<!\d)\d{10}(?!\d)")


@dataclasses.dataclass(frozen=True)
class DateFound:
    """A snapshot date and the rule that gave it (``"file name '20230501'"``)."""

    date: dt.date
    rule: str


def dates_in_name(name: str) -> list[DateFound]:
    """All distinct plausible full dates in one file or folder name.

    Parameters
    ----------
    name
        One path component; a trailing extension (``.geojson.gz``) is ignored.

    Returns
    -------
    list[DateFound]
        In order of appearance; ``rule`` quotes the fragment (``"name '20230501'"``).
        Unix times, partial and implausible dates are not included.
    """
    found: dict[dt.date, DateFound] = {}
    for hit in scan(name):
        if hit.date is not None and not hit.problem and hit.date not in found:
            found[hit.date] = DateFound(hit.date, f"name '{hit.text}'")
    return list(found.values())


def partial_dates_in_name(name: str) -> list[str]:
    """Fragments that look like a day of a month but carry no year (``'APR13'``)."""
    return list(dict.fromkeys(h.text for h in scan(name) if h.problem == "no year"))


def _findings(name: str) -> list[str]:
    """Date-like fragments of a name that could not be used, for error messages."""
    notes = [f"'{h.text}' ({h.problem})" for h in scan(name) if h.problem]
    for m in _UNIX_TIME.finditer(stem(name)):
        moment = dt.datetime.fromtimestamp(int(m[0]), tz=dt.UTC)
        if PLAUSIBLE_YEARS[0] <= moment.year <= PLAUSIBLE_YEARS[1]:
            stamp = moment.strftime("%Y-%m-%d %H:%M UTC")
            notes.append(f"'{m[0]}' (looks like Unix time {stamp}; not read as a date)")
    return notes


def _month_of(part: str) -> int | None:
    """'04', 'April', 'apr', '04_April' -> 4."""
    match = re.fullmatch(r"(\d{1,2})?[-_ .]?([a-z]*)", part.lower())
    number = int(match[1]) if match and match[1] else None
    named = MONTHS.get(match[2], 0) if match and match[2] else None  # 0: letters, no month
    month = named if named is not None else number
    agree = number is None or named is None or number == named
    return month if month and month <= 12 and agree else None


def _folder_parts(path: Path, root: Path | None) -> tuple[str, ...]:
    parent = path.parent
    if root is None:
        return tuple(p for p in parent.parts if p != parent.anchor)
    for base, here in ((root, parent), (root.resolve(), parent.resolve())):
        if here.is_relative_to(base):
            return here.relative_to(base).parts
    return ()


def _from_folders(
    parts: tuple[str, ...], stem: str
) -> tuple[DateFound | None, int | None, list[str]]:
    """Return the deepest folder date, the deepest year folder, and unusable findings."""
    chain = parts + ((stem,) if re.fullmatch(r"\d{1,2}", stem) else ())
    lo, hi = PLAUSIBLE_YEARS
    best: tuple[int, DateFound] | None = None
    year: int | None = None
    notes: list[str] = []
    for i, part in enumerate(parts):
        found = dates_in_name(part)
        if len(found) == 1 and (best is None or best[0] <= i):
            best = (i, DateFound(found[0].date, f"folder '{part}'"))
        elif found:
            notes.append(f"'{part}' (several dates)")
        notes.extend(_findings(part) if not found else [])
        if not re.fullmatch(r"\d{4}", part) or not lo <= int(part) <= hi:
            continue
        year = y = int(part)
        month = _month_of(chain[i + 1]) if i + 1 < len(chain) else None
        if month is None:
            continue
        used = "/".join(chain[i : i + 2])
        if i + 2 < len(chain) and re.fullmatch(r"\d{1,2}", chain[i + 2]):
            try:
                day = dt.date(y, month, int(chain[i + 2]))
            except ValueError:
                notes.append(f"'{used}/{chain[i + 2]}' (not a calendar date)")
                continue
            if best is None or best[0] <= i + 2:
                best = (i + 2, DateFound(day, f"folder '{used}/{chain[i + 2]}'"))
        else:
            notes.append(f"'{used}' (a month, no day)")
    return (best[1] if best else None), year, notes


def _from_names(path: Path, root: Path | None) -> tuple[DateFound | None, str, list[str]]:
    """Return the date from the file name or folders, why names conflict, and what was looked at."""
    fragments = scan(path.name)
    hits = [h for h in fragments if h.date is not None and not h.problem]
    partial = {
        (h.date.month, h.date.day): h.text for h in fragments if h.problem == "no year" and h.date
    }
    dates = list(dict.fromkeys(h.date for h in hits if h.date is not None))
    findings = _findings(path.name)
    looked = [f"file name '{path.name}'" + (f": found {', '.join(findings)}" if findings else "")]
    parts = _folder_parts(path, root)
    folder, year, notes = _from_folders(parts, stem(path.name))
    if parts:
        looked.append(
            f"folders '{'/'.join(parts)}'" + (f": found {', '.join(notes)}" if notes else "")
        )
    else:
        looked.append("no folders" + (f" below {root}" if root is not None else ""))
    if len(dates) == 1:
        return DateFound(dates[0], f"file name '{hits[0].text}'"), "", looked
    if dates:
        listed = ", ".join(f"{h.date} from '{h.text}'" for h in hits)
        if folder is not None and folder.date in dates:
            return folder, "", looked
        conflict = f"file name '{path.name}' holds {len(dates)} different dates ({listed})"
        if folder is not None:
            conflict += f" and {folder.rule} gives {folder.date}, none of them"
        return None, conflict, looked
    if folder is not None:
        if partial and (folder.date.month, folder.date.day) not in partial:
            texts = ", ".join(f"'{t}'" for t in partial.values())
            conflict = f"file name '{path.name}' says {texts} but {folder.rule} gives {folder.date}"
            return None, conflict, looked
        return folder, "", looked
    if year is not None and len(partial) == 1:
        (((month, day), text),) = partial.items()
        try:
            found = DateFound(dt.date(year, month, day), f"file name '{text}' + folder '{year}'")
        except ValueError:  # 29 February in a year without one
            return None, f"'{text}' does not exist in {year}", looked
        return found, "", looked
    return None, "", looked


def date_from_folders(path: Path, *, root: Path | None = None) -> DateFound | None:
    """Return the date given by a file's name or, failing that, its folders.

    Parameters
    ----------
    path
        The file, e.g. ``root/2022/April/RussianControl/20220401_RussianControl.geojson``.
    root
        Only folders below this one are read.

    Returns
    -------
    DateFound or None
        None when nothing usable is found or the names disagree.
    """
    return _from_names(Path(path), root)[0]


def _is_null(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    # NaN and pandas.NaT are the values unequal to themselves.
    return value is None or (isinstance(value, numbers.Real | dt.datetime) and value != value)


def _bad(value: object, where: str, why: str = "not a date") -> DateError:
    return DateError(
        f"{where}: cannot read a date from {value!r} ({why}); accepted: {ACCEPTED_FORMS}"
    )


def _to_date(value: object, where: str) -> dt.date:
    """Any accepted form to a calendar day, without the plausibility check."""
    if isinstance(value, bool) or _is_null(value):
        raise _bad(value, where, "empty" if not isinstance(value, bool) else "a boolean")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        try:
            return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
        except ValueError:
            raise _bad(value, where, "year out of range") from None
    if isinstance(value, numbers.Integral) and 19000101 <= int(value) <= 29991231:
        ymd = int(value)
        try:  # YYYYMMDD read as a number (CSV), never a plausible Unix time
            return dt.date(ymd // 10000, ymd // 100 % 100, ymd % 100)
        except ValueError:
            pass
    if isinstance(value, numbers.Real):
        number = float(value)
        seconds = number / 1000 if abs(number) > 10**11 else number
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise _bad(value, where, "Unix time out of range") from None
    if not isinstance(value, str):
        raise _bad(value, where, f"unsupported type {type(value).__name__}")
    text = value.strip().replace("/", "-")
    try:  # calendar dates only: ISO week ('2023-W01') and ordinal dates name no single day
        if re.match(r"\d{4}-?\d\d-?\d\d(?!\d)", text):
            return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for hit in scan(text):
        if hit.start == 0 and hit.end == len(text):
            if hit.date is None or hit.problem == "no year":
                raise _bad(value, where, hit.problem)
            return hit.date  # plausibility is checked by the caller
    raise _bad(value, where)


def _check_plausible(day: dt.date, value: object, where: str) -> dt.date:
    lo, hi = PLAUSIBLE_YEARS
    if not lo <= day.year <= hi:
        msg = (
            f"{where}: date {day.isoformat()} (from {value!r}) is implausible: year {day.year} "
            f"is out of range {lo}..{hi}; correct it or {FIX}"
        )
        raise DateError(msg)
    return day


def parse_date(value: object, *, where: str = "input") -> dt.date:
    """Read one date value.

    Parameters
    ----------
    value
        ``'YYYY-MM-DD'``, ``'YYYYMMDD'``, an ISO datetime (the day as written is kept),
        ``'13APR2022'``-style text, a ``date``/``datetime``/``pandas.Timestamp``/
        ``numpy.datetime64``, or Unix time (values above 1e11 are milliseconds, as
        ArcGIS stores them; read as UTC). An 8-digit integer is read as YYYYMMDD.
    where
        What the value belongs to, for the error message (file, feature, ``date=``).

    Returns
    -------
    datetime.date

    Raises
    ------
    DateError
        Unreadable, empty, or outside :data:`PLAUSIBLE_YEARS`.

    Examples
    --------
    >>> [parse_date(v).isoformat() for v in ("2023-05-01", "20230501", "13APR2022", 1682899200)]
    ['2023-05-01', '2023-05-01', '2022-04-13', '2023-05-01']
    >>> parse_date("2202-02-02", where="date=")
    Traceback (most recent call last):
    ...
    geo.errors.DateError: date=: date 2202-02-02 (from '2202-02-02') is implausible: ...
    """
    return _check_plausible(_to_date(value, where), value, where)


def find_date_attribute(columns: Iterable[str]) -> str | None:
    """Return the column holding snapshot dates, by :data:`DATE_ATTRIBUTES` priority, or None."""
    by_name: dict[str, str] = {}
    for column in sorted(columns):
        by_name.setdefault(re.sub(r"[\s-]+", "_", column.strip().lower()), column)
    return next((by_name[a] for a in DATE_ATTRIBUTES if a in by_name), None)


def resolve_date(
    path: Path | str,
    *,
    explicit: object = None,
    attribute_values: Sequence[object] | None = None,
    attribute_name: str | None = None,
    root: Path | None = None,
) -> DateFound:
    """Return the date of the snapshot in ``path``.

    Parameters
    ----------
    path
        The input file.
    explicit
        The ``date=`` value; wins over everything.
    attribute_values
        The date attribute of every feature; nulls (and ArcGIS's 1899-12-30) are skipped,
        the rest must all give one day.
    attribute_name
        The attribute's name, for messages and the rule.
    root
        Only folders below this one are read.

    Returns
    -------
    DateFound

    Raises
    ------
    DateError
        Attribute values that disagree or are unreadable, a file name with several
        dates, names that contradict each other, or no date at all. The message lists
        what was looked at and ends with the fix.
    """
    path = Path(path)
    if explicit is not None:
        return DateFound(parse_date(explicit, where="date="), GIVEN)
    label = f"attribute '{attribute_name}'" if attribute_name else "the date attribute"
    looked_attribute = ""
    if attribute_values is not None:
        counts: dict[dt.date, int] = {}
        for i, value in enumerate(attribute_values):
            if _is_null(value):
                continue
            where = f"{path}: feature {i}, {label}"
            day = _to_date(value, where)
            if day != _ARCGIS_NULL:
                counts[_check_plausible(day, value, where)] = counts.get(day, 0) + 1
        if len(counts) > 1:
            listed = ", ".join(f"{d} ({n} features)" for d, n in sorted(counts.items())[:10])
            msg = (
                f"{path}: {label} holds {len(counts)} different dates ({listed}"
                f"{', ...' if len(counts) > 10 else ''}); "
                f"split the file by date or {FIX}"
            )
            raise DateError(msg)
        if counts:
            rule = f"attribute {attribute_name}" if attribute_name else "attribute"
            return DateFound(next(iter(counts)), rule)
        looked_attribute = f"{label} (all {len(attribute_values)} values empty)"
    found, conflict, looked_names = _from_names(path, root)
    if found is not None:
        return found
    looked = "; ".join(([looked_attribute] if looked_attribute else []) + looked_names)
    if conflict:
        msg = f"{path}: ambiguous date: {conflict}. Fix: {FIX}"
        raise DateError(msg)
    msg = f"{path}: no snapshot date found; looked at {looked}. Fix: {FIX}"
    raise DateError(msg)
