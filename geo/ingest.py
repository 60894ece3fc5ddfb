"""Ingest files into a store, skipping the files unchanged since they were last ingested.

Re-ingesting an archive used to read every file again only to find every
snapshot unchanged (11.5 s for the 769 DeepState daily files).
:func:`ingest_files` records, for every file it reads, its resolved path,
size, modification time and SHA-256, the reading options, a fingerprint of
the reader (a hash of geo's own code and data files), and the key and content
hash of every snapshot it gave (``inputs.parquet`` in the store, see
:data:`geo.catalog.INPUTS_SCHEMA`). A later ingest skips a file only when

* its size and modification time (ns) are the recorded ones (a ``stat``),
* the SHA-256 of its bytes is the recorded one (the proof: a file rewritten
  with the same size and time is read again if its bytes differ),
* the options (``layer``, ``source``, ``date``, ``crs``, the folder named) and
  the reader fingerprint are the recorded ones (a new version of geo re-reads),
* the catalog still holds every snapshot it gave, with the recorded content
  hash, and each snapshot's file exists.

Its snapshots are then reported unchanged without being read. Any other file
is read as before; so is a skipped file one of whose keys a file being read
also gives, so that two inputs disagreeing about a key are found exactly as if
everything had been read. ``reread=True`` reads every file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from geo import archives
from geo.errors import GeoError, ValidationError
from geo.io import list_inputs, read
from geo.progress import Progress, progress_bar, show_progress
from geo.snapshot import Snapshot
from geo.store import IngestReport, Store

__all__ = ["FilesIngest", "ingest_files", "reader_fingerprint"]

_PACKAGE = Path(__file__).resolve().parent


@dataclasses.dataclass
class FilesIngest:
    """What :func:`ingest_files` did.

    Attributes
    ----------
    report
        Keys added, unchanged (including those of skipped files) and replaced.
    problems
        One message per file that could not be read or gave no snapshot.
    n_files
        Files found.
    n_read
        Files read; the others were unchanged since they were last ingested.
    notes
        ``(layer, note, file)`` for every caveat of the snapshots found.
    """

    report: IngestReport
    problems: list[str]
    n_files: int
    n_read: int
    notes: list[tuple[str, str, str]]

    def summary(self) -> str:
        """One line, e.g. ``"added 3, unchanged 2, replaced 0 (5 files, 2 read)"``."""
        return f"{self.report.summary()} ({self.n_files} files, {self.n_read} read)"


@functools.cache
def reader_fingerprint() -> str:
    """Return a hash of geo's code and data files: any change to them re-reads every file."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in _PACKAGE.rglob("*") if p.suffix in {".py", ".csv"} and p.is_file()
    ):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def ingest_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    layer: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    crs: str | None = None,
    replace: bool = False,
    skip_bad: bool = False,
    reread: bool = False,
    progress: Progress = None,
) -> FilesIngest:
    """Read files and folders (recursively) into the store; unchanged files are not read.

    Parameters
    ----------
    store
        The store.
    paths
        Files and folders, as for :func:`geo.io.read_many`.
    layer, source, date, crs
        As for :func:`geo.io.read`, applied to every file.
    replace
        Overwrite stored snapshots whose content differs.
    skip_bad
        Store what can be read and report the rest; else a bad file stores nothing.
    reread
        Read every file, even those unchanged since the last ingest.
    progress
        A progress bar on stderr while files are read (``None``: when stderr is a terminal).

    Returns
    -------
    FilesIngest

    Raises
    ------
    ValidationError
        If a file could not be read and ``skip_bad`` is false (every problem listed).
    DuplicateSnapshotError, StoreError
        As :meth:`geo.store.Store.ingest`.

    Examples
    --------
    >>> import tempfile
    >>> from geo.sample import sample_dir
    >>> from geo.store import open_store
    >>> store = open_store(tempfile.mkdtemp())
    >>> ingest_files(store, [sample_dir()]).summary()
    'added 20, unchanged 0, replaced 0 (5 files, 5 read)'
    >>> ingest_files(store, [sample_dir()]).summary()
    'added 0, unchanged 20, replaced 0 (5 files, 0 read)'
    """
    inputs = list_inputs(paths)
    options = {"layer": layer, "source": source, "date": str(date) if date else None, "crs": crs}
    known = {} if reread else store.inputs()
    stored = _stored(store)
    skipped: dict[Path, dict[str, Any]] = {}
    for path, root in inputs:
        entry = known.get(str(path.resolve()))
        if entry is not None and _unchanged(
            path, entry, _options(options, root), stored, store.path
        ):
            skipped[path] = entry
    todo = [(path, root) for path, root in inputs if path not in skipped]
    snapshots, problems, rows = _read(todo, options, progress=progress)
    new_keys = {_key(s) for s in snapshots}
    clash = [p for p, entry in skipped.items() if {k[:3] for k in _keys(entry)} & new_keys]
    if clash:  # read them too, so that inputs disagreeing about a key are found as usual
        again = [(path, root) for path, root in inputs if path in clash]
        more, more_problems, more_rows = _read(again, options, progress=False)
        snapshots, problems, rows = snapshots + more, problems + more_problems, rows + more_rows
        for path in clash:
            del skipped[path]
    if problems and not skip_bad:
        msg = f"{len(problems)} of {len(inputs)} files could not be read"
        raise ValidationError(msg, problems)
    report = store.ingest(snapshots, replace=replace, progress=show_progress(progress), inputs=rows)
    notes = [(s.layer, note, s.provenance.path) for s in snapshots for note in s.provenance.notes]
    for entry in skipped.values():
        for key in _keys(entry):
            report.unchanged.append(key[:3])
            row = stored[key[:3]]
            notes.extend((key[1], note, row["source_path"]) for note in json.loads(row["notes"]))
    return FilesIngest(report, problems, len(inputs), len(inputs) - len(skipped), notes)


def _options(options: dict[str, Any], root: Path | None) -> str:
    folder = str(root.resolve()) if root else None
    full = {**options, "root": folder, "reader": reader_fingerprint()}
    return json.dumps(full, sort_keys=True)


def _stored(store: Store) -> dict[tuple[str, str, dt.date], dict[str, Any]]:
    frame = store.catalog()
    names = ("source", "layer", "date", "content_hash", "file", "notes", "source_path")
    columns = zip(*(frame[n] for n in names), strict=True)
    rows = [dict(zip(names, values, strict=True)) for values in columns]
    return {(r["source"], r["layer"], r["date"]): r for r in rows}


def _keys(entry: dict[str, Any]) -> list[tuple[str, str, dt.date, str]]:
    return [(s, layer, dt.date.fromisoformat(d), h) for s, layer, d, h in json.loads(entry["keys"])]


def _key(snap: Snapshot) -> tuple[str, str, dt.date]:
    day = snap.date.date() if isinstance(snap.date, dt.datetime) else snap.date
    return (snap.source, snap.layer, day)


def _unchanged(
    path: Path,
    entry: dict[str, Any],
    options: str,
    stored: dict[tuple[str, str, dt.date], dict[str, Any]],
    root: Path,
) -> bool:
    """Whether a file is proven unchanged since ``entry`` was recorded (see the module notes)."""
    try:
        info = path.stat()
    except OSError:
        return False
    if (info.st_size, info.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
        return False
    if entry["options"] != options:
        return False
    for source, layer, day, content_hash in _keys(entry):
        row = stored.get((source, layer, day))
        if row is None or row["content_hash"] != content_hash or not (root / row["file"]).is_file():
            return False
    try:
        return bool(archives.sha256_file(path) == entry["sha256"])
    except GeoError:
        return False


def _read(
    todo: list[tuple[Path, Path | None]], options: dict[str, Any], *, progress: Progress
) -> tuple[list[Snapshot], list[str], list[dict[str, Any]]]:
    """Read files; return their snapshots, problems, and the input rows to record."""
    snapshots: list[Snapshot] = []
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    done: list[tuple[Path, Path | None, list[Snapshot], tuple[os.stat_result, os.stat_result]]] = []
    for path, root in progress_bar(todo, progress=progress, desc="reading", unit="file"):
        try:
            before = path.stat()
            with _no_cyclic_gc():
                found = read(path, root=root, **options)
            after = path.stat()
        except GeoError as exc:
            problems.append(str(exc))
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot read the file ({exc.strerror or exc})")
            continue
        snapshots.extend(found)
        done.append((path, root, found, (before, after)))
    for path, root, found, stamps in done:
        row = _row(path, root, found, options, stamps=stamps, now=now)
        if row is not None:
            rows.append(row)
    return snapshots, problems, rows


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while one file is read.

    Parsing a GeoJSON file builds hundreds of thousands of acyclic lists and
    dicts; every few hundred of them set off a collection that scans what the
    process holds, for nothing: reference counting frees them once the file is
    read, before the collector runs again (15 % of the CPU time of reading
    the DeepState archive in a process that has imported geo: 3.3 s -> 2.75 s).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _row(
    path: Path,
    root: Path | None,
    found: list[Snapshot],
    options: dict[str, Any],
    *,
    stamps: tuple[os.stat_result, os.stat_result],
    now: str,
) -> dict[str, Any] | None:
    """Return the input row to record for a file read, ``None`` if it changed while read."""
    before, after = stamps
    stamp = (before.st_size, before.st_mtime_ns)
    if stamp != (after.st_size, after.st_mtime_ns) or not found:
        return None  # changed while read: do not vouch for it
    keys = [[*map(str, _key(s)[:2]), _key(s)[2].isoformat(), s.content_hash] for s in found]
    return {
        "path": str(path.resolve()), "size": stamp[0], "mtime_ns": stamp[1],
        "sha256": found[0].provenance.sha256, "options": _options(options, root),
        "keys": json.dumps(keys), "ingested_at": now,
    }  # fmt: skip
