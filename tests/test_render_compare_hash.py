"""Compare pages keep their view and swipe divider in the URL hash (a link opens them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from shapely.geometry import box

from geo.render import compare_map, save_html
from geo.snapshot import Provenance, Snapshot, make_features


def snap(day: dt.date, east: float) -> Snapshot:
    features = make_features([box(37.0, 48.0, east, 48.5)])
    return Snapshot("deepstate", "russian_control", day, features, Provenance("my.json"))


LEFT, RIGHT = snap(dt.date(2024, 8, 15), 37.5), snap(dt.date(2025, 3, 15), 37.8)


def test_swipe_link_opens_view_and_divider(browser: Any, tmp_path: Path) -> None:
    out = save_html(compare_map(LEFT, RIGHT, mode="swipe", tiles=None), tmp_path / "swipe.html")
    page = browser.open(out, fragment="pos=0.25&map=9/48.2500/37.3000")
    assert page.locator(".geo-swipe-range").input_value() == "0.25"
    line = page.locator(".geo-swipe-line").bounding_box()
    width = page.evaluate("window.innerWidth")
    assert line is not None and abs(line["x"] - (14 + 0.25 * (width - 28))) < 3
    view = page.evaluate(
        "(() => { const m = Object.values(window).find(v => v instanceof L.Map);"
        " const c = m.getCenter(); return [m.getZoom(), c.lat, c.lng]; })()"
    )
    assert view[0] == 9 and abs(view[1] - 48.25) < 1e-3 and abs(view[2] - 37.3) < 1e-3
    page.evaluate(  # the divider's handle is dragged: the range's own input event
        "(() => { const r = document.querySelector('.geo-swipe-range'); r.value = 0.6;"
        " r.dispatchEvent(new Event('input')); })()"
    )
    page.wait_for_function("location.hash.includes('&pos=0.600')")
    assert page.evaluate("location.hash").startswith("#dates=2024-08-15,2025-03-15&map=9/48.25")


def test_side_by_side_link_opens_the_view_on_both_maps(browser: Any, tmp_path: Path) -> None:
    out = save_html(compare_map(LEFT, RIGHT, tiles=None), tmp_path / "dual.html")
    page = browser.open(out, fragment="map=8/48.3000/37.4000")
    zooms = page.evaluate(
        "Object.values(window).filter(v => v instanceof L.Map).map(m => m.getZoom())"
    )
    assert zooms == [8, 8], "Leaflet.Sync carries the view to the other map"
    page.evaluate(
        "Object.values(window).filter(v => v instanceof L.Map)[1].setZoom(7, {animate: false})"
    )
    page.wait_for_function("location.hash.includes('&map=7/')")
    assert "pos=" not in page.evaluate("location.hash"), "no divider side by side"
    browser.screenshot("compare-hash-side-by-side")
