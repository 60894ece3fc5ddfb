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
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.areas import Regions, area_km2, prepare_regions
from geo.changes import Chained, iter_changes
from geo.diff import AREA_METHOD, DEFAULT_MIN_AREA_KM2, DEFAULT_MIN_WIDTH_M, SliverFilter
from geo.fsutil import write_text_atomic
from geo.overlay import polygonal
from geo.parallel import Jobs
from geo.progress import Progress

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
    start: dt.date | None = None,
    end: dt.date | None = None,
    min_area_km2: float = DEFAULT_MIN_AREA_KM2,
    min_width_m: float = DEFAULT_MIN_WIDTH_M,
    progress: Progress = None,
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
        ``<region>_area_km2`` and ``<region>_share_pct`` columns.
    start, end
        Date range (inclusive); default all dates.
    min_area_km2, min_width_m
        Sliver filter for gross gains and losses (see :mod:`geo.diff`).
    progress
        Show a progress bar on stderr (``None``: when stderr is a terminal).
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
        and the region columns. ``attrs`` holds ``source``, ``layer`` and
        ``method``.

    Raises
    ------
    SnapshotNotFoundError
        If the store holds no snapshot of the layer in the range.
    """
    series = store.read_series(layer, source=source, start=start, end=end)
    sliver = SliverFilter(min_area_km2, min_width_m)
    regs = None if regions is None else prepare_regions(regions)
    names = [series.where(i) for i in range(len(series))]
    stream = iter_changes(
        series, names, regions=regs, sliver=sliver, keep_patches=False,
        jobs=jobs, executor=executor, progress=progress,
    )  # fmt: skip
    changes = list(stream)
    if changes:
        area = [changes[0].area_from_km2, *(c.area_to_km2 for c in changes)]
    else:  # one date: nothing to diff, the area of its geometry
        area = [area_km2(polygonal(series.geometry(0), where=names[0], check=False))]
    frame = _frame(series.dates, area, changes, regs)
    frame.attrs.update({"source": series.source, "layer": layer, "method": AREA_METHOD})
    return frame


def _frame(
    dates: list[dt.date], area: list[float], changes: list[Chained], regs: Regions | None
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
        for j, name in enumerate(regs.names):
            values = [float(first[j]), *(_region_to(c, j) for c in changes)]
            frame[region_column(name, "area_km2")] = values
            total = float(regs.area_km2[j])
            frame[region_column(name, "share_pct")] = [
                100.0 * v / total if total else np.nan for v in values
            ]
    columns = ["date", "days_since_previous", "area_km2", "gained_km2", "lost_km2", "net_km2"]
    rest = [c for c in frame.columns if c not in columns]
    return frame[columns + rest]


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
        ``"csv"`` (with an ``area_method`` column) or ``"json"`` (an object
        with ``source``, ``layer``, ``method`` and ``rows``).
    """
    out = frame.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    if fmt == "csv":
        out["area_method"] = frame.attrs.get("method", "")  # CSV has no header metadata
        text = out.to_csv(index=False, float_format="%.3f")
    elif fmt == "json":
        records = json.loads(out.to_json(orient="records", double_precision=3))
        text = json.dumps({**frame.attrs, "rows": records}, ensure_ascii=False, indent=1)
    else:
        msg = f"unknown format {fmt!r}; use csv or json"
        raise ValueError(msg)
    if path is not None:
        write_text_atomic(path, text)
    return text
