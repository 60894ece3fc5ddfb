"""A series of stored snapshots read in one go: Arrow columns and geometry arrays.

:meth:`geo.store.Store.read_series` returns a :class:`SnapshotSeries`: the
catalog rows of every snapshot of one source and layer in a date range, oldest
first, and (read on first use, one Arrow read of every file) their features as
one table of WKB, labels and attributes with per-snapshot offsets. Geometries
are parsed with one :func:`shapely.from_wkb` call; GeoDataFrames
(:class:`~geo.snapshot.Snapshot` objects) are built only when asked for
(:meth:`SnapshotSeries.snapshot`, :meth:`SnapshotSeries.to_snapshots`).

Long archives are walked in pieces: :meth:`SnapshotSeries.chunks` yields
consecutive sub-series, each reading only its own files, so that a loop holds
one piece (or the few a pool of workers is busy with) rather than the archive.
A loaded piece pickles with its Arrow columns and without parsed geometries,
which is what process and Dask workers receive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from geo.catalog import FILE_COLUMNS, read_feature_table, to_snapshot
from geo.errors import StoreError
from geo.progress import Progress, progress_bar
from geo.snapshot import Snapshot, union_features
from geo.text import one_line

__all__ = ["SnapshotSeries"]

ObjArray = npt.NDArray[Any]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_CACHES = ("_feature_geoms", "_geoms")  # parsed geometries: rebuilt, never pickled


class SnapshotSeries:
    """Stored snapshots of one source and layer, oldest first, as columns.

    Build one with :meth:`geo.store.Store.read_series`. The catalog columns
    (:attr:`dates`, :attr:`area_km2`, :attr:`content_hashes`,
    :attr:`n_features`, :attr:`records`) are there at once; the features are
    read from the snapshot files on first use (or by :meth:`load`).

    Examples
    --------
    >>> import tempfile
    >>> from geo.io import read_many
    >>> from geo.sample import sample_control_files
    >>> from geo.store import open_store
    >>> store = open_store(tempfile.mkdtemp())
    >>> _ = store.ingest(read_many(sample_control_files()).snapshots)
    >>> series = store.read_series("russian_control")
    >>> len(series), series.n_features.tolist()
    (5, [4, 4, 4, 4, 4])
    >>> [len(part) for part in series.chunks(3, overlap=1)]
    [3, 3]
    >>> series.snapshot(4).date == series.dates[-1]
    True
    """

    def __init__(
        self,
        source: str,
        layer: str,
        records: Sequence[dict[str, Any]],
        files: Sequence[Path],
        *,
        progress: Progress = False,
    ) -> None:
        if len(records) != len(files):
            msg = f"{len(records)} catalog records for {len(files)} files"
            raise StoreError(msg)
        self.source = source
        self.layer = layer
        self.records: tuple[dict[str, Any], ...] = tuple(records)
        self.files: tuple[Path, ...] = tuple(files)
        self.progress = progress
        self._table: pa.Table | None = None
        self._offsets: IntArray | None = None
        self._feature_geoms: ObjArray | None = None
        self._geoms: ObjArray | None = None

    # --- catalog columns (no file read) -------------------------------------------------

    def __len__(self) -> int:
        return len(self.records)

    @property
    def dates(self) -> list[dt.date]:
        """The snapshot dates, oldest first."""
        return [r["date"] for r in self.records]

    @property
    def area_km2(self) -> FloatArray:
        """Geodesic area of each snapshot in km², from the catalog."""
        return np.array([r["area_km2"] for r in self.records], dtype=float)

    @property
    def content_hashes(self) -> list[str]:
        """Content hash of each snapshot, from the catalog."""
        return [r["content_hash"] for r in self.records]

    @property
    def n_features(self) -> IntArray:
        """Features of each snapshot, from the catalog."""
        return np.array([r["n_features"] for r in self.records], dtype=np.int64)

    def where(self, index: int) -> str:
        """Name snapshot ``index`` in messages: source, layer, date and the file it came from."""
        record = self.records[index]
        return f"{self.source}/{self.layer} {record['date'].isoformat()} ({record['source_path']})"

    # --- features (read on first use) ---------------------------------------------------

    @property
    def loaded(self) -> bool:
        """Whether the features have been read from the files."""
        return self._table is not None

    def load(self) -> SnapshotSeries:
        """Read the features of every snapshot (once) and return the series.

        Raises
        ------
        StoreError
            If a snapshot file is missing, unreadable or does not match the catalog.
        """
        if self._table is None:
            pairs = list(zip(self.files, self.records, strict=True))
            bar = progress_bar(pairs, progress=self.progress, desc="reading", unit="snapshot")
            tables = [read_feature_table(file, record) for file, record in bar]
            schema = pa.schema([(c, pa.large_string()) for c in FILE_COLUMNS[:-1]])
            schema = schema.append(pa.field("geometry", pa.binary()))
            self._table = (
                pa.concat_tables([t.cast(schema) for t in tables])
                if tables
                else schema.empty_table()
            )
            self._offsets = np.concatenate([[0], np.cumsum(self.n_features)]).astype(np.int64)
        return self

    @property
    def table(self) -> pa.Table:
        """Every feature of every snapshot: ``label``, ``properties``, ``geometry`` (WKB)."""
        table = self.load()._table
        assert table is not None
        return table

    @property
    def offsets(self) -> IntArray:
        """Snapshot ``i`` holds the features ``offsets[i]:offsets[i + 1]`` of :attr:`table`."""
        offsets = self.load()._offsets
        assert offsets is not None
        return offsets

    @property
    def feature_geometries(self) -> ObjArray:
        """Every feature geometry of every snapshot (one :func:`shapely.from_wkb` call)."""
        if self._feature_geoms is None:
            wkb = self.table.column("geometry").to_numpy(zero_copy_only=False)
            try:
                self._feature_geoms = np.asarray(shapely.from_wkb(wkb), dtype=object)
            except Exception as err:  # a corrupt blob: find its file for the message
                msg = f"a snapshot file of {self.source}/{self.layer} is unreadable ({err})"
                raise StoreError(msg) from err
        return self._feature_geoms

    def features(self, index: int) -> ObjArray:
        """Return the feature geometries of snapshot ``index``."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        return self.feature_geometries[start:stop]

    @property
    def geometries(self) -> ObjArray:
        """One geometry per snapshot: the union of its features (:attr:`Snapshot.geometry`)."""
        if self._geoms is None:
            geoms = np.empty(len(self), dtype=object)
            geoms[:] = [union_features(self.features(i)) for i in range(len(self))]
            self._geoms = geoms
        return self._geoms

    def geometry(self, index: int) -> BaseGeometry:
        """Return the geometry of snapshot ``index``: the union of its features."""
        geom: BaseGeometry = self.geometries[index]
        return geom

    def snapshot(self, index: int) -> Snapshot:
        """Snapshot ``index`` as a :class:`~geo.snapshot.Snapshot` (builds its GeoDataFrame).

        Raises
        ------
        StoreError
            If the catalog row is corrupt.
        """
        start, stop = int(self.offsets[index]), int(self.offsets[index + 1])
        rows = self.table.slice(start, stop - start)
        labels, props = (rows.column(c).to_pylist() for c in FILE_COLUMNS[:-1])
        snap = to_snapshot(
            self.records[index], self.features(index), labels, props, file=self.files[index]
        )
        if self._geoms is not None:
            snap.__dict__["geometry"] = self._geoms[index]  # the cached property, computed
        return snap

    def to_snapshots(self) -> list[Snapshot]:
        """Every snapshot as a :class:`~geo.snapshot.Snapshot`, oldest first."""
        return [self.snapshot(i) for i in range(len(self))]

    # --- pieces -------------------------------------------------------------------------

    def __getitem__(self, key: slice) -> SnapshotSeries:
        """Return the sub-series of a slice of the snapshots (sharing the columns if read)."""
        if not isinstance(key, slice):
            msg = f"index a SnapshotSeries with a slice, not {type(key).__name__}; use .snapshot(i)"
            raise TypeError(msg)
        start, stop, step = key.indices(len(self))
        if step != 1:
            msg = "a SnapshotSeries slice takes consecutive snapshots (step 1)"
            raise ValueError(msg)
        stop = max(stop, start)
        part = SnapshotSeries(
            self.source, self.layer, self.records[start:stop], self.files[start:stop]
        )
        if self._table is not None and self._offsets is not None:
            first, last = int(self._offsets[start]), int(self._offsets[stop])
            part._table = self._table.slice(first, last - first)
            part._offsets = self._offsets[start : stop + 1] - first
            if self._feature_geoms is not None:
                part._feature_geoms = self._feature_geoms[first:last]
            if self._geoms is not None:
                part._geoms = self._geoms[start:stop]
        return part

    def chunks(self, size: int, *, overlap: int = 0) -> Iterator[SnapshotSeries]:
        """Consecutive sub-series of ``size`` snapshots, the next starting ``overlap`` early.

        With ``overlap=1`` every consecutive pair of snapshots lies in exactly
        one chunk (the last snapshot of a chunk is the first of the next). A
        chunk reads its own files when used, so walking the chunks of a long
        archive never holds all of it.

        Raises
        ------
        ValueError
            If ``overlap`` is not smaller than ``size``.
        """
        if size < 1 or not 0 <= overlap < size:
            msg = f"chunks of {size} with overlap {overlap}: need size >= 1, 0 <= overlap < size"
            raise ValueError(msg)
        step = size - overlap
        start = 0
        while start < len(self):
            yield self[start : start + size]
            if start + size >= len(self):
                break
            start += step

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(dict.fromkeys(_CACHES))  # workers parse WKB faster than pickle does
        state["progress"] = False
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        span = f"{self.dates[0]} .. {self.dates[-1]}" if len(self) else "empty"
        name = f"{self.source}/{self.layer}"
        return one_line(f"<SnapshotSeries {name}: {len(self)} snapshots, {span}>")
