"""Snapshot map and save_html: fragments of the rendered HTML (as geopandas tests folium)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import folium
import geopandas as gpd
import pytest
from conftest import make_snapshot
from shapely.geometry import Point, box

from geo.errors import BasemapError
from geo.publishers import credit_line
from geo.render import save_html, snapshot_map
from geo.render.snapshot import tile_layer

EVIL = "<img src=x onerror=alert(1)>"


def test_layers_legend_tooltip_and_notice(tmp_path: Path) -> None:
    fmap = snapshot_map(
        [make_snapshot(source="isw"), make_snapshot(source="isw", layer="contested")],
        title="Test map",
        notice="SYNTHETIC SAMPLE DATA",
        attribution="Made in a test",
    )
    previous = os.umask(0o022)
    try:
        out = save_html(fmap, tmp_path / "map.html")
    finally:
        os.umask(previous)
    html = out.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in html
    legend = html[html.index('class="geo-legend"') :]
    legend = legend[: legend.index("</div></div>")]
    assert "Russian-controlled territory" in legend and "Contested ground (grey zone)" in legend
    assert "russian_control" not in legend and "2,064 km²" in legend  # layers in words, areas
    assert "#c0392b" in html  # russian_control colour from the palette
    assert "Russian-controlled territory · 1 Jul 2024 · 2,064 km² · Institute for the" in html
    assert '<div class="geo-title">Test map</div>' in html
    assert "Made in a test" in html
    assert not list(tmp_path.glob(".*.tmp")), "atomic write left a temp file"
    assert out.stat().st_mode & 0o777 == 0o644, "mkstemp's 0600 must give way to the umask"


def test_untrusted_text_is_escaped(tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": [EVIL]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    fmap = snapshot_map(
        make_snapshot(source=EVIL, layer=EVIL, labels=[EVIL]),
        regions=regions,
        title=EVIL,
        notice=EVIL,
        attribution=EVIL,
    )
    html = save_html(fmap, tmp_path / "map.html").read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_no_tiles_option() -> None:
    html = snapshot_map(make_snapshot(source="isw"), tiles=None).get_root().render()
    assert "tile.openstreetmap" not in html and "cartocdn" not in html


def test_tile_layer_names_and_attribution() -> None:
    assert tile_layer(None) is None and tile_layer("none") is None and tile_layer("None") is None
    osm = tile_layer("OpenStreetMap")
    assert osm is not None and "tile.openstreetmap.org" in osm.tiles
    assert "openstreetmap.org/copyright" in osm.options["attribution"]
    esri = tile_layer("esri worldimagery")
    assert esri is not None and "Esri" in esri.options["attribution"]
    with pytest.raises(BasemapError, match=r"'OpenStreetMapp'.*OpenStreetMap\.\w+.*'none'"):
        tile_layer("OpenStreetMapp")
    with pytest.raises(BasemapError, match=r"CartoDB\.Positron needs an API key"):
        tile_layer("CartoDB.Positron")
    keyed = tile_layer("CartoDB.Positron", api_key="k123")
    assert (
        keyed is not None and "key=k123" in keyed.tiles and "CARTO" in keyed.options["attribution"]
    )


def test_snapshot_map_basemap_by_name() -> None:
    html = snapshot_map(make_snapshot(source="isw"), tiles="Esri.WorldImagery").get_root().render()
    assert "server.arcgisonline.com" in html and "Esri" in html
    with pytest.raises(BasemapError):
        snapshot_map(make_snapshot(source="isw"), tiles="no-such-tiles")


def test_region_outlines_are_labelled() -> None:
    regions = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    html = (
        snapshot_map(make_snapshot(source="isw"), regions=regions, tiles=None).get_root().render()
    )
    assert "geo-region-label" in html and "permanent:true" in html
    (found,) = re.findall(r"labels=(\[.*?\]);", html)
    # shown name, pole of inaccessibility, the places it may move to, key
    ((text, (lat, lon), others, key),) = json.loads(found)
    assert text == key == "Donetsk" and (lat, lon) == pytest.approx((48.0, 37.5), abs=0.01)
    assert len(others) == 4 and all(box(36, 47, 39, 49).contains(Point(x, y)) for y, x in others)


# --- data credit (geo.publishers) -----------------------------------------------------------


def test_credit_line_names_known_sources() -> None:
    line = credit_line(["deepstate", "isw", "deepstate", "user"])
    assert line == "Data: DeepStateMap.Live; Institute for the Study of War (ISW); user"
    assert credit_line(["isw"], "Made in a test") == (
        "Data: Institute for the Study of War (ISW) · Made in a test"
    )
    assert credit_line([]) is None and credit_line([], "only this") == "only this"
    assert credit_line(["two\nlines"]) == "Data: two\\x0alines", "one line, controls shown"


def test_snapshot_map_credits_its_sources() -> None:
    snaps = [make_snapshot(source="deepstate"), make_snapshot(source="isw", layer="contested")]
    html = snapshot_map(snaps, tiles=None, attribution="Made in a test").get_root().render()
    assert (
        'addAttribution("Data: DeepStateMap.Live; Institute for the Study of War (ISW) '
        '\\u00b7 Made in a test")' in html
    )


def test_hostile_source_is_escaped_in_the_credit() -> None:
    html = snapshot_map(make_snapshot(source=EVIL), tiles=None).get_root().render()
    assert 'addAttribution("Data: &lt;img src=x onerror=alert(1)&gt;")' in html
    assert EVIL not in html


# --- save_html: text without a path, a file with one ----------------------------------------


def test_save_html_returns_text_or_writes_a_file(tmp_path: Path) -> None:
    fmap = snapshot_map(make_snapshot(source="isw"), tiles=None)
    text = save_html(fmap)
    assert isinstance(text, str) and text.startswith("<!DOCTYPE html>")
    assert "Institute for the Study of War (ISW)" in text
    out = save_html(fmap, str(tmp_path / "new" / "map.html"))
    assert isinstance(out, Path) and out == tmp_path / "new" / "map.html"
    page = out.read_text(encoding="utf-8")
    assert page.count("leaflet.js") == text.count("leaflet.js") > 0
    assert save_html("<p>done</p>") == "<p>done</p>"
    assert isinstance(save_html(folium.Map(tiles=None), tmp_path / "plain.html"), Path)


def test_a_single_snapshot_or_a_list() -> None:
    one = save_html(snapshot_map(make_snapshot(source="isw"), tiles=None))
    listed = save_html(snapshot_map([make_snapshot(source="isw")], tiles=None))
    tooltip = "· Institute for the Study of War (ISW)"
    assert one.count(tooltip) == listed.count(tooltip) == 1
