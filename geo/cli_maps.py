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
from typing import Any, cast

import click

import geo
from geo import render
from geo.cli_options import (
    OUTPUT_FILE,
    gazetteer_option,
    lang_option,
    load_regions_files,
    parse_day,
    parse_size,
    region_option,
    regions_option,
    size_option,
    store_option,
)
from geo.cli_output import echo
from geo.cli_range import date_range, last_option, one_source
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
    region_names: tuple[str, ...] | None
    tiles: str | None
    offline: bool
    title: str | None
    subtitle: str | None
    lang: Lang
    size: tuple[int, int] = (1600, 900)

    @property
    def words(self) -> dict[str, Any]:
        """Keywords of the interactive renderers: regions, title, subtitle, language, tiles."""
        return {"regions": self.regions, "region_names": self.region_names,
                "title": self.title, "subtitle": self.subtitle, "lang": self.lang,
                "tiles": self.tiles}  # fmt: skip

    def chosen_regions(self, near: list[Snapshot]) -> Any:
        """Return the regions to draw where the renderer does not choose (static, timeline)."""
        if self.regions is None:
            return None
        return geo.select_regions(self.regions, names=self.region_names, near=near)

    def png(self, what: Any, *, near: list[Snapshot], places: Any = None) -> Path:
        """Write the static news map (``--png``) of snapshots or a diff."""
        assert self.static is not None
        return render.static_map(
            what, self.static, regions=self.chosen_regions(near), places=places,
            size=self.size, lang=self.lang, title=self.title, subtitle=self.subtitle,
        )  # fmt: skip

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
@last_option
@click.option(
    "--trail", "trail_days", type=click.IntRange(min=0), default=0, show_default=True,
    help="Timeline: also show the changes of this many days before the date shown (fainter).",
)  # fmt: skip
@click.option(
    "--jobs", type=click.IntRange(min=0), default=None,
    help="Timeline: encode on N local processes (0: one per core).",
)  # fmt: skip
@click.option("--compare", nargs=2, default=None, help="Compare map of two dates: D1 D2.")
@click.option("--to-source", default=None, help="Compare: source of the second side.")
@click.option("--swipe", is_flag=True, help="Compare as a swipe instead of side by side.")
@regions_option
@region_option
@gazetteer_option
@click.option("--title", default=None, help="Title (default: layer, publisher and dates in words).")
@click.option("--subtitle", default=None, help="A line under the title.")
@click.option("--tiles", default="OpenStreetMap", show_default=True, help="Basemap, or 'none'.")
@click.option("--offline", is_flag=True, help="Inline all JS/CSS (fetched once from npm).")
@click.option(
    "-o", "--output", type=OUTPUT_FILE, default=None,
    help="HTML file to write.",
)  # fmt: skip
@click.option(
    "--png", "static_path", type=OUTPUT_FILE, default=None,
    help="Static PNG or SVG news map (snapshot, diff; the area chart for a timeline).",
)  # fmt: skip
@size_option("1600x900")
@lang_option
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
    last: str | None,
    trail_days: int,
    jobs: int | None,
    compare: tuple[str, str] | None,
    to_source: str | None,
    swipe: bool,
    regions_files: tuple[Path, ...],
    region_names: tuple[str, ...],
    gazetteer_files: tuple[Path, ...],
    title: str | None,
    subtitle: str | None,
    tiles: str,
    offline: bool,
    output: Path | None,
    static_path: Path | None,
    size_text: str,
    lang: str,
) -> None:
    """Interactive map: one date, a diff, a timeline or a comparison.

    With --gazetteer, a diff map also marks and lists the places that changed hands
    (and names them on the --png map). --size and --lang shape the --png map too.
    With --regions, only the regions that hold or border the layer are drawn
    (or those given with --region); the map is framed on the layer and its change.
    --last 30d is a diff map of the last 30 days (with --timeline, its range).
    """
    last_diff = bool(last) and not (timeline or date_text or compare)
    kind = _kind(
        layers, date_text=date_text, diff=bool(date_from or date_to or last_diff),
        timeline=timeline, compare=compare, start=start, end=end, swipe=swipe,
        to_source=to_source, gazetteer=bool(gazetteer_files),
        trail=trail_days, jobs=jobs,
    )  # fmt: skip
    if kind == "diff" and not (date_from and date_to) and not last:
        msg = "a diff map needs both --from and --to (or --last 30d)"
        raise click.UsageError(msg)
    if last and kind not in ("diff", "timeline"):
        msg = "--last gives the range of a diff map or a timeline: drop --date/--compare"
        raise click.UsageError(msg)
    if output is None and static_path is None:
        msg = "nothing to write"
        raise ValidationError(msg, ["give an HTML path (-o) and/or --png FILE"])
    if kind == "compare" and static_path is not None:
        msg = "no static compare map"
        raise ValidationError(msg, ["use --png with --date or --from/--to"])
    if region_names and not regions_files:
        msg = "--region needs --regions FILE (the boundaries to pick it from)"
        raise click.UsageError(msg)
    out = _Output(
        html=output,
        static=static_path,
        regions=load_regions_files(regions_files),
        region_names=region_names or None,
        tiles=None if tiles.strip().lower() == "none" else tiles,
        offline=offline,
        title=title,
        subtitle=subtitle,
        lang=cast(Lang, lang),
        size=parse_size(size_text),
    )
    store = open_store(store_path)
    if kind in ("diff", "timeline"):  # --last, dates the wrong way round, one source
        first, second = date_range(
            store, layers[0], *((date_from, date_to) if kind == "diff" else (start, end)),
            last=last, source=source, required=kind == "diff",
            flags=("--from", "--to") if kind == "diff" else ("--start", "--end"),
        )  # fmt: skip
        if len(layers) == 1:  # a diff always: both dates (or the range) from one series
            source = one_source(store, layers[0], source, first, second)
    else:
        first, second = _days(kind, date_text=date_text, compare=compare)
    if kind == "timeline":
        written = _timeline(
            store, layers, (first, second), source, out, trail_days=trail_days, jobs=jobs
        )
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
        echo(str(path))


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
    kind: str, *, date_text: str | None, compare: tuple[str, str] | None
) -> tuple[dt.date | None, dt.date | None]:
    """Parse a snapshot or compare map's dates, naming the flag of a bad one.

    Diff and timeline dates go through :func:`geo.cli_range.date_range`.
    """
    given = {
        "snapshot": ((date_text, "--date"), (None, "")),
        "compare": tuple((text, "--compare") for text in compare or (None, None)),
    }[kind]
    first, second = (parse_day(text, flag) if text else None for text, flag in given)
    return first, second


def _snapshot(
    store: Store, layers: tuple[str, ...], day: dt.date, source: str | None, out: _Output
) -> list[Path]:
    snaps = [store.get(layer, day, source=source, exact=False) for layer in layers]
    written = out.page(render.snapshot_map(snaps, **out.words)) if out.html else []
    if out.static is not None:
        written.append(out.png(snaps, near=snaps))
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
    change = geo.diff(a, b, regions=out.regions, region_names=out.region_names)
    written = []
    places = (
        geo.places_changed(store, layer, a.date, b.date,
                           gazetteer=geo.load_gazetteer(list(gazetteer_files)), source=source)
        if gazetteer_files
        else None
    )  # fmt: skip
    if out.html is not None:
        written = out.page(render.diff_map(change, places=places, **out.words))
    if out.static is not None:
        written.append(out.png(change, near=[a, b], places=places))
    return written


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
    *,
    trail_days: int,
    jobs: int | None,
) -> list[Path]:
    start, end = span
    series = {layer: _series(store, layer, source, span) for layer in layers}
    written = []
    if out.html is not None:
        every = [snap for snaps in series.values() for snap in snaps]
        fmap = render.timeline_map(
            series, tiles=out.tiles, regions=out.chosen_regions(every), title=out.title,
            subtitle=out.subtitle, lang=out.lang, trail_days=trail_days, jobs=jobs,
        )  # fmt: skip
        written = out.page(fmap)
    if out.static is not None:
        frame = geo.timeseries(store, layers[0], source=source, start=start, end=end)
        written.append(render.area_chart(frame, out.static, size=out.size, lang=out.lang))
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
    return out.page(render.compare_map(left, right, mode=mode, **out.words))


@click.command()
@click.option(
    "-o", "--output", type=OUTPUT_FILE, default=None,
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
    echo(str(path.resolve()))
