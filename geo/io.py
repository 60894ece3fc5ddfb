"""Read any supported file into dated, layered, clean snapshots.

:func:`read` takes one file; :func:`read_many` takes files and folders
(recursive) and reports every problem at once. Formats: GeoJSON (``.geojson``,
``.json`` and their ``.gz``), Esri JSON (ArcGIS ``f=json``), DeepStateMap raw
snapshots, Shapefiles (plain or zipped), GeoPackage, GeoParquet, KML and KMZ
(the raw tables come from :mod:`geo.readers`).

Each file is split into snapshots by its layer attribute (and by its date
attribute when features carry several dates). The layer of a feature comes
from, in order: ``layer=`` (when the file holds one layer), a layer attribute,
its KML folder (the innermost folder name that is a known layer), the layer
name inside the file, the archive or file name, the parent folders. Names are
resolved through :mod:`geo.layers` (dates in them are ignored); unknown names
are kept as they are and reported in the snapshot's notes. Dates follow
:func:`geo.dates.resolve_date`. Hygiene is counted per snapshot: each
snapshot's report counts its own features only, and features that fit no
snapshot are reported once, in a note. A file that yields no snapshot at all
is an error, never silently skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from geo import archives, deepstate, limits
from geo.dates import GIVEN, DateFound, find_date_attribute, parse_date, resolve_date
from geo.errors import DateError, GeoError, InputFormatError, LayerError, ValidationError
from geo.fsutil import write_atomic
from geo.geometry import HygieneReport, check_finite, clean_geometries
from geo.layers import CANONICAL_LAYERS, LayerMatch, resolve_layer
from geo.progress import Progress, progress_bar
from geo.readers import (
    JSON_SUFFIXES,
    SUPPORTED_SUFFIXES,
    Table,
    json_table,
    load_json,
    read_tables,
    stem_of,
    suffix_of,
)
from geo.snapshot import Provenance, Snapshot, feature_label, make_features, properties_json

if TYPE_CHECKING:
    import geopandas as gpd

#: Attribute names that hold a feature's layer (compared case-insensitively).
LAYER_ATTRIBUTES = ("layer", "layer_type", "layer_name", "layername", "lyr")
# ArcGIS writes null dates as 1899-12-30; such values are no dates at all.
_NULL_DATE = dt.date(1899, 12, 30)
DEFAULT_SOURCE = "user"
_STORE_MARKER = "store.json"  # geo.store.MARKER_NAME; io sits below store
_NO_LAYER = LayerMatch(name="", layer=None)


@dataclasses.dataclass(frozen=True)
class _Dropped:
    """Features no snapshot counts: no polygon, and no layer or date with polygons."""

    where: str
    names: tuple[str, ...]
    hygiene: HygieneReport

    def describe(self) -> str:
        """``"3 features of 'partisan_warfare'"``."""
        return _count_of(self.hygiene.n_input, self.names)


def _count_of(n: int, names: Iterable[str]) -> str:
    listed = ", ".join(repr(name) for name in dict.fromkeys(names) if name)
    return f"{n} feature{'' if n == 1 else 's'}" + (f" of {listed}" if listed else "")


@dataclasses.dataclass(frozen=True)
class _Part:
    """The features of one table with one layer name and one attribute date, cleaned."""

    match: LayerMatch
    day: dt.date | None
    geometries: npt.NDArray[Any]
    index: npt.NDArray[np.intp]  # positions in the table
    hygiene: HygieneReport


def is_supported(path: Path) -> bool:
    """Whether :func:`read` can read ``path`` (by its ending)."""
    return suffix_of(path) in SUPPORTED_SUFFIXES


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files to read from ``paths``; folders are walked recursively, side files skipped."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                # A geo store inside the input folder holds our own output: never re-read it.
                if _STORE_MARKER in files and Path(folder) != path:
                    subfolders.clear()
                    continue
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    child = Path(folder) / name
                    if is_supported(child) and not name.startswith("."):
                        yield child
        elif path.exists():
            yield path
        else:
            msg = f"{path}: no such file or folder"
            raise InputFormatError(msg)


def read(
    src: str | Path,
    *,
    layer: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    crs: str | None = None,
    root: Path | None = None,
) -> list[Snapshot]:
    """Read one file into snapshots.

    Parameters
    ----------
    src
        Path of a supported file.
    layer
        Canonical layer (or alias) for files that hold one layer; for a
        multi-layer file, keeps only that layer.
    source
        Source name for the snapshots (default: implied by the layer names,
        ``"deepstate"`` for DeepState files, else ``"user"``).
    date
        Date of the snapshots, overriding attributes and names.
    crs
        CRS of the coordinates when the file declares none or a wrong one.
    root
        The folder the user named, so folder-name dates stop there.

    Returns
    -------
    list of Snapshot
        One per (layer, date) found in the file. Features that fit none (no
        polygon, and no layer or date that has polygons) are named once, in
        the first snapshot's notes.

    Raises
    ------
    GeoError
        A subclass naming the file and the fix for every kind of bad input;
        :class:`InputFormatError` when the file holds no polygon at all (only
        null, empty or point geometries, or no features).

    Examples
    --------
    The bundled synthetic sample holds four layers per file:

    >>> from geo.sample import sample_control_files
    >>> snapshots = read(sample_control_files()[0], source="sample")
    >>> [s.layer for s in snapshots], {s.date for s in snapshots}
    (['russian_control', 'russian_advance', 'contested', 'ukrainian_control_russia'],
     {datetime.date(2024, 8, 15)})
    >>> round(snapshots[0].area_km2)
    52028
    """
    path = Path(src)
    where = str(path)
    if re.match(r"^[a-z][a-z0-9+.-]*://", str(src)):
        msg = f"{src}: reading URLs is not supported yet; download the file first"
        raise InputFormatError(msg)
    limits.check_file_size(path)  # a regular file (a FIFO would block), not too large
    if not _is_unicode(where):
        shown = where.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        msg = f"{shown}: the path is not valid UTF-8, so it cannot be stored; rename the file"
        raise InputFormatError(msg)
    suffix = suffix_of(path)
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFormatError(
            f"{where}: unsupported file type {suffix or '(none)'}; supported: "
            + ", ".join(SUPPORTED_SUFFIXES)
        )
    explicit_date = parse_date(date, where="date=") if date is not None else None
    explicit = resolve_layer(layer) if layer is not None else None
    if explicit is not None and not explicit.known:
        raise LayerError(
            f"layer={layer!r} is not a canonical layer; use one of: " + ", ".join(CANONICAL_LAYERS)
        )
    try:
        return _read_file(path, suffix, explicit, source, explicit_date, crs, root)
    except RecursionError:
        msg = (
            f"{where}: nested too deeply to read (more levels than Python allows); this is no "
            "export geo knows: check the file's origin"
        )
        raise InputFormatError(msg) from None
    except MemoryError:
        msg = (
            f"{where}: not enough memory to read this file; split it into smaller files, or "
            "use a machine with more memory"
        )
        raise InputFormatError(msg) from None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_file(
    path: Path,
    suffix: str,
    explicit: LayerMatch | None,
    source: str | None,
    explicit_date: dt.date | None,
    crs: str | None,
    root: Path | None,
) -> list[Snapshot]:
    where = str(path)
    sha256 = archives.sha256_file(path)

    if suffix in JSON_SUFFIXES:
        data = load_json(path, gzipped=suffix.endswith(".gz"))
        if deepstate.is_deepstate_raw(data):
            snaps = deepstate.parse_deepstate(data, path=where, sha256=sha256, date=explicit_date)
            return _select_layer(snaps, explicit, source, where)
        tables = [json_table(data, where)]
    else:
        tables = read_tables(path)

    snapshots: list[Snapshot] = []
    dropped: list[_Dropped] = []
    given = _Input(path, sha256, explicit, source, explicit_date, crs, root)
    for table in tables:
        table_snaps, table_dropped = _table_snapshots(table, given)
        snapshots.extend(table_snaps)
        dropped.extend(table_dropped)
    if not snapshots:
        raise _nothing_to_store(where, explicit, dropped)
    if dropped:
        # Reported once, on the file's first snapshot, rather than counted in every one.
        notes = tuple(
            f"{d.where}: {d.describe()} dropped: none has a polygon, so no snapshot counts "
            f"them ({d.hygiene.summary()})"
            for d in dropped
        )
        first = snapshots[0]
        provenance = dataclasses.replace(first.provenance, notes=first.provenance.notes + notes)
        snapshots[0] = dataclasses.replace(first, provenance=provenance)
    return snapshots


def _nothing_to_store(where: str, explicit: LayerMatch | None, dropped: list[_Dropped]) -> GeoError:
    """Return the error for a file that yields no snapshot: never a silent loss."""
    if dropped:
        total = sum((d.hygiene for d in dropped), HygieneReport())
        counted = _count_of(total.n_input, (name for d in dropped for name in d.names))
        return InputFormatError(
            f"{where}: nothing to store: {counted}, none with a polygon ({total.summary()}); "
            "re-export the layer with its polygons, or leave the file out"
        )
    if explicit is not None:
        return LayerError(f"{where}: holds no features of layer {explicit.layer}")
    return InputFormatError(
        f"{where}: holds no features, so there is nothing to store; check that the export is "
        "complete, or leave the file out"
    )


@dataclasses.dataclass
class ReadResult:
    """What :func:`read_many` found.

    Attributes
    ----------
    snapshots
        Snapshots read from every file that could be read.
    problems
        One message per file that could not be read or gave no snapshot.
    n_files
        Files looked at.
    """

    snapshots: list[Snapshot]
    problems: list[str]
    n_files: int

    def raise_for_problems(self) -> None:
        """Raise :class:`ValidationError` listing every problem, if any."""
        if self.problems:
            msg = f"{len(self.problems)} of {self.n_files} files could not be read"
            raise ValidationError(msg, self.problems)


def list_inputs(paths: Iterable[str | Path]) -> list[tuple[Path, Path | None]]:
    """Return the files :func:`read_many` reads, each with the folder the user named (or ``None``).

    Raises
    ------
    InputFormatError
        If a path does not exist.
    """
    inputs: list[tuple[Path, Path | None]] = []
    for raw in paths:
        base = Path(raw)
        root = base if base.is_dir() else None
        inputs.extend((path, root) for path in iter_input_files([base]))
    return inputs


def read_many(
    paths: Iterable[str | Path],
    *,
    layer: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    crs: str | None = None,
    progress: Progress = None,
    on_file: Callable[[Path], None] | None = None,
) -> ReadResult:
    """Read files and folders (recursively), collecting every problem.

    Parameters
    ----------
    paths
        Files and folders.
    layer, source, date, crs
        As for :func:`read`, applied to every file.
    progress
        A bar on stderr: ``None`` (default) when stderr is a terminal,
        ``True`` always, ``False`` never.
    on_file
        Called with each file before it is read.

    Returns
    -------
    ReadResult
        Snapshots plus one message per file that failed, including files that
        hold no polygon at all (they are never skipped silently); nothing is
        raised for bad files so that the caller can report them all at once.

    Examples
    --------
    >>> from geo.sample import sample_dir
    >>> result = read_many([sample_dir()], source="sample")
    >>> result.n_files, len(result.snapshots), result.problems
    (5, 20, [])
    """
    inputs = list_inputs(paths)
    iterator = progress_bar(inputs, progress=progress, desc="reading", unit="file")
    snapshots: list[Snapshot] = []
    problems: list[str] = []
    for path, root in iterator:
        if on_file is not None:
            on_file(path)
        try:
            snapshots.extend(read(path, layer=layer, source=source, date=date, crs=crs, root=root))
        except GeoError as exc:
            problems.append(str(exc))
    return ReadResult(snapshots=snapshots, problems=problems, n_files=len(inputs))


@dataclasses.dataclass(frozen=True)
class _Input:
    """One file and what the caller said about it (``None``: not said)."""

    path: Path
    sha256: str
    explicit: LayerMatch | None  # layer=
    source: str | None
    date: dt.date | None
    crs: str | None
    root: Path | None  # the folder the user named


def _table_snapshots(table: Table, given: _Input) -> tuple[list[Snapshot], list[_Dropped]]:
    """Return the snapshots of one table, and the features none of them counts."""
    where = f"{given.path}!{table.member}" if table.member else str(given.path)
    raw = np.empty(len(table.geometries), dtype=object)
    raw[:] = table.geometries
    check_finite(raw, where=where)  # here, so that the feature number is the file's own
    parts, attr = _table_parts(table, given, where)
    n_kept = sum(len(p.index) for p in parts)
    n_dated = sum(len(p.index) for p in parts if p.day is not None)
    date_note = (
        f"date attribute {attr!r} ignored: only {n_dated} of {n_kept} features carry a usable date"
        if 0 < n_dated < n_kept
        else ""
    )
    snapshots: list[Snapshot] = []
    dropped: list[_Dropped] = []
    for group in _group_parts(parts, given.explicit, use_dates=n_kept > 0 and n_dated == n_kept):
        if group.hygiene.n_output:
            snapshots.append(_group_snapshot(table, group, given, where=where, date_note=date_note))
        else:
            dropped.append(_Dropped(where, group.names, group.hygiene))
    return snapshots, dropped


@dataclasses.dataclass(frozen=True, eq=False)
class _Group:
    """The parts of one table that make one snapshot: one layer, one attribute date or none."""

    layer: str
    day: dt.date | None
    members: list[_Part]

    @property
    def matches(self) -> list[LayerMatch]:
        """The distinct layer matches of the parts, in order."""
        return list(dict.fromkeys(p.match for p in self.members))

    @property
    def names(self) -> tuple[str, ...]:
        """The layer names as found in the file."""
        return tuple(dict.fromkeys(m.name for m in self.matches if m.name))

    @property
    def hygiene(self) -> HygieneReport:
        """What cleaning did to the parts, summed."""
        return sum((p.hygiene for p in self.members), HygieneReport())


def _group_snapshot(
    table: Table, group: _Group, given: _Input, *, where: str, date_note: str
) -> Snapshot:
    """Return the snapshot of one group; its layer and date must be known."""
    if not group.layer:
        raise LayerError(
            f"{where}: cannot tell which layer these {group.hygiene.n_output} features are: "
            "no layer attribute "
            "and no layer name in the file or folder names; pass layer= (one of "
            + ", ".join(CANONICAL_LAYERS)
            + ")"
        )
    found = _resolve_group_date(given.path, group.day, given.date, given.root, where)
    matches = group.matches
    notes = [m.note for m in matches] + [date_note, *table.notes]
    if not matches[0].known:
        notes.append(f"unknown layer name {group.layer!r} kept as is; add an alias to map it")
    return Snapshot(
        source=given.source or next((m.source for m in matches if m.source), DEFAULT_SOURCE),
        layer=group.layer,
        date=found.date,
        features=_group_features(table, group.members),
        provenance=Provenance(
            path=str(given.path),
            sha256=given.sha256,
            member=table.member or table.inner_layer,
            original_layer=", ".join(group.names),
            date_rule=found.rule,
            notes=tuple(n for n in dict.fromkeys(notes) if n),
        ),
        hygiene=group.hygiene,
    )


def _table_parts(table: Table, given: _Input, where: str) -> tuple[list[_Part], str | None]:
    """Split a table by (layer name, attribute date) and clean each part; also the date column."""
    columns = {key for p in table.properties for key in p}
    attr, days = _attribute_dates(table, columns, where, given.date)
    layers = _feature_layers(table, columns, given.path, given.root)
    keys: dict[tuple[LayerMatch, dt.date | None], list[int]] = {}
    for i, key in enumerate(zip(layers, days, strict=True)):
        keys.setdefault(key, []).append(i)
    # One hygiene pass per (layer, date) part, so that every count belongs to its snapshot.
    crs = given.crs
    parts = [_clean_part(table, match, day, idx, crs, where) for (match, day), idx in keys.items()]
    return parts, attr


def _group_parts(
    parts: list[_Part], explicit: LayerMatch | None, *, use_dates: bool
) -> list[_Group]:
    """Group parts by (layer, date): ``layer=`` names a lone layer, or picks one of several."""
    distinct = {p.match.layer or p.match.name for p in parts if len(p.index)}
    groups: dict[tuple[str, dt.date | None], list[_Part]] = {}
    for part in parts:
        if explicit is not None and len(distinct) <= 1:
            part = dataclasses.replace(
                part, match=dataclasses.replace(explicit, name=part.match.name or explicit.name)
            )
        layer = part.match.layer or part.match.name
        if explicit is not None and len(distinct) > 1 and layer != explicit.layer:
            continue
        groups.setdefault((layer, part.day if use_dates else None), []).append(part)
    return [_Group(layer, day, members) for (layer, day), members in groups.items()]


def _group_features(table: Table, members: list[_Part]) -> gpd.GeoDataFrame:
    """Return the features of one group, in file order whichever part cleaned them."""
    rows = sorted(
        (int(i), geom) for p in members for i, geom in zip(p.index, p.geometries, strict=True)
    )
    props = [table.properties[i] for i, _ in rows]
    return make_features(
        np.array([geom for _, geom in rows], dtype=object),
        [feature_label(p) for p in props],
        [properties_json(p) for p in props],
    )


def _clean_part(
    table: Table,
    match: LayerMatch,
    day: dt.date | None,
    index: list[int],
    crs: str | None,
    where: str,
) -> _Part:
    raw = np.empty(len(index), dtype=object)
    raw[:] = [table.geometries[i] for i in index]
    empty = shapely.is_empty(raw) & ~shapely.is_missing(raw)
    # geo.geometry cannot bound a set of empty geometries alone (NaN bounds look like a
    # CRS error): hand those over as nulls and count them as empties here.
    n_empty = int(empty.sum()) if (empty | shapely.is_missing(raw)).all() else 0
    if n_empty:
        raw[empty] = None
    geoms, kept, hygiene = clean_geometries(raw, crs=crs or table.crs, where=where)
    if n_empty:
        hygiene = dataclasses.replace(
            hygiene, n_null=hygiene.n_null - n_empty, n_empty=hygiene.n_empty + n_empty
        )
    return _Part(match, day, geoms, np.asarray(index, dtype=np.intp)[kept], hygiene)


def _feature_layers(
    table: Table, columns: set[str], path: Path, root: Path | None
) -> list[LayerMatch]:
    """Each feature's layer: its layer attribute, else its KML folder, else the names."""
    layer_attr = next((c for c in sorted(columns) if c.lower() in LAYER_ATTRIBUTES), None)
    fallback = _name_layer(table, path, root)
    resolved: dict[tuple[str | None, str | None], LayerMatch] = {}  # few distinct values
    out = []
    for props in table.properties:
        value = props.get(layer_attr) if layer_attr else None
        folder = props.get(table.folder_attr) if table.folder_attr else None
        key = (str(value) if value else None, str(folder) if folder else None)
        if key not in resolved:
            resolved[key] = resolve_layer(key[0]) if key[0] else _folder_layer(key[1], fallback)
        out.append(resolved[key])
    return out


def _folder_layer(folder: str | None, fallback: LayerMatch) -> LayerMatch:
    """Return the innermost known folder name (``ISW map/Assessed Russian Control/Kherson``)."""
    if folder is None:
        return fallback
    for part in reversed(folder.split("/")):
        match = resolve_layer(part)
        if match.known:
            return match
    if fallback.known or not _names_something(folder):
        return fallback
    return LayerMatch(name=folder, layer=None)


def _name_layer(table: Table, path: Path, root: Path | None) -> LayerMatch:
    """Return the layer implied by names: inner layer, file, folders (innermost first)."""
    candidates = [table.inner_layer] if table.inner_layer else []
    candidates.append(stem_of(path.name))
    parents = path.parent.relative_to(root).parts if root and path.is_relative_to(root) else ()
    candidates.extend(reversed(parents))
    matches = [resolve_layer(name) for name in candidates]
    known = next((m for m in matches if m.known), None)
    if known is not None:
        return known
    return next((m for m in matches if _names_something(m.name)), _NO_LAYER)


def _names_something(name: str) -> bool:
    # A name that is only a date says nothing about the layer.
    return bool(re.sub(r"[\d_\-\s.]", "", name))


def _attribute_dates(
    table: Table, columns: set[str], where: str, explicit: dt.date | None
) -> tuple[str | None, list[dt.date | None]]:
    """Return the date attribute and each feature's usable date in it (``None`` if none)."""
    n = len(table.properties)
    attr = find_date_attribute(columns)
    if explicit is not None or attr is None:
        return attr, [None] * n
    values: list[dt.date | None] = []
    for props in table.properties:
        value = props.get(attr)
        try:
            parsed = parse_date(value, where=where) if value not in (None, "") else None
        except DateError:
            parsed = None
        values.append(None if parsed == _NULL_DATE else parsed)
    return attr, values


def _resolve_group_date(
    path: Path, feature_date: dt.date | None, date: dt.date | None, root: Path | None, where: str
) -> DateFound:
    if date is not None:
        return DateFound(date, GIVEN)
    if feature_date is not None:
        return DateFound(feature_date, "attribute")
    try:
        return resolve_date(path, root=root)
    except DateError as exc:
        message = str(exc)
        raise DateError(message if str(path) in message else f"{where}: {message}") from exc


def _select_layer(
    snapshots: list[Snapshot], explicit: LayerMatch | None, source: str | None, where: str
) -> list[Snapshot]:
    if source is not None:
        snapshots = [dataclasses.replace(s, source=source) for s in snapshots]
    if explicit is None:
        return snapshots
    chosen = [s for s in snapshots if s.layer == explicit.layer]
    if not chosen:
        present = ", ".join(sorted(s.layer for s in snapshots)) or "none"
        msg = f"{where}: no {explicit.layer} features (layers present: {present})"
        raise LayerError(msg)
    return chosen


def write_geojson(snapshots: Sequence[Snapshot], path: Path) -> None:
    """Write snapshots as one GeoJSON FeatureCollection, atomically.

    Each feature carries ``source``, ``layer``, ``date`` and ``label``.
    """
    features = []
    for snap in snapshots:
        for geom, label in zip(snap.features.geometry.values, snap.features["label"], strict=True):
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "source": snap.source,
                        "layer": snap.layer,
                        "date": snap.date.isoformat(),
                        "label": label,
                    },
                    "geometry": json.loads(shapely.to_geojson(geom)),
                }
            )
    data = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    encoded = data.encode("utf-8")
    if path.name.endswith(".gz"):
        encoded = gzip.compress(encoded, mtime=0)
    write_atomic(path, lambda handle: handle.write(encoded))


__all__ = [
    "SUPPORTED_SUFFIXES",
    "ReadResult",
    "is_supported",
    "iter_input_files",
    "read",
    "read_many",
    "suffix_of",
    "write_geojson",
]
