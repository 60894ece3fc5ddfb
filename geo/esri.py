"""ArcGIS REST ``f=json`` responses (FeatureServer / MapServer ``query`` results).

ISW publishes its layers through ArcGIS Online; an analyst who saves a query
response with ``f=json`` gets Esri JSON, not GeoJSON. Its polygons are lists of
rings whose orientation carries the meaning: clockwise rings are outer shells,
counter-clockwise rings are holes of the smallest shell that contains them.
When a polygon breaks the rule (a hole outside every shell, as written by tools
that use the OGC orientation), its rings are nested by even-odd containment
instead, so no area is lost or doubled. Z and M values are dropped: they mean
nothing for territory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import InputFormatError

#: Esri's own codes for Web Mercator.
WEB_MERCATOR_WKIDS = frozenset({102100, 102113, 900913, 3785})
# EPSG codes stop below this; larger wkids are Esri's own (102003, 54009, ...).
_MAX_EPSG_CODE = 32767
_GEOMETRY_KEYS = ("rings", "paths", "points", "x", "xmin", "curveRings", "curvePaths")
_GEOJSON_TYPES = {"FeatureCollection", "Feature", "GeometryCollection", "Polygon", "MultiPolygon"}
_Ring = list[tuple[float, float]]


def is_esri_json(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is an ArcGIS REST query response (or an ArcGIS error body).

    True when ``features`` is a list and the response has an Esri
    ``geometryType`` or a ``spatialReference``, or a feature has ``attributes``
    or an Esri geometry; also for ``{"error": {"code": ..., "message": ...}}``
    so that :func:`parse_esri_json` can quote the server's error. GeoJSON is not.
    """
    if not isinstance(data, Mapping) or data.get("type") in _GEOJSON_TYPES:
        return False
    error = data.get("error")
    if isinstance(error, Mapping) and ("code" in error or "message" in error):
        return True
    features = data.get("features")
    if not isinstance(features, list):
        return False
    if str(data.get("geometryType", "")).startswith("esriGeometry"):
        return True
    if isinstance(data.get("spatialReference"), Mapping):
        return True
    for feature in features:
        if not isinstance(feature, Mapping):
            continue
        geometry = feature.get("geometry")
        if "attributes" in feature or (
            isinstance(geometry, Mapping) and any(k in geometry for k in _GEOMETRY_KEYS)
        ):
            return True
    return False


def _crs(spatial_reference: object, where: str) -> str | None:
    if spatial_reference is None:
        return None
    if not isinstance(spatial_reference, Mapping):
        msg = f"{where}: 'spatialReference' is not a JSON object"
        raise InputFormatError(msg)
    wkid = spatial_reference.get("latestWkid") or spatial_reference.get("wkid")
    if wkid is not None:
        if isinstance(wkid, bool) or not isinstance(wkid, int | str) or not str(wkid).isdigit():
            msg = f"{where}: spatialReference wkid {wkid!r} is not a number; pass crs="
            raise InputFormatError(msg)
        code = int(wkid)
        if code in WEB_MERCATOR_WKIDS:
            return "EPSG:3857"
        return f"ESRI:{code}" if code > _MAX_EPSG_CODE else f"EPSG:{code}"
    wkt = spatial_reference.get("wkt") or spatial_reference.get("wkt2")
    return str(wkt) if wkt else None


def _xy(value: object, ctx: str) -> tuple[float, float]:
    """One ``[x, y]`` / ``[x, y, z]`` / ``[x, y, z, m]`` position, Z and M dropped."""
    if isinstance(value, Sequence) and not isinstance(value, str) and 2 <= len(value) <= 4:
        x, y = value[0], value[1]
        if (
            isinstance(x, int | float)
            and isinstance(y, int | float)
            and not isinstance(x, bool)
            and not isinstance(y, bool)
            and math.isfinite(x)
            and math.isfinite(y)
        ):
            return float(x), float(y)
    msg = f"{ctx}: bad coordinate {str(value)[:60]}; expected [x, y] with optional z and m numbers"
    raise InputFormatError(msg)


def _points(value: object, ctx: str, what: str) -> _Ring:
    if not isinstance(value, list):
        msg = f"{ctx}: '{what}' is not a list of coordinates"
        raise InputFormatError(msg)
    return [_xy(v, ctx) for v in value]


def _signed_area(ring: _Ring) -> float:
    """Shoelace area: negative for clockwise rings (y pointing up)."""
    xy = np.asarray(ring)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _inside(ring: _Ring, container: Polygon) -> bool:
    # Point-in-polygon on the vertices works on invalid rings, where GEOS
    # predicates can fail; a majority vote tolerates vertices that stray.
    xy = np.asarray(ring[:-1])
    hits = shapely.intersects_xy(container, xy[:, 0], xy[:, 1])
    return bool(np.count_nonzero(hits) * 2 > len(xy))


def _even_odd(rings: list[_Ring]) -> list[Polygon]:
    """Nest rings by containment: even depth is a shell, odd depth a hole."""
    outlines = [Polygon(r) for r in rings]
    for outline in outlines:
        shapely.prepare(outline)
    areas = [abs(_signed_area(r)) for r in rings]
    parents = [
        [j for j in range(len(rings)) if j != i and _inside(rings[i], outlines[j])]
        for i in range(len(rings))
    ]
    holes: dict[int, list[_Ring]] = {i: [] for i in range(len(rings)) if len(parents[i]) % 2 == 0}
    for i, ring_parents in enumerate(parents):
        if i in holes:
            continue
        shells = [j for j in ring_parents if j in holes]
        if shells:
            holes[min(shells, key=lambda j: areas[j])].append(rings[i])
        else:
            holes[i] = []  # overlapping oddities: keep the ring as a shell, never drop it
    return [Polygon(rings[i], holes[i]) for i in sorted(holes)]


def _polygon(rings_value: object, ctx: str) -> BaseGeometry:
    if not isinstance(rings_value, list):
        msg = f"{ctx}: 'rings' is not a list of rings"
        raise InputFormatError(msg)
    rings: list[_Ring] = []
    for number, raw in enumerate(rings_value):
        ring = _points(raw, ctx, f"rings[{number}]")
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        if len(ring) < 4:
            msg = (
                f"{ctx}: ring {number} has {max(len(ring) - 1, 0)} distinct points; "
                "a ring needs at least 3"
            )
            raise InputFormatError(msg)
        rings.append(ring)
    shells = [r for r in rings if _signed_area(r) <= 0]
    holes = [r for r in rings if _signed_area(r) > 0]
    outlines = [Polygon(s) for s in shells]
    for outline in outlines:
        shapely.prepare(outline)
    areas = [abs(_signed_area(s)) for s in shells]
    interiors: list[list[_Ring]] = [[] for _ in shells]
    for hole in holes:
        owners = [i for i, outline in enumerate(outlines) if _inside(hole, outline)]
        if not owners:
            # A hole outside every shell: the writer ignored Esri's orientation
            # rule (OGC order, say), so nest all rings by containment instead.
            polygons = _even_odd(rings)
            break
        interiors[min(owners, key=lambda i: areas[i])].append(hole)
    else:
        polygons = [Polygon(s, h) for s, h in zip(shells, interiors, strict=True)]
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _polyline(paths_value: object, ctx: str) -> BaseGeometry:
    if not isinstance(paths_value, list):
        msg = f"{ctx}: 'paths' is not a list of paths"
        raise InputFormatError(msg)
    lines = []
    for number, raw in enumerate(paths_value):
        path = _points(raw, ctx, f"paths[{number}]")
        if len(path) < 2:
            msg = f"{ctx}: path {number} has {len(path)} points, needs 2"
            raise InputFormatError(msg)
        lines.append(LineString(path))
    if not lines:
        return LineString()
    return lines[0] if len(lines) == 1 else MultiLineString(lines)


def _is_empty_number(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.lower() == "nan")


def _geometry(geometry: object, ctx: str) -> BaseGeometry | None:
    if geometry is None or geometry == {}:
        return None
    if not isinstance(geometry, Mapping):
        msg = f"{ctx}: 'geometry' is not a JSON object"
        raise InputFormatError(msg)
    if "curveRings" in geometry or "curvePaths" in geometry:
        msg = (
            f"{ctx}: the geometry uses true curves ('curveRings'/'curvePaths'), which cannot "
            "be read; query the layer again with f=geojson, or with returnTrueCurves=false"
        )
        raise InputFormatError(msg)
    if "rings" in geometry:
        return _polygon(geometry["rings"], ctx)
    if "paths" in geometry:
        return _polyline(geometry["paths"], ctx)
    if "points" in geometry:
        return MultiPoint(_points(geometry["points"], ctx, "points"))
    if "x" in geometry:
        if _is_empty_number(geometry.get("x")):
            return Point()
        return Point(_xy([geometry.get("x"), geometry.get("y")], ctx))
    if "xmin" in geometry:
        if _is_empty_number(geometry.get("xmin")):
            return Polygon()
        xmin, ymin = _xy([geometry.get("xmin"), geometry.get("ymin")], ctx)
        xmax, ymax = _xy([geometry.get("xmax"), geometry.get("ymax")], ctx)
        return shapely.box(xmin, ymin, xmax, ymax)
    keys = ", ".join(sorted(map(str, geometry))) or "none"
    msg = f"{ctx}: not an Esri geometry (keys: {keys})"
    raise InputFormatError(msg)


def _raise_server_error(error: Mapping[str, Any], where: str) -> None:
    details = error.get("details")
    extra = ""
    if isinstance(details, list) and details:
        extra = " (" + "; ".join(str(d) for d in details[:5]) + ")"
    msg = (
        f"{where}: this is an ArcGIS error response, not data: error {error.get('code')}: "
        f"{error.get('message')}{extra}. Fix the query URL (layer, where=, outFields=) "
        "and download it again"
    )
    raise InputFormatError(msg)


def parse_esri_json(
    data: Mapping[str, Any], *, where: str
) -> tuple[list[BaseGeometry | None], list[dict[str, Any]], str | None]:
    """Read an ArcGIS REST query response saved with ``f=json``.

    Parameters
    ----------
    data
        The parsed JSON object.
    where
        The file to name in messages.

    Returns
    -------
    tuple
        ``(geometries, attributes, crs)``: one 2-D shapely geometry per feature
        (``None`` for a null geometry; points and polylines too, hygiene drops
        them), one attribute dict per feature, and ``"EPSG:<code>"`` from
        ``latestWkid`` or ``wkid`` (Esri's Web Mercator codes give
        ``EPSG:3857``; Esri-only codes give ``ESRI:<code>``; a ``wkt`` is
        returned as is), or ``None`` if the response declares no CRS.

    Raises
    ------
    InputFormatError
        An ArcGIS error body (code and message quoted), a truncated response
        (``exceededTransferLimit``), true curves, or malformed features (the
        message names the feature index and object ID).
    """
    error = data.get("error")
    if isinstance(error, Mapping):
        _raise_server_error(error, where)
    features = data.get("features")
    if not isinstance(features, list):
        msg = f"{where}: Esri JSON without a 'features' list"
        raise InputFormatError(msg)
    if data.get("exceededTransferLimit"):
        msg = (
            f"{where}: the ArcGIS server truncated this response (exceededTransferLimit): it "
            f"holds only the first {len(features)} features. Download every page "
            "(resultOffset=0, then the number of features received, ...) and read each "
            "page, or narrow the query"
        )
        raise InputFormatError(msg)
    crs = _crs(data.get("spatialReference"), where)
    id_field = str(data.get("objectIdFieldName") or "OBJECTID")
    geometries: list[BaseGeometry | None] = []
    attributes: list[dict[str, Any]] = []
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping):
            msg = f"{where}: feature {index} is not a JSON object"
            raise InputFormatError(msg)
        attrs = feature.get("attributes") or {}
        if not isinstance(attrs, Mapping):
            msg = f"{where}: feature {index}: 'attributes' is not an object"
            raise InputFormatError(msg)
        ctx = f"{where}: feature {index}"
        if attrs.get(id_field) is not None:
            ctx += f" ({id_field} {attrs[id_field]})"
        geometry = feature.get("geometry")
        if crs is None and isinstance(geometry, Mapping):
            crs = _crs(geometry.get("spatialReference"), where)
        geometries.append(_geometry(geometry, ctx))
        attributes.append({str(k): v for k, v in attrs.items()})
    return geometries, attributes, crs
