"""Choose the regions a map, diff or table is about: named ones, or those near the layer.

A boundary set such as OCHA Ukraine plus Natural Earth's world admin-1 holds
~320 regions; a diff of the front needs the dozen that hold or border the
ground. :func:`select_regions` returns either the regions named (any name or
code :func:`geo.regions.resolve_region` accepts, or a name as the file writes
it), or, by default, the regions that hold or border the ground of one or
more snapshots or geometries: those within ``border_km`` of it.

Distances are measured in an azimuthal equidistant projection centred on the
ground (metres; true from the centre, within about 1 % for a country-sized
area), after a cheap lon/lat pre-filter that can only rule regions out when
they are surely farther than ``border_km``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import RegionError, ValidationError
from geo.geometry import WGS84
from geo.regions import find_region, resolve_region
from geo.snapshot import Snapshot

__all__ = ["DEFAULT_BORDER_KM", "near_mask", "region_column", "select_regions"]

#: Regions this close to the ground border it: absorbs the 1-2 km by which boundary
#: sets of different makers disagree (Natural Earth 1:50m against OCHA), no more.
DEFAULT_BORDER_KM = 2.0
_KM_PER_DEGREE = 111.32  # along a meridian; along a parallel times cos(latitude)
_MARGIN_DEGREES = 1.0  # bounding-box pre-filter, far wider than any border_km in use

Near = Snapshot | BaseGeometry | Iterable[Snapshot | BaseGeometry]


def region_column(regions: gpd.GeoDataFrame) -> str | None:
    """Return the column naming the regions: ``region``, else ``name``, else ``None``."""
    return next((c for c in ("region", "name") if c in regions.columns), None)


def select_regions(
    regions: gpd.GeoDataFrame,
    *,
    names: str | Iterable[str] | None = None,
    near: Near | None = None,
    border_km: float = DEFAULT_BORDER_KM,
) -> gpd.GeoDataFrame:
    """Return only the regions named, or those that hold or border the given ground.

    Parameters
    ----------
    regions
        Regions with a ``region`` (or ``name``) column, as
        :func:`geo.regions.load_regions` returns them.
    names
        Keep these regions, in this order: any name or code
        :func:`geo.regions.resolve_region` accepts (``"Donetska"``, ``"UA-14"``,
        ``"Курская область"``) or a name as the boundary file writes it
        (``"Krasnodar Krai"``). They are kept whether or not they hold anything.
    near
        Without ``names``: keep the regions within ``border_km`` of this ground
        (a snapshot, a lon/lat geometry, or several: a diff's two dates, every
        date of a series), in the order of ``regions``.
    border_km
        How close a region must come to the ground to border it.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows kept (a copy; ``attrs`` kept). With neither ``names`` nor
        ``near``, every row.

    Raises
    ------
    RegionError
        A name is unknown or not among the regions given; the message lists
        the closest names of both.
    ValidationError
        ``border_km`` is negative or not a number.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geo.regions import load_regions
    >>> from geo.sample import sample_regions_file
    >>> regions = load_regions(sample_regions_file())
    >>> list(select_regions(regions, names=["Донецька область", "UA-09"])["region"])
    ['Donetsk', 'Luhansk']
    >>> ground = box(37.6, 47.6, 37.8, 47.8)  # inside Donetsk, far from the other regions
    >>> list(select_regions(regions, near=ground)["region"])
    ['Donetsk']
    >>> select_regions(regions, names=["Donetskk"])
    Traceback (most recent call last):
    ...
    geo.errors.RegionError: unknown region 'Donetskk'; closest among the regions: Donetsk
    """
    if not (isinstance(border_km, int | float) and math.isfinite(border_km) and border_km >= 0):
        msg = "cannot select regions"
        raise ValidationError(msg, [f"border_km={border_km!r}: pass a distance in km >= 0"])
    if names is not None:
        wanted = [names] if isinstance(names, str) else list(names)
        return _named(regions, wanted)
    if near is None:
        return regions.copy()
    grounds = _grounds(near)
    frame = regions.to_crs(WGS84) if regions.crs is not None else regions
    keep = near_mask(np.asarray(frame.geometry.values, dtype=object), grounds, border_km=border_km)
    out = regions.loc[keep].copy()
    out.attrs = dict(regions.attrs)
    return out


def _named(regions: gpd.GeoDataFrame, wanted: Sequence[str]) -> gpd.GeoDataFrame:
    column = region_column(regions)
    if column is None:
        msg = "cannot pick regions by name: regions= has no 'region' or 'name' column"
        raise RegionError(msg)
    present = [str(v) for v in regions[column]]
    by_key = {_key(name): i for i, name in reversed(list(enumerate(present)))}
    rows: list[int] = []
    for name in wanted:
        index = _find(name, present, by_key)
        if index not in rows:
            rows.append(index)
    out = regions.iloc[rows].copy()
    out.attrs = dict(regions.attrs)
    return out


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _find(name: str, present: list[str], by_key: dict[str, int]) -> int:
    """Row of ``name``: as the file writes it, else through the alias table."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        msg = f"empty region name {name!r}: give a name such as 'Donetsk'"
        raise RegionError(msg)
    if _key(text) in by_key:
        return by_key[_key(text)]
    canonical = find_region(text)
    if canonical is not None:
        for candidate in (canonical, *present):
            if _key(candidate) in by_key and find_region(candidate) == canonical:
                return by_key[_key(candidate)]
        msg = (
            f"region {text!r} ({canonical}) is not among the regions given, which hold "
            f"{_listing(present)}; load a boundary file that has it"
        )
        raise RegionError(msg)
    close = difflib.get_close_matches(text, present, n=5, cutoff=0.6)
    close += [c for c in difflib.get_close_matches(text.title(), present, n=5, cutoff=0.6)
              if c not in close]  # fmt: skip
    if close:
        msg = f"unknown region {text!r}; closest among the regions: {', '.join(close[:5])}"
        raise RegionError(msg)
    try:
        resolve_region(text)
    except RegionError as exc:  # its message names the closest names of the alias table
        msg = f"{exc}; the regions given hold {_listing(present)}"
        raise RegionError(msg) from None
    raise AssertionError  # pragma: no cover  (resolve_region failed above)


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _grounds(near: Near) -> list[BaseGeometry]:
    items = [near] if isinstance(near, Snapshot | BaseGeometry) else list(near)
    out = []
    for item in items:
        geometry = item.geometry if isinstance(item, Snapshot) else item
        if not isinstance(geometry, BaseGeometry):
            msg = "cannot select regions"
            raise ValidationError(
                msg, [f"near= got {type(item).__name__}: pass snapshots or shapely geometries"]
            )
        if not geometry.is_empty:
            out.append(geometry)
    return out


def near_mask(
    geoms: Any, grounds: Iterable[BaseGeometry], *, border_km: float = DEFAULT_BORDER_KM
) -> Any:
    """Return which of the lon/lat ``geoms`` lie within ``border_km`` of any of ``grounds``.

    The test :func:`select_regions` keeps rows by (``geoms``: the region rows in
    EPSG:4326); empty grounds border nothing. Masks over several groups of grounds
    combine with ``|``, which is how :func:`geo.changes.iter_changes` finds the
    regions of a long series while it diffs it, a chunk of dates at a time.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> rows = np.array([box(37, 47, 38, 48), box(38.01, 47, 39, 48), box(40, 47, 41, 48)])
    >>> near_mask(rows, [box(37.5, 47.5, 37.99, 47.6)]).tolist()
    [True, True, False]
    """
    keep = np.zeros(len(geoms), dtype=bool)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    boxes = shapely.bounds(np.where(usable, geoms, None))
    for ground in grounds:
        if ground is None or ground.is_empty:
            continue
        xmin, ymin, xmax, ymax = ground.bounds
        open_ = usable & ~keep
        open_ &= (boxes[:, 0] <= xmax + _MARGIN_DEGREES) & (boxes[:, 2] >= xmin - _MARGIN_DEGREES)
        open_ &= (boxes[:, 1] <= ymax + _MARGIN_DEGREES) & (boxes[:, 3] >= ymin - _MARGIN_DEGREES)
        if not open_.any():
            continue
        candidates = np.flatnonzero(open_)
        # A lon/lat distance d (degrees) is at least d * 111.32 * cos(lat) km where the
        # latitude is highest, so regions beyond that are surely too far: no projection.
        top = min(89.0, max(abs(ymin), abs(ymax)) + _MARGIN_DEGREES)
        reach_deg = border_km / (_KM_PER_DEGREE * math.cos(math.radians(top)))
        shapely.prepare(ground)
        maybe = candidates[shapely.dwithin(ground, geoms[candidates], reach_deg)]
        if len(maybe) == 0:
            continue
        centre = shapely.box(xmin, ymin, xmax, ymax).centroid
        to_metres = pyproj.Transformer.from_crs(
            WGS84, f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m",
            always_xy=True,
        )  # fmt: skip

        def project(xy: Any, transform: pyproj.Transformer = to_metres) -> Any:
            return np.column_stack(transform.transform(xy[:, 0], xy[:, 1]))

        near = shapely.dwithin(
            shapely.transform(ground, project),
            shapely.transform(geoms[maybe], project),
            border_km * 1000.0,
        )
        keep[maybe[near]] = True
    return keep
