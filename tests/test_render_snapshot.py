"""Snapshot map: fragments of the rendered HTML (as geopandas tests folium)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.errors import BasemapError
from geo.geometry import HygieneReport
from geo.render.credits import credit_line
from geo.render.snapshot import save_map, snapshot_map, tile_layer
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE
from geo.snapshot import Provenance, Snapshot, make_features

EVIL = "<img src=x onerror=alert(1)>"


def snap(layer: str, source: str = "isw", label: str = "") -> Snapshot:
    return Snapshot(
        source=source,
        layer=layer,
        date=dt.date(2024, 5, 1),
        features=make_features([box(37, 48, 37.5, 48.5)], [label], ['{"k": 1}']),
        provenance=Provenance(path="x.geojson"),
        hygiene=HygieneReport(n_input=1, n_output=1),
    )


def test_layers_legend_tooltip_and_notice(tmp_path: Path) -> None:
    fmap = snapshot_map(
        [snap("russian_control"), snap("contested")],
        title="Test map",
        notice="SYNTHETIC SAMPLE DATA",
        attribution="Made in a test",
    )
    previous = os.umask(0o022)
    try:
        out = save_map(fmap, tmp_path / "map.html")
    finally:
        os.umask(previous)
    html = out.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in html
    assert "geo-legend" in html and "russian_control" in html and "contested" in html
    assert "#c0392b" in html  # russian_control colour from the palette
    assert "km²" in html and "source: isw" in html
    assert "Made in a test" in html
    assert not list(tmp_path.glob(".*.tmp")), "atomic write left a temp file"
    assert out.stat().st_mode & 0o777 == 0o644, "mkstemp's 0600 must give way to the umask"


def test_untrusted_text_is_escaped(tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": [EVIL]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    fmap = snapshot_map(
        [snap(EVIL, source=EVIL, label=EVIL)],
        regions=regions,
        title=EVIL,
        notice=EVIL,
        attribution=EVIL,
    )
    html = save_map(fmap, tmp_path / "map.html").read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_no_tiles_option() -> None:
    html = snapshot_map([snap("russian_control")], tiles=None).get_root().render()
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
    html = snapshot_map([snap("russian_control")], tiles="Esri.WorldImagery").get_root().render()
    assert "server.arcgisonline.com" in html and "Esri" in html
    with pytest.raises(BasemapError):
        snapshot_map([snap("russian_control")], tiles="no-such-tiles")


def test_region_outlines_are_labelled() -> None:
    regions = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    html = snapshot_map([snap("russian_control")], regions=regions, tiles=None).get_root().render()
    assert "geo-region-label" in html and '"permanent": true' in html
    assert "Donetsk" in html


# --- data credit (geo.render.credits) -----------------------------------------------------


def test_credit_line_names_known_sources() -> None:
    line = credit_line(["deepstate", "isw", "deepstate", "user"])
    assert line == "Data: DeepStateMap.Live; Institute for the Study of War (ISW); user"
    assert credit_line([SAMPLE_SOURCE]) == f"Data: {SAMPLE_NOTICE}"
    assert credit_line(["isw"], "Made in a test") == (
        "Data: Institute for the Study of War (ISW) · Made in a test"
    )
    assert credit_line([]) is None and credit_line([], "only this") == "only this"
    assert credit_line(["two\nlines"]) == "Data: two\\x0alines", "one line, controls shown"


def test_snapshot_map_credits_its_sources() -> None:
    snaps = [snap("russian_control", source="deepstate"), snap("contested", source="isw")]
    html = snapshot_map(snaps, tiles=None, attribution="Made in a test").get_root().render()
    assert (
        'addAttribution("Data: DeepStateMap.Live; Institute for the Study of War (ISW) '
        '\\u00b7 Made in a test")' in html
    )


def test_hostile_source_is_escaped_in_the_credit() -> None:
    html = snapshot_map([snap("russian_control", source=EVIL)], tiles=None).get_root().render()
    assert 'addAttribution("Data: &lt;img src=x onerror=alert(1)&gt;")' in html
    assert EVIL not in html
