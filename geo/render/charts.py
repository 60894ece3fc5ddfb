"""Charts of a time series for publication: area held, gains and losses per month, regional shares.

Each chart takes the frame of :func:`geo.timeseries` and draws a news-style
page: a human title and subtitle (:func:`geo.render.labels.map_title`), the
chart, and a source line (:func:`geo.publishers.credit_line`) with the area
method. Colours keep their meaning: Russian gains red, Ukrainian gains blue,
whatever the layer (:func:`geo.render.labels.change_colours`). Figures are
rounded to the km², and words come in English or Ukrainian (``lang=``). A PNG
or SVG is written atomically when a ``path`` is given; otherwise the
:class:`~matplotlib.figure.Figure` is returned. What each chart draws in its
axes is :mod:`geo.render.chart_panels`. Public through :mod:`geo.render`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, overload

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.errors import ValidationError
from geo.publishers import notice_for
from geo.render.chart_panels import as_date, draw_area, draw_gains, draw_shares, monthly_changes
from geo.render.labels import (
    Lang,
    map_title,
    word,
)
from geo.render.newsmap import (
    MARGIN_IN,
    MUTED,
    add_header,
    add_notice,
    credit_text,
    fit_width,
)
from geo.render.static import (
    DEFAULT_SIZE,
    FORMATS,
    StaticFormat,
    check_size,
    output_target,
    save_figure,
)

__all__ = ["area_chart", "gains_chart", "monthly_changes", "share_chart"]


@overload
def area_chart(
    frame: pd.DataFrame,
    path: None = None,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: None = ...,
) -> Figure: ...


@overload
def area_chart(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: StaticFormat | None = ...,
) -> Path: ...


def area_chart(
    frame: pd.DataFrame,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
    size: tuple[int, int] = DEFAULT_SIZE,
    dpi: float | None = None,
    format: StaticFormat | None = None,
) -> Figure | Path:
    """Chart the area held over time, with gains and losses per step below: a file or a figure.

    Parameters
    ----------
    frame
        Output of :func:`geo.timeseries`: columns ``date`` and ``area_km2``;
        ``gained_km2`` and ``lost_km2`` add a lower panel.
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    title, subtitle
        Header lines; by default the layer, publisher and dates
        (:func:`~geo.render.labels.map_title`), and what the chart shows.
    notice
        Banner over the chart. A source's own notice (the synthetic sample's)
        always leads it.
    attribution
        Extra credit after the data credit in the source line.
    lang
        ``"en"`` or ``"uk"``: the words on the chart.
    size
        Width and height in pixels.
    dpi
        Pixels per inch; default ``width / 10`` (text sizes are in points).
    format
        ``"png"`` or ``"svg"``; default from the suffix of ``path``.

    Returns
    -------
    matplotlib.figure.Figure or Path
        The figure when ``path`` is ``None``, else the file written.

    Raises
    ------
    ValidationError
        If the frame lacks ``date`` or ``area_km2``, has no rows, or the file
        type is not PNG or SVG.

    Examples
    --------
    >>> import datetime
    >>> import pandas as pd
    >>> from geo.render import area_chart
    >>> frame = pd.DataFrame({"date": [datetime.date(2025, 6, 1), datetime.date(2025, 7, 1)],
    ...                       "area_km2": [1000.0, 1040.0]})
    >>> frame.attrs.update(layer="russian_control", source="deepstate")
    >>> fig = area_chart(frame, size=(800, 450))
    >>> [t.get_text() for t in fig.texts if t.get_gid() == "title"]
    ['Russian-controlled territory, DeepStateMap.Live, 1 Jun → 1 Jul 2025']
    """
    options = _Options(title, subtitle, notice, attribution, lang, size, dpi, format)
    return _chart(frame, path, options, ("date", "area_km2"), draw_area, "area")


@overload
def gains_chart(
    frame: pd.DataFrame,
    path: None = None,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: None = ...,
) -> Figure: ...


@overload
def gains_chart(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: StaticFormat | None = ...,
) -> Path: ...


def gains_chart(
    frame: pd.DataFrame,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
    size: tuple[int, int] = DEFAULT_SIZE,
    dpi: float | None = None,
    format: StaticFormat | None = None,
) -> Figure | Path:
    """Chart gross gains and losses per calendar month, with the net: a file or a figure.

    Bars above the axis are ground the layer gained, below it ground it lost,
    in the colours of their meaning (for Russian-controlled territory, Russian
    gains red and Ukrainian gains blue); a dot marks each month's net change.
    Months the data covers only in part are drawn lighter (see
    :func:`monthly_changes`).

    Parameters
    ----------
    frame
        Output of :func:`geo.timeseries` (``date``, ``gained_km2``, ``lost_km2``).
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    title, subtitle, notice, attribution, lang, size, dpi, format
        As for :func:`area_chart`.

    Returns
    -------
    matplotlib.figure.Figure or Path
        The figure when ``path`` is ``None``, else the file written.

    Raises
    ------
    ValidationError
        If the frame lacks the columns, has fewer than two rows, or the file
        type is not PNG or SVG.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"date": [dt.date(2025, 5, 31), dt.date(2025, 6, 15),
    ...                                dt.date(2025, 7, 1)],
    ...                       "gained_km2": [float("nan"), 120.0, 40.0],
    ...                       "lost_km2": [float("nan"), 5.0, 0.0]})
    >>> frame.attrs.update(layer="russian_control", source="deepstate")
    >>> fig = gains_chart(frame, size=(800, 450))
    >>> [t.get_text() for t in fig.texts if t.get_gid() == "subtitle"]
    ['Gains and losses per month (km²)']
    """
    options = _Options(title, subtitle, notice, attribution, lang, size, dpi, format)
    return _chart(frame, path, options, ("date", "gained_km2", "lost_km2"), draw_gains, "gains")


@overload
def share_chart(
    frame: pd.DataFrame,
    path: None = None,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: None = ...,
    min_share_pct: float = ...,
) -> Figure: ...


@overload
def share_chart(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    format: StaticFormat | None = ...,
    min_share_pct: float = ...,
) -> Path: ...


def share_chart(
    frame: pd.DataFrame,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
    size: tuple[int, int] = DEFAULT_SIZE,
    dpi: float | None = None,
    format: StaticFormat | None = None,
    min_share_pct: float = 0.1,
) -> Figure | Path:
    """Chart the share of each region the layer covers, over time: a file or a figure.

    Each region's line is named at its end with its latest share, to the
    tenth of a percent. Regions the layer never covers more than
    ``min_share_pct`` of are left out (a note says which).

    Parameters
    ----------
    frame
        Output of :func:`geo.timeseries` with ``regions=``: ``date`` and one
        ``<region>_share_pct`` column per region.
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    title, subtitle, notice, attribution, lang, size, dpi, format
        As for :func:`area_chart`.
    min_share_pct
        Least highest share (%) a region needs to be drawn.

    Returns
    -------
    matplotlib.figure.Figure or Path
        The figure when ``path`` is ``None``, else the file written.

    Raises
    ------
    ValidationError
        If the frame has no ``_share_pct`` column (pass ``regions=`` to
        :func:`geo.timeseries`), no rows, or the file type is not PNG or SVG.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"date": [dt.date(2025, 1, 1), dt.date(2025, 6, 1)],
    ...                       "donetsk_share_pct": [60.0, 70.5]})
    >>> frame.attrs.update(layer="russian_control", source="deepstate")
    >>> fig = share_chart(frame, size=(800, 450))
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['Donetsk 70.5%']
    """
    options = _Options(title, subtitle, notice, attribution, lang, size, dpi, format)
    draw = functools.partial(draw_shares, min_share_pct=min_share_pct)
    return _chart(frame, path, options, ("date",), draw, "share")


_Draw = Callable[[Figure, pd.DataFrame, Lang], Axes]


class _Options(NamedTuple):
    title: str | None
    subtitle: str | None
    notice: str | None
    attribution: str | None
    lang: Lang
    size: tuple[int, int]
    dpi: float | None
    format: StaticFormat | None


def _chart(
    frame: pd.DataFrame,
    path: str | Path | None,
    options: _Options,
    needed: tuple[str, ...],
    draw: _Draw,
    kind: str,
) -> Figure | Path:
    target = None if path is None else output_target(path, options.format, FORMATS)
    missing = [c for c in needed if c not in frame.columns]
    if kind == "share" and not [c for c in frame.columns if str(c).endswith("_share_pct")]:
        missing.append("<region>_share_pct (pass regions= to geo.timeseries)")
    too_short = len(frame) < (2 if kind == "gains" else 1)
    if missing or too_short:
        msg = f"cannot chart {target[0] if target else f'the {kind}'}"
        problems = [f"missing column {c!r} (pass geo.timeseries output)" for c in missing]
        if too_short:
            problems.append(
                "the time series has no rows" if frame.empty else "gains need at least two dates"
            )
        raise ValidationError(msg, problems)
    lang = options.lang
    word("area", lang)  # an unknown language fails here, before any drawing
    width, height = check_size(options.size)
    dpi = float(options.dpi or width / 10)
    layer = str(frame.attrs.get("layer", ""))
    source = str(frame.attrs.get("source", ""))
    first, last = as_date(frame["date"].iloc[0]), as_date(frame["date"].iloc[-1])
    default_title = (
        map_title(layer, source, first, last, lang) if layer and source else f"{first} → {last}"
    )
    title = options.title or default_title
    subtitle = options.subtitle
    if subtitle is None:
        subtitle = word(
            {"area": "chart.area", "gains": "chart.gains", "share": "chart.share"}[kind], lang
        )
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    sources = [source] if source else []
    method = frame.attrs.get("method")
    note = word("areas_method", lang).format(method=method) if method else None
    _page(
        fig,
        title,
        subtitle,
        credit_text(sources, options.attribution, lang, map_credits=False),
        note,
    )
    ax = draw(fig, frame, lang)
    banner = notice_for(sources, options.notice)
    if banner:
        add_notice(ax, banner, y=0.97, wrap=100)
    return fig if target is None else save_figure(fig, *target, title)


def _page(fig: Figure, title: str, subtitle: str, credit: str, note: str | None) -> None:
    add_header(fig, title, subtitle, title_minimum=7.0)
    dpi, width, height = float(fig.dpi), fig.bbox.width, fig.bbox.height
    x, room = MARGIN_IN * dpi / width, width - 2 * MARGIN_IN * dpi
    footer = [credit, *([note] if note else [])]
    for i, text in enumerate(reversed(footer)):
        line = fig.text(
            x,
            (0.1 + 0.16 * i) * dpi / height,
            text,
            ha="left",
            va="bottom",
            fontsize=7 if i == len(footer) - 1 else 6,
            color=MUTED,
            parse_math=False,
            gid="credit" if text == credit else "note",
        )
        fit_width(line, room, minimum=4)
