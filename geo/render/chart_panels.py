"""What each chart draws in its axes: the area and its steps, gains per month, regional shares.

The page around them (title, source line, notice, the file) is
:mod:`geo.render.charts`. Every figure on an axis is rounded and grouped for
the language (:func:`geo.render.labels.format_number`); colours keep their
meaning (:func:`geo.render.labels.change_colours`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from geo.layers import layer_colour
from geo.render.labels import Lang, change_colours, change_name, format_km2, format_number, word
from geo.render.sheet import TEXT

__all__ = [
    "REGION_COLOURS",
    "as_date",
    "chart_axes",
    "draw_area",
    "draw_gains",
    "draw_shares",
    "monthly_changes",
]

logger = logging.getLogger(__name__)

#: Colours of regions in the share chart (distinct, none of them a change colour).
REGION_COLOURS = (
    "#4d4d4d", "#8c510a", "#6a51a3", "#1b7837", "#e08214",
    "#c51b7d", "#01665e", "#b8860b", "#762a83", "#7f7f7f",
)  # fmt: skip


def chart_axes(
    fig: Figure, *, right_in: float = 0.35, height_ratio: float | None = None
) -> list[Axes]:
    """Add the chart's axes (two stacked when ``height_ratio`` gives the lower one's share).

    ``right_in`` inches stay free on the right (for names at the lines' ends);
    room for a legend stays free above.
    """
    dpi, width, height = float(fig.dpi), fig.bbox.width, fig.bbox.height
    left, right = 0.95 * dpi / width, 1 - right_in * dpi / width
    bottom, top = 0.75 * dpi / height, 1 - 1.0 * dpi / height  # room for a legend above
    if height_ratio is None:
        boxes = [(left, bottom, right - left, top - bottom)]
    else:
        gap = 0.08 * (top - bottom)
        lower = (top - bottom - gap) * height_ratio
        boxes = [
            (left, bottom + lower + gap, right - left, top - bottom - lower - gap),
            (left, bottom, right - left, lower),
        ]
    axes = [fig.add_axes(b) for b in boxes]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.7)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=8, colors="#333333")
    return axes


def _figures_axis(ax: Axes, lang: Lang) -> None:
    """Label the y axis with rounded figures in the language's grouping (a real minus sign)."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, lang)))


def _date_axis(ax: Axes, lang: Lang) -> None:
    months = word("months_short", lang).split(",")
    locator = mdates.AutoDateLocator(maxticks=10)  # type: ignore[no-untyped-call]

    def label(x: float, pos: int | None) -> str:
        day = mdates.num2date(x).date()  # type: ignore[no-untyped-call]
        text = months[day.month - 1] if day.day == 1 else f"{day.day} {months[day.month - 1]}"
        return f"{text}\n{day.year}" if pos == 0 or (day.month == 1 and day.day == 1) else text

    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(FuncFormatter(label))


def draw_area(fig: Figure, frame: pd.DataFrame, lang: Lang) -> Axes:
    """Draw the area held, its latest figure at the end, and each step's gains and losses below."""
    dates = _dates(frame)
    area = frame["area_km2"].to_numpy(dtype=float)
    changes = {"gained_km2", "lost_km2"} <= set(frame.columns) and len(frame) > 1
    axes = chart_axes(fig, right_in=1.2, height_ratio=0.33 if changes else None)
    top, layer = axes[0], str(frame.attrs.get("layer", ""))
    top.plot(
        dates,
        area,
        color=layer_colour(layer),
        linewidth=1.8,
        marker="o" if len(frame) <= 60 else None,
        markersize=3,
        gid="area",
    )
    _figures_axis(top, lang)
    top.annotate(
        format_km2(area[-1], lang),
        (dates[-1], area[-1]),
        xytext=(6, 0),
        textcoords="offset points",
        va="center",
        fontsize=9,
        fontweight="bold",
        color=TEXT,
        annotation_clip=False,
    )
    if changes:
        _draw_steps(axes[1], frame, dates, lang)
        top.tick_params(labelbottom=False)
        top.sharex(axes[1])
    _date_axis(axes[-1], lang)
    return top


def _draw_steps(ax: Axes, frame: pd.DataFrame, dates: Any, lang: Lang) -> None:
    colours, layer = (
        change_colours(str(frame.attrs.get("layer", ""))),
        str(frame.attrs.get("layer", "")),
    )
    days = (
        frame["days_since_previous"].astype("Float64").fillna(1.0).to_numpy(dtype=float)
        if "days_since_previous" in frame.columns
        else np.ones(len(frame))
    )
    gained = frame["gained_km2"].astype(float).fillna(0.0).to_numpy()
    lost = frame["lost_km2"].astype(float).fillna(0.0).to_numpy()
    # Each bar spans the step it measures: from the previous stored date to this one.
    width = -0.9 * days
    ax.bar(
        dates,
        gained,
        width=width,
        align="edge",
        color=colours["gained"],
        label=change_name(layer, "gained", lang),
    )
    ax.bar(
        dates,
        -lost,
        width=width,
        align="edge",
        color=colours["lost"],
        label=change_name(layer, "lost", lang),
    )
    ax.axhline(0, color="#333333", linewidth=0.6)
    _figures_axis(ax, lang)
    ax.text(
        0.0,
        1.03,
        word("chart.changes", lang),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=8.5,
        color="#333333",
        parse_math=False,
    )
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.01), fontsize=8, frameon=False,
              ncols=2, borderaxespad=0.0)  # fmt: skip


def monthly_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a time series' gross gains and losses per calendar month.

    A step between two stored dates counts in the month of its later date.
    ``complete`` says whether the data covers the whole month: a stored date
    on or before its first day and one on or after its last day.

    Returns
    -------
    pandas.DataFrame
        ``month`` (first day), ``gained_km2``, ``lost_km2``, ``net_km2``, ``complete``.

    Examples
    --------
    >>> import datetime as dt
    >>> frame = pd.DataFrame({"date": [dt.date(2025, 5, 31), dt.date(2025, 6, 15),
    ...                                dt.date(2025, 6, 30), dt.date(2025, 7, 2)],
    ...                       "gained_km2": [None, 10.0, 5.0, 1.0],
    ...                       "lost_km2": [None, 2.0, 0.0, 0.0]})
    >>> monthly_changes(frame).to_dict("records")[0]
    {'month': datetime.date(2025, 6, 1), 'gained_km2': 15.0, 'lost_km2': 2.0, 'net_km2': 13.0,
     'complete': True}
    """
    days = [as_date(d) for d in frame["date"]]
    steps = pd.DataFrame(
        {
            "month": [dt.date(d.year, d.month, 1) for d in days[1:]],
            "gained_km2": frame["gained_km2"].astype(float).to_numpy()[1:],
            "lost_km2": frame["lost_km2"].astype(float).to_numpy()[1:],
        }
    )
    out = steps.groupby("month", sort=True).sum(min_count=1).fillna(0.0).reset_index()
    out["net_km2"] = out["gained_km2"] - out["lost_km2"]
    first, last = days[0], days[-1]
    out["complete"] = [first <= month and last >= _month_end(month) for month in out["month"]]
    return out


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def draw_gains(fig: Figure, frame: pd.DataFrame, lang: Lang) -> Axes:
    """Draw gains up and losses down per month (partial months lighter), a dot for the net."""
    months = monthly_changes(frame)
    layer = str(frame.attrs.get("layer", ""))
    colours = change_colours(layer)
    ax = chart_axes(fig)[0]
    x = np.arange(len(months))
    alpha = np.where(months["complete"], 1.0, 0.45)
    for values, kind, sign in (
        (months["gained_km2"], "gained", 1),
        (months["lost_km2"], "lost", -1),
    ):
        bars = ax.bar(x, sign * values.to_numpy(), width=0.72, color=colours[kind])
        for bar, a in zip(bars, alpha, strict=True):
            bar.set_alpha(float(a))
        if len(months) <= 36:  # room for figures on the bars
            for xi, value in zip(x, values, strict=True):
                if round(value) != 0:
                    ax.annotate(
                        format_number(value, lang),
                        (xi, sign * value),
                        xytext=(0, 2 * sign),
                        textcoords="offset points",
                        ha="center",
                        va="bottom" if sign > 0 else "top",
                        fontsize=6.5,
                        color="#333333",
                    )
    (net,) = ax.plot(
        x,
        months["net_km2"],
        linestyle="none",
        marker="o",
        markersize=3.5,
        color=TEXT,
        label=word("chart.net", lang),
    )
    ax.axhline(0, color="#333333", linewidth=0.7)
    names = word("months_short", lang).split(",")
    step = max(1, len(months) // 18)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(
        [
            f"{names[m.month - 1]}\n{m.year}" if i == 0 or m.month == 1 else names[m.month - 1]
            for i, m in enumerate(months["month"].iloc[::step])
        ]
    )
    ax.set_xlim(-0.6, len(months) - 0.4)
    _figures_axis(ax, lang)
    handles: list[Artist] = [
        Patch(color=colours["gained"], label=change_name(layer, "gained", lang)),
        Patch(color=colours["lost"], label=change_name(layer, "lost", lang)),
        net,
    ]
    if not months["complete"].all():
        handles.append(Patch(color=colours["gained"], alpha=0.45,
                             label=word("partial_month", lang)))  # fmt: skip
    _legend_above(ax, handles)
    return ax


def _legend_above(ax: Axes, handles: list[Artist]) -> None:
    """Put the legend in one row just above the axes (never over bars or lines)."""
    legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01),
                       fontsize=8, frameon=False, ncols=len(handles), borderaxespad=0.0,
                       handlelength=1.4, columnspacing=1.6)  # fmt: skip
    for text in legend.get_texts():
        text.set_parse_math(False)


def draw_shares(fig: Figure, frame: pd.DataFrame, lang: Lang, *, min_share_pct: float) -> Axes:
    """Draw each region's share, named at its line's end (any under ``min_share_pct`` left out)."""
    dates = _dates(frame)
    ax = chart_axes(fig, right_in=1.5)[0]
    columns = [c for c in frame.columns if str(c).endswith("_share_pct")]
    kept = [c for c in columns if frame[c].astype(float).max() >= min_share_pct]
    if len(kept) < len(columns):
        left_out = sorted(str(c).removesuffix("_share_pct") for c in columns if c not in kept)
        logger.info(
            "share chart: left out %d regions the layer never covers %g %% of: %s",
            len(left_out),
            min_share_pct,
            ", ".join(left_out),
        )
    columns = kept
    ends = []
    for i, column in enumerate(columns):
        values = frame[column].astype(float).to_numpy()
        colour = REGION_COLOURS[i % len(REGION_COLOURS)]
        ax.plot(dates, values, color=colour, linewidth=1.7)
        name = str(column).removesuffix("_share_pct").replace("_", " ").title()
        ends.append((float(values[-1]), name, colour))
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    # Name each line at its end, names spread apart where their lines end close together.
    gap = 100 * 8.5 * float(fig.dpi) / 72 * 1.25 / max(float(ax.bbox.height), 1.0)
    ends.sort(key=lambda end: -end[0])
    spots = _spread([value for value, _, _ in ends], gap, low=-2 * gap, high=100 + 2 * gap)
    for (value, name, colour), y in zip(ends, spots, strict=True):
        share = f"{value:.1f}".replace(".", ",") if lang == "uk" else f"{value:.1f}"
        ax.annotate(
            f"{name} {share}%",
            (dates[-1], y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            color=colour,
            fontweight="bold",
            annotation_clip=False,
            parse_math=False,
        )
    _date_axis(ax, lang)
    return ax


def _spread(values: list[float], gap: float, *, low: float, high: float) -> list[float]:
    """Return positions near ``values`` (sorted high to low) at least ``gap`` apart, in bounds.

    Examples
    --------
    >>> [round(v, 1) for v in _spread([100.0, 99.6, 80.0, 0.5, 0.1], 3.0, low=-6, high=106)]
    [100.0, 97.0, 80.0, 0.5, -2.5]
    """
    spots = list(values)
    for _ in range(len(spots)):
        for i in range(1, len(spots)):  # push down from the top
            spots[i] = min(spots[i], spots[i - 1] - gap)
        if spots and spots[-1] < low:
            spots[-1] = low
        for i in range(len(spots) - 2, -1, -1):  # push up from the bottom
            spots[i] = max(spots[i], spots[i + 1] + gap)
        if spots and spots[0] > high:
            spots[0] = high
    return spots


def _dates(frame: pd.DataFrame) -> Any:
    return pd.to_datetime(pd.Series([as_date(d) for d in frame["date"]])).to_numpy()


def as_date(value: Any) -> dt.date:
    """Return a value of a frame's ``date`` column (date, datetime or timestamp) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
