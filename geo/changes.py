"""The diff engine over a series: consecutive pairs in chunks, on any executor.

:func:`iter_changes` diffs each geometry of a series with the next one, as
:func:`geo.diff.diff_series` and :func:`geo.stats.timeseries` need. The pairs
are cut into chunks of :data:`CHUNK_PAIRS` consecutive pairs; a chunk is one
task (:func:`run_chunk`): hash the boundary segments of its geometries, overlay
each pair, project the patches, measure them against the regions, filter
slivers. Tasks run in the calling thread, on local processes or on any
:class:`concurrent.futures.Executor` (see :mod:`geo.parallel`).

What a task cannot know is the area held before its first pair: after a
local overlay the area at the later date is the earlier area plus gained minus
lost (:mod:`geo.diff`), a chain through the whole series. So tasks return the
figures of each pair that do not depend on it (:class:`PairChange`), and the
caller chains the areas in date order (:func:`chain`), the same additions in
the same order as a single serial pass: the results are identical whichever
way, and however finely, the pairs were cut.

Tasks sent to an executor carry their geometries as WKB (compact to pickle,
and each task parses its own copy: GEOS objects, prepared ones above all, are
not shared between threads) and the regions to be rebuilt (prepared) per task.

Area methods (:mod:`geo.area_methods`). With ``"ellipsoid"`` every km² is
Albers (:mod:`geo.areas`) and whole areas are chained as above. With a
publisher's method the patches and the regions are measured that way
(slivers are still judged on their Albers areas, so that the same patches are
dropped whatever the method), and the whole area of each date is the
publisher's sum over its features, not a union's: no chain, one figure per
snapshot (:attr:`ChunkResult.totals`).

Regions near the ground (:class:`NearProbe`). Which regions a time series is
about (those that hold or border the layer at any date,
:func:`geo.region_select.select_regions`) is known only once every date has
been seen; a stored series is never held whole, so each task also tests its
own dates against the region rows not found yet when it is made, and the
rows found are gathered as the chunks come back.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area_methods import check_area_method, features_area_km2, parts_area_km2
from geo.areas import (
    Measure,
    Regions,
    area_km2,
    part_regions,
    project,
    rebuild_regions,
    region_areas,
)
from geo.overlay import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjArray,
    Overlay,
    Prepared,
    overlay,
    prepare_many,
    run_starts,
)
from geo.parallel import Jobs, executor_for, map_ordered
from geo.progress import Progress, progress_bar
from geo.region_select import DEFAULT_BORDER_KM, near_mask
from geo.sanity import features_digest
from geo.series import SnapshotSeries

#: Consecutive pairs per task: enough to vectorize over, small enough to spread and stream.
CHUNK_PAIRS = 32


def measure_for(method: str) -> Measure:
    """Km² of an array of lon/lat geometries: Albers for ``"ellipsoid"``, else a publisher's way."""
    if check_area_method(method) == "ellipsoid":
        return area_km2
    return functools.partial(parts_area_km2, method=method)


def regions_for(regs: Regions, method: str) -> Regions:
    """Regions whose own areas (:attr:`Regions.area_km2`, for shares) are measured by ``method``."""
    if check_area_method(method) == "ellipsoid":
        return regs
    return dataclasses.replace(regs, area_km2=measure_for(method)(regs.geoms))


class Sliver(Protocol):
    """What a task needs of :class:`geo.diff.SliverFilter`."""

    def keep(self, projected: ObjArray, area_km2: FloatArray) -> BoolArray:
        """Which patches are kept."""
        ...


@dataclasses.dataclass(frozen=True, eq=False)
class PairChange:
    """The figures of one consecutive pair that do not depend on the areas before it.

    Attributes
    ----------
    parts, gained, area_km2, kept, region
        The patches (largest first, gained before lost), or ``None`` when
        only totals were asked for.
    mode, local
        How the overlay ran; after a local one the later areas follow from the
        earlier ones plus the change.
    gained_raw_km2, lost_raw_km2, gained_km2, lost_km2
        Gross change before and after the sliver filter.
    empty_to
        The later geometry has no area.
    area_to_km2, region_to_km2
        The later areas, measured directly (after a whole overlay only).
    region_sums
        Per region: gained and lost before, then after the sliver filter (4 rows).
    """

    parts: ObjArray | None
    gained: BoolArray | None
    area_km2: FloatArray | None
    kept: BoolArray | None
    region: ObjArray | None
    mode: str
    local: bool
    gained_raw_km2: float
    lost_raw_km2: float
    gained_km2: float
    lost_km2: float
    empty_to: bool
    area_to_km2: float | None
    region_to_km2: FloatArray | None
    region_sums: FloatArray | None


@dataclasses.dataclass(eq=False)
class NearProbe:
    """Which region rows hold or border the ground at any date of a series, found while diffing.

    Pass one to :func:`iter_changes`: every task tests its dates against the
    rows of ``geoms`` (region rows in lon/lat) not found by an earlier task
    when it is made, with :func:`geo.region_select.near_mask`; :attr:`mask`
    (rows found) is complete once the iteration is over, the same however
    the dates were cut.
    """

    geoms: ObjArray
    border_km: float = DEFAULT_BORDER_KM
    mask: BoolArray = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        """Start with no row found."""
        self.mask = np.zeros(len(self.geoms), dtype=bool)


@dataclasses.dataclass(frozen=True, eq=False)
class ChunkTask:
    """One task: consecutive geometries (objects, WKB or a stored series) and how to diff them."""

    names: Sequence[str]
    sliver: Any
    regions: Regions | None
    first: bool  # measure the areas of the first geometry (the start of the chain)
    keep_patches: bool
    geoms: Sequence[BaseGeometry] | None = None
    wkb: Sequence[bytes] | None = None
    series: SnapshotSeries | None = None
    private: bool = False  # rebuild the regions: the task may run beside others in threads
    method: str = "ellipsoid"  # area method (geo.area_methods)
    totals: Sequence[float] | None = None  # a publisher's whole areas, when not from a series
    digests: bool = False  # return each geometry's features digest (series only)
    near: ObjArray | None = None  # region rows to test the geometries against (NearProbe)
    near_index: IntArray | None = None  # their positions in the probe
    border_km: float = DEFAULT_BORDER_KM


@dataclasses.dataclass(frozen=True, eq=False)
class ChunkResult:
    """What a task returns: its pairs, and the first geometry's areas if asked for.

    ``totals`` are the publisher's whole areas of each geometry of the task
    (``None`` for ``"ellipsoid"``); ``digests`` each one's
    :func:`geo.sanity.features_digest` when asked for; ``near`` the
    positions (in the :class:`NearProbe`) of the task's region rows that hold
    or border any of its geometries.
    """

    pairs: list[PairChange]
    first_area_km2: float | None
    first_region_km2: FloatArray | None
    totals: list[float] | None = None
    digests: list[str] | None = None
    near: IntArray | None = None


def _geometries(task: ChunkTask) -> list[BaseGeometry]:
    if task.series is not None:
        return list(task.series.geometries)
    if task.wkb is not None:
        return list(shapely.from_wkb(np.asarray(task.wkb, dtype=object)))
    assert task.geoms is not None
    return list(task.geoms)


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Diff each geometry of a task with the next one (a task function for executors)."""
    regs = task.regions
    if regs is not None and task.private:
        regs = rebuild_regions(regs)
    # Vectorized over all geometries and pairs of the chunk at once: per-call overheads
    # dominate when consecutive geometries differ by a few small patches.
    geoms = _geometries(task)
    preps = prepare_many(geoms, where=list(task.names), check=False)
    overlays = [overlay(pa, pb) for pa, pb in pairwise(preps)]
    projected = np.split(
        project(np.concatenate([ov.parts for ov in overlays] or [np.empty(0, dtype=object)])),
        np.cumsum([len(ov.parts) for ov in overlays])[:-1],
    )
    method, keep = task.method, task.keep_patches
    pairs = [
        pair_change(preps[i + 1], ov, projected[i], regs, task.sliver, patches=keep, method=method)
        for i, ov in enumerate(overlays)
    ]
    first_area = first_regions = None
    if task.first:
        first_area = area_km2(preps[0].geometry) if method == "ellipsoid" else None
        if regs is not None:
            first_regions = region_areas(preps[0].geometry, regs, measure=measure_for(method))
    totals: list[float] | None = None
    if method != "ellipsoid":
        if task.series is not None:
            series = task.series
            totals = [features_area_km2(series.features(i), method) for i in range(len(series))]
        else:
            assert task.totals is not None, "a publisher's method needs the totals"
            totals = [float(t) for t in task.totals]
    digests = None
    if task.digests:
        assert task.series is not None, "digests come from a stored series"
        digests = [features_digest(task.series.features(i)) for i in range(len(task.series))]
    near = None
    if task.near is not None and task.near_index is not None:
        rows = task.near
        if task.private:  # shared GEOS objects are not for threads: a copy of the rows
            rows = np.asarray(shapely.from_wkb(shapely.to_wkb(rows)), dtype=object)
        near = task.near_index[near_mask(rows, geoms, border_km=task.border_km)]
    return ChunkResult(pairs, first_area, first_regions, totals, digests, near)


def pair_change(
    pb: Prepared,
    ov: Overlay,
    projected: ObjArray,
    regs: Regions | None,
    sliver: Sliver,
    *,
    patches: bool,
    method: str = "ellipsoid",
) -> PairChange:
    """Areas, sliver filter and regions of one overlay (``pb``: the later geometry).

    Patches are ordered and judged as slivers by their Albers areas whatever the
    method; their reported areas, the totals and the regions are ``method``'s.
    """
    albers = np.nan_to_num(shapely.area(projected)) / 1e6
    order = np.lexsort((-albers, ~ov.gained))
    parts, is_gained, albers = ov.parts[order], ov.gained[order], albers[order]
    kept = sliver.keep(projected[order], albers)  # slivers alike whatever the method
    area = albers if method == "ellipsoid" else parts_area_km2(parts, method)
    region_of = np.full(len(parts), None, dtype=object)
    sums = region_to = None
    if regs is not None:
        measure = measure_for(method)
        pi, rj, overlap = part_regions(parts, area, regs, measure=measure)
        masks = (is_gained, ~is_gained, kept & is_gained, kept & ~is_gained)
        n_regions = len(regs.names)
        sums = np.array([np.bincount(rj, overlap * m[pi], minlength=n_regions) for m in masks])
        if not ov.local:
            region_to = region_areas(pb.geometry, regs, measure=measure)
        best = np.lexsort((-overlap, pi))  # the region holding most of each patch
        first = best[run_starts(pi[best][1:] != pi[best][:-1])] if len(best) else best
        region_of[pi[first]] = np.asarray(regs.names, dtype=object)[rj[first]]
    return PairChange(
        parts=parts if patches else None,
        gained=is_gained if patches else None,
        area_km2=area if patches else None,
        kept=kept if patches else None,
        region=region_of if patches else None,
        mode=ov.mode,
        local=ov.local,
        gained_raw_km2=float(area[is_gained].sum()),
        lost_raw_km2=float(area[~is_gained].sum()),
        gained_km2=float(area[kept & is_gained].sum()),
        lost_km2=float(area[kept & ~is_gained].sum()),
        empty_to=not pb.area_deg2,
        area_to_km2=None if ov.local or method != "ellipsoid" else area_km2(pb.geometry),
        region_to_km2=region_to,
        region_sums=sums,
    )


def chain(
    area_from: float,
    region_from: FloatArray | None,
    pair: PairChange,
    *,
    total_to: float | None = None,
) -> tuple[float, FloatArray | None]:
    """Return the areas at the later date of a pair, from those at the earlier one.

    After a local overlay everything outside the boxes is equal, so the new
    areas follow from the change; after a whole overlay they were measured.
    ``total_to``, a publisher's whole area of the later date, is taken as it is.
    """
    if total_to is not None:
        area_to = total_to
    elif pair.local:
        area_to = area_from + pair.gained_raw_km2 - pair.lost_raw_km2
    else:
        assert pair.area_to_km2 is not None
        area_to = pair.area_to_km2
    area_to = 0.0 if pair.empty_to else area_to
    if region_from is None or pair.region_sums is None:
        return area_to, None
    if pair.local:
        return area_to, np.maximum(region_from + pair.region_sums[0] - pair.region_sums[1], 0.0)
    return area_to, pair.region_to_km2


@dataclasses.dataclass(frozen=True, eq=False)
class Chained:
    """One pair of a series with the areas before and after it."""

    index: int  # the pair's earlier geometry
    change: PairChange
    area_from_km2: float
    area_to_km2: float
    region_from_km2: FloatArray | None
    region_to_km2: FloatArray | None
    digest_from: str | None = None  # features digests, when asked for
    digest_to: str | None = None


def iter_changes(
    items: SnapshotSeries | Sequence[BaseGeometry],
    names: Sequence[str],
    *,
    regions: Regions | None,
    sliver: Any,
    keep_patches: bool,
    jobs: Jobs = None,
    executor: Executor | None = None,
    progress: Progress = False,
    chunk_pairs: int | None = None,
    method: str = "ellipsoid",
    totals: Sequence[float] | None = None,
    digests: bool = False,
    near: NearProbe | None = None,
    desc: str = "diffing",
) -> Iterator[Chained]:
    """Diff each item with the next, in chunks, and chain the areas in date order.

    Parameters
    ----------
    items
        A stored series (each chunk reads its own files, so a long archive is
        never held at once) or geometries in memory.
    names
        One name per item, for error messages.
    regions, sliver, keep_patches
        Regions (prepared), the sliver filter, and whether to return the patches.
    jobs, executor, progress
        See :mod:`geo.parallel` and :mod:`geo.progress`.
    chunk_pairs
        Consecutive pairs per task (default :data:`CHUNK_PAIRS`).
    method
        Area method (:mod:`geo.area_methods`); ``regions`` should come from
        :func:`regions_for` with the same method.
    totals
        With a publisher's method and geometries in memory: each item's whole
        area as the publisher sums it (a stored series gives them itself).
    digests
        Fill :attr:`Chained.digest_from` and ``digest_to`` (a stored series only).
    near
        Find the region rows that hold or border any item (:class:`NearProbe`);
        its mask is complete once the iteration is over.
    desc
        Label of the progress bar.
    """
    chunk_pairs = chunk_pairs or CHUNK_PAIRS
    method = check_area_method(method)
    n = len(items)
    if n < 2:
        return
    if method != "ellipsoid" and totals is None and not isinstance(items, SnapshotSeries):
        msg = f"method={method!r} needs totals= for geometries in memory"
        raise ValueError(msg)
    if digests and not isinstance(items, SnapshotSeries):
        msg = "digests=True needs a stored series"
        raise ValueError(msg)
    extra: dict[str, Any] = {"method": method, "digests": digests}
    with executor_for(jobs, executor) as pool:
        tasks = _tasks(
            items, names, regions, sliver, keep_patches, pool is not None, chunk_pairs,
            totals=totals, extra=extra,
        )  # fmt: skip
        if near is not None:
            tasks = _probing(tasks, near)
        chained = _chain_all(map_ordered(run_chunk, tasks, executor=pool), near)
        bar = progress_bar(chained, progress=progress, desc=desc, unit="pair", total=n - 1)
        yield from bar


def _chain_all(results: Iterator[ChunkResult], near: NearProbe | None) -> Iterator[Chained]:
    """Chain the areas through the pairs of every chunk, in order (and combine the near masks)."""
    area: float | None = None
    region: FloatArray | None = None
    index = 0
    for number, result in enumerate(results):
        if near is not None and result.near is not None:
            near.mask[result.near] = True
        if number == 0:  # the first chunk: the chain's start
            area = result.first_area_km2
            if result.totals is not None:
                area = result.totals[0]
            region = result.first_region_km2
        digests = result.digests
        for k, pair in enumerate(result.pairs):
            assert area is not None
            total_to = None if result.totals is None else result.totals[k + 1]
            area_to, region_to = chain(area, region, pair, total_to=total_to)
            yield Chained(
                index, pair, area, area_to, region, region_to,
                digest_from=None if digests is None else digests[k],
                digest_to=None if digests is None else digests[k + 1],
            )  # fmt: skip
            area, region, index = area_to, region_to, index + 1


def _probing(tasks: Iterator[ChunkTask], near: NearProbe) -> Iterator[ChunkTask]:
    """Yield the tasks, each also testing the region rows not found when it is made.

    Tasks are made as they are needed: one at a time in this thread, so each
    tests only what the ones before it left; a few ahead on an executor.
    """
    for task in tasks:
        todo = np.flatnonzero(~near.mask)
        if len(todo) == 0:
            yield task
            continue
        yield dataclasses.replace(
            task, near=near.geoms[todo], near_index=todo, border_km=near.border_km
        )


def _tasks(
    items: SnapshotSeries | Sequence[BaseGeometry],
    names: Sequence[str],
    regions: Regions | None,
    sliver: Any,
    keep_patches: bool,
    remote: bool,
    chunk_pairs: int,
    *,
    totals: Sequence[float] | None,
    extra: dict[str, Any],
) -> Iterator[ChunkTask]:
    common = {"sliver": sliver, "regions": regions, "keep_patches": keep_patches, **extra}
    if isinstance(items, SnapshotSeries):
        for number, chunk in enumerate(items.chunks(chunk_pairs + 1, overlap=1)):
            start = number * chunk_pairs
            yield ChunkTask(
                names=names[start : start + len(chunk)], first=number == 0,
                series=chunk.load() if remote else chunk, private=remote, **common,
            )  # fmt: skip
        return
    for start in range(0, len(items) - 1, chunk_pairs):
        geoms = items[start : start + chunk_pairs + 1]
        part = names[start : start + len(geoms)]
        mine = None if totals is None else list(totals[start : start + len(geoms)])
        if remote:  # WKB: compact to pickle, and a private copy for each task
            wkb = list(shapely.to_wkb(np.asarray(geoms, dtype=object)))
            yield ChunkTask(
                names=part, first=start == 0, wkb=wkb, private=True, totals=mine, **common
            )
        else:
            yield ChunkTask(names=part, first=start == 0, geoms=geoms, totals=mine, **common)
