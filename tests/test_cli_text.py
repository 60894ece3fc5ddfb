"""Text tables of the command (geo.cli_text): the diff report and ``geo list --summary``."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

from geo.cli import cli
from geo.cli_text import format_diff, format_summary, table
from geo.diff import diff
from geo.store import open_store

EVIL = "\x1b[2Jevil\nregion"


def regions() -> gpd.GeoDataFrame:
    """West and East split the boxes at 37.3; North and a hostile name border them, holding
    nothing; Far is nowhere near (so regions are chosen without it)."""
    geoms = [box(36.9, 48.0, 37.3, 48.5), box(37.3, 48.0, 37.7, 48.5), box(36.9, 48.5, 37.7, 48.7),
             box(36.9, 47.8, 37.7, 48.0), box(40, 40, 41, 41)]  # fmt: skip
    names = ["West", "East", "North", EVIL, "Far"]
    return gpd.GeoDataFrame({"region": names}, geometry=geoms, crs=4326)


def make_diff(**kw: Any) -> Any:
    """Lost a 0.1° strip in the west (~740 km²), gained 0.2° in the east (~1,480 km²)."""
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 0, source="deepstate")
    b = make_snapshot(box(37.1, 48.0, 37.7, 48.5), 31, source="deepstate")
    return diff(a, b, regions=regions(), **kw)


def test_report_has_headers_sorted_rounded_regions_and_one_method_line() -> None:
    d = make_diff()
    text = format_diff(d, d.largest_changes(5))
    lines = text.splitlines()
    assert lines[0] == "Russian-controlled territory, DeepStateMap.Live, 1 Jul → 1 Aug 2024"
    assert lines[1].startswith("deepstate russian_control: 2024-07-01 -> 2024-08-01 (31 days")
    header = next(line for line in lines if line.startswith("Region"))
    assert header.split() == ["Region", "1", "Jul", "2024", "1", "Aug", "2024", "Gained", "Lost",
                              "Net", "Held"]  # fmt: skip
    rows = [line.split()[0] for line in lines[lines.index(header) + 1 :] if line[:1].isalpha()]
    by_name = {r.region: r for r in d.regions}
    east, west = by_name["East"], by_name["West"]
    assert east.gained_km2 + east.lost_km2 > west.gained_km2 + west.lost_km2
    assert rows[:2] == ["East", "West"]  # largest gross change first
    assert "Far" not in text and "evil" not in text  # no change: no row...
    assert "(2 more regions without change to the km²)" in text  # ...but counted
    east_row = next(line for line in lines if line.startswith("East"))
    assert f"+{round(east.net_km2):,} km²" in east_row
    west_row = next(line for line in lines if line.startswith("West"))
    assert f"−{round(west.lost_km2):,} km²" in west_row  # a real minus sign
    figures = text[: text.index("Method")]
    assert not re.search(r"\d\.\d+ km²", figures)  # km² to the unit everywhere
    total = next(line for line in lines if line.startswith("Total"))
    assert f"{round(d.area_to_km2):,} km²" in total and f"{round(d.gained_km2):,} km²" in total
    method = [line for line in lines if line.startswith("Method")]
    assert len(method) == 1 and method[0].endswith("full text: --json")
    assert d.method not in text  # the full method is for --json
    assert "Largest changes" in text and "gained" in text


def test_outside_regions_and_notes_are_shown() -> None:
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 0)
    b = make_snapshot([box(37.0, 48.0, 37.5, 48.5), box(38.0, 48.0, 38.3, 48.3)], 5)
    text = format_diff(diff(a, b, regions=regions()), a_frame())
    assert "(outside the regions)" in text
    mixed = diff(a, make_snapshot(box(37.0, 48.0, 37.6, 48.5), 3, source="other"),
                 allow_mixed=True)  # fmt: skip
    assert "note: sources ('test' vs 'other') and dates differ" in format_diff(mixed, a_frame())


def a_frame() -> Any:
    import pandas as pd

    return pd.DataFrame(columns=["change", "area_km2", "lon", "lat", "region"])


def test_ukrainian_report() -> None:
    d = make_diff()
    text = format_diff(d, d.largest_changes(1), lang="uk")
    assert text.splitlines()[0].startswith("Територія під контролем Росії, DeepStateMap.Live")
    assert "Область" in text and "Набуто" in text and " км²" in text


def test_diff_command_text_and_json(store_dir: Path, tmp_path: Path) -> None:
    store = open_store(store_dir)
    store.ingest([make_snapshot(box(37.0, 48.0, 37.5, 48.5), 0),
                  make_snapshot(box(37.1, 48.0, 37.7, 48.5), 31)])  # fmt: skip
    path = tmp_path / "regions.geojson"
    path.write_text(regions().rename(columns={"region": "name"}).to_json(), encoding="utf-8")
    base = ["diff", "--store", str(store_dir), "--layer", "russian_control", "--from",
            "2024-07-01", "--to", "2024-08-01", "--regions", str(path)]  # fmt: skip
    text = CliRunner().invoke(cli, base).stdout
    assert "Region" in text and "Method (ellipsoid)" in text and "\x1b" not in text
    data = json.loads(CliRunner().invoke(cli, [*base, "--json"]).stdout)
    assert "Albers" in data["method"]  # the full text
    # every chosen region (those holding or bordering the layer), changed or not; not Far
    assert {r["region"] for r in data["regions"]} == {"West", "East", "North", EVIL}
    # a region named with control characters never reaches the terminal raw
    hostile = gpd.GeoDataFrame({"name": [EVIL]}, geometry=[box(37.4, 47.9, 37.8, 48.6)], crs=4326)
    path.write_text(hostile.to_json(), encoding="utf-8")
    text = CliRunner().invoke(cli, base).stdout
    assert "\\x1b[2Jevil\\x0aregion" in text and "\x1b" not in text
    assert "lost    413 km²  37.050 E 48.250 N  no region" in text  # not "nan"


def test_table_alignment() -> None:
    assert table([["a", "b", "c"], ["long", "x", "yy"]], align="lrl") == [
        "a     b  c", "long  x  yy",
    ]  # fmt: skip


def test_list_summary_text_and_json(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest(
        [make_snapshot(date=d, source="deepstate-daily") for d in (0, 1, 40)]
        + [make_snapshot(date=3, source="isw", layer="russian_advance")]
    )
    runner = CliRunner()
    text = runner.invoke(cli, ["list", "--store", str(store_dir), "--summary"]).stdout
    assert text.splitlines() == format_summary(store.summary()).splitlines()
    assert text.splitlines()[0].split() == ["source", "publisher", "layer", "first", "last",
                                            "dates"]  # fmt: skip
    assert re.search(r"deepstate-daily +DeepStateMap\.Live +russian_control +2024-07-01 +"
                     r"2024-08-10 +3$", text, re.MULTILINE)  # fmt: skip
    rows = json.loads(
        runner.invoke(cli, ["list", "--store", str(store_dir), "--summary", "--json"]).stdout
    )
    assert rows == [
        {"source": "deepstate-daily", "layer": "russian_control", "first_date": "2024-07-01",
         "last_date": "2024-08-10", "n_dates": 3, "publisher": "DeepStateMap.Live"},
        {"source": "isw", "layer": "russian_advance", "first_date": "2024-07-04",
         "last_date": "2024-07-04", "n_dates": 1,
         "publisher": "Institute for the Study of War (ISW)"},
    ]  # fmt: skip
    only = runner.invoke(
        cli, ["list", "--store", str(store_dir), "--summary", "--source", "isw", "--json"]
    )
    assert [r["source"] for r in json.loads(only.stdout)] == ["isw"]
    empty = runner.invoke(cli, ["list", "--store", str(store_dir / "new"), "--summary"])
    assert empty.stdout.startswith("no snapshots")
    assert dt.date(2024, 7, 1) + dt.timedelta(days=40) == dt.date(2024, 8, 10)
