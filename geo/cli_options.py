"""Options and parsers shared by the ``geo`` command modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """``--store DIR`` on every command that touches a store."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Snapshot store folder (default: $GEO_STORE, else the user data folder).",
    )(func)


def jobs_option(func: F) -> F:
    """``--jobs N``: local worker processes for the whole-archive loops (0: one per core)."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=0),
        default=1,
        show_default=True,
        help="Worker processes (0: one per core); results are the same for any N.",
    )(func)


def parse_day(text: str, option: str) -> dt.date:
    """Return a ``YYYY-MM-DD`` option value as a date; a clear :class:`DateError` otherwise."""
    from geo.dates import parse_date

    return parse_date(text, where=option)
