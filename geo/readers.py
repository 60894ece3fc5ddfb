"""Read each supported file format into raw feature tables, before hygiene.

:func:`read_tables` turns one file into :class:`Table` objects (one per layer
of a GeoPackage, per member of a ZIP, ...): geometries as read, their
attributes and the CRS the file declares. :mod:`geo.io` then cleans, dates
and splits them into snapshots. DeepStateMap raw snapshots are recognised in
:mod:`geo.io` before this module is asked for tables.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo import archives, esri, kml, limits
from geo.errors import InputFormatError
from geo.geojson import geometry_from_geojson
from geo.text import one_line

#: File endings read by :func:`geo.io.read` (``.gz`` only after ``.geojson``/``.json``).
SUPPORTED_SUFFIXES = (
    ".geojson", ".json", ".geojson.gz", ".json.gz", ".zip", ".shp", ".gpkg",
    ".parquet", ".geoparquet", ".kml", ".kmz",
)  # fmt: skip
JSON_SUFFIXES = (".geojson", ".json", ".geojson.gz", ".json.gz")
#: The KML property holding a placemark's enclosing Document/Folder names (see geo.kml).
KML_FOLDER = "folder"


@dataclasses.dataclass
class Table:
    """Raw features of one file or member, before hygiene.

    Attributes
    ----------
    geometries
        Shapely geometries as read (``None`` for null geometries).
    properties
        One attribute dict per feature.
    crs
        The CRS the file declares (``None``: lon/lat assumed).
    member
        The member inside an archive, if any.
    inner_layer
        The layer name inside the file (GeoPackage layer, shapefile name).
    notes
        Caveats to carry into the snapshots' provenance.
    folder_attr
        The property naming each feature's KML folders (``"a/b"``), or ``None``.
    """

    geometries: list[Any]
    properties: list[dict[str, Any]]
    crs: Any
    member: str | None = None
    inner_layer: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    folder_attr: str | None = None


def suffix_of(path: Path) -> str:
    """Return the file ending that decides the format (``.geojson.gz`` counts as one)."""
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def stem_of(name: str) -> str:
    """Return a file name without its format ending (``x.geojson.gz`` -> ``x``)."""
    suffix = suffix_of(Path(name))
    if suffix in SUPPORTED_SUFFIXES:
        return name[: -len(suffix)]
    return name.split(".")[0]


def load_json(path: Path, *, gzipped: bool) -> Mapping[str, Any]:
    """Parse a JSON object from a (possibly gzipped) file, naming the file on failure.

    The file (inflated, for ``.gz``) may be at most :func:`geo.limits.max_file_bytes`.
    """
    cap = limits.max_file_bytes()
    if gzipped:
        raw = archives.read_gzip(path, max_bytes=cap)
    else:
        limits.check_file_size(path, limit=cap)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            msg = f"{path}: cannot read the file ({exc.strerror or exc})"
            raise InputFormatError(msg) from exc
    data = limits.parse_json(raw, where=str(path))
    if not isinstance(data, dict):
        msg = f"{path}: expected a JSON object (GeoJSON or Esri JSON)"
        raise InputFormatError(msg)
    return data


def read_tables(path: Path) -> list[Table]:
    """Return the raw tables of a ZIP, KML/KMZ, Shapefile, GeoPackage or GeoParquet file.

    JSON files are parsed by the caller (:func:`load_json`, :func:`json_table`),
    which first checks for a DeepStateMap raw snapshot.

    Raises
    ------
    InputFormatError
        Unreadable or unsafe file, naming it and the fix.
    """
    suffix = suffix_of(path)
    if suffix == ".zip":
        return _zip_tables(path)
    if suffix in {".kml", ".kmz"}:
        return [_kml_table(path)]
    return _ogr_tables(path)


def json_table(data: Mapping[str, Any], where: str) -> Table:
    """Return the features of parsed GeoJSON or Esri JSON."""
    if esri.is_esri_json(data):
        esri_geoms, esri_props, crs = esri.parse_esri_json(data, where=where)
        for number, attributes in enumerate(esri_props):
            limits.check_depth(attributes, where=f"{where}: feature {number}")
        return Table(esri_geoms, esri_props, crs)
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            msg = f"{where}: FeatureCollection without a 'features' list"
            raise InputFormatError(msg)
    elif kind == "Feature":
        features = [data]
    elif kind in {"Polygon", "MultiPolygon", "GeometryCollection"}:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        msg = (
            f"{where}: not GeoJSON or Esri JSON (top-level type {kind!r}); "
            "expected a FeatureCollection, a Feature or an ArcGIS query response"
        )
        raise InputFormatError(msg)
    props: list[dict[str, Any]] = []
    for number, feature in enumerate(features):
        if not isinstance(feature, dict):
            msg = f"{where}: feature {number} is not a JSON object"
            raise InputFormatError(msg)
        props.append(_properties(feature.get("properties"), f"{where}: feature {number}"))
    raw = [feature.get("geometry") for feature in features]
    with np.errstate(invalid="ignore"):  # NaN coordinates: refused later, by feature
        geoms = _simple_polygons(raw)
        if geoms is None:
            geoms = [_shape(geometry, number, where) for number, geometry in enumerate(raw)]
    return Table(geoms, props, _geojson_crs(data, where))


def _shape(geometry: Any, number: int, where: str) -> Any:
    try:
        return geometry_from_geojson(geometry) if geometry else None
    except Exception as exc:  # shapely raises several types for bad coordinates
        msg = f"{where}: feature {number}: unreadable geometry ({exc}); fix or remove it"
        raise InputFormatError(msg) from exc


def _simple_polygons(geometries: list[Any]) -> list[Any] | None:
    """Build 2-D GeoJSON Polygons in two vectorised calls, or ``None`` for anything else.

    ``shape()`` costs about 20 µs a feature: most of a file of 200,000 small
    polygons. Anything but a Polygon of ``[x, y]`` rings of 4+ positions
    (nulls, Z values, multi-parts, malformed input) goes feature by feature to
    :func:`geo.geojson.geometry_from_geojson` (fast for big multipolygons, else
    ``shape()``), which names the feature that fails.
    """
    if len(geometries) < 1000:
        return None
    ring_sizes: list[int] = []
    rings_per_polygon: list[int] = []
    positions: list[Any] = []
    for geometry in geometries:
        if type(geometry) is not dict or geometry.get("type") != "Polygon":
            return None
        rings = geometry.get("coordinates")
        if type(rings) is not list or not rings or any(type(r) is not list for r in rings):
            return None
        rings_per_polygon.append(len(rings))
        for ring in rings:
            ring_sizes.append(len(ring))
            positions.extend(ring)
    try:
        xy = np.asarray(positions, dtype=float)
    except (TypeError, ValueError):  # ragged, Z values mixed in, strings...
        return None
    if xy.ndim != 2 or xy.shape[1] != 2 or min(ring_sizes) < 4:
        return None
    ring_of = np.repeat(np.arange(len(ring_sizes)), ring_sizes)
    rings_built: Any = shapely.linearrings(xy, indices=ring_of)
    polygon_of = np.repeat(np.arange(len(rings_per_polygon)), rings_per_polygon)
    built: Any = shapely.polygons(rings_built, indices=polygon_of)
    return list(built)


def _properties(value: Any, where: str) -> dict[str, Any]:
    """Return a feature's ``properties``: an object (``null`` is none), nested 32 levels at most."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = (
            f"{where}: 'properties' is a {type(value).__name__}, not an object; GeoJSON needs "
            '{"name": value, ...} or null there: fix the exporter or the feature'
        )
        raise InputFormatError(msg)
    if any(isinstance(v, Mapping | list) for v in value.values()):  # flat is the rule
        limits.check_depth(value, where=where)
    return dict(value)


def _geojson_crs(data: Mapping[str, Any], where: str) -> str | None:
    member = data.get("crs")
    if not member:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        shown = one_line(json.dumps(member, default=str)[:80]) if _shallow(member) else "(nested)"
        msg = f"{where}: unreadable 'crs' member {shown}; remove it for lon/lat"
        raise InputFormatError(msg)
    match = re.search(r"EPSG:{1,2}(\d+)$", name)
    if match:
        return f"EPSG:{match.group(1)}"
    if name.endswith("CRS84"):
        return None
    return name


def _shallow(value: Any) -> bool:
    try:
        limits.check_depth(value, where="", limit=8)
    except InputFormatError:
        return False
    return True


def _kml_table(path: Path, *, member: str | None = None) -> Table:
    geoms, props = kml.read_kml_file(path)
    return Table(geoms, props, "EPSG:4326", member=member, folder_attr=KML_FOLDER)


def _ogr_tables(path: Path, *, member: str | None = None) -> list[Table]:
    import pyogrio

    suffix = suffix_of(path)
    if suffix in {".parquet", ".geoparquet"}:
        import geopandas as gpd

        try:
            frame = gpd.read_parquet(path)
        except Exception as exc:
            msg = f"{path}: not a readable GeoParquet file ({exc})"
            raise InputFormatError(msg) from exc
        return [_frame_table(frame, member=member, inner_layer=None)]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Measured", UserWarning)  # noted when read below
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        msg = f"{path}: cannot be opened as {suffix} ({exc})"
        raise InputFormatError(msg) from exc
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
                msg = f"{path}: layer {name!r} cannot be read ({exc})"
                raise InputFormatError(msg) from exc
        table = _frame_table(frame, member=member, inner_layer=name)
        # GDAL cannot read M values and says so; keep that in the snapshot's notes.
        table.notes.extend(f"GDAL: {w.message}" for w in caught if "Measured (M)" in str(w.message))
        tables.append(table)
    return tables


def _frame_table(frame: Any, *, member: str | None, inner_layer: str | None) -> Table:
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    records = attributes.astype(object).where(attributes.notna(), None).to_dict("records")
    return Table(
        geometries=list(frame.geometry.values),
        properties=[{str(k): v for k, v in rec.items()} for rec in records],
        crs=frame.crs,
        member=member,
        inner_layer=inner_layer,
    )


def _zip_tables(path: Path) -> list[Table]:
    with tempfile.TemporaryDirectory(prefix="geo-zip-") as tmp:
        files = archives.extract_zip(path, Path(tmp))
        tables: list[Table] = []
        for file in sorted(files):
            suffix = suffix_of(file)
            member = str(file.relative_to(tmp))
            if suffix in {".shp", ".gpkg", ".parquet", ".geoparquet"}:
                tables.extend(_ogr_tables(file, member=member))
            elif suffix in JSON_SUFFIXES:
                data = load_json(file, gzipped=suffix.endswith(".gz"))
                table = json_table(data, f"{path}!{member}")
                table.member = member
                tables.append(table)
            elif suffix in {".kml", ".kmz"}:
                tables.append(_kml_table(file, member=member))
        if not tables:
            names = ", ".join(f.name for f in files[:10]) or "nothing"
            msg = f"{path}: the archive holds no readable layer (found {names})"
            raise InputFormatError(msg)
        for table in tables:
            if table.inner_layer is None and table.member:
                table.inner_layer = stem_of(Path(table.member).name)
        return tables
