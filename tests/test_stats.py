"""Time series: tiny stores of boxes with known areas, plus the real archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from conftest import make_snapshot
from shapely.geometry import box

from geo.diff import diff, diff_series
from geo.geometry import equal_area_km2
from geo.snapshot import Provenance, Snapshot, make_features
from geo.stats import region_column, timeseries, write_timeseries
from geo.store import open_store

D0 = dt.date(2024, 1, 1)


def km2(geom: object) -> float:
    # Densified: edges straight in lon/lat, as the diff engine measures them.
    return float(equal_area_km2(np.array([shapely.segmentize(geom, 0.001)]))[0])


@pytest.fixture
def store(store_dir: Path):  # type: ignore[no-untyped-def]
    st = open_store(store_dir)
    days = [D0, D0 + dt.timedelta(days=1), D0 + dt.timedelta(days=8), D0 + dt.timedelta(days=40)]
    easts = [37.5, 37.6, 37.55, 37.9]
    st.ingest(
        [make_snapshot(box(37.0, 48.0, e, 48.5), d) for d, e in zip(days, easts, strict=True)]
    )
    return st


def test_series_columns_and_figures(store) -> None:  # type: ignore[no-untyped-def]
    regions = gpd.GeoDataFrame(
        {"region": ["West", "East"]},
        geometry=[box(36.0, 47.0, 37.55, 49.0), box(37.55, 47.0, 39.0, 49.0)],
        crs=4326,
    )
    frame = timeseries(store, "russian_control", regions=regions)
    assert list(frame["date"]) == store.dates("russian_control")
    assert frame["days_since_previous"].tolist()[1:] == [1, 7, 32]
    a = [km2(box(37.0, 48.0, e, 48.5)) for e in (37.5, 37.6, 37.55, 37.9)]
    assert frame["area_km2"].tolist() == pytest.approx(a, rel=1e-6)
    # Step 2 -> 3 only loses ground; gross lost equals the strip that went.
    assert frame.loc[2, "gained_km2"] == pytest.approx(0, abs=1e-9)
    assert frame.loc[2, "lost_km2"] == pytest.approx(a[1] - a[2], rel=1e-6)
    assert (frame["net_km2"][1:] == frame["gained_km2"][1:] - frame["lost_km2"][1:]).all()
    # 7-day change on day 8 compares with day 1 (latest on or before day 1).
    assert frame.loc[2, "change_7d_km2"] == pytest.approx(a[2] - a[1], rel=1e-6)
    assert np.isnan(frame.loc[1, "change_7d_km2"])
    assert frame.loc[3, "change_30d_km2"] == pytest.approx(a[3] - a[2], rel=1e-6)
    west = frame[region_column("West", "area_km2")]
    east = frame[region_column("East", "area_km2")]
    assert (west + east).tolist() == pytest.approx(frame["area_km2"].tolist(), rel=1e-9)
    assert frame[region_column("West", "share_pct")].between(0, 100).all()


def test_series_matches_pairwise_diffs(store) -> None:  # type: ignore[no-untyped-def]
    frame = timeseries(store, "russian_control")
    dates = store.dates("russian_control")
    for i in range(1, len(dates)):
        one = diff(
            store.get("russian_control", dates[i - 1]), store.get("russian_control", dates[i])
        )
        assert frame.loc[i, "gained_km2"] == pytest.approx(one.gained_km2, abs=1e-9)
        assert frame.loc[i, "lost_km2"] == pytest.approx(one.lost_km2, abs=1e-9)


def test_write_csv_and_json(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = timeseries(store, "russian_control")
    csv_path = tmp_path / "series.csv"
    text = write_timeseries(frame, csv_path, fmt="csv")
    assert csv_path.read_text(encoding="utf-8") == text
    assert text.splitlines()[0].startswith("date,days_since_previous,area_km2,gained_km2")
    header = text.splitlines()[0].split(",")
    assert header[-1] == "area_method"
    assert all(line.endswith('"') or "Albers" in line for line in text.splitlines()[1:])
    payload = json.loads(write_timeseries(frame, None, fmt="json"))
    assert payload["layer"] == "russian_control" and "Albers" in payload["method"]
    assert payload["rows"][0]["date"] == "2024-01-01"
    assert payload["rows"][0]["gained_km2"] is None


def test_errors_are_clear(store) -> None:  # type: ignore[no-untyped-def]
    from geo.errors import SnapshotNotFoundError, StoreError

    with pytest.raises(SnapshotNotFoundError, match=r"see Store\.snapshots\(\)"):
        timeseries(store, "contested")
    store.ingest([make_snapshot(box(37.0, 48.0, 37.2, 48.5), D0, source="other")])
    with pytest.raises(StoreError, match="pass source= to pick one"):
        timeseries(store, "russian_control")
    assert len(timeseries(store, "russian_control", source="other")) == 1


@pytest.mark.realdata
def test_real_per_oblast_areas_match_independent_overlay(
    shared_data: Path, store_dir: Path
) -> None:
    from geo.io import read
    from geo.regions import load_regions

    daily = shared_data / "control" / "deepstate" / "daily"
    ocha = (
        shared_data
        / "regions"
        / "ukraine-ocha-codab-2017"
        / "ukr_admbnda_adm1_q2_sspe_20171221.shp"
    )
    days = ["20240708", "20241231", "20250601", "20260822"]
    store = open_store(store_dir)
    store.ingest([s for day in days for s in read(daily / f"deepstatemap_data_{day}.geojson.gz")])
    regions = load_regions(ocha, only=["Donetsk", "Luhansk", "Zaporizhzhia", "Kherson", "Crimea"])
    frame = timeseries(store, "russian_control", regions=regions)

    # Independent: GDAL read, make_valid, union, equal-area CRS, intersect each oblast.
    albers = "+proj=aea +lat_0=48 +lon_0=35 +lat_1=45 +lat_2=52 +datum=WGS84"
    oblasts = gpd.read_file(ocha, encoding="utf-8").set_index("ADM1_PCODE")
    codes = {"Donetsk": "UA14", "Luhansk": "UA44", "Zaporizhzhia": "UA23", "Kherson": "UA65",
             "Crimea": "UA01"}  # fmt: skip
    for row, day in enumerate(days):
        held = gpd.read_file(f"/vsigzip/{daily}/deepstatemap_data_{day}.geojson.gz")
        merged = shapely.union_all(shapely.make_valid(held.geometry.values))
        held_ea = gpd.GeoSeries([merged], crs=4326).to_crs(albers).iloc[0]
        for name, code in codes.items():
            oblast = gpd.GeoSeries([oblasts.loc[code, "geometry"]], crs=4326).to_crs(albers).iloc[0]
            expected = held_ea.intersection(oblast).area / 1e6
            got = frame.loc[row, region_column(name, "area_km2")]
            assert got == pytest.approx(expected, rel=1e-4), (day, name)  # agree to 7.9e-6


def test_start_on_a_missing_date_begins_at_the_state_before_it(store) -> None:  # type: ignore[no-untyped-def]
    # Day 5 has no snapshot: the state on day 5 is the one of day 1.
    frame = timeseries(store, "russian_control", start=D0 + dt.timedelta(days=5))
    assert list(frame["date"]) == [D0 + dt.timedelta(days=d) for d in (1, 8, 40)]
    exact = timeseries(store, "russian_control", start=D0 + dt.timedelta(days=8))
    assert list(exact["date"]) == [D0 + dt.timedelta(days=d) for d in (8, 40)]
    before_all = timeseries(store, "russian_control", start=D0 - dt.timedelta(days=3))
    assert len(before_all) == 4


def test_series_by_a_publishers_area_method(store) -> None:  # type: ignore[no-untyped-def]
    from geo.area_methods import cylindrical_area_km2

    frame = timeseries(store, "russian_control", method="deepstate")
    expected = [
        float(cylindrical_area_km2([box(37.0, 48.0, e, 48.5)])[0])
        for e in (37.5, 37.6, 37.55, 37.9)
    ]
    assert frame["area_km2"].tolist() == pytest.approx(expected, rel=1e-9)
    # one feature per date: the changes are the union's, measured the same way
    assert frame["net_km2"].tolist()[1:] == pytest.approx(np.diff(expected), rel=1e-6)
    assert frame.attrs["area_method"] == "deepstate"
    text = write_timeseries(frame, None, fmt="csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(r["area_method"].startswith("deepstate: DeepStateMap /areas") for r in rows)
    assert json.loads(write_timeseries(frame, None, fmt="json"))["area_method"] == "deepstate"


# --- chunks, executors, bounded memory ---------------------------------------------------

REGIONS = gpd.GeoDataFrame(
    {"region": ["West", "East", "North"]},
    geometry=[
        box(36.0, 47.0, 37.3, 49.0),
        box(37.3, 47.0, 39.0, 48.3),
        box(37.3, 48.3, 39.0, 49.0),
    ],
    crs=4326,
)


@pytest.fixture
def long_store(store_dir: Path):  # type: ignore[no-untyped-def]
    """Twenty dates of a growing, shrinking and re-drawn shape, with gaps and an empty date."""
    st = open_store(store_dir)
    snaps = []
    for i in range(20):
        shape = shapely.union_all(
            [box(37.0, 48.0, 37.5 + 0.02 * (i % 7), 48.5), box(37.6, 48.1 + 0.01 * i, 37.8, 48.6)]
        )
        if i % 6 == 5:
            shape = shapely.affinity.rotate(shape, 10 * i)  # nothing shared: whole overlays
        geom = None if i == 11 else shape
        snaps.append(
            Snapshot("s", "russian_control", D0 + dt.timedelta(days=i + i // 3),
                     make_features([] if geom is None else [geom]), Provenance(f"{i}.geojson"))
        )  # fmt: skip
    st.ingest(snaps)
    return st


def test_chunks_threads_and_processes_give_identical_series(
    long_store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    import geo.changes as changes

    serial = timeseries(long_store, "russian_control", regions=REGIONS)
    assert len(serial) == 20 and serial["area_km2"].iloc[11] == 0.0
    for chunk_pairs in (1, 3, 7):
        monkeypatch.setattr(changes, "CHUNK_PAIRS", chunk_pairs)
        chunked = timeseries(long_store, "russian_control", regions=REGIONS)
        pd.testing.assert_frame_equal(chunked, serial, check_exact=True)
    with ThreadPoolExecutor(3) as pool:
        threads = timeseries(long_store, "russian_control", regions=REGIONS, executor=pool)
    pd.testing.assert_frame_equal(threads, serial, check_exact=True)
    processes = timeseries(long_store, "russian_control", regions=REGIONS, jobs=2)
    pd.testing.assert_frame_equal(processes, serial, check_exact=True)
    # And the figures are the diff engine's, pair by pair.
    diffs = diff_series(long_store.series("russian_control"), regions=REGIONS)
    assert serial["gained_km2"].tolist()[1:] == [d.gained_km2 for d in diffs]
    assert serial["area_km2"].tolist()[1:] == [d.area_to_km2 for d in diffs]


def count_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the series that read their snapshot files, as they read them."""
    from geo.series import SnapshotSeries

    loads: list[int] = []
    real_load = SnapshotSeries.load

    def counting_load(self: SnapshotSeries) -> SnapshotSeries:
        if not self.loaded:
            loads.append(len(self))
        return real_load(self)

    monkeypatch.setattr(SnapshotSeries, "load", counting_load)
    return loads


def test_reads_one_chunk_at_a_time(long_store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import geo.changes as changes

    loads = count_loads(monkeypatch)
    monkeypatch.setattr(changes, "CHUNK_PAIRS", 4)
    timeseries(long_store, "russian_control", regions=REGIONS)
    assert loads and max(loads) <= 5  # never the whole archive at once
    assert sum(loads) == 20 + len(loads) - 1  # each date once, chunk ends twice


#: REGIONS plus one bordering the ground of one date (1.3 km south of the date rotated by
#: 50 degrees) without ever holding it, one far away, and one named by two rows of which
#: only one holds ground.
WORLD = gpd.GeoDataFrame(
    {"region": ["Far", *REGIONS["region"], "Split", "Edge", "Split"]},
    geometry=[
        box(60.0, 60.0, 61.0, 61.0),
        *REGIONS.geometry,
        box(45.0, 45.0, 46.0, 46.0),
        box(37.0, 47.7, 37.5, 47.79),
        box(37.75, 48.2, 37.85, 48.25),
    ],
    crs=4326,
)


def region_figures(diffs: list) -> dict[str, list[float]]:  # type: ignore[type-arg]
    """The region columns timeseries should give, from diff_series (regions chosen as a diff)."""
    out: dict[str, list[float]] = {}
    for j, first in enumerate(diffs[0].regions):
        values = [first.area_from_km2, *(d.regions[j].area_to_km2 for d in diffs)]
        out[region_column(first.region, "area_km2")] = values
        out[region_column(first.region, "share_pct")] = [
            100.0 * v / first.region_area_km2 for v in values
        ]
    return out


@pytest.mark.parametrize("world", [WORLD.iloc[:6], WORLD], ids=["whole regions", "split region"])
def test_regions_near_the_layer_chosen_while_streaming(
    long_store,  # type: ignore[no-untyped-def]
    world: gpd.GeoDataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The regions diff_series keeps (holding or bordering any date), with its very figures."""
    import geo.changes as changes

    diffs = diff_series(long_store.series("russian_control"), regions=world)
    want = region_figures(diffs)
    assert "far_area_km2" not in want and "edge_area_km2" in want
    assert all(max(want[region_column(r, "area_km2")]) > 0 for r in REGIONS["region"])
    assert max(want["edge_area_km2"]) == 0.0  # bordering, never holding
    loads = count_loads(monkeypatch)
    for chunk_pairs in (4, 32):
        monkeypatch.setattr(changes, "CHUNK_PAIRS", chunk_pairs)
        loads.clear()
        frame = timeseries(long_store, "russian_control", regions=world)
        got = {c: frame[c].tolist() for c in frame.columns if c.endswith(("_area_km2", "_pct"))}
        assert list(got) == list(want)  # same regions, same order
        assert got == want  # exactly
        assert max(loads) <= chunk_pairs + 1  # never the whole archive at once
    if "split_area_km2" in want:  # its near row alone, as select_regions keeps it
        from geo.areas import area_km2

        (split,) = [r for r in diffs[0].regions if r.region == "Split"]
        near_row = area_km2(np.array([world.geometry.iloc[-1]], dtype=object))[0]
        assert split.region_area_km2 == pytest.approx(near_row, rel=1e-9)
        assert max(want["split_share_pct"]) > 10


def test_progress_bar(long_store, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    timeseries(long_store, "russian_control", progress=True)
    assert "diffing" in capsys.readouterr().err
    timeseries(long_store, "russian_control", progress=None)  # stderr is no terminal here
    assert capsys.readouterr().err == ""


@pytest.mark.dask
def test_dask_cluster_gives_identical_results(long_store) -> None:  # type: ignore[no-untyped-def]
    """A real local Dask scheduler and worker processes, through client.get_executor()."""
    distributed = pytest.importorskip("distributed", reason="pip install 'geo[dask]'")
    from geo.places import places_changed

    gaz = long_store.path.parent / "places.txt"

    def row(i: int) -> str:
        fields = [str(100 + i), f"Place {i}", f"Place {i}", "", str(48.05 + 0.02 * i),
                  str(37.45 + 0.02 * i), "P", "PPL", "UA", "", "14", "", "", "",
                  str(1000 * i), "", "", "Europe/Kyiv", "2024-01-01"]  # fmt: skip
        return "\t".join(fields)

    rows = [row(i) for i in range(20)]
    gaz.write_text("\n".join(rows) + "\n", encoding="utf-8")
    serial = timeseries(long_store, "russian_control", regions=REGIONS)
    dates = long_store.dates("russian_control")
    places = places_changed(long_store, "russian_control", dates[0], dates[-1], gazetteer=gaz)
    assert len(places) > 0 and places.attrs["lookups"] > 2  # bisection ran
    snaps = long_store.series("russian_control")
    diffs = diff_series(snaps, regions=REGIONS)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor()
        remote = timeseries(long_store, "russian_control", regions=REGIONS, executor=executor)
        remote_places = places_changed(
            long_store, "russian_control", dates[0], dates[-1], gazetteer=gaz, executor=executor
        )
        remote_diffs = diff_series(snaps, regions=REGIONS, executor=executor)
    pd.testing.assert_frame_equal(remote, serial, check_exact=True)
    pd.testing.assert_frame_equal(remote_places, places, check_exact=True)
    assert remote_places.attrs == places.attrs
    assert [d.to_dict() for d in remote_diffs] == [d.to_dict() for d in diffs]


def test_cli_stats_jobs_gives_the_same_table(long_store) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from geo.cli import cli

    runner = CliRunner()
    base = ["stats", "--store", str(long_store.path), "--layer", "russian_control"]
    one = runner.invoke(cli, base)
    two = runner.invoke(cli, [*base, "--jobs", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    # the table on stdout (header + 20 dates); the checks' summary goes to stderr
    assert one.output == two.output and one.stdout.count("\n") == 21
    bad = runner.invoke(cli, [*base, "--jobs", "-1"])
    assert bad.exit_code == 2 and "--jobs" in bad.output


# --- publishers' area methods and sanity checks in the chunked engine --------------------


@pytest.fixture
def overlapping_store(store_dir: Path):  # type: ignore[no-untyped-def]
    """Twelve dates of two overlapping features (publishers count the overlap twice),
    with a repeated date (5 = 4), a stale one (9 = 2) and an empty one (7)."""
    st = open_store(store_dir)
    snaps = []
    for i in range(12):
        k = {5: 4, 9: 2}.get(i, i)
        feats = [
            box(37.0, 48.0, 37.5 + 0.03 * k, 48.5),
            box(37.4, 48.2, 37.7 + 0.02 * (k % 5), 48.4 + 0.01 * (k % 4)),
        ]
        if k % 4 == 3:
            feats[1] = shapely.affinity.rotate(feats[1], 15 * k)  # a whole overlay
        snaps.append(make_snapshot([] if i == 7 else feats, D0 + dt.timedelta(days=i + i // 4)))
    st.ingest(snaps)
    return st


@pytest.mark.parametrize("method", ["deepstate", "economist"])
def test_publishers_method_and_checks_identical_however_split(
    overlapping_store, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    import geo.changes as changes
    from geo.sanity import check_timeseries, geometry_digest

    serial = timeseries(overlapping_store, "russian_control", regions=REGIONS, method=method)
    snaps = overlapping_store.series("russian_control")
    # Totals are the publisher's sums over each snapshot's features, not a chained union.
    assert serial["area_km2"].tolist() == [s.area_km2_by(method) for s in snaps]
    assert serial["area_km2"].iloc[7] == 0.0
    assert serial["area_km2"].iloc[0] > diff(snaps[0], snaps[1]).area_from_km2  # overlap twice
    # The figures are the diff engine's with the same method, pair by pair.
    diffs = diff_series(snaps, regions=REGIONS, method=method)
    assert serial["gained_km2"].tolist()[1:] == [d.gained_km2 for d in diffs]
    assert serial["lost_km2"].tolist()[1:] == [d.lost_km2 for d in diffs]
    share = region_column("East", "share_pct")
    assert serial[share].tolist()[1:] == [d.regions[1].share_to_pct for d in diffs]
    assert any("overlaps twice" in note for d in diffs for note in d.notes)
    # The checks read each date's digest from the series, as from GeoDataFrames.
    assert serial["flags"].iloc[5] == "repeat" and serial["flags"].iloc[9] == "stale"
    reference = check_timeseries(serial.drop(columns=list(serial.columns[-5:])),
                                 [geometry_digest(s) for s in snaps])  # fmt: skip
    pd.testing.assert_frame_equal(serial, reference, check_exact=True)
    for chunk_pairs in (1, 4):
        monkeypatch.setattr(changes, "CHUNK_PAIRS", chunk_pairs)
        chunked = timeseries(overlapping_store, "russian_control", regions=REGIONS, method=method)
        pd.testing.assert_frame_equal(chunked, serial, check_exact=True)
        assert chunked.attrs == serial.attrs
    with ThreadPoolExecutor(3) as pool:
        threads = timeseries(
            overlapping_store, "russian_control", regions=REGIONS, method=method, executor=pool
        )
        pool_diffs = diff_series(snaps, regions=REGIONS, method=method, executor=pool)
    pd.testing.assert_frame_equal(threads, serial, check_exact=True)
    assert [d.to_dict() for d in pool_diffs] == [d.to_dict() for d in diffs]
    processes = timeseries(
        overlapping_store, "russian_control", regions=REGIONS, method=method, jobs=2
    )
    pd.testing.assert_frame_equal(processes, serial, check_exact=True)
    assert processes.attrs == serial.attrs


def test_one_date_by_a_publishers_method(overlapping_store) -> None:  # type: ignore[no-untyped-def]
    frame = timeseries(overlapping_store, "russian_control", end=D0, method="deepstate")
    snap = overlapping_store.get("russian_control", D0)
    assert frame["area_km2"].tolist() == [snap.area_km2_by("deepstate")]
    assert frame["flags"].tolist() == [""]
