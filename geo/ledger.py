"""A per-place ledger: for every place and stored date, which side of the line it was on.

:func:`ledger` tests every place of a gazetteer against every stored snapshot
of a control layer (``russian_control``) and, where stored, the grey zone
(``contested``), for one or several sources. Point-in-polygon is vectorized:
the first snapshot tests all places with one ``shapely.contains_xy`` call,
and each next snapshot retests only the places inside the boxes where its
boundary differs from the previous one's (the boxes of :mod:`geo.overlay`), so
the whole DeepState daily archive against the full Ukrainian gazetteer takes
seconds. A place on the boundary counts as outside,
as in :mod:`geo.places`.

Per place and source (:attr:`Ledger.summary`): the number of changes of hands
(the place entered or left the control layer between consecutive stored
dates), the first and last of them, the days held and the days contested
(each stored date's state lasts until the next stored date, the last date
counts one day; ``NA`` where the source has no contested layer), and, with
several sources, the dates on which they disagree about the place (dates on
which at least two of them stored a snapshot, the control layer only).
:meth:`Ledger.intervals` gives the whole status history losslessly as runs of
equal status; :meth:`Ledger.status` one layer as a date x place table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import SnapshotNotFoundError, StoreError, ValidationError
from geo.fsutil import write_atomic, write_text_atomic
from geo.gazetteer import ATTRIBUTION, Gazetteer, load_gazetteer, select_places
from geo.overlay import Prepared, changed_boxes, prepare_many
from geo.snapshot import Snapshot
from geo.store import Store
from geo.text import csv_table

#: The control layer and the grey zone, in that order.
LEDGER_LAYERS = ("russian_control", "contested")
#: Place columns carried into every table.
PLACE_COLUMNS = ("geonames_id", "name", "name_uk", "oblast", "lon", "lat", "population")
#: Columns of :attr:`Ledger.summary` after the place columns.
SUMMARY_COLUMNS = (
    "source", "first_date", "last_date", "n_dates", "inside_first", "inside_last",
    "n_changes", "first_change", "last_change", "days_held", "days_contested",
    "n_disagreements", "first_disagreement", "last_disagreement",
)  # fmt: skip

BoolMatrix = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False)
class Ledger:
    """Where every place stood on every stored date (see the module notes).

    Attributes
    ----------
    places
        The places tested (:data:`PLACE_COLUMNS`), in matrix column order.
    dates
        Per source, its stored dates of the control layer.
    inside
        Per ``(source, layer)``, a ``(dates, places)`` boolean matrix: the place
        inside the layer on that date (the contested layer's latest snapshot on
        or before each date; outside before its first).
    summary
        One row per place and source: :data:`PLACE_COLUMNS` then
        :data:`SUMMARY_COLUMNS`, most changes first.
    layers
        The control layer and, if any source stores it, the contested layer.
    """

    places: pd.DataFrame
    dates: dict[str, list[dt.date]]
    inside: dict[tuple[str, str], BoolMatrix]
    summary: pd.DataFrame
    layers: tuple[str, ...]

    @property
    def sources(self) -> list[str]:
        """The sources, in the order given."""
        return list(self.dates)

    def status(self, source: str, layer: str = LEDGER_LAYERS[0]) -> pd.DataFrame:
        """One layer's matrix as a frame: a row per date, a column per GeoNames id.

        Raises
        ------
        KeyError
            If the ledger has no such source and layer.
        """
        matrix = self.inside[(source, layer)]
        return pd.DataFrame(
            matrix,
            index=pd.Index(self.dates[source], name="date"),
            columns=pd.Index(self.places["geonames_id"].to_numpy(), name="geonames_id"),
        )

    def intervals(self) -> pd.DataFrame:
        """Every place's status history as runs: lossless, compact (a row per run).

        Columns ``geonames_id``, ``source``, ``layer``, ``start``, ``end`` (the
        last stored date of the run) and ``inside``.
        """
        ids = self.places["geonames_id"].to_numpy()
        parts = []
        for (source, layer), matrix in self.inside.items():
            dates = np.array(self.dates[source], dtype=object)
            n_dates = len(dates)
            starts = np.ones_like(matrix)
            starts[1:] = matrix[1:] != matrix[:-1]
            # transposed: the runs come place by place, each place's in date order
            place, first = np.nonzero(starts.T)
            last = np.empty_like(first)
            last[:-1] = np.where(place[1:] == place[:-1], first[1:] - 1, n_dates - 1)
            if len(last):
                last[-1] = n_dates - 1
            parts.append(
                pd.DataFrame(
                    {
                        "geonames_id": ids[place],
                        "source": source,
                        "layer": layer,
                        "start": dates[first],
                        "end": dates[last],
                        "inside": matrix[first, place],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def disagreements(self) -> pd.DataFrame:
        """Place and date pairs where the sources storing that date disagree (control layer).

        Columns ``geonames_id``, ``date`` and one boolean column per source
        (``NA`` where that source stored nothing on the date). Empty with one source.
        """
        layer = self.layers[0]
        frames = [self.status(source, layer) for source in self.sources]
        if len(frames) < 2:
            return pd.DataFrame(columns=["geonames_id", "date", *self.sources])
        grid, votes = _common_grid(frames)
        disagree = _disagree_mask(votes)
        d, p = np.nonzero(disagree)
        out = pd.DataFrame({"geonames_id": self.places["geonames_id"].to_numpy()[p]})
        out["date"] = np.array(grid, dtype=object)[d]
        for source, vote in zip(self.sources, votes, strict=True):
            said = vote[d, p]
            out[source] = pd.array(
                [None if np.isnan(v) else bool(v) for v in said], dtype="boolean"
            )
        return out.sort_values(["geonames_id", "date"], kind="stable").reset_index(drop=True)


def ledger(
    store: Store,
    *,
    gazetteer: Gazetteer | str | Path | Sequence[str | Path],
    sources: Sequence[str] | None = None,
    layers: Sequence[str] = LEDGER_LAYERS,
    start: dt.date | None = None,
    end: dt.date | None = None,
    min_population: int | None = None,
    oblast: str | Sequence[str] | None = None,
) -> Ledger:
    """Build the ledger of every gazetteer place over every stored date.

    Parameters
    ----------
    store
        The snapshot store.
    gazetteer
        A :class:`~geo.gazetteer.Gazetteer` or GeoNames file(s).
    sources
        Sources to include (default: every source storing the control layer).
    layers
        The control layer, then optionally the contested layer (used where a
        source stores it).
    start, end
        Date range, inclusive (default: all stored dates).
    min_population
        Only places with at least this population.
    oblast
        Only places of these regions (any name :func:`geo.regions.resolve_region` knows).

    Raises
    ------
    SnapshotNotFoundError
        A source stores no snapshot of the control layer in the range.
    StoreError
        No source stores the control layer.
    """
    if not layers:
        msg = "layers= is empty; pass the control layer, e.g. layers=['russian_control']"
        raise StoreError(msg)
    main = layers[0]
    gaz = gazetteer if isinstance(gazetteer, Gazetteer) else load_gazetteer(gazetteer)
    places = select_places(gaz.places, min_population=min_population, oblast=oblast)
    chosen = list(sources) if sources else sorted(set(store.snapshots(layer=main)["source"]))
    if not chosen:
        msg = f"no source stores layer {main!r} in store {store.path}; see 'geo list'"
        raise StoreError(msg)
    x, y = places["lon"].to_numpy(float), places["lat"].to_numpy(float)
    dates: dict[str, list[dt.date]] = {}
    inside: dict[tuple[str, str], BoolMatrix] = {}
    for source in chosen:
        snaps = read_series(store, main, source=source, start=start, end=end)
        dates[source] = [s.date for s in snaps]
        inside[(source, main)] = points_inside(snaps, x, y)
        for extra in layers[1:]:
            try:
                others = read_series(store, extra, source=source, end=end)
            except SnapshotNotFoundError:
                continue
            rows = points_inside(others, x, y)
            inside[(source, extra)] = _align(rows, [s.date for s in others], dates[source])
    used = tuple(dict.fromkeys(layer for _, layer in inside))
    summary = _summary(places, dates, inside, used)
    return Ledger(places, dates, inside, summary, used)


def read_series(
    store: Store,
    layer: str,
    *,
    source: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Snapshot]:
    """Every stored snapshot of a layer in a range (the one place this module reads)."""
    return store.series(layer, source=source, start=start, end=end)


def points_inside(snapshots: Sequence[Snapshot], x: FloatArray, y: FloatArray) -> BoolMatrix:
    """``(snapshots, points)`` matrix: each point strictly inside each snapshot's geometry.

    The first snapshot tests every point in its bounding box with one vectorized
    ``shapely.contains_xy``. Each next one starts from the previous row and
    retests only the points inside the boxes where the two boundaries differ
    (:func:`geo.overlay.changed_boxes`): outside them the geometries are
    identical, so no other point can change side. The result equals a full
    ``contains_xy`` per snapshot (pinned by tests).
    """
    out = np.zeros((len(snapshots), len(x)), dtype=bool)
    if not len(snapshots) or not len(x):
        return out
    tree = shapely.STRtree(np.asarray(shapely.points(x, y), dtype=object))
    previous: Prepared | None = None
    for start in range(0, len(snapshots), _CHUNK):
        chunk = snapshots[start : start + _CHUNK]  # hashed in chunks: vectorized, bounded memory
        preps = prepare_many(
            [s.geometry for s in chunk], where=[str(s.provenance.path) for s in chunk], check=False
        )
        for offset, prep in enumerate(preps):
            i = start + offset
            if previous is None:
                candidates = np.arange(len(x))
            else:
                boxes, n_changed = changed_boxes(previous, prep)
                out[i] = out[i - 1]
                if not n_changed:
                    previous = prep
                    continue
                found = tree.query(shapely.box(*boxes.T))[1]
                candidates = np.unique(np.asarray(found, dtype=np.intp))
            out[i, candidates] = _contains(prep.geometry, x[candidates], y[candidates])
            previous = prep
    return out


_CHUNK = 32


def _contains(geometry: BaseGeometry, x: FloatArray, y: FloatArray) -> npt.NDArray[np.bool_]:
    inside = np.zeros(len(x), dtype=bool)
    if geometry.is_empty or not len(x):
        return inside
    shapely.prepare(geometry)
    xmin, ymin, xmax, ymax = geometry.bounds
    box = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    inside[box] = shapely.contains_xy(geometry, x[box], y[box])
    return inside


def _align(rows: BoolMatrix, own: list[dt.date], wanted: list[dt.date]) -> BoolMatrix:
    """Rows at ``wanted`` dates: the latest of ``own`` on or before each, else all False."""
    at = np.searchsorted(np.array(own, dtype=object), np.array(wanted, dtype=object), "right") - 1
    out = np.zeros((len(wanted), rows.shape[1]), dtype=bool)
    out[at >= 0] = rows[at[at >= 0]]
    return out


def _days(dates: list[dt.date]) -> FloatArray:
    """Days each stored date's state lasts: until the next stored date; the last, one."""
    ordinals = np.array([d.toordinal() for d in dates], dtype=float)
    return np.append(np.diff(ordinals), 1.0) if len(ordinals) else ordinals


def _summary(
    places: pd.DataFrame,
    dates: dict[str, list[dt.date]],
    inside: dict[tuple[str, str], BoolMatrix],
    layers: tuple[str, ...],
) -> pd.DataFrame:
    main = layers[0]
    disagreement = _disagreement_columns(places, dates, inside, main)
    parts = []
    for source, days in dates.items():
        matrix = inside[(source, main)]
        day_array = np.array(days, dtype=object)
        flips = matrix[1:] != matrix[:-1]
        n_changes = flips.sum(axis=0)
        has = n_changes > 0
        if len(flips):  # one stored date: no pair, no change (argmax of nothing raises)
            first = np.where(has, flips.argmax(axis=0) + 1, 0)
            last = np.where(has, len(days) - 1 - flips[::-1].argmax(axis=0), 0)
        else:
            first = last = np.zeros(matrix.shape[1], dtype=np.intp)
        weights = _days(days)
        frame = places[list(PLACE_COLUMNS)].copy()
        frame["source"] = source
        frame["first_date"], frame["last_date"] = days[0], days[-1]
        frame["n_dates"] = len(days)
        frame["inside_first"], frame["inside_last"] = matrix[0], matrix[-1]
        frame["n_changes"] = n_changes
        frame["first_change"] = _pick(day_array, first, has)
        frame["last_change"] = _pick(day_array, last, has)
        frame["days_held"] = weights @ matrix
        contested = inside.get((source, layers[1])) if len(layers) > 1 else None
        frame["days_contested"] = (
            pd.array(weights @ contested, dtype="Float64")
            if contested is not None
            else pd.array([pd.NA] * len(frame), dtype="Float64")
        )
        for column, values in disagreement.items():
            frame[column] = values
        parts.append(frame)
    summary = pd.concat(parts, ignore_index=True)
    order = summary.assign(_pop=summary["population"].fillna(-1))
    order = order.sort_values(
        ["n_changes", "_pop", "name", "geonames_id", "source"],
        ascending=[False, False, True, True, True],
        kind="stable",
    )
    return order.drop(columns="_pop").reset_index(drop=True)


def _common_grid(
    frames: list[pd.DataFrame],
) -> tuple[list[dt.date], list[npt.NDArray[np.float64]]]:
    """Dates stored by at least two sources, and each source's status there (NaN: none)."""
    counts: dict[dt.date, int] = {}
    for frame in frames:
        for day in frame.index:
            counts[day] = counts.get(day, 0) + 1
    grid = sorted(day for day, n in counts.items() if n >= 2)
    votes = []
    for frame in frames:
        vote = np.full((len(grid), frame.shape[1]), np.nan)
        position = {day: i for i, day in enumerate(frame.index)}
        rows = [position.get(day) for day in grid]
        have = np.array([r is not None for r in rows], dtype=bool)
        if have.any():
            vote[have] = frame.to_numpy()[[r for r in rows if r is not None]]
        votes.append(vote)
    return grid, votes


def _disagree_mask(votes: list[npt.NDArray[np.float64]]) -> BoolMatrix:
    stacked = np.stack(votes)  # (sources, dates, places)
    return np.asarray(np.nanmax(stacked, axis=0) != np.nanmin(stacked, axis=0), dtype=bool)


def _disagreement_columns(
    places: pd.DataFrame,
    dates: dict[str, list[dt.date]],
    inside: dict[tuple[str, str], BoolMatrix],
    main: str,
) -> dict[str, Any]:
    n = len(places)
    if len(dates) < 2:
        return {
            "n_disagreements": pd.array([pd.NA] * n, dtype="Int64"),
            "first_disagreement": [None] * n,
            "last_disagreement": [None] * n,
        }
    frames = [pd.DataFrame(inside[(s, main)], index=pd.Index(d)) for s, d in dates.items()]
    grid, votes = _common_grid(frames)
    mask = _disagree_mask(votes) if grid else np.zeros((0, n), dtype=bool)
    count = mask.sum(axis=0)
    has = count > 0
    grid_array = np.array(grid, dtype=object)
    if grid:
        first = np.where(has, mask.argmax(axis=0), 0)
        last = np.where(has, len(grid) - 1 - mask[::-1].argmax(axis=0), 0)
    else:  # no date stored by two sources: nothing to disagree on (argmax of nothing raises)
        first = last = np.zeros(n, dtype=np.intp)
    return {
        "n_disagreements": pd.array(count, dtype="Int64"),
        "first_disagreement": _pick(grid_array, first, has),
        "last_disagreement": _pick(grid_array, last, has),
    }


def _pick(days: npt.NDArray[Any], index: npt.NDArray[np.intp], has: BoolMatrix) -> list[Any]:
    """``days[index]`` where ``has``, else ``None``."""
    return [days[i] if h else None for i, h in zip(index, has, strict=True)]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a ledger table: dates as ISO strings, missing values as ``None``."""
    out = []
    for row in frame.to_dict("records"):
        rec: dict[str, Any] = {}
        for name, value in row.items():
            if isinstance(value, dt.date):
                rec[str(name)] = value.isoformat()
            elif value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                rec[str(name)] = None
            elif isinstance(value, np.generic):
                rec[str(name)] = value.item()
            else:
                rec[str(name)] = value
        out.append(rec)
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a ledger table as CSV or Parquet (by the suffix), atomically.

    Dates are ISO strings in CSV and ``date32`` in Parquet; the GeoNames
    attribution rides along as Parquet metadata and in ``attrs``.

    Raises
    ------
    ValueError
        If the suffix is neither ``.csv`` nor ``.parquet``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        out = frame.copy()
        for column in out.columns:
            if out[column].map(lambda v: isinstance(v, dt.date)).any():
                out[column] = [v.isoformat() if isinstance(v, dt.date) else v for v in out[column]]
        return write_text_atomic(target, csv_table(out, float_format="%.6f"))
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = {**(table.schema.metadata or {}), b"geo.attribution": ATTRIBUTION.encode()}
        table = table.replace_schema_metadata(meta)
        return write_atomic(target, lambda handle: pq.write_table(table, handle))
    msg = f"{target}: write ledger tables as .csv or .parquet"
    raise ValidationError(msg, [])
