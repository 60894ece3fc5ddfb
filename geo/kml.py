"""KML and KMZ files (Google Earth, Google My Maps, QGIS exports).

Parsing goes through ``defusedxml`` only: entity declarations (billion laughs,
external entities) are refused with :class:`~geo.errors.InputFormatError`.
Tags are matched by local name, so KML 2.2 (``http://www.opengis.net/kml/2.2``),
the older ``earth.google.com`` namespaces, Google's ``gx`` extensions and files
without any namespace all read the same.

Every Placemark gives one geometry (``None`` if it has none) and one property
dict. KML coordinates are always lon/lat on WGS 84; altitudes are dropped here
because they are heights above ground and mean nothing for territory.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import defusedxml
import defusedxml.ElementTree as SafeET
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

from geo import archives
from geo.errors import InputFormatError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_CONTAINERS = {"Document", "Folder"}
_GEOMETRY_TAGS = {
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiGeometry",
    "Track",
    "MultiTrack",
    "Model",
}
_ROOTS = {"kml", "Document", "Folder", "Placemark"}
_KMZ_MAGIC = b"PK\x03\x04"
_COMMA = re.compile(r"\s*,\s*")
_Coords = list[tuple[float, float]]


def _local(tag: object) -> str:
    # Comments and processing instructions have a function as tag.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == name]


def _child_text(element: Element, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    text = "".join(child.itertext()).strip()
    return text or None


def _tuple(token: str, sep: str | None, ctx: str) -> tuple[float, float]:
    parts = token.split(sep)
    if sep and parts[-1] == "":
        parts.pop()  # a trailing comma, written by some exporters
    if len(parts) not in (2, 3):
        msg = (
            f"{ctx}: bad coordinate tuple {token[:60]!r}; expected lon,lat or lon,lat,alt "
            "with tuples separated by spaces"
        )
        raise InputFormatError(msg)
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        msg = f"{ctx}: bad coordinate tuple {token[:60]!r}: not a number; fix the file"
        raise InputFormatError(msg) from exc
    lon, lat = values[0], values[1]
    if not all(math.isfinite(v) for v in values) or abs(lon) > 180.0 or abs(lat) > 90.0:
        msg = (
            f"{ctx}: coordinate {token[:60]!r} is not lon,lat in degrees "
            "(KML is always longitude first, WGS 84); fix the file"
        )
        raise InputFormatError(msg)
    return lon, lat


def _coordinates(owner: Element, ctx: str) -> _Coords:
    element = _child(owner, "coordinates")
    if element is None:
        msg = f"{ctx}: <{_local(owner.tag)}> has no <coordinates>"
        raise InputFormatError(msg)
    text = _COMMA.sub(",", "".join(element.itertext()))
    return [_tuple(token, ",", ctx) for token in text.split()]


def _ring(owner: Element, ctx: str) -> _Coords:
    coords = _coordinates(owner, ctx)
    if coords and coords[0] != coords[-1]:
        coords.append(coords[0])  # KML wants closed rings; not every exporter obeys
    if len(coords) < 4:
        msg = (
            f"{ctx}: a polygon ring has {max(len(coords) - 1, 0)} distinct points; "
            "a ring needs at least 3"
        )
        raise InputFormatError(msg)
    return coords


def _polygon(element: Element, ctx: str) -> Polygon:
    outer = _child(element, "outerBoundaryIs")
    ring = _child(outer, "LinearRing") if outer is not None else None
    if ring is None:
        msg = f"{ctx}: <Polygon> has no outerBoundaryIs/LinearRing"
        raise InputFormatError(msg)
    holes = [
        _ring(inner_ring, ctx)
        for inner in _children(element, "innerBoundaryIs")
        for inner_ring in _children(inner, "LinearRing")
    ]
    return Polygon(_ring(ring, ctx), holes)


def _track(element: Element, ctx: str) -> BaseGeometry:
    coords = [
        _tuple("".join(c.itertext()).strip(), None, ctx)
        for c in element
        if _local(c.tag) == "coord"
    ]
    if len(coords) == 1:
        return Point(coords[0])
    return LineString(coords)


def _collection(parts: list[BaseGeometry]) -> BaseGeometry:
    flat: list[BaseGeometry] = []
    for part in parts:
        if isinstance(part, MultiPolygon | MultiLineString | MultiPoint | GeometryCollection):
            flat.extend(part.geoms)
        else:
            flat.append(part)
    polygons = [p for p in flat if isinstance(p, Polygon)]
    lines = [p for p in flat if isinstance(p, LineString)]
    points = [p for p in flat if isinstance(p, Point)]
    if flat and len(polygons) == len(flat):
        return MultiPolygon(polygons)
    if flat and len(lines) == len(flat):
        return MultiLineString(lines)
    if flat and len(points) == len(flat):
        return MultiPoint(points)
    return GeometryCollection(flat)


def _geometry(element: Element, ctx: str) -> BaseGeometry | None:
    kind = _local(element.tag)
    if kind == "Point":
        coords = _coordinates(element, ctx)
        if len(coords) != 1:
            msg = f"{ctx}: <Point> has {len(coords)} coordinates, not 1"
            raise InputFormatError(msg)
        return Point(coords[0])
    if kind == "LineString":
        coords = _coordinates(element, ctx)
        if len(coords) < 2:
            msg = f"{ctx}: <LineString> has {len(coords)} coordinates"
            raise InputFormatError(msg)
        return LineString(coords)
    if kind == "LinearRing":
        return LinearRing(_ring(element, ctx))
    if kind == "Polygon":
        return _polygon(element, ctx)
    if kind == "Track":
        return _track(element, ctx)
    if kind in {"MultiGeometry", "MultiTrack"}:
        parts = [_geometry(child, ctx) for child in element if _local(child.tag) in _GEOMETRY_TAGS]
        return _collection([p for p in parts if p is not None])
    return None  # Model: a 3-D object, no footprint


def _properties(placemark: Element, folder: str | None) -> dict[str, Any]:
    description = _child(placemark, "description")
    props: dict[str, Any] = {
        "name": _child_text(placemark, "name"),
        "description": "".join(description.itertext()) if description is not None else None,
        "folder": folder,
        "styleUrl": _child_text(placemark, "styleUrl"),
    }
    extended = _child(placemark, "ExtendedData")
    if extended is None:
        return props
    for field in extended.iter():
        kind = _local(field.tag)
        key = field.get("name")
        if kind == "Data" and key:
            value = _child_text(field, "value")
        elif kind == "SimpleData" and key:
            value = "".join(field.itertext()).strip() or None
        else:
            continue
        # Never let a data field overwrite name/folder/...: io relies on them.
        props[f"ExtendedData.{key}" if key in props else key] = value
    return props


def _visit(element: Element, folders: tuple[str, ...], out: list[tuple[Element, str]]) -> None:
    kind = _local(element.tag)
    if kind == "Placemark":
        out.append((element, "/".join(folders)))
        return
    if kind in _CONTAINERS:
        name = _child_text(element, "name")
        folders = (*folders, name) if name else folders
    for child in element:
        _visit(child, folders, out)


def _parse_xml(data: bytes, where: str) -> Element:
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False)
    except defusedxml.DefusedXmlException as exc:
        msg = (
            f"{where}: the XML declares entities or external references ({type(exc).__name__}),"
            " which are refused as unsafe (billion laughs, external entities); "
            "re-export the KML without a DOCTYPE"
        )
        raise InputFormatError(msg) from exc
    except SafeET.ParseError as exc:
        msg = f"{where}: not well-formed XML ({exc}); is the file complete?"
        raise InputFormatError(msg) from exc
    return root


def parse_kml(data: bytes, *, where: str) -> tuple[list[BaseGeometry | None], list[dict[str, Any]]]:
    """Read the Placemarks of a KML document.

    Parameters
    ----------
    data
        The document's bytes (encoding as declared in the XML prolog).
    where
        The file (or ``archive!member``) to name in messages.

    Returns
    -------
    tuple
        ``(geometries, properties)``, one entry per Placemark in document order.
        Geometries are 2-D shapely objects: Polygon (with holes), LineString,
        LinearRing, Point, Multi* for a uniform MultiGeometry and
        GeometryCollection for a mixed one; ``None`` for a Placemark without
        geometry. Properties hold ``name``, ``description`` (raw, untrusted
        text), ``folder`` (names of the enclosing Documents/Folders joined by
        ``/``, ``None`` at top level), ``styleUrl`` and every ExtendedData
        ``Data``/``SimpleData`` field (prefixed ``ExtendedData.`` if it clashes).

    Raises
    ------
    InputFormatError
        Unsafe or malformed XML, not KML, no Placemark, or bad coordinates
        (the message names the placemark by index and name).
    """
    root = _parse_xml(data, where)
    if _local(root.tag) not in _ROOTS:
        msg = f"{where}: not a KML document (root element <{_local(root.tag)}>, expected <kml>)"
        raise InputFormatError(msg)
    placemarks: list[tuple[Element, str]] = []
    geometries: list[BaseGeometry | None] = []
    properties: list[dict[str, Any]] = []
    try:
        _visit(root, (), placemarks)
        for index, (placemark, folder) in enumerate(placemarks):
            props = _properties(placemark, folder or None)
            ctx = f"{where}: placemark {index}"
            if props["name"]:
                ctx += f" ({props['name']!r})"
            geom = next((c for c in placemark if _local(c.tag) in _GEOMETRY_TAGS), None)
            geometries.append(_geometry(geom, ctx) if geom is not None else None)
            properties.append(props)
    except RecursionError as exc:
        msg = f"{where}: folders or MultiGeometries are nested too deeply to read"
        raise InputFormatError(msg) from exc
    if not placemarks:
        links = any(_local(e.tag) == "NetworkLink" for e in root.iter())
        hint = (
            "it only links to other files (NetworkLink): download the linked KML and read that"
            if links
            else "nothing to read"
        )
        msg = f"{where}: the KML holds no Placemark; {hint}"
        raise InputFormatError(msg)
    return geometries, properties


def _kmz_member(path: Path) -> str:
    """Return the KML member of a KMZ: ``doc.kml`` if present, else the first ``.kml``."""
    names = [i.filename for i in archives.check_zip(path)]
    kml_names = [n for n in names if n.lower().endswith(".kml")]
    if not kml_names:
        found = ", ".join(names[:10]) or "nothing"
        msg = f"{path}: the KMZ holds no .kml file (found {found})"
        raise InputFormatError(msg)
    docs = [n for n in kml_names if n.replace("\\", "/").rsplit("/", 1)[-1].lower() == "doc.kml"]
    # The KMZ spec says the root doc.kml is the main document.
    return min(docs, key=lambda n: n.count("/")) if docs else kml_names[0]


def read_kml_file(path: Path) -> tuple[list[BaseGeometry | None], list[dict[str, Any]]]:
    """Read a ``.kml`` file, or a ``.kmz`` (zipped KML) through :mod:`geo.archives`.

    A ``.kml`` that is really a ZIP (a renamed KMZ) is read as a KMZ.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    tuple
        ``(geometries, properties)`` as from :func:`parse_kml`.

    Raises
    ------
    InputFormatError
        Unreadable file, unsafe archive (:class:`~geo.errors.ArchiveError`),
        no KML inside, or anything :func:`parse_kml` refuses.
    """
    try:
        with path.open("rb") as fh:
            magic = fh.read(len(_KMZ_MAGIC))
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror or exc})"
        raise InputFormatError(msg) from exc
    if path.suffix.lower() == ".kmz" or magic == _KMZ_MAGIC:
        member = _kmz_member(path)
        data = archives.read_zip_member(path, member)
        return parse_kml(data, where=f"{path}!{member}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror or exc})"
        raise InputFormatError(msg) from exc
    return parse_kml(data, where=str(path))
