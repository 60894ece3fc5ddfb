"""The store never touches anything outside itself, and survives being created in parallel.

A ``snapshots/`` folder replaced by a link to the user's files used to have
its clean-up delete those files; several ``geo ingest`` creating one new
store at once used to fail with "non-empty folder without store.json".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import make_snapshot
from shapely.geometry import box

from geo.errors import StoreError
from geo.store import open_store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my-documents"
    (folder / "nested").mkdir(parents=True)
    (folder / "thesis.docx").write_bytes(b"years of work")
    (folder / "nested" / "photo.jpg").write_bytes(b"\xff\xd8")
    (folder / "old.parquet").write_bytes(b"PAR1")
    return folder


def listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_linked_snapshots_folder_is_refused_and_user_files_survive(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.ingest([make_snapshot(box(37, 48, 37.5, 48.5), 0)])
    mine = user_folder(tmp_path)
    before = listing(mine)
    snapshots = tmp_path / "store" / "snapshots"
    (tmp_path / "store" / "moved-away").mkdir()
    snapshots.rename(tmp_path / "store" / "moved-away" / "snapshots")
    snapshots.symlink_to(mine, target_is_directory=True)
    with pytest.raises(StoreError, match=r"snapshots is a symbolic link .*never follows links"):
        store.ingest([make_snapshot(box(37, 48, 37.6, 48.5), 1)])
    with pytest.raises(StoreError, match="symbolic link"):
        store.vacuum()
    with pytest.raises(StoreError, match="symbolic link"):
        open_store(tmp_path / "store").ingest([make_snapshot(box(37, 48, 37.7, 48.5), 2)])
    assert listing(mine) == before  # nothing deleted, nothing written


def test_linked_folder_inside_snapshots_is_left_alone(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.ingest([make_snapshot(box(37, 48, 37.5, 48.5), 0)])
    mine = user_folder(tmp_path)
    before = listing(mine)
    link = tmp_path / "store" / "snapshots" / "evil"
    link.symlink_to(mine, target_is_directory=True)
    (tmp_path / "store" / "snapshots" / "stray.lnk").symlink_to(mine / "thesis.docx")
    store.vacuum()  # strays go, but links are never followed (nor their targets deleted)
    snap = make_snapshot(box(37, 48, 37.6, 48.5), 1, source="evil")
    with pytest.raises(StoreError, match=r"leads outside store .*symbolic link"):
        store.ingest([snap])  # its folder snapshots/evil/... is the link
    assert listing(mine) == before
    assert len(store) == 1


def test_lock_planted_as_a_link_creates_nothing_elsewhere(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    target = tmp_path / "elsewhere.txt"
    (tmp_path / "store" / ".lock").unlink(missing_ok=True)
    (tmp_path / "store" / ".lock").symlink_to(target)
    with pytest.raises(StoreError, match=r"cannot open .*\.lock.*plain file"):
        store.ingest([make_snapshot()])
    assert not target.exists()


def test_threads_creating_one_store_at_once(tmp_path: Path) -> None:
    for trial in range(20):
        root = tmp_path / f"store{trial}"
        barrier = threading.Barrier(6)
        errors: list[Exception] = []

        def create(
            root: Path = root,
            barrier: threading.Barrier = barrier,
            errors: list[Exception] = errors,
        ) -> None:
            barrier.wait()
            try:
                open_store(root)
            except Exception as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=create) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"trial {trial}: {errors[0]}"
        assert json.loads((root / "store.json").read_text())["format"] == "geo-store"


def test_processes_ingesting_into_one_new_store(tmp_path: Path) -> None:
    files = []
    for i in range(3):
        path = tmp_path / f"russian_control_2024-07-0{i + 1}.geojson"
        ring = [[37 + i, 48], [37.1 + i, 48], [37.1 + i, 48.1], [37 + i, 48.1], [37 + i, 48]]
        feature = {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        files.append(path)
    store = tmp_path / "new-store"
    code = "import sys; from geo.cli import main; sys.argv = ['geo', *sys.argv[1:]]; main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "ingest", str(f), "--store", str(store)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        for f in files
    ]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    assert [code for _, code in results] == [0, 0, 0], [out[1] for out, _ in results]
    assert len(open_store(store, create=False)) == 3


def test_foreign_folder_is_still_refused_untouched(tmp_path: Path) -> None:
    mine = user_folder(tmp_path)
    with pytest.raises(StoreError, match=r"non-empty folder without store\.json \(it holds"):
        open_store(mine)
    assert sorted(p.name for p in mine.iterdir()) == ["nested", "old.parquet", "thesis.docx"]


def test_linked_catalog_is_replaced_never_written_through(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.ingest([make_snapshot(box(37, 48, 37.5, 48.5), 0)])
    outside = tmp_path / "my-copy.parquet"
    catalog = tmp_path / "store" / "catalog.parquet"
    outside.write_bytes(catalog.read_bytes())
    before = outside.read_bytes()
    catalog.unlink()
    catalog.symlink_to(outside)
    store.ingest([make_snapshot(box(37, 48, 37.6, 48.5), 1)])
    assert outside.read_bytes() == before  # the user's file is untouched
    assert not catalog.is_symlink() and len(open_store(tmp_path / "store")) == 2
