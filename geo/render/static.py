"""Static export for reports: PNG or SVG of a snapshot or diff map, and the area chart.

Built on matplotlib's object API (a :class:`matplotlib.figure.Figure` on the
Agg canvas; pyplot's global state is never touched) and needs no network: no
tiles, fonts bundled with matplotlib. Maps plot lon/lat with the aspect
``1 / cos(mean latitude)``, so shapes look right near the centre latitude.
Text from data is drawn with mathtext off, so a ``$`` in a name stays a
``$``; SVG keeps text as text (searchable, editable) and the title in its
metadata. A small line under the figure credits the data sources
(:func:`geo.publishers.credit_line`). Given a ``path``, files are written
atomically (a temporary file in the same folder, then :func:`os.replace`);
without one, the :class:`~matplotlib.figure.Figure` is returned. Public
through :mod:`geo.render`.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal, overload

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import StrMethodFormatter
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from geo.diff import Diff
from geo.errors import ValidationError
from geo.fsutil import write_atomic
from geo.geometry import WGS84
from geo.layers import layer_colour
from geo.publishers import credit_line, notice_for
from geo.render.style import DIFF_COLOURS, DIFF_LABELS
from geo.snapshot import Snapshot

#: File types :func:`static_map` and :func:`area_chart` write.
StaticFormat = Literal["png", "svg"]
#: The file type of each suffix.
FORMATS: dict[str, StaticFormat] = {".png": "png", ".svg": "svg"}
_NOTICE_BOX = {"boxstyle": "round,pad=0.4", "facecolor": "#fff3cd", "edgecolor": "#b58900"}


@overload
def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: None = None,
    *,
    regions: gpd.GeoDataFrame | None = ...,
    title: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    dpi: int = ...,
    format: None = ...,
) -> Figure: ...


@overload
def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: str | Path,
    *,
    regions: gpd.GeoDataFrame | None = ...,
    title: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    dpi: int = ...,
    format: StaticFormat | None = ...,
) -> Path: ...


def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: str | Path | None = None,
    *,
    regions: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    dpi: int = 150,
    format: StaticFormat | None = None,
) -> Figure | Path:
    """Draw snapshots or a diff as a static map: a PNG or SVG file, or a matplotlib figure.

    Parameters
    ----------
    what
        A snapshot, several (one colour per layer, from the palette of
        :mod:`geo.layers`), or a :class:`geo.diff.Diff` (gained red, lost
        blue, unchanged grey, as in the HTML diff map).
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    regions
        GeoDataFrame of region outlines with a ``region`` or ``name`` column,
        drawn dashed and labelled.
    title
        Heading; default says layer, source and date(s).
    notice
        Text shown in a yellow box above the map. A source's own notice (the
        synthetic sample's, :func:`geo.publishers.notice_for`) always leads it.
    attribution
        Extra credit after the data credit (:func:`geo.publishers.credit_line`
        of the sources), which is printed in small type under the figure.
    dpi
        Resolution of PNG output.
    format
        ``"png"`` or ``"svg"``; default from the suffix of ``path``.

    Returns
    -------
    matplotlib.figure.Figure or Path
        The figure when ``path`` is ``None``, else the file written.

    Raises
    ------
    ValidationError
        If the file type is not PNG or SVG or there is nothing to draw.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import static_map
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snap = Snapshot("isw", "russian_control", datetime.date(2025, 6, 1),
    ...                 make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("mine.geojson"))
    >>> fig = static_map(snap)
    >>> fig.axes[0].get_title()
    'isw: 2025-06-01'
    """
    target = None if path is None else _target(path, format)
    fig = _figure((10, 8), dpi)
    ax = fig.add_subplot()
    if isinstance(what, Diff):
        drawn, handles, default_title = _draw_diff(ax, what)
        sources = [what.source_from, what.source_to]
    else:
        snaps = [what] if isinstance(what, Snapshot) else list(what)
        drawn, handles, default_title = _draw_snapshots(ax, snaps)
        sources = [s.source for s in snaps]
    frame = None
    if regions is not None and not regions.empty:
        frame = regions.to_crs(WGS84) if regions.crs is not None else regions
        _draw_regions(ax, frame)
        if not drawn:
            drawn.extend(g for g in frame.geometry if g is not None and not g.is_empty)
    if not drawn:
        msg = f"cannot draw {target[0] if target else 'a static map'}"
        raise ValidationError(msg, ["nothing to draw: every geometry is empty; pass regions="])
    _frame_axes(ax, shapely.bounds(shapely.union_all(drawn)))
    _add_credit(ax, credit_line(sources, attribution))
    if handles:
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
        for label in legend.get_texts():
            label.set_parse_math(False)
    text = title or default_title
    ax.set_title(text, parse_math=False, fontsize=12)
    _add_notice(fig, notice_for(sources, notice))
    return fig if target is None else _save(fig, *target, text)


@overload
def area_chart(
    frame: pd.DataFrame,
    path: None = None,
    *,
    title: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    dpi: int = ...,
    format: None = ...,
) -> Figure: ...


@overload
def area_chart(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    dpi: int = ...,
    format: StaticFormat | None = ...,
) -> Path: ...


def area_chart(
    frame: pd.DataFrame,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    dpi: int = 150,
    format: StaticFormat | None = None,
) -> Figure | Path:
    """Chart the area held over time, with gains and losses per step: a file or a figure.

    Parameters
    ----------
    frame
        Output of :func:`geo.stats.timeseries`: columns ``date`` and
        ``area_km2``; ``gained_km2`` and ``lost_km2`` add a lower panel.
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    title
        Heading; default from ``frame.attrs`` (layer, source) and the dates.
    notice
        Text shown in a yellow box above the chart. The source's own notice
        (the synthetic sample's) always leads it.
    attribution
        Extra credit after the data credit of ``frame.attrs["source"]``, both
        printed in small type under the chart.
    dpi
        Resolution of PNG output.
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
    >>> area_chart(frame).axes[0].get_title()
    'russian_control (deepstate): area held, 2025-06-01 – 2025-07-01'
    """
    target = None if path is None else _target(path, format)
    missing = [c for c in ("date", "area_km2") if c not in frame.columns]
    if missing or frame.empty:
        msg = f"cannot chart {target[0] if target else 'the area'}"
        raise ValidationError(
            msg,
            [f"missing column {c!r} (pass geo.stats.timeseries output)" for c in missing]
            + (["the time series has no rows"] if frame.empty else []),
        )
    dates = pd.to_datetime(pd.Series([_as_date(d) for d in frame["date"]])).to_numpy()
    area = frame["area_km2"].to_numpy(dtype=float)
    changes = "gained_km2" in frame.columns and "lost_km2" in frame.columns and len(frame) > 1
    fig = _figure((10, 6 if changes else 4.5), dpi)
    axes = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1]) if changes else [fig.add_subplot()]
    top = axes[0]
    top.plot(dates, area, color=layer_colour(str(frame.attrs.get("layer", ""))), lw=1.5,
             marker="o" if len(frame) <= 60 else None, ms=3)  # fmt: skip
    top.set_ylabel("area held (km²)")
    top.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    top.grid(alpha=0.3)
    if changes:
        _draw_changes(axes[1], frame, dates)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    first, last = _as_date(frame["date"].iloc[0]), _as_date(frame["date"].iloc[-1])
    layer, source = frame.attrs.get("layer"), frame.attrs.get("source")
    what = f"{layer} ({source})" if layer and source else str(layer or "area")
    text = title or f"{what}: area held, {first.isoformat()} – {last.isoformat()}"
    top.set_title(text, parse_math=False, fontsize=12)
    method = frame.attrs.get("method")
    if method:
        note = textwrap.fill(f"Areas: {method}", 160)
        axes[-1].set_xlabel(note, fontsize=6, color="#555555", parse_math=False)
    sources = [str(source)] if source else []
    _add_notice(fig, notice_for(sources, notice))
    _add_credit(axes[-1], credit_line(sources, attribution))
    return fig if target is None else _save(fig, *target, text)


# --- drawing ----------------------------------------------------------------------------


def _draw_diff(ax: Axes, d: Diff) -> tuple[list[BaseGeometry], list[Patch], str]:
    parts = {"unchanged": d.unchanged, "lost": d.lost, "gained": d.gained}
    areas = {"unchanged": d.unchanged_km2, "lost": d.lost_km2, "gained": d.gained_km2}
    handles = []
    for kind, geometry in parts.items():
        alpha = 0.45 if kind == "unchanged" else 0.85
        _draw(ax, geometry, facecolor=DIFF_COLOURS[kind], alpha=alpha, zorder=2)
        label = f"{DIFF_LABELS[kind]}: {areas[kind]:,.2f} km²"
        handles.append(Patch(facecolor=DIFF_COLOURS[kind], alpha=alpha, label=label))
    drawn = [g for g in (d.geometry_from, d.geometry_to) if not g.is_empty]
    span = f"{d.date_from.isoformat()} → {d.date_to.isoformat()}"
    return drawn, handles, f"{d.layer} ({d.source}): {span}, net {d.net_km2:+,.2f} km²"


def _draw_snapshots(ax: Axes, snaps: list[Snapshot]) -> tuple[list[BaseGeometry], list[Patch], str]:
    if not snaps:
        msg = "cannot draw a static map"
        raise ValidationError(msg, ["no snapshots given"])
    several_dates = len({s.date for s in snaps}) > 1
    drawn, handles = [], []
    for snap in snaps:
        colour = layer_colour(snap.layer)
        _draw(ax, snap.geometry, facecolor=colour, alpha=0.6, zorder=2)
        when = f" {snap.date.isoformat()}" if several_dates else ""
        label = f"{snap.layer}{when} ({snap.source}): {snap.area_km2:,.1f} km²"
        handles.append(Patch(facecolor=colour, alpha=0.6, label=label))
        if not snap.geometry.is_empty:
            drawn.append(snap.geometry)
    sources = ", ".join(dict.fromkeys(s.source for s in snaps))
    dates = ", ".join(sorted({s.date.isoformat() for s in snaps}))
    return drawn, handles, f"{sources}: {dates}"


def _draw(ax: Axes, geometry: BaseGeometry, **style: Any) -> None:
    """Fill the polygons of ``geometry`` as one compound path (holes stay holes)."""
    polygons = shapely.get_parts(shapely.orient_polygons(geometry))
    polygons = polygons[shapely.get_type_id(polygons) == 3]
    if len(polygons) == 0:
        return
    rings = shapely.get_rings(polygons)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = MplPath.CLOSEPOLY
    ax.add_patch(PathPatch(MplPath(coords, codes), edgecolor="none", **style))


def _draw_regions(ax: Axes, frame: gpd.GeoDataFrame) -> None:
    column = "region" if "region" in frame.columns else "name"
    names = [str(n) for n in frame[column]] if column in frame.columns else [""] * len(frame)
    for name, geometry in zip(names, frame.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        for ring in shapely.get_parts(shapely.boundary(geometry)):
            xy = shapely.get_coordinates(ring)
            ax.plot(xy[:, 0], xy[:, 1], color="#333333", lw=0.8, ls="--", zorder=3)
        if name:
            point = geometry.representative_point()
            ax.text(point.x, point.y, name, fontsize=8, ha="center", va="center", zorder=4,
                    color="#222222", parse_math=False, clip_on=True)  # fmt: skip


def _frame_axes(ax: Axes, box: Any) -> None:
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    pad_x, pad_y = max((xmax - xmin) * 0.05, 0.01), max((ymax - ymin) * 0.05, 0.01)
    ax.set_xlim(xmin - pad_x, xmax + pad_x)
    ax.set_ylim(ymin - pad_y, ymax + pad_y)
    mean_lat = (ymin + ymax) / 2
    ax.set_aspect(1 / max(math.cos(math.radians(mean_lat)), 0.01))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.grid(alpha=0.2)


def _draw_changes(ax: Axes, frame: pd.DataFrame, dates: Any) -> None:
    days = (
        frame["days_since_previous"].astype("Float64").fillna(1.0).to_numpy(dtype=float)
        if "days_since_previous" in frame.columns
        else np.ones(len(frame))
    )
    gained = frame["gained_km2"].astype(float).fillna(0.0).to_numpy()
    lost = frame["lost_km2"].astype(float).fillna(0.0).to_numpy()
    # Each bar spans the step it measures: from the previous stored date to this one.
    width = -0.9 * days
    ax.bar(dates, gained, width=width, align="edge", color=DIFF_COLOURS["gained"], label="gained")
    ax.bar(dates, -lost, width=width, align="edge", color=DIFF_COLOURS["lost"], label="lost")
    ax.axhline(0, color="#333333", lw=0.6)
    ax.set_ylabel("change (km²)")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)


def _add_notice(fig: Figure, notice: str | None) -> None:
    # suptitle, unlike fig.text, gets room from the constrained layout; the top stays free.
    if notice:
        fig.suptitle(notice, fontsize=11, fontweight="bold", bbox=_NOTICE_BOX, parse_math=False)


def _add_credit(ax: Axes, credit: str | None) -> None:
    """Print the data credit in small type under the x axis (its labels included), flush right.

    Placed relative to the axis, so the constrained layout makes room for it
    (and puts an outside legend below it).
    """
    if not credit:
        return

    def below(renderer: RendererBase) -> Bbox:
        box = ax.xaxis.get_tightbbox(renderer)
        return box if box is not None else ax.get_window_extent(renderer)

    ax.annotate(
        textwrap.fill(credit, 180),
        xy=(1, 0),
        xycoords=("axes fraction", below),
        xytext=(0, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=7,
        color="#555555",
        annotation_clip=False,
        parse_math=False,
    )


# --- files ------------------------------------------------------------------------------


def _target(path: str | Path, fmt: StaticFormat | None) -> tuple[Path, StaticFormat]:
    target = Path(path)
    chosen = fmt or FORMATS.get(target.suffix.lower())
    if chosen is None or chosen not in FORMATS.values():
        problem = (
            f"unsupported format={fmt!r}; pass 'png' or 'svg'"
            if fmt
            else f"unsupported file type {target.suffix or '(none)'}; use .png or .svg"
        )
        msg = f"cannot write {target}"
        raise ValidationError(msg, [problem])
    return target, chosen


def _figure(size_in: tuple[float, float], dpi: int) -> Figure:
    fig = Figure(figsize=size_in, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, target: Path, fmt: str, title: str) -> Path:
    def draw(handle: IO[bytes]) -> None:
        # svg.fonttype "none" keeps text as <text> rather than glyph outlines.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "geo"}):
            fig.savefig(handle, format=fmt, metadata={"Title": title})

    return write_atomic(target, draw)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
