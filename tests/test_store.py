"""Tests of geo.store: ingest, catalog, get, atomicity, locking, hostile names."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs
import pyarrow.parquet as pq
import pytest
import shapely
from conftest import make_snapshot

from geo.errors import DuplicateSnapshotError, SnapshotNotFoundError, StoreError
from geo.geometry import HygieneReport
from geo.snapshot import Provenance, Snapshot
from geo.store import CATALOG_COLUMNS, IngestReport, Store, default_store_path, open_store

#: Geodesic area of a 1 x 1 degree cell on the equator (WGS 84).
CELL_KM2 = 12308.78
D1, D5, D10 = dt.date(2024, 1, 1), dt.date(2024, 1, 5), dt.date(2024, 1, 10)


def box_snapshot(
    date: dt.date = D1,
    *,
    layer: str = "russian_advances",
    source: str = "isw",
    width_deg: float = 1.0,
    path: str = "/in/a.geojson",
    member: str | None = None,
) -> Snapshot:
    """One equatorial box ``width_deg`` wide and 1 degree tall, with a file's metadata."""
    return make_snapshot(
        shapely.box(0, 0, width_deg, 1),
        date,
        source=source,
        layer=layer,
        labels=["Box"],
        properties=[json.dumps({"w": width_deg})],
        provenance=Provenance(
            path=path,
            sha256="ab" * 32,
            member=member,
            original_layer="Assessed Russian Advance",
            date_rule="file name",
            notes=("label merged",),
        ),
        hygiene=HygieneReport(n_input=2, n_null=1, n_output=1, source_crs="EPSG:3857"),
    )


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def snapshot_files(root: Path) -> set[str]:
    return {f for f in files_under(root) if f.startswith("snapshots/")}


def test_round_trip_geometry_provenance_hygiene(store_dir: Path) -> None:
    store = open_store(store_dir)
    snap = box_snapshot(member="inner/layer.geojson")
    report = store.ingest([snap, box_snapshot(layer="ukraine_control", width_deg=0.5)])
    assert report.added == [("isw", "russian_advances", D1), ("isw", "ukraine_control", D1)]
    assert report.summary() == "added 2, unchanged 0, replaced 0"

    got = store.get("russian_advances", D1)
    assert got.key == snap.key
    assert got.date == D1 and isinstance(got.date, dt.date)
    assert shapely.equals(got.geometry, snap.geometry)
    assert list(got.features.columns) == ["label", "properties", "geometry"]
    assert got.features["label"].tolist() == ["Box"]
    assert json.loads(got.features["properties"].iloc[0]) == {"w": 1.0}
    assert got.features.crs == "EPSG:4326"
    assert got.provenance == snap.provenance
    assert got.hygiene == snap.hygiene
    assert got.content_hash == snap.content_hash
    assert got.area_km2 == pytest.approx(CELL_KM2, rel=1e-4)

    row = store.catalog().iloc[0]
    assert list(store.catalog().columns) == list(CATALOG_COLUMNS)
    assert row["area_km2"] == pytest.approx(CELL_KM2, rel=1e-4)
    assert store.catalog().iloc[1]["area_km2"] == pytest.approx(CELL_KM2 / 2, rel=1e-3)
    assert isinstance(row["date"], dt.date)
    assert row["n_features"] == 1
    assert json.loads(row["notes"]) == ["label merged"]
    assert json.loads(row["hygiene"])["n_null"] == 1
    assert dt.datetime.fromisoformat(row["ingested_at"]).tzinfo is not None
    assert (
        row["file"] == f"snapshots/isw/russian_advances/2024-01-01-{snap.content_hash[:16]}.parquet"
    )
    assert (store_dir / row["file"]).is_file()
    assert json.loads((store_dir / "store.json").read_text()) == {
        "format": "geo-store",
        "version": 1,
    }


def test_reingest_same_content_is_a_no_op(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    before = (store_dir / "catalog.parquet").stat()
    files = files_under(store_dir)
    # same content from another file: still unchanged, first provenance kept
    report = store.ingest([box_snapshot(path="/elsewhere/copy.geojson")])
    assert report == IngestReport(unchanged=[("isw", "russian_advances", D1)])
    after = (store_dir / "catalog.parquet").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert files_under(store_dir) == files
    assert store.get("russian_advances", D1).provenance.path == "/in/a.geojson"


def test_changed_content_conflicts_unless_replace(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot(path="/in/old.geojson")])
    old_files = snapshot_files(store_dir)
    changed = box_snapshot(width_deg=0.5, path="/in/new.geojson")
    with pytest.raises(DuplicateSnapshotError) as info:
        store.ingest([changed])
    message = str(info.value)
    assert "/in/old.geojson" in message and "/in/new.geojson" in message
    assert "pass replace=True to overwrite" in message
    assert snapshot_files(store_dir) == old_files
    assert store.get("russian_advances", D1).area_km2 == pytest.approx(CELL_KM2, rel=1e-4)

    report = store.ingest([changed], replace=True)
    assert report.replaced == [("isw", "russian_advances", D1)] and not report.added
    got = store.get("russian_advances", D1)
    assert got.area_km2 == pytest.approx(CELL_KM2 / 2, rel=1e-3)
    assert got.provenance.path == "/in/new.geojson"
    assert len(store) == 1
    new_files = snapshot_files(store_dir)
    assert len(new_files) == 1 and new_files.isdisjoint(old_files)


def test_batch_conflict_names_both_inputs_and_writes_nothing(store_dir: Path) -> None:
    store = open_store(store_dir)
    first = box_snapshot(path="/in/one.zip", member="a.geojson")
    second = box_snapshot(width_deg=0.25, path="/in/two.geojson")
    with pytest.raises(DuplicateSnapshotError, match=r"/in/one\.zip!a\.geojson.*/in/two\.geojson"):
        store.ingest([first, second], replace=True)
    assert len(store) == 0
    assert snapshot_files(store_dir) == set()
    # an exact repeat inside one batch is harmless
    assert store.ingest([first, box_snapshot(path="/in/copy.geojson")]).summary() == (
        "added 1, unchanged 0, replaced 0"
    )


def test_get_nearest_on_or_before_and_not_found(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest(box_snapshot(d, width_deg=w) for d, w in [(D1, 1.0), (D5, 0.5), (D10, 0.25)])
    got = store.get("russian_advances", dt.date(2024, 1, 7), exact=False)
    assert got.date == D5
    assert got.area_km2 == pytest.approx(CELL_KM2 / 2, rel=1e-3)
    assert store.get("russian_advances", D10, exact=False).date == D10
    assert store.get("russian_advances", dt.datetime(2024, 1, 5, 12, 0)).date == D5

    with pytest.raises(SnapshotNotFoundError) as info:
        store.get("russian_advances", dt.date(2024, 1, 7))
    assert "2024-01-05 (before)" in str(info.value) and "2024-01-10 (after)" in str(info.value)
    assert "exact=False" in str(info.value)
    with pytest.raises(SnapshotNotFoundError, match=r"2024-01-01 \(after\)"):
        store.get("russian_advances", dt.date(2023, 12, 31), exact=False)
    with pytest.raises(SnapshotNotFoundError, match="russian_advances"):
        store.get("no_such_layer", D1)


def test_several_sources_need_a_source(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot(), box_snapshot(source="deepstate", width_deg=0.5)])
    with pytest.raises(StoreError, match="deepstate, isw") as info:
        store.get("russian_advances", D1)
    assert not isinstance(info.value, SnapshotNotFoundError)
    got = store.get("russian_advances", D1, source="deepstate")
    assert got.source == "deepstate"
    assert got.area_km2 == pytest.approx(CELL_KM2 / 2, rel=1e-3)


def test_filters_and_listings(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest(
        [
            box_snapshot(D10),
            box_snapshot(D1),
            box_snapshot(D5, layer="ukraine_control"),
            box_snapshot(D5, source="deepstate"),
        ]
    )
    catalog = store.catalog()
    assert list(zip(catalog["source"], catalog["layer"], catalog["date"], strict=True)) == [
        ("deepstate", "russian_advances", D5),
        ("isw", "russian_advances", D1),
        ("isw", "russian_advances", D10),
        ("isw", "ukraine_control", D5),
    ]
    assert len(store) == 4
    assert store.sources() == ["deepstate", "isw"]
    assert store.layers() == ["russian_advances", "ukraine_control"]
    assert store.layers(source="deepstate") == ["russian_advances"]
    assert store.dates("russian_advances") == [D1, D5, D10]
    assert store.dates("russian_advances", source="isw") == [D1, D10]
    rows = store.snapshots(layer="russian_advances", start=D5, end=D10)
    assert list(rows["date"]) == [D5, D10]
    assert list(store.snapshots(source="isw", end=D5)["date"]) == [D1, D5]
    assert store.snapshots(layer="nothing").empty
    with pytest.raises(StoreError, match="after end"):
        store.snapshots(start=D10, end=D1)
    # the returned frame is a copy
    catalog.loc[0, "source"] = "changed"
    assert store.sources() == ["deepstate", "isw"]


def test_second_store_object_sees_new_rows(store_dir: Path) -> None:
    reader, writer = open_store(store_dir), open_store(store_dir)
    assert len(reader) == 0
    writer.ingest([box_snapshot()])
    assert len(reader) == 1
    writer.ingest([box_snapshot(D5)])
    assert reader.dates("russian_advances") == [D1, D5]


def test_crash_before_catalog_leaves_store_unchanged(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    catalog_bytes = (store_dir / "catalog.parquet").read_bytes()
    real_replace = os.replace

    def crash_on_catalog(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "catalog.parquet":
            raise OSError(28, "No space left on device (simulated)")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_catalog)
    with pytest.raises(StoreError, match="the store is unchanged"):
        store.ingest([box_snapshot(D5), box_snapshot(D10)])
    monkeypatch.setattr(os, "replace", real_replace)

    assert (store_dir / "catalog.parquet").read_bytes() == catalog_bytes
    assert not any(p.name.endswith(".tmp") for p in store_dir.iterdir())
    assert len(snapshot_files(store_dir)) == 3  # two orphans beside the stored one
    fresh = open_store(store_dir)
    assert fresh.dates("russian_advances") == [D1]
    with pytest.raises(SnapshotNotFoundError):
        store.get("russian_advances", D5)

    assert store.vacuum() == 2
    assert len(snapshot_files(store_dir)) == 1
    assert store.ingest([box_snapshot(D5)]).added == [("isw", "russian_advances", D5)]
    assert store.dates("russian_advances") == [D1, D5]


def test_next_ingest_removes_orphans(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(store_dir)
    real_replace = os.replace

    def crash_on_catalog(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "catalog.parquet":
            raise OSError("simulated")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_catalog)
    with pytest.raises(StoreError):
        store.ingest([box_snapshot(D5)])
    monkeypatch.undo()
    orphan = snapshot_files(store_dir)
    assert len(orphan) == 1
    store.ingest([box_snapshot(D10)])
    assert snapshot_files(store_dir).isdisjoint(orphan)
    assert store.vacuum() == 0


def test_missing_snapshot_file_is_reported_and_repaired(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    stored = store_dir / store.catalog().iloc[0]["file"]
    stored.unlink()
    with pytest.raises(StoreError, match=r"missing; re-ingest /in/a\.geojson"):
        store.get("russian_advances", D1)
    assert store.ingest([box_snapshot()]).unchanged == [("isw", "russian_advances", D1)]
    assert stored.is_file()
    assert store.get("russian_advances", D1).n_features == 1


@pytest.mark.parametrize(
    ("source", "layer"),
    [
        ("../../etc", "<script>alert(1)</script>"),
        ("..", "."),
        ("/abs/olute", "a\\b\x00c\nd"),
        ("CON", "Росія окупована"),
        ("", "x" * 300),
    ],
)
def test_hostile_names_stay_inside_root(tmp_path: Path, source: str, layer: str) -> None:
    root = tmp_path / "deep" / "store"
    store = open_store(root)
    store.ingest([box_snapshot(source=source, layer=layer)])
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(root)}
    assert outside == {tmp_path / "deep"}
    for file in snapshot_files(root):
        assert (root / file).resolve().is_relative_to(root.resolve())
        assert all(part not in {"", ".", ".."} for part in file.split("/"))
    assert store.sources() == [source] and store.layers() == [layer]
    got = store.get(layer, D1, source=source)
    assert (got.source, got.layer) == (source, layer)
    page = store._repr_html_()
    assert "<script>" not in page and "\x00" not in page and "\n" not in page
    if layer.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\n" not in repr(store)


def test_hostile_names_in_distinct_folders(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot(layer="a/b"), box_snapshot(layer="a_b"), box_snapshot(layer="a?b")])
    folders = {f.split("/")[2] for f in snapshot_files(store_dir)}
    assert len(folders) == 3 and "a_b" in folders


def test_catalog_path_outside_root_is_refused(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    table = pq.read_table(store_dir / "catalog.parquet")
    evil = table.set_column(
        table.schema.get_field_index("file"), "file", [["../../outside.parquet"]]
    )
    pq.write_table(evil, store_dir / "catalog.parquet")
    with pytest.raises(StoreError, match="outside store"):
        store.get("russian_advances", D1)


def test_repr_and_html(store_dir: Path) -> None:
    store = open_store(store_dir)
    assert "0 snapshots" in store._repr_html_()
    store.ingest([box_snapshot(D1), box_snapshot(D10), box_snapshot(D5, source="deepstate")])
    assert repr(store) == f"<Store {store_dir}: 3 snapshots, 2 sources, 1 layers>"
    page = store._repr_html_()
    assert (
        "<td>isw</td><td>russian_advances</td><td>2024-01-01</td><td>2024-01-10</td><td>2</td>"
        in page
    )


def test_progress_bar_on_stderr(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_store(store_dir).ingest([box_snapshot()], progress=True)
    captured = capsys.readouterr()
    assert "storing" in captured.err and captured.out == ""


def test_default_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_STORE", str(tmp_path / "env-store"))
    assert default_store_path() == tmp_path / "env-store"
    store = open_store()
    assert store.path == tmp_path / "env-store"
    assert (tmp_path / "env-store" / "store.json").is_file()
    monkeypatch.delenv("GEO_STORE")
    assert default_store_path() == platformdirs.user_data_path("geo") / "store"


def test_open_refuses_foreign_folders(tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(StoreError, match=r"non-empty folder without store\.json"):
        open_store(foreign)
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]
    with pytest.raises(StoreError, match="is a file"):
        open_store(foreign / "cat.jpg")
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()
    with pytest.raises(StoreError, match=r"store\.json is missing"):
        Store(foreign)


def test_open_refuses_newer_or_corrupt_store(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    (store_dir / "catalog.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(StoreError, match=r"catalog .*catalog\.parquet is unreadable.*backup"):
        store.catalog()
    with pytest.raises(StoreError, match="catalog"):
        open_store(store_dir).get("russian_advances", D1)
    assert "unreadable catalog" in repr(store)
    pq.write_table(pq.read_table(_tiny_parquet(store_dir)), store_dir / "catalog.parquet")
    with pytest.raises(StoreError, match=r"unreadable \(.Field .source. does not exist"):
        len(store)
    (store_dir / "store.json").write_text('{"format": "geo-store", "version": 2}')
    with pytest.raises(StoreError, match="version 2 is not 1; upgrade geo"):
        open_store(store_dir)
    (store_dir / "store.json").write_text("{oops")
    with pytest.raises(StoreError, match=r"store\.json is missing or unreadable"):
        open_store(store_dir)


def test_lost_catalog_is_not_taken_for_an_empty_store(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([box_snapshot()])
    (store_dir / "catalog.parquet").unlink()
    with pytest.raises(StoreError, match="lost but snapshots exist"):
        store.ingest([box_snapshot(D5)])
    with pytest.raises(StoreError, match="lost but snapshots exist"):
        store.vacuum()
    assert len(snapshot_files(store_dir)) == 1  # nothing vacuumed away


def test_bad_snapshot_rejected_before_anything_is_written(store_dir: Path) -> None:
    store = open_store(store_dir)
    good = box_snapshot()
    bad = box_snapshot(D5)
    bad = Snapshot(bad.source, bad.layer, bad.date, bad.features.to_crs(3857), bad.provenance)
    with pytest.raises(StoreError, match=r"/in/a\.geojson: russian_advances: .*EPSG:4326"):
        store.ingest([good, bad])
    assert len(store) == 0 and snapshot_files(store_dir) == set()
    assert open_store(store_dir, create=False).path == store_dir


def _tiny_parquet(folder: Path) -> Path:
    import pyarrow as pa

    path = folder.parent / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), path)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="uses fcntl to hold the lock")
def test_second_writer_waits_then_fails(store_dir: Path) -> None:
    import fcntl

    store = open_store(store_dir, lock_timeout_s=0.2)
    with (store_dir / ".lock").open("a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(StoreError, match="busy"):
            store.ingest([box_snapshot()])
        assert time.monotonic() - started >= 0.2
        with pytest.raises(StoreError, match="busy"):
            store.vacuum()
        assert len(store) == 0

        store.lock_timeout_s = 10.0
        timer = threading.Timer(0.3, lambda: fcntl.flock(held.fileno(), fcntl.LOCK_UN))
        timer.start()
        report = store.ingest([box_snapshot()])
        timer.join()
    assert report.added == [("isw", "russian_advances", D1)]


# --- notebook API: timeline map ---------------------------------------------


def capture_timeline(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace the timeline renderer by one that records what it is given."""
    import folium

    import geo.render.timeline

    seen: dict[str, Any] = {}

    def fake(series: dict[str, list[Snapshot]], **kw: Any) -> folium.Map:
        seen.update(series=series, **kw)
        return folium.Map(tiles=None)

    monkeypatch.setattr(geo.render.timeline, "timeline_map", fake)
    return seen


def test_map_is_a_timeline_of_the_range(store_dir: Path) -> None:
    import folium

    store = open_store(store_dir)
    store.ingest([box_snapshot(D1), box_snapshot(D5, width_deg=0.5), box_snapshot(D10)])
    store.ingest([box_snapshot(D5, layer="contested")])
    fmap = store.map("russian_advances", start=D5, tiles=None)
    assert isinstance(fmap, folium.Map)
    page = fmap.get_root().render()
    # a human title: layer, publisher, date range (D5 to D10), never "layer (source)"
    assert "russian_advances, Institute for the Study of War (ISW), " in page
    assert "russian_advances (isw)" not in page and "SYNTHETIC SAMPLE DATA" not in page
    both = store.map(["russian_advances", "contested"], tiles=None, title="Mine").get_root()
    assert "Mine" in both.render() and "Institute for the Study of War (ISW), " not in both.render()


def test_map_passes_the_range_and_options(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_timeline(monkeypatch)
    store = open_store(store_dir)
    store.ingest([box_snapshot(D1), box_snapshot(D5, width_deg=0.5), box_snapshot(D10)])
    store.ingest([box_snapshot(D5, layer="contested")])
    store.map("russian_advances", start=D5, tiles=None, tolerance_m=0)
    assert [s.date for s in seen["series"]["russian_advances"]] == [D5, D10]
    assert seen["series"]["russian_advances"][0].area_km2 == pytest.approx(CELL_KM2 / 2, rel=1e-3)
    assert (seen["tiles"], seen["tolerance_m"], seen["notice"]) == (None, 0, None)
    assert "title" not in seen, "timeline_map writes the human default title"
    store.map(["russian_advances", "contested"], end=D5, title="Mine", notice="Draft")
    assert list(seen["series"]) == ["russian_advances", "contested"]
    assert [s.date for s in seen["series"]["russian_advances"]] == [D1, D5]
    assert (seen["title"], seen["notice"]) == ("Mine", "Draft")


def test_map_of_sample_says_synthetic(store_dir: Path) -> None:
    from geo.sample import SAMPLE_NOTICE

    store = open_store(store_dir)
    store.ingest([box_snapshot(D1, source="sample"), box_snapshot(D5, source="sample")])
    assert SAMPLE_NOTICE in store.map("russian_advances", tiles=None).get_root().render()


def test_map_errors_name_the_fix(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_timeline(monkeypatch)
    store = open_store(store_dir)
    store.ingest([box_snapshot(D1), box_snapshot(D5, source="deepstate")])
    with pytest.raises(StoreError, match=r"several sources.*pass source="):
        store.map("russian_advances")
    store.map("russian_advances", source="deepstate")
    assert [s.source for s in seen["series"]["russian_advances"]] == ["deepstate"]
    with pytest.raises(SnapshotNotFoundError, match="between 2024-01-06 and the last"):
        store.map("russian_advances", start=dt.date(2024, 1, 6))


def test_map_escapes_hostile_layer_names(store_dir: Path) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    store = open_store(store_dir)
    store.ingest([box_snapshot(D1, layer=hostile, source=hostile)])
    page = store.map(hostile, tiles=None).get_root().render()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in store._repr_html_()


def test_repr_is_one_line_even_for_a_path_with_a_newline(tmp_path: Path) -> None:
    store = open_store(tmp_path / "odd\nname")
    text = repr(store)
    assert "\n" not in text and text.startswith("<Store ") and "0 snapshots" in text
