"""Static chart of the distance from places to a layer over time (PNG or SVG).

One line per place: the geodesic distance in km to the nearest ground of the
layer at each stored date (0 once the place is inside). Where the distance was
still shrinking at the last date, a dotted line continues it at the 90-day rate
to its naive zero date (shown for a year at most), labelled as a naive
projection, not a forecast. The figure has its own Agg canvas (pyplot's
global state is never touched), a title naming the layer and its publisher,
and a credit line under it; the file type is checked and the file written
atomically as for every static chart (:mod:`geo.render.static`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.gazetteer import ATTRIBUTION as GEONAMES_CREDIT
from geo.publishers import credit_line, display_name
from geo.render.labels import layer_name, word
from geo.render.static import FORMATS, output_target, save_figure
from geo.text import one_line

if TYPE_CHECKING:
    from geo.distance import DistanceResult

_PROJECTION_SHOWN = dt.timedelta(days=365)


def _plain(text: object) -> str:
    """Text from data as matplotlib shows it literally: one line, no mathtext."""
    return one_line(str(text)).replace("$", r"\$")


def credit(source: str) -> str:
    """Return the credit line under the chart: the data's publisher and GeoNames."""
    return credit_line([source], extra=GEONAMES_CREDIT) or GEONAMES_CREDIT


def distance_chart(
    result: DistanceResult,
    path: str | Path,
    *,
    size_in: tuple[float, float] = (10.0, 5.5),
    dpi: int = 150,
) -> Path:
    """Draw the distances of ``result`` and write the chart to ``path`` atomically.

    Parameters
    ----------
    result
        Output of :func:`geo.distance.distances`.
    path
        ``.png`` or ``.svg`` file.
    size_in, dpi
        Figure size in inches and resolution (PNG).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValidationError
        If the suffix is neither ``.png`` nor ``.svg``.
    """
    target, fmt = output_target(path, None, FORMATS)
    fig = Figure(figsize=size_in, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    frame = result.frame
    last_day = max(frame["date"])
    horizon = last_day
    for _, rows in frame.groupby("geonames_id", sort=False):
        dates, km = list(rows["date"]), rows["distance_km"].to_numpy(float)
        (line,) = ax.plot(dates, km, linewidth=1.6, label=_plain(rows["place"].iloc[0]))
        naive = rows["naive_zero_date_90d"].iloc[-1]
        if isinstance(naive, dt.date) and km[-1] > 0:
            ax.plot(
                [dates[-1], naive], [km[-1], 0.0], linestyle=":", linewidth=1.2,
                color=line.get_color(),
            )  # fmt: skip
            horizon = max(horizon, min(naive, last_day + _PROJECTION_SHOWN))
    ax.plot([], [], linestyle=":", color="0.4", label="naive projection at the 90-day rate")
    ax.set_ylim(bottom=0)
    ax.set_xlim(min(frame["date"]) - dt.timedelta(days=7), horizon + dt.timedelta(days=7))
    ax.set_ylabel("distance to the nearest ground (km)")
    ax.grid(True, linewidth=0.4, alpha=0.5)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    what = word("distance_to").format(layer=layer_name(result.layer))
    title = _plain(f"{what}, {display_name(result.source)}")
    ax.set_title(title, fontsize=11)
    # supxlabel: constrained layout keeps room for it under the axes
    fig.supxlabel(_plain(credit(result.source)), x=0.01, ha="left", fontsize=7, color="0.3")
    return save_figure(fig, target, fmt, title)
