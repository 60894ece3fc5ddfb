"""Diff map: fragments of the HTML, escaping, and the page in a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import make_snapshot
from shapely.geometry import box

from geo.diff import Diff, diff
from geo.errors import ValidationError
from geo.io import read, read_many
from geo.regions import load_regions
from geo.render import diff_map, save_html
from geo.render.assets import ASSETS
from geo.render.labels import change_colours
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.snapshot import Snapshot

EVIL = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(1)</script>"
DAILY = "control/deepstate/daily/deepstatemap_data_{}.geojson.gz"
OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"


def regions_frame(names: list[str]) -> gpd.GeoDataFrame:
    """West, East (named by ``names``) over the boxes, and a far region holding nothing."""
    geoms = [box(36.9, 47.9, 37.3, 48.6), box(37.3, 47.9, 37.7, 48.6), box(40, 40, 41, 41)]
    return gpd.GeoDataFrame({"region": names}, geometry=geoms, crs=4326)


def make_pair(**kw: Any) -> tuple[Snapshot, Snapshot]:
    """Gained a strip in the east, lost a strip in the west and a box outside the regions."""
    kw.setdefault("source", "isw")
    a = make_snapshot([box(37.0, 48.0, 37.5, 48.5), box(38.0, 48.0, 38.2, 48.2)], 1, **kw)
    b = make_snapshot(box(37.1, 48.0, 37.6, 48.5), 8, **kw)
    return a, b


def make_diff(names: tuple[str, str, str] = ("West", "East", "Far"), **kw: Any) -> Diff:
    """The diff of make_pair over the regions West, East (holding it) and Far."""
    return diff(*make_pair(**kw), regions=regions_frame(list(names)))


def page_html(fmap: Any) -> str:
    return str(fmap.get_root().render())


def panel_rows(text: str, css_class: str) -> dict[str, list[float]]:
    """Rows of the panel's tables: key (data-region, else first cell) -> exact km² (data-km2)."""
    out = {}
    for attrs, row in re.findall(rf'<tr class="{css_class}"([^>]*)>(.*?)</tr>', text):
        key = re.search(r'data-region="([^"]*)"', attrs)
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        out[key.group(1) if key else cells[0]] = [
            float(v) for v in re.findall(r'data-km2="([^"]+)"', row)
        ]
    return out


def shown_rows(text: str, css_class: str) -> dict[str, list[str]]:
    """The same rows as the reader sees them: first cell -> the other cells' text."""
    out = {}
    for row in re.findall(rf'<tr class="{css_class}"[^>]*>(.*?)</tr>', text):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        out[cells[0]] = cells[1:]
    return out


def rounded(value: float, signed: bool = False) -> str:
    """A figure to the unit as format_km2 writes it (real minus sign), without the unit."""
    text = f"{abs(round(value)):,}"
    sign = "−" if round(value) < 0 else "+" if signed and round(value) > 0 else ""
    return sign + text


def zoom_bounds(text: str) -> list[list[list[float]]]:
    found = re.search(r"var bounds=(\[.*?\]);function place", text)
    assert found is not None
    return list(json.loads(found.group(1)))


def map_name(text: str) -> str:
    names = re.findall(r"var (map_[0-9a-f]+) = L\.map\(", text)
    assert len(names) == 1
    return str(names[0])


def test_panel_numbers_come_from_the_diff() -> None:
    d = make_diff()
    text = page_html(diff_map(d, tiles=None))
    rows = panel_rows(text, "geo-region")
    by_name = {r.region: r for r in d.regions}
    assert set(by_name) == {"West", "East"}  # "Far" neither holds nor borders the ground
    assert set(rows) == {"West", "East"}
    shown = shown_rows(text, "geo-region")
    for name, (gained, lost, net) in rows.items():
        r = by_name[name]
        assert (gained, lost, net) == pytest.approx((r.gained_km2, r.lost_km2, r.net_km2), abs=1e-6)
        assert shown[name] == [rounded(r.gained_km2), rounded(r.lost_km2), rounded(r.net_km2, True)]
    assert rows["East"][0] > 300 and rows["West"][1] > 300  # ~370 km² strips
    assert list(rows) == sorted(rows, key=lambda n: -(rows[n][0] + rows[n][1]))  # largest first
    outside = panel_rows(text, "geo-outside")["<i>outside the regions</i>"]
    assert outside[1] == pytest.approx(d.to_dict()["outside_regions"]["lost_km2"], abs=1e-6)
    total = panel_rows(text, "geo-total")["Total"]
    assert total == pytest.approx([d.gained_km2, d.lost_km2, d.net_km2], abs=1e-6)
    assert shown_rows(text, "geo-total")["Total"][2] == rounded(d.net_km2, True)
    assert "Albers equal-area" in text and "Slivers:" in text  # the area method
    assert "Held: 2,396 km² → 2,064 km²" in text and "(7 days)" in text
    every = page_html(diff_map(diff(*make_pair(), regions=regions_frame(["West", "East", "Far"]),
                                    region_names=["West", "East", "Far"]), tiles=None))  # fmt: skip
    assert "Nothing held at either date: Far" in every


def test_colours_legend_and_tooltips() -> None:
    text = page_html(diff_map(make_diff(), tiles=None))
    colours = change_colours("russian_control")
    assert (
        colours["gained"] == "#d7191c" and colours["lost"] == "#2c7bb6"
    )  # Russia red, Ukraine blue
    for kind, colour in colours.items():
        assert f'"fillColor": "{colour}"' in text, kind  # the layer's style
        assert f"background:{colour}" in text, kind  # its legend swatch
    assert 'class="geo-legend"' in text and "Russian gains (held on 9 Jul 2024 only)" in text
    assert "Ukrainian gains (held on 2 Jul 2024 only)" in text
    assert 'let fields = ["change", "area", "region"];' in text  # the tooltip
    assert 'let aliases = ["Change", "Area", "Region"];' in text
    assert '"region": "East"' in text and '"change": "Russian gains"' in text
    assert "tile.openstreetmap" not in text
    # a Ukrainian-held layer that grows: Ukrainian gains, blue, whatever "gained" means
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1, layer="ukrainian_control_russia")
    b = make_snapshot(box(37.0, 48.0, 37.6, 48.5), 8, layer="ukrainian_control_russia")
    grown = page_html(diff_map(diff(a, b), tiles=None))
    assert '"change": "Ukrainian gains"' in grown and '"fillColor": "#2c7bb6"' in grown
    assert '"fillColor": "#d7191c"' not in grown


def test_title_subtitle_and_language() -> None:
    d = make_diff()
    text = page_html(diff_map(d, tiles=None))
    assert (
        '<div class="geo-title">Russian-controlled territory, Institute for the Study of War '
        "(ISW), 2 Jul → 9 Jul 2024</div>" in text
    )
    assert (f'<div class="geo-subtitle">Russian gains {rounded(d.gained_km2)} km² · '
            f"Ukrainian gains {rounded(d.lost_km2)} km² · Net {rounded(d.net_km2, True)} km²"
            "</div>") in text  # fmt: skip
    assert "russian_control" not in re.sub(r"<script.*?</script>", "", text, flags=re.DOTALL)
    mine = page_html(diff_map(d, tiles=None, title="My title", subtitle="My line"))
    assert '<div class="geo-title">My title</div><div class="geo-subtitle">My line</div>' in mine
    uk = page_html(diff_map(d, tiles=None, lang="uk"))
    assert "Територія під контролем Росії" in uk and "2 липня → 9 липня 2024" in uk
    assert "Просування Росії" in uk and "(7 днів)" in uk and ">Усього<" in uk
    with pytest.raises(ValidationError, match="lang='de'"):
        diff_map(d, tiles=None, lang="de")  # type: ignore[arg-type]


def test_largest_changes_rows_zoom_to_their_patch() -> None:
    d = make_diff()
    text = page_html(diff_map(d, tiles=None, top_n=2))
    rows = re.findall(r'<tr class="geo-change" data-geo-change="(\d)"', text)
    assert rows == ["0", "1"]  # three patches, two asked for
    table = d.largest_changes(2)
    bounds = zoom_bounds(text)
    patches = d.to_geodataframe()
    for i, (area, change) in enumerate(zip(table["area_km2"], table["change"], strict=True)):
        match = patches[np.isclose(patches["area_km2"], area) & (patches["change"] == change)]
        xmin, ymin, xmax, ymax = shapely.bounds(match.geometry.iloc[0])
        assert np.ravel(bounds[i]) == pytest.approx([ymin, xmin, ymax, xmax])
    assert ">Ukrainian gains<" in text and 'title="zoom to this patch"' in text
    assert all(url in ASSETS for url in re.findall(r'<script src="([^"]+)"', text))  # offline-able
    third = page_html(diff_map(d, tiles=None, top_n=3))
    assert ">nan<" not in third and '"region": "nan"' not in third  # ground in no region
    assert re.search(r'data-geo-change="2".*?<td>—</td></tr>', third)


def test_top_n_zero_and_no_change() -> None:
    text = page_html(diff_map(make_diff(), tiles=None, top_n=0))
    assert "geo-change" not in text.split("</table>", 2)[-1] and "Largest changes" not in text
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 1)
    same = page_html(diff_map(diff(a, make_snapshot(box(37.0, 48.0, 37.5, 48.5), 2)), tiles=None))
    assert "No change above the sliver filter." in same
    colours = change_colours("russian_control")
    assert f'"fillColor": "{colours["gained"]}"' not in same  # no empty layers
    assert f'"fillColor": "{colours["unchanged"]}"' in same


def test_hostile_text_is_escaped() -> None:
    d = make_diff(names=(EVIL, EVIL_SCRIPT, "Far"), source=EVIL, layer=EVIL)
    outlines = regions_frame([EVIL, EVIL_SCRIPT, EVIL])
    fmap = diff_map(d, regions=outlines, title=EVIL, notice=EVIL, attribution=EVIL_SCRIPT)
    text = page_html(fmap)
    assert EVIL not in text and EVIL_SCRIPT not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown as text
    assert "<script>alert" not in text
    # the credit (source, then the caller's attribution) is escaped HTML inside the script
    assert (
        'addAttribution("Data: &lt;img src=x onerror=alert(1)&gt; \\u00b7 '
        '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")' in text
    )


def test_diff_map_credits_both_sources() -> None:
    text = page_html(diff_map(make_diff(source="deepstate"), tiles=None))
    assert 'addAttribution("Data: DeepStateMap.Live")' in text
    a = make_snapshot(box(37.0, 48.0, 37.5, 48.5), 8, source="isw")
    b = make_snapshot(box(37.1, 48.0, 37.6, 48.5), 8, source="deepstate")
    text = page_html(diff_map(diff(a, b), tiles=None))
    assert 'addAttribution("Data: Institute for the Study of War (ISW); DeepStateMap.Live")' in text


def test_region_outlines_optional() -> None:
    d = make_diff()
    with_outlines = page_html(
        diff_map(d, regions=regions_frame(["West", "East", "Far"]), tiles=None)
    )
    without = page_html(diff_map(d, tiles=None))
    assert with_outlines.count('"dashArray": "4 4"') == 1 and '"dashArray"' not in without
    (labels,) = re.findall(r"labels=(\[.*?\]);", with_outlines)
    assert [key for *_, key in json.loads(labels)] == ["East", "West"]  # "Far" is far away
    named = page_html(diff_map(d, regions=regions_frame(["West", "East", "Far"]), tiles=None,
                               region_names=["Far"]))  # fmt: skip
    (labels,) = re.findall(r"labels=(\[.*?\]);", named)
    assert [key for *_, key in json.loads(labels)] == ["Far"]


def test_sample_kursk_salient_shrinks() -> None:
    result = read_many(
        sample_control_files(), layer="ukrainian_control_russia", source=SAMPLE_SOURCE
    )
    result.raise_for_problems()
    snaps = sorted(result.snapshots, key=lambda s: s.date)
    regions = load_regions(sample_regions_file())
    d = diff(snaps[2], snaps[-1], regions=regions)
    text = page_html(diff_map(d, regions=regions, notice=SAMPLE_NOTICE))
    assert SAMPLE_NOTICE in text and 'class="geo-notice"' in text
    kursk = panel_rows(text, "geo-region")["Kursk"]
    assert kursk[1] > 100 and kursk[2] < -100  # lost ground, net negative
    assert (
        "Ukrainian-held ground in Russia, geo synthetic sample, 15 Nov 2024 → 15 Mar 2025" in text
    )
    # the salient shrank: Russia's gain, in red
    assert (f'background:#d7191c;opacity:0.7"></span>Russian gains (held on 15 Nov 2024 only) '
            f'<span class="geo-legend-value">{rounded(d.lost_km2)} km²</span>') in text  # fmt: skip


def places_frame(names: tuple[str, str] = ("Frontville", "Backton")) -> pd.DataFrame:
    """Two places that changed hands, as geo.places.places_changed gives them."""
    return pd.DataFrame([
        {"change": "gained", "name": names[0], "name_uk": "Фронтове", "oblast": "Donetsk",
         "lon": 37.55, "lat": 48.25, "population": 12000, "geonames_id": 1,
         "first_seen": "2024-07-09"},
        {"change": "lost", "name": names[1], "name_uk": None, "oblast": None,
         "lon": 37.05, "lat": 48.25, "population": None, "geonames_id": 2,
         "first_seen": "2024-07-09"},
    ])  # fmt: skip


def test_places_are_marked_and_listed_in_the_panel() -> None:
    text = page_html(diff_map(make_diff(), tiles=None, places=places_frame()))
    panel = text[text.index('class="geo-diff-panel"') :]
    panel = panel[: panel.index('class="geo-method"')]
    assert 'class="geo-places-panel' in panel and "Frontville (Фронтове)" in panel
    assert "Places that changed hands</b> (2)" in panel and "GeoNames" in panel
    assert text.count("L.circleMarker(") == 2
    # the places' layer exists before the layer control names it (issue 13)
    group = re.search(r"var (feature_group_[0-9a-f]+) = L\.featureGroup", text)
    assert group is not None
    control = text.index("L.control.layers(")
    assert text.index(f"var {group.group(1)} =") < control
    assert f'"Places that changed hands (2)" : {group.group(1)}' in text
    hostile = page_html(diff_map(make_diff(), tiles=None, places=places_frame((EVIL, EVIL))))
    assert EVIL not in hostile and "&lt;img src=x onerror=alert(1)&gt;" in hostile
    without = page_html(diff_map(make_diff(), tiles=None))
    assert "geo-places-panel" not in without and "L.circleMarker(" not in without


# --- real browser -----------------------------------------------------------------------


def test_places_layer_toggles_in_chromium(browser: Any, tmp_path: Path) -> None:
    """Issue 13: a diff map with places threw "reading 'setZIndex'" and drew no control."""
    fmap = diff_map(make_diff(), tiles=None, places=places_frame())
    path = save_html(fmap, tmp_path / "places.html")
    page = browser.open(path)
    page.wait_for_selector(".leaflet-control-layers")
    markers = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    n_all = markers.count()
    assert n_all >= 6  # unchanged, gained, 2 lost patches, 2 places
    assert "Frontville" in page.locator(".geo-places-panel").inner_text()
    toggle = page.locator(".leaflet-control-layers label", has_text="Places that changed hands")
    assert toggle.count() == 1
    browser.screenshot("diff-map-places")
    toggle.locator("input").uncheck()
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length"
        f" === {n_all - 2}"
    )


def test_diff_map_in_chromium_zooms_to_a_clicked_change(browser: Any, tmp_path: Path) -> None:
    d = make_diff()
    path = save_html(diff_map(d, tiles=None, notice="TEST DATA"), tmp_path / "diff.html")
    name = map_name(path.read_text(encoding="utf-8"))
    page = browser.open(path)
    page.wait_for_selector(".leaflet-overlay-pane path")
    assert page.locator(".leaflet-overlay-pane path").count() >= 4  # unchanged + 3 patches
    assert page.locator(".geo-diff-panel tr.geo-change").count() == 3
    before = page.evaluate(f"{name}.getBounds().toBBoxString()")
    zoom_before = page.evaluate(f"{name}.getZoom()")
    small = d.largest_changes(3)
    target = small.iloc[2]  # the 0.2° box outside the regions
    page.click('.geo-diff-panel tr[data-geo-change="2"]')
    # zoomed in on the 0.2° patch, not the whole 1.2° extent, once the animation ends
    page.wait_for_function(
        f"{name}.getZoom() > {zoom_before} && !{name}._animatingZoom && "
        f"{name}.getBounds().getEast() - {name}.getBounds().getWest() < 1.0"
    )
    west, south, east, north = json.loads(
        "[" + page.evaluate(f"{name}.getBounds().toBBoxString()") + "]"
    )
    assert page.evaluate(f"{name}.getBounds().toBBoxString()") != before
    assert west <= target["lon"] <= east and south <= target["lat"] <= north
    browser.screenshot("diff-map-zoomed")
    page.focus('.geo-diff-panel tr[data-geo-change="0"]')  # keyboard works too
    page.keyboard.press("Enter")
    first = small.iloc[0]
    page.wait_for_function(f"{name}.getBounds().contains([{first['lat']}, {first['lon']}])")


@pytest.fixture(scope="module")
def real_page(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Diff, Path]:
    """DeepState 2025-01-01 vs 2025-06-01 against OCHA oblasts, and its map (about 2 s).

    2025-01-01 is missing upstream (shared/data/README.md), so 2024-12-31 stands in.
    """
    assert not (shared_data / DAILY.format("20250101")).exists()  # a documented gap
    a = read(shared_data / DAILY.format("20241231"))[0]
    b = read(shared_data / DAILY.format("20250601"))[0]
    regions = load_regions(shared_data / OCHA)
    d = diff(a, b, regions=regions)
    out = tmp_path_factory.mktemp("real") / "real.html"
    return d, save_html(diff_map(d, regions=regions, tiles=None), out)


@pytest.mark.realdata
def test_real_deepstate_panel_equals_to_dict(real_page: tuple[Diff, Path]) -> None:
    d, path = real_page
    data = d.to_dict()
    text = path.read_text(encoding="utf-8")
    rows = panel_rows(text, "geo-region")
    changed = [r for r in data["regions"] if r["gained_km2"] > 0 or r["lost_km2"] > 0]
    assert {r["region"] for r in changed} == set(rows)
    assert list(rows)[:2] == ["Donetsk", "Sumy"]  # the largest gross change first
    assert {"Donetsk", "Luhansk", "Zaporizhzhia", "Kharkiv"} <= set(rows)
    for r in changed:  # to_dict rounds to 1 m²
        expected = (r["gained_km2"], r["lost_km2"], r["net_km2"])
        assert rows[r["region"]] == pytest.approx(expected, abs=1e-6), r["region"]
    steady = re.search(r'class="geo-no-change">No change: (.*?)</div>', text)
    assert steady is not None and {"Crimea", "Kherson"} <= set(steady.group(1).split(", "))
    total = panel_rows(text, "geo-total")["Total"]
    assert total == pytest.approx([data["gained_km2"], data["lost_km2"], data["net_km2"]], abs=1e-6)
    outside = panel_rows(text, "geo-outside")["<i>outside the regions</i>"]
    expected_outside = data["outside_regions"]
    assert outside[:2] == pytest.approx(
        [expected_outside["gained_km2"], expected_outside["lost_km2"]], abs=1e-6
    )
    assert data["net_km2"] == pytest.approx(113_157 - 111_872, abs=5)  # README's totals
    assert "Held: 111,873 km² → 113,157 km²" in text
    assert "Russian gains 1,294 km² · Ukrainian gains 9 km² · Net +1,285 km²" in text
    assert len(text) < 5_000_000


@pytest.mark.realdata
def test_real_deepstate_map_in_chromium(real_page: tuple[Diff, Path], browser: Any) -> None:
    d, path = real_page
    name = map_name(path.read_text(encoding="utf-8"))
    page = browser.open(path)
    page.wait_for_selector(".leaflet-overlay-pane path")
    top = d.largest_changes(1).iloc[0]
    page.click('.geo-diff-panel tr[data-geo-change="0"]')
    page.wait_for_function(
        f"!{name}._animatingZoom && {name}.getBounds().contains([{top['lat']}, {top['lon']}]) "
        f"&& {name}.getBounds().getEast() - {name}.getBounds().getWest() < 3"
    )
    browser.screenshot("diff-map-deepstate-real")
