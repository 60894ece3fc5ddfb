"""Page furniture shared by the maps: header, legend, titles, region labels and their order."""

from __future__ import annotations

import datetime as dt
import json
import re

import folium
import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo.errors import ValidationError
from geo.regions import known_regions
from geo.render.labels import LANGUAGES, region_name
from geo.render.layout import LegendRow, add_legend, header_html, new_map, title_for
from geo.render.outlines import add_region_outlines, display_region, label_order, label_point

EVIL = "<img src=x onerror=alert(1)>"


def test_header_holds_title_subtitle_and_notice_escaped() -> None:
    html = header_html(EVIL, EVIL, "NOTICE")
    assert html.startswith('<div class="geo-header"><div class="geo-title">&lt;img')
    assert '<div class="geo-subtitle">&lt;img' in html and '<div class="geo-notice">NOTICE' in html
    assert EVIL not in html
    assert header_html("Only a title") == (
        '<div class="geo-header"><div class="geo-title">Only a title</div></div>'
    )
    assert header_html("") == ""


def test_legend_is_a_control_with_escaped_rows() -> None:
    fmap = new_map()
    add_legend(fmap, EVIL, [LegendRow("#d7191c", EVIL, EVIL, opacity=0.35)])
    page = fmap.get_root().render()
    assert EVIL not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") == 3
    assert "background:#d7191c;opacity:0.35" in page
    # a metric scale bar, added before the legend so that Leaflet stacks the legend above it
    assert page.index("L.control.scale({imperial:false") < page.index("legend.addTo(")
    assert "L.control.scale()" not in page  # folium's own (with miles) is off


def test_titles_in_words() -> None:
    day, later = dt.date(2025, 1, 1), dt.date(2025, 6, 1)
    assert title_for(["russian_control"], ["deepstate"], day, later) == (
        "Russian-controlled territory, DeepStateMap.Live, 1 Jan → 1 Jun 2025"
    )
    assert title_for(["russian_control"], ["deepstate"], day, day, "uk") == (
        "Територія під контролем Росії, DeepStateMap.Live, 1 січня 2025"
    )
    assert title_for(["russian_control", "contested"], ["isw", "deepstate"], later, lang="uk") == (
        "Територія під контролем Росії і Сіра зона, Institute for the Study of War (ISW) / "
        "DeepStateMap.Live, 1 червня 2025"
    )
    assert title_for(["a", "b", "c"], ["x"], later).startswith("Territorial control, x, ")
    with pytest.raises(ValidationError, match="lang='fr'"):
        title_for(["russian_control"], ["isw"], day, lang="fr")  # type: ignore[arg-type]


def test_every_known_region_has_a_name_in_every_language() -> None:
    for region in known_regions():
        for lang in LANGUAGES:
            name = region_name(region, lang)  # type: ignore[arg-type]
            assert name and (lang == "en" or name != region), (region, lang)
    assert display_region("UA-14", "uk") == "Донецька обл."
    assert display_region("Krasnodar Krai", "uk") == "Krasnodar Krai"  # a file's own name


def test_label_order_is_larger_region_first_then_name() -> None:
    names = ["b", "a", "small", "big"]
    geoms = [box(0, 0, 1, 1), box(5, 0, 6, 1), box(0, 5, 0.5, 5.5), box(10, 0, 13, 3)]
    assert label_order(names, geoms) == [3, 1, 0, 2]  # a and b are equal: by name


def test_label_point_is_inside_crescents_and_multipolygons() -> None:
    crescent = Polygon([(30, 45), (34, 45), (34, 49), (30, 49), (30, 48), (33, 48), (33, 46),
                        (30, 46)])  # fmt: skip
    lat, lon = label_point(crescent)
    assert crescent.contains(shapely.Point(lon, lat)) and not crescent.contains(crescent.centroid)
    islands = shapely.MultiPolygon([box(30, 45, 30.1, 45.1), box(35, 45, 37, 47)])
    lat, lon = label_point(islands)
    assert 35 < lon < 37 and 45 < lat < 47  # on the largest part


def test_outlines_one_layer_labels_in_order_and_escaped() -> None:
    regions = gpd.GeoDataFrame(
        {"region": [EVIL, "Donetsk", "Empty"]},
        geometry=[box(30, 45, 31, 46), box(36, 47, 39, 49), Polygon()],
        crs=4326,
    )
    fmap = folium.Map(tiles=None)
    group = add_region_outlines(fmap, regions)
    page = fmap.get_root().render()
    assert group.layer_name == "Regions" and EVIL not in page
    (labels,) = re.findall(r"labels=(\[.*?\]);", page)
    shown = [text for text, *_ in json.loads(labels)]
    assert shown == ["Donetsk", "&lt;img src=x onerror=alert(1)&gt;"]  # larger first, escaped
    assert "Empty" not in labels  # no geometry, no label
    assert page.count('"dashArray": "4 4"') == 1  # one layer of outlines
    assert ".geo-region-label" in page  # the label style travels with the outlines
