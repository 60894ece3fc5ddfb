"""Text from data never runs as Jinja template code in a page (issue 12's hardening, round 2).

branca's ``Element(text)`` reads its text as a template, and ``MacroElement.render``
wraps every piece it renders in one again: a layer, source, region, place or title
holding ``{{ ... }}`` ran on the machine building the page (``os`` is in reach of
Jinja's globals). Each map kind is built here with such text in every slot it has,
and must show the text as written and run none of it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pytest
from conftest import make_snapshot
from shapely.geometry import box

from geo.diff import diff
from geo.frontline import frontline
from geo.ledger import ledger
from geo.places import places_changed
from geo.render import (
    compare_map,
    diff_map,
    frontline_map,
    ledger_map,
    save_html,
    snapshot_map,
    timeline_map,
)
from geo.render.layout import MapScript, RawHTML
from geo.store import Store, open_store
from geo.text import escape_text, script_json

#: Three kinds of Jinja tag; evaluated they would leave the markers below in the page.
JINJA = (
    '{{ "Jin" ~ "jaRan" }} {% if 1 %}Tpl{{ "Ran" }}{% endif %}{# gone #}'
    ' {{ cycler.__init__.__globals__.os.path.join("Py", "Ran") }}'
)
RAN = ("JinjaRan", "TplRan", "Py/Ran")
SHOWN = html.escape('"Jin" ~ "jaRan" }}')  # what is left readable after "{{ " in HTML
COUNTRY = box(37.0, 48.0, 38.0, 49.0)


def regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"region": [JINJA]}, geometry=[COUNTRY], crs=4326)


def snaps(source: str = JINJA, layer: str = "russian_control") -> list[Any]:
    return [
        make_snapshot(box(37.2, 48.2, 37.5 + 0.1 * k, 48.6), 7 * k, source=source, layer=layer)
        for k in range(3)
    ]


def rendered(fmap: Any) -> str:
    return str(fmap.get_root().render())


def check(page: str) -> None:
    for marker in RAN:
        assert marker not in page, f"{marker!r}: data text ran as a template"
    assert SHOWN in page or script_json(JINJA)[1:-1] in page, "the text is shown as written"


def test_escaping_keeps_jinja_tags_out_of_html_and_script_json() -> None:
    assert "{" not in escape_text(JINJA)
    assert html.unescape(escape_text(JINJA)) == JINJA
    for tag in ("{{", "{%", "{#"):
        assert tag not in script_json({"name": JINJA}) and tag not in script_json([JINJA, "{{{"])
    assert script_json({"a": {"b": [{"c": "{{x}}"}]}}, compact=True) == (
        '{"a":{"b":[{"c":"\\u007b{x}}"}]}}'
    )


def test_raw_html_and_map_scripts_are_written_as_given(tmp_path: Path) -> None:
    fmap = folium.Map(tiles=None)
    page = fmap.get_root()
    page.html.add_child(RawHTML(f"<p>{JINJA}</p>"))  # e.g. a caller's own finished HTML
    MapScript(f"var note = {JINJA!r};").add_to(fmap)
    text = save_html(fmap, tmp_path / "raw.html").read_text(encoding="utf-8")
    assert f"<p>{JINJA}</p>" in text and f"var note = {JINJA!r};" in text


def test_snapshot_map(tmp_path: Path) -> None:
    layer = snaps(layer=JINJA)[:1]
    fmap = snapshot_map(layer, regions=regions(), region_names=[JINJA], title=JINJA,
                        subtitle=JINJA, notice=JINJA, attribution=JINJA, tiles=None)  # fmt: skip
    check(rendered(fmap))
    check(save_html(fmap, tmp_path / "s.html").read_text(encoding="utf-8"))
    shown = fmap._repr_html_()  # what Jupyter shows: the page in an iframe's srcdoc
    check(html.unescape(shown.split('srcdoc="', 1)[1].split('"', 1)[0]))


def test_diff_map() -> None:
    a, _, b = snaps(layer=JINJA)
    fmap = diff_map(diff(a, b, regions=regions()), regions=regions(), title=JINJA,
                    subtitle=JINJA, notice=JINJA, attribution=JINJA, tiles=None)  # fmt: skip
    check(rendered(fmap))


def test_timeline_map() -> None:
    fmap = timeline_map({JINJA: snaps()}, regions=regions(), title=JINJA, subtitle=JINJA,
                        notice=JINJA, attribution=JINJA, tiles=None)  # fmt: skip
    check(rendered(fmap))


@pytest.mark.parametrize("mode", ["side-by-side", "swipe"])
def test_compare_map(mode: Any) -> None:
    a, _, b = snaps(layer=JINJA)
    fmap = compare_map(a, b, mode=mode, regions=regions(), title=JINJA, subtitle=JINJA,
                       notice=JINJA, left_label=JINJA, right_label=JINJA, tiles=None)  # fmt: skip
    check(rendered(fmap))


def test_frontline_map() -> None:
    a, _, b = snaps()
    lines = [frontline(a, COUNTRY), frontline(b, COUNTRY)]
    check(rendered(frontline_map(lines, area=b, regions=regions(), title=JINJA, notice=JINJA,
                                 attribution=JINJA, tiles=None)))  # fmt: skip


def test_ledger_map_and_places_on_a_diff_map(store_dir: Path, tmp_path: Path) -> None:
    gaz = tmp_path / "UA.txt"
    fields = ["1", JINJA, JINJA, JINJA, "48.4", "37.55", "P", "PPL", "UA", "", "05",
              "", "", "", "100", "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    gaz.write_text("\t".join(fields) + "\n", encoding="utf-8")
    store: Store = open_store(store_dir)
    a, _, b = layer = snaps(source="a")
    store.ingest(layer)
    summary = ledger(store, gazetteer=gaz, layers=["russian_control"]).summary
    assert summary["n_changes"].max() >= 1
    check(rendered(ledger_map(summary, regions=regions(), title=JINJA, notice=JINJA,
                              attribution=JINJA, tiles=None)))  # fmt: skip
    places = places_changed(store, "russian_control", a.date, b.date, gazetteer=gaz)
    assert len(places) == 1
    check(rendered(diff_map(diff(a, b), places=places, tiles=None)))


def test_title_reads_as_written_in_chromium(browser: Any, tmp_path: Path) -> None:
    path = save_html(timeline_map({"Russian control": snaps()}, title=JINJA, tiles=None),
                     tmp_path / "jinja.html")  # fmt: skip
    view = browser.open(path)
    assert view.locator(".geo-title").inner_text() == JINJA  # and no console error (fixture)
