"""Distance rings on maps: geodesic radii, labels, escaping, the diff map, the CLI, a browser."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shlex
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import BASE_DATE, make_snapshot
from shapely.geometry import box

import geo
from geo.cli import cli
from geo.distance import DistanceResult, distances
from geo.errors import ValidationError
from geo.geometry import GEOD
from geo.render import add_distance_rings, diff_map, save_html
from geo.render.distance_map import (
    RING_COLOURS,
    distance_bounds,
    distance_table_html,
    format_km,
    place_colours,
)
from geo.store import Store, open_store

EVIL = "<img src=x onerror=alert(1)>"
DAILY = "control/deepstate/daily/deepstatemap_data_{}.geojson.gz"
#: The places of the generated gazetteer: id -> (name, lon, lat).
PLACES = {
    1: ("Targetivka", 37.8, 48.25),  # east of the front, which comes 0.05° closer every 10 days
    2: ("Heldove", 36.8, 48.25),  # inside the layer on every date
    3: ("Farville", 38.3, 48.45),
}


def day(n: int) -> dt.date:
    return BASE_DATE + dt.timedelta(days=n)


def tsv_row(gid: int, name: str, lon: float, lat: float, *, name_uk: str = "") -> str:
    fields = [str(gid), name, name, name_uk, str(lat), str(lon), "P", "PPL", "UA", "", "05",
              "", "", "", "1000", "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    return "\t".join(fields)


@pytest.fixture
def gaz_file(tmp_path: Path) -> Path:
    path = tmp_path / "UA.txt"
    rows = [tsv_row(gid, name, lon, lat) for gid, (name, lon, lat) in PLACES.items()]
    rows.append(tsv_row(4, EVIL, 37.9, 48.05, name_uk=EVIL + "ув"))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def front_store(store_dir: Path) -> Store:
    """A front whose east edge moves from 37.0 to 37.45 in 0.05° steps, every 10 days."""
    snaps = [make_snapshot(box(36.5, 48.0, 37.0 + 0.05 * i, 48.5), 10 * i) for i in range(10)]
    store = open_store(store_dir)
    store.ingest(snaps)
    return store


@pytest.fixture
def result(store_dir: Path, gaz_file: Path) -> DistanceResult:
    return distances(front_store(store_dir), [1, 2, 3], gazetteer=gaz_file)


def page_html(fmap: Any) -> str:
    return str(fmap.get_root().render())


def polygons(text: str) -> list[tuple[list[list[float]], dict[str, Any]]]:
    """Every ``L.polygon`` of a page: its [lat, lon] vertices and its options."""
    found = re.findall(r"L\.polygon\(\s*(\[\[.*?\]\])\s*,\s*(\{.*?\})\s*\)", text, flags=re.S)
    return [(json.loads(latlngs), json.loads(options)) for latlngs, options in found]


def ring_radii_km(latlngs: list[list[float]], lon: float, lat: float) -> np.ndarray:
    """Geodesic distance from (lon, lat) to every vertex of a ring (pyproj.Geod.inv)."""
    xy = np.asarray(latlngs, dtype=float)
    n = len(xy)
    _, _, metres = GEOD.inv(np.full(n, lon), np.full(n, lat), xy[:, 1], xy[:, 0])
    return np.asarray(metres) / 1000.0


def labels_data(text: str) -> list[Any]:
    found = re.search(r"labels=(\[.*?\]);var sides=", text)
    assert found is not None
    return list(json.loads(found.group(1)))


# --- the rings ---------------------------------------------------------------------------


def test_ring_radius_is_the_computed_distance(result: DistanceResult) -> None:
    """Each ring's vertices lie at the place's distance (Geod.inv), at both dates."""
    fmap = folium.Map(tiles=None)
    add_distance_rings(fmap, result, date=day(90), earlier=day(45))
    drawn = polygons(page_html(fmap))
    frame = result.frame
    expected = {  # (class, geonames id) -> km on the date drawn
        ("geo-distance-ring", gid): frame[(frame.geonames_id == gid) & (frame.date == day(90))]
        for gid in PLACES
    } | {
        ("geo-distance-ring-earlier", gid): frame[
            (frame.geonames_id == gid) & (frame.date == day(40))  # on or before day 45
        ]
        for gid in PLACES
    }
    seen = set()
    for latlngs, options in drawn:
        kind = options["className"]
        matches = []
        for gid, (_, lon, lat) in PLACES.items():
            km = float(expected[(kind, gid)]["distance_km"].iloc[0])
            radii = ring_radii_km(latlngs, lon, lat)
            if np.all(np.abs(radii - km) < 0.1):  # the brief's tolerance...
                assert np.abs(radii - km).max() < 1e-3  # ...and in fact to the metre
                matches.append(gid)
        assert len(matches) == 1, (kind, matches)
        assert options["color"] == place_colours(result)[matches[0]]
        seen.add((kind, matches[0]))
    # Heldove is inside: no ring; the other two have one at each date
    assert seen == {(k, g) for k in ("geo-distance-ring", "geo-distance-ring-earlier")
                    for g in (1, 3)}  # fmt: skip
    km_now = float(expected[("geo-distance-ring", 1)]["distance_km"].iloc[0])
    km_then = float(expected[("geo-distance-ring-earlier", 1)]["distance_km"].iloc[0])
    assert km_then - km_now == pytest.approx(5 * 0.05 * 111.32 * np.cos(np.radians(48.25)), 0.01)


def test_labels_give_the_distance_to_0_1_km_and_the_30_day_rate(result: DistanceResult) -> None:
    fmap = folium.Map(tiles=None)
    add_distance_rings(fmap, result)
    labels = labels_data(page_html(fmap))
    latest = result.latest().set_index("geonames_id")
    assert [label[2] for label in labels] == [1, 2, 3]  # in the order asked
    for html, (lat, lon), gid, nearest in labels:
        row = latest.loc[gid]
        assert (lon, lat) == (PLACES[gid][1], PLACES[gid][2])
        if gid == 2:
            assert "Heldove</b> 0.0 km (inside)" in html and nearest is None
            assert "geo-distance-rate" not in html  # held all along: no rate worth a line
            continue
        assert f"</b> {row['distance_km']:.1f} km" in html
        rate = row["approach_30d_km_per_month"]
        assert rate == pytest.approx(0.15 * 111.32 * np.cos(np.radians(lat)) / 30 * 30.44, 0.01)
        assert f"closer by {rate:.1f} km/month over 30 days" in html
        assert nearest == pytest.approx([row["nearest_lat"], row["nearest_lon"]])
    # lines from each place outside to its nearest point
    text = page_html(fmap)
    assert text.count("geo-distance-line") == 2 and text.count("geo-distance-place") == 3


def test_a_date_with_no_ground_draws_no_ring(store_dir: Path, gaz_file: Path) -> None:
    store = front_store(store_dir)
    store.ingest([make_snapshot(None, 100)])  # the layer is empty on day 100
    emptied = distances(store, [1], gazetteer=gaz_file)
    fmap = folium.Map(tiles=None)
    add_distance_rings(fmap, emptied, earlier=day(90))
    text = page_html(fmap)
    assert "Targetivka</b> no ground of the layer" in labels_data(text)[0][0]
    assert [o["className"] for _, o in polygons(text)] == ["geo-distance-ring-earlier"]
    assert "geo-distance-line" not in text and "geo-distance-nearest" not in text
    assert "nearest point" not in text.split("geo-distance-place", 1)[1]  # not in the popup


def test_ukrainian_words_and_names(result: DistanceResult) -> None:
    fmap = folium.Map(tiles=None)
    group = add_distance_rings(fmap, result, earlier=day(10), lang="uk")
    assert group.layer_name == "Кола відстані, 29 вересня 2024 (суцільні)"
    labels = labels_data(page_html(fmap))
    assert "км" in labels[0][0] and "ближче на" in labels[0][0] and "," in labels[0][0]
    assert format_km(1234.56, "uk") == "1 234,6 км"
    assert format_km(-2.04, signed=True, unit=False) == "−2.0"
    assert format_km(float("nan")) == "—"
    with pytest.raises(ValidationError, match="lang="):
        add_distance_rings(folium.Map(tiles=None), result, lang="fr")  # type: ignore[arg-type]


def test_hostile_names_are_escaped(store_dir: Path, gaz_file: Path) -> None:
    hostile = distances(front_store(store_dir), [4, 1], gazetteer=gaz_file)
    for lang in ("en", "uk"):
        fmap = folium.Map(tiles=None)
        add_distance_rings(fmap, hostile, earlier=day(30), lang=lang)  # type: ignore[arg-type]
        text = page_html(fmap)
        assert EVIL not in text and "<img" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text  # popups and tooltips
        assert "\\u003cimg" not in text  # nothing unescaped even inside the script data
        table = distance_table_html(hostile, lang=lang)  # type: ignore[arg-type]
        assert EVIL not in table and "&lt;img" in table
    assert place_colours(hostile) == {4: RING_COLOURS[0], 1: RING_COLOURS[1]}


def test_dates_outside_the_result_are_clear_errors(result: DistanceResult) -> None:
    with pytest.raises(ValidationError, match=r"start on 2024-07-01, after earlier=2024-06-01"):
        add_distance_rings(folium.Map(tiles=None), result, earlier=dt.date(2024, 6, 1))
    with pytest.raises(ValidationError, match=r"start=datetime.date\(2024, 1, 1\)"):
        distance_bounds(result, date=dt.date(2024, 1, 1))


def test_bounds_hold_every_ring_and_place(result: DistanceResult) -> None:
    (south, west), (north, east) = distance_bounds(result, date=day(90), earlier=day(0))
    frame = result.frame
    for gid, (_, lon, lat) in PLACES.items():
        assert west < lon < east and south < lat < north
        for when in (day(0), day(90)):
            km = float(
                frame[(frame.geonames_id == gid) & (frame.date == when)]["distance_km"].iloc[0]
            )
            _, lat_n, _ = GEOD.fwd(lon, lat, 0, km * 1000)
            lon_e, _, _ = GEOD.fwd(lon, lat, 90, km * 1000)
            assert lat_n <= north + 1e-6 and lon_e <= east + 1e-6
    # a place already reached still gets room around it
    (s, w), (n, e) = distance_bounds(distances_of(result, [2]))
    assert 0.05 < n - s < 0.06 and w < 36.8 < e


def distances_of(result: DistanceResult, ids: list[int]) -> DistanceResult:
    frame = result.frame[result.frame.geonames_id.isin(ids)].reset_index(drop=True)
    return DistanceResult(frame, result.source, result.layer, result.places)


# --- on the diff map ---------------------------------------------------------------------


def test_diff_map_draws_rings_frames_them_and_lists_them(store_dir: Path, gaz_file: Path) -> None:
    store = front_store(store_dir)
    rings = distances(store, [1, 2, 3], gazetteer=gaz_file, start=day(20))
    d = geo.diff(store.get("russian_control", day(20)), store.get("russian_control", day(90)))
    text = page_html(diff_map(d, tiles=None, rings=rings))
    # both layers exist before the layer control lists them (issue 13: after it breaks the page)
    control = text.index("L.control.layers(")
    for name in ("Distance rings, 29 Sep 2024 (solid)", "Distance rings, 21 Jul 2024 (dashed)"):
        found = re.search(rf'"{re.escape(name)}" : (feature_group_[0-9a-f]+)', text)
        assert found is not None, name
        assert text.index(f"var {found.group(1)} =") < control
    # framed on the rings, not on the whole change
    focus = re.search(r"var focus=(\[\[.*?\]\]);", text)
    assert focus is not None
    expected = distance_bounds(rings, date=day(90), earlier=day(20))
    assert np.allclose(json.loads(focus.group(1)), expected)
    assert expected[1][0] > 49.2  # Farville's ring of 21 Jul: 89 km north of 48.45° N...
    assert d.geometry_to.bounds[3] == 48.5  # ...where the change ends
    # the panel lists the distances at both dates and the 30-day rate
    panel = text[text.index('class="geo-distance-panel') :]
    rows = re.findall(r'data-geonames-id="(\d+)">(.*?)</tr>', panel)
    assert [int(gid) for gid, _ in rows] == [1, 2, 3]
    cells = {int(gid): re.findall(r'data-km="([^"]+)">([^<]*)<', row) for gid, row in rows}
    frame = rings.frame.set_index(["geonames_id", "date"])
    for gid in (1, 3):
        then, now = (float(frame.loc[(gid, d), "distance_km"]) for d in (day(20), day(90)))
        assert [float(v) for v, _ in cells[gid]] == pytest.approx([then, now], abs=1e-3)
        assert [shown for _, shown in cells[gid]] == [f"{then:.1f}", f"{now:.1f}"]
    assert [shown for _, shown in cells[2]] == ["0 (inside)", "0 (inside)"]
    assert ">21 Jul</th><th>29 Sep</th>" in panel and "GeoNames" in panel
    assert "geo-distance-panel" not in page_html(diff_map(d, tiles=None))


def test_diff_map_without_the_earlier_distances_notes_it(
    store_dir: Path, gaz_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = front_store(store_dir)
    rings = distances(store, [1], gazetteer=gaz_file, start=day(50))
    d = geo.diff(store.get("russian_control", day(0)), store.get("russian_control", day(90)))
    with caplog.at_level(logging.WARNING, logger="geo.render.distance_map"):
        text = page_html(diff_map(d, tiles=None, rings=rings))
    assert "no dashed rings" in caplog.text and "start=" in caplog.text
    assert "geo-distance-ring-earlier" not in text and "geo-distance-ring" in text


def test_cli_distance_map(store_dir: Path, gaz_file: Path, tmp_path: Path) -> None:
    front_store(store_dir)
    out_html = tmp_path / "out" / "rings.html"
    runner = CliRunner()
    args = ["distance", "--store", str(store_dir), "--gazetteer", str(gaz_file), "--to", "1",
            "--to", "Farville", "--from", "2024-07-15", "--to", "2024-09-15", "--format", "csv",
            "--map", str(out_html)]  # fmt: skip
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("geonames_id,")  # the data on stdout stays clean
    assert f"wrote {out_html}" in out.stderr
    text = out_html.read_text(encoding="utf-8")
    # the diff between the first and last dates asked: 11 Jul (on or before 15 Jul) -> 9 Sep
    assert "Russian-controlled territory, test, 11 Jul → 9 Sep 2024" in text
    assert "Distance rings, 9 Sep 2024 (solid)" in text
    assert "Distance rings, 11 Jul 2024 (dashed)" in text
    assert text.count("geo-distance-place") == 2
    assert not list(out_html.parent.glob("*.tmp*"))  # written atomically, nothing left over


# --- in a real browser -------------------------------------------------------------------


def rect_of(page: Any, selector: str) -> list[dict[str, float]]:
    return list(page.evaluate(
        f"Array.from(document.querySelectorAll({json.dumps(selector)})).map(function(e){{"
        "var r=e.getBoundingClientRect();"
        "return {left:r.left,right:r.right,top:r.top,bottom:r.bottom,width:r.width};})"
    ))  # fmt: skip


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"] and b["left"] < a["right"]
        and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    )  # fmt: skip


def check_page(page: Any, map_name: str) -> None:
    """What a reader needs: every label shown, clear of the others and of the furniture;
    every ring inside the map and clear of the panel, header, legend and layer control."""
    page.wait_for_function("window.geoFramed === true")
    page.wait_for_function(f"!{map_name}._animatingZoom")
    labels = rect_of(page, ".geo-distance-label")
    hidden = page.locator(".geo-distance-label.geo-label-hidden").count()
    assert labels and hidden == 0
    furniture = rect_of(page, ".geo-header, .geo-diff-panel, .geo-legend, .leaflet-control-layers")
    view = page.evaluate(
        f"(function(){{var r={map_name}.getContainer().getBoundingClientRect();"
        "return {left:r.left,right:r.right,top:r.top,bottom:r.bottom};})()"
    )
    for i, label in enumerate(labels):
        assert not any(overlaps(label, other) for other in labels[i + 1 :])
        assert not any(overlaps(label, box) for box in furniture)
    rings = rect_of(page, "path.geo-distance-ring, path.geo-distance-ring-earlier")
    assert rings
    for ring in rings:
        assert view["left"] <= ring["left"] and ring["right"] <= view["right"]
        assert view["top"] <= ring["top"] and ring["bottom"] <= view["bottom"]
        assert not any(overlaps(ring, box) for box in furniture)


def map_name(text: str) -> str:
    names = re.findall(r"var (map_[0-9a-f]+) = L\.map\(", text)
    assert len(names) == 1
    return str(names[0])


def test_rings_in_chromium(browser: Any, store_dir: Path, gaz_file: Path, tmp_path: Path) -> None:
    store = front_store(store_dir)
    rings = distances(store, [1, 2, 3], gazetteer=gaz_file)
    d = geo.diff(store.get("russian_control", day(0)), store.get("russian_control", day(90)))
    path = save_html(diff_map(d, tiles=None, rings=rings), tmp_path / "rings.html")
    name = map_name(path.read_text(encoding="utf-8"))
    page = browser.open(path)
    check_page(page, name)
    shown = page.locator(".geo-distance-label").all_inner_texts()
    latest = rings.latest().set_index("geonames_id")
    assert shown[0].startswith(f"Targetivka {latest.loc[1, 'distance_km']:.1f} km\ncloser by")
    assert shown[1] == "Heldove 0.0 km (inside)"
    assert page.locator("path.geo-distance-ring-earlier").count() == 2
    browser.screenshot("distance-rings")
    # the marker's popup gives every figure
    page.locator("path.geo-distance-place").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Targetivka" in popup.inner_text() and "1 Jul 2024: " in popup.inner_text()
    assert "naive date of 0 km" in popup.inner_text()
    # the layer control hides the solid rings with their labels, and the dashed ones apart
    solid = page.locator(".leaflet-control-layers label", has_text="(solid)")
    solid.locator("input").uncheck()
    page.wait_for_function("document.querySelectorAll('.geo-distance-label').length === 0")
    assert page.locator("path.geo-distance-ring-earlier").count() == 2
    solid.locator("input").check()
    page.wait_for_function("document.querySelectorAll('.geo-distance-label').length === 3")
    # a narrow screen collapses the panel; the labels and rings still keep clear of everything
    page = browser.open(path, viewport=(700, 600))
    browser.screenshot("distance-rings-narrow")
    check_page(page, name)


def readme_map_command() -> list[str]:
    """The README's ``geo distance ... --map`` example, as words (``geo`` dropped)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    (block,) = [b for b in blocks if "geo distance" in b and "--map" in b]
    words = shlex.split(block.replace("\\\n", " "))
    assert words[0] == "geo"
    return words[1:]


@pytest.mark.realdata
def test_real_rings_as_the_readme_shows(  # type: ignore[no-untyped-def]
    deepstate_daily_store, shared_path, browser, tmp_path, monkeypatch
) -> None:
    """DeepState daily, 1 Mar -> 1 Sep 2025: Pokrovsk, Kostiantynivka, Druzhkivka, Kramatorsk.

    The README's command as written (its store and gazetteer swapped for the test's), and
    the figures the README quotes.
    """
    gazetteer = shared_path("places", "geonames-UA.txt.gz")
    monkeypatch.chdir(tmp_path)
    swap = {"/tmp/ds": str(deepstate_daily_store.path), "$GAZ": str(gazetteer)}
    args = [swap.get(w, w) for w in readme_map_command()]
    run = CliRunner().invoke(cli, [*args, "--json"])
    assert run.exit_code == 0, run.output
    out = tmp_path / "front.html"
    assert "wrote front.html" in run.stderr
    rows = json.loads(run.stdout)["rows"]
    last = {r["geonames_id"]: r for r in rows if r["date"] == "2025-09-01"}
    first = {r["geonames_id"]: r for r in rows if r["date"] == "2025-03-01"}
    # Pokrovsk, Kostiantynivka, Druzhkivka, Kramatorsk
    assert list(last) == list(first) == [704422, 705104, 616743, 704508]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for gid in last:
        quoted = (
            f"{last[gid]['place']} {first[gid]['distance_km']:.1f} → "
            f"{last[gid]['distance_km']:.1f} km"
        )
        assert quoted in " ".join(readme.split()), quoted
    text = out.read_text(encoding="utf-8")
    assert "Russian-controlled territory, DeepStateMap.Live, 1 Mar → 1 Sep 2025" in text
    assert "Russian gains 2,344 km² · Ukrainian gains 11 km² · Net +2,333 km²" in text
    # every ring on the page at its place's computed distance (Geod.inv, within 0.1 km)
    centres = {gid: (r["lon"], r["lat"]) for gid, r in last.items()}
    drawn = polygons(text)
    assert len(drawn) == 8
    for latlngs, options in drawn:
        at = last if options["className"] == "geo-distance-ring" else first
        errors = {
            gid: np.abs(ring_radii_km(latlngs, *centres[gid]) - at[gid]["distance_km"]).max()
            for gid in centres
        }
        assert min(errors.values()) < 0.1, errors
    page = browser.open(out)
    check_page(page, map_name(text))
    shown = page.locator(".geo-distance-label").all_inner_texts()
    assert shown[0].startswith(f"Pokrovsk {last[704422]['distance_km']:.1f} km")
    assert shown[1].startswith(f"Kostyantynivka {last[705104]['distance_km']:.1f} km")
    browser.screenshot("distance-rings-deepstate-real")
