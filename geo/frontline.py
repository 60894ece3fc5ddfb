"""Frontline: the contact line of a control layer, its length and how far it moved.

Recipe of :func:`frontline` (parameters and counts also go to :attr:`Frontline.recipe`):

1. Outline (:func:`country_outline`) and controlled area are densified to 0.01°
   (GeoJSON edges are straight in lon/lat) and projected to the Albers
   equal-area CRS :data:`geo.geometry.ALBERS_UA` (metres, scale error < 1 %
   over Ukraine, so metre tolerances mean what they say).
2. The uncontrolled country is ``outline - area``. Its pieces under
   ``max_pocket_km2``, except the largest, are pockets behind the line:
   marshes and limans the layer leaves out but the outline counts as land
   (Utliuk, Kinburn, Dzharylhach: 746 km² in DeepState 2025-06-01), slivers
   between the two coastlines, holes in the area, the 2,066 km² Syvash if a
   layer leaves it out. The price: smaller encircled pockets are not drawn
   (``max_pocket_km2=0`` draws every pocket).
3. The contact line is the boundary of what is left, kept where it lies more
   than ``tolerance_m`` inside the outline: state border and coast go, as
   control polygons and outline never trace them identically, and each piece
   stops about ``tolerance_m`` short of the border. DeepState on OCHA
   (2025-06-01): 250 m, 1 km, 2 km give 1,254, 1,241, 1,227 km.
4. Pieces under ``min_segment_km`` are dropped (:attr:`Frontline.dropped_km`).
   Lengths are geodesic (``pyproj.Geod``, WGS 84) on the lon/lat line.

Area outside the outline draws no front (in Russia, trace with
``country_outline(regions, country="RU")``); a note gives its size above 1 %.
Trace the whole country, then clip to an oblast: an oblast outline would make
the oblast border "border".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiLineString, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError, InputFormatError, RegionError, ValidationError
from geo.fsutil import write_text_atomic
from geo.geometry import (
    ALBERS_UA,
    GEOD,
    WGS84,
    check_lonlat,
    densify,
    geodesic_area_km2,
    polygonal_part,
)
from geo.geometry import to_equal_area as _to_albers
from geo.snapshot import Snapshot

#: Boundary parts nearer than this to the outline's boundary are border or coast.
DEFAULT_TOLERANCE_M = 1000.0
#: Pieces of contact line shorter than this are leftovers of the tolerance cut.
DEFAULT_MIN_SEGMENT_KM = 0.5
#: Uncontrolled pieces smaller than this (except the largest) lie behind the line.
DEFAULT_MAX_POCKET_KM2 = 2500.0
#: Holes of the regions' union smaller than this are inland water or gaps, not borders.
DEFAULT_MAX_HOLE_KM2 = 5000.0
#: Sampling step along the later line in :func:`displacement`.
DEFAULT_STEP_M = 500.0
#: Samples nearer than this to the earlier line count as unchanged.
STILL_KM = 0.1

_DENSIFY_DEG = 0.01
_NOTE_OUTSIDE_SHARE = 0.01  # share of the area outside the outline worth a note
_FROM_ALBERS = pyproj.Transformer.from_crs(ALBERS_UA, WGS84, always_xy=True)
FloatArray = npt.NDArray[np.float64]


def country_outline(
    regions: gpd.GeoDataFrame, *, country: str = "UA", max_hole_km2: float = DEFAULT_MAX_HOLE_KM2
) -> BaseGeometry:
    """Outline of a country: the union of its regions with small holes filled.

    The union of the 27 land-only OCHA units has one 2,066 km² hole, the Syvash
    lagoon. Holes under ``max_hole_km2`` (geodesic) are filled: the water is
    country, controlled if a layer covers it, else a pocket behind the line
    (see :func:`frontline`). Larger holes (enclaves) and gaps open to the sea stay.

    Parameters
    ----------
    regions
        Output of :func:`geo.regions.load_regions` (columns ``country``, ``geometry``).
    country
        Two-letter code in the ``country`` column.
    max_hole_km2
        Holes from this area on are kept.

    Raises
    ------
    RegionError
        If the frame has no ``country`` column or no region of ``country``.

    Examples
    --------
    >>> from geo.geometry import geodesic_area_km2
    >>> from geo.regions import load_regions
    >>> from geo.sample import sample_regions_file
    >>> regions = load_regions(sample_regions_file())
    >>> sorted(set(regions["country"]))
    ['RU', 'UA']
    >>> round(geodesic_area_km2(country_outline(regions, country="RU")))  # the sample's Kursk
    30457
    """
    if "country" not in regions.columns:
        msg = (
            f"regions frame has no 'country' column (it has {list(regions.columns)}); "
            "load boundary files with geo.regions.load_regions"
        )
        raise RegionError(msg)
    if regions.crs is not None and regions.crs.to_epsg() != 4326:
        regions = regions.to_crs(WGS84)
    codes = regions["country"].astype("string").str.strip().str.upper()
    rows = regions[(codes == country.strip().upper()).fillna(False).to_numpy(dtype=bool)]
    if rows.empty:
        present = sorted({str(c) for c in codes.dropna()})
        msg = (
            f"no region of country {country!r} among {len(regions)} regions (countries present: "
            f"{', '.join(present) or 'none'}); pass regions=load_regions(FILES) that cover "
            f"{country!r} (OCHA COD-AB for Ukraine), or another country="
        )
        raise RegionError(msg)
    geoms = np.asarray(rows.geometry.values, dtype=object)
    merged = _polygonal(shapely.union_all(geoms), where=f"regions of {country}", error=RegionError)
    parts = [
        Polygon(
            p.exterior, [r for r in p.interiors if geodesic_area_km2(Polygon(r)) >= max_hole_km2]
        )
        for p in shapely.get_parts(merged)
    ]
    if not parts:
        msg = f"the regions of {country!r} have no polygons; check the boundary files"
        raise RegionError(msg)
    out: BaseGeometry = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Frontline:
    """The contact line of one control layer on one date.

    Attributes
    ----------
    line, length_km
        Lon/lat MultiLineString (one part per piece) and its geodesic length.
    date, source, layer
        From the snapshot (``None`` for a bare geometry).
    recipe
        What was done, with which parameters and what it dropped.
    dropped_km, pockets_km2
        Length of the pieces too short to keep; area of the pockets behind the line.
    tolerance_m, min_segment_km, max_pocket_km2
        The parameters used.
    notes
        Caveats (area outside the outline, empty area).
    outline
        The outline used; :func:`displacement` measures new bridgeheads from its border.
    """

    line: MultiLineString
    length_km: float
    date: dt.date | None
    source: str | None
    layer: str | None
    recipe: str
    dropped_km: float
    pockets_km2: float = 0.0
    tolerance_m: float = DEFAULT_TOLERANCE_M
    min_segment_km: float = DEFAULT_MIN_SEGMENT_KM
    max_pocket_km2: float = DEFAULT_MAX_POCKET_KM2
    notes: tuple[str, ...] = ()
    outline: BaseGeometry | None = dataclasses.field(default=None, repr=False)

    @property
    def n_pieces(self) -> int:
        """Number of pieces of front."""
        return len(self.line.geoms)

    def to_geojson(self) -> dict[str, Any]:
        """Return a GeoJSON Feature (lon/lat MultiLineString) with the figures as properties."""
        names: tuple[str, ...] = ("source", "layer", "length_km", "n_pieces", "dropped_km")
        names += ("pockets_km2", "tolerance_m", "min_segment_km", "max_pocket_km2", "recipe")
        properties = {name: getattr(self, name) for name in names}
        properties |= {"date": self.date and self.date.isoformat(), "notes": list(self.notes)}
        return {"type": "Feature", "geometry": mapping(self.line), "properties": properties}

    def __repr__(self) -> str:
        what = "/".join(x for x in (self.source, self.layer) if x) or "area"
        when = f" {self.date.isoformat()}" if self.date else ""
        return (
            f"<Frontline {what}{when}: {self.length_km:,.1f} km in {self.n_pieces} "
            f"piece{'' if self.n_pieces == 1 else 's'} "
            f"({self.dropped_km:,.1f} km dropped)>"
        )


def frontline(
    area: Snapshot | BaseGeometry,
    outline: BaseGeometry,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    min_segment_km: float = DEFAULT_MIN_SEGMENT_KM,
    max_pocket_km2: float = DEFAULT_MAX_POCKET_KM2,
) -> Frontline:
    """Contact line of a controlled area inside a country outline.

    The recipe is in the module docstring.

    Parameters
    ----------
    area
        A snapshot (its union is used) or lon/lat polygons.
    outline
        Lon/lat country outline, from :func:`country_outline`.
    tolerance_m
        Boundary parts nearer than this to the outline's boundary are border or coast (> 0).
    min_segment_km
        Shorter pieces are dropped and counted in :attr:`Frontline.dropped_km`.
    max_pocket_km2
        Uncontrolled pieces smaller than this (except the largest) are behind the line.

    Raises
    ------
    ValidationError
        If a parameter is out of range.
    InputFormatError, RegionError, CRSError
        If the area or the outline has no polygons or is not in lon/lat.

    Examples
    --------
    The sample's regions stand in for the country here (an outline of four oblasts):

    >>> from geo.io import read
    >>> from geo.regions import load_regions
    >>> from geo.sample import sample_control_files, sample_regions_file
    >>> outline = country_outline(load_regions(sample_regions_file()))
    >>> control = read(sample_control_files()[-1], layer="russian_control", source="sample")[0]
    >>> front = frontline(control, outline)
    >>> round(front.length_km), front.n_pieces
    (988, 5)
    """
    _check_params(
        tolerance_m=tolerance_m, min_segment_km=min_segment_km, max_pocket_km2=max_pocket_km2
    )
    if isinstance(area, Snapshot):
        where = f"snapshot {area.source}/{area.layer} {area.date.isoformat()}"
        geometry, date, source, layer = area.geometry, area.date, area.source, area.layer
    else:
        where, geometry, date, source, layer = "area", area, None, None, None
    area_ll = _polygonal(geometry, where=where, error=InputFormatError)
    outline_m, inner_m = _outline_albers(outline, tolerance_m)
    area_m = _project(area_ll)
    notes = [f"{where} is empty: no front"] if area_ll.is_empty else []
    outside_km2 = 0.0 if notes else _difference(area_m, outline_m, where).area / 1e6
    if outside_km2 > _NOTE_OUTSIDE_SHARE * area_m.area / 1e6:
        notes.append(
            f"{outside_km2:,.1f} km² ({outside_km2 * 1e6 / area_m.area:.0%}) of {where} lies "
            "outside the country outline: no front is drawn there (is it the right country?)"
        )
    uncontrolled = _difference(outline_m, area_m, where)
    pieces = np.asarray(shapely.get_parts(uncontrolled), dtype=object)
    pocket_areas = shapely.area(pieces) / 1e6
    pocket = pocket_areas < max_pocket_km2
    if len(pieces):
        pocket[np.argmax(pocket_areas)] = False
    rings = shapely.union_all(shapely.boundary(pieces[~pocket]))
    contact = shapely.line_merge(shapely.intersection(rings, inner_m))
    parts = shapely.get_parts(contact)  # line_merge keeps only the lines
    parts_ll = _to_lonlat(parts) if len(parts) else parts
    lengths = np.array([GEOD.geometry_length(p) / 1e3 for p in parts_ll], dtype=float)
    keep = lengths >= min_segment_km
    pockets_km2 = float(pocket_areas[pocket].sum())
    dropped_km = float(lengths[~keep].sum())
    recipe = (
        f"contact line of {where}: boundary of (country outline minus area), kept where it lies "
        f"more than {tolerance_m:g} m inside the outline (drops state border and coastline); "
        f"{int(pocket.sum())} uncontrolled pockets under {max_pocket_km2:g} km² "
        f"({pockets_km2:,.1f} km²) treated as behind the line; overlays in Albers equal-area "
        f"ALBERS_UA after densifying to {_DENSIFY_DEG}°; {int((~keep).sum())} pieces shorter "
        f"than {min_segment_km:g} km dropped ({dropped_km:.2f} km); lengths geodesic (WGS 84)"
    )
    return Frontline(
        line=MultiLineString(list(parts_ll[keep])),
        length_km=float(lengths[keep].sum()),
        date=date,
        source=source,
        layer=layer,
        recipe=recipe,
        dropped_km=dropped_km,
        pockets_km2=pockets_km2,
        tolerance_m=float(tolerance_m),
        min_segment_km=float(min_segment_km),
        max_pocket_km2=float(max_pocket_km2),
        notes=tuple(notes),
        outline=outline,
    )


@dataclasses.dataclass(frozen=True)
class Displacement:
    """How far a front moved between two dates.

    Attributes
    ----------
    before_date, after_date
        Dates of the two fronts.
    mean_km, median_km, max_km
        Geodesic distance of the later line's samples to the earlier line.
    max_location, max_from
        ``(lon, lat)`` of the maximum on the later line, and of the earlier point it is from.
    n_samples, step_m
        Samples taken every ``step_m`` along the later line.
    from_border_share
        Share of samples on new bridgeheads, measured from the border.
    mean_signed_km
        Mean distance, negative inside the earlier area (ground lost); ``None``
        without ``area_before``, as the fields below.
    advanced_share, retreated_share
        Shares of samples out of, or into, the earlier area by more than :data:`STILL_KM`.
    recipe
        What was measured, with which step.
    """

    before_date: dt.date | None
    after_date: dt.date | None
    mean_km: float
    median_km: float
    max_km: float
    max_location: tuple[float, float]
    max_from: tuple[float, float]
    n_samples: int
    step_m: float
    from_border_share: float
    mean_signed_km: float | None
    advanced_share: float | None
    retreated_share: float | None
    recipe: str

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as a plain dict (JSON-ready)."""
        data = dataclasses.asdict(self)
        return data | {k: data[k] and data[k].isoformat() for k in ("before_date", "after_date")}

    def __repr__(self) -> str:
        lon, lat = self.max_location
        return (
            f"<Displacement {self.before_date} -> {self.after_date}: mean {self.mean_km:.1f} km, "
            f"max {self.max_km:.1f} km at {lon:.3f} E {lat:.3f} N, {self.n_samples} samples>"
        )


def displacement(
    before: Frontline,
    after: Frontline,
    *,
    area_before: Snapshot | BaseGeometry | None = None,
    outline: BaseGeometry | None = None,
    step_m: float = DEFAULT_STEP_M,
) -> Displacement:
    """Distance of advance from ``before`` to ``after``.

    Points every ``step_m`` along the later line are measured to the nearest
    point of the earlier line (pair found in Albers metres, distance geodesic).
    A later piece nearer to the border everywhere than to the earlier line is a
    new bridgehead, measured from the border, not from a front far away. The
    maximum is over samples and vertices (a salient's tip is a vertex). Samples
    inside ``area_before`` (ground lost) count negative in ``mean_signed_km``.

    Parameters
    ----------
    before, after
        Fronts of the same layer at two dates.
    area_before
        The controlled area at ``before`` (snapshot or lon/lat polygons), for the sign.
    outline
        Country outline (default: the one ``after`` was traced in).
    step_m
        Sampling step along the later line.

    Raises
    ------
    ValidationError
        If the later front is empty, the dates are reversed or ``step_m`` is not positive.

    Examples
    --------
    >>> from geo.io import read
    >>> from geo.regions import load_regions
    >>> from geo.sample import sample_control_files, sample_regions_file
    >>> outline = country_outline(load_regions(sample_regions_file()))
    >>> first, last = (
    ...     read(path, layer="russian_control", source="sample")[0]
    ...     for path in (sample_control_files()[0], sample_control_files()[-1])
    ... )
    >>> moved = displacement(frontline(first, outline), frontline(last, outline), area_before=first)
    >>> round(moved.mean_km, 1), round(moved.max_km, 1)
    (9.1, 26.1)
    """
    _check_params(step_m=step_m)
    problems = []
    if after.line.is_empty:
        problems.append(f"the front at {after.date} is empty: nothing to measure")
    if before.date and after.date and before.date > after.date:
        problems.append(f"before ({before.date}) is later than after ({after.date}): swap them")
    outline = outline if outline is not None else (after.outline or before.outline)
    if before.line.is_empty and outline is None:
        problems.append(f"the front at {before.date} is empty and no outline was given")
    if problems:
        msg = "cannot measure the displacement"
        raise ValidationError(msg, problems)
    pieces = shapely.get_parts(_project(after.line))
    samples = [_samples(p, step_m) for p in pieces]
    vertices = [shapely.points(shapely.get_coordinates(p)) for p in pieces]
    points = np.concatenate(samples + vertices)
    piece = np.repeat(np.tile(np.arange(len(pieces)), 2), [len(x) for x in samples + vertices])
    n = sum(len(x) for x in samples)
    dist, origin = np.full(len(points), np.inf), np.full(len(points), None, dtype=object)
    if not before.line.is_empty:
        dist, origin = _nearest(points, _project(before.line))
    from_border = np.zeros(len(points), dtype=bool)
    if outline is not None:
        border_m = _outline_albers(outline, after.tolerance_m)[0].boundary
        border, border_origin = _nearest(points, border_m)
        far, near = np.full(len(pieces), np.inf), np.zeros(len(pieces))
        np.minimum.at(far, piece, dist)
        np.maximum.at(near, piece, border)
        from_border = (near < far)[piece]
        dist = np.where(from_border, border, dist)
        origin = np.where(from_border, border_origin, origin)
    top = int(np.argmax(dist))
    sampled = dist[:n]
    signed: FloatArray | None = None
    if area_before is not None:
        geometry = area_before.geometry if isinstance(area_before, Snapshot) else area_before
        before_m = _project(_polygonal(geometry, where="area_before", error=InputFormatError))
        inside = shapely.contains_xy(before_m, *shapely.get_coordinates(points[:n]).T)
        signed = np.where(inside, -sampled, sampled)
    recipe = [
        f"geodesic distance from points every {step_m:g} m along the {after.date} line to the "
        f"nearest point of the {before.date} line (pair found in Albers ALBERS_UA)",
        "new bridgeheads measured from the border" if outline is not None else "",
        "maximum over samples and vertices",
        "negative inside the earlier area" if signed is not None else "",
    ]
    return Displacement(
        before_date=before.date,
        after_date=after.date,
        mean_km=float(sampled.mean()),
        median_km=float(np.median(sampled)),
        max_km=float(dist[top]),
        max_location=_lonlat_point(points[top]),
        max_from=_lonlat_point(origin[top]),
        n_samples=n,
        step_m=float(step_m),
        from_border_share=float(from_border[:n].mean()),
        mean_signed_km=None if signed is None else float(signed.mean()),
        advanced_share=None if signed is None else float((signed > STILL_KM).mean()),
        retreated_share=None if signed is None else float((signed < -STILL_KM).mean()),
        recipe="; ".join(filter(None, recipe)),
    )


def write_geojson(frontlines: Sequence[Frontline], path: str | Path) -> None:
    """Write fronts as one GeoJSON FeatureCollection, atomically (:class:`GeoError` if not)."""
    target = Path(path)
    text = json.dumps(
        {"type": "FeatureCollection", "features": [f.to_geojson() for f in frontlines]},
        ensure_ascii=False,
    )
    try:
        write_text_atomic(target, text)
    except OSError as exc:
        msg = f"{target}: cannot write the front ({exc}); check the folder"
        raise GeoError(msg) from exc


def _check_params(**values: float) -> None:
    problems = []
    for name, value in values.items():
        bound = ">" if name in {"tolerance_m", "step_m"} else ">="
        ok = isinstance(value, int | float) and np.isfinite(value)
        if not ok or not (value > 0 if bound == ">" else value >= 0):
            problems.append(f"{name}={value!r} must be a finite number {bound} 0")
    if problems:
        msg = "invalid frontline parameters"
        raise ValidationError(msg, problems)


def _polygonal(geometry: BaseGeometry | None, *, where: str, error: type[GeoError]) -> BaseGeometry:
    if geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    part = polygonal_part(geometry)
    if part is None:
        msg = f"{where}: a {geometry.geom_type} has no area; give polygons"
        raise error(msg)
    check_lonlat(np.array([part], dtype=object), where=where)
    return part if part.is_valid else shapely.make_valid(part)


@functools.lru_cache(maxsize=8)
def _outline_albers(outline: BaseGeometry, tolerance_m: float) -> tuple[Any, Any]:
    """Return the outline in Albers, and its inside beyond ``tolerance_m`` of its boundary."""
    polygons = _polygonal(outline, where="country outline", error=RegionError)
    if polygons.is_empty:
        msg = "the country outline is empty; build it with country_outline(regions)"
        raise RegionError(msg)
    outline_m = _project(polygons)
    inner_m = outline_m.buffer(-tolerance_m, quad_segs=4)
    shapely.prepare(inner_m)
    return outline_m, inner_m


def _project(geometry: BaseGeometry) -> Any:
    projected = _to_albers(densify(geometry, _DENSIFY_DEG))
    if projected.is_valid:
        return projected
    # Projection can fold a near-degenerate sliver over itself; repairing keeps the area.
    return polygonal_part(shapely.make_valid(projected)) or shapely.Polygon()


def _difference(a: BaseGeometry, b: BaseGeometry, where: str) -> BaseGeometry:
    """Return ``a - b`` in metres; a GEOS robustness failure is retried on a 1 cm grid."""
    try:
        return a.difference(b)
    except GEOSException:
        pass
    try:
        return shapely.set_precision(a, 0.01).difference(shapely.set_precision(b, 0.01))
    except GEOSException as exc:
        msg = (
            f"{where}: the overlay with the country outline failed in GEOS ({exc}); repair the "
            "polygons (e.g. shapely.make_valid) or pass another tolerance_m="
        )
        raise InputFormatError(msg) from exc


def _to_lonlat(geometries: Any) -> Any:
    return shapely.transform(geometries, lambda xy: np.column_stack(_FROM_ALBERS.transform(*xy.T)))


def _lonlat_point(point: BaseGeometry) -> tuple[float, float]:
    lon, lat = shapely.get_coordinates(_to_lonlat(point))[0]
    return float(lon), float(lat)


def _samples(line: Any, step_m: float) -> Any:
    count = max(1, round(line.length / step_m))
    return shapely.line_interpolate_point(line, (np.arange(count) + 0.5) * line.length / count)


def _nearest(points: Any, target: BaseGeometry) -> tuple[FloatArray, Any]:
    """Geodesic km from Albers points to the nearest point of ``target``, and that point."""
    ends = shapely.get_coordinates(shapely.shortest_line(points, target)).reshape(-1, 2, 2)
    lon, lat = _FROM_ALBERS.transform(ends[:, :, 0], ends[:, :, 1])
    km = np.asarray(GEOD.inv(lon[:, 0], lat[:, 0], lon[:, 1], lat[:, 1])[2], dtype=float) / 1e3
    return km, shapely.points(ends[:, 1])
