"""Dates and sources of the commands that read a date range: ``--last``, reversed dates, one source.

Shared by ``geo diff``, ``geo stats``, ``geo places``, ``geo frontline`` and
``geo map``:

* ``--last 7d|30d|12w`` counts back from the latest stored date of the layer
  (of ``--source`` if given, else of any source), instead of giving both dates;
* dates given the wrong way round (``--from`` after ``--to``) are swapped, with
  a note saying so;
* with several sources in the store, the one that holds the layer on every
  date asked is picked once for the whole command
  (:meth:`geo.store.Store.pick_source`, which notes the choice).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from geo.cli_errors import note
from geo.cli_options import parse_day
from geo.errors import SnapshotNotFoundError
from geo.store import Store

F = TypeVar("F", bound=Callable[..., Any])

_PERIOD = re.compile(r"^\s*(\d{1,5})\s*([dw])\s*$", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7}


def last_option(func: F) -> F:
    """``--last 7d|30d|12w``: the period up to the layer's latest stored date."""
    return click.option(
        "--last",
        "last",
        default=None,
        metavar="PERIOD",
        help="The last 7d, 30d, 12w... up to the layer's latest stored date (instead of dates).",
    )(func)


def parse_period(text: str) -> dt.timedelta:
    """Return ``7d`` (days) or ``12w`` (weeks) as a timedelta; a usage error otherwise.

    Examples
    --------
    >>> parse_period("30d"), parse_period("2W")
    (datetime.timedelta(days=30), datetime.timedelta(days=14))
    """
    match = _PERIOD.match(text)
    if match is None or int(match[1]) == 0:
        msg = f"--last {text!r}: give a number of days or weeks, e.g. 7d, 30d or 12w"
        raise click.BadParameter(msg)
    return dt.timedelta(days=int(match[1]) * _UNIT_DAYS[match[2].lower()])


def date_range(
    store: Store,
    layer: str,
    first: str | None,
    second: str | None,
    *,
    last: str | None,
    source: str | None = None,
    flags: tuple[str, str] = ("--from", "--to"),
    required: bool = True,
) -> tuple[dt.date | None, dt.date | None]:
    """Return the two dates a command asks for, in order.

    Parameters
    ----------
    store, layer
        Where ``--last`` finds the latest stored date.
    first, second
        The two date options as typed (``None`` when not given).
    last
        ``--last`` as typed; it may not be given with either date.
    source
        Count ``--last`` back from this source's latest date (default: any source's).
    flags
        The options' names, for messages.
    required
        Both dates (or ``--last``) must be given.

    Raises
    ------
    click.UsageError
        ``--last`` with a date, or a date missing where both are required.
    SnapshotNotFoundError
        ``--last`` for a layer the store does not hold.
    """
    if last is not None:
        if first or second:
            msg = f"--last replaces {flags[0]} and {flags[1]}: give one or the other"
            raise click.UsageError(msg)
        period = parse_period(last)
        days = store.dates(layer, source=source)
        if not days:
            where = f" of source {source!r}" if source else ""
            msg = (
                f"no snapshots of layer {layer!r}{where} in store {store.path}; "
                "see Store.snapshots()"
            )
            raise SnapshotNotFoundError(msg)
        latest = days[-1]
        back = latest - period
        note(f"--last {last.strip()}: {back} to {latest}, the latest stored date of {layer}")
        return back, latest
    start = parse_day(first, flags[0]) if first else None
    end = parse_day(second, flags[1]) if second else None
    if required and (start is None or end is None):
        msg = f"give {flags[0]} and {flags[1]}, or --last (e.g. --last 30d)"
        raise click.UsageError(msg)
    if start is not None and end is not None and start > end:
        note(f"{flags[0]} {start} is after {flags[1]} {end}: swapped them, {end} to {start}")
        start, end = end, start
    return start, end


def one_source(store: Store, layer: str, source: str | None, *dates: dt.date | None) -> str:
    """Return ``source``, or the one source holding ``layer`` on every date (noted when several).

    Picking once keeps both ends of a diff (or a front and its ``--since``)
    in one series, and names the choice once.
    """
    return source if source is not None else store.pick_source(layer, *dates)
