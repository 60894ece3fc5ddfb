"""The store's on-disk format: file names, records, slugs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest
from conftest import make_snapshot
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from geo.catalog import (
    CATALOG_COLUMNS,
    read_snapshot,
    slug,
    snapshot_file,
    to_record,
    write_snapshot,
)
from geo.errors import StoreError
from geo.snapshot import Provenance, Snapshot, make_features

D = dt.date(2024, 5, 1)


@given(st.text(max_size=80))
def test_slug_is_a_safe_single_path_part(name: str) -> None:
    out = slug(name)
    assert out and "/" not in out and "\\" not in out and out not in {".", ".."}
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in out)
    assert slug(name) == out  # stable


def test_different_unsafe_names_get_different_slugs() -> None:
    assert slug("../etc") != slug("__etc")
    assert slug("Донецьк") != slug("Луганськ")
    assert slug("russian_control") == "russian_control"


def test_file_name_is_content_addressed_and_inside_the_store() -> None:
    one, other = make_snapshot(date=D, source="isw"), make_snapshot(date=D, source="../../evil")
    path = PurePosixPath(snapshot_file(one))
    assert path.parts[:3] == ("snapshots", "isw", "russian_control")
    assert path.name.startswith("2024-05-01-") and one.content_hash[:16] in path.name
    assert ".." not in PurePosixPath(snapshot_file(other)).parts


def test_record_round_trip(tmp_path: Path) -> None:
    original = make_snapshot(
        date=D,
        labels=["a"],
        properties=['{"k": 1}'],
        provenance=Provenance(path="in.geojson", sha256="ab", notes=("n1",)),
    )
    target = tmp_path / "x.parquet"
    write_snapshot(target, original)
    record = to_record(original, file="x.parquet", ingested_at="2026-01-01T00:00:00Z")
    assert set(record) == set(CATALOG_COLUMNS)
    again = read_snapshot(target, record)
    assert again.content_hash == original.content_hash
    assert again.provenance.notes == ("n1",)
    target.write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=r"re-ingest in\.geojson"):
        read_snapshot(target, record)


def test_snapshot_files_are_geoparquet_for_other_tools(tmp_path: Path) -> None:
    import json

    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    holed = shapely.Polygon(box(37, 48, 38, 49).exterior, [box(37.2, 48.2, 37.4, 48.4).exterior])
    original = Snapshot(
        "isw", "russian_control", dt.date(2024, 5, 1),
        make_features([holed, box(39, 50, 39.5, 50.5)], ["a", "<b>"], ['{"k": 1}', "{}"]),
        Provenance(path="in.geojson"),
    )  # fmt: skip
    target = tmp_path / "x.parquet"
    write_snapshot(target, original, sync=False)
    frame = gpd.read_parquet(target)
    assert frame.crs.to_epsg() == 4326
    assert frame["label"].tolist() == ["a", "<b>"]
    assert [shapely.to_wkb(g) for g in frame.geometry] == [
        shapely.to_wkb(g) for g in original.features.geometry
    ]
    meta = json.loads(pq.read_schema(target).metadata[b"geo"])
    column = meta["columns"]["geometry"]
    assert meta["version"] == "1.1.0" and meta["primary_column"] == "geometry"
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["Polygon"]
    assert column["bbox"] == [37.0, 48.0, 39.5, 50.5]
    # The catalog's figures are those a fresh snapshot of the stored features gives.
    record = to_record(original, file="x.parquet", ingested_at="2026-01-01T00:00:00Z")
    again = read_snapshot(target, record)
    fresh = Snapshot(
        "isw", "russian_control", dt.date(2024, 5, 1),
        make_features(list(frame.geometry), list(frame["label"]), list(frame["properties"])),
        Provenance(path="in.geojson"),
    )  # fmt: skip
    assert (again.content_hash, again.area_km2) == (fresh.content_hash, fresh.area_km2)
    assert again.content_hash == original.content_hash


def test_make_features_frame_is_the_geodataframe_constructors() -> None:
    import geopandas as gpd
    from geopandas.testing import assert_geodataframe_equal

    geoms = [box(0, 0, 1, 1), box(2, 2, 3, 3)]
    expected = gpd.GeoDataFrame(
        {"label": ["a", "b"], "properties": ["{}", "{}"]},
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    got = make_features(geoms, ["a", "b"])
    assert_geodataframe_equal(got, expected)
    assert got.geometry.name == "geometry" and got.crs == "EPSG:4326"
    assert len(make_features([])) == 0 and make_features([]).crs == "EPSG:4326"
