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


def parse_day(text: str, option: str) -> dt.date:
    """Return a ``YYYY-MM-DD`` option value as a date; a clear :class:`DateError` otherwise."""
    from geo.dates import parse_date

    return parse_date(text, where=option)


def area_method_option(func: F) -> F:
    """``--area-method ellipsoid|deepstate|economist``: whose way of measuring area."""
    from geo.area_methods import AREA_METHODS

    return click.option(
        "--area-method",
        type=click.Choice(AREA_METHODS),
        default="ellipsoid",
        show_default=True,
        help="Measure areas as geo does (ellipsoid) or as DeepStateMap / the Economist do.",
    )(func)
