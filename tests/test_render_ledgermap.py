"""Ledger map (geo.render.ledger_map, geo ledger --map): places by number of changes of hands."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

from geo.cli import cli
from geo.errors import ValidationError
from geo.gazetteer import ATTRIBUTION
from geo.ledger import ledger
from geo.regions import load_regions
from geo.render import ledger_map, save_html
from geo.render.ledgermap import CHANGE_CLASSES, change_class, marker_radius
from geo.store import Store, open_store

EVIL = "<img src=x onerror=alert(1)>"


def tsv_row(gid: int, name: str, lon: float) -> str:
    fields = [str(gid), name, name, "", "48.25", str(lon), "P", "PPL", "UA", "", "05",
              "", "", "", "100", "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    return "\t".join(fields)


@pytest.fixture
def gaz_file(tmp_path: Path) -> Path:
    """Places on 48.25 N at 37.05, 37.15, ... 37.95; Place3 is named with markup."""
    names = [f"Place{k}" if k != 3 else f"Place3 {EVIL}" for k in range(10)]
    rows = [tsv_row(100 + k, name, 37.05 + 0.1 * k) for k, name in enumerate(names)]
    path = tmp_path / "UA.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(store_dir: Path) -> Store:
    """The line moves 37.3 -> 37.5 -> 37.2 -> 37.6: Place3/4 change 3 times, Place2 twice,
    Place5 once; a second source ``b`` is only needed for the several-sources error."""
    days = [(37.3, 0), (37.5, 2), (37.2, 5), (37.6, 6)]
    st_ = open_store(store_dir)
    st_.ingest([make_snapshot(box(37.0, 48.0, east, 48.5), i, source="a") for east, i in days])
    return st_


def page(fmap: Any) -> str:
    return str(fmap.get_root().render())


def test_classes_and_sizes_grow_with_the_changes() -> None:
    assert [change_class(n)[1] for n in (1, 2, 3, 4, 5, 6, 40)] == [
        "1", "2", "3", "4-5", "4-5", "6+", "6+",
    ]  # fmt: skip
    colours = [colour for _, colour in CHANGE_CLASSES]
    assert len(set(colours)) == len(colours)
    sizes = [marker_radius(n) for n in range(1, 30)]
    assert sizes == sorted(sizes) and sizes[0] == 4 and sizes[-1] == 14


def test_only_changed_places_are_drawn_by_class(store: Store, gaz_file: Path) -> None:
    summary = ledger(store, gazetteer=gaz_file, layers=["russian_control"]).summary
    text = page(ledger_map(summary, tiles=None))
    changed = summary[summary["n_changes"] > 0]
    assert sorted(changed["n_changes"]) == [1, 2, 3, 3]  # Place5, Place2, Place3, Place4
    assert text.count("L.circleMarker(") == 4
    for n in (1, 2, 3):
        assert f'"fillColor": "{change_class(n)[0]}"' in text
        assert f'"radius": {marker_radius(n)}' in text
    assert "Place0" not in text and "Place9" not in text  # never changed hands
    assert EVIL not in text and "Place3 &lt;img src=x onerror=alert(1)&gt;" in text
    title = (
        "Places by number of changes of hands: Russian-controlled territory, a, 1 Jul → 7 Jul 2024"
    )
    assert title in text
    assert f"addAttribution({json.dumps(f'Data: a · {ATTRIBUTION}')})" in text
    legend = text[text.index('class="geo-legend"') :]
    assert re.findall(r"</span>([^<]+)</div>", legend) == ["1", "2", "3"]  # up to the top class
    fewer = page(ledger_map(summary, min_changes=3, tiles=None))
    assert fewer.count("L.circleMarker(") == 2


def test_ukrainian_words(store: Store, gaz_file: Path) -> None:
    summary = ledger(store, gazetteer=gaz_file, layers=["russian_control"]).summary
    oblast = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    text = page(ledger_map(summary, lang="uk", regions=oblast, tiles=None))
    assert "Населені пункти за кількістю змін контролю" in text
    assert '"Донецька обл."' in text, "region labels in Ukrainian too"
    assert "Змін контролю: 3" in text


def test_bad_calls_name_the_fix(store: Store, gaz_file: Path) -> None:
    summary = ledger(store, gazetteer=gaz_file, layers=["russian_control"]).summary
    two = pd.concat([summary, summary.assign(source="b")])
    with pytest.raises(ValidationError, match="pass source= to pick one"):
        ledger_map(two, tiles=None)
    assert page(ledger_map(two, source="b", tiles=None)).count("L.circleMarker(") == 4
    with pytest.raises(ValidationError, match="no column 'n_changes'"):
        ledger_map(summary.drop(columns="n_changes"), tiles=None)
    with pytest.raises(ValidationError, match="min_changes=0"):
        ledger_map(summary, min_changes=0, tiles=None)


def test_ledger_command_writes_the_map(store: Store, gaz_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "ledger.html"
    result = CliRunner().invoke(cli, [
        "ledger", "--store", str(store.path), "--gazetteer", str(gaz_file), "--map", str(out),
        "--tiles", "none",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    assert out.read_text(encoding="utf-8").count("L.circleMarker(") == 4
    store.ingest([make_snapshot(box(37.0, 48.0, 37.3, 48.5), 0, source="b")])
    several = CliRunner().invoke(cli, [
        "ledger", "--store", str(store.path), "--gazetteer", str(gaz_file), "--map", str(out),
    ])  # fmt: skip
    assert several.exit_code == 1 and "pass --source to pick one" in several.output


# --- real browser -----------------------------------------------------------------------


def test_ledger_map_in_chromium(browser: Any, store: Store, gaz_file: Path, tmp_path: Path) -> None:
    summary = ledger(store, gazetteer=gaz_file, layers=["russian_control"]).summary
    path = save_html(ledger_map(summary, tiles=None), tmp_path / "ledger.html")
    view = browser.open(path)
    view.wait_for_selector(".leaflet-overlay-pane path")
    assert view.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 4
    legend = view.locator(".geo-legend").inner_text()
    assert legend.split() == ["Changes", "of", "hands", "1", "2", "3"]
    assert "GeoNames" in view.locator(".leaflet-control-attribution").inner_text()
    # hovering the most changed place shows its name as text, markup and all
    biggest = view.locator(".leaflet-overlay-pane path.leaflet-interactive").last
    biggest.hover()
    tip = view.locator(".leaflet-tooltip")
    tip.wait_for()
    assert "Changes of hands: 3" in tip.inner_text()
    assert "Place" in tip.inner_text()
    browser.screenshot("ledger-map")


def test_hostile_name_shows_as_text_in_chromium(
    browser: Any, store: Store, gaz_file: Path, tmp_path: Path
) -> None:
    summary = ledger(store, gazetteer=gaz_file, layers=["russian_control"]).summary
    hostile = summary[summary["name"].str.contains("onerror")]
    path = save_html(ledger_map(hostile, tiles=None), tmp_path / "hostile.html")
    view = browser.open(path)
    view.locator(".leaflet-overlay-pane path.leaflet-interactive").first.hover()
    tip = view.locator(".leaflet-tooltip")
    tip.wait_for()
    assert EVIL in tip.inner_text()  # shown, not run (an <img> would be a blocked request)
    assert view.locator(".leaflet-tooltip img").count() == 0


@pytest.mark.realdata
def test_real_ledger_map_in_chromium(
    deepstate_daily_store: Store, shared_path: Any, browser: Any, tmp_path: Path
) -> None:
    gaz = shared_path("places", "geonames-UA.txt.gz")
    result = ledger(deepstate_daily_store, gazetteer=gaz, start=dt.date(2025, 1, 1))
    summary = result.summary
    n_changed = int((summary["n_changes"] > 0).sum())
    assert 100 < n_changed < 2_000
    oblasts = load_regions(shared_path("regions", "ukraine-ocha-codab-2017",
                                       "ukr_admbnda_adm1_q2_sspe_20171221.shp"))  # fmt: skip
    fmap = ledger_map(summary, regions=oblasts, tiles=None)
    path = save_html(fmap, tmp_path / "real-ledger.html")
    assert path.stat().st_size < 3_000_000
    view = browser.open(path)
    view.wait_for_selector(".leaflet-overlay-pane path")
    circles = view.locator(".leaflet-overlay-pane path.leaflet-interactive[fill-opacity='0.9']")
    assert circles.count() == n_changed
    title = view.locator(".geo-title").inner_text()
    assert title.startswith("Places by number of changes of hands: Russian-controlled territory, ")
    assert "DeepStateMap.Live" in title and "→ 22 Aug 2026" in title
    credit = view.locator(".leaflet-control-attribution").inner_text()
    assert "DeepStateMap.Live" in credit and "GeoNames" in credit
    browser.screenshot("ledger-map-deepstate-real")
