"""Every ``geo map`` kind x the options that change the page, loaded in a real browser.

Each case writes one page through the CLI (``geo map`` / ``geo demo``) from a tiny
generated store, opens it once in chromium (the ``browser`` fixture fails the
test on any console error or blocked request) and checks what a reader sees:
the human title (never ``russian_control (isw)``), subtitle and notice, the
credit line, the legend clear of the scale bar, region labels that do not
collide (and only the regions near the layer), and the focus of the map (the
layer, or the change of a diff) clear of the header, panels and legend.
Screenshots land in ``test-artifacts/matrix-<case>.png``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

from geo.cli import cli
from geo.io import read_many
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_control_files, sample_regions_file
from geo.store import open_store

D0, D7, D14 = "2024-07-01", "2024-07-08", "2024-07-15"

# Ground in Donetsk and Luhansk; Kursk is far from it and California farther.
REGIONS = {
    "Donetsk": box(37.0, 47.0, 38.5, 49.0),
    "Luhansk": box(38.5, 48.0, 40.0, 50.0),
    "Zaporizhzhia": box(35.0, 46.5, 37.0, 48.0),
    "Kharkiv": box(35.5, 49.0, 38.5, 50.3),
    "Kursk": box(34.0, 51.0, 36.0, 52.0),
    "California": box(-124.0, 32.0, -114.0, 42.0),
}
NEAR = {"Donetsk", "Luhansk", "Zaporizhzhia", "Kharkiv"}  # hold or border the ground
CONTROL = {
    0: box(37.5, 47.5, 38.8, 48.6),
    7: shapely.difference(box(37.3, 47.5, 38.8, 48.6), box(38.6, 47.5, 38.8, 47.7)),
    14: box(37.2, 47.4, 38.8, 48.7),
}
CONTESTED = {d: box(37.05 + 0.01 * d, 47.5, 37.2 + 0.01 * d, 48.6) for d in CONTROL}
PLACES = [  # id, name, ascii, alternates, lat, lon, class, code, country, ..., population
    ["1", "Frontville", "Frontville", "Фронтове", "48.0", "37.4", "P", "PPL", "UA", "", "05",
     "", "", "", "12000", "", "200", "Europe/Kyiv", "2024-01-01"],
    ["2", "Backton", "Backton", "", "47.6", "38.7", "P", "PPL", "UA", "", "05",
     "", "", "", "3000", "", "200", "Europe/Kyiv", "2024-01-01"],
]  # fmt: skip

ISW = "Institute for the Study of War (ISW)"
TITLE_EN = f"Russian-controlled territory, {ISW}"
TITLE_UK = f"Територія під контролем Росії, {ISW}"


@dataclasses.dataclass(frozen=True)
class Case:
    """One page: the ``geo map`` arguments and what the reader must see."""

    id: str
    kind: str  # snapshot, diff, timeline, compare, demo
    args: tuple[str, ...]
    title: str | None = None  # the title shown, None: only checked to be human
    subtitle: str | None = None
    notice: bool = False  # the sample's notice
    tiles: bool = False
    offline: bool = False
    labels: frozenset[str] = frozenset()  # region keys that may be labelled (empty: none)
    credit: str = f"Data: {ISW}"
    uk: bool = False
    panel: bool = False
    places: bool = False


REG = ("--regions", "{regions}")
SAMPLE = ("--source", SAMPLE_SOURCE, "--regions", "{sample_regions}")
SAMPLE_CREDIT = "Data: SYNTHETIC SAMPLE DATA"
SAMPLE_LABELS = frozenset({"Donetsk", "Luhansk", "Zaporizhzhia", "Kherson", "Kursk", "Crimea"})
CASES = [
    # --- snapshot ---
    Case("snapshot-plain", "snapshot", ("--date", D7, "--source", "isw"),
         title=f"{TITLE_EN}, 8 Jul 2024"),
    Case("snapshot-osm-regions", "snapshot", ("--date", D7, "--source", "isw", *REG),
         tiles=True, labels=frozenset(NEAR), title=f"{TITLE_EN}, 8 Jul 2024"),
    Case("snapshot-layers-uk-title", "snapshot",
         ("--date", D7, "--source", "isw", "--layer", "contested", *REG, "--lang", "uk",
          "--title", "Окупація, 8 липня", "--subtitle", "Тестова карта"),
         title="Окупація, 8 липня", subtitle="Тестова карта", labels=frozenset(NEAR), uk=True),
    Case("snapshot-offline-region", "snapshot",
         ("--date", D7, "--source", "isw", *REG, "--region", "Kursk", "--offline"),
         offline=True, labels=frozenset({"Kursk"})),
    Case("snapshot-sample", "snapshot", ("--date", "2025-03-15", *SAMPLE), notice=True,
         credit=SAMPLE_CREDIT, labels=SAMPLE_LABELS),
    # --- diff ---
    Case("diff-plain", "diff", ("--from", D0, "--to", D7, "--source", "isw"),
         title=f"{TITLE_EN}, 1 Jul → 8 Jul 2024", panel=True),
    Case("diff-osm-regions", "diff", ("--from", D0, "--to", D14, "--source", "isw", *REG),
         tiles=True, labels=frozenset(NEAR), title=f"{TITLE_EN}, 1 Jul → 15 Jul 2024", panel=True),
    Case("diff-uk-subtitle", "diff",
         ("--from", D0, "--to", D7, "--source", "isw", *REG, "--lang", "uk",
          "--subtitle", "Що змінилося"),
         title=f"{TITLE_UK}, 1 липня → 8 липня 2024", subtitle="Що змінилося", uk=True,
         labels=frozenset(NEAR), panel=True),
    Case("diff-offline", "diff", ("--from", D0, "--to", D14, "--source", "isw", "--offline"),
         offline=True, panel=True),
    Case("diff-places-regions", "diff",
         ("--from", D0, "--to", D7, "--source", "isw", *REG, "--gazetteer", "{gazetteer}"),
         labels=frozenset(NEAR), panel=True, places=True),
    Case("diff-places-offline-uk-osm", "diff",
         ("--from", D0, "--to", D7, "--source", "isw", "--gazetteer", "{gazetteer}",
          "--offline", "--lang", "uk"),
         offline=True, uk=True, panel=True, places=True),
    Case("diff-sample", "diff", ("--from", "2024-08-15", "--to", "2025-03-15", *SAMPLE),
         notice=True, credit=SAMPLE_CREDIT, labels=SAMPLE_LABELS, panel=True),
    Case("diff-named-region", "diff",
         ("--from", D0, "--to", D7, "--source", "isw", *REG, "--region", "Donetska"),
         labels=frozenset({"Donetsk"}), panel=True),
    # --- timeline (the page is i13-timeline's; here: it loads clean with each option) ---
    Case("timeline-plain", "timeline", ("--timeline", "--source", "isw"),
         title=f"{TITLE_EN}, 1 Jul → 15 Jul 2024"),
    Case("timeline-osm-regions-layers", "timeline",
         ("--timeline", "--source", "isw", "--layer", "contested", *REG), tiles=True,
         labels=frozenset(NEAR)),
    Case("timeline-offline-title", "timeline",
         ("--timeline", "--source", "isw", "--offline", "--title", "Two weeks"),
         title="Two weeks", offline=True),
    Case("timeline-sample", "timeline", ("--timeline", *SAMPLE), notice=True,
         credit=SAMPLE_CREDIT, labels=SAMPLE_LABELS),
    # --- compare, side by side ---
    Case("compare-plain", "compare", ("--compare", D0, D14, "--source", "isw"),
         title=f"{TITLE_EN}, 1 Jul → 15 Jul 2024"),
    Case("compare-osm-regions-uk", "compare",
         ("--compare", D0, D14, "--source", "isw", *REG, "--lang", "uk"), tiles=True, uk=True,
         labels=frozenset(NEAR), title=f"{TITLE_UK}, 1 липня → 15 липня 2024"),
    Case("compare-sources", "compare",
         ("--compare", D7, D7, "--source", "isw", "--to-source", "deepstate", *REG),
         title=f"{TITLE_EN} / DeepStateMap.Live, 8 Jul 2024", labels=frozenset(NEAR),
         credit=f"Data: {ISW}; DeepStateMap.Live"),
    Case("compare-offline-layers", "compare",
         ("--compare", D0, D7, "--source", "isw", "--layer", "contested", "--offline"),
         offline=True),
    # --- compare, swipe ---
    Case("swipe-plain", "compare", ("--compare", D0, D14, "--source", "isw", "--swipe"),
         title=f"{TITLE_EN}, 1 Jul → 15 Jul 2024"),
    Case("swipe-regions-layers-title", "compare",
         ("--compare", D0, D14, "--source", "isw", "--swipe", "--layer", "contested", *REG,
          "--title", "Front, two weeks", "--subtitle", "Drag the divider"),
         title="Front, two weeks", subtitle="Drag the divider", labels=frozenset(NEAR)),
    Case("swipe-offline-sample", "compare",
         ("--compare", "2024-08-15", "2025-03-15", "--swipe", "--offline", *SAMPLE), offline=True,
         notice=True, credit=SAMPLE_CREDIT, labels=SAMPLE_LABELS),
    # --- demo ---
    Case("demo-osm", "demo", (), tiles=True, notice=True, credit=SAMPLE_CREDIT,
         labels=SAMPLE_LABELS, subtitle="geo demo"),
    Case("demo-offline", "demo", ("--offline", "--tiles", "none"), offline=True, notice=True,
         credit=SAMPLE_CREDIT, labels=SAMPLE_LABELS, subtitle="geo demo"),
]  # fmt: skip


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny store (isw, deepstate and the bundled sample), regions and a gazetteer."""
    root = tmp_path_factory.mktemp("matrix")
    store = open_store(root / "store")
    snaps = [make_snapshot(g, d, source="isw") for d, g in CONTROL.items()]
    snaps += [make_snapshot(g, d, source="isw", layer="contested") for d, g in CONTESTED.items()]
    snaps += [make_snapshot(shapely.affinity.translate(g, 0.05), d, source="deepstate")
              for d, g in CONTROL.items()]  # fmt: skip
    sample = read_many(sample_control_files(), source=SAMPLE_SOURCE)
    sample.raise_for_problems()
    store.ingest([*snaps, *sample.snapshots])
    regions = root / "regions.geojson"
    gpd.GeoDataFrame({"name": list(REGIONS)}, geometry=list(REGIONS.values()), crs=4326).to_file(
        regions
    )
    gazetteer = root / "UA.txt"
    gazetteer.write_text("".join("\t".join(r) + "\n" for r in PLACES), encoding="utf-8")
    return {"root": root, "store": root / "store", "regions": regions, "gazetteer": gazetteer,
            "sample_regions": sample_regions_file()}  # fmt: skip


def write_page(case: Case, inputs: dict[str, Path]) -> Path:
    out = inputs["root"] / f"{case.id}.html"
    args = [a.format(**{k: str(v) for k, v in inputs.items()}) for a in case.args]
    if case.kind == "demo":
        command = ["demo", "-o", str(out), *args]
    else:
        command = ["map", "--store", str(inputs["store"]), "-o", str(out), *args]
        if "--layer" not in args[:1]:
            command[1:1] = ["--layer", "russian_control"]
        if not case.tiles and "--tiles" not in args:
            command += ["--tiles", "none"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    return out


_PAGE_STATE = """() => {
  const rect = e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const shown = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const all = sel => [...document.querySelectorAll(sel)].filter(shown).map(rect);
  const text = sel => [...document.querySelectorAll(sel)].map(e => e.innerText);
  const labels = [...document.querySelectorAll('.geo-region-label')].map(e => ({
    text: e.innerText, key: e.dataset.region, rank: +e.dataset.rank,
    hidden: e.classList.contains('geo-label-hidden'), box: rect(e),
    map: rect(e.closest('.leaflet-container'))}));
  const focus = Object.entries(window.geoFocus || {}).map(([name, b]) => {
    const m = window[name], c = m.getContainer().getBoundingClientRect();
    const p = m.latLngToContainerPoint(b[0]), q = m.latLngToContainerPoint(b[1]);
    return [c.left + Math.min(p.x, q.x), c.top + Math.min(p.y, q.y),
            c.left + Math.max(p.x, q.x), c.top + Math.max(p.y, q.y)]; });
  return {attribution: all('.leaflet-control-attribution'), title: text('.geo-title'),
    subtitle: text('.geo-subtitle'), notice: text('.geo-notice'),
    credit: text('.leaflet-control-attribution'), legend: all('.geo-legend'),
    scale: all('.leaflet-control-scale'), obstacles: all(
      '.geo-header, .geo-diff-panel, .geo-legend, .leaflet-control-layers, .geo-side-label'),
    panel: all('.geo-diff-panel'), labels, focus, body: document.body.innerText};
}"""


def overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    """Whether two [left, top, right, bottom] boxes overlap by more than ``slack`` px."""
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def check_labels(state: dict[str, Any], case: Case) -> None:
    """Only the expected regions are labelled; visible labels never overlap; hidden ones lost
    to a larger region's label, a panel or the map's edge (the declutter rule)."""
    labels = state["labels"]
    keys = {label["key"] for label in labels}
    assert keys <= case.labels, f"labels of regions that neither hold nor border: {keys}"
    if case.labels and case.kind != "timeline":
        assert keys, "regions given, but no labels"
    assert "California" not in state["body"]
    visible = [label for label in labels if not label["hidden"]]
    for i, a in enumerate(visible):
        for b in visible[i + 1 :]:
            if a["map"] == b["map"]:
                assert not overlap(a["box"], b["box"]), (a["text"], b["text"])
        for obstacle in state["obstacles"]:
            assert not overlap(a["box"], obstacle), (a["text"], "covered by a panel")
    for label in labels:
        if not label["hidden"] or case.kind == "timeline":
            continue
        (left, top, right, bottom), edges = label["box"], label["map"]
        inside = edges[0] <= left and right <= edges[2] and edges[1] <= top and bottom <= edges[3]
        lost_to = [v for v in visible if v["map"] == label["map"] and v["rank"] < label["rank"]
                   and overlap(v["box"], label["box"], slack=-4)]  # fmt: skip
        covered = [o for o in state["obstacles"] if overlap(o, label["box"], slack=-4)]
        assert lost_to or covered or not inside, f"{label['text']} hidden for no reason"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_map_page(case: Case, inputs: dict[str, Path], browser: Any) -> None:
    path = write_page(case, inputs)
    page = browser.open(path, offline=case.offline)
    if case.kind == "timeline":
        page.wait_for_selector(".geo-tl-date")
    else:
        page.wait_for_function("window.geoFramed === true")
    page.wait_for_timeout(150)  # the declutter after the last move
    state = page.evaluate(_PAGE_STATE)
    browser.screenshot(f"matrix-{case.id}")
    # words: human, in the language asked for, with the credit and the sample's notice
    (title,) = state["title"]
    if case.title is not None:
        assert title == case.title
    assert "russian_control" not in state["body"] and "(isw)" not in state["body"]
    assert (
        ("Територія" in title or "Окупація" in title)
        if case.uk
        else "Russian" in title or (case.title is not None or case.kind == "demo")
    )
    assert state["subtitle"] == ([case.subtitle] if case.subtitle else state["subtitle"])
    assert bool(state["notice"]) == case.notice
    if case.notice:
        assert SAMPLE_NOTICE in state["notice"][0]
    assert all(case.credit in text for text in state["credit"]) and state["credit"]
    # network: tiles only when asked for, nothing at all offline
    assert bool(browser.tile_requests) == (case.tiles and not case.offline)
    if case.offline:
        assert not browser.served_assets
    # layout: legend above the scale bar, focus clear of every panel
    if case.kind != "timeline":
        assert state["legend"] and state["scale"]
        for legend in state["legend"]:
            for scale in state["scale"]:
                assert not overlap(legend, scale), "legend over the scale bar"
                assert legend[3] <= scale[1] + 1, "legend stacked above the scale bar"
        assert state["focus"], "the map says what it is framed on"
        for focus in state["focus"]:
            for obstacle in state["obstacles"]:
                assert not overlap(focus, obstacle), f"focus {focus} under {obstacle}"
    for scale in state["scale"]:
        for credit in state["attribution"]:
            assert not overlap(scale, credit), "the credit line covers the scale bar"
    assert bool(state["panel"]) == case.panel
    if case.places:
        assert "Frontville" in state["body"] and "Backton" in state["body"]
        assert ("Населені пункти" if case.uk else "Places that changed hands") in state["body"]
    if case.uk:
        assert "Russian" not in state["body"]
    check_labels(state, case)


# --- the declutter rule and the panel on a small screen -------------------------------------


def test_overlapping_labels_keep_the_larger_region(inputs: dict[str, Path], browser: Any) -> None:
    from geo.render import save_html, snapshot_map

    regions = gpd.GeoDataFrame(
        {"region": ["Big region with a long name", "Small region with a long name"]},
        geometry=[box(37.0, 47.5, 38.5, 48.5), box(38.5, 47.9, 38.8, 48.1)],  # labels at 48° N
        crs=4326,
    )
    ground = make_snapshot(box(37.5, 47.8, 38.6, 48.2), source="isw")
    path = save_html(snapshot_map(ground, regions=regions, tiles=None),
                     inputs["root"] / "collide.html")  # fmt: skip
    page = browser.open(path)
    page.wait_for_function("window.geoFramed === true")
    (name,) = page.evaluate("Object.keys(window.geoFocus)")
    page.evaluate(f"{name}.setZoom(6, {{animate: false}})")  # far out: the labels collide
    page.wait_for_timeout(100)
    hidden = page.evaluate(
        "[...document.querySelectorAll('.geo-region-label')]"
        ".map(e => [e.textContent, e.classList.contains('geo-label-hidden')])"
    )
    assert dict(hidden) == {"Big region with a long name": False,
                            "Small region with a long name": True}  # fmt: skip
    browser.screenshot("labels-collide")
    page.evaluate(f"{name}.setZoom(10, {{animate: false}})")  # close in: room for both
    page.wait_for_timeout(100)
    shown = page.evaluate(
        "[...document.querySelectorAll('.geo-region-label')]"
        ".filter(e => !e.classList.contains('geo-label-hidden')).length"
    )
    assert shown == 2


def test_panel_collapses_on_a_small_screen(inputs: dict[str, Path], browser: Any) -> None:
    case = next(c for c in CASES if c.id == "diff-osm-regions")
    path = write_page(dataclasses.replace(case, id="diff-small"), inputs)
    page = browser.open(path, viewport=(520, 640))
    page.wait_for_function("window.geoFramed === true")
    state = page.evaluate(_PAGE_STATE)
    browser.screenshot("matrix-diff-small-screen")
    panel = page.locator(".geo-diff-panel")
    assert "geo-collapsed" in (panel.get_attribute("class") or "")
    assert page.locator(".geo-panel-toggle").inner_text() == "Show"
    for focus in state["focus"]:
        for obstacle in state["obstacles"]:
            assert not overlap(focus, obstacle)
    page.click(".geo-panel-toggle")  # the reader can open it again
    assert "geo-collapsed" not in (panel.get_attribute("class") or "")
    assert page.locator(".geo-regions").is_visible()


# --- real data: DeepState daily, OCHA oblasts + Natural Earth's world admin-1, GeoNames -------


@pytest.mark.realdata
def test_real_deepstate_diff_with_world_regions_and_places(
    shared_path: Any, tmp_path: Path, browser: Any
) -> None:
    daily = shared_path("control", "deepstate", "daily")
    store = tmp_path / "store"
    files = [daily / f"deepstatemap_data_{d}.geojson.gz" for d in ("20241231", "20250601")]
    ingest = CliRunner().invoke(cli, ["ingest", *map(str, files), "--store", str(store)])
    assert ingest.exit_code == 0, ingest.output
    out = tmp_path / "real.html"
    result = CliRunner().invoke(cli, [
        "map", "--store", str(store), "--layer", "russian_control", "--from", "2025-01-01",
        "--to", "2025-06-01", "--tiles", "none", "-o", str(out),
        "--regions", str(shared_path("regions", "ukraine-ocha-codab-2017",
                                     "ukr_admbnda_adm1_q2_sspe_20171221.shp")),
        "--regions", str(shared_path("regions", "natural-earth-50m",
                                     "ne_50m_admin_1_states_provinces.geojson")),
        "--gazetteer", str(shared_path("places", "geonames-UA.txt.gz")),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = browser.open(out)
    page.wait_for_function("window.geoFramed === true")
    page.wait_for_timeout(150)
    state = page.evaluate(_PAGE_STATE)
    browser.screenshot("matrix-real-deepstate-diff")
    assert state["title"] == [
        "Russian-controlled territory, DeepStateMap.Live, 31 Dec 2024 → 1 Jun 2025"
    ]
    assert state["subtitle"] == ["Russian gains 1,294 km² · Ukrainian gains 9 km² · Net +1,285 km²"]
    keys = {label["key"] for label in state["labels"]}
    assert {"Donetsk", "Luhansk", "Zaporizhzhia", "Kherson", "Crimea", "Rostov", "Belgorod"} <= keys
    assert len(keys) <= 16  # not ~320 world provinces
    check_labels(state, dataclasses.replace(CASES[0], labels=frozenset(keys), kind="diff"))
    for focus in state["focus"]:
        for obstacle in state["obstacles"]:
            assert not overlap(focus, obstacle)
    assert "Places that changed hands" in state["body"]
    assert "Kamchatka" not in state["body"] and "California" not in state["body"]
