"""Compare map: side by side (synchronized) and swipe; fragments and a real browser."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pytest
from branca.element import Figure
from conftest import make_snapshot
from shapely.geometry import box

from geo.errors import GeoError, ValidationError
from geo.io import read_many
from geo.regions import load_regions
from geo.render import compare_map, save_html
from geo.render.assets import ASSETS, missing_assets
from geo.render.compare import SWIPE_PANES, side_label
from geo.render.labels import layer_name
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.snapshot import Snapshot

EVIL = "<img src=x onerror=alert(1)>"
SYNC_URL = "https://cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js"


def render(obj: Any) -> str:
    return str(obj.get_root().render())


def map_names(text: str) -> list[str]:
    return re.findall(r"var (map_[0-9a-f]+) = L\.map\(", text)


def script_urls(text: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', text)


def sample_by_date() -> dict[dt.date, list[Snapshot]]:
    result = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    result.raise_for_problems()
    out: dict[dt.date, list[Snapshot]] = {}
    for s in result.snapshots:
        out.setdefault(s.date, []).append(s)
    return out


def test_side_by_side_two_synchronized_maps() -> None:
    page = compare_map(
        [make_snapshot(date=1, source="isw")],
        [make_snapshot(box(37.0, 48.0, 37.8, 48.5), 8, source="isw")],
        tiles=None,
    )
    text = render(page)
    names = map_names(text)
    assert len(names) == 2
    assert f"{names[0]}.sync({names[1]});" in text and f"{names[1]}.sync({names[0]});" in text
    assert SYNC_URL in script_urls(text) and ASSETS[SYNC_URL].package == "leaflet.sync"
    assert all(url in ASSETS for url in script_urls(text))  # nothing offline mode cannot inline
    labels = re.findall(r'class="geo-side-label" data-side="(\w+)"[^>]*>(.*?)</div>', text)
    assert labels == [("left", "◀ 2 Jul 2024"), ("right", "9 Jul 2024 ▶")]  # the dates differ
    assert (
        '<div class="geo-title">Russian-controlled territory, Institute for the Study of War '
        "(ISW), 2 Jul → 9 Jul 2024</div>" in text
    )
    assert text.count('"fillColor": "#c0392b"') == 2  # one layer on each map


def test_swipe_one_map_two_panes() -> None:
    fmap = compare_map(
        [make_snapshot(date=1, source="isw")],
        [make_snapshot(box(37.0, 48.0, 37.8, 48.5), 8, source="isw")],
        mode="swipe",
        tiles=None,
    )
    text = render(fmap)
    assert len(map_names(text)) == 1 and ".sync(" not in text
    for pane in SWIPE_PANES:
        assert f'.createPane(\n                "{pane}")' in text or f'"{pane}")' in text
        assert f'"pane": "{pane}"' in text
    assert "leaflet-side-by-side" not in text  # our own clip script, no missing plugin
    assert "geo-swipe-range" in text and "style.clip" in text
    assert all(url in ASSETS for url in script_urls(text))


def test_two_sources_one_date_and_custom_labels() -> None:
    left, right = (
        [make_snapshot(date=1, source="isw")],
        [make_snapshot(box(37.0, 48.0, 37.6, 48.5), 1, source="deepstate")],
    )
    assert side_label(right) == "DeepStateMap.Live, 2 Jul 2024"
    assert side_label(right, other=left) == "DeepStateMap.Live"  # the date is the same
    assert side_label(right, other=left, lang="uk") == "DeepStateMap.Live"
    assert side_label([make_snapshot(date=8)], other=left) == "test, 9 Jul 2024"  # both differ
    text = render(compare_map(left, right, mode="swipe", left_label="ISW", right_label="DS"))
    assert "◀ ISW" in text and "DS ▶" in text
    assert "Institute for the Study of War (ISW) / DeepStateMap.Live, 2 Jul 2024" in text


def test_hostile_text_is_escaped() -> None:
    regions = gpd.GeoDataFrame({"region": [EVIL]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    for mode in ("side-by-side", "swipe"):
        made = compare_map(
            [make_snapshot(date=1, source=EVIL, layer=EVIL)],
            [make_snapshot(date=8, source=EVIL, layer=EVIL)],
            mode=mode,
            regions=regions,
            title=EVIL,
            notice=EVIL,
            attribution=EVIL,
            right_label=EVIL,
        )
        text = render(made)
        assert EVIL not in text, mode
        assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_every_map_credits_both_sides() -> None:
    left, right = [make_snapshot(date=1, source="isw")], [make_snapshot(date=1, source="deepstate")]
    expected = 'addAttribution("Data: Institute for the Study of War (ISW); DeepStateMap.Live")'
    for mode, n_maps in (("side-by-side", 2), ("swipe", 1)):
        text = render(compare_map(left, right, mode=mode, tiles=None))
        names = map_names(text)
        assert len(names) == n_maps and text.count(expected) == n_maps, mode
        for name in names:
            assert f"{name}.attributionControl.{expected}" in text, (mode, name)
    hostile = render(
        compare_map(
            [make_snapshot(date=1, source=EVIL)], [make_snapshot(date=2, source="isw")], tiles=None
        )
    )
    assert 'addAttribution("Data: &lt;img src=x onerror=alert(1)&gt;; Institute' in hostile


def test_result_type_follows_the_mode() -> None:
    left, right = make_snapshot(source="isw"), make_snapshot(box(37, 48, 37.8, 48.5), 7)
    side_by_side = compare_map(left, right, tiles=None)
    assert isinstance(side_by_side, Figure) and not isinstance(side_by_side, folium.Map)
    assert isinstance(compare_map(left, right, mode="side-by-side", tiles=None), Figure)
    assert isinstance(compare_map(left, right, mode="swipe", tiles=None), folium.Map)
    one, listed = (
        render(compare_map(x, [right], mode="swipe", tiles=None)) for x in (left, [left])
    )
    tooltip = "Russian-controlled territory · 1 Jul 2024 · 2,064 km² · Institute for the"
    assert one.count(tooltip) == listed.count(tooltip) == 1


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="mode is 'flip'"):
        compare_map(
            [make_snapshot(date=1, source="isw")],
            [make_snapshot(date=2, source="isw")],
            mode="flip",
        )
    with pytest.raises(ValidationError, match="no right snapshots"):
        compare_map([make_snapshot(date=1, source="isw")], [])
    with pytest.raises(GeoError, match="unknown basemap"):
        compare_map(
            [make_snapshot(date=1, source="isw")],
            [make_snapshot(date=2, source="isw")],
            tiles="NoSuchTiles",
        )


def test_sample_dates_with_regions_and_notice(tmp_path: Path) -> None:
    by_date = sample_by_date()
    first, last = min(by_date), max(by_date)
    regions = load_regions(sample_regions_file())
    page = compare_map(by_date[first], by_date[last], regions=regions, notice=SAMPLE_NOTICE)
    out = save_html(page, tmp_path / "compare.html")
    text = out.read_text(encoding="utf-8")
    assert SAMPLE_NOTICE in text and "◀ 15 Aug 2024" in text and "15 Mar 2025 ▶" in text
    assert text.count('"dashArray": "4 4"') == 2  # one outline layer on each map
    legend = text[text.index('class="geo-legend"') :]
    legend = legend[: legend.index("</div></div>")]
    for layer in {s.layer for s in [*by_date[first], *by_date[last]]}:  # all layers, in words
        assert layer_name(layer) in legend and layer not in legend


# --- real browser -----------------------------------------------------------------------


def test_side_by_side_moves_together_in_chromium(browser: Any, tmp_path: Path) -> None:
    by_date = sample_by_date()
    page_obj = compare_map(by_date[min(by_date)], by_date[max(by_date)], notice=SAMPLE_NOTICE)
    path = save_html(page_obj, tmp_path / "dual.html")
    left, right = map_names(path.read_text(encoding="utf-8"))
    page = browser.open(path)
    page.wait_for_selector(".leaflet-overlay-pane path")
    assert page.locator(".leaflet-container").count() == 2
    assert page.locator(".geo-side-label").all_inner_texts() == ["◀ 15 Aug 2024", "15 Mar 2025 ▶"]
    before = page.evaluate(f"[{right}.getCenter().lng, {right}.getZoom()]")
    box_left = page.locator(".leaflet-container").first.bounding_box()
    x, y = box_left["x"] + box_left["width"] / 2, box_left["y"] + box_left["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y, steps=8)  # drag the left map
    page.mouse.up()
    same = (  # once the drag's inertia has settled
        f"Math.abs({left}.getCenter().lng - {right}.getCenter().lng) < 1e-6 && "
        f"Math.abs({left}.getCenter().lat - {right}.getCenter().lat) < 1e-6"
    )
    page.wait_for_function(same, timeout=5000)
    after_right = page.evaluate(f"[{right}.getCenter().lng, {right}.getCenter().lat]")
    assert after_right[0] > before[0] + 0.1  # dragged west means the view moved east
    page.evaluate(f"{right}.setZoom({right}.getZoom() + 1, {{animate: false}})")
    page.wait_for_function(f"{left}.getZoom() === {right}.getZoom()")
    browser.screenshot("compare-side-by-side")


def test_swipe_divider_clips_the_panes_in_chromium(browser: Any, tmp_path: Path) -> None:
    by_date = sample_by_date()
    fmap = compare_map(
        by_date[min(by_date)], by_date[max(by_date)], mode="swipe", tiles=None, notice="TEST"
    )
    path = save_html(fmap, tmp_path / "swipe.html")
    page = browser.open(path)
    for pane in SWIPE_PANES:
        page.wait_for_selector(f".leaflet-{pane}-pane path")
    clip = "document.querySelector('.leaflet-geo-left-pane').style.clip"
    right_clip = "document.querySelector('.leaflet-geo-right-pane').style.clip"
    first = page.evaluate(clip)
    assert first.startswith("rect(") and page.evaluate(right_clip).startswith("rect(")
    # drag the handle (the slider's thumb sits in the middle of the map) to the left
    size = page.evaluate("[window.innerWidth, window.innerHeight]")
    page.mouse.move(size[0] / 2, size[1] / 2)
    page.mouse.down()
    page.mouse.move(size[0] / 4, size[1] / 2, steps=8)
    page.mouse.up()
    value = float(page.evaluate("document.querySelector('.geo-swipe-range').value"))
    assert 0.15 < value < 0.35

    def right_edge(text: str) -> float:
        return float(re.findall(r"-?[\d.]+", text)[1])

    assert right_edge(page.evaluate(clip)) < right_edge(first) - 200  # left side narrower
    line = page.evaluate("document.querySelector('.geo-swipe-line').style.left")
    assert float(line.rstrip("px")) < size[0] / 2 - 200
    browser.screenshot("compare-swipe")


def test_offline_side_by_side_inlines_leaflet_sync(browser: Any, tmp_path: Path) -> None:
    if missing_assets([SYNC_URL]):
        pytest.skip("Leaflet.Sync is not cached: run `geo assets fetch`")
    page_obj = compare_map(
        [make_snapshot(date=1, source="isw")],
        [make_snapshot(box(37.0, 48.0, 37.8, 48.5), 8, source="isw")],
        tiles=None,
    )
    path = save_html(page_obj, tmp_path / "offline.html", offline=True)
    text = path.read_text(encoding="utf-8")
    assert SYNC_URL not in text and "<script src=" not in text
    left, right = map_names(text)
    page = browser.open(path, offline=True)
    page.wait_for_selector(".leaflet-overlay-pane path")
    page.evaluate(f"{left}.setView([48.3, 37.2], 10, {{animate: false}})")
    page.wait_for_function(f"{right}.getZoom() === 10")
