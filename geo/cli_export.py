"""The ``geo animate`` and ``geo chart`` commands: videos and charts of a layer's series.

Thin layers over :func:`geo.render.animate` and the charts of :mod:`geo.render`
(:func:`~geo.render.area_chart`, :func:`~geo.render.gains_chart`,
:func:`~geo.render.share_chart`) on :func:`geo.timeseries`. Registered on the
``geo`` group by :mod:`geo.cli`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import click

import geo
from geo import render
from geo.cli_options import (
    OUTPUT_FILE,
    lang_option,
    load_regions_files,
    parse_day,
    parse_size,
    regions_option,
    size_option,
    store_option,
)
from geo.cli_output import echo
from geo.render.animation import read_series
from geo.render.labels import Lang
from geo.store import open_store

__all__ = ["animate", "chart"]

_CHARTS: dict[str, Callable[..., Path]] = {
    "area": render.area_chart,
    "gains": render.gains_chart,
    "share": render.share_chart,
}


def _span(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    return (
        parse_day(start, "--start") if start else None,
        parse_day(end, "--end") if end else None,
    )


@click.command()
@store_option
@click.option("--layer", required=True, help="Canonical layer, e.g. russian_control.")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--start", default=None, help="First date YYYY-MM-DD (default: the first stored).")
@click.option("--end", default=None, help="Last date YYYY-MM-DD (default: the last stored).")
@click.option(
    "--every", type=click.Choice(["day", "week", "month"]), default="day", show_default=True,
    help="One frame per stored day, or the last date of each week or month.",
)  # fmt: skip
@click.option("--fps", type=float, default=None, help="Frames per second [12 / 4 / 2 by --every].")
@size_option("1280x720")
@lang_option
@click.option("--title", default=None, help="Title (default: layer, publisher, dates).")
@click.option("--subtitle", default=None, help="Subtitle (default: area at first and last date).")
@regions_option
@click.option("--jobs", type=int, default=None, help="Worker processes (0: one per core).")
@click.option(
    "-o", "--output", type=OUTPUT_FILE, required=True,
    help="Video to write: .mp4, .webm (pip install 'geo[video]') or .gif.",
)  # fmt: skip
def animate(
    store_path: Path | None,
    layer: str,
    source: str | None,
    start: str | None,
    end: str | None,
    every: str,
    fps: float | None,
    size_text: str,
    lang: str,
    title: str | None,
    subtitle: str | None,
    regions_files: tuple[Path, ...],
    jobs: int | None,
    output: Path,
) -> None:
    """Video of a layer over time: the date, legend, title and credit in every frame."""
    first, last = _span(start, end)
    series = read_series(open_store(store_path), layer, source=source, start=first, end=last)
    path = render.animate(
        series,
        output,
        every=cast(Literal["day", "week", "month"], every),
        fps=fps,
        size=parse_size(size_text),
        lang=cast(Lang, lang),
        title=title,
        subtitle=subtitle,
        regions=load_regions_files(regions_files),
        jobs=jobs,
    )
    echo(str(path))


@click.command()
@click.argument("kind", type=click.Choice(sorted(_CHARTS)))
@store_option
@click.option("--layer", required=True, help="Canonical layer, e.g. russian_control.")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--start", default=None, help="First date YYYY-MM-DD (default: all).")
@click.option("--end", default=None, help="Last date YYYY-MM-DD (default: all).")
@regions_option
@size_option("1600x900")
@lang_option
@click.option("--title", default=None, help="Title (default: layer, publisher, dates).")
@click.option("--subtitle", default=None, help="Subtitle (default: what the chart shows).")
@click.option(
    "-o", "--output", type=OUTPUT_FILE, required=True,
    help="Chart to write: .png or .svg.",
)  # fmt: skip
def chart(
    kind: str,
    store_path: Path | None,
    layer: str,
    source: str | None,
    start: str | None,
    end: str | None,
    regions_files: tuple[Path, ...],
    size_text: str,
    lang: str,
    title: str | None,
    subtitle: str | None,
    output: Path,
) -> None:
    """Chart a layer over time: KIND is area (held), gains (per month) or share (per region).

    The share chart needs --regions.
    """
    if kind == "share" and not regions_files:
        msg = "the share chart needs regions: pass --regions FILE"
        raise click.UsageError(msg)
    size = parse_size(size_text)  # before the time series: a typo fails at once
    first, last = _span(start, end)
    regions = load_regions_files(regions_files) if kind == "share" else None
    frame = geo.timeseries(
        open_store(store_path), layer, source=source, regions=regions, start=first, end=last
    )
    options: dict[str, Any] = {"size": size, "lang": lang, "title": title, "subtitle": subtitle}
    echo(str(_CHARTS[kind](frame, output, **options)))
