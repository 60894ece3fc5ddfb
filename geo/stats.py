"""Time series over a store's dates, built on the diff engine (:mod:`geo.changes`).

For one source and layer, :func:`timeseries` gives one row per stored date:
the area held, gross gains and losses since the previous stored date, the net
change over 7 and 30 days, and, with regions, each region's area and share.
Dates missing from the store are not invented: ``days_since_previous`` says
how long each step is, and the 7- and 30-day changes compare with the latest
stored date on or before the target day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.area_methods import check_area_method, describe_method, features_area_km2
from geo.areas import Regions, area_km2, check_regions, prepare_regions
from geo.changes import Chained, NearProbe, iter_changes, regions_for
from geo.diff import AREA_METHOD, DEFAULT_MIN_AREA_KM2, DEFAULT_MIN_WIDTH_M, SliverFilter
from geo.errors import ValidationError
from geo.fsutil import write_text_atomic
from geo.overlay import polygonal
from geo.parallel import Jobs
from geo.progress import Progress
from geo.region_select import select_regions
from geo.sanity import JUMP_Z, check_catalog, check_timeseries, features_digest
from geo.text import csv_table

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.store import Store

#: Windows of the trailing net change columns, in days.
WINDOWS_DAYS = (7, 30)


def region_column(region: str, what: str) -> str:
    """Column name for a region's figure, e.g. ``donetsk_area_km2``."""
    slug = re.sub(r"[^0-9a-z]+", "_", region.casefold()).strip("_") or "region"
    return f"{slug}_{what}"


def timeseries(
    store: Store,
    layer: str,
    *,
    source: str | None = None,
    regions: gpd.GeoDataFrame | None = None,
    region_names: str | Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    min_area_km2: float = DEFAULT_MIN_AREA_KM2,
    min_width_m: float = DEFAULT_MIN_WIDTH_M,
    progress: Progress = None,
    method: str = "ellipsoid",
    check: bool = True,
    jump_z: float = JUMP_Z,
    jobs: Jobs = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Area, gross change and regional shares for every stored date of a layer.

    The snapshots are read from the store a chunk of consecutive dates at a
    time (:meth:`geo.store.Store.read_series`), diffed and reduced to figures,
    so that memory stays bounded however long the archive; the chunks run in
    this thread, on ``jobs`` local processes or on ``executor``, with identical
    results (see :mod:`geo.parallel`).

    Parameters
    ----------
    store
        The snapshot store.
    layer
        Canonical layer.
    source
        Source; required when several sources hold the layer.
    regions
        Regions with a ``region`` column (``geo.regions.load_regions``); adds
        ``<region>_area_km2`` and ``<region>_share_pct`` columns for the
        regions that hold or border the layer at any date
        (:func:`geo.region_select.select_regions`), not for every region of a
        world boundary set.
    region_names
        Columns for these regions instead (any name or code
        :func:`geo.regions.resolve_region` accepts), in this order.
    start, end
        Date range (inclusive); default all dates.
    min_area_km2, min_width_m
        Sliver filter for gross gains and losses (see :mod:`geo.diff`).
    progress
        A bar on stderr while snapshots are read and diffed: ``None`` (default)
        when stderr is a terminal, ``True`` always, ``False`` never.
    method
        Area method (:mod:`geo.area_methods`): ``"ellipsoid"`` (default),
        ``"deepstate"`` or ``"economist"`` to reproduce a publisher's figures.
    check
        Add the day-to-day sanity checks of :mod:`geo.sanity` (repeated,
        stale and implausible dates).
    jump_z
        Robust z-score beyond which a step is flagged as a jump.
    jobs
        ``None``/1: in this thread; ``N``: N local processes; ``0``: one per core.
    executor
        Any :class:`concurrent.futures.Executor`, e.g. a Dask client's
        ``get_executor()``; takes precedence over ``jobs``.

    Returns
    -------
    pandas.DataFrame
        One row per date: ``date``, ``days_since_previous``, ``area_km2``,
        ``gained_km2``, ``lost_km2``, ``net_km2`` (since the previous stored
        date; empty on the first row), ``change_7d_km2``, ``change_30d_km2``
        and the region columns; with ``check``, also ``days_of_change``,
        ``net_z``, ``gross_z``, ``same_as`` and ``flags``. ``attrs`` holds
        ``source``, ``layer``, ``method`` (in words), ``area_method`` (the key)
        and, with ``check``, ``checks`` (the rule and the flagged dates).

    Raises
    ------
    SnapshotNotFoundError
        If the store holds no snapshot of the layer in the range.
    ValidationError
        If the area method is unknown.

    Examples
    --------
    >>> import tempfile
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir, sample_regions_file
    >>> from geo.regions import load_regions
    >>> from geo.store import open_store
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = open_store(folder.name)
    >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
    >>> frame = timeseries(store, "russian_control", regions=load_regions(sample_regions_file()))
    >>> last = frame.round(1).to_dict("records")[-1]
    >>> {key: last[key] for key in ("date", "area_km2", "gained_km2", "donetsk_share_pct")}
    {'date': datetime.date(2025, 3, 15), 'area_km2': 62109.9, 'gained_km2': 2476.2,
     'donetsk_share_pct': 50.9}
    >>> folder.cleanup()
    """
    method = check_area_method(method)
    series = store.read_series(layer, source=source, start=start, end=end, progress=False)
    sliver = SliverFilter(min_area_km2, min_width_m)
    names = [series.where(i) for i in range(len(series))]

    def run(regs: Regions | None, near: NearProbe | None = None) -> list[Chained]:
        stream = iter_changes(
            series, names, regions=regs, sliver=sliver, keep_patches=False,
            jobs=jobs, executor=executor, progress=progress, method=method, digests=check,
            near=near, desc="reading and diffing",
        )  # fmt: skip
        return list(stream)

    rows, regs = _regions(regions, region_names, method)
    columns = None if regs is None else list(range(len(regs.names)))
    if rows is None:
        changes = run(regs)
    else:  # every region first; those holding or bordering a date are found on the way
        assert regs is not None
        probe = NearProbe(np.asarray(rows.geometry.values, dtype=object))
        changes = run(regs, probe)
        chosen = rows.loc[probe.mask]
        columns = _columns(rows, chosen, regs)
        if columns is None:  # a region only partly near: measure the near part alone, as diff
            regs = regions_for(prepare_regions(chosen), method)
            columns = list(range(len(regs.names)))
            changes = run(regs)
    if changes:
        area = [changes[0].area_from_km2, *(c.area_to_km2 for c in changes)]
        digests = [changes[0].digest_from, *(c.digest_to for c in changes)]
    else:  # one date: nothing to diff, the area of its geometry
        if method == "ellipsoid":
            area = [area_km2(polygonal(series.geometry(0), where=names[0], check=False))]
        else:
            area = [features_area_km2(series.features(0), method)]
        digests = [features_digest(series.features(0))] if check else []
    frame = _frame(series.dates, area, changes, regs, columns or [])
    description = AREA_METHOD if method == "ellipsoid" else describe_method(method)
    frame.attrs.update(
        {"source": series.source, "layer": layer, "method": description, "area_method": method}
    )
    if check:
        frame = check_timeseries(frame, digests, z=jump_z)
    return frame


def _frame(
    dates: list[dt.date],
    area: list[float],
    changes: list[Chained],
    regs: Regions | None,
    keep: list[int],
) -> pd.DataFrame:
    frame = pd.DataFrame({"date": dates, "area_km2": area})
    previous = [None, *dates[:-1]]
    frame["days_since_previous"] = pd.array(
        [
            (day - prev).days if prev is not None else None
            for day, prev in zip(dates, previous, strict=True)
        ],
        dtype="Int64",
    )
    frame["gained_km2"] = [np.nan, *(c.change.gained_km2 for c in changes)]
    frame["lost_km2"] = [np.nan, *(c.change.lost_km2 for c in changes)]
    frame["net_km2"] = frame["gained_km2"] - frame["lost_km2"]
    for window in WINDOWS_DAYS:
        frame[f"change_{window}d_km2"] = _trailing_change(dates, area, window)
    if changes and regs is not None:
        first = changes[0].region_from_km2
        assert first is not None
        per_region: dict[str, list[float]] = {}  # built whole: one insert per column fragments
        for j in keep:  # positions in regs of the regions with columns
            name = regs.names[j]
            values = [float(first[j]), *(_region_to(c, j) for c in changes)]
            per_region[region_column(name, "area_km2")] = values
            total = float(regs.area_km2[j])
            per_region[region_column(name, "share_pct")] = [
                100.0 * v / total if total else np.nan for v in values
            ]
        frame = pd.concat([frame, pd.DataFrame(per_region, index=frame.index)], axis=1)
    columns = ["date", "days_since_previous", "area_km2", "gained_km2", "lost_km2", "net_km2"]
    rest = [c for c in frame.columns if c not in columns]
    return frame[columns + rest]


def _regions(
    regions: gpd.GeoDataFrame | None, names: str | Iterable[str] | None, method: str
) -> tuple[gpd.GeoDataFrame | None, Regions | None]:
    """Return the regions to measure, and the rows to choose among while diffing (or ``None``).

    Named regions are chosen at once. Otherwise the choice of
    :func:`geo.region_select.select_regions` (regions holding or bordering the
    layer at any date) needs every date, which a long series never holds at
    once: every region is measured, and :class:`geo.changes.NearProbe` finds
    which to keep while the engine goes through the dates.
    """
    if regions is None:
        if names is not None:
            msg = "cannot pick regions by name"
            raise ValidationError(msg, ["region_names= needs regions=load_regions(FILE)"])
        return None, None
    rows = check_regions(regions)
    if names is not None:
        return None, regions_for(prepare_regions(select_regions(rows, names=names)), method)
    return rows, regions_for(prepare_regions(rows), method)


def _columns(rows: gpd.GeoDataFrame, chosen: gpd.GeoDataFrame, regs: Regions) -> list[int] | None:
    """Positions in ``regs`` (all rows) of the regions of ``chosen`` rows, in their order.

    ``None`` when a region is only partly chosen (a row of its name is near,
    another is not): it must then be measured as the near rows alone.
    """
    kept = list(dict.fromkeys(str(name) for name in chosen["region"]))
    every = [str(name) for name in rows["region"]]
    if sum(name in kept for name in every) != len(chosen):
        return None
    position = {name: j for j, name in enumerate(regs.names)}
    return [position[name] for name in kept]


def _region_to(change: Chained, j: int) -> float:
    assert change.region_to_km2 is not None
    return float(change.region_to_km2[j])


def _trailing_change(dates: list[dt.date], area: list[float], window: int) -> list[float]:
    ordinals = np.array([d.toordinal() for d in dates])
    values = np.asarray(area, dtype=float)
    out = []
    for day, value in zip(ordinals, values, strict=True):
        # Latest stored date on or before day - window.
        index = int(np.searchsorted(ordinals, day - window, side="right")) - 1
        out.append(value - values[index] if index >= 0 else np.nan)
    return out


def write_timeseries(frame: pd.DataFrame, path: str | Path | None, *, fmt: str = "csv") -> str:
    """Write a time series as CSV or JSON; to ``path`` atomically, or return the text.

    Parameters
    ----------
    frame
        Output of :func:`timeseries`.
    path
        File to write, or ``None`` to only return the text.
    fmt
        ``"csv"`` (with an ``area_method`` column: ``"<key>: <how>"``) or
        ``"json"`` (an object with ``source``, ``layer``, ``method``,
        ``area_method``, ``checks`` when checked, and ``rows``).
    """
    out = frame.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    if "same_as" in out.columns:
        out["same_as"] = [None if d is None else d.isoformat() for d in out["same_as"]]
    if fmt == "csv":
        key, how = frame.attrs.get("area_method", "ellipsoid"), frame.attrs.get("method", "")
        out["area_method"] = f"{key}: {how}"  # CSV has no header metadata
        text = csv_table(out, float_format="%.3f")
    elif fmt == "json":
        records = json.loads(out.to_json(orient="records", double_precision=3))
        text = json.dumps(
            {**frame.attrs, "rows": records}, ensure_ascii=False, indent=1, default=str
        )
    else:
        msg = f"unknown format {fmt!r}; use csv or json"
        raise ValidationError(msg, [])
    if path is not None:
        write_text_atomic(path, text)
    return text


def catalog_table(
    store: Store,
    *,
    layer: str | None = None,
    source: str | None = None,
    method: str = "ellipsoid",
    check: bool = False,
    jump_z: float = JUMP_Z,
) -> pd.DataFrame:
    """Return the store's catalog rows (``geo list``), with areas by method and checks.

    Parameters
    ----------
    store
        The snapshot store.
    layer, source
        Only rows of this layer / source.
    method
        Area method of the ``area_km2`` column (:mod:`geo.area_methods`); a
        publisher's method reads every listed snapshot.
    check
        Add the cheap catalog checks of :func:`geo.sanity.check_catalog`.
    jump_z
        Robust z-score beyond which a step is flagged as a jump.

    Returns
    -------
    pandas.DataFrame
        Rows as ``store.snapshots(...)`` gives them, with ``area_method``
        (and the check columns) added.
    """
    method = check_area_method(method)
    if check:
        rows = check_catalog(store, layer=layer, source=source, z=jump_z)
    else:
        rows = store.snapshots(layer=layer, source=source)
    if method != "ellipsoid":
        rows["area_km2"] = [
            store.get(str(r["layer"]), r["date"], source=str(r["source"])).area_km2_by(method)
            for r in rows.to_dict("records")
        ]
    rows["area_method"] = method
    return rows
