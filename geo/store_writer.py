"""The store's write side: ingest, vacuum, the writer lock and the catalog file.

:meth:`geo.store.Store.ingest` and :meth:`geo.store.Store.vacuum` are the public
doors; the functions here take the :class:`~geo.store.Store` they write. A
writer holds the store's lock (``.lock``, flock) throughout. Snapshot files are
content-addressed and written first, flushed to disk together, and the catalog
is replaced last with one rename, so an interrupted ingest leaves the store as
it was; files the catalog does not name are removed by the next ingest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from geo.catalog import (
    CATALOG_NAME,
    CATALOG_SCHEMA,
    INPUTS_NAME,
    LOCK_NAME,
    SNAPSHOT_DIR,
    Key,
    dedupe,
    key_text,
    origin,
    read_inputs,
    snapshot_file,
    to_record,
    try_lock,
    write_inputs,
    write_snapshot,
)
from geo.errors import DuplicateSnapshotError, StoreError
from geo.fsutil import sync_files, write_atomic
from geo.progress import Progress, progress_bar
from geo.snapshot import Snapshot

if TYPE_CHECKING:
    from geo.store import Store

__all__ = ["IngestReport", "ingest", "locked", "vacuum", "vacuum_locked", "write_catalog"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class IngestReport:
    """What :meth:`geo.store.Store.ingest` did, as ``(source, layer, date)`` keys."""

    added: list[Key] = dataclasses.field(default_factory=list)
    unchanged: list[Key] = dataclasses.field(default_factory=list)
    replaced: list[Key] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """One line, e.g. ``"added 3, unchanged 2, replaced 0"``."""
        counts = len(self.added), len(self.unchanged), len(self.replaced)
        return "added {}, unchanged {}, replaced {}".format(*counts)


def ingest(
    store: Store,
    snapshots: Iterable[Snapshot],
    *,
    replace: bool = False,
    progress: Progress = None,
    inputs: Sequence[dict[str, Any]] = (),
) -> IngestReport:
    """Store snapshots in ``store`` (:meth:`geo.store.Store.ingest` says how).

    Raises
    ------
    DuplicateSnapshotError
        Two inputs give different content for one key, or a stored
        snapshot differs and ``replace`` is false.
    StoreError
        The store is locked by another writer or cannot be written.
    """
    batch = dedupe(snapshots)
    report = IngestReport()
    with locked(store):
        store._stamp = None  # another process may have written since
        store._load()
        records = [dict(r) for r in store._records]
        stored = {(r["source"], r["layer"], r["date"]): i for i, r in enumerate(records)}
        conflicts = []
        todo: list[tuple[Snapshot, int | None]] = []
        for snap in batch:
            index = stored.get(snap.key)
            if index is None:
                todo.append((snap, None))
            elif records[index]["content_hash"] == snap.content_hash:
                report.unchanged.append(snap.key)
                if not store._abs(records[index]["file"]).is_file():
                    todo.append((snap, index))  # repair a lost file
            elif replace:
                todo.append((snap, index))
            else:
                conflicts.append(
                    f"{key_text(snap.key)}: stored from {records[index]['source_path']}, "
                    f"new from {origin(snap)}"
                )
        if conflicts:
            msg = (
                f"{len(conflicts)} snapshot(s) differ from the stored ones "
                f"({'; '.join(conflicts[:5])}{'; ...' if len(conflicts) > 5 else ''}); "
                "pass replace=True to overwrite"
            )
            raise DuplicateSnapshotError(msg)
        vacuum_locked(store, records)
        old_files: list[str] = []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        bar = progress_bar(todo, progress=progress, desc="storing", unit="snapshot")
        written: list[dict[str, Any]] = []
        for snap, _ in bar:
            written.append(_write_snapshot(store, snap, ingested_at=now))
        _sync(store, [r["file"] for r in written])  # all at once, before the catalog names them
        for (snap, index), record in zip(todo, written, strict=True):
            if index is None:
                report.added.append(snap.key)
                records.append(record)
            elif records[index]["content_hash"] == snap.content_hash:
                records[index] = {**records[index], "file": record["file"]}
            else:
                report.replaced.append(snap.key)
                old_files.append(records[index]["file"])
                records[index] = record
        if todo:
            records.sort(key=lambda r: (r["source"], r["layer"], r["date"]))
            write_catalog(store, pa.Table.from_pylist(records, schema=CATALOG_SCHEMA))
        for rel in set(old_files) - {r["file"] for r in records}:
            with contextlib.suppress(OSError):  # vacuum retries
                store._abs(rel).unlink()
        if inputs:
            _record_inputs(store, inputs)
    return report


def vacuum(store: Store) -> int:
    """Remove files the catalog does not name; return how many."""
    with locked(store):
        store._stamp = None
        store._load()
        return vacuum_locked(store, store._records)


def vacuum_locked(store: Store, records: list[dict[str, Any]]) -> int:
    """Remove files not named by ``records``, and stray temporary files (lock held)."""
    keep = {r["file"] for r in records}
    strays = [  # left by a hard kill
        *store.path.glob(f".{CATALOG_NAME}.*.tmp"),
        *store.path.glob(f".{INPUTS_NAME}.*.tmp"),
    ]
    count = 0
    for file in store._files() + strays:
        if file.relative_to(store.path).as_posix() not in keep:
            with contextlib.suppress(OSError):
                file.unlink()
                count += 1
    top = store.path / SNAPSHOT_DIR
    for folder, _, _ in os.walk(top, topdown=False):
        if Path(folder) != top:
            with contextlib.suppress(OSError):  # only empty folders go
                Path(folder).rmdir()
    return count


def _write_snapshot(store: Store, snap: Snapshot, *, ingested_at: str) -> dict[str, Any]:
    rel = snapshot_file(snap)
    write_snapshot(store._abs(rel), snap, sync=False)
    return to_record(snap, file=rel, ingested_at=ingested_at)


def _sync(store: Store, files: list[str]) -> None:
    try:
        sync_files([store._abs(rel) for rel in files])
    except OSError as err:
        msg = f"cannot flush new snapshot files of {store.path} to disk: {err}; check space"
        raise StoreError(msg) from err


def write_catalog(store: Store, table: pa.Table) -> None:
    """Replace the catalog file atomically with ``table`` and cache it."""
    target = store.path / CATALOG_NAME
    try:
        write_atomic(target, lambda f: pq.write_table(table, f))
    except OSError as err:
        msg = (
            f"cannot write {target}: {err}; the store is unchanged - check free space and "
            "permissions, then ingest again"
        )
        raise StoreError(msg) from err
    store._set_cache(table, stamp=None)


@contextlib.contextmanager
def locked(store: Store) -> Iterator[None]:
    """Hold the store's writer lock, waiting up to ``store.lock_timeout_s`` seconds."""
    lock_path = store.path / LOCK_NAME
    deadline = time.monotonic() + store.lock_timeout_s
    try:
        handle = lock_path.open("a+b")
    except OSError as err:
        msg = f"cannot open {lock_path}: {err}; check permissions"
        raise StoreError(msg) from err
    with handle:
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                msg = (
                    f"store {store.path} is busy: another geo process has been writing for "
                    f"{store.lock_timeout_s:g} s (lock {lock_path}); retry when it finishes"
                )
                raise StoreError(msg)
            time.sleep(0.05)
        yield


def _record_inputs(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    known = read_inputs(store.path)
    known.update({row["path"]: row for row in rows})
    try:
        write_inputs(store.path, known.values())
    except OSError as err:  # only a later ingest's speed depends on it
        logger.warning("cannot record the input files in %s: %s", store.path, err)
