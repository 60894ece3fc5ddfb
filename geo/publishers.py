"""Who publishes each data source, and how maps must credit it.

One table, ``geo/data/publishers.csv``, holds a row per known source
(``deepstate``, ``isw``, ``sample``): display name, the words of its credit,
homepage, terms of use in short, and a notice that every map showing the
source must carry (the synthetic sample's "SYNTHETIC SAMPLE DATA ..."). The
renderers, the DeepState client and the sample read it from here, so a credit
is written once. A source not in the table is credited by its own name.

Everything returned is plain text, made single-line with :func:`geo.text.one_line`
(source names come from data); HTML pages escape it where they insert it.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from types import MappingProxyType

from geo.text import one_line

__all__ = [
    "SAMPLE_NOTICE",
    "SAMPLE_SOURCE",
    "Publisher",
    "credit",
    "credit_line",
    "display_name",
    "notice_for",
    "publisher",
    "publishers",
]

#: Separator between a source's notice and the caller's own banner text.
NOTICE_SEPARATOR = " - "


@dataclasses.dataclass(frozen=True)
class Publisher:
    """One row of the publishers table.

    Attributes
    ----------
    source
        Source name as snapshots carry it (``"deepstate"``).
    name
        Display name (``"DeepStateMap.Live"``).
    credit
        What a map prints in its "Data: ..." line.
    url
        Homepage, or ``""``.
    terms
        Licence or terms of use, in short.
    notice
        Banner every map of this source must show, or ``""`` for none.
    """

    source: str
    name: str
    credit: str
    url: str
    terms: str
    notice: str


@functools.cache
def publishers() -> Mapping[str, Publisher]:
    """Return the table of known sources, by source name (read once, read-only).

    Examples
    --------
    >>> sorted(publishers())
    ['deepstate', 'deepstate-daily', 'isw', 'sample']
    >>> publishers()["deepstate"].url
    'https://deepstatemap.live'
    """
    text = resources.files("geo").joinpath("data/publishers.csv").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    table = {row["source"]: Publisher(**row) for row in csv.DictReader(lines)}
    return MappingProxyType(table)


def publisher(source: str) -> Publisher | None:
    """Return the table row of ``source``, or ``None`` for a source the table does not know.

    Examples
    --------
    >>> publisher("isw").name
    'Institute for the Study of War (ISW)'
    >>> publisher("my-own-layers") is None
    True
    """
    return publishers().get(source)


def display_name(source: str) -> str:
    r"""Return the publisher's name of ``source``; an unknown source's own name, on one line.

    Examples
    --------
    >>> display_name("deepstate")
    'DeepStateMap.Live'
    >>> display_name("my\nlayers")
    'my\\x0alayers'
    """
    row = publisher(source)
    return row.name if row is not None else one_line(source)


def credit(source: str) -> str:
    """Return the words crediting ``source``: the table's credit, else its own name on one line.

    Examples
    --------
    >>> credit("isw")
    'Institute for the Study of War (ISW)'
    >>> credit("user")
    'user'
    """
    row = publisher(source)
    return row.credit if row is not None else one_line(source)


def credit_line(sources: Iterable[str], extra: str | None = None) -> str | None:
    """Return the credit for a map of these sources, e.g. ``"Data: DeepStateMap.Live"``.

    Parameters
    ----------
    sources
        Source of every snapshot shown (repeats are fine; order is kept; sources of
        one publisher, such as ``deepstate`` and ``deepstate-daily``, are credited once).
    extra
        The caller's own attribution, appended after the data credit.

    Returns
    -------
    str or None
        Plain, single-line text (not HTML); ``None`` when there is nothing to credit.

    Examples
    --------
    >>> credit_line(["deepstate", "isw", "deepstate-daily"])  # one publisher, credited once
    'Data: DeepStateMap.Live; Institute for the Study of War (ISW)'
    >>> credit_line(["my-layers"], extra="Basemap: mine")
    'Data: my-layers · Basemap: mine'
    >>> credit_line([]) is None
    True
    """
    names = list(dict.fromkeys(credit(s) for s in sources if s))  # two series, one publisher
    parts = ([f"Data: {'; '.join(names)}"] if names else []) + ([one_line(extra)] if extra else [])
    return " · ".join(parts) or None


def notice_for(sources: Iterable[str], notice: str | None = None) -> str | None:
    """Return the banner for a map of these sources: their notices first, then ``notice``.

    A source's notice (the synthetic sample's) cannot be left off a map: it
    leads the caller's own banner text, unless that text already holds it.

    Parameters
    ----------
    sources
        Sources of every snapshot on the map.
    notice
        The caller's own banner text, if any.

    Returns
    -------
    str or None
        ``None`` when there is nothing to show.

    Examples
    --------
    >>> notice_for(["isw"], "Draft")
    'Draft'
    >>> notice_for(["isw", "sample"], "Draft")
    'SYNTHETIC SAMPLE DATA - invented shapes, not real territorial control - Draft'
    """
    required = [
        row.notice
        for row in (publisher(s) for s in dict.fromkeys(sources))
        if row is not None and row.notice and not (notice and row.notice in notice)
    ]
    parts = [*dict.fromkeys(required), *([notice] if notice else [])]
    return NOTICE_SEPARATOR.join(parts) or None


#: Source name of the bundled synthetic sample (:mod:`geo.sample`).
SAMPLE_SOURCE = "sample"
#: Text every map made from the sample must show.
SAMPLE_NOTICE = publishers()[SAMPLE_SOURCE].notice
