"""Which sources hold which layers in a store: the summary and picking the one source.

A store may hold one layer from several sources (ISW in 2023, DeepState's raw
maps and its daily export from 2024). :func:`summary` lists each source and
layer with its date range; :func:`pick_source` finds the one source holding a
layer on the dates asked. Both work on the catalog frame of
:class:`geo.store.Store`, whose :meth:`~geo.store.Store.summary` and
:meth:`~geo.store.Store.pick_source` are the public doors (and which logs the
choice, on logger ``geo.store``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geo.errors import SnapshotNotFoundError, StoreError
from geo.text import escape_text

__all__ = ["pick_source", "summary", "summary_html"]

SUMMARY_COLUMNS = ("source", "layer", "first_date", "last_date", "n_dates")


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Return one row per source and layer of catalog rows: first and last date, number of dates.

    Columns :data:`SUMMARY_COLUMNS`, sorted by source and layer.

    Examples
    --------
    >>> days = [dt.date(2023, 5, 1), dt.date(2023, 6, 1), dt.date(2024, 7, 8)]
    >>> sources = ["isw", "isw", "deepstate"]
    >>> rows = pd.DataFrame({"source": sources, "layer": ["a"] * 3, "date": days})
    >>> summary(rows)[["source", "n_dates"]].to_dict("records")
    [{'source': 'deepstate', 'n_dates': 1}, {'source': 'isw', 'n_dates': 2}]
    """
    spans = frame.groupby(["source", "layer"], sort=True)["date"].agg(["min", "max", "nunique"])
    names = {"min": "first_date", "max": "last_date", "nunique": "n_dates"}
    table = spans.rename(columns=names).reset_index()
    return table.astype({"source": str, "layer": str, "n_dates": int})


def summary_html(store: Path, frame: pd.DataFrame) -> str:
    """Return the store's notebook view: its path, number of snapshots and :func:`summary` table.

    Names come from files, so every cell is escaped (markup and control characters).
    """
    head = f"<p><b>geo store</b> {escape_text(store)}: {len(frame)} snapshots</p>"
    if frame.empty:
        return head
    rows = [
        "<tr>" + "".join(f"<td>{escape_text(cell)}</td>" for cell in row) + "</tr>"
        for row in summary(frame).itertuples(index=False)
    ]
    header = "".join(f"<th>{h}</th>" for h in ("source", "layer", "first", "last", "count"))
    return f"{head}<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def pick_source(
    frame: pd.DataFrame, layer: str, dates: Sequence[dt.date | None], *, store: Path
) -> tuple[str, str | None]:
    """Return the one source of catalog rows holding ``layer`` on every date, and why.

    The rules are those of :meth:`geo.store.Store.pick_source`. The second
    value is the note to log when several sources store the layer and the
    dates decided (``None`` when only one stores it at all).

    Raises
    ------
    SnapshotNotFoundError
        No source stores ``layer``, or several do and none holds it on every
        date given.
    StoreError
        Several sources hold it on every date given (the message lists each
        with its date range).

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> from geo.store import open_store
    >>> def snap(source, day):
    ...     features = make_features([box(37.0, 48.0, 37.5, 48.5)])
    ...     return Snapshot(source, "russian_control", day, features, Provenance("x.geojson"))
    >>> store = open_store(tempfile.mkdtemp())
    >>> days = [("isw", 2023, 5, 1), ("isw", 2023, 8, 21), ("deepstate", 2024, 7, 8)]
    >>> report = store.ingest([snap(source, dt.date(*day)) for source, *day in days])
    >>> store.pick_source("russian_control", dt.date(2023, 6, 1))
    'isw'
    >>> pick_source(store.catalog(), "russian_control", [dt.date(2024, 7, 8)], store=store.path)
    ('deepstate', "using source 'deepstate' (the only one with russian_control on 2024-07-08)")
    >>> store.pick_source("russian_control")
    Traceback (most recent call last):
    ...
    geo.errors.StoreError: several sources hold layer 'russian_control' ...
    """
    rows = frame.loc[frame["layer"] == layer]
    if rows.empty:
        stored = ", ".join(sorted(set(frame["layer"]))) or "none"
        msg = f"no snapshots of layer {layer!r} in store {store}; layers stored: {stored}"
        raise SnapshotNotFoundError(msg)
    spans = rows.groupby("source", sort=True)["date"].agg(["min", "max", "nunique"])
    if len(spans) == 1:
        return str(spans.index[0]), None
    days = sorted({day for day in map(_as_date, dates) if day is not None})
    holding = [
        str(source)
        for source, first, last in zip(spans.index, spans["min"], spans["max"], strict=True)
        if all(first <= day <= last for day in days)
    ]
    when = f" on {' and '.join(map(str, days))}" if days else ""
    if len(holding) == 1:
        return holding[0], f"using source {holding[0]!r} (the only one with {layer}{when})"
    listed = "; ".join(
        f"{source} ({first} to {last}, {count} date{'s' if count != 1 else ''})"
        for source, (first, last, count) in spans.iterrows()
        if not holding or source in holding
    )
    if holding:
        msg = (
            f"several sources hold layer {layer!r}{when} in store {store}: {listed}; "
            "pass source= to pick one"
        )
        raise StoreError(msg)
    msg = (
        f"no single source holds layer {layer!r}{when} in store {store} (stored: "
        f"{listed}); pass source= to pick one, or dates within one source's range"
    )
    raise SnapshotNotFoundError(msg)


def _as_date(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value
