"""Places that changed hands: gazetteer points inside a layer at one date and outside at another.

:func:`places_changed` tests every place of a :class:`~geo.gazetteer.Gazetteer`
against the layer's snapshots at the two dates (vectorized point-in-polygon,
``shapely.contains_xy`` on prepared geometries) and keeps those whose side
differs: ``gained`` (outside, then inside the layer) or ``lost`` (inside, then
outside). A place on the boundary counts as outside.

``first_seen`` is found by bisection over the stored dates between the two:
the place is on the old side at the first date and on the new side at the
last, so halving the interval keeps one date on each side and ends on a date
where it is on the new side while the stored date before it is on the old
side, in log2(n) steps. Control can flip back and forth (a village taken,
lost and taken again): bisection then finds *a* transition, not necessarily the
earliest or the latest one; only a scan of every date would find all of them.
Every place starts on the interval of all dates, so the intervals form one
binary tree and each stored date is the midpoint of at most one of them: its
snapshot is read once, in one step, for every place whose interval it halves,
then dropped. The whole DeepState daily archive costs at most one read per
stored date and usually far fewer, and memory holds one step's work at most.
The snapshots of a step can be tested in parallel (``jobs=``, ``executor=``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DateError
from geo.gazetteer import ATTRIBUTION, Gazetteer, load_gazetteer, select_places, sort_places
from geo.parallel import Jobs, executor_for, map_ordered
from geo.progress import Progress, progress_bar
from geo.series import SnapshotSeries
from geo.store import Store

#: Columns of the :func:`places_changed` frame, in order.
PLACES_COLUMNS = (
    "change", "name", "name_uk", "oblast", "lon", "lat", "population", "geonames_id",
    "first_seen", "country", "feature_code",
)  # fmt: skip
#: Columns of :func:`places_records` (one JSON object per place).
RECORD_COLUMNS = PLACES_COLUMNS[:9]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def places_changed(
    store: Store,
    layer: str,
    start: dt.date,
    end: dt.date,
    *,
    gazetteer: Gazetteer | str | Path | Sequence[str | Path],
    source: str | None = None,
    min_population: int | None = None,
    oblast: str | Sequence[str] | None = None,
    jobs: Jobs = None,
    executor: Executor | None = None,
    progress: Progress = None,
) -> pd.DataFrame:
    r"""Every place inside ``layer`` at one date and outside at the other.

    Parameters
    ----------
    store
        The snapshot store.
    layer
        Layer name as stored, e.g. ``"russian_control"``.
    start, end
        The two dates; each uses the nearest stored snapshot on or before it
        (the dates used are in ``attrs["date_from"]`` and ``attrs["date_to"]``).
    gazetteer
        A :class:`~geo.gazetteer.Gazetteer` or GeoNames file(s) for
        :func:`~geo.gazetteer.load_gazetteer`.
    source
        Source name; needed when several sources hold the layer.
    min_population
        Keep places with at least this population (places without a known
        population are then left out).
    oblast
        Keep places of these regions only (any name or code
        :func:`geo.regions.resolve_region` knows).
    jobs, executor
        Test the snapshots of each bisection step on ``jobs`` local processes
        or on any :class:`concurrent.futures.Executor` (see :mod:`geo.parallel`);
        the result is the same.
    progress
        A progress bar over the bisection steps on stderr (``None``: when
        stderr is a terminal).

    Returns
    -------
    pandas.DataFrame
        :data:`PLACES_COLUMNS`, one row per place: ``change`` is ``"gained"``
        (entered the layer) or ``"lost"`` (left it); ``first_seen`` the first
        stored date on the new side found by bisection (see the module notes:
        with back-and-forth changes it is *a* transition). Sorted by population
        (largest first, unknown last), then name. ``attrs`` holds ``source``,
        ``layer``, ``date_from``, ``date_to``, ``n_dates`` (stored dates
        between them), ``n_tested`` (places tested), ``lookups`` (snapshots
        read, the two ends included) and ``attribution``.

    Raises
    ------
    DateError
        If ``start`` is after ``end``.
    SnapshotNotFoundError
        If the layer has no snapshot on or before a date.
    StoreError
        If several sources hold the layer and ``source`` is not given.
    InputFormatError
        If a gazetteer file is unusable.

    Examples
    --------
    A made-up place in the bundled sample's Donetsk, reached by the front in January 2025:

    >>> import datetime as dt
    >>> import tempfile
    >>> from pathlib import Path
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir
    >>> from geo.store import open_store
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = open_store(Path(folder.name, "store"))
    >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
    >>> row = ["1", "Sampleville", "Sampleville", "", "48.0", "37.6", "P", "PPL", "UA",
    ...        "", "05", "", "", "", "1200", "", "", "Europe/Kyiv", "2026-01-01"]
    >>> gazetteer = Path(folder.name, "UA.txt")
    >>> _ = gazetteer.write_text("\t".join(row) + "\n", encoding="utf-8")
    >>> start, end = dt.date(2024, 8, 15), dt.date(2025, 3, 15)
    >>> frame = places_changed(store, "russian_control", start, end, gazetteer=gazetteer)
    >>> frame[["name", "change", "first_seen"]].to_dict("records")
    [{'name': 'Sampleville', 'change': 'gained', 'first_seen': datetime.date(2025, 1, 15)}]
    >>> folder.cleanup()
    """
    start, end = _day(start), _day(end)
    if start > end:
        msg = f"start ({start}) is after end ({end}); swap start= and end="
        raise DateError(msg)
    gaz = gazetteer if isinstance(gazetteer, Gazetteer) else load_gazetteer(gazetteer)
    places = select_places(gaz.places, min_population=min_population, oblast=oblast)
    first = store.get(layer, start, source=source, exact=False)
    last = store.get(layer, end, source=first.source, exact=False)
    series = store.read_series(layer, source=first.source, start=first.date, end=last.date)
    dates = series.dates

    x, y = places["lon"].to_numpy(float), places["lat"].to_numpy(float)
    before = _inside(first.geometry, x, y)
    after = _inside(last.geometry, x, y)
    changed = np.flatnonzero(before != after)
    hits = places.iloc[changed].copy()
    now_inside = after[changed]
    with executor_for(jobs, executor) as pool:
        bisection = _Bisection(series, x[changed], y[changed], now_inside, executor=pool)
        steps = bisection.run(progress=progress)
    hits.insert(0, "change", np.where(now_inside, "gained", "lost"))
    hits["first_seen"] = [dates[i] for i in steps]
    frame = sort_places(hits)[list(PLACES_COLUMNS)]
    frame.attrs = {
        "source": first.source,
        "layer": layer,
        "date_from": first.date,
        "date_to": last.date,
        "n_dates": len(dates),
        "n_tested": len(places),
        "lookups": (1 if len(dates) == 1 else 2) + bisection.reads,
        "attribution": ATTRIBUTION,
    }
    return frame


def places_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready dicts of a :func:`places_changed` frame (:data:`RECORD_COLUMNS`).

    Dates become ISO strings, coordinates keep 5 decimals (about 1 m), a
    missing population or Ukrainian name becomes ``None``.
    """
    records = []
    for row in frame.to_dict("records"):
        pop, uk, oblast = row["population"], row["name_uk"], row["oblast"]
        records.append(
            {
                "change": str(row["change"]),
                "name": str(row["name"]),
                "name_uk": uk if isinstance(uk, str) else None,
                "oblast": oblast if isinstance(oblast, str) else None,
                "lon": round(float(row["lon"]), 5),
                "lat": round(float(row["lat"]), 5),
                "population": None if pd.isna(pop) else int(pop),
                "geonames_id": int(row["geonames_id"]),
                "first_seen": row["first_seen"].isoformat(),
            }
        )
    return records


def format_places(
    frame: pd.DataFrame, *, limit: int | None = None, more: str = "limit=None for all"
) -> str:
    """Plain-text table of a :func:`places_changed` frame, with a header and attribution.

    Parameters
    ----------
    frame
        What :func:`places_changed` returned.
    limit
        Rows to show (``None``: all).
    more
        How to see the rows left out, said after their count.
    """
    attrs = frame.attrs
    counts = frame["change"].value_counts()
    lines = [
        f"{attrs.get('source')} {attrs.get('layer')}: {attrs.get('date_from')} -> "
        f"{attrs.get('date_to')}: {counts.get('gained', 0)} places gained, "
        f"{counts.get('lost', 0)} lost (of {attrs.get('n_tested')} tested)"
    ]
    shown = frame if limit is None else frame.head(limit)
    for row in shown.to_dict("records"):
        uk = f" ({row['name_uk']})" if isinstance(row["name_uk"], str) else ""
        pop = "" if pd.isna(row["population"]) else f"pop. {int(row['population']):,}"
        lines.append(
            f"  {row['change']:<6} {row['first_seen']}  {row['name']}{uk}, "
            f"{row['oblast'] if isinstance(row['oblast'], str) else '?'}, "
            f"{row['lat']:.4f} N {row['lon']:.4f} E  {pop}  [{row['geonames_id']}]".rstrip()
        )
    if limit is not None and len(frame) > limit:
        lines.append(f"  ... and {len(frame) - limit} more ({more})")
    lines.append(str(attrs.get("attribution", ATTRIBUTION)))
    return "\n".join(lines)


def _inside(geom: BaseGeometry, x: FloatArray, y: FloatArray) -> BoolArray:
    """Which points lie inside ``geom`` (on the boundary counts as outside)."""
    inside = np.zeros(len(x), dtype=bool)
    if len(x) and not geom.is_empty:
        shapely.prepare(geom)
        xmin, ymin, xmax, ymax = geom.bounds
        box = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        inside[box] = shapely.contains_xy(geom, x[box], y[box])
    return inside


def _inside_task(task: tuple[SnapshotSeries, FloatArray, FloatArray]) -> BoolArray:
    """Which points lie inside the one snapshot of a stored series (a task for executors)."""
    piece, x, y = task
    return _inside(piece.geometry(0), x, y)


class _Bisection:
    """Where each place is first on its new side: bisection over the stored dates.

    Every place starts on the interval of all dates and halves it at its
    midpoint, so the intervals of one step are nodes of one binary tree and
    each date is the midpoint of at most one node: a snapshot is read at most
    once, in one step, tested against every place whose interval it halves,
    and dropped.
    """

    def __init__(
        self,
        series: SnapshotSeries,
        x: FloatArray,
        y: FloatArray,
        new_side: BoolArray,
        *,
        executor: Executor | None,
    ) -> None:
        self.series, self.x, self.y, self.new_side = series, x, y, new_side
        self.executor = executor
        self.reads = 0

    def run(self, *, progress: Progress) -> IntArray:
        """Return the date index where each place is first on its new side."""
        lo = np.zeros(len(self.x), dtype=np.int64)
        hi = np.full(len(self.x), len(self.series) - 1, dtype=np.int64)
        steps = range(math.ceil(math.log2(max(len(self.series), 2))) + 1)
        for _ in progress_bar(steps, progress=progress, desc="bisecting", unit="step"):
            pending = hi - lo > 1
            if not pending.any():
                break
            mid = (lo + hi) // 2
            mids = np.unique(mid[pending])
            groups = [np.flatnonzero(pending & (mid == m)) for m in mids]
            tasks = (self._task(int(m), sel) for m, sel in zip(mids, groups, strict=True))
            results = map_ordered(_inside_task, tasks, executor=self.executor)
            for m, sel, inside in zip(mids, groups, results, strict=True):
                on_new = inside == self.new_side[sel]
                hi[sel[on_new]] = m
                lo[sel[~on_new]] = m
            self.reads += len(mids)
        return hi

    def _task(self, index: int, sel: IntArray) -> tuple[SnapshotSeries, FloatArray, FloatArray]:
        piece = self.series[index : index + 1]
        if self.executor is not None:  # workers get the WKB, not the store's path
            piece.load()
        return piece, self.x[sel], self.y[sel]


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
