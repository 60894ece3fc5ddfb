"""Analyst commands: ``geo distance`` and ``geo ledger``, and the check output of list/stats.

A thin layer over :mod:`geo.distance`, :mod:`geo.ledger` and :mod:`geo.sanity`;
registered in :mod:`geo.cli`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import click
import pandas as pd

from geo.cli_options import (
    OUTPUT_FILE,
    load_regions_files,
    parse_day,
    regions_option,
    required_gazetteer_option,
    store_option,
)
from geo.cli_output import echo, echo_json
from geo.store import open_store
from geo.text import one_line

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- geo list --check / geo stats: the sanity flags ------------------------------------


def check_record(row: dict[Any, Any]) -> dict[str, Any]:
    """Return the check fields of one ``catalog_table(check=True)`` row, JSON-ready."""
    same = row.get("same_as")
    days, z, net = row.get("days_of_change"), row.get("net_z"), row.get("net_km2")
    return {
        "net_km2": None if pd.isna(net) else round(float(net), 3),
        "days_of_change": None if pd.isna(days) else int(days),
        "net_z": None if pd.isna(z) else round(float(z), 2),
        "same_as": same.isoformat() if isinstance(same, dt.date) else None,
        "flags": str(row.get("flags") or ""),
    }


def flag_text(record: dict[str, Any]) -> str:
    """Short text of a record's flags, e.g. ``stale (same as 2025-01-03)`` or ``jump (z 9.1)``."""
    words = []
    for flag in filter(None, str(record.get("flags") or "").split(",")):
        if flag == "stale":
            words.append(f"stale (same as {record.get('same_as')})")
        elif flag == "jump":
            words.append(f"jump (net {record.get('net_km2'):+,.1f} km², z {record.get('net_z')})")
        else:
            words.append(flag)
    return ", ".join(words)


def echo_checks(frame: pd.DataFrame) -> None:
    """Print a timeseries' check summary on stderr (if anything is flagged): counts, then dates."""
    checks = frame.attrs.get("checks")
    if not checks or not any(checks["counts"].values()):
        return
    counts = checks["counts"]
    echo(
        f"checks: {counts['repeat']} repeated, {counts['stale']} stale, {counts['jump']} jumps "
        f"({checks['rule']})",
        err=True,
    )
    for item in checks["flagged"]:
        same = f", same as {item['same_as']}" if item["same_as"] else ""
        echo(f"  {item['date']} {item['flags']} (net z {item['net_z']}{same})", err=True)


# --- geo distance ------------------------------------------------------------------------


@click.command(name="distance")
@store_option
@click.option(
    "--to", "targets", multiple=True, required=True,
    help="Place: GeoNames id or name (repeatable). A YYYY-MM-DD value is the last date instead.",
)  # fmt: skip
@required_gazetteer_option
@click.option("--from", "date_from", default=None, help="First date YYYY-MM-DD (default: all).")
@click.option("--layer", default="russian_control", show_default=True, help="Layer to measure to.")
@click.option("--source", default=None, help="Source (needed when several hold the layer).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "-o", "--output", type=OUTPUT_FILE, default=None,
    help="Write the rows (csv or json) to this file.",
)  # fmt: skip
@click.option(
    "--png", "chart_path", type=OUTPUT_FILE, default=None,
    help="Chart of the distances over time (.png or .svg).",
)  # fmt: skip
@click.option(
    "--map", "map_path", type=OUTPUT_FILE, default=None,
    help="Diff map (HTML) from the first to the last date, each place's distance as rings.",
)  # fmt: skip
def distance(
    store_path: Path | None,
    targets: tuple[str, ...],
    gazetteer_files: tuple[Path, ...],
    date_from: str | None,
    layer: str,
    source: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
    chart_path: Path | None,
    map_path: Path | None,
) -> None:
    """Distance from places to the nearest ground of a layer, for every stored date.

    Also the rate of approach over 30 and 90 days (km/month) and a naive date at which
    the distance would reach zero at that rate (a straight-line extrapolation, not a
    forecast). --map draws the change between the first and last dates with each place's
    distance as a ring (solid at the last date, dashed at the first).
    """
    from geo.distance import distances, write_distances
    from geo.gazetteer import load_gazetteer

    ends = [t for t in targets if _DAY.match(t.strip())]
    places = [t for t in targets if not _DAY.match(t.strip())]
    if len(ends) > 1:
        msg = f"--to gives the last date once; got {', '.join(ends)}"
        raise click.UsageError(msg)
    if not places:
        msg = "name at least one place: --to PLACE (a GeoNames id or a name)"
        raise click.UsageError(msg)
    fmt = "json" if as_json else fmt
    store = open_store(store_path, create=False)
    result = distances(
        store,
        places,
        gazetteer=load_gazetteer(list(gazetteer_files)),
        layer=layer,
        source=source,
        start=parse_day(date_from, "--from") if date_from else None,
        end=parse_day(ends[0], "--to") if ends else None,
    )
    if chart_path is not None:
        from geo.render.distance_chart import distance_chart

        distance_chart(result, chart_path)
    if map_path is not None:
        write_distance_map(store, result, map_path)
    if fmt == "text":
        echo(format_distances(result))
        if output is not None:
            write_distances(result, output, fmt="csv")
    else:
        text = write_distances(result, output, fmt=fmt)
        if output is None:
            echo(text, nl=False)
    for path in (output, chart_path, map_path):
        if path is not None:
            echo(f"wrote {path}", err=True)


def write_distance_map(store: Any, result: Any, path: Path) -> Path:
    """Write the diff map between the result's first and last dates, with its rings."""
    from geo.diff import diff
    from geo.render import diff_map, save_html

    days = sorted(set(result.frame["date"]))
    first, last = (
        store.get(result.layer, day, source=result.source) for day in (days[0], days[-1])
    )
    return save_html(diff_map(diff(first, last), rings=result), path)


def format_distances(result: Any) -> str:
    """Text summary: each place's distance at the last date, its rates and naive dates."""
    first, last = min(result.frame["date"]), max(result.frame["date"])
    lines = [
        f"{one_line(result.source)} {one_line(result.layer)}: {first} -> {last}, "
        f"{len(result.frame['date'].unique())} dates"
    ]
    for row in result.latest().to_dict("records"):
        where = f"{one_line(row['place'])}, {row['oblast'] or '?'} [{row['geonames_id']}]"
        if row["inside"]:
            lines.append(f"  {where}: inside on {row['date']}")
            continue
        rates = ", ".join(
            f"{row[f'approach_{w}d_km_per_month']:+.2f} km/month over {w} d"
            for w in (30, 90)
            if not pd.isna(row[f"approach_{w}d_km_per_month"])
        )
        naive = row["naive_zero_date_90d"]
        lines.append(
            f"  {where}: {row['distance_km']:.1f} km on {row['date']}"
            + (f"; approach {rates}" if rates else "")
            + (f"; naive zero date at the 90-day rate {naive}" if naive else "")
        )
    lines.append(
        "  (naive: a straight-line extrapolation of the recent rate, not a forecast; "
        "positive rates mean the distance shrinks)"
    )
    return "\n".join(lines)


# --- geo ledger --------------------------------------------------------------------------


@click.command(name="ledger")
@store_option
@required_gazetteer_option
@click.option("--source", "sources", multiple=True, help="Source (repeatable; default: all).")
@click.option(
    "--layer", "layers", multiple=True,
    help="Control layer, then the contested layer (default: russian_control contested).",
)  # fmt: skip
@click.option("--from", "date_from", default=None, help="First date YYYY-MM-DD (default: all).")
@click.option("--to", "date_to", default=None, help="Last date YYYY-MM-DD (default: all).")
@click.option("--min-population", type=int, default=None, help="Only places at least this big.")
@click.option("--oblast", "oblasts", multiple=True, help="Only places in this region; repeatable.")
@click.option(
    "-o", "--output", type=OUTPUT_FILE, default=None,
    help="Per-place summary as .csv or .parquet.",
)  # fmt: skip
@click.option(
    "--intervals", "intervals_path", type=OUTPUT_FILE,
    default=None, help="Every place's status history (runs) as .csv or .parquet.",
)  # fmt: skip
@click.option(
    "--disagreements", "disagreements_path", type=OUTPUT_FILE,
    default=None, help="Place-dates where sources disagree, as .csv or .parquet.",
)  # fmt: skip
@click.option(
    "--map", "map_path", type=OUTPUT_FILE, default=None,
    help="HTML map of the places by number of changes (one source).",
)  # fmt: skip
@click.option("--tiles", default="OpenStreetMap", show_default=True, help="Basemap, or 'none'.")
@regions_option
@click.option("--limit", type=int, default=20, show_default=True, help="Rows in the text table.")
@click.option("--json", "as_json", is_flag=True, help="The summary as a JSON array.")
def ledger(
    store_path: Path | None,
    gazetteer_files: tuple[Path, ...],
    sources: tuple[str, ...],
    layers: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    min_population: int | None,
    oblasts: tuple[str, ...],
    output: Path | None,
    intervals_path: Path | None,
    disagreements_path: Path | None,
    map_path: Path | None,
    tiles: str,
    regions_files: tuple[Path, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Every place on every stored date: changes of hands, days held, days contested.

    With several sources, also the dates on which they disagree about a place.
    """
    from geo.gazetteer import load_gazetteer
    from geo.ledger import LEDGER_LAYERS, records, write_table
    from geo.ledger import ledger as build_ledger

    result = build_ledger(
        open_store(store_path, create=False),
        gazetteer=load_gazetteer(list(gazetteer_files)),
        sources=list(sources) or None,
        layers=list(layers) or LEDGER_LAYERS,
        start=parse_day(date_from, "--from") if date_from else None,
        end=parse_day(date_to, "--to") if date_to else None,
        min_population=min_population,
        oblast=list(oblasts) or None,
    )
    written = []
    if output is not None:
        written.append(write_table(result.summary, output))
    if intervals_path is not None:
        written.append(write_table(result.intervals(), intervals_path))
    if disagreements_path is not None:
        written.append(write_table(result.disagreements(), disagreements_path))
    if map_path is not None:
        from geo import render

        fmap = render.ledger_map(
            result.summary,
            source=sources[0] if len(sources) == 1 else None,
            layer=result.layers[0],
            regions=load_regions_files(regions_files),
            tiles=None if tiles.strip().lower() == "none" else tiles,
        )
        written.append(render.save_html(fmap, map_path))
    if as_json:
        echo_json(records(result.summary))
    else:
        echo(format_ledger(result, limit=limit))
    for path in written:
        echo(f"wrote {path}", err=True)


def format_ledger(result: Any, *, limit: int = 20) -> str:
    """Text summary: per source the dates and counts, then the places that changed most."""
    summary = result.summary
    lines = []
    for source in result.sources:
        rows = summary[summary["source"] == source]
        days = result.dates[source]
        lines.append(
            f"{one_line(source)}: {len(days)} dates {days[0]} -> {days[-1]}, {len(rows):,} places;"
            f" {int((rows['n_changes'] > 0).sum()):,} changed hands, "
            f"{int((rows['n_changes'] > 1).sum()):,} more than once"
            + (
                f"; {int((rows['n_disagreements'] > 0).sum()):,} disputed between sources"
                if len(result.sources) > 1
                else ""
            )
        )
    for row in summary[summary["n_changes"] > 0].head(limit).to_dict("records"):
        pop = "" if pd.isna(row["population"]) else f", pop. {int(row['population']):,}"
        contested = (
            "" if pd.isna(row["days_contested"]) else f", {row['days_contested']:.0f} d contested"
        )
        lines.append(
            f"  {row['n_changes']:>3} changes  {one_line(row['name'])} "
            f"({row['oblast'] or '?'}{pop}) [{row['geonames_id']}] {one_line(row['source'])}: "
            f"{row['first_change']} .. {row['last_change']}, held {row['days_held']:.0f} d"
            f"{contested}"
        )
    from geo.gazetteer import ATTRIBUTION

    lines.append(ATTRIBUTION)
    return "\n".join(lines)
