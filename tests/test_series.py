"""Batch reads: Store.read_series against Store.get, chunks, pickling, errors."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from conftest import make_snapshot
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from geo.errors import SnapshotNotFoundError, StoreError
from geo.series import SnapshotSeries
from geo.store import Store, open_store

D0 = dt.date(2024, 1, 1)
LAYER = "russian_control"


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


@pytest.fixture
def store(store_dir: Path) -> Store:
    """Six dates with 1, 2 or 3 features each (some overlapping), one with hostile labels."""
    st = open_store(store_dir)
    snaps = []
    for n in range(6):
        parts = [box(37.0, 48.0, 37.5 + 0.05 * n, 48.5)]
        if n % 2 or n == 4:
            parts.append(box(37.4, 48.4, 37.7, 48.7))  # overlaps the first: a real union
        if n == 4:
            parts.append(box(38.0, 49.0, 38.2, 49.2))
        labels = [f"<b>part {i}</b>\x00" for i in range(len(parts))]
        snaps.append(make_snapshot(parts, day([0, 1, 3, 4, 9, 10][n]), labels=labels))
    st.ingest(snaps)
    return st


def test_read_series_matches_get_for_every_date(store: Store) -> None:
    series = store.read_series(LAYER)
    assert series.source == "test" and series.layer == LAYER
    assert series.dates == store.dates(LAYER)
    assert not series.loaded  # catalog columns need no file read
    assert series.n_features.tolist() == [1, 2, 1, 2, 3, 2]
    assert series.offsets.tolist() == [0, 1, 3, 4, 6, 9, 11]
    for i, date in enumerate(series.dates):
        one = store.get(LAYER, date)
        assert series.geometry(i).equals(one.geometry)
        assert shapely.to_wkb(series.geometry(i)) == shapely.to_wkb(one.geometry)
        assert list(shapely.to_wkb(series.features(i))) == list(
            shapely.to_wkb(one.features.geometry.values)
        )
        assert series.area_km2[i] == one.area_km2
        assert series.content_hashes[i] == one.content_hash
        snap = series.snapshot(i)
        assert_geodataframe_equal(snap.features, one.features)
        assert (snap.provenance, snap.hygiene, snap.key) == (one.provenance, one.hygiene, one.key)


def test_series_builds_on_read_series_and_keeps_its_contract(store: Store) -> None:
    snaps = store.series(LAYER, start=day(2), end=day(9))
    assert [s.date for s in snaps] == [day(1), day(3), day(4), day(9)]  # starts before day 2
    for snap in snaps:
        one = store.get(LAYER, snap.date)
        assert_geodataframe_equal(snap.features, one.features)
        assert snap.content_hash == one.content_hash and snap.area_km2 == one.area_km2
        # Catalog figures are the ones computed from the stored features.
        fresh = make_snapshot(
            list(one.features.geometry), snap.date, labels=list(one.features["label"])
        )
        assert fresh.area_km2 == pytest.approx(snap.area_km2, rel=1e-12)
    series = store.read_series(LAYER, start=day(2), end=day(9))
    assert series.dates == [s.date for s in snaps]


def test_errors_are_those_of_series(store: Store) -> None:
    with pytest.raises(SnapshotNotFoundError, match="no snapshots of layer 'contested'"):
        store.read_series("contested")
    with pytest.raises(StoreError, match="after end"):
        store.read_series(LAYER, start=day(5), end=day(1))
    store.ingest([make_snapshot(box(30, 45, 31, 46), D0, source="other")])
    with pytest.raises(StoreError, match="pass source="):
        store.read_series(LAYER)
    assert len(store.read_series(LAYER, source="other")) == 1


def test_missing_unreadable_and_mismatched_files_name_the_fix(store: Store) -> None:
    files = store.read_series(LAYER).files
    files[2].unlink()
    with pytest.raises(StoreError, match=r"missing; re-ingest /in/test/"):
        store.read_series(LAYER).load()
    with pytest.raises(StoreError, match="missing"):
        store.series(LAYER)
    files[3].write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="unreadable"):
        store.read_series(LAYER, start=day(4)).load()
    table = pq.read_table(files[4])
    pq.write_table(table.slice(0, 1), files[4])
    with pytest.raises(StoreError, match="does not match the catalog"):
        _ = store.read_series(LAYER, start=day(9)).geometries
    # Dates before the damage still read.
    assert len(store.read_series(LAYER, end=day(1)).geometries) == 2


def test_chunks_cover_every_pair_once_and_read_only_their_files(store: Store) -> None:
    series = store.read_series(LAYER)
    chunks = list(series.chunks(3, overlap=1))
    assert [c.dates for c in chunks] == [series.dates[0:3], series.dates[2:5], series.dates[4:6]]
    pairs = [(a, b) for c in chunks for a, b in zip(c.dates, c.dates[1:], strict=False)]
    assert pairs == list(zip(series.dates, series.dates[1:], strict=False))
    assert not any(c.loaded for c in chunks) and not series.loaded
    chunks[1].load()
    assert chunks[1].table.num_rows == 1 + 2 + 3 and not chunks[0].loaded
    assert [len(c) for c in series.chunks(4)] == [4, 2]
    with pytest.raises(ValueError, match="overlap"):
        list(series.chunks(2, overlap=2))


def test_slices_of_a_loaded_series_share_its_columns(store: Store) -> None:
    series = store.read_series(LAYER)
    geoms = series.geometries
    part = series[2:5]
    assert part.loaded and part.dates == series.dates[2:5]
    assert part.offsets.tolist() == [0, 1, 3, 6]
    assert all(part.geometry(i) is geoms[i + 2] for i in range(3))
    assert part.snapshot(1).date == series.dates[3]
    with pytest.raises(TypeError, match="slice"):
        series[1]  # type: ignore[index]


def test_pickles_with_its_arrow_columns_and_without_parsed_geometries(store: Store) -> None:
    series = store.read_series(LAYER)
    assert len(series.geometries) == 6  # parsed: not to be pickled
    copy = pickle.loads(pickle.dumps(series))
    assert copy.loaded and copy._feature_geoms is None and copy._geoms is None
    assert copy.table.equals(series.table)
    assert all(copy.geometry(i).equals(series.geometry(i)) for i in range(len(series)))
    unread = pickle.loads(pickle.dumps(store.read_series(LAYER)))
    assert not unread.loaded and len(unread.geometries) == 6  # reads its files when used


def test_empty_snapshot_and_repr(store_dir: Path) -> None:
    st = open_store(store_dir)
    st.ingest([make_snapshot(None, D0), make_snapshot(box(37, 48, 38, 49), day(1))])
    series = st.read_series(LAYER)
    assert series.n_features.tolist() == [0, 1]
    assert series.geometry(0).is_empty and series.geometry(0).geom_type == "MultiPolygon"
    assert series.snapshot(0).n_features == 0
    assert (
        repr(series)
        == "<SnapshotSeries test/russian_control: 2 snapshots, 2024-01-01 .. 2024-01-02>"
    )
    hostile = SnapshotSeries("a\nb", "c\x1bd", [], [])
    assert "\n" not in repr(hostile) and "\x1b" not in repr(hostile)


def test_file_columns_are_cast_to_one_schema(store: Store) -> None:
    # Files written by older versions (geopandas: dictionary-free strings, WKB with metadata)
    # and by this one concatenate into one table.
    series = store.read_series(LAYER)
    old = series.files[0]
    table = pq.read_table(old)
    legacy = pa.table(
        {"label": table["label"].cast(pa.string()), "properties": table["properties"],
         "geometry": table["geometry"]},
        metadata=table.schema.metadata,
    )  # fmt: skip
    pq.write_table(legacy, old)
    again = store.read_series(LAYER)
    assert again.table.schema.field("label").type == pa.large_string()
    assert again.geometry(0).equals(series.geometry(0))
    assert json.loads(again.table["properties"][0].as_py()) == {}
