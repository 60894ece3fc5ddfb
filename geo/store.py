"""The on-disk store of normalized snapshots, with a catalog.

Layout under the store root::

    store.json                   {"format": "geo-store", "version": 1}
    catalog.parquet              one row per snapshot (see CATALOG_SCHEMA)
    snapshots/<source>/<layer>/<YYYY-MM-DD>-<content_hash[:16]>.parquet
    .lock                        serialises writers (flock)

Snapshot files are GeoParquet (``label``, ``properties``, ``geometry`` in
EPSG:4326) named by content. Every file is written to a temporary name and
renamed into place, the catalog last: an interrupted ingest leaves the store
as it was, and files the catalog does not name are removed by the next ingest
(:meth:`Store.vacuum`). :mod:`geo.catalog` holds the format of these files;
:mod:`geo.store_writer` the write side (creation, ingest, vacuum, the writer
lock); :mod:`geo.store_sources` which sources hold which layers. Nothing here
follows a link out of the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd
import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

from geo import store_sources, store_writer
from geo.catalog import (
    CATALOG_COLUMNS,
    CATALOG_NAME,
    CATALOG_SCHEMA,
    INPUTS_NAME,
    LOCK_NAME,
    MARKER_NAME,
    SNAPSHOT_DIR,
    STORE_FORMAT,
    STORE_VERSION,
    Key,
    check_marker,
    read_inputs,
    read_snapshot,
)
from geo.errors import SnapshotNotFoundError, StoreError
from geo.progress import Progress
from geo.series import SnapshotSeries
from geo.snapshot import Snapshot
from geo.store_writer import IngestReport
from geo.text import escape_text, one_line

if TYPE_CHECKING:
    import folium

__all__ = [
    "CATALOG_COLUMNS", "CATALOG_NAME", "CATALOG_SCHEMA", "DEFAULT_LOCK_TIMEOUT_S", "INPUTS_NAME",
    "LOCK_NAME",
    "MARKER_NAME", "SNAPSHOT_DIR", "STORE_FORMAT", "STORE_VERSION", "IngestReport", "Key", "Store",
    "default_store_path", "open_store",
]  # fmt: skip

#: Seconds a writer waits for another writer before giving up.
DEFAULT_LOCK_TIMEOUT_S = 60.0

logger = logging.getLogger(__name__)


def default_store_path() -> Path:
    """Return ``$GEO_STORE`` if set, else ``<user data folder>/geo/store``."""
    env = os.environ.get("GEO_STORE", "").strip()
    return Path(env).expanduser() if env else platformdirs.user_data_path("geo") / "store"


def open_store(
    path: str | Path | None = None,
    *,
    create: bool = True,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> Store:
    """Open the store at ``path``, creating it if allowed.

    Parameters
    ----------
    path
        Store folder (default :func:`default_store_path`).
    create
        Create the store when the folder is missing or empty.
    lock_timeout_s
        Seconds a writer waits for another writer before raising.

    Raises
    ------
    StoreError
        The path is a file, a non-empty folder that is not a store, a store
        of a newer version, or missing while ``create`` is false.

    Examples
    --------
    >>> import tempfile
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = open_store(folder.name)
    >>> len(store)
    0
    >>> store.ingest(read_many([sample_dir()], source="sample").snapshots).summary()
    'added 20, unchanged 0, replaced 0'
    >>> folder.cleanup()
    """
    root = (Path(path) if path is not None else default_store_path()).expanduser().absolute()
    if root.exists() and not root.is_dir():
        msg = f"store path {root} is a file, not a folder; pass open_store another folder"
        raise StoreError(msg)
    if not (root / MARKER_NAME).exists():
        store_writer.refuse_foreign(root)  # before anything is written into a user's folder
        if not create:
            msg = f"no store at {root}; open it with create=True to make one"
            raise StoreError(msg)
        store_writer.create_store(root, lock_timeout_s)  # under the lock: others may race
    store = Store(root, lock_timeout_s=lock_timeout_s)
    if not (root / CATALOG_NAME).exists() and not store._files():
        with store_writer.locked(store):  # an empty catalog from the start: a missing one is lost
            if not (root / CATALOG_NAME).exists():
                store_writer.write_catalog(store, CATALOG_SCHEMA.empty_table())
    return store


class Store:
    """A folder of snapshots plus their catalog; open one with :func:`open_store`.

    ``path`` is the store root; ``lock_timeout_s`` the seconds a writer waits
    for another writer before raising :class:`StoreError`.

    Examples
    --------
    >>> import tempfile
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = open_store(folder.name)
    >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
    >>> store.sources(), store.layers()
    (['sample'], ['contested', 'russian_advance', 'russian_control', 'ukrainian_control_russia'])
    >>> [day.isoformat() for day in store.dates("russian_control")]
    ['2024-08-15', '2024-09-15', '2024-11-15', '2025-01-15', '2025-03-15']
    >>> folder.cleanup()
    """

    def __init__(self, path: str | Path, *, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        check_marker(self.path)
        self._real_root = self.path.resolve()
        self._stamp: tuple[int, int, int] | None = None
        self._frame: pd.DataFrame = CATALOG_SCHEMA.empty_table().to_pandas()
        self._records: list[dict[str, Any]] = []

    def catalog(self) -> pd.DataFrame:
        """Return a copy of the catalog, sorted by source, layer, date."""
        frame = self._load()
        return frame.sort_values(["source", "layer", "date"], kind="stable").reset_index(drop=True)

    def snapshots(
        self,
        *,
        layer: str | None = None,
        source: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pd.DataFrame:
        """Return catalog rows matching every filter given (dates inclusive).

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read_many
        >>> from geo.sample import sample_dir
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = open_store(folder.name)
        >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
        >>> rows = store.snapshots(layer="contested", start=dt.date(2024, 11, 1))
        >>> [(row.source, row.date.isoformat(), row.n_features) for row in rows.itertuples()]
        [('sample', '2024-11-15', 3), ('sample', '2025-01-15', 3), ('sample', '2025-03-15', 3)]
        >>> folder.cleanup()
        """
        rows = self._select(layer=layer, source=source, start=start, end=end)
        return rows.sort_values(["source", "layer", "date"], kind="stable").reset_index(drop=True)

    def _select(
        self,
        *,
        layer: str | None = None,
        source: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pd.DataFrame:
        """Catalog rows matching the filters, unsorted, indexed by their place in the cache."""
        frame = self._load()
        start, end = _as_date(start), _as_date(end)
        if start is not None and end is not None and start > end:
            msg = f"start {start} is after end {end}; swap them"
            raise StoreError(msg)
        mask = pd.Series(True, index=frame.index)
        if layer is not None:
            mask &= frame["layer"] == layer
        if source is not None:
            mask &= frame["source"] == source
        if start is not None:
            mask &= frame["date"] >= start
        if end is not None:
            mask &= frame["date"] <= end
        return frame.loc[mask]

    def dates(self, layer: str, *, source: str | None = None) -> list[dt.date]:
        """Return the sorted dates of ``layer`` (of every source unless given)."""
        return sorted(set(self.snapshots(layer=layer, source=source)["date"]))

    def sources(self) -> list[str]:
        """Return the sorted source names."""
        return sorted(set(self._load()["source"]))

    def layers(self, *, source: str | None = None) -> list[str]:
        """Return the sorted layer names (of one source if given)."""
        return sorted(set(self.snapshots(source=source)["layer"]))

    def summary(self) -> pd.DataFrame:
        """Return one row per source and layer: first and last date, number of dates.

        Columns ``source``, ``layer``, ``first_date``, ``last_date``, ``n_dates``,
        sorted by source and layer (:func:`geo.store_sources.summary`).

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read_many
        >>> from geo.sample import sample_dir
        >>> store = open_store(tempfile.mkdtemp())
        >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
        >>> store.summary().iloc[2].to_dict()
        {'source': 'sample', 'layer': 'russian_control', 'first_date': datetime.date(2024, 8, 15), \
'last_date': datetime.date(2025, 3, 15), 'n_dates': 5}
        """
        return store_sources.summary(self._load())

    def pick_source(self, layer: str, *dates: dt.date | None) -> str:
        """Return the one source that holds ``layer`` on every date given, and say which.

        A source holds a layer on a date between its first and last stored date
        of that layer (inclusive: the nearest snapshot on or before the date is
        then its own). Where one source stores the layer at all it is returned
        as it is; where several do, the dates decide, and the choice is logged
        (logger ``geo.store``; the ``geo`` command prints it as a note).
        ``None`` dates are ignored, so ``pick_source(layer, start, end)`` fits an
        open date range. Examples in :func:`geo.store_sources.pick_source`.

        Raises
        ------
        SnapshotNotFoundError
            No source stores ``layer``, or several do and none holds it on
            every date given.
        StoreError
            Several sources hold it on every date given (the message lists
            each with its date range).
        """
        source, note = store_sources.pick_source(self._load(), layer, dates, store=self.path)
        if note is not None:
            logger.info("%s", note)
        return source

    def get(
        self, layer: str, date: dt.date, *, source: str | None = None, exact: bool = True
    ) -> Snapshot:
        """Read one snapshot back.

        Parameters
        ----------
        layer
            Layer name as in the catalog.
        date
            The date wanted.
        source
            Source name; by default the one source holding ``layer`` on ``date``
            (:meth:`pick_source`, which says which).
        exact
            If false, take the nearest snapshot on or before ``date`` (the
            returned :attr:`Snapshot.date` is the date used).

        Raises
        ------
        SnapshotNotFoundError
            Nothing matches; the message lists the nearest dates available.
        StoreError
            Several sources hold the layer on ``date``, or the snapshot file is
            unusable.

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read_many
        >>> from geo.sample import sample_dir
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = open_store(folder.name)
        >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
        >>> snapshot = store.get("russian_control", dt.date(2024, 10, 1), exact=False)
        >>> snapshot.date  # the nearest stored date before
        datetime.date(2024, 9, 15)
        >>> store.get("russian_control", dt.date(2024, 10, 1))
        Traceback (most recent call last):
        ...
        geo.errors.SnapshotNotFoundError: no snapshot of layer 'russian_control' on 2024-10-01 ...
        >>> folder.cleanup()
        """
        want = date.date() if isinstance(date, dt.datetime) else date
        frame = self._load()
        mask = frame["layer"] == layer
        if source is not None:
            mask &= frame["source"] == source
        rows = frame.loc[mask]
        where = f"layer {layer!r}" + (f" of source {source!r}" if source is not None else "")
        if rows.empty:
            msg = (
                f"no snapshots of {where} in store {self.path}; layers stored: "
                f"{', '.join(self.layers(source=source)) or 'none'}"
            )
            raise SnapshotNotFoundError(msg)
        if source is None:  # with several sources, the one holding the layer on that date
            source = self.pick_source(layer, want)
            rows = rows.loc[rows["source"] == source]
        dates = rows["date"]
        hits = rows.loc[(dates == want) if exact else (dates <= want)]
        if hits.empty:
            before, after = [d for d in dates if d <= want], [d for d in dates if d > want]
            near = [f"{max(before)} (before)"] if before else []
            near += [f"{min(after)} (after)"] if after else []
            hint = "; pass exact=False for the nearest one before" if exact and before else ""
            msg = (
                f"no snapshot of {where} on {'' if exact else 'or before '}{want} in store "
                f"{self.path}; nearest dates available: {', '.join(near)}{hint}"
            )
            raise SnapshotNotFoundError(msg)
        _, position = max(zip(hits["date"], hits.index, strict=True))
        return self._read(self._records[int(position)])

    def series(
        self,
        layer: str,
        *,
        source: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        progress: Progress = None,
    ) -> list[Snapshot]:
        """Every stored snapshot of one layer and source in a date range, oldest first.

        A ``start`` with no snapshot of its own begins at the nearest stored date
        before it, as diffs do (the first snapshot's ``date`` says which), as long
        as the range holds any snapshot. ``progress``: a bar on stderr while they
        are read (``None``, the default, when stderr is a terminal; ``True`` always,
        ``False`` never). :meth:`read_series` reads the same snapshots as arrays,
        without building a GeoDataFrame for each.

        Raises
        ------
        SnapshotNotFoundError
            If there is none in the range.
        StoreError
            If several sources hold the layer from ``start`` to ``end`` and
            ``source`` is not given (:meth:`pick_source` picks the one that does).

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read_many
        >>> from geo.sample import sample_dir
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = open_store(folder.name)
        >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
        >>> series = store.series("russian_control", start=dt.date(2024, 10, 1))
        >>> [(s.date.isoformat(), round(s.area_km2)) for s in series]  # from the state on Oct 1
        [('2024-09-15', 54321), ('2024-11-15', 57547), ('2025-01-15', 59671),
         ('2025-03-15', 62145)]
        >>> folder.cleanup()
        """
        found = self.read_series(layer, source=source, start=start, end=end, progress=progress)
        return found.to_snapshots()

    def read_series(
        self,
        layer: str,
        *,
        source: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        progress: Progress = None,
    ) -> SnapshotSeries:
        """Read the snapshots of :meth:`series` as columns: one read, no GeoDataFrames.

        Dates, areas and content hashes come from the catalog at once; the
        features of every snapshot are read from their files on first use, in
        one pass (see :class:`geo.series.SnapshotSeries`, whose ``chunks`` walk
        a long archive piece by piece). Parameters and errors as in :meth:`series`;
        ``progress`` draws its bar when the whole series is read (:meth:`SnapshotSeries.load`).

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read_many
        >>> from geo.sample import sample_control_files
        >>> store = open_store(tempfile.mkdtemp())
        >>> _ = store.ingest(read_many(sample_control_files()).snapshots)
        >>> series = store.read_series("russian_control", end=dt.date(2024, 12, 1))
        >>> [d.isoformat() for d in series.dates]
        ['2024-08-15', '2024-09-15', '2024-11-15']
        >>> bool(series.geometry(0).equals(store.get("russian_control", series.dates[0]).geometry))
        True
        """
        if source is None and self._select(layer=layer)["source"].nunique() > 1:
            source = self.pick_source(layer, start, end)  # the one holding it on both ends
        rows = self._select(layer=layer, source=source, start=start, end=end)
        if start is not None and not rows.empty and not (rows["date"] == start).any():
            earlier = self._select(layer=layer, source=source, end=start)
            if not earlier.empty:  # the state on `start` is the latest one before it
                rows = pd.concat([earlier[earlier["date"] == earlier["date"].max()], rows])
        if rows.empty:
            msg = (
                f"no snapshots of layer {layer!r}{f' of source {source!r}' if source else ''} "
                f"between {start or 'the first'} and {end or 'the last'} date in store "
                f"{self.path}; see Store.snapshots()"
            )
            raise SnapshotNotFoundError(msg)
        one = source if source is not None else str(rows["source"].iloc[0])
        positions = rows.sort_values("date", kind="stable").index
        records = [self._records[int(i)] for i in positions]
        files = [self._abs(r["file"]) for r in records]
        return SnapshotSeries(one, layer, records, files, progress=progress)

    def map(
        self,
        layer: str | Sequence[str],
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        source: str | None = None,
        notice: str | None = None,
        **kw: Any,
    ) -> folium.Map:
        """Return a timeline map of every stored date in a range, with a date slider.

        Parameters
        ----------
        layer
            One layer or several, each drawn as its own timeline layer.
        start, end
            Date range (inclusive); default all dates.
        source
            Source; needed when several sources hold a layer.
        notice
            A banner that must stay visible; the synthetic-data notice is
            always shown for the bundled sample.
        **kw
            Passed to :func:`geo.render.timeline_map`: ``title`` (default: the
            layers, publishers and date range), ``subtitle``, ``lang``,
            ``trail_days``, ``tiles``, ``regions``, ``tolerance_m``,
            ``precision``, ``attribution``, ``jobs``, ``executor``.

        Raises
        ------
        SnapshotNotFoundError
            A layer has no snapshot in the range.
        StoreError
            Several sources hold a layer and ``source`` is not given.
        """
        from geo.render.methods import store_method

        return store_method(self, layer, start=start, end=end, source=source, notice=notice, **kw)

    def _read(self, record: dict[str, Any]) -> Snapshot:
        return read_snapshot(self._abs(record["file"]), record)

    def ingest(
        self,
        snapshots: Iterable[Snapshot],
        *,
        replace: bool = False,
        progress: Progress = None,
        inputs: Sequence[dict[str, Any]] = (),
    ) -> IngestReport:
        """Store snapshots; identical content already stored is a no-op.

        Parameters
        ----------
        snapshots
            Snapshots to store.
        replace
            Overwrite stored snapshots of the same key whose content differs.
        progress
            A bar on stderr: ``None`` (default) when stderr is a terminal,
            ``True`` always, ``False`` never.
        inputs
            Rows of :data:`geo.catalog.INPUTS_SCHEMA` for the files the
            snapshots were read from, recorded (replacing rows of the same
            path) once the snapshots are stored, so that
            :func:`geo.ingest.ingest_files` can skip them while they are unchanged.

        Raises
        ------
        DuplicateSnapshotError
            Two inputs give different content for one key, or a stored
            snapshot differs and ``replace`` is false.
        StoreError
            The store is locked by another writer or cannot be written.

        Examples
        --------
        >>> import tempfile
        >>> from geo.io import read
        >>> from geo.sample import sample_control_files
        >>> folder = tempfile.TemporaryDirectory()
        >>> store = open_store(folder.name)
        >>> snapshots = read(sample_control_files()[0], source="sample")
        >>> store.ingest(snapshots).summary()
        'added 4, unchanged 0, replaced 0'
        >>> store.ingest(snapshots).summary()  # the same content again: a no-op
        'added 0, unchanged 4, replaced 0'
        >>> folder.cleanup()
        """
        return store_writer.ingest(
            self, snapshots, replace=replace, progress=progress, inputs=inputs
        )

    def inputs(self) -> dict[str, dict[str, Any]]:
        """Return the input files past ingests read, by resolved path (:data:`INPUTS_NAME`)."""
        return read_inputs(self.path)

    def vacuum(self) -> int:
        """Remove files the catalog does not name; return how many."""
        return store_writer.vacuum(self)

    def _files(self) -> list[Path]:
        """Every file under ``snapshots/``, never following a link out of the store.

        Raises
        ------
        StoreError
            ``snapshots/`` is a symbolic link (its clean-up would delete the
            files it points to).
        """
        top = self.path / SNAPSHOT_DIR
        if top.is_symlink():
            msg = (
                f"{top} is a symbolic link (to {one_line(top.readlink())}); geo never follows "
                "links out of its store, so nothing was changed: replace the link with a real "
                "folder holding the same files, then run the command again"
            )
            raise StoreError(msg)
        # os.walk does not descend into linked folders; linked files are left alone too.
        return [Path(d, f) for d, _, fs in os.walk(top) for f in fs if not Path(d, f).is_symlink()]

    def _load(self) -> pd.DataFrame:
        """Return the cached catalog frame (unsorted), reloading if the file changed."""
        target = self.path / CATALOG_NAME
        fix = "restore it from a backup, or move the store aside and ingest your files again"
        try:
            info = target.stat()
        except FileNotFoundError:
            if self._files():  # don't let vacuum treat every snapshot as an orphan
                msg = f"catalog {target} is lost but snapshots exist; {fix}"
                raise StoreError(msg) from None
            self._set_cache(CATALOG_SCHEMA.empty_table(), stamp=(0, 0, 0))
            return self._frame
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if stamp != self._stamp:
            try:
                table = pq.read_table(target).select(CATALOG_SCHEMA.names).cast(CATALOG_SCHEMA)
            except Exception as err:  # ArrowInvalid, KeyError for a missing column, OSError...
                msg = f"catalog {target} is unreadable ({err}); {fix}"
                raise StoreError(msg) from err
            self._set_cache(table, stamp=stamp)
        return self._frame

    def _set_cache(self, table: pa.Table, *, stamp: tuple[int, int, int] | None) -> None:
        if stamp is None:
            info = (self.path / CATALOG_NAME).stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        self._frame = table.to_pandas()
        self._records = table.to_pylist()
        self._stamp = stamp

    def _abs(self, rel: str) -> Path:
        """Resolve a catalog path, refusing any that leaves the store root."""
        target = (self._real_root / PurePosixPath(rel)).resolve()
        if not target.is_relative_to(self._real_root):
            msg = (
                f"{one_line(rel)!r} leads outside store {self.path} (a corrupt catalog, or a "
                "symbolic link inside the store); geo never reads or writes outside its store: "
                "replace links with real folders"
            )
            raise StoreError(msg)
        return target

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        try:
            frame = self._load()
        except StoreError:
            return one_line(f"<Store {self.path}: unreadable catalog>")
        kinds = f"{frame['source'].nunique()} sources, {frame['layer'].nunique()} layers"
        return one_line(f"<Store {self.path}: {len(frame)} snapshots, {kinds}>")

    def _repr_html_(self) -> str:
        try:
            frame = self._load()
        except StoreError as err:
            return f"<p>{escape_text(str(err))}</p>"
        return store_sources.summary_html(self.path, frame)


def _as_date(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value
