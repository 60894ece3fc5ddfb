"""Tests of geo.sources.deepstate_api against a fake DeepState API on 127.0.0.1.

The fixtures are written here in DeepState's real formats (the history
listing, the ``{"id", "datetime", "map"}`` wrapper, trilingual polygon names,
3-D coordinates, the ``areas`` list); the real-data test serves a raw
snapshot of ``../shared/data`` through the same fake API.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import shapely
from click.testing import CliRunner
from http_server import FixtureServer, Reply
from test_deepstate import polygon, ring

from geo import catalog
from geo.cli import cli
from geo.errors import FetchError, OfflineError
from geo.geometry import geodesic_area_km2
from geo.sources.deepstate_api import (
    BASE_URL_ENV,
    DeepStateApiError,
    TermsNotAcceptedError,
    Version,
    base_url,
    fetch_deepstate,
    list_versions,
    select_versions,
    terms_accepted,
)
from geo.sources.http import HttpClient
from geo.store import open_store

UTC = dt.UTC


def stamp(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# 18:00 UTC is 21:00 in Kyiv (summer); 22:00 UTC is already the next Kyiv day.
IDS = [
    stamp("2024-08-05T18:00:00"),  # Kyiv 2024-08-05
    stamp("2024-08-05T22:00:00"),  # Kyiv 2024-08-06 01:00
    stamp("2024-08-06T18:00:00"),  # Kyiv 2024-08-06, later: the day's last
    stamp("2024-08-07T18:00:00"),  # Kyiv 2024-08-07
    stamp("2024-08-14T18:00:00"),  # Kyiv 2024-08-14, the next ISO week
]
DAYS = [dt.date(2024, 8, d) for d in (5, 6, 7, 14)]  # what "every day" stores


def occupied_size(index: int) -> float:
    return 0.2 + 0.05 * index  # the occupied box grows with every version


def raw_map(index: int) -> dict[str, Any]:
    """A small raw DeepState map in the trilingual era's format."""
    return {
        "type": "FeatureCollection",
        "features": [
            polygon(
                "Окуповано /// Occupied /// geoJSON.status.occupied",
                "#a52714",
                37.5,
                47.5,
                occupied_size(index),
            ),
            polygon(
                "Окупований Крим /// Occupied Crimea /// geoJSON.territories.crimea",
                "#880e4f",
                34.0,
                45.0,
                0.5,
            ),
            polygon(
                "Статус невідомий /// Unknown status /// geoJSON.status.unknown",
                "#bcaaa4",
                38.0,
                47.5,
                0.1,
            ),
            polygon(
                "Звільнено /// Liberated /// geoJSON.status.dismissed",
                "#01579b",
                35.2,
                51.2,
                0.1,
            ),
            {
                "type": "Feature",
                "properties": {"name": "<b>unit</b>", "icon": "images/icon-3.png"},
                "geometry": {"type": "Point", "coordinates": [37.6, 47.6, 0]},
            },
        ],
    }


def km2(x: float, y: float, size: float) -> float:
    return float(geodesic_area_km2(shapely.box(x, y, x + size, y + size)))


def listing() -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "createdAt": dt.datetime.fromtimestamp(i, UTC).isoformat().replace("+00:00", ".000Z"),
            "datetime": dt.datetime.fromtimestamp(i, UTC).isoformat(),
            "status": True,
            "description": "Ворог просунувся",
            "descriptionEn": f"update {n}",
        }
        for n, i in enumerate(IDS)
    ]


def serve_api(server: FixtureServer, *, wrapped: bool = True) -> None:
    server.route("/api/history/public", Reply.json(listing()))
    for index, version_id in enumerate(IDS):
        body: Any = raw_map(index)
        if wrapped:
            when = dt.datetime.fromtimestamp(version_id, UTC).isoformat()
            body = {"id": version_id, "datetime": when, "map": body}
        server.route(f"/api/history/{version_id}/geojson", Reply.json(body))
        occupied = km2(37.5, 47.5, occupied_size(index))
        server.route(
            f"/api/history/{version_id}/areas",
            Reply.json(
                [
                    {"hash": "#a52714", "area": occupied * 1.001, "percent": "0.1",
                     "type": "occupied_after_24_02_2022"},
                    {"hash": "#880e4f", "area": km2(34.0, 45.0, 0.5), "percent": "0.1",
                     "type": "occupied_to_24_02_2022"},
                    {"hash": "#bcaaa4", "area": km2(38.0, 47.5, 0.1), "percent": "0",
                     "type": "unspecified"},
                    {"hash": "#01579b", "area": km2(35.2, 51.2, 0.1), "percent": "0",
                     "type": "other_territories"},
                    {"hash": "#ff5252", "area": 5000.0, "percent": "0",
                     "type": "other_territories"},
                ]
            ),
        )  # fmt: skip


def client(tmp_path: Path, **kwargs: Any) -> HttpClient:
    return HttpClient(cache_dir=tmp_path / "cache", min_interval_s=0.0, **kwargs)


def run(server: FixtureServer, tmp_path: Path, store: Any = None, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"accept": True, "config": tmp_path / "config"}
    options.update(kwargs)
    return fetch_deepstate(
        store if store is not None else open_store(tmp_path / "store"),
        client=options.pop("client", None) or client(tmp_path),
        base=server.base_url,
        **options,
    )


def geojson_hits(server: FixtureServer) -> int:
    return sum(1 for path, _ in server.log if path.endswith("/geojson"))


# -- listing and selection --------------------------------------------------------------


def test_versions_are_dated_by_kyiv_publication_date(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    serve_api(http_server)
    versions = list_versions(client(tmp_path), base=http_server.base_url)
    assert [v.id for v in versions] == IDS
    assert [v.date for v in versions] == [DAYS[0], DAYS[1], DAYS[1], DAYS[2], DAYS[3]]
    assert versions[0].description == "update 0"
    day = select_versions(versions, every="day")
    assert [v.id for v in day] == [IDS[0], IDS[2], IDS[3], IDS[4]]  # the last of each day
    week = select_versions(versions, every="week")
    assert [v.id for v in week] == [IDS[3], IDS[4]]
    assert len(select_versions(versions, every="all")) == 5
    window = select_versions(versions, since=DAYS[1], until=DAYS[2])
    assert [v.date for v in window] == [DAYS[1], DAYS[2]]
    with pytest.raises(DeepStateApiError, match="swap"):
        select_versions(versions, since=DAYS[2], until=DAYS[1])


def test_malformed_listing_is_a_clear_error(http_server: FixtureServer, tmp_path: Path) -> None:
    http_server.route("/api/history/public", Reply.json({"error": "maintenance"}))
    with pytest.raises(DeepStateApiError, match=r"expected a JSON array.*base="):
        list_versions(client(tmp_path), base=http_server.base_url)
    http_server.route("/api/history/public", Reply.json([{"id": "soon"}]))
    with pytest.raises(DeepStateApiError, match=r"item 0.*not a Unix time"):
        list_versions(client(tmp_path), base=http_server.base_url)


@pytest.mark.parametrize("bad_id", [10**13, "9" * 30, "9" * 5000, 253_402_300_800])
def test_version_id_out_of_range_is_a_clear_error(
    http_server: FixtureServer, tmp_path: Path, bad_id: Any
) -> None:
    body = b'[{"id": ' + str(bad_id).encode() + b"}]"
    if isinstance(bad_id, str):
        body = b'[{"id": "' + bad_id.encode() + b'"}]'
    http_server.route("/api/history/public", Reply(body=body))
    with pytest.raises(DeepStateApiError, match=r"item 0: 'id' 9*.* out of range.*base="):
        list_versions(client(tmp_path), base=http_server.base_url)


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9/mirror/")
    assert base_url() == "http://127.0.0.1:9/mirror"
    assert base_url("http://other.test") == "http://other.test"
    monkeypatch.delenv(BASE_URL_ENV)
    assert base_url() == "https://deepstatemap.live"


# -- terms ------------------------------------------------------------------------------


def test_terms_must_be_accepted_once(
    http_server: FixtureServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    serve_api(http_server)
    with pytest.raises(TermsNotAcceptedError, match=r"volunteer.*with accept=True"):
        run(http_server, tmp_path, accept=False)
    assert http_server.log == []  # nothing is fetched before the terms are accepted
    caplog.set_level(logging.INFO, logger="geo.sources.deepstate_api")
    run(http_server, tmp_path, until=DAYS[0])
    notices = [r.getMessage() for r in caplog.records if r.name == "geo.sources.deepstate_api"]
    assert any("redistributing" in n for n in notices)
    assert any("Kyiv publication date" in n for n in notices)
    assert terms_accepted(config=tmp_path / "config")
    # Remembered: the next run needs no flag.
    run(http_server, tmp_path, accept=False, until=DAYS[1])


# -- fetching into the store ------------------------------------------------------------


def test_progress_false_is_silent_true_draws_a_bar(
    http_server: FixtureServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_api(http_server)
    run(http_server, tmp_path, until=DAYS[0], progress=False)
    assert capsys.readouterr().err == ""
    run(http_server, tmp_path, until=DAYS[1], progress=True)
    assert "deepstate" in capsys.readouterr().err  # the bar's label


def test_fetch_stores_canonical_layers_and_resumes(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    serve_api(http_server)
    result = run(http_server, tmp_path, until=DAYS[1])
    assert [v.id for v in result.fetched] == [IDS[0], IDS[2]]
    store = open_store(tmp_path / "store")
    assert store.dates("russian_control", source="deepstate") == DAYS[:2]
    assert set(store.layers(source="deepstate")) == {
        "russian_control", "russian_control_pre_2022", "contested", "ukrainian_control_russia",
    }  # fmt: skip
    snap = store.get("russian_control", DAYS[1], source="deepstate")
    expected = km2(37.5, 47.5, occupied_size(2)) + km2(34.0, 45.0, 0.5)
    assert snap.area_km2 == pytest.approx(expected, rel=1e-6)
    assert snap.provenance.path == f"{http_server.base_url}/api/history/{IDS[2]}/geojson"
    assert "published 2024-08-06T18:00:00Z" in snap.provenance.date_rule
    kursk = store.get("ukrainian_control_russia", DAYS[0], source="deepstate")
    assert kursk.area_km2 == pytest.approx(km2(35.2, 51.2, 0.1), rel=1e-6)

    before = geojson_hits(http_server)
    again = run(http_server, tmp_path)
    assert [v.date for v in again.skipped] == DAYS[:2]
    assert [v.date for v in again.fetched] == DAYS[2:]
    assert geojson_hits(http_server) - before == 2  # only the two new dates
    assert store.dates("russian_control", source="deepstate") == DAYS
    assert "2 already in the store, 2 fetched" in again.summary()


def test_bare_map_is_dated_by_version_id(http_server: FixtureServer, tmp_path: Path) -> None:
    serve_api(http_server, wrapped=False)  # as archived: only the map member
    run(http_server, tmp_path, since=DAYS[1], until=DAYS[1])
    store = open_store(tmp_path / "store")
    assert store.dates("russian_control") == [DAYS[1]]


def test_publisher_areas_are_compared(http_server: FixtureServer, tmp_path: Path) -> None:
    serve_api(http_server)
    result = run(http_server, tmp_path, until=DAYS[0], areas=True)
    checks = {c.layer: c for c in result.area_checks}
    occupied = km2(37.5, 47.5, occupied_size(0))
    crimea = km2(34.0, 45.0, 0.5)
    control = checks["russian_control"]
    assert control.publisher_km2 == pytest.approx(occupied * 1.001 + crimea)
    assert control.difference_km2 == pytest.approx(-occupied * 0.001, rel=1e-6)
    assert control.difference_pct is not None and control.difference_pct < 0
    # The editorial red polygon's 5,000 km² is not counted as Ukrainian-held Kursk.
    assert checks["ukrainian_control_russia"].difference_km2 == pytest.approx(0, abs=1e-6)
    assert checks["contested"].difference_pct == pytest.approx(0, abs=1e-6)
    assert checks["russian_control"].to_dict()["date"] == "2024-08-05"


def test_latest_version(http_server: FixtureServer, tmp_path: Path) -> None:
    serve_api(http_server)
    last = IDS[-1]
    http_server.route(
        "/api/history/last",
        Reply.json({"id": last, "datetime": "2024-08-14T18:00:00Z", "map": raw_map(4)}),
    )
    run(http_server, tmp_path, latest=True)
    assert open_store(tmp_path / "store").dates("russian_control") == [DAYS[3]]


# -- failures ---------------------------------------------------------------------------


def test_server_errors_are_retried(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    serve_api(http_server)
    path = f"/api/history/{IDS[0]}/geojson"
    good = http_server.routes[path]
    assert isinstance(good, Reply)
    http_server.route(
        path, [Reply(status=503), Reply(status=429, headers={"Retry-After": "7"}), good]
    )
    run(http_server, tmp_path, until=DAYS[0])
    assert http_server.hits(path) == 3
    assert 7.0 in sleeps
    assert open_store(tmp_path / "store").dates("russian_control") == [DAYS[0]]


@pytest.mark.parametrize(
    "bad",
    [
        Reply(body=b'{"id": 1, "map": {"type": "FeatureCol'),  # malformed JSON
        Reply(body=json.dumps({"id": 1, "map": raw_map(0)}).encode(), truncate_to=40),
        Reply(status=500),
        Reply.json({"id": IDS[2], "map": {"type": "FeatureCollection", "features": []}}),
    ],
    ids=["malformed-json", "truncated", "always-500", "no-polygons"],
)
def test_failed_version_stops_with_a_whole_store_and_resumes(
    http_server: FixtureServer, tmp_path: Path, sleeps: list[float], bad: Reply
) -> None:
    serve_api(http_server)
    path = f"/api/history/{IDS[2]}/geojson"
    good = http_server.routes[path]
    http_server.route(path, bad)
    with pytest.raises(DeepStateApiError, match=r"1 of 4 versions were stored.*again to resume"):
        run(http_server, tmp_path)
    store = open_store(tmp_path / "store")
    assert store.dates("russian_control") == [DAYS[0]]
    for layer in store.layers():
        store.get(layer, DAYS[0])  # every catalogued snapshot reads back
    http_server.route(path, good)
    resumed = run(http_server, tmp_path)
    assert [v.date for v in resumed.skipped] == [DAYS[0]]
    assert open_store(tmp_path / "store").dates("russian_control") == DAYS


def test_killed_run_leaves_whole_versions_and_resumes(
    http_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_api(http_server)
    real_write = catalog.write_snapshot
    calls = {"n": 0}

    def dying_write(target: Path, snap: Any, **kw: Any) -> None:
        calls["n"] += 1
        if snap.date == DAYS[2] and calls["n"] > 1:
            raise KeyboardInterrupt  # the machine went down mid-write
        real_write(target, snap, **kw)

    monkeypatch.setattr("geo.store_writer.write_snapshot", dying_write)
    with pytest.raises(KeyboardInterrupt):
        run(http_server, tmp_path)
    monkeypatch.setattr("geo.store_writer.write_snapshot", real_write)
    store = open_store(tmp_path / "store")
    assert store.dates("russian_control") == DAYS[:2]
    assert set(store.snapshots()["date"]) == set(DAYS[:2])  # no layer of the killed version
    resumed = run(http_server, tmp_path)
    assert [v.date for v in resumed.fetched] == DAYS[2:]
    store = open_store(tmp_path / "store")
    assert store.dates("contested") == DAYS
    files = sorted(p.name for p in (tmp_path / "store").rglob("*") if p.name.endswith(".tmp"))
    assert files == []


def test_offline_reads_the_cache(http_server: FixtureServer, tmp_path: Path) -> None:
    serve_api(http_server)
    run(http_server, tmp_path, until=DAYS[1])
    hits = len(http_server.log)
    offline = client(tmp_path, offline=True)
    result = run(http_server, tmp_path, store=open_store(tmp_path / "other"), client=offline,
                 until=DAYS[1])  # fmt: skip
    assert len(result.fetched) == 2
    assert len(http_server.log) == hits
    empty = HttpClient(cache_dir=tmp_path / "empty", offline=True)
    with pytest.raises(OfflineError, match="not in the cache"):
        run(http_server, tmp_path, client=empty)


def test_unreachable_server_is_a_fetch_error(tmp_path: Path, sleeps: list[float]) -> None:
    dead = HttpClient(cache_dir=tmp_path / "c", min_interval_s=0.0, retries=1, timeout_s=2)
    with pytest.raises(FetchError, match="failed after 2 attempts"):
        list_versions(dead, base="http://127.0.0.1:9")


# -- the command ------------------------------------------------------------------------


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and cache folders of the CLI, under tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


def test_fetch_deepstate_command(http_server: FixtureServer, user_dirs: Path) -> None:
    serve_api(http_server)
    store = str(user_dirs / "store")
    base = ["fetch", "deepstate", "--store", store, "--base-url", http_server.base_url,
            "--interval", "0"]  # fmt: skip
    refused = CliRunner().invoke(cli, base)
    assert refused.exit_code == 1
    assert "--accept-terms" in refused.output and "Traceback" not in refused.output
    done = CliRunner().invoke(cli, [*base, "--accept-terms", "--until", "2024-08-06", "--json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert [f["date"] for f in payload["fetched"]] == ["2024-08-05", "2024-08-06"]
    assert payload["added"] == 8
    text = CliRunner().invoke(cli, [*base, "--every", "week", "--areas"])
    assert text.exit_code == 0, text.output
    assert "russian_control" in text.stdout and "DeepState" in text.stdout
    assert "0 already in the store, 2 fetched" in text.stdout
    rerun = CliRunner().invoke(cli, [*base, "--every", "week"])
    assert "2 already in the store, 0 fetched" in rerun.stdout


def test_fetch_deepstate_command_bad_date(user_dirs: Path) -> None:
    result = CliRunner().invoke(cli, ["fetch", "deepstate", "--since", "5th of May"])
    assert result.exit_code == 1
    assert "--since" in result.output and "Traceback" not in result.output


def test_fetch_url_command(http_server: FixtureServer, user_dirs: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "<img src=x onerror=alert(1)>"},
                "geometry": {"type": "Polygon", "coordinates": [ring(37.0, 47.0, 0.1)]},
            }
        ],
    }
    http_server.route("/layers/advance_2024-05-01.geojson", Reply.json(collection))
    url = http_server.url("/layers/advance_2024-05-01.geojson")
    store = str(user_dirs / "store")
    args = ["fetch", "url", url, "--store", store, "--layer", "russian_advance"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (key,) = json.loads(result.stdout)["snapshots"]
    assert key == {"source": "user", "layer": "russian_advance", "date": "2024-05-01"}
    snap = open_store(store).get("russian_advance", dt.date(2024, 5, 1))
    assert snap.provenance.path == url
    offline = CliRunner().invoke(cli, [*args, "--offline"])
    assert offline.exit_code == 1 and "offline" in offline.output


def test_regions_fetch_command(user_dirs: Path) -> None:
    listed = CliRunner().invoke(cli, ["regions", "fetch", "--list"])
    assert listed.exit_code == 0
    assert "ukraine-adm1" in listed.stdout and "CC BY-IGO" in listed.stdout
    offline = CliRunner().invoke(cli, ["regions", "fetch", "ukraine-adm1", "--offline"])
    assert offline.exit_code == 1
    assert "--regions FILE" in offline.output and "Traceback" not in offline.output


def test_regions_fetch_command_downloads_through_a_registry(
    http_server: FixtureServer, user_dirs: Path
) -> None:
    import zipfile

    from geo.regions import load_regions

    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"ADM1_EN": "Donetska", "ADM1_PCODE": "UA14"},
                "geometry": {"type": "Polygon", "coordinates": [ring(37.0, 47.0, 1.0)]},
            }
        ],
    }
    archive = user_dirs / "bounds.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("ukr_adm1.geojson", json.dumps(collection))
    http_server.route("/mirror/bounds.zip", Reply(body=archive.read_bytes()))
    table = user_dirs / "registry.csv"
    table.write_text(
        "name,url,licence,attribution,sha256,member,note\n"
        f"ua,{http_server.url('/mirror/bounds.zip')},CC BY-IGO 3.0,OCHA,,*adm1*,test oblasts\n"
    )
    args = ["regions", "fetch", "ua", "--registry", str(table)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "trusting this first download" in first.stderr
    path = Path(first.stdout.strip())
    assert path.read_bytes() == archive.read_bytes()
    assert str(path).startswith(str(user_dirs / "xdg-cache"))
    assert list(load_regions(path)["region"]) == ["Donetsk"]
    again = CliRunner().invoke(cli, [*args, "--offline"])
    assert again.exit_code == 0 and again.stdout.strip() == str(path)
    assert http_server.hits("/mirror/bounds.zip") == 1
    table.write_text(table.read_text().replace("http://127.0.0.1", "http://203.0.113.9"))
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and "https://" in refused.output


def test_gazetteer_fetch_command(http_server: FixtureServer, user_dirs: Path) -> None:
    import zipfile

    from test_gazetteer import ROWS

    from geo.gazetteer import load_gazetteer

    archive = user_dirs / "UA.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("UA.txt", "\n".join(ROWS) + "\n")
        handle.writestr("readme.txt", "GeoNames dump")
    http_server.route("/dump/UA.zip", Reply(body=archive.read_bytes()))
    table = user_dirs / "gazetteers.csv"
    table.write_text(
        "name,url,licence,attribution,sha256,member,note\n"
        f"ua,{http_server.url('/dump/UA.zip')},CC BY 4.0,GeoNames,,UA.txt,test places\n"
    )
    listed = CliRunner().invoke(cli, ["gazetteer", "fetch", "--list"])
    assert "geonames-ua" in listed.stdout and "CC BY 4.0" in listed.stdout
    fetched = CliRunner().invoke(cli, ["gazetteer", "fetch", "--registry", str(table)])
    assert fetched.exit_code == 0, fetched.output
    path = Path(fetched.stdout.strip())
    assert path.parent.parent.name == "gazetteers"
    places = load_gazetteer(path)
    assert len(places.search("Artemivsk")) == 1
    offline = CliRunner().invoke(cli, ["gazetteer", "fetch", "geonames-ru", "--offline"])
    assert offline.exit_code == 1
    assert "--gazetteer FILE" in offline.output and "Traceback" not in offline.output


# -- real format ------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_raw_snapshot_through_the_api(
    shared_data: Path, http_server: FixtureServer, tmp_path: Path
) -> None:
    """The raw 2025-05-31 snapshot, served as the API serves it, gives the archive's area."""
    raw = shared_data / "raw-formats/deepstate-map-history/1748723682.geojson.gz"
    version_id = 1748723682
    data = json.loads(gzip.decompress(raw.read_bytes()))
    when = dt.datetime.fromtimestamp(version_id, UTC).isoformat()
    http_server.route("/api/history/public", Reply.json([{"id": version_id, "datetime": when}]))
    http_server.route(
        f"/api/history/{version_id}/geojson",
        Reply.json({"id": version_id, "datetime": when, "map": data}),
    )
    run(http_server, tmp_path)
    store = open_store(tmp_path / "store")
    version = Version(version_id, dt.datetime.fromtimestamp(version_id, UTC), dt.date(2025, 5, 31))
    assert store.dates("russian_control") == [version.date]
    snap = store.get("russian_control", version.date)
    # shared/data/README: union of occupied/Crimea/ORDLO = 113,156.7 km²; geo adds Tuzla (~few km²).
    assert snap.area_km2 == pytest.approx(113_156.7, rel=4e-4)  # agrees to 3.8e-5
