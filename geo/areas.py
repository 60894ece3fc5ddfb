"""Equal-area km² of lon/lat geometries, in total and per region, for :mod:`geo.diff`.

All km² are Albers equal-area (:data:`geo.geometry.ALBERS_UA`, WGS 84
ellipsoid) after densifying edges to 0.01°, so that edges straight in lon/lat
stay so and areas add up (a 1° edge projected as one chord would bend by
~20 m). Regions are validated once (:func:`prepare_regions`), then measured
against whole snapshots (:func:`region_areas`) or against the patches of a
diff (:func:`part_regions`), with overlays in lon/lat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import RegionError
from geo.geometry import WGS84, check_lonlat, densify, polygonal_part, to_equal_area
from geo.overlay import FloatArray, IntArray, ObjArray, clip, overlay_op

_DENSIFY_DEG = 0.01  # ~1 km steps before projecting: chords then stay within ~2 cm of edges


@dataclasses.dataclass(frozen=True, eq=False)
class Regions:
    """Regions ready for overlays: unique names, merged lon/lat geometries (prepared)."""

    names: tuple[str, ...]
    geoms: ObjArray  # lon/lat, prepared
    area_km2: FloatArray
    tree: shapely.STRtree

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as plain geometries (to process and Dask workers); prepared again there.
        return (_regions_from, (self.names, self.geoms, self.area_km2))


def _regions_from(names: tuple[str, ...], geoms: ObjArray, areas_km2: FloatArray) -> Regions:
    out = np.asarray(geoms, dtype=object)
    shapely.prepare(out)
    return Regions(tuple(names), out, np.asarray(areas_km2, dtype=float), shapely.STRtree(out))


def rebuild_regions(regs: Regions) -> Regions:
    """Return a private copy of prepared regions, for a task running beside others in threads.

    GEOS builds the indexes of a prepared geometry lazily, on first use, and not
    thread-safely: threads must not share one.
    """
    copies = np.asarray(shapely.from_wkb(shapely.to_wkb(regs.geoms)), dtype=object)
    return _regions_from(regs.names, copies, regs.area_km2)


def prepare_regions(frame: gpd.GeoDataFrame) -> Regions:
    """Check a regions frame, repair invalid rows and merge rows of the same name.

    Raises
    ------
    RegionError
        If the frame has no ``region`` column or a row has no area.
    CRSError
        If coordinates cannot be lon/lat.
    """
    frame, geoms, names = _checked(frame)
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # repairing keeps the area; nothing is dropped
        geoms[bad] = [polygonal_part(g) for g in shapely.make_valid(geoms[bad])]
    unique = list(dict.fromkeys(names))
    out = np.empty(len(unique), dtype=object)
    out[:] = [shapely.union_all(geoms[[n == name for n in names]]) for name in unique]
    shapely.prepare(out)
    return Regions(tuple(unique), out, area_km2(out), shapely.STRtree(out))


def check_regions(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the regions frame in lon/lat after the checks of :func:`prepare_regions`.

    Cheap (no areas, no unions): run it on a whole frame before choosing rows from it,
    so that a broken row is reported even where it would not be chosen.
    """
    return _checked(frame)[0]


def _checked(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, ObjArray, list[str]]:
    if "region" not in frame.columns:
        msg = (
            f"the regions frame has no 'region' column (it has {list(frame.columns)}); load "
            "boundaries with geo.regions.load_regions or name the region column 'region'"
        )
        raise RegionError(msg)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(WGS84)
    geoms = np.array(frame.geometry.values, dtype=object)  # a copy: prepared below
    names = [str(name) for name in frame["region"]]
    problems = [
        f"row {i} ({name!r}) has {'no geometry' if g is None or g.is_empty else g.geom_type}"
        for i, (name, g) in enumerate(zip(names, geoms, strict=True))
        if g is None or g.is_empty or polygonal_part(g) is None
    ]
    if problems:
        msg = f"regions frame: {'; '.join(problems)}; drop or fix those rows"
        raise RegionError(msg)
    check_lonlat(geoms, where="regions frame")
    return frame, geoms, names


def project(geoms: ObjArray) -> ObjArray:
    """Albers metres, densified first: lon/lat edges are straight in lon/lat, not in Albers."""
    return np.asarray(to_equal_area(densify(geoms, _DENSIFY_DEG)), dtype=object)


def area_km2(geoms: Any) -> Any:
    """Albers area of one lon/lat geometry (a float) or of each in an array."""
    if isinstance(geoms, BaseGeometry):
        return float(area_km2(np.array([geoms], dtype=object))[0])
    return np.nan_to_num(shapely.area(project(geoms))) / 1e6


#: Measures km² of an array of lon/lat geometries (:func:`area_km2` or a publisher's method).
Measure = Callable[[ObjArray], FloatArray]


def region_areas(
    geometry: BaseGeometry, regs: Regions, *, measure: Measure = area_km2
) -> FloatArray:
    """Area of ``geometry`` inside each region (one overlay per region)."""
    out = np.zeros(len(regs.names))
    idx = regs.tree.query(geometry)
    if len(idx) and not geometry.is_empty:
        out[idx] = measure(overlay_op(shapely.intersection, geometry, regs.geoms[idx]))
    return out


def part_regions(
    parts: ObjArray, parts_km2: FloatArray, regs: Regions, *, measure: Measure = area_km2
) -> tuple[IntArray, IntArray, FloatArray]:
    """(patch, region, overlap km²) for every overlapping patch and region.

    ``parts_km2`` are the patches' areas as ``measure`` gives them.
    """
    pi, rj = regs.tree.query(parts)
    hit = shapely.intersects(regs.geoms[rj], parts[pi])  # fast: the regions are prepared
    pi, rj = pi[hit], rj[hit]
    overlap = parts_km2[pi].copy()
    cut = np.flatnonzero(~shapely.contains_properly(regs.geoms[rj], parts[pi]))
    if len(cut):  # clip the large region to the patch first, so the overlay stays small
        region = clip(regs.geoms[rj[cut]], shapely.bounds(parts[pi[cut]]))
        overlap[cut] = measure(overlay_op(shapely.intersection, parts[pi[cut]], region))
    return pi, rj, overlap
