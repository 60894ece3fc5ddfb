"""The ``geo map`` and ``geo demo`` commands: thin layers over :mod:`geo.render`.

``geo map`` picks the snapshots with the store's public API (the nearest on
or before each date, or a date range), computes the diff and the places that
changed hands where the map needs them, and hands them to the renderers. Only
this module speaks in flags; the library's messages speak Python.
Registered on the ``geo`` group by :mod:`geo.cli`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import click

import geo
from geo import render
from geo.cli_options import (
    gazetteer_option,
    load_regions_files,
    parse_day,
    regions_option,
    store_option,
)
from geo.cli_remote import ensure_offline_assets
from geo.errors import ValidationError
from geo.render.labels import Lang
from geo.snapshot import Snapshot
from geo.store import Store, open_store


@dataclasses.dataclass(frozen=True)
class _Output:
    """Where a map goes and how it is drawn: the options every kind shares."""

    html: Path | None
    static: Path | None
    regions: Any
    tiles: str | None
    offline: bool

    def page(self, fmap: Any) -> list[Path]:
        """Write the interactive map when ``-o`` was given (fetching assets first if offline)."""
        if self.html is None:
            return []
        if self.offline:
            ensure_offline_assets()  # from npm, once, on first use
        return [render.save_html(fmap, self.html, offline=self.offline)]


@click.command(name="map")
@store_option
@click.option("--layer", "layers", multiple=True, required=True, help="Layer (repeatable).")
@click.option("--source", default=None, help="Source (needed when several hold a layer).")
@click.option("--date", "date_text", default=None, help="Snapshot map of this date.")
@click.option("--from", "date_from", default=None, help="Diff map: first date.")
@click.option("--to", "date_to", default=None, help="Diff map: second date.")
@click.option("--timeline", is_flag=True, help="Timeline map over all dates (see --start/--end).")
@click.option("--start", default=None, help="Timeline: first date.")
@click.option("--end", default=None, help="Timeline: last date.")
@click.option(
    "--trail", "trail_days", type=click.IntRange(min=0), default=0, show_default=True,
    help="Timeline: also show the changes of this many days before the date shown (fainter).",
)  # fmt: skip
@click.option(
    "--jobs", type=click.IntRange(min=0), default=None,
    help="Timeline: encode on N local processes (0: one per core).",
)  # fmt: skip
@click.option("--title", default=None, help="Title (default: layer, publisher, dates).")
@click.option("--subtitle", default=None, help="A line under the title.")
@click.option(
    "--lang", type=click.Choice(["en", "uk"]), default="en", show_default=True,
    help="Language of the map's words and dates.",
)  # fmt: skip
@click.option("--compare", nargs=2, default=None, help="Compare map of two dates: D1 D2.")
@click.option("--to-source", default=None, help="Compare: source of the second side.")
@click.option("--swipe", is_flag=True, help="Compare as a swipe instead of side by side.")
@regions_option
@gazetteer_option
@click.option("--tiles", default="OpenStreetMap", show_default=True, help="Basemap, or 'none'.")
@click.option("--offline", is_flag=True, help="Inline all JS/CSS (fetched once from npm).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="HTML file to write.",
)  # fmt: skip
@click.option(
    "--png", "static_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Static PNG or SVG (snapshot, diff; the area chart for a timeline).",
)  # fmt: skip
def map_(
    store_path: Path | None,
    layers: tuple[str, ...],
    source: str | None,
    date_text: str | None,
    date_from: str | None,
    date_to: str | None,
    timeline: bool,
    start: str | None,
    end: str | None,
    trail_days: int,
    jobs: int | None,
    title: str | None,
    subtitle: str | None,
    lang: str,
    compare: tuple[str, str] | None,
    to_source: str | None,
    swipe: bool,
    regions_files: tuple[Path, ...],
    gazetteer_files: tuple[Path, ...],
    tiles: str,
    offline: bool,
    output: Path | None,
    static_path: Path | None,
) -> None:
    """Interactive map: one date, a diff, a timeline or a comparison.

    With --gazetteer, a diff map also marks and lists the places that changed hands.
    """
    kind = _kind(
        layers, date_text=date_text, diff=bool(date_from or date_to), timeline=timeline,
        compare=compare, start=start, end=end, swipe=swipe, to_source=to_source,
        gazetteer=bool(gazetteer_files), trail=trail_days, jobs=jobs,
    )  # fmt: skip
    if kind == "diff" and not (date_from and date_to):
        msg = "a diff map needs both --from and --to"
        raise click.UsageError(msg)
    if output is None and static_path is None:
        msg = "nothing to write"
        raise ValidationError(msg, ["give an HTML path (-o) and/or --png FILE"])
    if kind == "compare" and static_path is not None:
        msg = "no static compare map"
        raise ValidationError(msg, ["use --png with --date or --from/--to"])
    first, second = _days(
        kind, date_text=date_text, date_from=date_from, date_to=date_to, start=start, end=end,
        compare=compare,
    )  # fmt: skip
    out = _Output(
        html=output,
        static=static_path,
        regions=load_regions_files(regions_files),
        tiles=None if tiles.strip().lower() == "none" else tiles,
        offline=offline,
    )
    store = open_store(store_path)
    if kind == "timeline":
        looks = _Looks(title=title, subtitle=subtitle, lang=lang, trail_days=trail_days, jobs=jobs)
        written = _timeline(store, layers, (first, second), source, out, looks)
    elif kind == "snapshot":
        assert first is not None
        written = _snapshot(store, layers, first, source, out)
    else:  # a diff or a compare map: both dates are given
        assert first is not None and second is not None
        if kind == "diff":
            written = _diff(store, layers[0], (first, second), source, gazetteer_files, out)
        else:
            sources = (source, to_source or source)
            written = _compare(store, layers, (first, second), sources, swipe, out)
    for path in written:
        click.echo(str(path))


def _kind(
    layers: tuple[str, ...],
    *,
    date_text: str | None,
    diff: bool,
    timeline: bool,
    compare: tuple[str, str] | None,
    start: str | None,
    end: str | None,
    swipe: bool,
    to_source: str | None,
    gazetteer: bool,
    trail: int = 0,
    jobs: int | None = None,
) -> str:
    """Which map the options ask for; a usage error for none, several, or a stray option."""
    chosen = [
        kind
        for kind, given in (("snapshot", date_text), ("diff", diff), ("timeline", timeline),
                            ("compare", compare))
        if given
    ]  # fmt: skip
    if len(chosen) != 1:
        msg = "choose one of --date, --from/--to, --timeline, --compare"
        raise click.UsageError(msg)
    misplaced = [text for wrong, text in (  # options no map of this kind uses: say so
        (diff and len(layers) > 1, "a diff map (--from/--to) draws one layer: pass --layer once"),
        ((start or end) and not timeline, "--start/--end need --timeline: add it or drop them"),
        (swipe and not compare, "--swipe needs --compare D1 D2: add it or drop --swipe"),
        (to_source and not compare, "--to-source needs --compare D1 D2 (for a diff: geo diff)"),
        (gazetteer and not diff, "--gazetteer needs a diff map: add --from/--to or drop it"),
        (trail and not timeline, "--trail needs --timeline: add it or drop --trail"),
        (jobs is not None and not timeline, "--jobs needs --timeline: add it or drop --jobs"),
    ) if wrong]  # fmt: skip
    if misplaced:
        raise click.UsageError(misplaced[0])
    return chosen[0]


def _days(
    kind: str,
    *,
    date_text: str | None,
    date_from: str | None,
    date_to: str | None,
    start: str | None,
    end: str | None,
    compare: tuple[str, str] | None,
) -> tuple[dt.date | None, dt.date | None]:
    """Parse the map's dates, naming the flag of a bad one; ``None`` for a date not given."""
    given = {
        "snapshot": ((date_text, "--date"), (None, "")),
        "diff": ((date_from, "--from"), (date_to, "--to")),
        "timeline": ((start, "--start"), (end, "--end")),
        "compare": tuple((text, "--compare") for text in compare or (None, None)),
    }[kind]
    first, second = (parse_day(text, flag) if text else None for text, flag in given)
    return first, second


def _snapshot(
    store: Store, layers: tuple[str, ...], day: dt.date, source: str | None, out: _Output
) -> list[Path]:
    snaps = [store.get(layer, day, source=source, exact=False) for layer in layers]
    written = out.page(render.snapshot_map(snaps, regions=out.regions, tiles=out.tiles))
    if out.static is not None:
        written.append(render.static_map(snaps, out.static, regions=out.regions))
    return written


def _diff(
    store: Store,
    layer: str,
    days: tuple[dt.date, dt.date],
    source: str | None,
    gazetteer_files: tuple[Path, ...],
    out: _Output,
) -> list[Path]:
    a, b = (store.get(layer, day, source=source, exact=False) for day in days)
    change = geo.diff(a, b, regions=out.regions)
    written = []
    if out.html is not None:
        places = (
            geo.places_changed(store, layer, a.date, b.date,
                               gazetteer=geo.load_gazetteer(list(gazetteer_files)), source=source)
            if gazetteer_files
            else None
        )  # fmt: skip
        fmap = render.diff_map(change, regions=out.regions, tiles=out.tiles, places=places)
        written = out.page(fmap)
    if out.static is not None:
        written.append(render.static_map(change, out.static, regions=out.regions))
    return written


@dataclasses.dataclass(frozen=True)
class _Looks:
    """The timeline's words and options: title, subtitle, language, trail, jobs."""

    title: str | None
    subtitle: str | None
    lang: str
    trail_days: int
    jobs: int | None


def _series(
    store: Store, layer: str, source: str | None, span: tuple[dt.date | None, dt.date | None]
) -> list[Snapshot]:
    """Read one layer's snapshots of a date range (the one place the timeline reads the store)."""
    start, end = span
    return store.series(layer, source=source, start=start, end=end)


def _timeline(
    store: Store,
    layers: tuple[str, ...],
    span: tuple[dt.date | None, dt.date | None],
    source: str | None,
    out: _Output,
    looks: _Looks,
) -> list[Path]:
    start, end = span
    series = {layer: _series(store, layer, source, span) for layer in layers}
    written = []
    if out.html is not None:
        lang: Lang = "uk" if looks.lang == "uk" else "en"
        fmap = render.timeline_map(
            series, tiles=out.tiles, regions=out.regions, title=looks.title,
            subtitle=looks.subtitle, lang=lang, trail_days=looks.trail_days, jobs=looks.jobs,
        )  # fmt: skip
        written = out.page(fmap)
    if out.static is not None:
        frame = geo.timeseries(store, layers[0], source=source, start=start, end=end)
        written.append(render.area_chart(frame, out.static))
    return written


def _compare(
    store: Store,
    layers: tuple[str, ...],
    days: tuple[dt.date, dt.date],
    sources: tuple[str | None, str | None],
    swipe: bool,
    out: _Output,
) -> list[Path]:
    left, right = (
        [store.get(layer, day, source=side, exact=False) for layer in layers]
        for day, side in zip(days, sources, strict=True)
    )
    mode: render.CompareMode = "swipe" if swipe else "side-by-side"
    page = render.compare_map(left, right, mode=mode, regions=out.regions, tiles=out.tiles)
    return out.page(page)


@click.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="HTML file to write (default: geo-demo.html).",
)  # fmt: skip
@store_option
@click.option("--tiles", default="OpenStreetMap", show_default=True, help="Basemap, or 'none'.")
@click.option("--offline", is_flag=True, help="Inline all JS/CSS (fetched once from npm).")
def demo(output: Path | None, store_path: Path | None, tiles: str, offline: bool) -> None:
    """Map the bundled synthetic sample and print the file's path."""
    chosen = None if tiles.strip().lower() == "none" else tiles
    if offline:
        ensure_offline_assets()
    path = render.write_demo(output, store=store_path, tiles=chosen, offline=offline)
    click.echo(str(path.resolve()))
