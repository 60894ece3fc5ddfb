"""Day-to-day sanity checks: implausible jumps and stale snapshots in a series.

A late or stale publisher file should be seen, not averaged in. For each
stored date of one source and layer (after the first) the checks give:

``same_as``
    The earliest earlier date whose features are identical (geometry only:
    :func:`geometry_digest`), if any.
``repeat`` (flag)
    Identical to the previous stored date: nothing changed, or the publisher
    did not update (DeepState's daily archive has 113 such days of 768).
``stale`` (flag)
    Identical to an older, non-adjacent date while differing from the
    previous one: an old map served again.
``jump`` (flag)
    A change far outside the series' own distribution. The rule: each step's
    net change (and gross change, gained plus lost, where known) is divided by
    the days it covers, counted from the first date of the previous state (so
    a change published late, after a repeated day, counts over both days);
    repeated days are left out; the robust z-score is ``(x - median) /
    (1.4826 · MAD)`` (the mean absolute deviation times 1.2533 if the MAD is
    0; never below 0.1 % of the median absolute value), computed twice:
    against the whole series and against the :data:`WINDOW_STEPS` steps on
    either side; the score is the smaller of the two in magnitude, and a step
    is a jump when it exceeds :data:`JUMP_Z` (8 by default; normally
    distributed data would pass 8 about once in 10^15 steps). The local score
    keeps a fast-moving phase (DeepState's weekly 2022 maps) from flagging
    every week against a calm archive; the global one keeps a volatile
    neighbourhood from hiding nothing.

:func:`check_steps` works on plain arrays; :func:`check_timeseries` adds the
columns to a :func:`geo.stats.timeseries` frame; :func:`check_catalog` checks
catalog rows (``check_catalog``, behind ``geo list``) cheaply: net change from the stored areas,
and identical features looked for only among rows of equal area and feature
count, confirmed by reading those snapshots.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.errors import ValidationError

if TYPE_CHECKING:
    from geo.snapshot import Snapshot
    from geo.store import Store

#: Robust z-score beyond which a step is a jump.
JUMP_Z = 8.0
#: Neighbouring steps on either side for the local score.
WINDOW_STEPS = 15
_MIN_NEIGHBOURS = 5  # fewer scored neighbours than this: the global score alone
#: Columns :func:`check_steps` returns besides ``date``.
CHECK_COLUMNS = ("days_of_change", "net_z", "gross_z", "same_as", "flags")
_MAD_TO_SD = 1.4826  # MAD of a normal distribution times this is its standard deviation
_MEAN_AD_TO_SD = 1.2533  # sqrt(pi / 2): the same for the mean absolute deviation
_MIN_RELATIVE_SCALE = 1e-3

FloatArray = npt.NDArray[np.float64]


def robust_z(values: Sequence[float] | FloatArray) -> FloatArray:
    """Robust z-scores ``(x - median) / (1.4826 · MAD)``; NaN stays NaN.

    When the MAD is 0 (most values equal) the mean absolute deviation times
    1.2533 is the scale; the scale is at least 0.1 % of the median absolute
    value (so a series that barely varies does not turn float noise into
    jumps); when it is still 0 every finite score is 0.

    Examples
    --------
    >>> robust_z([1.0, 2.0, 3.0, 2.0, 40.0]).round(1).tolist()
    [-0.7, 0.0, 0.7, 0.0, 25.6]
    """
    x = np.asarray(values, dtype=float)
    finite = x[np.isfinite(x)]
    if not len(finite):
        return np.full(len(x), np.nan)
    median = float(np.median(finite))
    scale = _MAD_TO_SD * float(np.median(np.abs(finite - median)))
    if scale == 0:
        scale = _MEAN_AD_TO_SD * float(np.mean(np.abs(finite - median)))
    # A series that barely varies would make float noise a jump: 0.1 % of the typical size
    # is the least spread that counts.
    scale = max(scale, _MIN_RELATIVE_SCALE * float(np.median(np.abs(finite))))
    if scale == 0:
        return np.where(np.isfinite(x), 0.0, np.nan)
    return (x - median) / scale


def geometry_digest(snapshot: Snapshot) -> str:
    """SHA-256 of a snapshot's feature geometries (2-D WKB, in stored order).

    Unlike :attr:`Snapshot.content_hash` it leaves out the date, labels and
    attributes, so the same map stored under two dates has one digest.
    """
    return features_digest(snapshot.features.geometry.values)


def features_digest(geometries: Any) -> str:
    """:func:`geometry_digest` of a snapshot given as its feature geometries, in stored order.

    For series read without GeoDataFrames (:meth:`geo.series.SnapshotSeries.features`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a, b = box(30, 48, 31, 49), box(31, 48, 32, 49)
    >>> features_digest([a, b]) == features_digest([a, b]) != features_digest([b, a])
    True
    """
    digest = hashlib.sha256()
    blobs = shapely.to_wkb(np.asarray(geometries, dtype=object), output_dimension=2)
    for blob in np.atleast_1d(blobs):
        digest.update(blob)
        digest.update(b"\x00")
    return digest.hexdigest()


def check_steps(
    dates: Sequence[dt.date],
    net_km2: Sequence[float] | FloatArray,
    digests: Sequence[str | None],
    *,
    gross_km2: Sequence[float] | FloatArray | None = None,
    z: float = JUMP_Z,
) -> pd.DataFrame:
    """Flag repeats, stale snapshots and jumps in one series (see the module notes).

    Parameters
    ----------
    dates
        Stored dates, oldest first.
    net_km2
        Net change since the previous date (the first value is ignored).
    digests
        A digest of each date's features (:func:`geometry_digest`); ``None``
        where unknown (then that date is never the same as another).
    gross_km2
        Gained plus lost since the previous date, if known.
    z
        Robust z-score threshold of a jump.

    Returns
    -------
    pandas.DataFrame
        ``date`` and :data:`CHECK_COLUMNS`: ``days_of_change`` (days the step's
        change covers; NA on the first date and repeats), ``net_z`` and
        ``gross_z`` (NaN where not scored), ``same_as`` (a date or ``None``)
        and ``flags`` (``"repeat"``, ``"stale"``, ``"jump"``, comma-separated;
        ``""`` when none).

    Examples
    --------
    >>> days = [dt.date(2025, 1, d) for d in range(1, 8)]
    >>> frame = check_steps(days, [0, 5, 6, 0, 4, 90, 5], ["a", "b", "c", "c", "d", "e", "b"])
    >>> frame["flags"].tolist()
    ['', '', '', 'repeat', '', 'jump', 'stale']
    """
    n = len(dates)
    if len(net_km2) != n or len(digests) != n:
        msg = f"dates, net_km2 and digests differ in length ({n}, {len(net_km2)}, {len(digests)})"
        raise ValidationError(msg, [])
    first_seen: dict[str, dt.date] = {}
    same_as: list[dt.date | None] = []
    repeat = np.zeros(n, dtype=bool)
    run_start = list(dates)  # first date of the run of identical snapshots each date is in
    for i, (day, key) in enumerate(zip(dates, digests, strict=True)):
        if key is not None and i and digests[i - 1] == key:
            repeat[i] = True
            run_start[i] = run_start[i - 1]
        same_as.append(first_seen.get(key) if key is not None else None)
        if key is not None:
            first_seen.setdefault(key, day)
    days = np.full(n, np.nan)
    scored = np.zeros(n, dtype=bool)
    for i in range(1, n):
        if not repeat[i]:
            days[i] = max((dates[i] - run_start[i - 1]).days, 1)
            scored[i] = True
    net_z = _scores(np.asarray(net_km2, dtype=float), days, scored)
    gross_z = np.full(n, np.nan)
    if gross_km2 is not None:
        gross_z = _scores(np.asarray(gross_km2, dtype=float), days, scored)
    jump = (np.abs(np.nan_to_num(net_z)) > z) | (np.nan_to_num(gross_z) > z)
    stale = np.array([s is not None for s in same_as]) & ~repeat
    flags = [
        ",".join(name for name, on in (("repeat", r), ("stale", s), ("jump", j)) if on)
        for r, s, j in zip(repeat, stale, jump, strict=True)
    ]
    return pd.DataFrame(
        {
            "date": list(dates),
            "days_of_change": pd.array(
                [None if np.isnan(d) else int(d) for d in days], dtype="Int64"
            ),
            "net_z": net_z,
            "gross_z": gross_z,
            "same_as": same_as,
            "flags": flags,
        }
    )


def _scores(change: FloatArray, days: FloatArray, scored: npt.NDArray[np.bool_]) -> FloatArray:
    out = np.full(len(change), np.nan)
    if scored.any():
        rate = change[scored] / days[scored]
        whole, local = robust_z(rate), _local_z(rate, WINDOW_STEPS)
        out[scored] = np.where(np.abs(local) < np.abs(whole), local, whole)
    return out


def _local_z(values: FloatArray, half: int) -> FloatArray:
    """Robust z of each value against up to ``half`` values on either side (itself left out)."""
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        around = np.concatenate([values[max(0, i - half) : i], values[i + 1 : i + 1 + half]])
        around = around[np.isfinite(around)]
        if len(around) >= _MIN_NEIGHBOURS and np.isfinite(values[i]):
            out[i] = robust_z(np.append(around, values[i]))[-1]
    return out


def check_timeseries(
    frame: pd.DataFrame, digests: Sequence[str | None], *, z: float = JUMP_Z
) -> pd.DataFrame:
    """Return a :func:`geo.stats.timeseries` frame with the check columns added (a copy).

    Net and gross change come from ``net_km2`` and ``gained_km2 + lost_km2``.
    ``attrs`` gains ``checks``: the rule, the threshold and the flagged dates.
    """
    checks = check_steps(
        list(frame["date"]),
        frame["net_km2"].to_numpy(float),
        digests,
        gross_km2=(frame["gained_km2"] + frame["lost_km2"]).to_numpy(float),
        z=z,
    )
    out = frame.copy()
    for column in CHECK_COLUMNS:
        out[column] = checks[column].array  # keeps Int64 (days) and object (dates)
    out.attrs = {**frame.attrs, "checks": summarize(checks, z=z)}
    return out


def summarize(checks: pd.DataFrame, *, z: float = JUMP_Z) -> dict[str, Any]:
    """JSON-ready summary of :func:`check_steps` output: counts and the flagged dates."""
    flagged = checks[checks["flags"] != ""]
    counts = {name: int(checks["flags"].str.contains(name).sum()) for name in _FLAGS}
    return {
        "rule": (
            f"robust z of the change per day (median, 1.4826 MAD; the smaller of whole series "
            f"and {WINDOW_STEPS} steps either side) beyond {z:g}"
        ),
        "jump_z": z,
        "counts": counts,
        "flagged": [
            {
                "date": row["date"].isoformat(),
                "flags": row["flags"],
                "same_as": None if row["same_as"] is None else row["same_as"].isoformat(),
                "net_z": None if pd.isna(row["net_z"]) else round(float(row["net_z"]), 2),
            }
            for row in flagged.to_dict("records")
            if row["flags"] != "repeat"  # repeats are counted, not listed
        ],
    }


_FLAGS = ("repeat", "stale", "jump")


def check_catalog(
    store: Store,
    *,
    layer: str | None = None,
    source: str | None = None,
    z: float = JUMP_Z,
) -> pd.DataFrame:
    """Check every (source, layer) series of the catalog, cheaply.

    Net change per step is the difference of the stored areas. Identical
    features are looked for among rows with equal area (to 1 m²) and feature
    count only, and confirmed by reading those snapshots; gross change is not
    known here, so only the net change is scored.

    Returns
    -------
    pandas.DataFrame
        The rows of ``store.snapshots(layer=..., source=...)`` in that order,
        with ``net_km2`` and :data:`CHECK_COLUMNS` added.
    """
    rows = store.snapshots(layer=layer, source=source)
    parts = []
    for (src, lay), group in rows.groupby(["source", "layer"], sort=False):
        group = group.sort_values("date", kind="stable")
        area = group["area_km2"].to_numpy(float)
        net = np.concatenate([[np.nan], np.diff(area)])
        key = list(zip(np.round(area, 6), group["n_features"], strict=True))
        counts = pd.Series(key).map(pd.Series(key).value_counts())
        digests: list[str | None] = [
            geometry_digest(store.get(str(lay), day, source=str(src))) if count > 1 else None
            for day, count in zip(group["date"], counts, strict=True)
        ]
        checks = check_steps(list(group["date"]), net, digests, z=z)
        checks.index = group.index
        checks["net_km2"] = net
        parts.append(checks.drop(columns="date"))
    if not parts:
        return rows.assign(net_km2=[], **{c: [] for c in CHECK_COLUMNS})
    return rows.join(pd.concat(parts))
