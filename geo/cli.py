"""The ``geo`` command: a thin layer over the public Python API.

Errors exit non-zero with one clear line (plus one line per problem when a
batch has several); ``--debug`` shows the traceback. Library messages speak
Python; :mod:`geo.cli_errors` prints them, and the library's log records as
``note:`` lines, in the words of the command that runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from geo import __version__
from geo.cli_analyst import check_record, distance, echo_checks, flag_text, ledger
from geo.cli_errors import GeoGroup, install_notes, note, translate
from geo.cli_export import animate, chart
from geo.cli_maps import demo, map_
from geo.cli_options import (
    area_method_option,
    gazetteer_option,
    jobs_option,
    region_option,
    regions_option,
    store_option,
)
from geo.cli_options import load_regions_files as _load_regions
from geo.cli_options import parse_day as _parse_day
from geo.cli_output import echo, echo_json
from geo.cli_range import date_range, last_option, one_source
from geo.cli_remote import assets, fetch, gazetteer, regions
from geo.cli_text import format_diff, format_summary
from geo.layers import CANONICAL_LAYERS
from geo.publishers import display_name
from geo.store import open_store


@click.group(cls=GeoGroup)
@click.version_option(__version__, prog_name="geo")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Load, diff and map dated territorial-control polygons."""
    install_notes(ctx)


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--source", default=None, help="Source name (default: implied by the data).")
@click.option("--layer", default=None, help="Canonical layer for single-layer files.")
@click.option("--date", "date_text", default=None, help="Date YYYY-MM-DD for every input.")
@click.option("--crs", default=None, help="CRS of files that declare none, e.g. EPSG:3857.")
@click.option("--replace", is_flag=True, help="Overwrite stored snapshots whose content changed.")
@click.option("--skip-bad", is_flag=True, help="Ingest what can be read; report the rest.")
@click.option("--reread", is_flag=True, help="Read files unchanged since the last ingest too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ingest(
    sources: tuple[Path, ...],
    store_path: Path | None,
    source: str | None,
    layer: str | None,
    date_text: str | None,
    crs: str | None,
    replace: bool,
    skip_bad: bool,
    reread: bool,
    as_json: bool,
) -> None:
    """Read files and folders (recursively) into the store.

    Files unchanged since they were last ingested (same size, time and SHA-256,
    same options) are not read again; --reread reads them all.
    """
    from geo.ingest import ingest_files

    store = open_store(store_path)
    result = ingest_files(
        store, sources, layer=layer, source=source, date=date_text, crs=crs,
        replace=replace, skip_bad=skip_bad, reread=reread, progress=None,
    )  # fmt: skip
    report = result.report
    notes = _grouped_notes(result.notes)
    if as_json:
        payload = {
            "store": str(store.path),
            "added": [_key_json(k) for k in report.added],
            "unchanged": [_key_json(k) for k in report.unchanged],
            "replaced": [_key_json(k) for k in report.replaced],
            "notes": notes,
            "problems": result.problems,
        }
        echo_json(payload)
    else:
        for text in notes:
            note(text)
        for problem in result.problems:
            echo(f"skipped: {translate(problem)}", err=True)
        echo(f"{store.path}: {result.summary()}")
    if result.problems:
        sys.exit(1)


def _grouped_notes(notes: list[tuple[str, str, str]]) -> list[str]:
    """One line per distinct note, with how many snapshots carry it."""
    seen: dict[tuple[str, str], list[str]] = {}
    for layer, text, path in notes:
        seen.setdefault((layer, text), []).append(path)
    lines = []
    for (layer, text), paths in sorted(seen.items()):
        where = paths[0] if len(paths) == 1 else f"{len(paths)} snapshots, first {paths[0]}"
        lines.append(f"{layer}: {text} ({where})")
    return lines


def _key_json(key: tuple[str, str, Any]) -> dict[str, str]:
    return {"source": key[0], "layer": key[1], "date": key[2].isoformat()}


@cli.command(name="list")
@store_option
@click.option("--layer", default=None, help="Only this layer.")
@click.option("--source", default=None, help="Only this source.")
@area_method_option
@click.option("--check", is_flag=True, help="Flag repeated, stale and implausible dates.")
@click.option("--summary", is_flag=True, help="One row per source and layer: dates, count.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of snapshots.")
def list_(
    store_path: Path | None,
    layer: str | None,
    source: str | None,
    area_method: str,
    check: bool,
    summary: bool,
    as_json: bool,
) -> None:
    """List the snapshots in the store, one row each (or per source and layer: --summary)."""
    from geo.stats import catalog_table

    store = open_store(store_path)
    if summary:
        _list_summary(store.summary(), layer=layer, source=source, as_json=as_json)
        return
    rows = catalog_table(store, layer=layer, source=source, method=area_method, check=check)
    records = [
        {
            "source": str(row["source"]),
            "layer": str(row["layer"]),
            "date": row["date"].isoformat(),
            "n_features": int(row["n_features"]),
            "area_km2": round(float(row["area_km2"]), 3),
            "area_method": area_method,
            "source_path": str(row["source_path"]),
            "hygiene": json.loads(row["hygiene"]) if row["hygiene"] else {},
            "notes": json.loads(row["notes"]) if row["notes"] else [],
            **(check_record(row) if check else {}),
        }
        for row in rows.to_dict("records")
    ]
    if as_json:
        echo_json(records)
        return
    if not records:
        echo(f"{store.path}: no snapshots (run 'geo ingest FILES...')")
        return
    flags = "  flags" if check else ""
    echo(f"{'source':<12} {'layer':<28} {'date':<10} {'features':>8} {'area_km2':>12}{flags}")
    for rec in records:
        echo(
            f"{rec['source']:<12} {rec['layer']:<28} {rec['date']:<10} "
            f"{rec['n_features']:>8} {rec['area_km2']:>12,.1f}"
            + (f"  {flag_text(rec)}" if check else "")
        )


def _list_summary(frame: Any, *, layer: str | None, source: str | None, as_json: bool) -> None:
    if layer is not None:
        frame = frame[frame["layer"] == layer]
    if source is not None:
        frame = frame[frame["source"] == source]
    if as_json:
        rows = [
            {**row, "first_date": row["first_date"].isoformat(),
             "last_date": row["last_date"].isoformat(), "publisher": display_name(row["source"])}
            for row in frame.to_dict("records")
        ]  # fmt: skip
        echo_json(rows)
    elif frame.empty:
        echo("no snapshots (run 'geo ingest FILES...')")
    else:
        echo(format_summary(frame))


@cli.command(name="diff")
@store_option
@click.option("--layer", required=True, help="Canonical layer, e.g. russian_control.")
@click.option("--from", "date_from", default=None, help="First date YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Second date YYYY-MM-DD.")
@last_option
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--to-source", default=None, help="Compare with another source at --to.")
@regions_option
@region_option
@click.option("--min-area-km2", type=float, default=None, help="Sliver filter: minimum patch.")
@click.option("--min-width-m", type=float, default=None, help="Sliver filter: minimum width.")
@click.option("--top", type=int, default=5, show_default=True, help="Largest patches to list.")
@click.option("--top-change", type=click.Choice(["gained", "lost"]), help="Only gained or lost.")
@area_method_option
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
def diff_(
    store_path: Path | None,
    layer: str,
    date_from: str | None,
    date_to: str | None,
    last: str | None,
    source: str | None,
    to_source: str | None,
    regions_files: tuple[Path, ...],
    region_names: tuple[str, ...],
    min_area_km2: float | None,
    min_width_m: float | None,
    top: int,
    top_change: str | None,
    area_method: str,
    as_json: bool,
) -> None:
    """Gained, lost and net km² of a layer between two dates, per region.

    Uses the nearest stored snapshot on or before each date and says which.
    Regions are listed by gross change, largest first; --json has every figure
    unrounded and the full method.
    """
    from geo.diff import diff

    store = open_store(store_path)
    first, second = date_range(store, layer, date_from, date_to, last=last, source=source)
    assert first is not None and second is not None
    if to_source is None:  # both dates from one series
        source = one_source(store, layer, source, first, second)
    a = store.get(layer, first, source=source, exact=False)
    b = store.get(layer, second, source=to_source or source, exact=False)
    options: dict[str, Any] = {"allow_mixed": to_source is not None, "method": area_method}
    if min_area_km2 is not None:
        options["min_area_km2"] = min_area_km2
    if min_width_m is not None:
        options["min_width_m"] = min_width_m
    result = diff(
        a, b, regions=_load_regions(regions_files), region_names=region_names or None, **options
    )
    largest = result.largest_changes(top, change=top_change)
    if as_json:
        payload = result.to_dict()
        payload["largest_changes"] = [
            {
                "change": row["change"],
                "area_km2": round(float(row["area_km2"]), 6),
                "lon": round(float(row["lon"]), 5),
                "lat": round(float(row["lat"]), 5),
                "region": None if row["region"] is None else str(row["region"]),
            }
            for row in largest.to_dict("records")
        ]
        echo_json(payload)
        return
    echo(format_diff(result, largest))


@cli.command(name="places")
@store_option
@click.option("--layer", required=True, help="Canonical layer, e.g. russian_control.")
@click.option("--from", "date_from", required=True, help="First date YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, help="Second date YYYY-MM-DD.")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@gazetteer_option
@click.option("--min-population", type=int, default=None, help="Only places at least this big.")
@click.option("--oblast", "oblasts", multiple=True, help="Only places in this region; repeatable.")
@click.option(
    "--include", "include_codes", multiple=True,
    help="Keep PPLX/PPLH/PPLQ/PPLW places too; repeatable.",
)  # fmt: skip
@click.option("--limit", type=int, default=50, show_default=True, help="Rows in the text table.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of places.")
@jobs_option
def places_(
    store_path: Path | None,
    layer: str,
    date_from: str,
    date_to: str,
    source: str | None,
    gazetteer_files: tuple[Path, ...],
    min_population: int | None,
    oblasts: tuple[str, ...],
    include_codes: tuple[str, ...],
    limit: int,
    as_json: bool,
    jobs: int,
) -> None:
    """Places inside a layer at one date and outside at the other, with when they changed.

    Uses the nearest stored snapshot on or before each date. first_seen is found
    by bisection over the stored dates: with back-and-forth changes it is one
    transition, not necessarily the earliest.
    """
    from geo.gazetteer import load_gazetteer
    from geo.places import format_places, places_changed, places_records

    if not gazetteer_files:
        msg = "pass --gazetteer FILE (a GeoNames extract such as UA.txt)"
        raise click.UsageError(msg)
    store = open_store(store_path, create=False)
    first, second = date_range(store, layer, date_from, date_to, last=None)
    assert first is not None and second is not None
    gazetteer = load_gazetteer(list(gazetteer_files), include=include_codes)
    frame = places_changed(
        store,
        layer,
        first,
        second,
        gazetteer=gazetteer,
        source=one_source(store, layer, source, first, second),
        min_population=min_population,
        oblast=list(oblasts) or None,
        jobs=jobs,
    )
    if as_json:
        echo_json(places_records(frame))
        return
    echo(format_places(frame, limit=limit, more="--json for all"))


@cli.command()
@store_option
@click.option("--layer", required=True, help="Canonical layer, e.g. russian_control.")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--start", default=None, help="First date YYYY-MM-DD (default: all).")
@click.option("--end", default=None, help="Last date YYYY-MM-DD (default: all).")
@last_option
@regions_option
@area_method_option
@click.option("--no-check", is_flag=True, help="Leave out the repeat/stale/jump checks.")
@region_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write (default: standard output).",
)  # fmt: skip
@jobs_option
def stats(
    store_path: Path | None,
    layer: str,
    source: str | None,
    start: str | None,
    end: str | None,
    last: str | None,
    regions_files: tuple[Path, ...],
    area_method: str,
    no_check: bool,
    region_names: tuple[str, ...],
    fmt: str,
    output: Path | None,
    jobs: int,
) -> None:
    """Time series of a layer: area, gross gains and losses, 7/30-day change, regions.

    Flags dates identical to the previous one (repeat) or to an older one (stale),
    and implausible jumps; a summary goes to stderr.
    """
    from geo.stats import timeseries, write_timeseries

    store = open_store(store_path)
    first, second = date_range(
        store, layer, start, end, last=last, source=source, flags=("--start", "--end"),
        required=False,
    )  # fmt: skip
    frame = timeseries(
        store,
        layer,
        source=source,
        regions=_load_regions(regions_files),
        region_names=region_names or None,
        start=first,
        end=second,
        method=area_method,
        check=not no_check,
        progress=None,
        jobs=jobs,
    )
    echo_checks(frame)
    text = write_timeseries(frame, output, fmt=fmt)
    if output is None:
        echo(text, nl=False)
    else:
        echo(f"{output}: {len(frame)} dates")


@cli.command(name="frontline")
@store_option
@click.option("--layer", default="russian_control", show_default=True, help="Control layer.")
@click.option("--date", "date_text", required=True, help="Date YYYY-MM-DD (nearest on or before).")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--since", default=None, help="Also measure the displacement since this date.")
@regions_option
@click.option("--country", default="UA", show_default=True, help="Country whose outline is used.")
@click.option("--tolerance-m", type=float, default=None, help="Border/coast tolerance in metres.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the line(s) as GeoJSON.",
)  # fmt: skip
@click.option(
    "--map", "map_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Draw the line(s) on an HTML map.",
)  # fmt: skip
@click.option("--tiles", default="OpenStreetMap", show_default=True, help="Basemap, or 'none'.")
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
def frontline_(
    store_path: Path | None,
    layer: str,
    date_text: str,
    source: str | None,
    since: str | None,
    regions_files: tuple[Path, ...],
    country: str,
    tolerance_m: float | None,
    output: Path | None,
    map_path: Path | None,
    tiles: str,
    as_json: bool,
) -> None:
    """Contact line of a control layer: length in km, displacement with --since, map with --map."""
    from geo.errors import RegionError
    from geo.frontline import country_outline, displacement, frontline, write_geojson

    regions = _load_regions(regions_files)
    if regions is None:
        msg = (
            "the front is the boundary minus the state border and coast, so it needs boundaries: "
            "pass --regions FILE (e.g. OCHA COD-AB Ukraine admin-1)"
        )
        raise RegionError(msg)
    outline = country_outline(regions, country=country)
    options: dict[str, Any] = {} if tolerance_m is None else {"tolerance_m": tolerance_m}
    store = open_store(store_path)
    day = _parse_day(date_text, "--date")
    since_day = _parse_day(since, "--since") if since is not None else None
    source = one_source(store, layer, source, since_day, day)  # both lines from one series
    snap = store.get(layer, day, source=source, exact=False)
    line = frontline(snap, outline, **options)
    lines = [line]
    payload: dict[str, Any] = {
        "source": line.source, "layer": line.layer, "date": snap.date.isoformat(),
        "length_km": round(line.length_km, 3), "pieces": line.n_pieces,
        "dropped_km": round(line.dropped_km, 3), "recipe": line.recipe,
    }  # fmt: skip
    moved = None
    if since_day is not None:
        before_snap = store.get(layer, since_day, source=source, exact=False)
        before = frontline(before_snap, outline, **options)
        moved = displacement(before, line, area_before=before_snap)
        lines.insert(0, before)
        payload["displacement"] = {"since": before_snap.date.isoformat(), **moved.to_dict()}
    if output is not None:
        write_geojson(lines, output)
        payload["output"] = str(output)
    if map_path is not None:
        from geo import render

        chosen = None if tiles.strip().lower() == "none" else tiles
        own = regions[regions["country"].astype("string").str.upper() == country.upper()]
        fmap = render.frontline_map(lines, area=snap, regions=own, tiles=chosen)
        payload["map"] = str(render.save_html(fmap, map_path))
    if as_json:
        echo_json(payload, default=str)
        return
    echo(f"{line!r}")
    if moved is not None:
        echo(f"{moved!r}")
    for path in (output, map_path):
        if path is not None:
            echo(f"wrote {path}")


@cli.command()
def layers() -> None:
    """Show the canonical layer vocabulary."""
    for name, description in CANONICAL_LAYERS.items():
        echo(f"{name:<28} {description}")


for _remote in (assets, fetch, gazetteer, regions):  # defined in geo.cli_remote
    cli.add_command(_remote)
for _maps in (map_, demo):  # defined in geo.cli_maps
    cli.add_command(_maps)
cli.add_command(distance)  # defined in geo.cli_analyst
cli.add_command(ledger)
for _export in (animate, chart):  # defined in geo.cli_export
    cli.add_command(_export)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="geo")
