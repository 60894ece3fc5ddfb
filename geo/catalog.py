"""The on-disk format of a geo store: marker, catalog schema, snapshot files, lock.

:mod:`geo.store` keeps the catalog cache, the locking discipline and the
queries; this module holds what a store looks like on disk and how one
catalog record and its GeoParquet file turn into a :class:`Snapshot` and back,
and which batches of snapshots fit that format (:func:`dedupe`).
Folder names are slugs of the (untrusted) source and layer names; the catalog
keeps the real names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

from geo.errors import DuplicateSnapshotError, StoreError
from geo.fsutil import os_reason, write_atomic
from geo.geometry import WGS84, HygieneReport
from geo.snapshot import FEATURE_COLUMNS, Provenance, Snapshot, make_features

STORE_FORMAT = "geo-store"
STORE_VERSION = 1
MARKER_NAME = "store.json"
CATALOG_NAME = "catalog.parquet"
SNAPSHOT_DIR = "snapshots"
LOCK_NAME = ".lock"

#: Catalog columns; the rest are strings. ``hygiene`` and ``notes`` hold JSON.
CATALOG_COLUMNS = (
    "source", "layer", "date", "n_features", "area_km2", "content_hash", "file", "source_path",
    "source_sha256", "member", "original_layer", "date_rule", "hygiene", "notes", "ingested_at",
)  # fmt: skip
_TYPES = {"date": pa.date32(), "n_features": pa.int64(), "area_km2": pa.float64()}
CATALOG_SCHEMA = pa.schema(
    [(name, _TYPES.get(name, pa.string())) for name in CATALOG_COLUMNS],
    metadata={"geo-store-catalog": str(STORE_VERSION)},
)
#: Input files read by past ingests (see :func:`read_inputs`).
INPUTS_NAME = "inputs.parquet"
#: One row per input file: where it was, its identity, how it was read, what it gave.
#: ``options`` is the JSON of the reading options and the reader's fingerprint;
#: ``keys`` the JSON list of ``[source, layer, date, content_hash]`` it produced.
INPUTS_SCHEMA = pa.schema(
    [
        ("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()),
        ("sha256", pa.string()), ("options", pa.string()), ("keys", pa.string()),
        ("ingested_at", pa.string()),
    ],
    metadata={"geo-store-inputs": str(STORE_VERSION)},
)  # fmt: skip
#: Catalog column -> Provenance field (``notes`` apart: it is JSON).
_PROVENANCE_COLUMNS = {
    "source_path": "path", "source_sha256": "sha256", "member": "member",
    "original_layer": "original_layer", "date_rule": "date_rule",
}  # fmt: skip

Key = tuple[str, str, dt.date]
#: ``creator.version`` in the GeoParquet metadata of snapshot files.
STORE_FORMAT_WRITER = f"store {STORE_VERSION}"
_PROJJSON_WGS84 = pyproj.CRS.from_user_input(WGS84).to_json_dict()
_GEOMETRY_TYPES = {
    0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
    6: "MultiPolygon", 7: "GeometryCollection",
}  # fmt: skip
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(10))}


def check_marker(root: Path) -> None:
    """Check that ``root`` holds the marker of a store of this version.

    Raises
    ------
    StoreError
        If the marker is missing, unreadable, not a geo store's or of another version.
    """
    marker = root / MARKER_NAME
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        msg = (
            f"{marker} is missing or unreadable ({err}); open stores with open_store, or "
            f'restore it as {{"format": "{STORE_FORMAT}", "version": {STORE_VERSION}}}'
        )
        raise StoreError(msg) from err
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        msg = f"{marker} does not describe a geo store; pass open_store another folder"
        raise StoreError(msg)
    if (version := data.get("version")) != STORE_VERSION:
        msg = f"{marker}: version {version!r} is not {STORE_VERSION}; upgrade geo"
        raise StoreError(msg)


def snapshot_file(snap: Snapshot) -> str:
    """Return the store-relative POSIX path of a snapshot's file, named by its content."""
    name = f"{snap.date.isoformat()}-{snap.content_hash[:16]}.parquet"
    return str(PurePosixPath(SNAPSHOT_DIR, slug(snap.source), slug(snap.layer), name))


def write_snapshot(target: Path, snap: Snapshot, *, sync: bool = True) -> None:
    """Write a snapshot's features as GeoParquet to ``target``, atomically.

    The table is built with pyarrow directly (WKB, GeoParquet 1.1 metadata),
    several times faster than through geopandas; ``geopandas.read_parquet``
    reads it back. ``sync=False`` leaves flushing to the caller
    (:func:`geo.fsutil.sync_files`), which must happen before the catalog
    names the file.

    Raises
    ------
    StoreError
        If the file cannot be written.
    """
    features = snap.features
    geoms = np.asarray(features.geometry.values, dtype=object)
    text = {c: pa.array([str(v) for v in features[c]], pa.large_string()) for c in FEATURE_COLUMNS}
    table = pa.table(
        {**text, "geometry": pa.array(shapely.to_wkb(geoms), pa.binary())},
        metadata={b"geo": json.dumps(_geo_metadata(geoms)).encode()},
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(
            target,
            lambda f: pq.write_table(table, f, use_dictionary=list(FEATURE_COLUMNS)),
            follow_links=False,
            sync=sync,
        )
    except OSError as err:
        msg = f"cannot write {target}: {os_reason(err)}; check space and permissions"
        raise StoreError(msg) from err


def _geo_metadata(geoms: Any) -> dict[str, Any]:
    """GeoParquet 1.1 file metadata for WKB geometries in EPSG:4326."""
    kinds = {
        _GEOMETRY_TYPES[int(kind)] + (" Z" if z else "")
        for kind, z in zip(shapely.get_type_id(geoms), shapely.has_z(geoms), strict=True)
        if kind in _GEOMETRY_TYPES
    }
    bounds = shapely.total_bounds(geoms) if len(geoms) else np.full(4, np.nan)
    column: dict[str, Any] = {
        "encoding": "WKB",
        "crs": _PROJJSON_WGS84,
        "geometry_types": sorted(kinds),
    }
    if np.isfinite(bounds).all():
        column["bbox"] = [float(b) for b in bounds]
    return {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": column},
        "creator": {"library": "geo", "version": STORE_FORMAT_WRITER},
    }


def to_record(snap: Snapshot, *, file: str, ingested_at: str) -> dict[str, Any]:
    """Return the catalog record (one value per :data:`CATALOG_COLUMNS`) of a stored snapshot."""
    prov = snap.provenance.to_dict()
    return {
        **dict(zip(("source", "layer", "date"), snap.key, strict=True)),
        "n_features": snap.n_features,
        "area_km2": snap.area_km2,
        "content_hash": snap.content_hash,
        "file": file,
        **{col: prov[key] for col, key in _PROVENANCE_COLUMNS.items()},
        "hygiene": json.dumps(snap.hygiene.to_dict(), ensure_ascii=False),
        "notes": json.dumps(prov["notes"], ensure_ascii=False),
        "ingested_at": ingested_at,
    }


def read_snapshot(file: Path, record: dict[str, Any]) -> Snapshot:
    """Read the snapshot of a catalog record back from its file.

    Raises
    ------
    StoreError
        If the file is missing, unreadable or does not match the record.
    """
    table = read_feature_table(file, record)
    try:
        # pyarrow + shapely: 10x faster than gpd.read_parquet, which parses the CRS
        geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    except Exception as err:  # shapely.errors.GEOSException for a corrupt blob
        msg = f"snapshot file {file} is unreadable ({err}); {_fix(record)}"
        raise StoreError(msg) from err
    labels, props = (table.column(c).to_pylist() for c in FEATURE_COLUMNS)
    return to_snapshot(record, geoms, labels, props, file=file)


#: Columns of a snapshot file, in the order :func:`read_feature_table` returns them.
FILE_COLUMNS = (*FEATURE_COLUMNS, "geometry")


def read_feature_table(file: Path, record: dict[str, Any]) -> pa.Table:
    """Read the Arrow table (:data:`FILE_COLUMNS`) of a catalog record's file, checked.

    Raises
    ------
    StoreError
        If the file is missing, unreadable or holds another number of features
        than the record says.
    """
    try:
        with pq.ParquetFile(file) as parquet:  # a plain file read: no dataset machinery
            table = parquet.read(columns=list(FILE_COLUMNS))
    except FileNotFoundError as err:
        msg = f"snapshot file {file} is missing; {_fix(record)}"
        raise StoreError(msg) from err
    except Exception as err:  # pyarrow raises many kinds
        msg = f"snapshot file {file} is unreadable ({err}); {_fix(record)}"
        raise StoreError(msg) from err
    if table.num_rows != record["n_features"]:
        msg = f"snapshot file {file} does not match the catalog; {_fix(record)}"
        raise StoreError(msg)
    return table


def to_snapshot(
    record: dict[str, Any], geoms: Any, labels: Any, props: Any, *, file: Path
) -> Snapshot:
    """Build the :class:`Snapshot` of a catalog record from its file's columns.

    Its area and content hash are the catalog's, computed from the same
    features when they were stored, so they are not computed again.

    Raises
    ------
    StoreError
        If the record's JSON columns are corrupt.
    """
    try:
        notes = tuple(json.loads(record["notes"]))
        hygiene = HygieneReport.from_dict(json.loads(record["hygiene"]))
    except (TypeError, ValueError) as err:
        msg = f"corrupt catalog row for {file}; {_fix(record)}"
        raise StoreError(msg) from err
    fields = {key: record[col] for col, key in _PROVENANCE_COLUMNS.items()}
    provenance = Provenance.from_dict({**fields, "notes": notes})
    source, layer, date = record["source"], record["layer"], record["date"]
    features = make_features(geoms, labels, props)
    # Checked when ingested; the file is named by its content hash, so re-checking every
    # read would only slow down series of hundreds of dates.
    snap = Snapshot(
        source, layer, date, features, provenance=provenance, hygiene=hygiene, _checked=True
    )
    known = {"area_km2": record["area_km2"], "content_hash": record["content_hash"]}
    snap.__dict__.update({k: v for k, v in known.items() if v is not None})  # cached properties
    return snap


def _fix(record: dict[str, Any]) -> str:
    return f"re-ingest {record['source_path']} to repair it"


def read_inputs(root: Path) -> dict[str, dict[str, Any]]:
    """Return the input-file rows of a store by path; none if the file is missing or unusable.

    The table only lets an ingest skip files it has read before, so an
    unreadable one costs a full re-read, never data: it is not an error.
    """
    try:
        table = pq.read_table(root / INPUTS_NAME).select(INPUTS_SCHEMA.names)
        rows = table.cast(INPUTS_SCHEMA).to_pylist()
    except Exception:  # missing, truncated, foreign: forget it, re-read
        return {}
    return {row["path"]: row for row in rows}


def write_inputs(root: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write the input-file rows of a store (atomically).

    Raises
    ------
    OSError
        If the file cannot be written.
    """
    table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["path"]), schema=INPUTS_SCHEMA)
    write_atomic(root / INPUTS_NAME, lambda f: pq.write_table(table, f), follow_links=False)


def origin(snap: Snapshot) -> str:
    """Where a snapshot was read from: the file, and the archive member if any."""
    prov = snap.provenance
    return f"{prov.path}!{prov.member}" if prov.member else prov.path


def key_text(key: Key) -> str:
    """Return a key as ``source/layer YYYY-MM-DD``."""
    return f"{key[0]}/{key[1]} {key[2].isoformat()}"


def dedupe(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    """Check a batch for storing: drop exact repeats, refuse different content per key.

    Raises
    ------
    StoreError
        If an item is not a Snapshot or its features do not fit the file format.
    DuplicateSnapshotError
        If two inputs give different content for one key.
    """
    seen: dict[Key, Snapshot] = {}
    for snap in snapshots:
        if not isinstance(snap, Snapshot):
            msg = f"ingest takes Snapshot objects, got {type(snap).__name__}"
            raise StoreError(msg)
        missing = {*FEATURE_COLUMNS, "geometry"} - set(snap.features.columns)
        crs = snap.features.crs
        if missing or (crs is not None and not crs.equals(WGS84)):
            msg = (
                f"{origin(snap)}: {snap.layer}: features need columns label, properties, "
                f"geometry in {WGS84} (missing {sorted(missing)}, CRS {crs}); fix the loader"
            )
            raise StoreError(msg)
        if isinstance(snap.date, dt.datetime):
            snap = dataclasses.replace(snap, date=snap.date.date())
        first = seen.get(snap.key)
        if first is None:
            seen[snap.key] = snap
        elif first.content_hash != snap.content_hash:
            msg = (
                f"two inputs give different content for {key_text(snap.key)}: "
                f"{origin(first)} and {origin(snap)}; ingest them separately with "
                "replace=True, or fix the date or layer of one of them"
            )
            raise DuplicateSnapshotError(msg)
    return list(seen.values())


def try_lock(handle: IO[bytes]) -> bool:
    """Take the writer lock without waiting; closing the handle releases it."""
    try:
        if sys.platform == "win32":
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as err:  # e.g. ENOLCK on some network file systems
        msg = f"cannot lock {handle.name}: {err}; use a local disk"
        raise StoreError(msg) from err
    return True


def slug(name: str) -> str:
    """Folder name for an untrusted source or layer name (stable, safe)."""
    text = _SLUG_UNSAFE.sub("_", name).strip("._")[:48]
    if not text or text != name or text.lower() in _RESERVED:
        text = f"{text or '_'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return text
