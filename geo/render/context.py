"""What a static map or video sits on: neighbouring countries, an equal-area projection, a scale.

The countries come bundled (``geo/data/context/countries.geojson``, built by
``scripts/make_context.py`` from Natural Earth's 1:50m admin-0 countries,
public domain, through the npm package ``world-atlas``; source, licence and
SHA-256 in ``geo/data/context/sources.csv``), so a map needs no download and no
network. Ukraine is drawn inside its internationally recognised border.

Maps use a Lambert azimuthal equal-area projection centred on what they show
(:func:`projection_for`): areas on the page are proportional to areas on the
ground, shapes are right near the centre, and a scale bar's length is computed
where the bar stands, from geodesic distances (:func:`scale_bar_length`).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import math
from importlib import resources
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.geometry import GEOD, WGS84

__all__ = [
    "CONTEXT_FILE",
    "SEAS",
    "Country",
    "Projection",
    "context_source",
    "countries",
    "nice_length_km",
    "projection_for",
    "scale_bar_length",
]

#: The bundled countries, inside the ``geo`` package.
CONTEXT_FILE = "data/context/countries.geojson"
#: Where sea names go (lon, lat), by their key in ``labels.csv`` (``sea.<key>``).
SEAS: dict[str, tuple[float, float]] = {"black": (33.6, 43.3), "azov": (36.8, 46.15)}


@dataclasses.dataclass(frozen=True)
class Country:
    """One country of the bundled context: Natural Earth name, ISO numeric code, lon/lat shape."""

    name: str
    iso_n3: str
    geometry: BaseGeometry


@functools.cache
def countries() -> tuple[Country, ...]:
    """Return the bundled countries of Europe and around it (read once).

    Examples
    --------
    >>> names = {c.name for c in countries()}
    >>> {"Ukraine", "Russia", "Poland"} <= names
    True
    >>> ukraine = next(c for c in countries() if c.name == "Ukraine")
    >>> ukraine.geometry.contains(shapely.Point(34.1, 45.0))  # Crimea
    True
    """
    text = resources.files("geo").joinpath(CONTEXT_FILE).read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    return tuple(
        Country(f["properties"]["name"], f["properties"]["iso_n3"], shape)
        for f, shape in zip(features, shapes, strict=True)
    )


def context_source() -> dict[str, str]:
    """Return the record of the bundled countries: source, url, licence, attribution, sha256.

    Examples
    --------
    >>> context_source()["licence"]
    'public domain (Natural Earth); ISC (world-atlas packaging)'
    """
    text = resources.files("geo").joinpath("data/context/sources.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return next(row for row in rows if row["file"] == "countries.geojson")


@dataclasses.dataclass(frozen=True)
class Projection:
    """A Lambert azimuthal equal-area projection (metres) centred on ``lon_0``, ``lat_0``.

    Examples
    --------
    >>> p = Projection(35.0, 48.0)
    >>> x, y = p.forward_xy(np.array([35.0]), np.array([48.0]))
    >>> round(float(x[0]), 6), round(float(y[0]), 6)
    (0.0, 0.0)
    """

    lon_0: float
    lat_0: float

    @property
    def crs(self) -> str:
        """PROJ string of the projection."""
        return (
            f"+proj=laea +lat_0={self.lat_0:g} +lon_0={self.lon_0:g} +datum=WGS84 +units=m +no_defs"
        )

    @functools.cached_property
    def _forward(self) -> pyproj.Transformer:
        return pyproj.Transformer.from_crs(WGS84, self.crs, always_xy=True)

    @functools.cached_property
    def _inverse(self) -> pyproj.Transformer:
        return pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True)

    def forward_xy(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        """Project lon/lat arrays to metres."""
        x, y = self._forward.transform(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def inverse_xy(self, x: Any, y: Any) -> tuple[Any, Any]:
        """Return the lon/lat of projected points."""
        lon, lat = self._inverse.transform(x, y)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def forward(self, geometry: Any) -> Any:
        """Project a shapely geometry (or an array of them) from lon/lat to metres."""
        return shapely.transform(geometry, self._project_coords)

    def _project_coords(self, coords: Any) -> Any:
        x, y = self._forward.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def __getstate__(self) -> dict[str, float]:
        return {"lon_0": self.lon_0, "lat_0": self.lat_0}  # transformers are rebuilt

    def __setstate__(self, state: dict[str, float]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)


def projection_for(bounds: tuple[float, float, float, float]) -> Projection:
    """Return the equal-area projection centred on lon/lat ``bounds`` (rounded to 0.1°).

    Examples
    --------
    >>> projection_for((31.5, 44.4, 40.2, 50.4))
    Projection(lon_0=35.9, lat_0=47.4)
    """
    lon_min, lat_min, lon_max, lat_max = bounds
    return Projection(round((lon_min + lon_max) / 2, 1), round((lat_min + lat_max) / 2, 1))


def nice_length_km(max_km: float) -> float:
    """Return the longest of 1, 2, 5 x 10^k km that is at most ``max_km``.

    Examples
    --------
    >>> nice_length_km(240.0), nice_length_km(99.0), nice_length_km(0.7)
    (200.0, 50.0, 0.5)
    """
    exponent = math.floor(math.log10(max_km))
    for step in (5, 2, 1):
        if step * 10**exponent <= max_km:
            return float(step * 10**exponent)
    return float(10 ** (exponent - 1) * 5)


def scale_bar_length(projection: Projection, x0: float, y0: float, length_km: float) -> float:
    """Return the projected length (m) of a horizontal bar from ``(x0, y0)`` that is ``length_km``.

    The bar's true length is the geodesic distance between its ends: solved
    where it stands, so distortion away from the centre is accounted for.

    Examples
    --------
    >>> p = Projection(35.0, 48.0)
    >>> round(scale_bar_length(p, 0.0, 0.0, 100.0), -1)  # true scale near the centre
    100000.0
    """
    target_m = length_km * 1000.0
    projected = target_m
    for _ in range(4):  # converges in two steps: the scale barely varies along a bar
        lon, lat = projection.inverse_xy(np.array([x0, x0 + projected]), np.array([y0, y0]))
        _, _, distance = GEOD.inv(lon[0], lat[0], lon[1], lat[1])
        projected *= target_m / float(distance)
    return projected


def visible_countries(
    projection: Projection, extent: tuple[float, float, float, float]
) -> list[tuple[Country, BaseGeometry]]:
    """Return each country meeting ``extent`` (projected xmin, ymin, xmax, ymax), clipped to it.

    Clipped to the extent grown by a quarter each way, so no edge shows and
    little is drawn outside the map.
    """
    xmin, ymin, xmax, ymax = extent
    pad_x, pad_y = (xmax - xmin) / 4, (ymax - ymin) / 4
    frame = box(xmin - pad_x, ymin - pad_y, xmax + pad_x, ymax + pad_y)
    lonlat_frame = _lonlat_bounds(projection, frame)
    out = []
    for country in countries():
        if not country.geometry.intersects(lonlat_frame):
            continue
        near = shapely.intersection(country.geometry, lonlat_frame)
        shape = shapely.intersection(projection.forward(near), frame)
        if not shape.is_empty:
            out.append((country, shape))
    return out


def _lonlat_bounds(projection: Projection, frame: shapely.Polygon) -> BaseGeometry:
    """Lon/lat box holding a projected frame (its densified outline, unprojected)."""
    outline = shapely.segmentize(frame.exterior, max(frame.length / 400, 1.0))
    xy = shapely.get_coordinates(outline)
    lon, lat = projection.inverse_xy(xy[:, 0], xy[:, 1])
    return box(
        float(lon.min()) - 1, float(lat.min()) - 1, float(lon.max()) + 1, float(lat.max()) + 1
    )
