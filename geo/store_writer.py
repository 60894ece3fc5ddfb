"""The store's write side: creation, ingest, vacuum, the writer lock and the catalog file.

:func:`geo.store.open_store`, :meth:`geo.store.Store.ingest` and
:meth:`geo.store.Store.vacuum` are the public doors; the functions here take
the :class:`~geo.store.Store` (or the folder) they write. A writer holds the
store's lock (``.lock``, flock, never opened through a link) throughout.
Snapshot files are content-addressed and written first, flushed to disk
together, and the catalog is replaced last with one rename, so an interrupted
ingest leaves the store as it was; files the catalog does not name are removed
by the next ingest. Nothing here follows a link out of the store: a linked
``snapshots/`` is refused, linked files are replaced, never written through.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
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
    MARKER_NAME,
    SNAPSHOT_DIR,
    STORE_FORMAT,
    STORE_VERSION,
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
from geo.fsutil import os_reason, sync_files, write_atomic
from geo.progress import Progress, progress_bar
from geo.snapshot import Snapshot
from geo.text import one_line

if TYPE_CHECKING:
    from geo.store import Store

__all__ = [
    "IngestReport", "create_store", "hold_lock", "ingest", "locked", "refuse_foreign", "vacuum",
    "vacuum_locked", "write_catalog",
]  # fmt: skip

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
        store._files()  # refuses a linked snapshots/ before anything is written or removed
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
        path
        for name in (CATALOG_NAME, INPUTS_NAME)
        for path in store.path.glob(f".{name}.*.tmp")
        if not path.is_symlink()
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
        msg = (
            f"cannot flush new snapshot files of {store.path} to disk: {os_reason(err)}; "
            "check space"
        )
        raise StoreError(msg) from err


def write_catalog(store: Store, table: pa.Table) -> None:
    """Replace the catalog file atomically with ``table`` and cache it."""
    target = store.path / CATALOG_NAME
    try:
        write_atomic(target, lambda f: pq.write_table(table, f), follow_links=False)
    except OSError as err:
        msg = (
            f"cannot write {target}: {os_reason(err)}; the store is unchanged - check "
            "free space and permissions, then ingest again"
        )
        raise StoreError(msg) from err
    store._set_cache(table, stamp=None)


@contextlib.contextmanager
def locked(store: Store) -> Iterator[None]:
    """Hold the store's writer lock, waiting up to ``store.lock_timeout_s`` seconds."""
    with hold_lock(store.path / LOCK_NAME, store.lock_timeout_s, store.path):
        yield


@contextlib.contextmanager
def hold_lock(lock_path: Path, timeout_s: float, root: Path) -> Iterator[None]:
    """Hold the store's writer lock file ``lock_path``, waiting up to ``timeout_s`` seconds.

    Raises
    ------
    StoreError
        The lock cannot be opened (a link, no permission) or another writer
        holds it for longer than ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    try:
        # O_NOFOLLOW: a .lock planted as a link never makes geo create a file elsewhere.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        handle = os.fdopen(os.open(lock_path, flags, 0o644), "a+b")
    except OSError as err:
        msg = f"cannot open {lock_path}: {err}; check permissions (it must be a plain file)"
        raise StoreError(msg) from err
    with handle:
        while not try_lock(handle):
            if time.monotonic() >= deadline:
                msg = (
                    f"store {root} is busy: another geo process has been writing for "
                    f"{timeout_s:g} s (lock {lock_path}); retry when it finishes"
                )
                raise StoreError(msg)
            time.sleep(0.05)
        yield


def refuse_foreign(root: Path) -> None:
    """Refuse a folder holding anything but what a store being created holds.

    Raises
    ------
    StoreError
        ``root`` holds files of its own (not a store), or cannot be listed.
    """
    try:
        names = {entry.name for entry in root.iterdir()} if root.is_dir() else set()
    except OSError as err:
        msg = f"cannot look into {root}: {err}; check permissions"
        raise StoreError(msg) from err
    if MARKER_NAME in names:
        return  # another process has just made it a store
    ours = {LOCK_NAME}  # and the marker's temporary file, written atomically
    foreign = sorted(n for n in names if n not in ours and not _is_marker_tmp(n))
    if foreign:
        msg = (
            f"{root} is a non-empty folder without {MARKER_NAME} (it holds "
            f"{one_line(', '.join(foreign[:3]))}{', ...' if len(foreign) > 3 else ''}), so it "
            "is not a geo store; pass open_store an empty or new folder (or set GEO_STORE)"
        )
        raise StoreError(msg)


def _is_marker_tmp(name: str) -> bool:
    return name.startswith(f".{MARKER_NAME}.") and name.endswith(".tmp")


def create_store(root: Path, lock_timeout_s: float) -> None:
    """Make ``root`` (missing or empty) a store: its marker file, written under the lock.

    Several processes may create one store at once: the first writes the marker.

    Raises
    ------
    StoreError
        The folder cannot be created or written, or holds foreign files.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)  # snapshots/ comes with the first file
    except OSError as err:
        msg = f"cannot create a store at {root}: {err}; check permissions"
        raise StoreError(msg) from err
    with hold_lock(root / LOCK_NAME, lock_timeout_s, root):
        if (root / MARKER_NAME).exists():
            return
        refuse_foreign(root)
        marker = {"format": STORE_FORMAT, "version": STORE_VERSION}
        try:
            write_atomic(
                root / MARKER_NAME,
                lambda f: f.write(json.dumps(marker).encode()),
                follow_links=False,
            )
        except OSError as err:
            msg = f"cannot create a store at {root}: {os_reason(err)}; check permissions"
            raise StoreError(msg) from err


def _record_inputs(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    known = read_inputs(store.path)
    known.update({row["path"]: row for row in rows})
    try:
        write_inputs(store.path, known.values())
    except OSError as err:  # only a later ingest's speed depends on it
        logger.warning("cannot record the input files in %s: %s", store.path, os_reason(err))
