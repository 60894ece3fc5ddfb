"""The page of a static news map or a video frame: header, map, context, labels, credit.

:func:`new_sheet` lays out a :class:`~geo.render.sheet.Sheet`, a matplotlib
figure of a fixed pixel size, like a news graphic: a title and subtitle above
the map (:func:`add_header`, also the charts'), the source line under it, a
notice banner (:func:`add_notice`), and on the map (equal-area, no lon/lat
axes) sea and neighbouring countries for context. The legend, scale bar and
locator inset are :mod:`geo.render.sheet`'s; the map zooms out until the data
is under none of them. Labels (towns, regions, countries, seas) are placed
without collisions when :func:`finish` runs.

Text from data is drawn with mathtext off. Sizes are in points of a figure
10 inches wide by default (``dpi = width / 10``), so a 1600 x 900 PNG and a
1280 x 720 video look alike.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.publishers import credit_line
from geo.render.context import (
    SEAS,
    Projection,
    visible_countries,
)
from geo.render.labels import Lang, word
from geo.render.placement import CENTRED, Label, place_labels
from geo.render.sheet import (
    TEXT,
    Sheet,
    add_legend,
    add_outline,
    geometry_path,
    locator_rect,
    scale_rect,
)

__all__ = [
    "FOOTER_IN",
    "HEADER_IN",
    "HEADER_NO_SUBTITLE_IN",
    "LAND",
    "LAND_UKRAINE",
    "MARGIN_IN",
    "MUTED",
    "SEA",
    "add_header",
    "add_notice",
    "credit_text",
    "finish",
    "fit_width",
    "new_sheet",
]

SEA = "#d3e3ee"
LAND = "#e9e7e1"
LAND_UKRAINE = "#fbfaf6"
BORDER = "#9a9a9a"
BORDER_UKRAINE = "#4a4a4a"
MUTED = "#5c5c5c"
SEA_TEXT = "#4f7590"
NOTICE_BOX = {"boxstyle": "round,pad=0.4", "facecolor": "#fff3cd", "edgecolor": "#b58900"}
#: Header, footer and margins, in inches of the figure.
HEADER_IN, HEADER_NO_SUBTITLE_IN, FOOTER_IN, MARGIN_IN = 0.68, 0.46, 0.26, 0.15


def new_sheet(
    frame: BaseGeometry,
    *,
    projection: Projection,
    size: tuple[int, int],
    dpi: float,
    lang: Lang,
    title: str,
    subtitle: str | None,
    notice: str | None,
    credit: str,
    handles: Sequence[Artist] = (),
    important: BaseGeometry | None = None,
    keep_clear: BaseGeometry | None = None,
    reserve: Sequence[Bbox] = (),
    min_span_km: float = 80.0,
    pad: float = 0.07,
) -> Sheet:
    """Lay out a page framed on ``frame`` (projected): header, legend, map with context, credit.

    The legend goes at the lower left, and room is planned for the scale bar
    (lower right, :func:`~geo.render.sheet.add_scale_bar`) and the locator (upper right,
    :func:`~geo.render.sheet.add_locator`): the map zooms out until ``important`` is under none
    of them.

    Parameters
    ----------
    frame
        Projected shape the map must show (grown to the map's aspect, padded).
    projection
        Projection of ``frame`` and of everything drawn.
    size
        Width and height in pixels.
    dpi
        Pixels per inch (text sizes are in points).
    lang
        Language of the words drawn.
    title, subtitle
        Header lines (the subtitle may be ``None``).
    notice
        A banner at the top of the map (the synthetic sample's notice), or ``None``.
    credit
        Source line under the map (:func:`credit_text`).
    handles
        Legend entries (none: no legend).
    important
        Projected shape no legend, inset, scale bar or banner may cover.
    keep_clear
        Projected shape country names must not cover (the data).
    reserve
        More boxes (display pixels) to keep ``important`` and labels clear of.
    min_span_km
        Smallest width or height of the map's extent.
    pad
        Space around ``frame``, as a fraction of its size.
    """
    width_px, height_px = size
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    header_in = HEADER_IN if subtitle else HEADER_NO_SUBTITLE_IN
    bottom, top = FOOTER_IN * dpi / height_px, 1 - header_in * dpi / height_px
    ax = fig.add_axes((0.0, bottom, 1.0, top - bottom))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(SEA)
    for spine in ax.spines.values():
        spine.set_edgecolor("#b0b0b0")
        spine.set_linewidth(0.6)
    extent = _fit_extent(
        frame.bounds,
        float(ax.bbox.width) / float(ax.bbox.height),
        pad=pad,
        min_span_m=min_span_km * 1000.0,
    )
    sheet = Sheet(fig, ax, projection, extent, lang, keep_clear=keep_clear)
    _set_extent(sheet, extent)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
    _header(sheet, title, subtitle)
    _footer(sheet, credit)
    sheet.avoid_boxes.extend(reserve)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    corners = [locator_rect(sheet), scale_rect(sheet), *reserve]
    if notice:
        banner = add_notice(ax, notice)
        sheet.overlay.append(banner)
        sheet.avoid.append(banner)
        corners.append(banner.get_window_extent(renderer).padded(6 * sheet.points))
    if handles:
        corners.append(add_legend(sheet, handles).get_window_extent(renderer))
    if important is not None and not important.is_empty:
        _zoom_out_of(sheet, important, corners)
    _context(sheet)
    return sheet


def _set_extent(sheet: Sheet, extent: tuple[float, float, float, float]) -> None:
    sheet.extent = extent
    sheet.ax.set_xlim(extent[0], extent[2])
    sheet.ax.set_ylim(extent[1], extent[3])


def _zoom_out_of(sheet: Sheet, important: BaseGeometry, boxes: Sequence[Bbox]) -> None:
    """Zoom out (up to 2.5x) until ``important`` lies under none of ``boxes`` (display pixels)."""
    shape = shapely.make_valid(shapely.simplify(important, 2 * sheet.metres_per_px))
    for _ in range(8):
        to_data = sheet.ax.transData.inverted()
        covered = [
            shapely.box(*to_data.transform([[b.x0, b.y0], [b.x1, b.y1]]).ravel()) for b in boxes
        ]
        if not any(shape.intersects(c) for c in covered):
            return
        xmin, ymin, xmax, ymax = sheet.extent
        cx, cy, half_w, half_h = (
            (xmin + xmax) / 2,
            (ymin + ymax) / 2,
            (xmax - xmin) / 2,
            (ymax - ymin) / 2,
        )
        grow = 1.12
        _set_extent(
            sheet, (cx - half_w * grow, cy - half_h * grow, cx + half_w * grow, cy + half_h * grow)
        )


def _fit_extent(
    bounds: tuple[float, float, float, float], aspect: float, *, pad: float, min_span_m: float
) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = bounds
    width = max(xmax - xmin, min_span_m) * (1 + 2 * pad)
    height = max(ymax - ymin, min_span_m) * (1 + 2 * pad)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def _header(sheet: Sheet, title: str, subtitle: str | None) -> None:
    sheet.overlay.extend(add_header(sheet.fig, title, subtitle))


def add_header(
    fig: Figure, title: str, subtitle: str | None, *, title_minimum: float = 10.0
) -> list[Text]:
    """Draw the title and the subtitle (if any) at the top left, each shrunk to fit the width.

    Returns the texts drawn (gids ``title`` and ``subtitle``); ``title_minimum``
    is the least font size the title shrinks to (the subtitle's is 7 points).
    """
    dpi = float(fig.dpi)
    width_px, height_px = fig.bbox.width, fig.bbox.height
    x = MARGIN_IN * dpi / width_px
    room = width_px - 2 * MARGIN_IN * dpi
    drawn = []
    for text, y_in, size, weight, colour, gid, minimum in (
        (title, 0.1, 15, "bold", TEXT, "title", title_minimum),
        (subtitle, 0.42, 10, "normal", MUTED, "subtitle", 7.0),
    ):
        if not text:
            continue
        line = fig.text(
            x,
            1 - y_in * dpi / height_px,
            text,
            ha="left",
            va="top",
            fontsize=size,
            fontweight=weight,
            color=colour,
            parse_math=False,
            gid=gid,
        )
        fit_width(line, room, minimum=minimum)
        drawn.append(line)
    return drawn


def add_notice(ax: Axes, notice: str, *, y: float = 0.975, wrap: int = 90) -> Text:
    """Draw a notice (the synthetic sample's) as a banner at the top centre of ``ax``.

    ``y`` is the banner's top in axes coordinates; lines wrap at ``wrap`` characters.
    """
    return ax.text(
        0.5,
        y,
        textwrap.fill(notice, wrap),
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=9.5,
        fontweight="bold",
        color=TEXT,
        bbox=NOTICE_BOX,
        zorder=12,
        parse_math=False,
        gid="notice",
    )


def _footer(sheet: Sheet, credit: str) -> None:
    fig, dpi = sheet.fig, float(sheet.fig.dpi)
    x = MARGIN_IN * dpi / fig.bbox.width
    y = FOOTER_IN * dpi / 2 / fig.bbox.height
    line = fig.text(
        x,
        y,
        credit,
        ha="left",
        va="center",
        fontsize=7,
        color=MUTED,
        parse_math=False,
        gid="credit",
    )
    fit_width(line, fig.bbox.width - 2 * MARGIN_IN * dpi, minimum=4.5)
    sheet.overlay.append(line)


def fit_width(text: Text, width_px: float, *, minimum: float) -> None:
    """Lower the font size of ``text`` until it fits ``width_px`` (or reaches ``minimum``)."""
    renderer = text.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    size = float(text.get_fontsize())
    while size > minimum and text.get_window_extent(renderer).width > width_px:
        size = max(size - 0.5, minimum)
        text.set_fontsize(size)


def credit_text(
    sources: Sequence[str], attribution: str | None, lang: Lang, *, map_credits: bool = True
) -> str:
    """Return the source line: data credit, attribution; for a map, borders and projection.

    Examples
    --------
    >>> credit_text(["deepstate"], None, "en")
    'Data: DeepStateMap.Live · Borders: Natural Earth · Lambert azimuthal equal-area projection'
    >>> credit_text(["deepstate"], None, "uk", map_credits=False)
    'Дані: DeepStateMap.Live'
    """
    line = credit_line(sources, attribution) or ""
    if line.startswith("Data: ") and lang != "en":
        line = f"{word('data', lang)}: {line.removeprefix('Data: ')}"
    parts = [line] if line else []
    if map_credits:
        parts += [word("borders", lang), word("projection", lang)]
    return " · ".join(parts)


def _context(sheet: Sheet) -> None:
    """Land and borders (Ukraine in white with a stronger border); names wait for :func:`finish`."""
    for country, shape in visible_countries(sheet.projection, sheet.extent):
        ukraine = country.name == "Ukraine"
        path = geometry_path(shape)
        if path is None:
            continue
        land = PathPatch(
            path, facecolor=LAND_UKRAINE if ukraine else LAND, edgecolor="none", zorder=0.5
        )
        sheet.ax.add_patch(land)
        sheet.background.append(land)
        add_outline(
            sheet,
            shape,
            edgecolor=BORDER_UKRAINE if ukraine else BORDER,
            linewidth=1.0 if ukraine else 0.5,
            zorder=4,
        )
        try:
            name = word(f"country.{country.name}", sheet.lang)
        except KeyError:
            continue  # only the countries around Ukraine are named
        sheet.areas.append((name, shape))


def _area_labels(sheet: Sheet, covered: Sequence[BaseGeometry]) -> list[Label]:
    """Country names where each country has most room (off the data and the boxes); seas."""
    xmin, ymin, xmax, ymax = sheet.extent
    view = box(xmin, ymin, xmax, ymax)
    clear = [shapely.make_valid(sheet.keep_clear)] if sheet.keep_clear is not None else []
    blocked = shapely.union_all([*covered, *clear])
    labels = []
    for name, shape in sheet.areas:
        seen = shapely.difference(shapely.intersection(shapely.make_valid(shape), view), blocked)
        if seen.is_empty or seen.area < 0.015 * view.area:
            continue
        point = _roomiest_point(seen)
        labels.append(
            Label(
                point.x,
                point.y,
                name,
                0.5,
                CENTRED,
                {"fontsize": 9, "color": "#7a7a7a", "fontweight": "bold"},
            )
        )
    for key, (lon, lat) in SEAS.items():
        x, y = sheet.projection.forward_xy(np.array([lon]), np.array([lat]))
        if xmin < x[0] < xmax and ymin < y[0] < ymax:
            labels.append(
                Label(
                    float(x[0]),
                    float(y[0]),
                    word(f"sea.{key}", sheet.lang),
                    0.4,
                    CENTRED,
                    {"fontsize": 8.5, "color": SEA_TEXT, "fontstyle": "italic"},
                )
            )
    return labels


def _roomiest_point(shape: BaseGeometry) -> Any:
    """Return a point well inside the largest part of ``shape`` (its pole of inaccessibility)."""
    parts = shapely.get_parts(shape)
    largest = parts[int(np.argmax(shapely.area(parts)))]
    circle = shapely.maximum_inscribed_circle(largest, max(math.sqrt(largest.area) / 50, 1.0))
    return shapely.get_point(circle, 0)


def finish(sheet: Sheet) -> None:
    """Place the labels (the smaller of two colliding ones is dropped) and list them as overlay."""
    renderer = sheet.fig.canvas.get_renderer()  # type: ignore[attr-defined]
    avoid = list(sheet.avoid_boxes)
    for artist in sheet.avoid:
        extent = artist.get_window_extent(renderer)
        if isinstance(artist, Text) and artist.get_bbox_patch() is not None:
            extent = extent.padded(0.5 * float(artist.get_fontsize()) * sheet.points)
        avoid.append(extent)
    to_data = sheet.ax.transData.inverted()
    covered = [shapely.box(*to_data.transform([[b.x0, b.y0], [b.x1, b.y1]]).ravel()) for b in avoid]
    labels = [*sheet.labels, *_area_labels(sheet, covered)]
    placed, _ = place_labels(sheet.ax, labels, avoid=avoid, renderer=renderer)
    sheet.overlay.extend(placed)
    sheet.labels = []
