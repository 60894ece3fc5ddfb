"""The ``geo`` command: a thin layer over the public Python API.

Errors exit non-zero with one clear line (plus one line per problem when a
batch has several); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geo import __version__
from geo.errors import GeoError, ValidationError
from geo.io import read_many
from geo.layers import CANONICAL_LAYERS
from geo.snapshot import Snapshot
from geo.store import open_store

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


class GeoGroup(click.Group):
    """Turns :class:`GeoError` into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GeoError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {_first_line(exc)}", err=True)
            if isinstance(exc, ValidationError):
                for problem in exc.problems:
                    click.echo(f"  - {problem}", err=True)
            ctx.exit(1)


def _first_line(exc: GeoError) -> str:
    if isinstance(exc, ValidationError):
        return str(exc).split(": ", 1)[0]
    return str(exc).replace("\n", " ")


@click.group(cls=GeoGroup)
@click.version_option(__version__, prog_name="geo")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def cli(debug: bool) -> None:
    """Load, diff and map dated territorial-control polygons."""


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--source", default=None, help="Source name (default: implied by the data).")
@click.option("--layer", default=None, help="Canonical layer for single-layer files.")
@click.option("--date", "date_text", default=None, help="Date YYYY-MM-DD for every input.")
@click.option("--crs", default=None, help="CRS of files that declare none, e.g. EPSG:3857.")
@click.option("--replace", is_flag=True, help="Overwrite stored snapshots whose content changed.")
@click.option("--skip-bad", is_flag=True, help="Ingest what can be read; report the rest.")
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
    as_json: bool,
) -> None:
    """Read files and folders (recursively) into the store."""
    progress = sys.stderr.isatty()
    result = read_many(
        sources, layer=layer, source=source, date=date_text, crs=crs, progress=progress
    )
    if not skip_bad:
        result.raise_for_problems()
    store = open_store(store_path)
    report = store.ingest(result.snapshots, replace=replace, progress=progress)
    notes = _grouped_notes(result.snapshots)
    if as_json:
        payload = {
            "store": str(store.path),
            "added": [_key_json(k) for k in report.added],
            "unchanged": [_key_json(k) for k in report.unchanged],
            "replaced": [_key_json(k) for k in report.replaced],
            "notes": notes,
            "problems": result.problems,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        for problem in result.problems:
            click.echo(f"skipped: {problem}", err=True)
        click.echo(f"{store.path}: {report.summary()} ({result.n_files} files read)")
    if result.problems:
        sys.exit(1)


def _grouped_notes(snapshots: list[Snapshot]) -> list[str]:
    """One line per distinct note, with how many snapshots carry it."""
    seen: dict[tuple[str, str], list[str]] = {}
    for snap in snapshots:
        for note in snap.provenance.notes:
            seen.setdefault((snap.layer, note), []).append(snap.provenance.path)
    lines = []
    for (layer, note), paths in sorted(seen.items()):
        where = paths[0] if len(paths) == 1 else f"{len(paths)} snapshots, first {paths[0]}"
        lines.append(f"{layer}: {note} ({where})")
    return lines


def _key_json(key: tuple[str, str, Any]) -> dict[str, str]:
    return {"source": key[0], "layer": key[1], "date": key[2].isoformat()}


@cli.command(name="list")
@store_option
@click.option("--layer", default=None, help="Only this layer.")
@click.option("--source", default=None, help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of snapshots.")
def list_(store_path: Path | None, layer: str | None, source: str | None, as_json: bool) -> None:
    """List the snapshots in the store, one row each."""
    store = open_store(store_path)
    rows = store.snapshots(layer=layer, source=source)
    records = [
        {
            "source": str(row["source"]),
            "layer": str(row["layer"]),
            "date": row["date"].isoformat(),
            "n_features": int(row["n_features"]),
            "area_km2": round(float(row["area_km2"]), 3),
            "source_path": str(row["source_path"]),
            "hygiene": json.loads(row["hygiene"]) if row["hygiene"] else {},
            "notes": json.loads(row["notes"]) if row["notes"] else [],
        }
        for row in rows.to_dict("records")
    ]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=1))
        return
    if not records:
        click.echo(f"{store.path}: no snapshots (run 'geo ingest FILES...')")
        return
    click.echo(f"{'source':<12} {'layer':<28} {'date':<10} {'features':>8} {'area_km2':>12}")
    for rec in records:
        click.echo(
            f"{rec['source']:<12} {rec['layer']:<28} {rec['date']:<10} "
            f"{rec['n_features']:>8} {rec['area_km2']:>12,.1f}"
        )


@cli.command()
def layers() -> None:
    """Show the canonical layer vocabulary."""
    for name, description in CANONICAL_LAYERS.items():
        click.echo(f"{name:<28} {description}")


@cli.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="HTML file to write (default: geo-demo.html).",
)  # fmt: skip
@store_option
def demo(output: Path | None, store_path: Path | None) -> None:
    """Map the bundled synthetic sample and print the file's path."""
    from geo.render.demo import write_demo

    path = write_demo(output, store=store_path)
    click.echo(str(path.resolve()))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="geo")
