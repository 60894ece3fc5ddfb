"""The store's on-disk format: file names, records, slugs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest
from conftest import make_snapshot
from hypothesis import given
from hypothesis import strategies as st

from geo.catalog import (
    CATALOG_COLUMNS,
    read_snapshot,
    slug,
    snapshot_file,
    to_record,
    write_snapshot,
)
from geo.errors import StoreError
from geo.snapshot import Provenance

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
