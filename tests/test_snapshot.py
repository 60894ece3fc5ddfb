"""Tests of geo.snapshot's notebook face: to_geodataframe, map, reprs, notices."""

from __future__ import annotations

import datetime as dt
import json

import folium
import geopandas as gpd
import pytest
import shapely
from conftest import make_snapshot

from geo.geometry import HygieneReport, geodesic_area_km2
from geo.publishers import SAMPLE_NOTICE
from geo.snapshot import Provenance, Snapshot
from geo.text import escape_text, one_line

D1 = dt.date(2024, 8, 15)
HOSTILE = "<img src=x onerror=alert(1)>"
BOXES = [shapely.box(30, 48, 31, 49), shapely.box(30.5, 48, 31.5, 49)]  # overlap 0.5 x 1 degree


def boxes_snapshot(
    *,
    source: str = "isw",
    layer: str = "russian_control",
    label: str = "Box",
    provenance: Provenance | None = None,
    hygiene: HygieneReport | None = None,
) -> Snapshot:
    return make_snapshot(
        BOXES,
        D1,
        source=source,
        layer=layer,
        labels=[label, "Other"],
        properties=[json.dumps({"n": 1}), "{}"],
        provenance=provenance or Provenance("/in/a.geojson", date_rule="file name"),
        hygiene=hygiene,
    )


def rendered(fmap: folium.Map) -> str:
    html: str = fmap.get_root().render()
    return html


# --- to_geodataframe ----------------------------------------------------------------------


def test_to_geodataframe_has_keys_and_per_feature_areas() -> None:
    snap = boxes_snapshot()
    frame = snap.to_geodataframe()
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs == "EPSG:4326"
    assert list(frame.columns) == [
        "source", "layer", "date", "label", "properties", "area_km2", "geometry",
    ]  # fmt: skip
    assert list(frame["label"]) == ["Box", "Other"] and set(frame["date"]) == {D1}
    one = float(geodesic_area_km2(BOXES[0]))
    assert frame["area_km2"].tolist() == pytest.approx([one, float(geodesic_area_km2(BOXES[1]))])
    # Per-feature areas count the overlap twice; the snapshot's area counts it once.
    assert frame["area_km2"].sum() > snap.area_km2 * 1.3
    assert frame.attrs == {"source": "isw", "layer": "russian_control", "date": D1}


def test_to_geodataframe_is_a_copy() -> None:
    snap = boxes_snapshot()
    frame = snap.to_geodataframe()
    frame.loc[0, "label"] = "changed"
    frame.geometry = frame.geometry.translate(10, 0)
    assert snap.features["label"].iloc[0] == "Box"
    assert snap.features.geometry.iloc[0].equals(BOXES[0])


def test_to_geodataframe_of_an_empty_snapshot() -> None:
    snap = make_snapshot(None, D1, source="isw", layer="contested", path="/in/e.geojson")
    frame = snap.to_geodataframe()
    assert len(frame) == 0 and "area_km2" in frame.columns and frame.crs == "EPSG:4326"


# --- reprs ----------------------------------------------------------------------------------


def test_repr_fits_one_line_with_hostile_names() -> None:
    snap = boxes_snapshot(source="evil\nsource", layer="a\u2028b\x00c")
    text = repr(snap)
    assert text.splitlines() == [text]
    assert "evil\\x0asource/a\\u2028b\\x00c" in text and "2 features" in text


def test_repr_html_lists_source_layer_date_area_hygiene() -> None:
    hygiene = HygieneReport(n_input=5, n_null=2, n_invalid_repaired=1, n_output=2)
    snap = boxes_snapshot(hygiene=hygiene)
    page = snap._repr_html_()
    for text in ("isw", "russian_control", "2024-08-15", f"{snap.area_km2:,.1f} km²",
                 "5 features in the file, 2 kept", "2 null geometries dropped",
                 "1 invalid polygons repaired", "/in/a.geojson", "file name"):  # fmt: skip
        assert text in page, text
    assert SAMPLE_NOTICE not in page and "not a canonical layer" not in page


def test_repr_html_escapes_every_string_from_data() -> None:
    prov = Provenance(
        path=f"/in/{HOSTILE}.geojson",
        member=f"{HOSTILE}.shp",
        original_layer=HOSTILE,
        date_rule=f"attribute {HOSTILE}",
        notes=(f"note {HOSTILE}", "a & b"),
    )
    snap = boxes_snapshot(source=HOSTILE, layer=f"{HOSTILE}\n", label=HOSTILE, provenance=prov)
    page = snap._repr_html_()
    assert "<img" not in page and "onerror=alert(1)&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 6  # source, layer, file x2, ...
    assert "a &amp; b" in page and "\n" not in page and "not a canonical layer" in page


def test_repr_html_of_sample_says_synthetic() -> None:
    assert SAMPLE_NOTICE in boxes_snapshot(source="sample")._repr_html_()


def test_escape_helpers() -> None:
    assert one_line("a\r\nb\x85c\u2029") == "a\\x0d\\x0ab\\x85c\\u2029"
    assert escape_text('<b a="1">&\t') == "&lt;b a=&quot;1&quot;&gt;&amp;\\x09"
    assert escape_text(dt.date(2024, 1, 2)) == "2024-01-02"


# --- maps -----------------------------------------------------------------------------------


def test_map_returns_folium_map_with_title() -> None:
    fmap = boxes_snapshot().map(tiles=None)
    assert isinstance(fmap, folium.Map)
    page = rendered(fmap)
    title = "Russian-controlled territory, Institute for the Study of War (ISW), 15 Aug 2024"
    assert title in page and SAMPLE_NOTICE not in page
    assert hasattr(fmap, "_repr_html_")  # displays inline in Jupyter


def test_map_passes_options_and_own_title() -> None:
    regions = gpd.GeoDataFrame({"region": ["West"]}, geometry=[BOXES[0]], crs="EPSG:4326")
    fmap = boxes_snapshot().map(tiles=None, title="My title", regions=regions, notice="Draft")
    page = rendered(fmap)
    assert "My title" in page and "Draft" in page and "West" in page
    assert "russian_control (isw), 2024-08-15" not in page


def test_map_of_sample_always_says_synthetic() -> None:
    snap = boxes_snapshot(source="sample")
    assert SAMPLE_NOTICE in rendered(snap.map(tiles=None))
    page = rendered(snap.map(tiles=None, notice="Draft"))
    assert f"{SAMPLE_NOTICE} - Draft" in page


def test_map_escapes_hostile_names_in_default_title() -> None:
    page = rendered(boxes_snapshot(source=HOSTILE, layer=HOSTILE).map(tiles=None))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
