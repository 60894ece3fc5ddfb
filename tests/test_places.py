"""Tests for geo.places: which places changed hands, and when (bisection)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import make_snapshot
from shapely.geometry import Polygon, box

from geo.errors import DateError, SnapshotNotFoundError, StoreError
from geo.gazetteer import load_gazetteer
from geo.places import PLACES_COLUMNS, format_places, places_changed, places_records
from geo.store import Store, open_store

DAY0 = dt.date(2025, 1, 1)


def day(i: int) -> dt.date:
    return DAY0 + dt.timedelta(days=i)


def lons(west: float, east: float) -> Polygon:
    """Ground from ``west`` to ``east`` longitude, latitude 48.0 .. 48.5."""
    return box(west, 48.0, east, 48.5)


def tsv_row(gid: int, name: str, lon: float, *, pop: int = 0, admin1: str = "05") -> str:
    fields = [str(gid), name, name, "", "48.25", str(lon), "P", "PPL", "UA", "", admin1,
              "", "", "", str(pop), "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    return "\t".join(fields)


@pytest.fixture
def gaz_file(tmp_path: Path) -> Path:
    path = tmp_path / "UA.txt"
    rows = [tsv_row(100 + k, f"Place{k}", 37.05 + 0.1 * k, pop=1000 * k) for k in range(10)]
    rows.append(tsv_row(200, "Zaporizhian", 37.55, admin1="26"))  # same spot, other oblast
    rows.append(tsv_row(300, "Far", 30.0, pop=99))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def growing_store(store_dir: Path, n: int = 12) -> Store:
    """Control grows east by 0.1° a day from lon 37.0 to 37.0 + 0.1 * (n - 1)."""
    store = open_store(store_dir)
    store.ingest([make_snapshot(lons(37.0, 37.0 + 0.1 * i + 0.001), day(i)) for i in range(n)])
    return store


def test_gained_places_and_first_seen_by_bisection(store_dir: Path, gaz_file: Path) -> None:
    store = growing_store(store_dir)
    frame = places_changed(store, "russian_control", day(0), day(11), gazetteer=gaz_file)
    assert tuple(frame.columns) == PLACES_COLUMNS
    # Place k (lon 37.05 + 0.1 k) is inside from day k + 1; day 0 covers none of them.
    got = dict(zip(frame["geonames_id"], frame["first_seen"], strict=True))
    expected = {100 + k: day(k + 1) for k in range(10)} | {200: day(6)}
    assert got == expected
    assert set(frame["change"]) == {"gained"}
    # sorted by population (largest first, unknown last), then name
    assert list(frame["geonames_id"][:3]) == [109, 108, 107]
    assert frame["geonames_id"].iloc[-1] == 200
    assert pd.isna(frame["population"].iloc[-1])
    assert frame.attrs["lookups"] <= 12 and frame.attrs["n_dates"] == 12
    assert frame.attrs["n_tested"] == 12
    assert "GeoNames" in frame.attrs["attribution"]


def test_lost_places_when_control_shrinks(store_dir: Path, gaz_file: Path) -> None:
    store = open_store(store_dir)
    store.ingest([make_snapshot(lons(37.0, 38.0 - 0.1 * i), day(i)) for i in range(8)])
    frame = places_changed(store, "russian_control", day(0), day(7), gazetteer=gaz_file)
    # 38.0 - 0.1 i drops below lon 37.05 + 0.1 k once i > 9.5 - k
    expected = {100 + k: day(math.floor(9.5 - k) + 1) for k in range(3, 10)} | {200: day(5)}
    assert dict(zip(frame["geonames_id"], frame["first_seen"], strict=True)) == expected
    assert set(frame["change"]) == {"lost"}


def test_flip_flop_finds_a_transition(store_dir: Path, gaz_file: Path) -> None:
    # Place 105 (lon 37.55): out, in, in, out, out, in, in, in, out, in, in
    inside = [0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1]
    store = open_store(store_dir)
    store.ingest(
        [make_snapshot(lons(37.5, 37.6) if v else None, day(i)) for i, v in enumerate(inside)]
    )
    frame = places_changed(store, "russian_control", day(0), day(10), gazetteer=gaz_file)
    seen = frame.set_index("geonames_id").loc[105, "first_seen"]
    i = (seen - DAY0).days
    assert inside[i] == 1 and inside[i - 1] == 0  # a real transition, not necessarily the first


def test_lookups_grow_with_log2_of_dates(store_dir: Path, tmp_path: Path) -> None:
    store = growing_store(store_dir, n=64)
    one = tmp_path / "one.txt"
    one.write_text(tsv_row(1, "Lone", 37.0 + 0.1 * 40 + 0.05) + "\n", encoding="utf-8")
    frame = places_changed(store, "russian_control", day(0), day(63), gazetteer=one)
    assert frame["first_seen"].tolist() == [day(41)]
    assert frame.attrs["lookups"] <= 2 + math.ceil(math.log2(64))


def test_filters_population_oblast_and_dates(store_dir: Path, gaz_file: Path) -> None:
    store = growing_store(store_dir)
    gaz = load_gazetteer(gaz_file)
    big = places_changed(store, "russian_control", day(0), day(11), gazetteer=gaz,
                         min_population=5000)  # fmt: skip
    assert sorted(big["geonames_id"]) == [105, 106, 107, 108, 109]
    zap = places_changed(store, "russian_control", day(0), day(11), gazetteer=gaz,
                         oblast="Zaporizhzhia Oblast")  # fmt: skip
    assert zap["geonames_id"].tolist() == [200]
    assert zap["oblast"].tolist() == ["Zaporizhzhia"]
    # dates between stored ones use the snapshot on or before them
    later = places_changed(store, "russian_control", day(0), day(30), gazetteer=gaz)
    assert later.attrs["date_to"] == day(11) and len(later) == 11
    same = places_changed(store, "russian_control", day(3), day(3), gazetteer=gaz)
    assert same.empty and tuple(same.columns) == PLACES_COLUMNS


def test_errors(store_dir: Path, gaz_file: Path) -> None:
    store = growing_store(store_dir, n=3)
    with pytest.raises(DateError, match="swap"):
        places_changed(store, "russian_control", day(2), day(0), gazetteer=gaz_file)
    with pytest.raises(SnapshotNotFoundError):
        places_changed(store, "russian_control", day(-5), day(2), gazetteer=gaz_file)
    with pytest.raises(SnapshotNotFoundError):
        places_changed(store, "nope", day(0), day(2), gazetteer=gaz_file)
    store.ingest([make_snapshot(lons(37.0, 37.2), day(0), source="other")])
    with pytest.raises(StoreError, match="several sources"):
        places_changed(store, "russian_control", day(0), day(2), gazetteer=gaz_file)
    assert len(places_changed(store, "russian_control", day(0), day(2), gazetteer=gaz_file,
                              source="test")) == 2  # fmt: skip


def test_records_are_json_and_text_table(store_dir: Path, gaz_file: Path) -> None:
    store = growing_store(store_dir)
    frame = places_changed(store, "russian_control", day(0), day(11), gazetteer=gaz_file)
    records = json.loads(json.dumps(places_records(frame)))
    assert records[0] == {
        "change": "gained", "name": "Place9", "name_uk": None, "oblast": "Donetsk",
        "lon": 37.95, "lat": 48.25, "population": 9000, "geonames_id": 109,
        "first_seen": "2025-01-11",
    }  # fmt: skip
    assert records[-1]["population"] is None
    text = format_places(frame, limit=2)
    assert "11 places gained, 0 lost" in text and "Place9" in text and "9 more" in text
    assert text.endswith("CC BY 4.0.")


# --- real data ------------------------------------------------------------------------


def _read_gz_geometry(path: Path) -> shapely.Geometry:
    """Independent reader: GDAL via geopandas, make_valid, union."""
    frame = gpd.read_file(io.BytesIO(gzip.decompress(path.read_bytes())))
    return shapely.union_all(shapely.make_valid(frame.geometry.to_numpy()))


@pytest.mark.realdata
def test_real_donetsk_gains_match_independent_point_in_polygon(
    shared_data: Path, store_dir: Path
) -> None:
    """DeepState first -> last date, every 16th day stored (about 5 s)."""
    from geo.io import read_many

    daily = sorted((shared_data / "control" / "deepstate" / "daily").glob("*.geojson.gz"))
    chosen = sorted({*daily[::16], daily[-1]})
    store = open_store(store_dir)
    store.ingest(read_many(chosen).snapshots)
    ua = shared_data / "places" / "geonames-UA.txt.gz"
    first, last = store.dates("russian_control")[0], store.dates("russian_control")[-1]
    frame = places_changed(store, "russian_control", first, last, gazetteer=ua, oblast="Donetsk")

    # Independent: pandas per the README recipe, shapely predicates on Point objects.
    raw = pd.read_csv(ua, sep="\t", header=None, quoting=3, dtype=str, keep_default_na=False)
    keep = (raw[6] == "P") & (raw[10] == "05") & ~raw[7].isin(["PPLH", "PPLQ", "PPLW", "PPLX"])
    pts = raw[keep]
    points = shapely.points(pts[5].astype(float), pts[4].astype(float))
    a, b = _read_gz_geometry(chosen[0]), _read_gz_geometry(chosen[-1])
    in_a, in_b = shapely.contains(a, points), shapely.contains(b, points)
    gained = set(pts[0][~in_a & in_b].astype(int))
    lost = set(pts[0][in_a & ~in_b].astype(int))

    assert set(frame.loc[frame["change"] == "gained", "geonames_id"]) == gained
    assert set(frame.loc[frame["change"] == "lost", "geonames_id"]) == lost
    assert len(gained) > 200  # the 2024-26 advance in Donetsk oblast
    assert {704422, 709354, 695357} <= gained  # Pokrovsk, Toretsk, Kurakhove
    assert set(frame["oblast"]) == {"Donetsk"}

    # first_seen: on the new side that day, on the old side the stored date before it
    dates = store.dates("russian_control")
    by_date = dict(zip([d.isoformat().replace("-", "") for d in dates], dates, strict=True))
    files = {by_date[p.name[18:26]]: p for p in chosen}
    rng = np.random.default_rng(7)
    sample = frame.iloc[rng.choice(len(frame), size=min(8, len(frame)), replace=False)]
    for row in sample.to_dict("records"):
        seen = row["first_seen"]
        before = dates[dates.index(seen) - 1]
        point = shapely.Point(row["lon"], row["lat"])
        now_in = bool(shapely.contains(_read_gz_geometry(files[seen]), point))
        was_in = bool(shapely.contains(_read_gz_geometry(files[before]), point))
        assert (was_in, now_in) == (row["change"] == "lost", row["change"] == "gained")
    assert frame.attrs["lookups"] <= len(dates)
    pokrovsk = frame.set_index("geonames_id").loc[704422]
    assert pokrovsk["name_uk"] == "Покровськ"
    assert dt.date(2025, 6, 1) <= pokrovsk["first_seen"] <= dt.date(2026, 1, 1)


def test_markers_and_panel_table_escape_names(store_dir: Path, tmp_path: Path) -> None:
    import folium

    from geo.render.places import add_places, places_table_html

    store = growing_store(store_dir)
    evil = tmp_path / "evil.txt"
    evil.write_text(tsv_row(7, "<script>x</script>", 37.55, pop=5) + "\n", encoding="utf-8")
    frame = places_changed(store, "russian_control", day(0), day(11), gazetteer=evil)
    fmap = folium.Map(location=[48.25, 37.5], zoom_start=8)
    group = add_places(fmap, frame)
    page = fmap.get_root().render()
    assert "Places that changed hands (1)" in group.layer_name
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert "first seen 2025-01-07" in page
    table = places_table_html(frame)
    assert "gained" in table and "2025-01-07" in table and "GeoNames" in table
    assert "<script>x" not in table
    capped = add_places(folium.Map(), frame, limit=0)
    assert capped.layer_name == "Places that changed hands (the 0 largest of 1)"


def test_each_date_is_read_at_most_once(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bisection intervals form one binary tree: no date is the midpoint of two of them.
    from geo.series import SnapshotSeries

    store = growing_store(store_dir, n=40)
    many = tmp_path / "many.txt"
    many.write_text(
        "\n".join(tsv_row(i, f"P{i}", 37.0 + 0.0975 * i + 0.01) for i in range(40)) + "\n",
        encoding="utf-8",
    )
    read: list[dt.date] = []
    real = SnapshotSeries.load

    def recording(self: SnapshotSeries) -> SnapshotSeries:
        if not self.loaded:
            read.extend(self.dates)
        return real(self)

    monkeypatch.setattr(SnapshotSeries, "load", recording)
    frame = places_changed(store, "russian_control", day(0), day(39), gazetteer=many)
    assert len(frame) > 30
    assert len(read) == len(set(read)) == frame.attrs["lookups"] - 2


def test_jobs_and_executors_give_identical_places(store_dir: Path, gaz_file: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(store_dir)
    inside = [0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1]
    store.ingest(
        [
            make_snapshot([lons(37.0, 37.3 + 0.05 * i), *([lons(37.5, 37.6)] if v else [])], day(i))
            for i, v in enumerate(inside)
        ]
    )
    serial = places_changed(store, "russian_control", day(0), day(13), gazetteer=gaz_file)
    assert len(serial) >= 5
    with ThreadPoolExecutor(3) as pool:
        threads = places_changed(
            store, "russian_control", day(0), day(13), gazetteer=gaz_file, executor=pool
        )
    processes = places_changed(
        store, "russian_control", day(0), day(13), gazetteer=gaz_file, jobs=2
    )
    for other in (threads, processes):
        pd.testing.assert_frame_equal(other, serial, check_exact=True)
        assert other.attrs == serial.attrs


def test_progress_over_bisection_steps(
    store_dir: Path, gaz_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = growing_store(store_dir)
    places_changed(store, "russian_control", day(0), day(11), gazetteer=gaz_file, progress=True)
    assert "bisecting" in capsys.readouterr().err


def test_cli_places_jobs_gives_the_same_list(store_dir: Path, gaz_file: Path) -> None:
    from click.testing import CliRunner

    from geo.cli import cli

    growing_store(store_dir)
    dates = ["--from", str(day(0)), "--to", str(day(11))]
    base = ["places", "--store", str(store_dir), "--layer", "russian_control", *dates,
            "--gazetteer", str(gaz_file), "--json"]  # fmt: skip
    one = CliRunner().invoke(cli, base)
    two = CliRunner().invoke(cli, [*base, "-j", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert json.loads(one.output) == json.loads(two.output) and len(json.loads(one.output)) == 11
