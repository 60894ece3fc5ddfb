"""Date ranges of the commands (geo.cli_range): --last, reversed dates, one source per command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

from geo.cli import cli
from geo.cli_range import parse_period
from geo.store import Store, open_store

DAYS = [dt.date(2025, 5, 1), dt.date(2025, 5, 20), dt.date(2025, 5, 25), dt.date(2025, 6, 1)]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def store(store_dir: Path) -> Store:
    """One source; the controlled box grows eastward on each of DAYS."""
    st_ = open_store(store_dir)
    st_.ingest(
        [make_snapshot(box(37.0, 48.0, 37.2 + 0.1 * i, 48.5), d) for i, d in enumerate(DAYS)]
    )
    return st_


@pytest.fixture
def mixed(store_dir: Path) -> Store:
    """ISW in 2023; DeepState raw and daily overlapping from Aug 2024 to May 2025."""
    st_ = open_store(store_dir)
    days = {
        "isw": [dt.date(2023, 5, 1), dt.date(2023, 8, 21)],
        "deepstate": [dt.date(2024, 8, 5), dt.date(2025, 5, 1)],
        "deepstate-daily": [dt.date(2024, 7, 8), dt.date(2025, 6, 1)],
    }
    st_.ingest([make_snapshot(date=d, source=s) for s, ds in days.items() for d in ds])
    return st_


def test_periods() -> None:
    assert parse_period("7d") == dt.timedelta(days=7)
    assert parse_period(" 12W ") == dt.timedelta(weeks=12)
    for bad in ("7", "0d", "1m", "-3d", "seven days"):
        with pytest.raises(click.BadParameter, match=r"e\.g\. 7d, 30d or 12w"):
            parse_period(bad)


def test_diff_last_counts_back_from_the_latest_date(store: Store) -> None:
    base = ["diff", "--store", str(store.path), "--layer", "russian_control"]
    result = invoke(*base, "--last", "7d", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # 2025-06-01 minus 7 days is 2025-05-25, a stored date
    assert (data["from"], data["to"]) == ("2025-05-25", "2025-06-01")
    assert "note: --last 7d: 2025-05-25 to 2025-06-01, the latest stored date" in result.stderr
    month = json.loads(invoke(*base, "--last", "30d", "--json").stdout)
    assert (month["from"], month["to"]) == ("2025-05-01", "2025-06-01")  # on or before 05-02
    both = invoke(*base, "--last", "7d", "--from", "2025-05-01")
    assert both.exit_code == 2 and "--last replaces --from and --to" in both.output
    bad = invoke(*base, "--last", "7")
    assert bad.exit_code == 2 and "e.g. 7d, 30d or 12w" in bad.output
    neither = invoke(*base)
    assert neither.exit_code == 2 and "give --from and --to, or --last" in neither.output
    missing = invoke("diff", "--store", str(store.path), "--layer", "contested", "--last", "7d")
    assert missing.exit_code == 1 and "no snapshots of layer 'contested'" in missing.output
    assert "see 'geo list'" in missing.output  # the library's phrase in the CLI's words


def test_reversed_dates_are_swapped_with_a_note(store: Store) -> None:
    base = ["diff", "--store", str(store.path), "--layer", "russian_control", "--json"]
    ordered = invoke(*base, "--from", "2025-05-01", "--to", "2025-06-01")
    reversed_ = invoke(*base, "--from", "2025-06-01", "--to", "2025-05-01")
    assert reversed_.exit_code == 0, reversed_.output
    assert json.loads(reversed_.stdout) == json.loads(ordered.stdout)
    assert json.loads(reversed_.stdout)["gained_km2"] > 0  # growth, not a loss
    assert reversed_.stderr == (
        "note: --from 2025-06-01 is after --to 2025-05-01: swapped them, 2025-05-01 to 2025-06-01\n"
    )
    assert "note:" not in ordered.stderr


def test_stats_last_and_reversed_start_end(store: Store) -> None:
    base = ["stats", "--store", str(store.path), "--layer", "russian_control", "--format", "json"]
    rows = json.loads(invoke(*base, "--last", "12d").stdout)["rows"]
    assert [r["date"] for r in rows] == ["2025-05-20", "2025-05-25", "2025-06-01"]
    swapped = invoke(*base, "--start", "2025-06-01", "--end", "2025-05-20")
    assert swapped.exit_code == 0, swapped.output
    assert [r["date"] for r in json.loads(swapped.stdout)["rows"]] == [
        "2025-05-20", "2025-05-25", "2025-06-01",
    ]  # fmt: skip
    assert "note: --start 2025-06-01 is after --end 2025-05-20: swapped them" in swapped.stderr


def test_map_last_is_a_diff_map_or_a_timeline_range(store: Store, tmp_path: Path) -> None:
    base = ["map", "--store", str(store.path), "--layer", "russian_control", "--tiles", "none"]
    out = tmp_path / "last.html"
    made = invoke(*base, "--last", "7d", "-o", str(out))
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    # the map speaks in human dates: "25 May → 1 Jun 2025"
    assert "geo-diff-panel" in page and "25 May" in page and "20 May" not in page
    timeline = tmp_path / "timeline.html"
    made = invoke(*base, "--timeline", "--last", "7d", "-o", str(timeline))
    assert made.exit_code == 0, made.output
    page = timeline.read_text(encoding="utf-8")
    # the slider's axis runs over the range, in human dates (the dates themselves are encoded)
    assert "geo-tl-slider" in page and "25 May 2025" in page and "20 May" not in page
    wrong = invoke(*base, "--date", "2025-06-01", "--last", "7d", "-o", str(out))
    assert wrong.exit_code == 2 and "--last gives the range of a diff map or a timeline" in (
        wrong.output
    )
    swapped = invoke(*base, "--from", "2025-06-01", "--to", "2025-05-01", "-o", str(out))
    assert swapped.exit_code == 0 and "swapped them" in swapped.stderr


def test_one_source_is_picked_once_for_both_dates(mixed: Store) -> None:
    base = ["diff", "--store", str(mixed.path), "--layer", "russian_control"]
    result = invoke(*base, "--from", "2023-05-15", "--to", "2023-08-21")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: using source 'isw' (the only one with russian_control on 2023-05-15 and "
        "2023-08-21)\n"
    )
    several = invoke(*base, "--from", "2024-09-01", "--to", "2025-05-01")
    assert several.exit_code == 1
    assert "several sources hold layer 'russian_control' on 2024-09-01 and 2025-05-01" in (
        several.output
    )
    assert "deepstate (2024-08-05 to 2025-05-01, 2 dates)" in several.output
    assert "pass --source to pick one" in several.output
    chosen = invoke(*base, "--from", "2024-09-01", "--to", "2025-05-01", "--source", "deepstate")
    assert chosen.exit_code == 0 and "note: using" not in chosen.stderr
    across = invoke(*base, "--from", "2023-06-01", "--to", "2025-06-01")
    assert across.exit_code == 1 and "no single source holds layer" in across.output
    latest = invoke(*base, "--last", "30d")  # counted back from 2025-06-01: daily only
    assert latest.exit_code == 0, latest.output
    assert "using source 'deepstate-daily'" in latest.stderr


def test_frontline_both_dates_from_one_source(mixed: Store, tmp_path: Path) -> None:
    from shapely.geometry import mapping

    regions = tmp_path / "country.geojson"
    regions.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"name": "Donetsk"},
            "geometry": mapping(box(36.5, 47.5, 38.0, 49.0)),
        }]}),
        encoding="utf-8",
    )  # fmt: skip
    base = ["frontline", "--store", str(mixed.path), "--regions", str(regions), "--json"]
    same = invoke(*base, "--date", "2023-08-21", "--since", "2023-05-01")
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["source"] == "isw"
    assert same.stderr.count("note: using source 'isw'") == 1
    across = invoke(*base, "--date", "2025-06-01", "--since", "2023-05-01")
    assert across.exit_code == 1 and "no single source holds layer" in across.output
