"""Front-line map (geo.render.frontline_map, geo frontline --map): page parts and in chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box, mapping

from geo.cli import cli
from geo.errors import ValidationError
from geo.frontline import Frontline, frontline
from geo.render import frontline_map, save_html
from geo.render.frontmap import LINE_STYLES
from geo.snapshot import Snapshot
from geo.store import open_store

EVIL = "<img src=x onerror=alert(1)>"
COUNTRY = box(37.0, 48.0, 38.0, 49.0)
OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"


def fronts(source: str = "deepstate") -> tuple[list[Frontline], Snapshot]:
    """The meridian 37.6 on day 0, then 37.5 on day 31 (the eastern part is controlled)."""
    before = make_snapshot(box(37.6, 48.0, 38.0, 49.0), 0, source=source)
    after = make_snapshot(box(37.5, 48.0, 38.0, 49.0), 31, source=source)
    return [frontline(before, COUNTRY), frontline(after, COUNTRY)], after


def regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"region": ["Donetsk"], "country": ["UA"]}, geometry=[COUNTRY], crs=4326
    )


def page(fmap: Any) -> str:
    return str(fmap.get_root().render())


def test_title_legend_credit_and_styles() -> None:
    lines, area = fronts()
    text = page(frontline_map(lines[::-1], area=area, regions=regions(), tiles=None))
    title = "Contact line: Russian-controlled territory, DeepStateMap.Live, 1 Jul → 1 Aug 2024"
    assert title in text
    assert 'addAttribution("Data: DeepStateMap.Live")' in text
    # one legend row per line, dated and measured (km to the unit), the latest last
    first, last = (f"Contact line, {d} ({f.length_km:,.0f} km)" for d, f in
                   zip(("1 Jul 2024", "1 Aug 2024"), lines, strict=True))  # fmt: skip
    legend = text[text.index('class="geo-legend"') :]
    assert legend.index(first) < legend.index(last)
    assert "Russian-controlled territory" in legend
    assert 104 < lines[1].length_km < 112  # 1 degree of meridian less the border tolerance
    # the earlier line dashed, the latest solid and dark
    assert '"dashArray": "6 5"' in text and LINE_STYLES["latest"]["color"] in text
    assert "Donetsk" in text  # region outline label


def test_ukrainian_words_and_a_caller_title() -> None:
    lines, _ = fronts()
    text = page(frontline_map(lines[1], lang="uk", regions=regions(), tiles=None))
    assert (
        "Лінія зіткнення: Територія під контролем Росії, DeepStateMap.Live, 1 серпня 2024" in text
    )
    assert '"Донецька обл."' in text, "region labels in Ukrainian too"
    assert f"({lines[1].length_km:,.0f} км)".replace(",", " ") in text
    own = page(frontline_map(lines[1], title=EVIL, tiles=None))
    assert EVIL not in own and "&lt;img src=x onerror=alert(1)&gt;" in own


def test_untrusted_source_is_escaped_and_the_sample_notice_kept() -> None:
    lines, area = fronts(source=EVIL)
    text = page(frontline_map(lines, area=area, tiles=None))
    assert EVIL not in text and "&lt;img" in text
    sample_lines, _ = fronts(source="sample")
    assert "SYNTHETIC SAMPLE DATA" in page(frontline_map(sample_lines, tiles=None))


def test_nothing_to_draw_is_an_error() -> None:
    with pytest.raises(ValidationError, match="pass at least one Frontline"):
        frontline_map([], tiles=None)


def test_frontline_command_writes_the_map(tmp_path: Path, store_dir: Path) -> None:
    regions_file = tmp_path / "country.geojson"
    regions_file.write_text(
        json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "Donetsk"}, "geometry": mapping(COUNTRY)},
            {"type": "Feature", "properties": {"name": "Kursk"},
             "geometry": mapping(box(35.0, 51.0, 36.0, 52.0))},
        ]}),
        encoding="utf-8",
    )  # fmt: skip
    _, after = fronts(source="isw")
    open_store(store_dir).ingest([make_snapshot(box(37.6, 48.0, 38.0, 49.0), 0, source="isw"),
                                  after])  # fmt: skip
    out = tmp_path / "front.html"
    result = CliRunner().invoke(cli, [
        "frontline", "--store", str(store_dir), "--date", "2024-08-01", "--since", "2024-07-01",
        "--regions", str(regions_file), "--map", str(out), "--tiles", "none", "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["map"] == str(out)
    text = out.read_text(encoding="utf-8")
    assert (
        "Contact line: Russian-controlled territory, Institute for the Study of War (ISW)" in text
    )
    assert f"Contact line, 1 Aug 2024 ({payload['length_km']:,.0f} km)" in text
    assert "Contact line, 1 Jul 2024" in text  # the --since line
    assert "Donetsk" in text and "Kursk" not in text  # outlines of the --country only


# --- real browser -----------------------------------------------------------------------


def test_front_map_in_chromium(browser: Any, tmp_path: Path) -> None:
    lines, area = fronts()
    path = save_html(frontline_map(lines, area=area, regions=regions(), tiles=None),
                     tmp_path / "front.html")  # fmt: skip
    view = browser.open(path)
    view.wait_for_selector(".leaflet-overlay-pane path")
    # the area, the region outline and the two lines
    assert view.locator(".leaflet-overlay-pane path").count() == 4
    dashed = view.locator('.leaflet-overlay-pane path[stroke-dasharray="6 5"]')
    assert dashed.count() == 1
    assert "Contact line: Russian-controlled territory" in view.locator(".geo-title").inner_text()
    legend = view.locator(".geo-legend").inner_text()
    assert "1 Jul 2024" in legend and "1 Aug 2024" in legend
    assert "DeepStateMap.Live" in view.locator(".leaflet-control-attribution").inner_text()
    browser.screenshot("front-map")


@pytest.mark.realdata
def test_real_front_map_in_chromium(shared_path: Any, browser: Any, tmp_path: Path) -> None:
    from geo.frontline import country_outline
    from geo.io import read
    from geo.regions import load_regions

    daily = shared_path("control", "deepstate", "daily")
    before = read(daily / "deepstatemap_data_20241231.geojson.gz")[0]
    after = read(daily / "deepstatemap_data_20250601.geojson.gz")[0]
    oblasts = load_regions(shared_path(*OCHA.split("/")))
    outline = country_outline(oblasts)
    lines = [frontline(before, outline), frontline(after, outline)]
    fmap = frontline_map(lines, area=after, regions=oblasts, tiles=None)
    path = save_html(fmap, tmp_path / "real-front.html")
    assert path.stat().st_size < 3_000_000
    view = browser.open(path)
    view.wait_for_selector(".leaflet-overlay-pane path")
    title = view.locator(".geo-title").inner_text()
    assert title == (
        "Contact line: Russian-controlled territory, DeepStateMap.Live, 31 Dec 2024 → 1 Jun 2025"
    )
    legend = view.locator(".geo-legend").inner_text()
    assert f"1 Jun 2025 ({lines[1].length_km:,.0f} km)" in legend
    assert 1_100 < lines[1].length_km < 1_400  # 1,241 km at 1 km tolerance (geo.frontline)
    browser.screenshot("front-map-deepstate-real")
