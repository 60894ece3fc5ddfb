"""The ``geo`` command, end to end through click's runner and a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

from geo.cli import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_fc(path: Path, layer: str, geometry: Any = None) -> Path:
    geom = mapping(geometry if geometry is not None else box(37.0, 48.0, 37.5, 48.5))
    data = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"layer": layer}, "geometry": geom}],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_ingest_then_list_json(tmp_path: Path, store_dir: Path) -> None:
    write_fc(tmp_path / "20240101.geojson", "VIEW_RussiaCoTinUkraine_V3")
    write_fc(tmp_path / "20240102.geojson", "VIEW_RussiaCoTinUkraine_V3", box(37, 48, 37.6, 48.5))
    result = run("ingest", str(tmp_path), "--store", str(store_dir))
    assert result.exit_code == 0, result.output
    assert "added 2" in result.output
    again = run("ingest", str(tmp_path), "--store", str(store_dir))
    assert "added 0, unchanged 2" in again.output
    listed = run("list", "--store", str(store_dir), "--json")
    rows = json.loads(listed.output)
    assert [(r["source"], r["layer"], r["date"]) for r in rows] == [
        ("isw", "russian_control", "2024-01-01"),
        ("isw", "russian_control", "2024-01-02"),
    ]
    assert rows[1]["area_km2"] > rows[0]["area_km2"] > 0
    assert all(r["n_features"] == 1 for r in rows)


def test_bad_input_is_one_clear_line_and_nothing_is_ingested(
    tmp_path: Path, store_dir: Path
) -> None:
    write_fc(tmp_path / "20240101.geojson", "russian_control")
    (tmp_path / "broken_2024-01-02.geojson").write_text("{", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--store", str(store_dir)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1  # one problem, one line
    assert lines[0].startswith("error: 1 of 2 files could not be read: ")
    assert "broken_2024-01-02.geojson" in lines[0]
    listed = json.loads(run("list", "--store", str(store_dir), "--json").output)
    assert listed == []
    partial = CliRunner().invoke(
        cli, ["ingest", str(tmp_path), "--store", str(store_dir), "--skip-bad"]
    )
    assert partial.exit_code == 1
    assert len(json.loads(run("list", "--store", str(store_dir), "--json").output)) == 1


def test_date_and_layer_options(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "frontline.geojson"
    path.write_text(
        json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(box(37, 48, 38, 49))}),
        encoding="utf-8",
    )
    missing = CliRunner().invoke(cli, ["ingest", str(path), "--store", str(store_dir)])
    assert missing.exit_code == 1 and "--date" in missing.output
    ok = run(
        "ingest", str(path), "--store", str(store_dir), "--date", "2024-03-05",
        "--layer", "russian_control", "--source", "mine", "--json",
    )  # fmt: skip
    payload = json.loads(ok.output)
    assert payload["added"] == [
        {"source": "mine", "layer": "russian_control", "date": "2024-03-05"}
    ]


def test_demo_writes_a_synthetic_map(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = run("demo", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()) == out.resolve()
    html = out.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in html
    assert "Ukrainian-held ground in Russia" in html and "ukrainian_control_russia" not in html
    assert "Donetsk" in html


def test_offline_fetches_missing_assets_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.render import assets

    if assets.missing_assets():
        pytest.skip("map assets are not cached: run 'geo assets fetch'")
    fetched: list[bool] = []
    first = iter([["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]])
    monkeypatch.setattr(assets, "missing_assets", lambda *a, **k: next(first, []))
    monkeypatch.setattr(assets, "fetch_assets", lambda **k: fetched.append(True) or tmp_path)
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--offline", "--tiles", "none"])
    assert result.exit_code == 0, result.output
    assert fetched == [True]
    assert "fetching them from npm once" in result.stderr
    again = CliRunner().invoke(cli, ["demo", "-o", str(out), "--offline", "--tiles", "none"])
    assert again.exit_code == 0 and fetched == [True]  # cached now: no second fetch


def test_offline_demo_has_no_external_scripts(tmp_path: Path) -> None:
    from geo.render.assets import missing_assets

    if missing_assets():
        pytest.skip("map assets are not cached: run 'geo assets fetch'")
    out = tmp_path / "demo.html"
    result = run("demo", "-o", str(out), "--offline", "--tiles", "none")
    assert result.exit_code == 0, result.output
    from html.parser import HTMLParser

    html = out.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in html
    external: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "script" and found.get("src"):
                external.append(str(found["src"]))
            if tag == "link" and found.get("href"):
                external.append(str(found["href"]))

    Tags().feed(html)
    assert external == []


def test_layers_lists_vocabulary() -> None:
    output = run("layers").output
    assert "russian_control" in output and "contested" in output


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_console_script_runs(args: list[str]) -> None:
    exe = Path(sys.executable).with_name("geo")
    assert exe.exists(), "the geo console script is not installed"
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "geo" in done.stdout


# --- real archives -------------------------------------------------------------------------


@pytest.mark.realdata
def test_whole_deepstate_daily_archive(shared_data: Path, store_dir: Path) -> None:
    import datetime as dt

    import geopandas as gpd
    import shapely

    folder = shared_data / "control" / "deepstate" / "daily"
    result = run("ingest", str(folder), "--store", str(store_dir), "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["added"]) == 769
    rows = json.loads(run("list", "--store", str(store_dir), "--json").output)
    assert len(rows) == 769
    assert {(r["source"], r["layer"]) for r in rows} == {("deepstate-daily", "russian_control")}
    dates = [dt.date.fromisoformat(r["date"]) for r in rows]
    assert len(set(dates)) == 769
    every_day = {dates[0] + dt.timedelta(days=i) for i in range((dates[-1] - dates[0]).days + 1)}
    missing = sorted(every_day - set(dates))
    assert [d.isoformat() for d in missing] == [
        "2024-08-18", "2024-08-19", "2025-01-01", "2025-03-31", "2025-04-01",
        "2025-11-26", "2026-07-09",
    ]  # fmt: skip
    area = {r["date"]: r["area_km2"] for r in rows}
    # Figures from shared/data/README.md (Albers); ours are geodesic.
    for day, expected in [
        ("2024-12-31", 111_872),
        ("2025-06-01", 113_157),
        ("2026-08-22", 116_995),
    ]:
        assert area[day] == pytest.approx(expected, rel=3e-5)  # agrees to 2.6e-6
        # Independent: GDAL read, repair, Albers area.
        frame = gpd.read_file(
            f"/vsigzip/{folder}/deepstatemap_data_{day.replace('-', '')}.geojson.gz"
        )
        merged = shapely.union_all(shapely.make_valid(frame.geometry.values))
        albers = "+proj=aea +lat_0=48 +lon_0=35 +lat_1=45 +lat_2=52 +datum=WGS84"
        independent = gpd.GeoSeries([merged], crs=4326).to_crs(albers).area.iloc[0] / 1e6
        assert area[day] == pytest.approx(independent, rel=2e-6)  # agrees to 1.1e-7
    again = run("ingest", str(folder), "--store", str(store_dir))
    assert "added 0, unchanged 769" in again.output


@pytest.mark.realdata
def test_raw_deepstate_eras_through_geo_read(shared_data: Path) -> None:
    from geo.io import read

    folder = shared_data / "raw-formats" / "deepstate-map-history"
    for name in ("1648989208", "1685575455", "1748723682"):
        snaps = {s.layer: s for s in read(folder / f"{name}.geojson.gz")}
        assert {"russian_control", "russian_control_pre_2022"} <= set(snaps)
        assert all(s.source == "deepstate" for s in snaps.values())
        assert snaps["russian_control"].area_km2 > 40_000


def test_diff_and_stats_commands(tmp_path: Path, store_dir: Path) -> None:
    write_fc(tmp_path / "20240101.geojson", "russian_control", box(37.0, 48.0, 37.5, 48.5))
    write_fc(tmp_path / "20240110.geojson", "russian_control", box(37.1, 48.0, 37.7, 48.5))
    regions = tmp_path / "regions" / "regions.geojson"
    regions.parent.mkdir()
    regions.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": "Donetsk"},
                     "geometry": mapping(box(36.0, 47.0, 39.0, 49.0))},
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    assert run("ingest", str(tmp_path / "20240101.geojson"), str(tmp_path / "20240110.geojson"),
               "--store", str(store_dir)).exit_code == 0  # fmt: skip
    out = run(
        "diff", "--store", str(store_dir), "--layer", "russian_control",
        "--from", "2024-01-05", "--to", "2024-01-10", "--regions", str(regions), "--json",
    )  # fmt: skip
    data = json.loads(out.output)
    assert (data["from"], data["to"]) == ("2024-01-01", "2024-01-10")  # nearest on or before
    assert data["gained_km2"] > 0 and data["lost_km2"] > 0
    assert data["net_km2"] == pytest.approx(data["area_to_km2"] - data["area_from_km2"], abs=1e-3)
    assert {p["change"] for p in data["largest_changes"]} == {"gained", "lost"}
    assert max(p["area_km2"] for p in data["largest_changes"]) <= data["gained_km2"] + 1e-6
    lost_only = run(
        "diff", "--store", str(store_dir), "--layer", "russian_control", "--from", "2024-01-05",
        "--to", "2024-01-10", "--top", "1", "--top-change", "lost", "--json",
    )  # fmt: skip
    (patch,) = json.loads(lost_only.output)["largest_changes"]
    assert patch["change"] == "lost" and patch["area_km2"] <= data["lost_km2"] + 1e-6
    (region,) = data["regions"]
    assert region["region"] == "Donetsk"
    assert region["gained_km2"] == pytest.approx(data["gained_km2"], abs=1e-3)
    for key in ("area_from_km2", "area_to_km2", "lost_km2", "share_to_pct"):
        assert key in region
    text = run("diff", "--store", str(store_dir), "--layer", "russian_control",
               "--from", "2024-01-01", "--to", "2024-01-10").output  # fmt: skip
    assert "gained" in text and "Albers" in text
    series = run("stats", "--store", str(store_dir), "--layer", "russian_control",
                 "--format", "json").output  # fmt: skip
    rows = json.loads(series)["rows"]
    assert [r["date"] for r in rows] == ["2024-01-01", "2024-01-10"]
    assert rows[1]["gained_km2"] == pytest.approx(data["gained_km2"], abs=1e-3)
    missing = CliRunner().invoke(cli, ["diff", "--store", str(store_dir), "--layer", "contested",
                                       "--from", "2024-01-01", "--to", "2024-01-10"])  # fmt: skip
    assert missing.exit_code == 1 and missing.output.startswith("error:")


def test_frontline_command(tmp_path: Path, store_dir: Path) -> None:
    # Country: a 1x1 degree square; control: its eastern part, front along lon 37.6 / 37.5.
    regions = tmp_path / "country.geojson"
    regions.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": "Donetsk"},
                     "geometry": mapping(box(37.0, 48.0, 38.0, 49.0))},
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    write_fc(tmp_path / "20240101.geojson", "russian_control", box(37.6, 48.0, 38.0, 49.0))
    write_fc(tmp_path / "20240201.geojson", "russian_control", box(37.5, 48.0, 38.0, 49.0))
    for name in ("20240101.geojson", "20240201.geojson"):
        assert run("ingest", str(tmp_path / name), "--store", str(store_dir)).exit_code == 0
    out = tmp_path / "front.geojson"
    result = run(
        "frontline", "--store", str(store_dir), "--date", "2024-02-01", "--since", "2024-01-01",
        "--regions", str(regions), "-o", str(out), "--json",
    )  # fmt: skip
    data = json.loads(result.output)
    # The front is the meridian 37.5 between 48 and 49 N, less 1 km trimmed at each end.
    assert 105 < data["length_km"] < 111.2
    assert data["displacement"]["max_km"] == pytest.approx(7.4, abs=0.3)  # 0.1 deg at 48.5 N
    written = json.loads(out.read_text(encoding="utf-8"))
    assert len(written["features"]) == 2
    no_regions = CliRunner().invoke(
        cli, ["frontline", "--store", str(store_dir), "--date", "2024-02-01"]
    )
    assert no_regions.exit_code == 1 and "--regions" in no_regions.output


def test_map_command_every_kind(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir, sample_regions_file

    assert (
        run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample").exit_code
        == 0
    )
    base = ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none"]
    regions = ["--regions", str(sample_regions_file())]
    cases = {
        "snapshot": ["--date", "2025-03-15", *regions, "--png", str(tmp_path / "snapshot.png")],
        "diff": ["--from", "2024-08-15", "--to", "2025-03-15", *regions],
        "timeline": ["--timeline", "--start", "2024-10-01", "--png", str(tmp_path / "chart.svg")],
        "compare": ["--compare", "2024-08-15", "2025-03-15", "--swipe"],
    }
    for kind, extra in cases.items():
        out = tmp_path / f"{kind}.html"
        result = run(*base, *extra, "-o", str(out))
        assert result.exit_code == 0, (kind, result.output)
        html = out.read_text(encoding="utf-8")
        assert "SYNTHETIC SAMPLE DATA" in html, kind
        assert 'addAttribution("Data: SYNTHETIC SAMPLE DATA' in html, kind  # the data credit
    assert (tmp_path / "snapshot.png").stat().st_size > 10_000
    timeline = (tmp_path / "timeline.html").read_text(encoding="utf-8")
    # --start without a snapshot of its own begins at the state before it (Store.series)
    assert "15 Sep 2024" in timeline and "15 Aug 2024" not in timeline
    chart = (tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in chart and "Data: SYNTHETIC SAMPLE DATA" in chart
    both = CliRunner().invoke(cli, [*base, "--date", "2025-03-15", "--timeline", "-o", "x.html"])
    assert both.exit_code == 2 and "choose one of" in both.output


def test_map_writes_each_output_and_refuses_what_it_cannot(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir

    run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample")
    base = ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none"]
    out, svg = tmp_path / "diff.html", tmp_path / "diff.svg"
    made = run(
        *base, "--from", "2024-08-15", "--to", "2025-03-15", "-o", str(out), "--png", str(svg)
    )
    assert made.output.split() == [str(out), str(svg)]  # every file written, in order
    assert "geo-diff-panel" in out.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in svg.read_text(encoding="utf-8")
    dual = tmp_path / "dual.html"
    made = run(*base, "--compare", "2024-08-15", "2025-03-15", "-o", str(dual))
    page = dual.read_text(encoding="utf-8")
    assert made.output.split() == [str(dual)] and page.count("L.map(") == 2  # side by side
    assert ".sync(" in page and "◀ 15 Aug 2024" in page and "15 Mar 2025 ▶" in page
    only_png = run(*base, "--date", "2025-03-15", "--png", str(tmp_path / "only.png"))
    assert only_png.output.split() == [str(tmp_path / "only.png")]
    nothing = CliRunner().invoke(cli, [*base, "--date", "2025-03-15"])
    assert nothing.exit_code == 1
    assert nothing.output == "error: nothing to write: give an HTML path (-o) and/or --png FILE\n"
    static_compare = CliRunner().invoke(
        cli, [*base, "--compare", "2024-08-15", "2025-03-15", "-o", str(tmp_path / "c.html"),
              "--png", str(tmp_path / "c.png")],
    )  # fmt: skip
    assert static_compare.exit_code == 1 and "no static compare map" in static_compare.output
    assert not (tmp_path / "c.html").exists() and not (tmp_path / "c.png").exists()


def test_map_offline_fetches_then_inlines(
    tmp_path: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo import cli_maps
    from geo.render.assets import missing_assets
    from geo.sample import sample_dir

    if missing_assets():
        pytest.skip("map assets are not cached: run 'geo assets fetch'")
    run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample")
    calls: list[bool] = []
    monkeypatch.setattr(cli_maps, "ensure_offline_assets", lambda: calls.append(True))
    base = ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none"]
    missing = CliRunner().invoke(cli, [*base, "--date", "2020-01-01", "--offline", "-o", "x.html"])
    assert missing.exit_code == 1 and calls == []  # nothing to map: nothing fetched
    out = tmp_path / "offline.html"
    made = run(*base, "--timeline", "--offline", "-o", str(out))
    assert made.exit_code == 0 and calls == [True]
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page and "geo-tl-slider" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layer", "contested", "--from", "2024-01-01", "--to", "2024-02-01"],
         "a diff map (--from/--to) draws one layer: pass --layer once"),
        (["--date", "2024-01-01", "--start", "2024-01-01"],
         "--start/--end need --timeline: add it or drop them"),
        (["--compare", "2024-01-01", "2024-02-01", "--end", "2024-03-01"],
         "--start/--end need --timeline"),
        (["--date", "2024-01-01", "--swipe"], "--swipe needs --compare D1 D2: add it or drop"),
        (["--timeline", "--swipe"], "--swipe needs --compare"),
        (["--from", "2024-01-01", "--to", "2024-02-01", "--to-source", "b"],
         "--to-source needs --compare D1 D2"),
        (["--date", "2024-01-01", "--gazetteer", "{tmp}/UA.txt"],
         "--gazetteer needs a diff map: add --from/--to or drop it"),
        (["--date", "2024-01-01", "--region", "Donetsk"],
         "--region needs --regions FILE (the boundaries to pick it from)"),
        (["--date", "2024-01-01", "--lang", "de"], "'de' is not one of 'en', 'uk'"),
    ],
)  # fmt: skip
def test_map_refuses_options_its_kind_ignores(
    extra: list[str], message: str, tmp_path: Path, store_dir: Path
) -> None:
    (tmp_path / "UA.txt").write_text("", encoding="utf-8")
    out = tmp_path / "x.html"
    args = ["map", "--store", str(store_dir), "--layer", "russian_control", "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, *(e.format(tmp=tmp_path) for e in extra)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_map_words_regions_and_their_errors(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir, sample_regions_file

    run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample")
    regions = ["--regions", str(sample_regions_file())]
    base = ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none",
            "--from", "2024-08-15", "--to", "2025-03-15", *regions]  # fmt: skip
    out = tmp_path / "uk.html"
    made = run(*base, "--lang", "uk", "--title", "Заголовок", "--subtitle", "Підзаголовок",
               "--region", "Донецька область", "--region", "UA-09", "-o", str(out))  # fmt: skip
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    assert (
        '<div class="geo-title">Заголовок</div><div class="geo-subtitle">Підзаголовок</div>' in page
    )
    labels = re.search(r"labels=(\[.*?\]);", page)
    assert labels is not None
    assert sorted(key for *_, key in json.loads(labels.group(1))) == ["Donetsk", "Luhansk"]
    assert "Донецька обл." in page and "Просування Росії" in page
    rows = re.findall(r'<tr class="geo-region" data-region="([^"]+)"', page)
    assert set(rows) == {"Donetsk", "Luhansk"}  # the diff's table too, not Zaporizhzhia
    bad = CliRunner().invoke(cli, [*base, "--region", "Donettsk", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code == 1
    assert bad.output == "error: unknown region 'Donettsk'; closest among the regions: Donetsk\n"
    absent = CliRunner().invoke(cli, [*base, "--region", "Lviv", "-o", str(tmp_path / "x.html")])
    assert absent.exit_code == 1 and "'Lviv' (Lviv) is not among the regions given" in absent.output


def test_map_timeline_unknown_basemap_is_one_clear_line(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir

    run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample")
    out = tmp_path / "timeline.html"
    args = ["map", "--store", str(store_dir), "--layer", "russian_control", "--timeline"]
    for bad in ("Bogus.Name", "CartoDB.Positron"):
        result = CliRunner().invoke(cli, [*args, "--tiles", bad, "-o", str(out)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, bad
        assert "basemap" in result.output and "Traceback" not in result.output
    assert not out.exists()
    kept = run(*args, "--tiles", "OpenStreetMap", "-o", str(out))
    assert kept.exit_code == 0 and "tile.openstreetmap.org" in out.read_text(encoding="utf-8")


def test_places_command_and_diff_map_markers(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir

    assert (
        run("ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample").exit_code
        == 0
    )
    rows = [
        # id, name, ascii, alternates, lat, lon, class, code, country, cc2, admin1..4, pop, ...
        ["1", "Frontville", "Frontville", "Фронтове", "48.3", "37.6", "P", "PPL", "UA", "", "05",
         "", "", "", "12000", "", "200", "Europe/Kyiv", "2024-01-01"],
        ["2", "Quietburg", "Quietburg", "", "48.3", "37.1", "P", "PPL", "UA", "", "05",
         "", "", "", "500", "", "200", "Europe/Kyiv", "2024-01-01"],
    ]  # fmt: skip
    gazetteer = tmp_path / "UA.txt"
    gazetteer.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    out = run(
        "places", "--store", str(store_dir), "--layer", "russian_control",
        "--from", "2024-08-15", "--to", "2025-03-15", "--gazetteer", str(gazetteer), "--json",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    (place,) = json.loads(out.output)
    assert (place["name"], place["change"], place["geonames_id"]) == ("Frontville", "gained", 1)
    assert place["oblast"] == "Donetsk" and place["first_seen"] == "2025-01-15"
    html_path = tmp_path / "diff.html"
    made = run(
        "map", "--store", str(store_dir), "--layer", "russian_control", "--from", "2024-08-15",
        "--to", "2025-03-15", "--gazetteer", str(gazetteer), "--tiles", "none",
        "-o", str(html_path),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    html = html_path.read_text(encoding="utf-8")
    assert "geo-places-panel" in html and "Frontville" in html and "Quietburg" not in html


def test_map_compares_two_sources_on_one_date(tmp_path: Path, store_dir: Path) -> None:
    west = write_fc(tmp_path / "isw_20240301.geojson", "russian_control")
    east = write_fc(tmp_path / "ds_20240301.geojson", "russian_control", box(37.4, 48, 38, 48.5))
    for path, source in ((west, "isw"), (east, "deepstate_mirror")):
        assert (
            run("ingest", str(path), "--store", str(store_dir), "--source", source).exit_code == 0
        )
    out = tmp_path / "compare.html"
    result = run("map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none",
                 "--compare", "2024-03-01", "2024-03-01", "--source", "isw",
                 "--to-source", "deepstate_mirror", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "◀ Institute for the Study of War (ISW)<" in page and "deepstate_mirror ▶" in page
    title = "Russian-controlled territory, Institute for the Study of War (ISW) / deepstate_mirror"
    assert f"{title}, 1 Mar 2024" in page
    assert "Institute for the Study of War (ISW)" in page  # each side credits its source
