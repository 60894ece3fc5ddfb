"""Read any supported file into dated, layered, clean snapshots.

:func:`read` takes one file; :func:`read_many` takes files and folders
(recursive) and reports every problem at once. Formats: GeoJSON (``.geojson``,
``.json`` and their ``.gz``), Esri JSON (ArcGIS ``f=json``), DeepStateMap raw
snapshots, Shapefiles (plain or zipped), GeoPackage, GeoParquet, KML and KMZ.

Each file is split into snapshots by its layer attribute (and by its date
attribute when features carry several dates). The layer of a feature comes
from, in order: ``layer=`` (when the file holds one layer), a layer attribute,
the KML folder, the layer name inside the file, the archive or file name, the
parent folders. Names are resolved through :mod:`geo.layers`; unknown names are
kept as they are and reported in the snapshot's notes. Dates follow
:func:`geo.dates.resolve_date`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import shape

from geo import archives, deepstate, esri, kml
from geo.dates import DateFound, find_date_attribute, parse_date, resolve_date
from geo.errors import DateError, GeoError, InputFormatError, LayerError, ValidationError
from geo.fsutil import write_atomic
from geo.geometry import clean_geometries
from geo.layers import CANONICAL_LAYERS, LayerMatch, resolve_layer
from geo.snapshot import Provenance, Snapshot, feature_label, make_features, properties_json

#: File endings read by :func:`read` (``.gz`` only after ``.geojson``/``.json``).
SUPPORTED_SUFFIXES = (
    ".geojson", ".json", ".geojson.gz", ".json.gz", ".zip", ".shp", ".gpkg",
    ".parquet", ".geoparquet", ".kml", ".kmz",
)  # fmt: skip
#: Attribute names that hold a feature's layer (compared case-insensitively).
LAYER_ATTRIBUTES = ("layer", "layer_type", "layer_name", "layername", "lyr")
# ArcGIS writes null dates as 1899-12-30; such values are no dates at all.
_NULL_DATE = dt.date(1899, 12, 30)
DEFAULT_SOURCE = "user"
_STORE_MARKER = "store.json"  # geo.store.MARKER_NAME; io sits below store


@dataclasses.dataclass
class _Table:
    """Raw features of one file or member, before hygiene."""

    geometries: list[Any]
    properties: list[dict[str, Any]]
    crs: Any
    member: str | None = None
    inner_layer: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


def suffix_of(path: Path) -> str:
    """The file ending that decides the format (``.geojson.gz`` counts as one)."""
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


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
            raise InputFormatError(f"{path}: no such file or folder")


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
        One per (layer, date) found in the file.

    Raises
    ------
    GeoError
        A subclass naming the file and the fix for every kind of bad input.
    """
    path = Path(src)
    where = str(path)
    if re.match(r"^[a-z][a-z0-9+.-]*://", str(src)):
        raise InputFormatError(f"{src}: reading URLs is not supported yet; download the file first")
    if not path.is_file():
        raise InputFormatError(f"{where}: no such file")
    suffix = suffix_of(path)
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFormatError(
            f"{where}: unsupported file type {suffix or '(none)'}; supported: "
            + ", ".join(SUPPORTED_SUFFIXES)
        )
    explicit_date = parse_date(date, where="--date") if date is not None else None
    explicit = resolve_layer(layer) if layer is not None else None
    if explicit is not None and not explicit.known:
        raise LayerError(
            f"--layer {layer!r} is not a canonical layer; use one of: "
            + ", ".join(CANONICAL_LAYERS)
        )
    sha256 = archives.sha256_file(path)

    if suffix in {".geojson", ".json", ".geojson.gz", ".json.gz"}:
        data = _load_json(path, gzipped=suffix.endswith(".gz"))
        if deepstate.is_deepstate_raw(data):
            snaps = deepstate.parse_deepstate(data, path=where, sha256=sha256, date=explicit_date)
            return _select_layer(snaps, explicit, source, where)
        tables = [_json_table(data, where)]
    elif suffix == ".zip":
        tables = _zip_tables(path)
    elif suffix in {".kml", ".kmz"}:
        geoms, props = kml.read_kml_file(path)
        tables = [_Table(geoms, props, "EPSG:4326")]
    else:
        tables = _ogr_tables(path)

    snapshots: list[Snapshot] = []
    for table in tables:
        snapshots.extend(
            _table_snapshots(
                table,
                path=path,
                sha256=sha256,
                explicit=explicit,
                source=source,
                date=explicit_date,
                crs=crs,
                root=root,
            )
        )
    if explicit is not None and not snapshots:
        raise LayerError(f"{where}: holds no features of layer {explicit.layer}")
    return snapshots


@dataclasses.dataclass
class ReadResult:
    """What :func:`read_many` found.

    Attributes
    ----------
    snapshots
        Snapshots read from every file that could be read.
    problems
        One message per file that could not be read.
    n_files
        Files looked at.
    """

    snapshots: list[Snapshot]
    problems: list[str]
    n_files: int

    def raise_for_problems(self) -> None:
        """Raise :class:`ValidationError` listing every problem, if any."""
        if self.problems:
            raise ValidationError(
                f"{len(self.problems)} of {self.n_files} files could not be read", self.problems
            )


def read_many(
    paths: Iterable[str | Path],
    *,
    layer: str | None = None,
    source: str | None = None,
    date: dt.date | str | None = None,
    crs: str | None = None,
    progress: bool = False,
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
        Show a progress bar on stderr.
    on_file
        Called with each file before it is read.

    Returns
    -------
    ReadResult
        Snapshots plus one message per file that failed; nothing is raised
        for bad files so that the caller can report them all at once.
    """
    inputs: list[tuple[Path, Path | None]] = []
    for raw in paths:
        base = Path(raw)
        root = base if base.is_dir() else None
        inputs.extend((path, root) for path in iter_input_files([base]))
    iterator: Iterable[tuple[Path, Path | None]] = inputs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(inputs, desc="reading", unit="file", leave=False)
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


def _load_json(path: Path, *, gzipped: bool) -> Mapping[str, Any]:
    raw = archives.read_gzip(path) if gzipped else path.read_bytes()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFormatError(f"{path}: not valid JSON ({exc}); is the file complete?") from exc
    if not isinstance(data, dict):
        raise InputFormatError(f"{path}: expected a JSON object (GeoJSON or Esri JSON)")
    return data


def _json_table(data: Mapping[str, Any], where: str) -> _Table:
    if esri.is_esri_json(data):
        esri_geoms, esri_props, crs = esri.parse_esri_json(data, where=where)
        return _Table(esri_geoms, esri_props, crs)
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise InputFormatError(f"{where}: FeatureCollection without a 'features' list")
    elif kind == "Feature":
        features = [data]
    elif kind in {"Polygon", "MultiPolygon", "GeometryCollection"}:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise InputFormatError(
            f"{where}: not GeoJSON or Esri JSON (top-level type {kind!r}); "
            "expected a FeatureCollection, a Feature or an ArcGIS query response"
        )
    geoms: list[Any] = []
    props: list[dict[str, Any]] = []
    for number, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise InputFormatError(f"{where}: feature {number} is not a JSON object")
        geometry = feature.get("geometry")
        try:
            geoms.append(shape(geometry) if geometry else None)
        except Exception as exc:  # shapely raises several types for bad coordinates
            raise InputFormatError(
                f"{where}: feature {number}: unreadable geometry ({exc}); fix or remove it"
            ) from exc
        props.append(dict(feature.get("properties") or {}))
    return _Table(geoms, props, _geojson_crs(data, where))


def _geojson_crs(data: Mapping[str, Any], where: str) -> str | None:
    member = data.get("crs")
    if not member:
        return None
    name = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        raise InputFormatError(
            f"{where}: unreadable 'crs' member {member!r}; remove it for lon/lat"
        )
    match = re.search(r"EPSG:{1,2}(\d+)$", name)
    if match:
        return f"EPSG:{match.group(1)}"
    if name.endswith("CRS84"):
        return None
    return name


def _ogr_tables(path: Path, *, member: str | None = None) -> list[_Table]:
    import pyogrio

    suffix = suffix_of(path)
    if suffix in {".parquet", ".geoparquet"}:
        import geopandas as gpd

        try:
            frame = gpd.read_parquet(path)
        except Exception as exc:
            raise InputFormatError(f"{path}: not a readable GeoParquet file ({exc})") from exc
        return [_frame_table(frame, member=member, inner_layer=None)]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Measured", UserWarning)  # noted when read below
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputFormatError(f"{path}: cannot be opened as {suffix} ({exc})") from exc
    tables = []
    for name in layers:
        kwargs: dict[str, Any] = {"layer": name}
        if suffix == ".shp" and not path.with_suffix(".cpg").exists():
            kwargs["encoding"] = "utf-8"  # no .cpg: UTF-8 is what modern tools write
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = pyogrio.read_dataframe(path, **kwargs)
            except UnicodeDecodeError:
                frame = pyogrio.read_dataframe(path, layer=name)
            except Exception as exc:
                raise InputFormatError(f"{path}: layer {name!r} cannot be read ({exc})") from exc
        table = _frame_table(frame, member=member, inner_layer=name)
        # GDAL cannot read M values and says so; keep that in the snapshot's notes.
        table.notes.extend(f"GDAL: {w.message}" for w in caught if "Measured (M)" in str(w.message))
        tables.append(table)
    return tables


def _frame_table(frame: Any, *, member: str | None, inner_layer: str | None) -> _Table:
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records = attributes.astype(object).where(attributes.notna(), None).to_dict("records")
    return _Table(
        geometries=list(frame.geometry.values),
        properties=[{str(k): v for k, v in rec.items()} for rec in records],
        crs=frame.crs,
        member=member,
        inner_layer=inner_layer,
    )


def _zip_tables(path: Path) -> list[_Table]:
    with tempfile.TemporaryDirectory(prefix="geo-zip-") as tmp:
        files = archives.extract_zip(path, Path(tmp))
        tables: list[_Table] = []
        for file in sorted(files):
            suffix = suffix_of(file)
            member = str(file.relative_to(tmp))
            if suffix in {".shp", ".gpkg", ".parquet", ".geoparquet"}:
                tables.extend(_ogr_tables(file, member=member))
            elif suffix in {".geojson", ".json", ".geojson.gz", ".json.gz"}:
                data = _load_json(file, gzipped=suffix.endswith(".gz"))
                table = _json_table(data, f"{path}!{member}")
                table.member = member
                tables.append(table)
            elif suffix in {".kml", ".kmz"}:
                geoms, props = kml.read_kml_file(file)
                tables.append(_Table(geoms, props, "EPSG:4326", member=member))
        if not tables:
            names = ", ".join(f.name for f in files[:10]) or "nothing"
            raise InputFormatError(f"{path}: the archive holds no readable layer (found {names})")
        for table in tables:
            if table.inner_layer is None and table.member:
                table.inner_layer = Path(table.member).name.split(".")[0]
        return tables


def _table_snapshots(
    table: _Table,
    *,
    path: Path,
    sha256: str,
    explicit: LayerMatch | None,
    source: str | None,
    date: dt.date | None,
    crs: str | None,
    root: Path | None,
) -> list[Snapshot]:
    where = f"{path}!{table.member}" if table.member else str(path)
    geoms, kept, hygiene = clean_geometries(table.geometries, crs=crs or table.crs, where=where)
    props = [table.properties[i] for i in kept]
    columns = {key for p in table.properties for key in p}
    layer_attr = next((c for c in sorted(columns) if c.lower() in LAYER_ATTRIBUTES), None)
    fallback = _name_layer(table, path, root)

    groups: dict[tuple[LayerMatch, dt.date | None], list[int]] = {}
    per_feature_layer = [
        resolve_layer(str(p[layer_attr])) if layer_attr and p.get(layer_attr) else fallback
        for p in props
    ]
    distinct = {m.layer or m.name for m in per_feature_layer}
    feature_dates, date_note = _feature_dates(table, kept, columns, where, date)
    for i, match in enumerate(per_feature_layer):
        if explicit is not None and len(distinct) <= 1:
            match = dataclasses.replace(explicit, name=match.name or explicit.name)
        groups.setdefault((match, feature_dates[i]), []).append(i)
    if explicit is not None and len(distinct) > 1:
        groups = {k: v for k, v in groups.items() if k[0].layer == explicit.layer}

    snapshots = []
    for (match, feature_date), idx in groups.items():
        if not match.name and not match.known:
            raise LayerError(
                f"{where}: cannot tell which layer these {len(idx)} features are: "
                "no layer attribute "
                "and no layer name in the file or folder names; pass --layer (one of "
                + ", ".join(CANONICAL_LAYERS)
                + ")"
            )
        found = _resolve_group_date(path, feature_date, date, root, where)
        notes = [n for n in (match.note, date_note, *dict.fromkeys(table.notes)) if n]
        if not match.known:
            notes.append(f"unknown layer name {match.name!r} kept as is; add an alias to map it")
        labels = [feature_label(props[i]) for i in idx]
        snapshots.append(
            Snapshot(
                source=source or match.source or DEFAULT_SOURCE,
                layer=match.layer or match.name,
                date=found.date,
                features=make_features(
                    geoms[idx], labels, [properties_json(props[i]) for i in idx]
                ),
                provenance=Provenance(
                    path=str(path),
                    sha256=sha256,
                    member=table.member or table.inner_layer,
                    original_layer=match.name,
                    date_rule=found.rule,
                    notes=tuple(notes),
                ),
                hygiene=hygiene if len(groups) == 1 else _share(hygiene, len(idx)),
            )
        )
    return snapshots


def _share(hygiene: Any, n_output: int) -> Any:
    # A file split into several snapshots: drops cannot be attributed to a layer, so
    # each snapshot reports the file's counts and its own output size.
    return dataclasses.replace(hygiene, n_output=n_output)


def _name_layer(table: _Table, path: Path, root: Path | None) -> LayerMatch:
    """The layer implied by names: KML folder, inner layer, file, folders."""
    candidates: list[str] = []
    folders = {str(p.get("folder")) for p in table.properties if p.get("folder")}
    if len(folders) == 1:
        candidates.append(folders.pop())
    if table.inner_layer:
        candidates.append(table.inner_layer)
    candidates.append(path.name.split(".")[0])
    parents = path.parent.relative_to(root).parts if root and path.is_relative_to(root) else ()
    candidates.extend(reversed(parents))
    for name in candidates:
        match = resolve_layer(name)
        if match.known:
            return match
    for name in candidates:
        # A name that is only a date says nothing about the layer.
        if re.sub(r"[\d_\-\s.]", "", name):
            return LayerMatch(name=name, layer=None)
    return LayerMatch(name="", layer=None)


def _feature_dates(
    table: _Table, kept: Any, columns: set[str], where: str, explicit: dt.date | None
) -> tuple[list[dt.date | None], str]:
    n = len(kept)
    attr = find_date_attribute(columns)
    if explicit is not None or attr is None:
        return [None] * n, ""
    values: list[dt.date | None] = []
    for i in kept:
        value = table.properties[i].get(attr)
        try:
            parsed = parse_date(value, where=where) if value not in (None, "") else None
        except DateError:
            parsed = None
        values.append(None if parsed == _NULL_DATE else parsed)
    present = sum(v is not None for v in values)
    if present == n and n:
        return values, ""
    if present == 0:
        return [None] * n, ""
    return [None] * n, (
        f"date attribute {attr!r} ignored: only {present} of {n} features carry a usable date"
    )


def _resolve_group_date(
    path: Path, feature_date: dt.date | None, date: dt.date | None, root: Path | None, where: str
) -> DateFound:
    if date is not None:
        return DateFound(date, "--date")
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
        raise LayerError(f"{where}: no {explicit.layer} features (layers present: {present})")
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


__all__ = ["ReadResult", "is_supported", "iter_input_files", "read", "read_many", "write_geojson"]
