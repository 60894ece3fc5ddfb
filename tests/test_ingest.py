"""geo.ingest: files unchanged since the last ingest are proven so and not read again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

import geo.ingest as ingest_module
from geo.catalog import INPUTS_NAME
from geo.cli import cli
from geo.errors import DuplicateSnapshotError, ValidationError
from geo.ingest import ingest_files
from geo.store import Store, open_store


def write_day(folder: Path, day: str, east: float = 37.5, *, name: str | None = None) -> Path:
    path = folder / (name or f"control_{day}.geojson")
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"layer": "russian_control"},
             "geometry": mapping(box(37.0, 48.0, east, 48.5))}
        ],
    }  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, day in enumerate(["2024-01-01", "2024-01-02", "2024-01-03"]):
        write_day(folder, day, 37.5 + 0.1 * i)
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every file geo.ingest reads."""
    seen: list[Path] = []
    real = ingest_module.read

    def counting(path: Path, **kw: object) -> object:
        seen.append(Path(path))
        return real(path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "read", counting)
    return seen


def test_second_ingest_reads_nothing_and_reports_unchanged(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    first = ingest_files(store, [inputs])
    assert first.summary() == "added 3, unchanged 0, replaced 0 (3 files, 3 read)"
    assert len(reads) == 3 and (store_dir / INPUTS_NAME).is_file()
    catalog = store.catalog()
    reads.clear()
    again = ingest_files(store, [inputs])
    assert reads == []
    assert again.summary() == "added 0, unchanged 3, replaced 0 (3 files, 0 read)"
    assert sorted(again.report.unchanged) == sorted(first.report.added)
    assert store.catalog().equals(catalog)


def test_changed_bytes_with_the_same_size_and_time_are_read(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    path = inputs / "control_2024-01-02.geojson"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("37.6", "37.7")  # same length, other bytes
    assert changed != text and len(changed) == len(text)
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # same size and time: a stat lies
    reads.clear()
    with pytest.raises(DuplicateSnapshotError, match="replace"):
        ingest_files(store, [inputs])
    assert reads == [path]  # the hash caught it; the other two were proven unchanged
    result = ingest_files(store, [inputs], replace=True)
    assert [k[2].isoformat() for k in result.report.replaced] == ["2024-01-02"]


def test_a_touched_file_is_read_again_and_found_unchanged(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    path = inputs / "control_2024-01-03.geojson"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    reads.clear()
    result = ingest_files(store, [inputs])
    assert reads == [path] and result.report.summary() == "added 0, unchanged 3, replaced 0"
    reads.clear()
    ingest_files(store, [inputs])  # its new time was recorded
    assert reads == []


def test_other_options_fingerprint_or_reread_read_again(
    inputs: Path, store_dir: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    reads.clear()
    ingest_files(store, [inputs], source="mine")  # other options: other snapshots
    assert len(reads) == 3
    assert sorted(store.sources()) == ["mine", "user"]
    reads.clear()
    ingest_files(store, [inputs], reread=True)
    assert len(reads) == 3
    reads.clear()
    monkeypatch.setattr(ingest_module, "reader_fingerprint", lambda: "another geo")
    ingest_files(store, [inputs])
    assert len(reads) == 3
    # Naming each file instead of their folder changes the folder dates stop at.
    reads.clear()
    ingest_files(store, sorted(inputs.iterdir()))
    assert len(reads) == 3


def test_a_lost_or_replaced_snapshot_makes_its_file_read(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    lost = store_dir / store.catalog().iloc[0]["file"]
    lost.unlink()
    reads.clear()
    result = ingest_files(store, [inputs])
    assert reads == [inputs / "control_2024-01-01.geojson"] and lost.is_file()  # repaired
    assert result.report.summary() == "added 0, unchanged 3, replaced 0"
    # Another file replaces one of its snapshots: it is no longer proven unchanged.
    other = write_day(inputs.parent, "2024-01-02", 38.0, name="other_2024-01-02.geojson")
    ingest_files(store, [other], replace=True)
    reads.clear()
    with pytest.raises(DuplicateSnapshotError):
        ingest_files(store, [inputs])
    assert reads == [inputs / "control_2024-01-02.geojson"]


def test_a_new_file_clashing_with_a_skipped_one_is_found_as_usual(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    clash = write_day(inputs, "2024-01-02", 38.5, name="late_2024-01-02.geojson")
    reads.clear()
    with pytest.raises(DuplicateSnapshotError, match="two inputs give different content"):
        ingest_files(store, [inputs], replace=True)
    assert set(reads) == {clash, inputs / "control_2024-01-02.geojson"}


def test_bad_files_store_nothing_unless_skip_bad(inputs: Path, store_dir: Path) -> None:
    store = open_store(store_dir)
    (inputs / "broken_2024-01-09.geojson").write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match="1 of 4 files could not be read"):
        ingest_files(store, [inputs])
    assert len(store) == 0
    result = ingest_files(store, [inputs], skip_bad=True)
    assert len(result.problems) == 1 and result.report.summary().startswith("added 3")
    again = ingest_files(store, [inputs], skip_bad=True)  # the bad file is tried again
    assert again.n_read == 1 and len(again.problems) == 1


def test_an_unreadable_inputs_table_only_costs_a_reread(
    inputs: Path, store_dir: Path, reads: list[Path]
) -> None:
    store = open_store(store_dir)
    ingest_files(store, [inputs])
    (store_dir / INPUTS_NAME).write_bytes(b"garbage")
    reads.clear()
    assert ingest_files(store, [inputs]).report.summary() == "added 0, unchanged 3, replaced 0"
    assert len(reads) == 3
    reads.clear()
    ingest_files(store, [inputs])
    assert reads == []


def test_notes_of_skipped_files_come_from_the_catalog(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "odd_2024-01-01.geojson"
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"layer": "Some Unknown Layer"},
         "geometry": mapping(box(37, 48, 38, 49))}]}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    store: Store = open_store(store_dir)
    first = ingest_files(store, [path])
    again = ingest_files(store, [path])
    assert again.n_read == 0 and first.notes and again.notes == first.notes


def test_cli_ingest_says_how_many_files_were_read(inputs: Path, store_dir: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["ingest", str(inputs), "--store", str(store_dir)])
    assert (
        first.exit_code == 0 and "added 3" in first.output and "(3 files, 3 read)" in first.output
    )
    again = runner.invoke(cli, ["ingest", str(inputs), "--store", str(store_dir)])
    assert "added 0, unchanged 3, replaced 0 (3 files, 0 read)" in again.output
    forced = runner.invoke(cli, ["ingest", str(inputs), "--store", str(store_dir), "--reread"])
    assert "(3 files, 3 read)" in forced.output
