"""The library speaks Python; the CLI translates its messages to flags (geo.cli_errors).

The same failure is checked from both sides: the library's message names the
keyword (``source=``), the command's message names the option (``--source``).
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

import geo
from geo.cli import cli
from geo.cli_errors import ALIASES, PHRASES, GeoGroup, install_notes, translate
from geo.errors import DuplicateSnapshotError, GeoError, StoreError
from geo.store import open_store

GEO = Path(geo.__file__).parent

# --- translate() on a small command line ------------------------------------------------


@click.group(cls=GeoGroup)
def toy() -> None:
    """A command line shaped like geo's."""


@toy.command()
@click.option("--source")
@click.option("--crs")
@click.option("--replace", is_flag=True)
@click.option("--regions", "regions_files", multiple=True)
@click.option("--tolerance-m", type=float)
@click.option("--png", "static_path")
def show(**_: object) -> None:
    """Options named like the library's keywords, one by its Python name only (--png)."""


@toy.group(cls=GeoGroup)
def fetch() -> None:
    """A nested group."""


@fetch.command(name="deepstate")
@click.option("--offline", is_flag=True)
@click.option("--accept-terms", is_flag=True)
def fetch_deepstate(**_: object) -> None:
    """A nested command."""


@toy.command()
@click.option("--from", "date_from")
@click.option("--to", "date_to")
def places(**_: object) -> None:
    """A command whose --from/--to are the library's start= and end=."""


def in_words_of(*path: str) -> click.Context:
    """The context of ``toy PATH...`` as it runs, for translate()."""
    ctx = toy.make_context("toy", list(path))
    with ctx:
        name, command, _ = toy.resolve_command(ctx, list(path))
        sub = command.make_context(name, list(path[1:]), parent=ctx)  # type: ignore[union-attr]
        if isinstance(command, click.Group) and len(path) > 1:
            command.resolve_command(sub, list(path[1:]))
    return sub


@pytest.mark.parametrize(
    ("python", "cli_words"),
    [
        ("pass source= to pick one", "pass --source to pick one"),
        ("pass replace=True to overwrite", "pass --replace to overwrite"),
        ('declare it with crs="EPSG:XXXX"', "declare it with --crs EPSG:XXXX"),
        ("(for example crs='EPSG:3857')", "(for example --crs EPSG:3857)"),
        ("pass regions=load_regions(FILE) with a file", "pass --regions FILE with a file"),
        ("or pass another tolerance_m=", "or pass another --tolerance-m"),
        ("pass static_path= too", "pass --png too"),  # found by the option's Python name
        ("source=: not a name", "--source: not a name"),
        ("keep exact=False", "keep exact=False"),  # no command has --exact: left as written
    ],
)
def test_keywords_become_the_commands_options(python: str, cli_words: str) -> None:
    assert translate(python, in_words_of("show")) == cli_words


def test_nested_command_false_and_alias() -> None:
    ctx = in_words_of("fetch", "deepstate")
    assert translate("run once with offline=False", ctx) == "run once without --offline"
    assert translate("or use offline=True", ctx) == "or use --offline"
    assert translate("Accept them once with accept=True", ctx) == (
        "Accept them once with --accept-terms"
    )


def test_per_command_aliases_win() -> None:
    text = "start (2024-05-01) is after end (2024-04-01); swap start= and end="
    assert translate(text, in_words_of("places")).endswith("swap --from and --to")


def test_other_commands_options_are_the_fallback() -> None:
    assert translate("pass regions=load_regions(FILE)", in_words_of("places")) == (
        "pass --regions FILE"
    )


@pytest.mark.parametrize(
    "data",
    [
        "/data/date=2024-01-01/control.geojson: no polygon",  # a hive-style path
        "layer 'source=' is unknown",  # quoted data
        "min_width_m=-1.0 must be a finite number >= 0",  # a value, not a fix
        "source=x",  # an unquoted value is data
        "a==b",
    ],
)
def test_text_that_is_no_keyword_is_left_alone(data: str) -> None:
    assert translate(data, in_words_of("show")) == data


def test_phrases_are_translated_and_exist_in_the_library() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in GEO.rglob("*.py"))
    for python, cli_words in PHRASES.items():
        assert python in sources, f"no library message says {python!r} any more"
        assert translate(f"x; {python}", in_words_of("show")) == f"x; {cli_words}"


def test_alias_flags_exist_in_the_real_cli() -> None:
    flags = {opt for command in _commands(cli) for p in command.params for opt in p.opts}
    for table in ALIASES.values():
        for flag in table.values():
            assert flag in flags


def _commands(command: click.Command) -> list[click.Command]:
    subs = command.commands.values() if isinstance(command, click.Group) else []
    return [command, *(c for sub in subs for c in _commands(sub))]


def test_without_a_running_command_text_is_unchanged() -> None:
    assert translate("pass source= to pick one") == "pass source= to pick one"


# --- no flag in library messages --------------------------------------------------------

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def test_library_strings_name_no_cli_flag() -> None:
    """Outside cli*.py (and geo/render, translated by its own owner), no string says --flag."""
    found = []
    for path in sorted(GEO.rglob("*.py")):
        rel = path.relative_to(GEO).as_posix()
        if rel.startswith(("cli", "render/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [f"{rel}:{node.lineno}: {m}" for m in FLAG.findall(node.value)]
    assert found == []


# --- the same failures from Python and from the command line -------------------------


@pytest.fixture
def two_sources(store_dir: Path) -> Path:
    open_store(store_dir).ingest([make_snapshot(source="isw"), make_snapshot(source="ds")])
    return store_dir


def test_several_sources(two_sources: Path) -> None:
    with pytest.raises(StoreError, match="pass source= to pick one"):
        open_store(two_sources).get("russian_control", make_snapshot().date)
    result = CliRunner().invoke(
        cli, ["diff", "--store", str(two_sources), "--layer", "russian_control",
              "--from", "2024-07-01", "--to", "2024-07-01"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "pass --source to pick one" in result.output and "source=" not in result.output


def test_changed_content_needs_replace(store_dir: Path, tmp_path: Path) -> None:
    first = tmp_path / "russian_control_2024-07-01.geojson"
    first.write_text(_box_geojson(0.5))
    second = tmp_path / "again" / first.name
    second.parent.mkdir()
    second.write_text(_box_geojson(0.6))
    store = open_store(store_dir)
    store.ingest(geo.read(first))
    with pytest.raises(DuplicateSnapshotError, match="pass replace=True to overwrite"):
        store.ingest(geo.read(second))
    result = CliRunner().invoke(cli, ["ingest", str(second), "--store", str(store_dir)])
    assert result.exit_code == 1 and "pass --replace to overwrite" in result.output


def _box_geojson(size: float) -> str:
    ring = [[37, 48], [37 + size, 48], [37 + size, 48 + size], [37, 48 + size], [37, 48]]
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        f'"geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}]}}'
    )


def test_store_commands(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    with pytest.raises(StoreError, match="open it with create=True to make one"):
        open_store(missing, create=False)
    args = ["--layer", "x", "--from", "2024-01-02", "--to", "2024-01-01"]
    gazetteer = tmp_path / "UA.txt"
    gazetteer.write_text("")
    result = CliRunner().invoke(
        cli, ["places", "--store", str(missing), *args, "--gazetteer", str(gazetteer)]
    )
    assert result.exit_code == 1
    assert "run 'geo ingest FILES...' to create one" in result.output


def test_places_dates_in_the_commands_words(store_dir: Path, tmp_path: Path) -> None:
    from geo.places import places_changed

    store = open_store(store_dir)
    store.ingest([make_snapshot()])
    day = make_snapshot().date
    with pytest.raises(GeoError, match="swap start= and end="):
        places_changed(store, "russian_control", day, day - dt.timedelta(days=1), gazetteer=[])
    gazetteer = tmp_path / "UA.txt"
    gazetteer.write_text("")
    result = CliRunner().invoke(
        cli, ["places", "--store", str(store_dir), "--layer", "russian_control",
              "--from", "2024-07-02", "--to", "2024-07-01", "--gazetteer", str(gazetteer)],
    )  # fmt: skip
    # the library refuses reversed dates; the command swaps them and says so (issue 13)
    assert result.exit_code == 0, result.output
    assert "note: --from 2024-07-02 is after --to 2024-07-01: swapped them" in result.stderr


def test_problems_of_a_batch_are_translated(tmp_path: Path, store_dir: Path) -> None:
    for name in ("a.geojson", "b.geojson"):  # no date anywhere
        (tmp_path / name).write_text(_box_geojson(0.1))
    result = CliRunner().invoke(
        cli, ["ingest", str(tmp_path / "a.geojson"), str(tmp_path / "b.geojson"),
              "--store", str(store_dir), "--layer", "russian_control"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output.count("pass --date YYYY-MM-DD") == 2 and 'date="' not in result.output
    skipped = CliRunner().invoke(
        cli, ["ingest", str(tmp_path / "a.geojson"), "--store", str(store_dir),
              "--layer", "russian_control", "--skip-bad"],
    )  # fmt: skip
    assert "skipped: " in skipped.output and "pass --date YYYY-MM-DD" in skipped.output


def _geojson(ring: list[list[float]], crs: str | None = None) -> str:
    member = f'"crs": {{"type": "name", "properties": {{"name": "{crs}"}}}}, ' if crs else ""
    return (
        f'{{"type": "FeatureCollection", {member}"features": [{{"type": "Feature", '
        f'"properties": {{}}, "geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}]}}'
    )


@pytest.mark.parametrize(
    ("ring", "crs", "python", "command"),
    [
        ([[4e6, 6e6], [4.1e6, 6e6], [4.1e6, 6.1e6], [4e6, 6e6]], None,
         'with crs="EPSG:XXXX"', "with --crs EPSG:XXXX"),
        ([[37, 48], [37.5, 48], [37.5, 48.5], [37, 48]], "urn:ogc:def:crs:EPSG::3857",
         "pass crs='EPSG:4326'", "pass --crs EPSG:4326"),
        ([[37, 48], [37.5, 48], [37.5, 48.5], [37, 48]], "EPSG:999999",
         "pass crs='EPSG:<code>'", "pass --crs 'EPSG:<code>'"),
    ],
)  # fmt: skip
def test_crs_fixes_in_the_commands_words(
    tmp_path: Path, store_dir: Path, ring: list[list[float]], crs: str | None, python: str,
    command: str,
) -> None:  # fmt: skip
    """The CRS checks of the hardened readers say crs= in Python and --crs on the command line."""
    path = tmp_path / "bad\x1b]0;t\x07_2024-07-01.geojson"
    path.write_text(_geojson(ring, crs))
    with pytest.raises(GeoError) as err:
        geo.read(path, layer="russian_control")
    assert python in str(err.value)
    result = CliRunner().invoke(
        cli, ["ingest", str(path), "--store", str(store_dir), "--layer", "russian_control"]
    )
    assert result.exit_code == 1
    assert command in result.output and "crs=" not in result.output
    assert "\x1b" not in result.output and "\\x1b]0;t\\x07" in result.output  # escaped too


# --- log records become notes -----------------------------------------------------------


def test_library_log_records_print_as_notes(store_dir: Path, tmp_path: Path) -> None:
    regions = tmp_path / "regions.geojson"
    regions.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"name": "Donetsk"}, "geometry": {"type": "Polygon", "coordinates": '
        "[[[36, 47], [39, 47], [39, 49], [36, 49], [36, 47]]]}}]}"
    )
    open_store(store_dir).ingest([make_snapshot(), make_snapshot(box(37, 48, 37.6, 48.5), 1)])
    result = CliRunner().invoke(
        cli, ["diff", "--store", str(store_dir), "--layer", "russian_control",
              "--from", "2024-07-01", "--to", "2024-07-02",
              "--regions", str(regions), "--regions", str(regions)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: " in result.output and "already defined by an earlier file" in result.output
    # The handler is gone when the command ends: Python users get logging's own behaviour.
    assert not any(type(h).__name__ == "_NoteHandler" for h in logging.getLogger("geo").handlers)


def test_note_handler_translates_and_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    ctx = in_words_of("show")
    with ctx:
        install_notes(ctx)
        logging.getLogger("geo.test").info("pass source= \x1b[2J to pick one")
    err = capsys.readouterr().err
    assert err == "note: pass --source \\x1b[2J to pick one\n"
    logging.getLogger("geo.test").info("after the command")
    assert capsys.readouterr().err == ""  # removed, and INFO is below logging's default
