"""Diff two snapshots: gained, lost and unchanged ground, in total and per region.

:func:`diff` says what changed between two maps: ground in ``b`` but not in
``a`` (gained), in ``a`` but not in ``b`` (lost), gross and net km², per region
the area held at both dates and the share of the region, and the largest
patches. :func:`diff_series` diffs each snapshot of a series with the next.

Speed. Consecutive snapshots share almost every boundary segment. Each directed
boundary segment (interior on its left) is hashed; runs of segments found in
only one snapshot become boxes, merged until pairwise disjoint. Every component
of the symmetric difference is bounded by such segments, so it lies in one box,
and outside the boxes both snapshots are identical: one symmetric difference per
box, of the snapshots clipped to it, gives the gained and lost patches. A cheap
check (planar area of ``b`` minus ``a`` equals gained minus lost) guards this;
if it fails, two whole-geometry differences run instead (:attr:`Diff.overlay`
says which ran). Overlays run in lon/lat, where GeoJSON edges are straight.

Areas. All km² are Albers equal-area (:data:`geo.geometry.ALBERS_UA`, WGS 84
ellipsoid) after densifying edges to 0.01°, so that edges straight in lon/lat
stay so and areas add up (a 1° edge projected as one chord would bend by
~20 m). They agree with geodesic ``pyproj.Geod`` areas to 0.01 % on the real
archives (pinned by tests); :mod:`geo.areas` computes them. Web Mercator is
never used.

Slivers. Re-digitised boundaries leave slivers a few centimetres wide. The
filter drops whole patches smaller than ``min_area_km2`` or narrower than
``min_width_m`` everywhere (those an erosion by half that width, i.e. a
morphological opening, erases). Kept patches are never reshaped, so the
filtered result is a subset of the raw one, which stays available. The default
(0.001 km², 2 m) changes the summed gross gained and lost of the 768
consecutive DeepState daily diffs by 0.004 %; pairs changed by more than 1 %
had less than 0.5 km² of raw change, mostly slivers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
from collections.abc import Iterable
from concurrent.futures import Executor
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area_methods import check_area_method, describe_method, features_area_km2
from geo.areas import Regions, check_regions, prepare_regions, project
from geo.changes import Chained, iter_changes, regions_for
from geo.errors import ValidationError
from geo.geometry import ALBERS_UA, WGS84
from geo.overlay import BoolArray, FloatArray, ObjArray, overlay, overlay_op, polygonal, prepare
from geo.parallel import Jobs
from geo.progress import Progress
from geo.region_select import select_regions
from geo.series import SnapshotSeries
from geo.snapshot import Snapshot
from geo.text import escape_text, one_line

if TYPE_CHECKING:
    import folium

#: Patches smaller than this (0.1 ha) are slivers.
DEFAULT_MIN_AREA_KM2 = 0.001
#: Patches narrower than this everywhere are slivers.
DEFAULT_MIN_WIDTH_M = 2.0
AREA_METHOD = (
    "Albers equal-area (+proj=aea +lat_1=45 +lat_2=52 +lon_0=35, WGS 84 ellipsoid) of edges "
    "densified to 0.01°, within 0.01 % of geodesic pyproj.Geod areas; overlays in lon/lat; "
    "never Web Mercator"
)
_FROM_ALBERS = pyproj.Transformer.from_crs(ALBERS_UA, WGS84, always_xy=True)


@dataclasses.dataclass(frozen=True)
class SliverFilter:
    """Which patches are slivers, left out of the totals (0 switches a rule off).

    Attributes
    ----------
    min_area_km2
        Patches smaller than this are dropped.
    min_width_m
        Patches narrower than this everywhere are dropped.
    """

    min_area_km2: float = DEFAULT_MIN_AREA_KM2
    min_width_m: float = DEFAULT_MIN_WIDTH_M

    def __post_init__(self) -> None:
        bad = [
            f"{name}={value!r} must be a finite number >= 0"
            for name, value in dataclasses.asdict(self).items()
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0)
        ]
        if bad:
            msg = "invalid sliver filter"
            raise ValidationError(msg, bad)

    @property
    def description(self) -> str:
        """The rule in words."""
        return (
            f"patches smaller than {self.min_area_km2:g} km² or narrower than "
            f"{self.min_width_m:g} m everywhere (erased by a morphological opening of "
            f"{self.min_width_m / 2:g} m) are dropped; kept patches are not reshaped"
        )

    def keep(self, projected: ObjArray, area_km2: FloatArray) -> BoolArray:
        """Which patches (in Albers metres, with their areas) are kept."""
        keep = area_km2 >= self.min_area_km2
        radius = self.min_width_m / 2
        if radius > 0 and keep.any():
            # A patch narrower than 2r everywhere has area <= perimeter * r plus the
            # corner sectors, so only patches under that bound need the erosion.
            todo = np.flatnonzero(keep)
            sectors = shapely.get_num_coordinates(projected[todo]) * np.pi / 2 * radius**2
            todo = todo[area_km2[todo] * 1e6 <= shapely.length(projected[todo]) * radius + sectors]
            keep[todo] = ~shapely.is_empty(shapely.buffer(projected[todo], -radius, quad_segs=2))
        return keep


@dataclasses.dataclass(frozen=True)
class RegionChange:
    """Change inside one region; gained and lost are after the sliver filter.

    Attributes
    ----------
    region, region_area_km2
        Region name and area.
    area_from_km2, area_to_km2
        Area of the snapshot inside the region at both dates.
    gained_km2, lost_km2
        Gross change inside the region.
    """

    region: str
    region_area_km2: float
    area_from_km2: float
    area_to_km2: float
    gained_km2: float
    lost_km2: float

    @property
    def net_km2(self) -> float:
        """``gained_km2 - lost_km2``."""
        return self.gained_km2 - self.lost_km2

    @property
    def share_to_pct(self) -> float | None:
        """Share of the region held at the second date, in % (``None`` for an empty region)."""
        return _pct(self.area_to_km2, self.region_area_km2)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (km² rounded to 1 m², % to 4 decimals)."""
        data = {k: v if k == "region" else _km2(v) for k, v in dataclasses.asdict(self).items()}
        data["net_km2"] = _km2(self.net_km2)
        for key, area in (
            ("share_from_pct", self.area_from_km2),
            ("share_to_pct", self.area_to_km2),
        ):
            share = _pct(area, self.region_area_km2)
            data[key] = None if share is None else round(share, 4)
        return data


@dataclasses.dataclass(frozen=True, eq=False)
class Patches:
    """Every raw patch of a diff: gained first, then lost, largest first within each.

    Attributes
    ----------
    geoms
        Lon/lat polygons.
    gained
        True for gained patches, False for lost ones.
    area_km2
        Areas.
    kept
        False for slivers.
    region
        The region holding most of each patch (``None`` outside all regions or
        without regions).
    """

    geoms: ObjArray
    gained: BoolArray
    area_km2: FloatArray
    kept: BoolArray
    region: ObjArray


@dataclasses.dataclass(frozen=True, eq=False)
class Diff:
    """What changed from one snapshot to another.

    Attributes
    ----------
    source_from, source_to, layer_from, layer_to, date_from, date_to
        The two snapshots compared.
    area_from_km2, area_to_km2
        Whole areas at both dates.
    gained_km2, lost_km2, gained_raw_km2, lost_raw_km2
        Gross change after and before the sliver filter.
    sliver_filter, regions, patches
        The filter applied, the per-region change (empty without regions), the patches.
    overlay, method
        How the overlay ran (local boxes or whole geometries) and how areas were computed.
    area_method
        The area method (:mod:`geo.area_methods`): ``"ellipsoid"``, or a
        publisher's (``"deepstate"``, ``"economist"``), whose whole areas sum
        the features without union, as the publisher does.
    notes
        Caveats (mixed sources or layers, reversed dates).
    geometry_from, geometry_to
        The two geometries compared.
    """

    source_from: str
    source_to: str
    layer_from: str
    layer_to: str
    date_from: dt.date
    date_to: dt.date
    area_from_km2: float
    area_to_km2: float
    gained_km2: float
    lost_km2: float
    gained_raw_km2: float
    lost_raw_km2: float
    sliver_filter: SliverFilter
    regions: tuple[RegionChange, ...]
    overlay: str
    method: str
    notes: tuple[str, ...]
    patches: Patches = dataclasses.field(repr=False)
    geometry_from: BaseGeometry = dataclasses.field(repr=False)
    geometry_to: BaseGeometry = dataclasses.field(repr=False)
    area_method: str = "ellipsoid"

    @property
    def source(self) -> str:
        """The source, or ``"a vs b"`` when two sources are compared."""
        return _label(self.source_from, self.source_to)

    @property
    def layer(self) -> str:
        """The layer, or ``"a vs b"`` when two layers are compared."""
        return _label(self.layer_from, self.layer_to)

    @property
    def net_km2(self) -> float:
        """``gained_km2 - lost_km2`` (after the sliver filter)."""
        return self.gained_km2 - self.lost_km2

    @property
    def unchanged_km2(self) -> float:
        """Area held at both dates."""
        return self.area_from_km2 - self.lost_raw_km2

    @functools.cached_property
    def gained(self) -> BaseGeometry:
        """Gained patches after the sliver filter (lon/lat MultiPolygon)."""
        p = self.patches
        return shapely.MultiPolygon(list(p.geoms[p.gained & p.kept]))

    @functools.cached_property
    def lost(self) -> BaseGeometry:
        """Lost patches after the sliver filter (lon/lat MultiPolygon)."""
        p = self.patches
        return shapely.MultiPolygon(list(p.geoms[~p.gained & p.kept]))

    @functools.cached_property
    def unchanged(self) -> BaseGeometry:
        """Ground held at both dates (a whole-geometry overlay, run on demand)."""
        both: BaseGeometry = overlay_op(shapely.intersection, self.geometry_from, self.geometry_to)
        return both

    def to_geodataframe(self, *, raw: bool = False) -> gpd.GeoDataFrame:
        """One row per patch: ``change``, ``area_km2``, ``region``, ``geometry``.

        Parameters
        ----------
        raw
            Include the slivers, with a ``kept`` column saying which rows they are.
        """
        p = self.patches
        rows = np.ones(len(p.geoms), dtype=bool) if raw else p.kept
        data: dict[str, Any] = {
            "change": np.where(p.gained[rows], "gained", "lost"),
            "area_km2": p.area_km2[rows],
            "region": p.region[rows],
        }
        if raw:
            data["kept"] = p.kept
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(p.geoms[rows], crs=WGS84))

    def largest_changes(self, n: int = 10, *, change: str | None = None) -> pd.DataFrame:
        """Return the ``n`` largest kept patches.

        Columns ``change``, ``area_km2``, ``lon``, ``lat``, ``region``.

        Parameters
        ----------
        n
            How many patches.
        change
            ``"gained"`` or ``"lost"`` for one kind only; both by default.
        """
        if change not in (None, "gained", "lost"):
            msg = "largest_changes"
            raise ValidationError(msg, [f"change is {change!r}, not gained/lost"])
        p = self.patches
        rows = p.kept if change is None else p.kept & (p.gained == (change == "gained"))
        idx = np.flatnonzero(rows)
        idx = idx[np.argsort(-p.area_km2[idx], kind="stable")][: max(n, 0)]
        centroids = shapely.centroid(project(p.geoms[idx]))  # true centroids, not lon/lat
        lon, lat = _FROM_ALBERS.transform(shapely.get_x(centroids), shapely.get_y(centroids))
        return pd.DataFrame(
            {
                "change": np.where(p.gained[idx], "gained", "lost"),
                "area_km2": p.area_km2[idx],
                "lon": np.asarray(lon, dtype=float),
                "lat": np.asarray(lat, dtype=float),
                "region": p.region[idx],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the diff as a JSON-ready dict (km² rounded to 1 m²)."""
        totals = ("area_from_km2", "area_to_km2", "gained_km2", "lost_km2", "net_km2")
        data: dict[str, Any] = {
            "source": self.source,
            "layer": self.layer,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "source_from": self.source_from,
            "source_to": self.source_to,
            "layer_from": self.layer_from,
            "layer_to": self.layer_to,
            "days": (self.date_to - self.date_from).days,
            **{key: _km2(getattr(self, key)) for key in totals},
            "unchanged_km2": _km2(self.unchanged_km2),
            "method": self.method,
            "area_method": self.area_method,
            "overlay": self.overlay,
            "sliver_filter": {
                **dataclasses.asdict(self.sliver_filter),
                "description": self.sliver_filter.description,
                "patches_dropped": int((~self.patches.kept).sum()),
            },
            "raw": {
                "gained_km2": _km2(self.gained_raw_km2),
                "lost_km2": _km2(self.lost_raw_km2),
                "net_km2": _km2(self.gained_raw_km2 - self.lost_raw_km2),
            },
            "regions": [region.to_dict() for region in self.regions],
        }
        if self.regions:  # ground in no region (negative where regions overlap)
            data["outside_regions"] = {
                key: _km2(getattr(self, key) - sum(getattr(r, key) for r in self.regions))
                for key in totals[:4]
            }
        data["notes"] = list(self.notes)
        return data

    def map(self, *, notice: str | None = None, **kw: Any) -> folium.Map:
        """Draw gained, lost and unchanged ground with the per-region table (inline in Jupyter).

        Parameters
        ----------
        notice
            A banner that must stay visible; the synthetic-data notice is
            always shown when either snapshot is the bundled sample.
        **kw
            Passed to :func:`geo.render.diff_map`: ``regions`` (outlines),
            ``region_names``, ``title``, ``subtitle``, ``lang``, ``tiles``
            (``None`` for none), ``top_n``, ``places``, ``attribution``.
        """
        from geo.render import diff_map

        return diff_map(self, notice=notice, **kw)

    def __repr__(self) -> str:
        return one_line(
            f"<Diff {self.source}/{self.layer} {self.date_from.isoformat()} → "
            f"{self.date_to.isoformat()}: +{self.gained_km2:,.2f} km² gained, "
            f"-{self.lost_km2:,.2f} km² lost, net {self.net_km2:+,.2f} km²>"
        )

    def _repr_html_(self) -> str:
        rows = [(r.region, r.gained_km2, r.lost_km2, r.net_km2) for r in self.regions]
        rows.append(("Total", self.gained_km2, self.lost_km2, self.net_km2))
        body = "".join(
            f"<tr><td>{escape_text(name)}</td><td>{g:,.2f}</td><td>{lo:,.2f}</td>"
            f"<td>{n:+,.2f}</td></tr>"
            for name, g, lo, n in rows
        )
        caption = html.escape(f"{self!r} ({self.method})")
        return (
            f"<table><caption>{caption}</caption><thead><tr><th>Region</th><th>Gained km²</th>"
            f"<th>Lost km²</th><th>Net km²</th></tr></thead><tbody>{body}</tbody></table>"
        )


def diff_geometries(a: BaseGeometry, b: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    """Gained (``b - a``) and lost (``a - b``) ground of two lon/lat geometries, unfiltered.

    Raises
    ------
    InputFormatError
        If a geometry is not polygonal or is invalid.
    CRSError
        If coordinates cannot be lon/lat.
    """
    pa = prepare(a, where="geometry a", check=True)
    ov = overlay(pa, prepare(b, where="geometry b", check=True))
    return shapely.MultiPolygon(list(ov.parts[ov.gained])), shapely.MultiPolygon(
        list(ov.parts[~ov.gained])
    )


def diff(
    a: Snapshot,
    b: Snapshot,
    *,
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Iterable[str] | None = None,
    min_area_km2: float = DEFAULT_MIN_AREA_KM2,
    min_width_m: float = DEFAULT_MIN_WIDTH_M,
    allow_mixed: bool = False,
    method: str = "ellipsoid",
) -> Diff:
    """Diff two snapshots of one source and layer (or of two sources on one date).

    Parameters
    ----------
    a, b
        The earlier and the later snapshot.
    regions
        Regions in EPSG:4326 with a ``region`` column (as
        ``geo.regions.load_regions`` returns); rows with the same name are merged.
        Only the regions that hold or border the ground at either date are
        kept (:func:`geo.region_select.select_regions`), so a world boundary
        set gives the dozen regions of the front, not hundreds of zeros.
    region_names
        Keep these regions instead (any name or code
        :func:`geo.regions.resolve_region` accepts), held or not; pass
        ``regions["region"]`` for every region.
    min_area_km2, min_width_m
        The sliver filter (see :class:`SliverFilter`).
    allow_mixed
        Compare different layers, or different sources on different dates.
    method
        Area method (:mod:`geo.area_methods`): ``"ellipsoid"`` (default),
        ``"deepstate"`` or ``"economist"``. With a publisher's method the whole
        areas are the publisher's sums over features (overlaps twice) and
        gains, losses and regions measure the union the publisher's way; a
        note says when the two disagree (overlaps changed).

    Raises
    ------
    ValidationError
        If the pair mixes layers or sources and ``allow_mixed`` is false, or
        the method is unknown, or ``region_names`` comes without ``regions``.
    RegionError
        If the regions frame is unusable, or a name in ``region_names`` is
        unknown or not among the regions.

    Examples
    --------
    >>> from geo.io import read_many
    >>> from geo.regions import load_regions
    >>> from geo.sample import sample_dir, sample_regions_file
    >>> snapshots = read_many([sample_dir()], source="sample").snapshots
    >>> control = [s for s in snapshots if s.layer == "russian_control"]
    >>> d = diff(control[0], control[-1], regions=load_regions(sample_regions_file()))
    >>> d
    <Diff sample/russian_control 2024-08-15 → 2025-03-15: +10,124.46 km² gained,
     -0.00 km² lost, net +10,124.46 km²>
    >>> [(r.region, round(r.net_km2)) for r in d.regions if r.net_km2]
    [('Zaporizhzhia', 1104), ('Donetsk', 5984), ('Luhansk', 3036)]
    >>> d.largest_changes(1)[["change", "region"]].to_dict("records")
    [{'change': 'gained', 'region': 'Donetsk'}]
    """
    return diff_series(
        [a, b], regions=regions, region_names=region_names, min_area_km2=min_area_km2,
        min_width_m=min_width_m, allow_mixed=allow_mixed, method=method,
    )[0]  # fmt: skip


def diff_series(
    snapshots: Iterable[Snapshot] | SnapshotSeries,
    *,
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Iterable[str] | None = None,
    min_area_km2: float = DEFAULT_MIN_AREA_KM2,
    min_width_m: float = DEFAULT_MIN_WIDTH_M,
    allow_mixed: bool = False,
    method: str = "ellipsoid",
    jobs: Jobs = None,
    executor: Executor | None = None,
    progress: Progress = None,
) -> list[Diff]:
    """Diff each snapshot with the next one, in the order given.

    Segment hashes are computed once per snapshot. Whole and per-region areas
    are computed for the first snapshot; after a local overlay the next ones
    are the previous ones plus gained minus lost (agreeing with direct overlays
    to ~1e-9, pinned by tests), after a whole overlay they are computed again.
    The pairs run in chunks of consecutive pairs (:mod:`geo.changes`), on
    ``jobs`` local processes or an ``executor`` if given (see
    :mod:`geo.parallel`), with identical results. By default the regions kept
    are those that hold or border the ground at any date of the series, the
    same for every diff. Other parameters and errors as in :func:`diff`.

    Parameters
    ----------
    snapshots
        Snapshots, or a :class:`~geo.series.SnapshotSeries` read from a store
        (no GeoDataFrame is built for it).
    regions, region_names, min_area_km2, min_width_m, allow_mixed, method
        As in :func:`diff`.
    jobs
        ``None``/1: in this thread; ``N``: N local processes; ``0``: one per core.
    executor
        Any :class:`concurrent.futures.Executor` (threads, processes, a Dask
        client's ``get_executor()``); takes precedence over ``jobs``.
    progress
        A progress bar on stderr (``None``: when stderr is a terminal).

    Examples
    --------
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir
    >>> snapshots = read_many([sample_dir()], source="sample").snapshots
    >>> salient = [s for s in snapshots if s.layer == "ukrainian_control_russia"]
    >>> for d in diff_series(salient):
    ...     print(d.date_to, f"gained {d.gained_km2:.0f} km², lost {d.lost_km2:.0f} km²")
    2024-09-15 gained 983 km², lost 0 km²
    2024-11-15 gained 0 km², lost 174 km²
    2025-01-15 gained 0 km², lost 614 km²
    2025-03-15 gained 0 km², lost 312 km²
    """
    method = check_area_method(method)
    if isinstance(snapshots, SnapshotSeries):
        series = snapshots
        geoms = list(series.geometries)
        metas = [
            _Meta(series.source, series.layer, d, series.where(i))
            for i, d in enumerate(series.dates)
        ]
        totals = None
        if method != "ellipsoid":  # the publisher's sums over each snapshot's features
            totals = [features_area_km2(series.features(i), method) for i in range(len(series))]
    else:
        snaps = list(snapshots)
        geoms = [s.geometry for s in snaps]
        metas = [_Meta(s.source, s.layer, s.date, _name(s)) for s in snaps]
        totals = None if method == "ellipsoid" else [s.area_km2_by(method) for s in snaps]
    notes = [_check_pair(a, b, allow_mixed=allow_mixed) for a, b in pairwise(metas)]
    sliver = SliverFilter(min_area_km2, min_width_m)
    regs = None
    if regions is not None:
        chosen = select_regions(check_regions(regions), names=region_names, near=geoms)
        regs = regions_for(prepare_regions(chosen), method)
    elif region_names is not None:
        msg = "cannot pick regions by name"
        raise ValidationError(msg, ["region_names= needs regions=load_regions(FILE)"])
    if len(metas) < 2:
        return []
    names = [m.name for m in metas]
    shapes = [polygonal(g, where=name, check=False) for g, name in zip(geoms, names, strict=True)]
    changes = iter_changes(
        shapes, names, regions=regs, sliver=sliver, keep_patches=True,
        jobs=jobs, executor=executor, progress=progress, method=method, totals=totals,
    )  # fmt: skip
    return [
        _build(metas[c.index], metas[c.index + 1], c, shapes, regs, sliver, notes[c.index], method)
        for c in changes
    ]


class _Meta(NamedTuple):
    """What a diff needs to know of a snapshot besides its geometry."""

    source: str
    layer: str
    date: dt.date
    name: str


def _build(
    a: _Meta,
    b: _Meta,
    c: Chained,
    shapes: list[BaseGeometry],
    regs: Regions | None,
    sliver: SliverFilter,
    notes: tuple[str, ...],
    method: str,
) -> Diff:
    ch = c.change
    assert ch.parts is not None and ch.gained is not None and ch.area_km2 is not None
    assert ch.kept is not None and ch.region is not None
    if method != "ellipsoid":  # the publisher's total sums the features: not a union's change
        union_change = ch.gained_raw_km2 - ch.lost_raw_km2
        total_change = c.area_to_km2 - c.area_from_km2
        notes = notes + _overlap_note(total_change, union_change, c.area_to_km2)
    rows: tuple[RegionChange, ...] = ()
    if regs is not None and ch.region_sums is not None:
        sums = ch.region_sums
        columns = (regs.area_km2, c.region_from_km2, c.region_to_km2, sums[2], sums[3])
        rows = tuple(
            RegionChange(name, *(float(x[j]) for x in columns))  # type: ignore[index]
            for j, name in enumerate(regs.names)
        )
    return Diff(
        source_from=a.source, source_to=b.source, layer_from=a.layer, layer_to=b.layer,
        date_from=a.date, date_to=b.date,
        area_from_km2=c.area_from_km2, area_to_km2=c.area_to_km2,
        gained_km2=ch.gained_km2, lost_km2=ch.lost_km2,
        gained_raw_km2=ch.gained_raw_km2, lost_raw_km2=ch.lost_raw_km2,
        sliver_filter=sliver, regions=rows, overlay=ch.mode, notes=notes,
        method=AREA_METHOD if method == "ellipsoid" else describe_method(method),
        patches=Patches(ch.parts, ch.gained, ch.area_km2, ch.kept, ch.region),
        geometry_from=shapes[c.index], geometry_to=shapes[c.index + 1],
        area_method=method,
    )  # fmt: skip


def _check_pair(a: _Meta, b: _Meta, *, allow_mixed: bool) -> tuple[str, ...]:
    problems = []
    if a.layer != b.layer:
        problems.append(f"layers differ ({a.layer!r} vs {b.layer!r})")
    if a.source != b.source and a.date != b.date:
        problems.append(
            f"sources ({a.source!r} vs {b.source!r}) and dates differ, so source "
            "differences would mix with real change"
        )
    if problems and not allow_mixed:
        msg = (
            f"cannot diff {a.name} with {b.name}: pick one source and layer (or two "
            "sources on one date), or pass allow_mixed=True"
        )
        raise ValidationError(
            msg,
            problems,
        )
    if b.date < a.date:
        problems.append(f"'to' ({b.date}) is earlier than 'from' ({a.date})")
    return tuple(problems)


# --- small helpers ----------------------------------------------------------------------


def _overlap_note(total_change: float, union_change: float, total: float) -> tuple[str, ...]:
    # below 1e-6 of the area the two differ by float noise and the overlay's new vertices
    if abs(total_change - union_change) <= max(0.01, 1e-6 * abs(total)):
        return ()
    return (
        f"the whole areas sum the features as the publisher does (overlaps twice): they changed "
        f"by {total_change:+,.3f} km², the union by {union_change:+,.3f} km²",
    )


def _name(s: Snapshot) -> str:
    return f"{s.source}/{s.layer} {s.date.isoformat()} ({s.provenance.path})"


def _label(x: str, y: str) -> str:
    return x if x == y else f"{x} vs {y}"


def _km2(value: float) -> float:
    return round(float(value), 6)


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None
