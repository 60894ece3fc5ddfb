"""Date-like fragments in file, folder and layer names: the one scanner.

:func:`scan` finds every full date (``2023-05-01``, ``20230501``, ``18MAR2025``,
``01.05.2023``) and every day of a month without a year (``APR13``) in a name.
It sits in the basics layer so that both :mod:`geo.layers` (which reads layer
names with dates glued on) and :mod:`geo.dates` (which dates snapshots) use it,
with imports pointing downward only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

__all__ = ["MONTHS", "PLAUSIBLE_YEARS", "DateHit", "date_spans", "scan", "stem"]

#: Years a snapshot date may have; others are typos (``2202-02-02``).
PLAUSIBLE_YEARS: tuple[int, int] = (2014, dt.date.today().year + 1)

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")  # fmt: skip
#: Month words (full English names, three-letter abbreviations, "sept") to month numbers.
MONTHS = {n: i for i, full in enumerate(_MONTH_NAMES, 1) for n in (full, full[:3])} | {"sept": 9}
# Longest first so "march" wins over "mar"; no letter may follow ("Marching").
_MON = "(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")(?![a-z])"
_SEP = r"[-_ .,]{0,2}"

_FULL_PATTERNS = (
    # Compact digits, optionally with HHMM or HHMMSS; never cut out of a longer run.
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?P<t>(?:\d{2}){2,3})?(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<s>[-_. ])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}}){_SEP}{_MON}{_SEP}(?P<y>\d{{4}})(?!\d)", re.I),
    re.compile(rf"{_MON}{_SEP}(?P<d>\d{{1,2}}){_SEP}(?P<y>\d{{4}})(?!\d)", re.I),
    re.compile(rf"(?<!\d)(?P<y>\d{{4}}){_SEP}{_MON}{_SEP}(?P<d>\d{{1,2}})(?!\d)", re.I),
)
_PARTIAL_PATTERNS = (
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})[-_ ]?{_MON}(?![-_ ]?\d)", re.I),
    re.compile(rf"{_MON}[-_ ]?(?P<d>\d{{1,2}})(?!\d)", re.I),
)
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")


@dataclasses.dataclass(frozen=True)
class DateHit:
    """One date-like fragment of a name: where it is, the day it gives, what is wrong with it."""

    start: int
    end: int
    text: str
    date: dt.date | None  # the (month, day) of a partial hit sits in a leap year
    problem: str  # "" for a usable full date


def stem(name: str) -> str:
    """Return ``name`` without its trailing extensions (``a.geojson.gz`` -> ``a``)."""
    text = name
    while (match := _EXTENSION.search(text)) and match.start() > 0:
        text = text[: match.start()]
    return text


def scan(name: str) -> list[DateHit]:
    """Return every date-like fragment of one name, full or partial, left to right."""
    text = stem(name)
    lo, hi = PLAUSIBLE_YEARS
    full: list[DateHit] = []
    for pattern in _FULL_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
            t = groups.get("t") or "0000"
            if int(t[:2]) > 23 or int(t[2:4]) > 59 or int(t[4:] or 0) > 59:
                continue
            try:
                day = dt.date(int(groups["y"]), month, int(groups["d"]))
            except ValueError:
                if "t" not in groups:  # a bare digit run that is no date is just a number
                    full.append(DateHit(m.start(), m.end(), m[0], None, "not a calendar date"))
                continue
            problem = "" if lo <= day.year <= hi else f"year out of range {lo}..{hi}"
            full.append(DateHit(m.start(), m.end(), m[0], day, problem))
    hits = _non_overlapping(full, [])
    partial: list[DateHit] = []
    for pattern in _PARTIAL_PATTERNS:
        for m in pattern.finditer(text):
            try:
                day = dt.date(2000, MONTHS[m["mon"].lower()], int(m["d"]))
            except ValueError:
                continue
            partial.append(DateHit(m.start(), m.end(), m[0], day, "no year"))
    return sorted(_non_overlapping(partial, hits) + hits, key=lambda h: h.start)


def _non_overlapping(candidates: list[DateHit], taken: list[DateHit]) -> list[DateHit]:
    kept: list[DateHit] = []
    # Usable dates claim their text first, then the longest fragment at each position.
    for hit in sorted(candidates, key=lambda h: (bool(h.problem), h.start, h.start - h.end)):
        if all(hit.end <= other.start or other.end <= hit.start for other in taken + kept):
            kept.append(hit)
    return kept


def date_spans(name: str) -> list[tuple[int, int]]:
    """Where date-like fragments sit in a name, left to right.

    Parameters
    ----------
    name
        A file, folder or layer name; a trailing extension is ignored.

    Returns
    -------
    list of tuple
        ``(start, end)`` offsets into ``name`` of every full or partial date
        (``2023-05-01``, ``18MAR2025``, ``APR13``), usable or not, so callers
        can read what the name says besides its dates.

    Examples
    --------
    >>> name = "AssessedRussianAdvancesinUkraineMAR182025_v2"
    >>> [name[start:end] for start, end in date_spans(name)]
    ['MAR182025']
    """
    return [(hit.start, hit.end) for hit in scan(name)]
