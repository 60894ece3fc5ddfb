"""Timeline map: the multi-date encoding, HTML fragments, and the page in Chromium."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import BASE_DATE, make_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo.errors import BasemapError, GeoError, ValidationError
from geo.geometry import geodesic_area_km2
from geo.render import build_timeline, save_html, timeline_map
from geo.render.encode import (
    DEFAULT_CHUNK_VERTICES,
    DEFAULT_TOLERANCE_DEG,
    SeriesEncoder,
    _decode_token_arrays,
    chunk_ring,
    decode_series,
    decode_tokens,
    decoded_areas_km2,
    encode_series,
    prepare_dates,
    prepare_geometry,
)
from geo.render.labels import format_date
from geo.render.wire import ALPHABET, _apply_ops, _date_ops, decode_ints, encode_ints
from geo.snapshot import Snapshot

EVIL = "<img src=x onerror=alert(1)>"
D0 = BASE_DATE  # make_snapshot(..., day) is D0 + day


def blob(n: int = 400, *, bump: float = 0.0, at: int = 100, cx: float = 37.0) -> Polygon:
    """A wiggly ring of ``n`` vertices; ``bump`` pushes a few vertices near ``at`` out."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 0.5 + 0.02 * np.sin(7 * t) + 0.01 * np.cos(23 * t)
    r[at : at + 3] += bump
    return Polygon(np.column_stack([cx + r * np.cos(t) * 1.5, 48 + r * np.sin(t)]))


def expected(geometry: BaseGeometry, *, precision: int = 5, tolerance_deg: float = 0.0005) -> Any:
    """What decoding should give: the prepared rings as shapely polygons."""
    polys = [
        Polygon(rings[0] / 10.0**precision, [r / 10.0**precision for r in rings[1:]])
        for rings in prepare_geometry(geometry, precision=precision, tolerance_deg=tolerance_deg)
    ]
    return MultiPolygon(polys) if len(polys) != 1 else polys[0]


def same(a: BaseGeometry, b: BaseGeometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9))


def page_data(text: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', text)
    assert match, "the timeline data block is in the page"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# --- encoding -----------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=-(2**45), max_value=2**45), max_size=200))
@settings(max_examples=200, deadline=None)
def test_varint_round_trip_uses_only_safe_characters(values: list[int]) -> None:
    text = encode_ints(values)
    assert set(text) <= set(ALPHABET)
    assert decode_ints(text).tolist() == values
    # short lists are written in plain Python, long ones with NumPy: the same characters
    assert "".join(encode_ints(values[k : k + 7]) for k in range(0, len(values), 7)) == text
    if values:
        assert encode_ints(values * 40) == text * 40


tokens = st.lists(st.integers(min_value=0, max_value=40), max_size=60)


@given(tokens, tokens)
@settings(max_examples=300, deadline=None)
def test_date_edits_rebuild_the_next_token_list(previous: list[int], current: list[int]) -> None:
    ops = _date_ops(previous, current)
    assert _apply_ops(previous, decode_ints(encode_ints(ops))).tolist() == current
    if previous == current and current:
        assert ops == [len(current), 0, 0], "an unchanged date is one 'keep'"


boxes = st.lists(
    st.tuples(st.floats(30, 40), st.floats(45, 50), st.floats(0.001, 2), st.floats(0.001, 2)),
    min_size=0,
    max_size=4,
)


@given(st.lists(boxes, min_size=1, max_size=5), st.sampled_from([0.0, 0.0005, 0.01]))
@settings(max_examples=40, deadline=None)
def test_random_box_unions_round_trip(days: list[Any], tolerance: float) -> None:
    series = [shapely.union_all([box(x, y, x + w, y + h) for x, y, w, h in day]) for day in days]
    encoded = encode_series(series, tolerance_deg=tolerance)
    for original, got in zip(series, decode_series(encoded.data), strict=True):
        want = expected(original, tolerance_deg=tolerance)
        assert got.is_empty if want.is_empty else same(got, want)


@given(st.lists(boxes, min_size=1, max_size=5), st.sampled_from([0.0, 0.0005]))
@settings(max_examples=40, deadline=None)
def test_decoded_areas_are_the_geodesic_areas_of_the_decoded_dates(
    days: list[Any], tolerance: float
) -> None:
    """The area check sums per chunk and join: the same as measuring each decoded date."""
    holed = [shapely.union_all([box(x, y, x + w, y + h) for x, y, w, h in day]) for day in days]
    series = [g.difference(g.centroid.buffer(0.05)) if k % 2 else g for k, g in enumerate(holed)]
    encoded = encode_series(series, tolerance_deg=tolerance)
    decoded = decode_series(encoded.data)
    want = geodesic_area_km2(decoded)
    # edges of up to 2°: those over 0.05° measured on the ellipsoid, the others within 4 m²
    edges = shapely.get_num_coordinates(np.asarray(decoded, dtype=object))
    assert (np.abs(decoded_areas_km2(encoded.data) - want) <= 1e-9 * want + 4e-6 * edges).all()


def test_token_lists_decode_as_the_encoder_wrote_them() -> None:
    series = [blob(400), blob(400, bump=0.05), None, blob(300, cx=35.0), blob(400, bump=0.05)]
    encoder = SeriesEncoder(precision=5, tolerance_deg=DEFAULT_TOLERANCE_DEG,
                            chunk_mean_vertices=DEFAULT_CHUNK_VERTICES)  # fmt: skip
    written = [encoder.add(date) for date in prepare_dates(series)]
    data = encoder.finish(geodesic_area_km2(series).tolist()).data
    assert [t.tolist() for t in _decode_token_arrays(data)] == decode_tokens(data) == written
    assert data == encode_series(series).data
    lengths = decode_ints(data["chunk_lengths"])[:3]  # dates use chunks no longer stored
    coords = decode_ints(data["coords"])[: 2 * int(lengths.sum())]
    bad = dict(data, chunk_lengths=encode_ints(lengths), coords=encode_ints(coords))
    with pytest.raises(GeoError, match="not stored"):
        decoded_areas_km2(bad)
    blank = dict(data, dates=[""] * len(series))  # chunks stored, no date uses them
    assert decoded_areas_km2(blank).tolist() == [0.0] * len(series)


def test_small_deltas_take_one_character() -> None:
    assert len(encode_ints([0, 1, -1, 15, -16])) == 5
    assert len(encode_ints([16, -17, 511])) == 6


def test_corrupt_encoding_is_a_geo_error() -> None:
    with pytest.raises(GeoError, match="corrupt"):
        decode_ints("AB!")
    with pytest.raises(GeoError, match="corrupt"):
        decode_ints(encode_ints([1000])[:-1])  # ends mid-value


def test_decode_equals_simplified_quantized_input() -> None:
    a = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    holed = Polygon(
        blob(300).exterior, [np.column_stack([36.9 + 0.1 * np.cos(a), 48 + 0.1 * np.sin(a)])]
    )
    series = [
        blob(400),
        blob(400, bump=0.05),
        MultiPolygon([blob(200, cx=35.0), holed]),
        Polygon(),
        None,
        blob(400, bump=0.05),
    ]
    encoded = encode_series(series)
    decoded = decode_series(json.loads(encoded.to_json()))
    assert len(decoded) == len(series) == encoded.n_dates
    for original, got in zip(series, decoded, strict=True):
        if original is None or original.is_empty:
            assert got.is_empty
        else:
            assert same(got, expected(original)), "decode(encode(x)) == simplify+quantize(x)"
    parts = shapely.get_parts(decoded[2])
    assert len(parts) == 2 and len(parts[1].interiors) == 1


def test_identical_dates_are_stored_once() -> None:
    one = encode_series([blob(400)], tolerance_deg=0)
    many = encode_series([blob(400)] * 50, tolerance_deg=0)
    assert many.n_unique_chunks == one.n_unique_chunks
    assert many.n_vertices_stored == one.n_vertices_stored == 400
    assert many.n_chunk_refs == 50 * one.n_chunk_refs
    assert many.bytes - one.bytes < 50 * 12, "an unchanged date costs a few bytes"


def test_local_change_stores_only_the_chunks_it_touches() -> None:
    encoded = encode_series([blob(400), blob(400, bump=0.03, at=200)], tolerance_deg=0)
    new_vertices = encoded.n_vertices_stored - 400
    assert 3 <= new_vertices < 40, f"a 3-vertex change stored {new_vertices} new vertices"
    assert encoded.worst_area_error_pct < 0.01


def test_chunks_do_not_depend_on_the_ring_start() -> None:
    ring = prepare_geometry(blob(500), tolerance_deg=0)[0][0]
    chunks = chunk_ring(ring, mean_vertices=4)
    rotated = chunk_ring(np.roll(ring, 123, axis=0), mean_vertices=4)
    assert [c.tolist() for c in chunks] == [c.tolist() for c in rotated]
    assert np.array_equal(np.concatenate(chunks), np.roll(ring, -int(np.argmax(
        (np.concatenate(chunks)[0] == ring).all(axis=1))), axis=0))  # fmt: skip
    assert 50 < len(chunks) < 250, "about one cut per 4 vertices"


def test_area_error_is_measured_against_the_original() -> None:
    series = [blob(2000, bump=0.01 * k, at=10 * k) for k in range(5)]
    encoded = encode_series(series, tolerance_deg=0.0005)
    originals = geodesic_area_km2(series)
    decoded = geodesic_area_km2(decode_series(encoded.data))
    errors = 100 * np.abs(decoded - originals) / originals
    assert np.allclose(encoded.area_error_pct, errors)
    assert np.allclose(encoded.area_km2, originals)
    assert 0 < encoded.worst_area_error_pct < 0.1
    coarse = encode_series(series, tolerance_deg=0.05)
    assert coarse.worst_area_error_pct > encoded.worst_area_error_pct, "the error is real"
    assert coarse.n_vertices_drawn < encoded.n_vertices_drawn


def test_collapsed_rings_are_counted() -> None:
    tiny_hole = [(37.0, 48.0), (37.000001, 48.0), (37.0, 48.000001)]
    poly = Polygon(box(36, 47, 38, 49).exterior, [tiny_hole])
    specks = MultiPolygon([box(36, 47, 38, 49), box(39, 47, 39.000001, 47.000001)])
    encoded = encode_series([poly, specks], tolerance_deg=0)
    assert encoded.n_rings_dropped == 2
    assert [len(list(shapely.get_parts(g))) for g in decode_series(encoded.data)] == [1, 1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"precision": 9}, "precision"), ({"tolerance_deg": -1.0}, "tolerance"),
     ({"chunk_mean_vertices": 1}, "chunk_mean_vertices"), ({"areas_km2": [1.0, 2.0]}, "areas")],
)  # fmt: skip
def test_bad_parameters_are_geo_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(GeoError, match=match):
        encode_series([blob(50)], **kwargs)


def test_unknown_format_version_is_refused() -> None:
    data = dict(encode_series([blob(50)]).data, format=99)
    with pytest.raises(GeoError, match="rebuild the page"):
        decode_series(data)


# --- timeline and HTML fragments ---------------------------------------------------------------


def two_layers() -> dict[str, list[Snapshot]]:
    control = [make_snapshot(blob(300, bump=0.01 * d, at=5 * d), d) for d in range(6)]
    grey = [
        make_snapshot(box(38, 47, 38.2 + 0.05 * d, 47.3), d, layer="contested") for d in (2, 4, 7)
    ]
    return {"Russian control": control, "Grey zone": grey}


def test_timeline_joins_all_dates_of_all_layers() -> None:
    timeline = build_timeline(two_layers())
    assert timeline.dates == tuple(D0 + dt.timedelta(days=d) for d in (0, 1, 2, 3, 4, 5, 7))
    assert [layer.name for layer in timeline.layers] == ["Russian control", "Grey zone"]
    assert timeline.layers[1].colour == "#a6a6a6"  # palette colour of 'contested'
    assert timeline.worst_area_error_pct < 0.1
    west, south, east, _ = timeline.bounds or (0, 0, 0, 0)
    assert west < 36.5 and east == pytest.approx(38.55) and south == pytest.approx(47.0)


def test_single_list_is_split_by_layer() -> None:
    snaps = [
        make_snapshot(blob(50), 0),
        make_snapshot(blob(50), 1),
        make_snapshot(box(38, 47, 39, 48), 0, layer="contested"),
    ]
    timeline = build_timeline(snaps)
    assert [(layer.name, len(layer.dates)) for layer in timeline.layers] == [
        ("russian_control", 2), ("contested", 1)]  # fmt: skip


@pytest.mark.parametrize(
    ("series", "match"),
    [([], "no snapshots"), ({"x": []}, "'x' has no snapshots"),
     ([make_snapshot(blob(50), 0), make_snapshot(blob(60), 0)], "two snapshots for 2024-07-01")],
)  # fmt: skip
def test_bad_series_are_geo_errors(series: Any, match: str) -> None:
    with pytest.raises(GeoError, match=match):
        build_timeline(series)


def test_page_has_controls_label_chart_and_decodable_data(tmp_path: Path) -> None:
    fmap = timeline_map(two_layers(), title="Control over time", tiles=None,
                        attribution="Data: test")  # fmt: skip
    text = save_html(fmap, tmp_path / "timeline.html").read_text(encoding="utf-8")
    for act in ("first", "prev", "play", "next", "last"):
        assert f'data-act="{act}"' in text
    assert re.search(r'<input type="range" class="geo-tl-slider" min="0" max="6"', text)
    assert '<span class="geo-tl-date" aria-live="polite">8 Jul 2024</span>' in text
    assert text.count("<polyline") == 2, "one area curve per layer"
    assert "Control over time" in text and "Data: test" in text
    assert "tile.openstreetmap" not in text
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in text
    assert "jquery" not in text and "bootstrap" not in text, "only Leaflet is needed"
    data = page_data(text)
    assert [layer["name"] for layer in data["layers"]] == ["Russian control", "Grey zone"]
    assert np.cumsum(decode_ints(data["layers"][1]["at"])).tolist() == [2, 4, 6]
    control = two_layers()["Russian control"]
    for snapshot, got in zip(control, decode_series(data["layers"][0]["enc"]), strict=True):
        assert same(got, expected(snapshot.geometry, tolerance_deg=50 / 111_320))
    assert data["layers"][0]["area_km2"][0] == pytest.approx(control[0].area_km2, abs=0.05)


def test_default_tiles_and_regions(tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(37, 47, 39, 49)], crs=4326)
    text = timeline_map(two_layers(), regions=regions).get_root().render()
    assert "tile.openstreetmap.org" in text and "openstreetmap.org/copyright" in text
    assert "Donetsk" in text and "4 4" in text  # dashed region outline with its name
    # the same permanent labels as the snapshot, diff and compare maps
    assert "geo-region-label" in text and "permanent:true" in text


def test_unknown_basemap_is_a_geo_error_before_encoding() -> None:
    with pytest.raises(BasemapError, match=r"unknown basemap 'Bogus\.Name'"):
        timeline_map({"x": [make_snapshot(blob(50), 0)]}, tiles="Bogus.Name")
    with pytest.raises(BasemapError, match="needs an API key"):
        timeline_map({"x": [make_snapshot(blob(50), 0)]}, tiles="CartoDB.Positron")


def test_credit_names_every_layer_source() -> None:
    series = {
        "a": [make_snapshot(blob(50), 0, source="deepstate")],
        "b": [make_snapshot(blob(60), 1, source="isw")],
    }
    text = timeline_map(series, tiles=None, attribution="Made in a test").get_root().render()
    assert (
        'addAttribution("Data: DeepStateMap.Live; Institute for the Study of War (ISW) '
        '\\u00b7 Made in a test")' in text
    )


def test_untrusted_text_is_escaped() -> None:
    breakout = "</script><script>alert(2)</script>"
    series = {
        EVIL: [make_snapshot(blob(50), 0, source=EVIL)],
        breakout: [make_snapshot(blob(60), 1)],
    }
    regions = gpd.GeoDataFrame({"region": [EVIL]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    text = timeline_map(series, title=EVIL, notice=EVIL, attribution=EVIL, regions=regions,
                        tiles=None).get_root().render()  # fmt: skip
    assert EVIL not in text and breakout not in text and "<script>alert" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert 'addAttribution("Data: &lt;img src=x onerror=alert(1)&gt;; test \\u00b7 &lt;img' in text
    names = [layer["name"] for layer in page_data(text)["layers"]]
    assert names == [EVIL, breakout], "JSON escaping loses nothing"


def growing(n: int = 20) -> list[Snapshot]:
    """A layer that grows a bump day after day, with one day of retreat."""
    bumps = [0.002 * d if d != 12 else 0.0 for d in range(n)]
    return [make_snapshot(blob(400, bump=b, at=100 + d), d, source="deepstate")
            for d, b in enumerate(bumps)]  # fmt: skip


def test_jobs_and_executors_give_the_same_timeline() -> None:
    from concurrent.futures import ThreadPoolExecutor

    series = {
        "control": growing(),
        "grey": [
            make_snapshot(box(38, 47, 38.1 + 0.01 * d, 47.3), d, layer="contested")
            for d in range(20)
        ],
    }
    serial = build_timeline(series).payload()
    assert build_timeline(series, jobs=2).payload() == serial, "two local processes"
    with ThreadPoolExecutor(3) as pool:
        assert build_timeline(series, executor=pool).payload() == serial, "any executor"
    with pytest.raises(ValidationError, match="jobs=-1"):
        build_timeline(series, jobs=-1)


def test_change_since_previous_date_in_the_payload() -> None:
    snaps = growing()
    timeline = build_timeline(snaps)
    layer = timeline.layers[0]
    data = timeline.payload()["layers"][0]
    assert (data["gained_colour"], data["lost_colour"]) == ("#d7191c", "#2c7bb6")
    assert layer.gained_km2[0] == layer.lost_km2[0] == 0.0, "nothing before the first date"
    assert all(g > 0 for g in layer.gained_km2[1:12]), "the bump grows"
    assert layer.lost_km2[12] > 0 and layer.gained_km2[13] > 0, "one day of retreat, then back"
    drawn = np.asarray(layer.gained_km2[1:]) - np.asarray(layer.lost_km2[1:])
    outline = np.diff(decoded_areas_km2(layer.encoded.data))
    # crossings are rounded to the 1e-5° grid: a few hundred m² at most
    assert np.allclose(drawn, outline, atol=5e-3), "gained - lost is the drawn outline's change"
    # ...and that of the originals up to the 50 m simplification of the changed stretch
    assert np.allclose(drawn, np.diff(layer.encoded.area_km2), atol=0.15)
    assert data["gained"][0] == "" and data["gained"][5] != "" and data["lost"][12] != ""
    neutral = build_timeline([make_snapshot(box(38, 47, 38.1 + 0.01 * d, 47.3), d,
                                            layer="contested") for d in range(3)])  # fmt: skip
    assert neutral.payload()["layers"][0]["gained_colour"] == "#7b3294", "neutral grows purple"


def test_human_title_legend_and_words_in_ukrainian(tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(37, 47, 39, 49)], crs=4326)
    text = timeline_map(growing(), tiles=None, lang="uk", subtitle=EVIL, trail_days=7,
                        regions=regions)  # fmt: skip
    page = save_html(text, tmp_path / "uk.html").read_text(encoding="utf-8")
    assert "Територія під контролем Росії, DeepStateMap.Live, 1 липня → 20 липня 2024" in page
    assert '"Донецька обл."' in page, "region labels in Ukrainian too"
    assert "Відтворити" in page and "за місяць" in page and "останні 7 днів" in page
    assert "Просування Росії" in page and "Просування України" in page, "legend, in colour"
    assert "&lt;img src=x" in page and EVIL not in page, "the subtitle is escaped"
    english = save_html(timeline_map(growing(), tiles=None))
    assert "Russian-controlled territory, DeepStateMap.Live, 1 Jul → 20 Jul 2024" in english
    assert "Russian gains" in english and "Ukrainian gains" in english
    assert "last 7 days" not in english, "no trail unless asked for"


@pytest.mark.parametrize(("kwargs", "match"), [({"lang": "fr"}, "lang='fr'"),
                                               ({"trail_days": -3}, "trail_days=-3")])  # fmt: skip
def test_bad_words_or_trail_are_validation_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError) as caught:
        timeline_map(growing(3), tiles=None, **kwargs)
    assert match in str(caught.value)


def test_cli_timeline_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geo.cli import cli
    from geo.sample import sample_dir

    store = tmp_path / "store"
    run = CliRunner().invoke
    assert (
        run(
            cli, ["ingest", str(sample_dir()), "--store", str(store), "--source", "sample"]
        ).exit_code
        == 0
    )
    out = tmp_path / "tl.html"
    base = ["map", "--store", str(store), "--layer", "russian_control", "--tiles", "none"]
    options = ["--trail", "30", "--jobs", "2", "--lang", "uk", "--title", "Мій заголовок"]
    made = run(cli, [*base, "--timeline", *options, "--subtitle", "Підзаголовок", "-o", str(out)])
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    assert "Мій заголовок" in page and "Підзаголовок" in page and "останні 30 днів" in page
    assert '"trail":30' in page and "Відтворити" in page
    default = run(cli, [*base, "--timeline", "-o", str(out)])
    assert (
        default.exit_code == 0
        and "Russian-controlled territory, geo synthetic sample, 15 Aug"
        in out.read_text(encoding="utf-8")
    )
    stray = run(cli, [*base, "--date", "2025-03-15", "--trail", "30", "-o", str(out)])
    assert stray.exit_code == 2 and "--trail needs --timeline" in stray.output
    stray = run(cli, [*base, "--date", "2025-03-15", "--jobs", "2", "-o", str(out)])
    assert stray.exit_code == 2 and "--jobs needs --timeline" in stray.output


# --- in the browser ----------------------------------------------------------------------------


def path_d(page: Any, layer: int = 0) -> str:
    return str(page.locator(f"path.geo-tl-layer-{layer}").get_attribute("d") or "")


def test_steps_slider_and_play_in_chromium(browser: Any, tmp_path: Path) -> None:
    out = save_html(timeline_map(two_layers(), tiles=None, title="t"), tmp_path / "tl.html")
    page = browser.open(out)
    label = page.locator(".geo-tl-date")
    assert label.inner_text() == "8 Jul 2024"
    assert "(as of 6 Jul 2024)" in page.locator(".geo-tl-area").first.inner_text()
    last_d = path_d(page)
    assert last_d.count("M") == 1 and last_d.count("L") > 20, "one ring of the blob is drawn"
    grey_d = path_d(page, 1)
    page.click(".geo-tl-prev")
    assert label.inner_text() == "6 Jul 2024", "no date of either layer on 07-07"
    assert path_d(page) == last_d, "control of 07-06 was already shown"
    assert path_d(page, 1) not in ("", grey_d), "grey zone of 07-05 shown on 07-06"
    assert "(as of 5 Jul 2024)" in page.locator(".geo-tl-area").nth(1).inner_text()
    page.click(".geo-tl-prev")
    assert label.inner_text() == "5 Jul 2024"
    assert path_d(page) != last_d, "the drawn path changed"
    page.click(".geo-tl-first")
    assert label.inner_text() == "1 Jul 2024"
    assert path_d(page, 1) in ("", "M0 0"), "grey zone has no data before its first date"
    assert "no data yet" in page.locator(".geo-tl-area").nth(1).inner_text()
    page.locator(".geo-tl-slider").fill("3")
    assert label.inner_text() == "4 Jul 2024"
    page.keyboard.press("Escape")
    page.select_option(".geo-tl-speed", "40")
    page.click(".geo-tl-first")
    page.click(".geo-tl-play")
    page.wait_for_function("window.geoTimeline.date() >= '2024-07-03'")
    assert page.locator(".geo-tl-play").get_attribute("aria-label") == "Pause"
    page.wait_for_function("window.geoTimeline.date() == '2024-07-08'")
    page.wait_for_function("document.querySelector('.geo-tl-play').ariaLabel == 'Play'")
    shot = browser.screenshot("timeline-map")
    assert shot.stat().st_size > 5_000


def test_chart_click_jumps_to_date(browser: Any, tmp_path: Path) -> None:
    out = save_html(timeline_map(two_layers(), tiles=None), tmp_path / "tl.html")
    page = browser.open(out)
    chart = page.locator(".geo-tl-chart")
    box_ = chart.bounding_box()
    assert box_ is not None
    page.mouse.click(box_["x"] + 1, box_["y"] + 5)
    assert page.locator(".geo-tl-date").inner_text() == "1 Jul 2024"
    cursor = page.locator(".geo-tl-cursor").get_attribute("style") or ""
    assert "left: 0%" in cursor


def test_tooltip_text_runs_nothing_in_chromium(browser: Any, tmp_path: Path) -> None:
    series = {EVIL: [make_snapshot(box(36, 47, 38, 49), 0, source=EVIL)]}
    out = save_html(timeline_map(series, tiles=None, title=EVIL), tmp_path / "evil.html")
    page = browser.open(out)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator("path.geo-tl-layer-0").hover()
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert EVIL in tooltip.inner_text() and "source: " + EVIL in tooltip.inner_text()
    assert page.locator("img[src=x]").count() == 0 and not dialogs
    assert EVIL in page.locator(".geo-title").inner_text()


def test_region_labels_and_credit_in_chromium(browser: Any, tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": ["Donetsk"]}, geometry=[box(36, 47, 39, 49)], crs=4326)
    series = {"control": [make_snapshot(blob(200), d, source="deepstate") for d in range(3)]}
    out = save_html(timeline_map(series, tiles=None, regions=regions), tmp_path / "tl.html")
    page = browser.open(out)
    label = page.locator(".geo-region-label")
    assert label.inner_text() == "Donetsk" and label.is_visible(), "a permanent label"
    credit = page.locator(".leaflet-control-attribution")
    assert "Data: DeepStateMap.Live" in credit.inner_text()
    credit_box, panel_box = credit.bounding_box(), page.locator(".geo-timeline").bounding_box()
    assert credit_box is not None and panel_box is not None
    assert credit_box["y"] + credit_box["height"] <= panel_box["y"] + 1, "not behind the panel"
    page.click(".geo-tl-first")
    assert label.is_visible(), "labels stay while stepping"
    browser.screenshot("timeline-regions")


def test_offline_page_runs_with_all_network_blocked(browser: Any, tmp_path: Path) -> None:
    fmap = timeline_map(two_layers(), tiles=None)
    out = save_html(fmap, tmp_path / "offline.html", offline=True)
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\S*//", text), "no external tags"
    page = browser.open(out, offline=True)
    assert page.locator(".geo-tl-date").inner_text() == "8 Jul 2024"
    page.click(".geo-tl-first")
    assert page.locator(".geo-tl-date").inner_text() == "1 Jul 2024"
    assert path_d(page) != ""
    assert not browser.served_assets


def test_url_hash_opens_a_date_and_follows_the_slider(browser: Any, tmp_path: Path) -> None:
    out = save_html(timeline_map(growing(), tiles=None, trail_days=5), tmp_path / "tl.html")
    page = browser.open(out, fragment="date=2024-07-08")
    assert page.locator(".geo-tl-date").inner_text() == "8 Jul 2024", "a link opens its date"
    assert page.evaluate("location.hash") == "#date=2024-07-08"
    tip = page.locator(".geo-tl-tip")
    assert tip.inner_text().startswith("8 Jul 2024 · ") and " km² · +" in tip.inner_text()
    assert "since 7 Jul (gained " in tip.inner_text(), "the tooltip says what changed"
    page.locator(".geo-tl-slider").fill("14")
    page.wait_for_function("location.hash === '#date=2024-07-15'")
    assert tip.inner_text().startswith("15 Jul 2024 · ")
    tip_box, handle_x = (
        tip.bounding_box(),
        page.evaluate(
            "(() => { const s = document.querySelector('.geo-tl-slider').getBoundingClientRect();"
            " return s.left + 8 + (s.width - 16) * 14 / 19; })()"
        ),
    )
    assert tip_box is not None
    assert tip_box["x"] <= handle_x <= tip_box["x"] + tip_box["width"], "over the handle"
    # a date between stored dates opens the state on that date (the last before it)
    page.evaluate("location.hash = 'date=2024-07-03&map=9/48.0/37.5'")
    page.wait_for_function("window.geoTimeline.date() === '2024-07-03'")
    assert page.evaluate("map => map.getZoom()", page.evaluate_handle(
        "Object.values(window).find(v => v instanceof L.Map)")) == 9  # fmt: skip
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash.startsWith('#date=2024-07-04&map=9/48')")


def test_change_layer_trail_and_bar_chart_in_chromium(browser: Any, tmp_path: Path) -> None:
    out = save_html(timeline_map(growing(), tiles=None, trail_days=5), tmp_path / "tl.html")
    page = browser.open(out, fragment="date=2024-07-12")
    gained = page.locator("path.geo-tl-gained")
    assert gained.get_attribute("d") not in (None, "", "M0 0"), "Russian gains since the day before"
    assert gained.get_attribute("fill") == "#d7191c"
    assert page.locator("path.geo-tl-gained-trail").get_attribute("d") not in (None, "", "M0 0")
    page.locator("input[data-show=trail]").uncheck()
    assert page.locator("path.geo-tl-gained-trail").get_attribute("d") in ("", "M0 0")
    page.locator(".geo-tl-next").click()  # 13 Jul: the bump went back, Ukrainian gain
    lost = page.locator("path.geo-tl-lost")
    assert (
        lost.get_attribute("d") not in (None, "", "M0 0")
        and lost.get_attribute("fill") == "#2c7bb6"
    )
    page.select_option(".geo-tl-period", "day")
    layer = build_timeline(growing()).layers[0]
    bars = page.locator("rect.geo-tl-bar-gained")
    assert bars.count() == sum(g > 0 for g in layer.gained_km2) >= 18, "a bar per day of gains"
    assert page.locator("rect.geo-tl-bar-lost").count() == sum(x > 0 for x in layer.lost_km2) >= 1
    target = bars.nth(2)
    wanted = int(target.get_attribute("data-date") or -1)
    target.click(force=True)
    assert page.evaluate("window.geoTimeline.index()") == wanted, "a bar jumps to its date"
    page.wait_for_function(f"location.hash === '#date=2024-07-{wanted + 1:02d}'")
    page.select_option(".geo-tl-measure", "net")
    assert page.locator("rect.geo-tl-bar-net").count() == 19
    page.select_option(".geo-tl-period", "month")
    assert page.locator("rect.geo-tl-bar-net").count() == 1, "July only"
    browser.screenshot("timeline-change-bars")


def test_ukrainian_page_in_chromium(browser: Any, tmp_path: Path) -> None:
    regions = gpd.GeoDataFrame({"region": ["Донецька"]}, geometry=[box(35.8, 47.2, 38.5, 48.8)],
                               crs=4326)  # fmt: skip
    fmap = timeline_map(growing(), tiles=None, lang="uk", regions=regions, trail_days=30,
                        subtitle="Щоденні зміни")  # fmt: skip
    page = browser.open(save_html(fmap, tmp_path / "uk.html"), fragment="date=2024-07-10")
    assert page.locator(".geo-tl-date").inner_text() == "10 липня 2024"
    assert "км²" in page.locator(".geo-tl-tip").inner_text()
    assert page.locator(".geo-tl-play").get_attribute("aria-label") == "Відтворити"
    browser.screenshot("timeline-uk")


# --- real data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deepstate_page(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from geo.io import read_many

    paths = sorted((shared_data / "control/deepstate/daily").glob("*.geojson.gz"))
    result = read_many(paths)
    result.raise_for_problems()
    start = time.perf_counter()
    timeline = build_timeline(result.snapshots)
    page = timeline_map(timeline, tiles=None, trail_days=30)
    out = save_html(page, tmp_path_factory.mktemp("ds") / "ds.html")
    return timeline, out, time.perf_counter() - start


@pytest.mark.realdata
def test_deepstate_archive_fits_budget_and_error(deepstate_page: Any) -> None:
    """All 769 dates (about 20 s: reading 8 s, encoding and area checks 12 s)."""
    timeline, out, build_s = deepstate_page
    assert len(timeline.dates) == 769
    assert out.stat().st_size <= 3_000_000
    assert timeline.worst_area_error_pct < 0.1
    encoded = timeline.layers[0].encoded
    assert encoded.n_rings_dropped == 0
    assert encoded.n_vertices_stored < encoded.n_vertices_drawn / 20, "boundaries are shared"
    print(f"DeepState timeline: {out.stat().st_size:,} bytes, worst area error "
          f"{timeline.worst_area_error_pct:.5f} %, built in {build_s:.1f} s")  # fmt: skip


@pytest.mark.realdata
def test_deepstate_changes_add_up_and_match_overlays(deepstate_page: Any) -> None:
    """Gained - lost telescopes to the drawn outline's change; sampled days match full overlays."""
    timeline, _, _ = deepstate_page
    layer = timeline.layers[0]
    gained, lost = np.asarray(layer.gained_km2), np.asarray(layer.lost_km2)
    drawn = decoded_areas_km2(layer.encoded.data)
    assert np.allclose((gained - lost)[1:], np.diff(drawn), atol=0.02)
    assert abs((gained - lost).sum() - (layer.encoded.area_km2[-1] - layer.encoded.area_km2[0])) < 1
    assert gained.sum() > 5 * lost.sum() > 0, "mostly Russian gains over 2024-2026, some losses"
    decoded = decode_series(layer.encoded.data)
    # the area check's sums per chunk and join: each decoded date's geodesic area (1.6e-10 here)
    assert np.allclose(drawn, geodesic_area_km2(decoded), rtol=1e-8, atol=0)
    for k in range(1, len(decoded), 64):
        before, after = decoded[k - 1], decoded[k]
        full_gain = float(geodesic_area_km2(shapely.difference(after, before, grid_size=1e-5)))
        full_loss = float(geodesic_area_km2(shapely.difference(before, after, grid_size=1e-5)))
        assert gained[k] == pytest.approx(full_gain, abs=0.02), timeline.dates[k]
        assert lost[k] == pytest.approx(full_loss, abs=0.02), timeline.dates[k]


@pytest.mark.realdata
def test_deepstate_page_steps_in_chromium(deepstate_page: Any, browser: Any) -> None:
    # Speed is measured by benchmarks/bench_timeline.py; here: every step draws a new date.
    timeline, out, _ = deepstate_page
    page = browser.open(out)
    assert page.locator(".geo-tl-date").inner_text() == "22 Aug 2026"
    labels = page.evaluate(
        """() => { const t = window.geoTimeline, out = []; t.show(0);
        for (let i = 0; i < 30; i++) { t.step(1);
          out.push(document.querySelector('.geo-tl-date').textContent); }
        t.show(700); return out; }"""
    )
    assert labels == [format_date(d) for d in timeline.dates[1:31]]
    assert page.locator(".geo-tl-date").inner_text() == format_date(timeline.dates[700])
    browser.screenshot("timeline-deepstate")
    # a shared link: Pokrovsk on 18 March 2025, with the last 30 days of change
    page = browser.open(out, fragment="date=2025-03-18&map=10/48.25/37.25")
    assert page.locator(".geo-tl-date").inner_text() == "18 Mar 2025"
    assert page.locator("path.geo-tl-gained-trail").get_attribute("d") not in (None, "", "M0 0")
    page.select_option(".geo-tl-period", "month")
    assert page.locator("rect.geo-tl-bar-gained").count() >= 20, "a bar per month of 2024-2026"
    browser.screenshot("timeline-deepstate-link")
