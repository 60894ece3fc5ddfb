"""``geo fetch`` and ``geo regions``: the remote-source commands, over :mod:`geo.sources`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geo.cli_errors import GeoGroup, note
from geo.cli_options import parse_day, store_option
from geo.cli_output import echo, echo_json
from geo.store import open_store


def _client(offline: bool, interval_s: float) -> Any:
    from geo.sources.http import HttpClient

    return HttpClient(offline=offline, min_interval_s=interval_s)


def offline_option(func: Any) -> Any:
    """``--offline``: answer from the HTTP cache only."""
    return click.option(
        "--offline", is_flag=True, help="Use only the HTTP cache; never touch the network."
    )(func)


@click.group(cls=GeoGroup)
def fetch() -> None:
    """Fetch control layers from DeepStateMap or from any URL into the store."""


@fetch.command(name="deepstate")
@store_option
@click.option("--since", default=None, help="First Kyiv publication date YYYY-MM-DD.")
@click.option("--until", default=None, help="Last Kyiv publication date YYYY-MM-DD.")
@click.option(
    "--every", type=click.Choice(["day", "week", "all"]), default="day", show_default=True,
    help="Keep the last version of each day or week, or every version.",
)  # fmt: skip
@click.option("--latest", is_flag=True, help="Fetch only the newest version.")
@click.option(
    "--base-url", default=None, help="API root (default: $GEO_DEEPSTATE_URL, else DeepState's)."
)
@click.option("--accept-terms", is_flag=True, help="Accept DeepStateMap's terms (asked once).")
@click.option("--areas", is_flag=True, help="Compare our areas with DeepState's own figures.")
@click.option("--replace", is_flag=True, help="Refetch dates already stored; overwrite changes.")
@offline_option
@click.option(
    "--interval", type=float, default=0.5, show_default=True, help="Seconds between requests."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
def fetch_deepstate_(
    store_path: Path | None,
    since: str | None,
    until: str | None,
    every: str,
    latest: bool,
    base_url: str | None,
    accept_terms: bool,
    areas: bool,
    replace: bool,
    offline: bool,
    interval: float,
    as_json: bool,
) -> None:
    """DeepStateMap history versions, dated by their Kyiv publication date.

    The first run shows DeepStateMap's terms and needs --accept-terms once.
    A second run skips the dates the store already holds.
    """
    from geo.sources.deepstate_api import fetch_deepstate

    store = open_store(store_path)
    result = fetch_deepstate(
        store,
        client=_client(offline, interval),
        base=base_url,
        since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None,
        every=every,  # type: ignore[arg-type]
        latest=latest,
        replace=replace,
        areas=areas,
        accept=accept_terms,
        progress=False if as_json else None,
    )
    if as_json:
        payload = {
            "store": str(store.path),
            "listed": result.listed,
            "selected": len(result.selected),
            "skipped": [v.date.isoformat() for v in result.skipped],
            "fetched": [{"id": v.id, "date": v.date.isoformat()} for v in result.fetched],
            "added": len(result.ingest.added),
            "unchanged": len(result.ingest.unchanged),
            "replaced": len(result.ingest.replaced),
            "area_checks": [check.to_dict() for check in result.area_checks],
        }
        echo_json(payload, ensure_ascii=True)
        return
    for check in result.area_checks:
        pct = check.difference_pct
        echo(
            f"{check.date} {check.layer:<26} ours {check.ours_km2:>11,.1f} km²  DeepState "
            f"{check.publisher_km2:>11,.1f} km²  diff {check.difference_km2:+,.1f} km²"
            + ("" if pct is None else f" ({pct:+.3f} %)")
        )
    echo(f"{store.path}: {result.summary()}")


@fetch.command(name="url")
@click.argument("url")
@store_option
@click.option("--layer", default=None, help="Canonical layer for single-layer data.")
@click.option("--date", "date_text", default=None, help="Date YYYY-MM-DD of the data.")
@click.option(
    "--source", default=None, help="Source name (default: implied by the data, else 'user')."
)
@click.option("--replace", is_flag=True, help="Overwrite stored snapshots whose content changed.")
@offline_option
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
def fetch_url_(
    url: str,
    store_path: Path | None,
    layer: str | None,
    date_text: str | None,
    source: str | None,
    replace: bool,
    offline: bool,
    as_json: bool,
) -> None:
    """Return a GeoJSON, zipped shapefile, KML/KMZ or ArcGIS FeatureServer/MapServer layer URL.

    geo ships no URL of data whose licence forbids automated use (ISW's
    among them): the URL is yours, and so is the responsibility for its terms.
    """
    from geo.sources.featureserver import fetch_url

    snapshots = fetch_url(
        url, client=_client(offline, 0.2), layer=layer, date=date_text, source=source
    )
    store = open_store(store_path)
    report = store.ingest(snapshots, replace=replace)
    if as_json:
        keys = [
            {"source": s.source, "layer": s.layer, "date": s.date.isoformat()} for s in snapshots
        ]
        echo_json({"store": str(store.path), "snapshots": keys}, ensure_ascii=True)
        return
    for snap in snapshots:
        for text in snap.provenance.notes:
            note(text)
        echo(f"{snap.source} {snap.layer} {snap.date}: {snap.area_km2:,.1f} km²")
    echo(f"{store.path}: {report.summary()}")


def registry_options(func: Any) -> Any:
    """NAMES, ``--offline``, ``--list`` and ``--registry FILE`` of the download commands."""
    func = click.option(
        "--registry", "registry_file", default=None,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A registry CSV of your own (a mirror); default: the built-in table.",
    )(func)  # fmt: skip
    func = click.option("--list", "list_only", is_flag=True, help="List the registered files.")(
        func
    )
    return click.argument("names", nargs=-1)(offline_option(func))


def _download(
    names: tuple[str, ...],
    *,
    offline: bool,
    list_only: bool,
    registry_file: Path | None,
    builtin: str,
    default: str | None,
) -> None:
    """List a registry, or fetch ``names`` (default: ``default``, else all) and print paths."""
    from geo.sources import registry as reg

    table = reg.load_registry(registry_file, builtin=builtin)
    if list_only:
        for source in table.values():
            echo(source.terms())
        return
    chosen = list(names) or ([default] if default and not registry_file else list(table))
    fetch = reg.fetch_gazetteers if builtin == reg.GAZETTEER_TABLE else reg.fetch_boundaries
    for path in fetch(chosen, _client(offline, 0.2), registry=table):
        echo(str(path))


@click.group(cls=GeoGroup)
def regions() -> None:
    """Admin-1 boundaries: download the registered open ones."""


@regions.command(name="fetch")
@registry_options
def regions_fetch(
    names: tuple[str, ...], offline: bool, list_only: bool, registry_file: Path | None
) -> None:
    """Download boundary sets (default: all) and print each file's path.

    Pass the paths as --regions FILE to diff, stats, map and frontline.
    """
    from geo.sources.registry import BOUNDARY_TABLE

    _download(names, offline=offline, list_only=list_only, registry_file=registry_file,
              builtin=BOUNDARY_TABLE, default=None)  # fmt: skip


@click.group(cls=GeoGroup)
def gazetteer() -> None:
    """GeoNames gazetteers for `geo places`: download the registered extracts."""


@gazetteer.command(name="fetch")
@registry_options
def gazetteer_fetch(
    names: tuple[str, ...], offline: bool, list_only: bool, registry_file: Path | None
) -> None:
    """Download GeoNames extracts (default: geonames-ua) and print each file's path.

    Pass the paths as --gazetteer FILE to places and map. Place names and
    coordinates: GeoNames (www.geonames.org), CC BY 4.0.
    """
    from geo.sources.registry import GAZETTEER_TABLE

    _download(names, offline=offline, list_only=list_only, registry_file=registry_file,
              builtin=GAZETTEER_TABLE, default="geonames-ua")  # fmt: skip


@click.group(cls=GeoGroup)
def assets() -> None:
    """JavaScript/CSS for maps: fetch local copies for offline pages and tests."""


@assets.command(name="fetch")
@click.option("--force", is_flag=True, help="Download again even if cached.")
@click.option("--package", "packages", multiple=True, help="Only this npm package (repeatable).")
def assets_fetch(force: bool, packages: tuple[str, ...]) -> None:
    """Download the map assets from the npm registry into the user cache."""
    from geo.render.assets import fetch_assets

    path = fetch_assets(packages=list(packages) or None, force=force)
    echo(str(path))


def ensure_offline_assets() -> None:
    """Before an ``--offline`` page: fetch the assets on first use (npm registry, cached)."""
    from geo.render.assets import fetch_assets, missing_assets

    if missing := missing_assets():
        note(f"{len(missing)} map assets are not cached yet: fetching them from npm once")
        fetch_assets()
