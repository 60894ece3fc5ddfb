"""Distance to the front: how far each place is from the nearest ground of a layer, over time.

For each place (a GeoNames id or a name resolved through the gazetteer) and
each stored date, :func:`distances` gives the geodesic distance in km from the
place to the nearest ground of the layer (0 inside or on its edge), where that
nearest point is, the rate of approach over the last 30 and 90 days
(km/month, positive when the distance shrinks) and a **naive** date at which
the distance would reach zero if that rate held (none when the distance is not
shrinking). It is a straight-line extrapolation of a front that moves in fits
and starts: a way to compare places, not a forecast.

Exactness. In an azimuthal equidistant projection centred on the place every
projected point lies at its exact geodesic distance from the centre (PROJ's
``aeqd`` uses geodesics on the WGS 84 ellipsoid), so the planar distance from
the centre to the projected boundary is the geodesic distance to the nearest
boundary point. Only boundary near the place is projected: the nearest point
in lon/lat degrees gives an upper bound ``U`` (its geodesic distance), and
every boundary point within ``U`` lies in a lon/lat box derived from ``U``;
the boundary is clipped to that box and densified to 0.001° (edges are
straight in lon/lat; chords of ~100 m then differ from them by well under a
millimetre) before projecting. Tests check it against ``pyproj.Geod.inv`` to finely densified
boundaries (to 1 m).

Rates use the latest stored date on or before 30 (90) days back and the real
number of days between them; a month is 365.25 / 12 days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import PlaceError, ValidationError
from geo.fsutil import write_text_atomic
from geo.gazetteer import ATTRIBUTION, Gazetteer, load_gazetteer
from geo.geometry import GEOD, WGS84
from geo.snapshot import Snapshot
from geo.store import Store
from geo.text import csv_table

#: Windows of the approach rates, in days.
RATE_WINDOWS_DAYS = (30, 90)
DAYS_PER_MONTH = 365.25 / 12
#: Columns of :attr:`DistanceResult.frame`, in order.
DISTANCE_COLUMNS = (
    "geonames_id", "place", "oblast", "lon", "lat", "date", "distance_km", "inside",
    "nearest_lon", "nearest_lat",
    "approach_30d_km_per_month", "approach_90d_km_per_month",
    "naive_zero_date_30d", "naive_zero_date_90d",
)  # fmt: skip
NAIVE_NOTE = (
    "naive_zero_date_*: the date the distance would reach 0 if it kept shrinking at the "
    "30- or 90-day rate; a straight-line extrapolation, not a forecast (none when not shrinking)"
)
_DENSIFY_DEG = 0.001
_KM_PER_DEG_LAT_MIN = 110.57  # a degree of latitude is at least this long (at the equator)
_KM_PER_DEG_LON_EQ = 111.33  # a degree of longitude at the equator, at most


def resolve_places(gazetteer: Gazetteer, queries: Sequence[str | int]) -> pd.DataFrame:
    """One gazetteer row per query: a GeoNames id, or a name matching exactly one place.

    Parameters
    ----------
    gazetteer
        Places to search (:func:`geo.gazetteer.load_gazetteer`).
    queries
        GeoNames ids (``713174`` or ``"713174"``) or names in any spelling
        :meth:`Gazetteer.search` folds. A place named twice is kept once.

    Raises
    ------
    PlaceError
        A query matches no place, or a name matches several (the message lists
        each with its oblast, population and id).
    """
    places = gazetteer.places
    rows = []
    for query in queries:
        text = str(query).strip()
        if text.isdigit():
            found = places[places["geonames_id"] == int(text)]
            if found.empty:
                msg = (
                    f"no place with GeoNames id {text} in the gazetteer "
                    f"({', '.join(gazetteer.sources) or 'no file'}); it holds populated places "
                    "only: check the id or pass another gazetteer file"
                )
                raise PlaceError(msg)
        else:
            found = gazetteer.search(text)
            if found.empty:
                msg = (
                    f"no place named {text!r} in the gazetteer "
                    f"({', '.join(gazetteer.sources) or 'no file'}); check the spelling "
                    "(any romanisation or Cyrillic works) or pass its GeoNames id"
                )
                raise PlaceError(msg)
            if len(found) > 1:
                listed = "; ".join(_candidate(row) for row in found.head(10).to_dict("records"))
                more = f" and {len(found) - 10} more" if len(found) > 10 else ""
                msg = (
                    f"{text!r} matches {len(found)} places: {listed}{more}; pass the GeoNames "
                    "id of the one you mean instead of the name"
                )
                raise PlaceError(msg)
        rows.append(found.iloc[0])
    frame = pd.DataFrame(rows).drop_duplicates("geonames_id").reset_index(drop=True)
    return frame


def _candidate(row: dict[Any, Any]) -> str:
    pop = row.get("population")
    people = "population unknown" if pd.isna(pop) else f"pop. {int(pop):,}"
    oblast = row["oblast"] if isinstance(row.get("oblast"), str) else "oblast unknown"
    return f"{row['name']} ({oblast}, {people}, id {int(row['geonames_id'])})"


@functools.lru_cache(maxsize=256)
def _aeqd(lon: float, lat: float) -> pyproj.Transformer:
    crs = f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 +units=m +no_defs"
    return pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)


def distance_to(geometry: BaseGeometry, lon: float, lat: float) -> tuple[float, float, float]:
    """Geodesic distance in km from (lon, lat) to ``geometry``, and the nearest point.

    Parameters
    ----------
    geometry
        A lon/lat polygonal geometry (prepared or not).
    lon, lat
        The place.

    Returns
    -------
    tuple
        ``(distance_km, nearest_lon, nearest_lat)``: 0 and the place itself
        when the place is inside or on the edge; NaNs for an empty geometry.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> km, x, y = distance_to(box(37.0, 48.0, 37.5, 48.5), 38.0, 48.25)
    >>> round(km, 1), round(x, 3)
    (37.1, 37.5)
    """
    if geometry.is_empty:
        return (np.nan, np.nan, np.nan)
    if shapely.intersects_xy(geometry, lon, lat):
        return (0.0, lon, lat)
    boundary = shapely.boundary(geometry)
    guess = shapely.get_coordinates(shapely.shortest_line(boundary, shapely.Point(lon, lat)))[0]
    _, _, upper_m = GEOD.inv(lon, lat, guess[0], guess[1])
    # Every boundary point within upper_m of the place lies in this box.
    reach_km = upper_m / 1000.0 * 1.001 + 0.001
    dlat = reach_km / _KM_PER_DEG_LAT_MIN
    cos_far = np.cos(np.radians(min(abs(lat) + dlat, 89.9)))
    dlon = reach_km / (_KM_PER_DEG_LON_EQ * cos_far)
    near = shapely.clip_by_rect(boundary, lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    near = shapely.segmentize(near, _DENSIFY_DEG)
    to_plane = _aeqd(float(lon), float(lat))
    plane = shapely.transform(near, lambda xy: np.column_stack(to_plane.transform(*xy.T)))
    origin = shapely.Point(0.0, 0.0)
    line = shapely.shortest_line(origin, plane)
    if line is None or line.is_empty:  # the guess itself is the only candidate
        return (upper_m / 1000.0, float(guess[0]), float(guess[1]))
    x, y = shapely.get_coordinates(line)[1]
    nx, ny = to_plane.transform(x, y, direction="INVERSE")
    return (float(np.hypot(x, y)) / 1000.0, float(nx), float(ny))


@dataclasses.dataclass(frozen=True, eq=False)
class DistanceResult:
    """Distances from places to a layer, one row per place and stored date.

    Attributes
    ----------
    frame
        :data:`DISTANCE_COLUMNS`, sorted by place (in the order asked) then date.
    source, layer
        What was measured to.
    places
        The resolved gazetteer rows.
    """

    frame: pd.DataFrame
    source: str
    layer: str
    places: pd.DataFrame

    def latest(self) -> pd.DataFrame:
        """Return the last stored date of each place (one row per place)."""
        return self.frame.groupby("geonames_id", sort=False).tail(1).reset_index(drop=True)

    def rings(self, date: dt.date | None = None, *, n_points: int = 128) -> gpd.GeoDataFrame:
        """Geodesic circles around each place with its distance as radius, for maps.

        Parameters
        ----------
        date
            A stored date (default: the last); the nearest one on or before it.
        n_points
            Vertices per circle.

        Returns
        -------
        geopandas.GeoDataFrame
            ``geonames_id``, ``place``, ``date``, ``distance_km``, ``nearest_lon``,
            ``nearest_lat`` and a lon/lat polygon (empty where the distance is 0).
        """
        rows = self.frame if date is None else self.frame[self.frame["date"] <= date]
        last = rows.groupby("geonames_id", sort=False).tail(1)
        azimuths = np.linspace(0.0, 360.0, n_points, endpoint=False)
        geoms = []
        for row in last.to_dict("records"):
            radius_m = float(row["distance_km"]) * 1000.0
            if not radius_m > 0:
                geoms.append(shapely.Polygon())
                continue
            lons, lats, _ = GEOD.fwd(
                np.full(n_points, row["lon"]), np.full(n_points, row["lat"]),
                azimuths, np.full(n_points, radius_m),
            )  # fmt: skip
            geoms.append(shapely.Polygon(np.column_stack([lons, lats])))
        columns = ["geonames_id", "place", "date", "distance_km", "nearest_lon", "nearest_lat"]
        return gpd.GeoDataFrame(last[columns].reset_index(drop=True), geometry=geoms, crs=WGS84)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready rows: dates as ISO strings, km to 3 decimals, coordinates to 6."""
        out = []
        for row in self.frame.to_dict("records"):
            rec: dict[str, Any] = {}
            for name, value in row.items():
                key = str(name)
                if isinstance(value, dt.date):
                    rec[key] = value.isoformat()
                elif value is None or (isinstance(value, float) and np.isnan(value)):
                    rec[key] = None
                elif isinstance(value, float | np.floating):
                    digits = 6 if key.endswith(("lon", "lat")) else 3
                    rec[key] = round(float(value), digits)
                elif isinstance(value, np.integer | np.bool_):
                    rec[key] = value.item()
                else:
                    rec[key] = value
            out.append(rec)
        return out


def distances(
    store: Store,
    places: Sequence[str | int],
    *,
    gazetteer: Gazetteer | str | Path | Sequence[str | Path],
    layer: str = "russian_control",
    source: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> DistanceResult:
    """Distance from each place to the nearest ground of ``layer``, for every stored date.

    Parameters
    ----------
    store
        The snapshot store.
    places
        GeoNames ids or names (see :func:`resolve_places`).
    gazetteer
        A :class:`~geo.gazetteer.Gazetteer` or GeoNames file(s).
    layer
        Layer to measure to (default ``"russian_control"``).
    source
        Source; needed when several sources hold the layer.
    start, end
        Date range (inclusive; default all stored dates). A ``start`` with no
        snapshot of its own begins at the nearest stored date before it.

    Returns
    -------
    DistanceResult
        One row per place and date; :data:`NAIVE_NOTE` explains the projections.

    Raises
    ------
    PlaceError
        A place cannot be resolved to exactly one gazetteer row.
    SnapshotNotFoundError
        Nothing stored in the range.
    StoreError
        Several sources hold the layer and ``source`` is not given.
    """
    gaz = gazetteer if isinstance(gazetteer, Gazetteer) else load_gazetteer(gazetteer)
    chosen = resolve_places(gaz, places)
    snapshots = read_series(store, layer, source=source, start=start, end=end)
    dates = [s.date for s in snapshots]
    parts = []
    for row in chosen.to_dict("records"):
        lon, lat = float(row["lon"]), float(row["lat"])
        measured = np.array([distance_to(_prepared(s), lon, lat) for s in snapshots])
        frame = pd.DataFrame(
            {
                "geonames_id": int(row["geonames_id"]),
                "place": str(row["name"]),
                "oblast": row["oblast"] if isinstance(row["oblast"], str) else None,
                "lon": lon,
                "lat": lat,
                "date": dates,
                "distance_km": measured[:, 0],
                "inside": measured[:, 0] == 0,
                "nearest_lon": measured[:, 1],
                "nearest_lat": measured[:, 2],
            }
        )
        for window in RATE_WINDOWS_DAYS:
            rate, naive = approach(dates, measured[:, 0], window)
            frame[f"approach_{window}d_km_per_month"] = rate
            frame[f"naive_zero_date_{window}d"] = naive
        parts.append(frame)
    result = pd.concat(parts, ignore_index=True)[list(DISTANCE_COLUMNS)]
    result.attrs = {
        "source": snapshots[0].source,
        "layer": layer,
        "naive_note": NAIVE_NOTE,
        "attribution": ATTRIBUTION,
    }
    return DistanceResult(result, snapshots[0].source, layer, chosen)


def read_series(
    store: Store,
    layer: str,
    *,
    source: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Snapshot]:
    """Every stored snapshot of a layer in a range (the one place this module reads)."""
    return store.series(layer, source=source, start=start, end=end)


def _prepared(snap: Snapshot) -> BaseGeometry:
    geometry = snap.geometry
    shapely.prepare(geometry)
    return geometry


def approach(
    dates: Sequence[dt.date], distance_km: Sequence[float] | Any, window_days: int
) -> tuple[list[float], list[dt.date | None]]:
    """Rate of approach (km/month) over ``window_days`` and the naive zero date, per date.

    The rate compares each date with the latest date on or before ``window_days``
    earlier (NaN when there is none): positive when the distance shrank. The
    naive date is when the distance would reach 0 at that rate (``None`` when it
    is not shrinking, already 0, or beyond year 9999).

    Examples
    --------
    >>> days = [dt.date(2025, 1, 1), dt.date(2025, 1, 31)]
    >>> rate, naive = approach(days, [40.0, 30.0], 30)
    >>> round(rate[1], 2), naive[1]
    (10.15, datetime.date(2025, 5, 1))
    """
    ordinals = np.array([d.toordinal() for d in dates])
    values = np.asarray(distance_km, dtype=float)
    rates: list[float] = []
    naive: list[dt.date | None] = []
    for day, value in zip(ordinals, values, strict=True):
        index = int(np.searchsorted(ordinals, day - window_days, side="right")) - 1
        if index < 0 or not np.isfinite(values[index]) or not np.isfinite(value):
            rates.append(np.nan)
            naive.append(None)
            continue
        per_day = (values[index] - value) / (day - ordinals[index])
        rates.append(float(per_day * DAYS_PER_MONTH))
        when = None
        if per_day > 0 and value > 0:
            ahead = value / per_day
            if day + ahead < dt.date.max.toordinal():
                when = dt.date.fromordinal(int(day + round(ahead)))
        naive.append(when)
    return rates, naive


def write_distances(result: DistanceResult, path: str | Path | None, *, fmt: str = "csv") -> str:
    """Write the rows as CSV or JSON; to ``path`` atomically, or return the text.

    JSON is an object with ``source``, ``layer``, ``naive_note``,
    ``attribution`` and ``rows``.
    """
    if fmt == "csv":
        out = result.frame.copy()
        for column in out.columns:
            if column == "date" or column.startswith("naive_zero_date"):
                out[column] = [None if d is None else d.isoformat() for d in out[column]]
        text = csv_table(out, float_format="%.6f")
    elif fmt == "json":
        import json

        payload = {**result.frame.attrs, "rows": result.to_records()}
        text = json.dumps(payload, ensure_ascii=False, indent=1)
    else:
        msg = f"unknown format {fmt!r}; use csv or json"
        raise ValidationError(msg, [])
    if path is not None:
        write_text_atomic(path, text)
    return text
