"""The page of a static news map or a video frame: header, map, inset, legend, scale bar, credit.

A :class:`Sheet` is a matplotlib figure of a fixed pixel size laid out like a
news graphic: a title and subtitle above the map, the source line under it,
and on the map (equal-area, no lon/lat axes, sea and neighbouring countries
for context) a legend at the lower left, a scale bar at the lower right, a
locator inset of Europe at the upper right, and labels placed without
collisions when :func:`finish` runs. Every artist is listed as ``background``
(under the data: sea and land) or ``overlay`` (over it), so a video can draw
the two once and put each frame's data between them.

Text from data is drawn with mathtext off. Sizes are in points of a figure
10 inches wide by default (``dpi = width / 10``), so a 1600 x 900 PNG and a
1280 x 720 video look alike.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.publishers import credit_line
from geo.render.context import (
    SEAS,
    Projection,
    countries,
    nice_length_km,
    scale_bar_length,
    visible_countries,
)
from geo.render.labels import Lang, word
from geo.render.placement import CENTRED, Label, place_labels

__all__ = [
    "Sheet",
    "add_fill",
    "add_header",
    "add_legend",
    "add_locator",
    "add_notice",
    "add_outline",
    "add_regions",
    "add_scale_bar",
    "credit_text",
    "finish",
    "fit_width",
    "geometry_path",
    "new_sheet",
    "regions_handle",
    "swatch",
]

_REGION_STYLE: dict[str, Any] = {
    "edgecolor": "#6b6b6b",
    "linewidth": 0.7,
    "linestyle": (0, (4, 2)),
    "zorder": 3,
}
SEA = "#d3e3ee"
LAND = "#e9e7e1"
LAND_UKRAINE = "#fbfaf6"
BORDER = "#9a9a9a"
BORDER_UKRAINE = "#4a4a4a"
TEXT = "#1a1a1a"
MUTED = "#5c5c5c"
SEA_TEXT = "#4f7590"
NOTICE_BOX = {"boxstyle": "round,pad=0.4", "facecolor": "#fff3cd", "edgecolor": "#b58900"}
#: Header, footer and margins, in inches of the figure.
HEADER_IN, HEADER_NO_SUBTITLE_IN, FOOTER_IN, MARGIN_IN = 0.68, 0.46, 0.26, 0.15
#: Locator inset: its width (fraction of the map's), height / width, and least ground width.
LOCATOR_WIDTH, LOCATOR_ASPECT, LOCATOR_MIN_KM = 0.2, 0.75, 3400.0


@dataclasses.dataclass
class Sheet:
    """A news map page being built.

    Attributes
    ----------
    fig, ax
        The figure (Agg canvas attached) and the map's axes (projected metres).
    projection
        The map's equal-area projection.
    extent
        Projected ``(xmin, ymin, xmax, ymax)`` shown; matches the axes' pixel aspect.
    lang
        Language of every word on the page.
    background, overlay
        Artists under and over the data.
    avoid, avoid_boxes
        Artists whose boxes labels keep clear of, and more boxes (display pixels).
    labels
        Labels placed by :func:`finish`.
    keep_clear
        Projected shape names of countries stay off (the data).
    areas
        Named areas (countries) waiting for their labels.
    """

    fig: Figure
    ax: Axes
    projection: Projection
    extent: tuple[float, float, float, float]
    lang: Lang
    background: list[Artist] = dataclasses.field(default_factory=list)
    overlay: list[Artist] = dataclasses.field(default_factory=list)
    avoid: list[Artist] = dataclasses.field(default_factory=list)
    labels: list[Label] = dataclasses.field(default_factory=list)
    keep_clear: BaseGeometry | None = None
    avoid_boxes: list[Bbox] = dataclasses.field(default_factory=list)
    areas: list[tuple[str, BaseGeometry]] = dataclasses.field(default_factory=list)

    @property
    def points(self) -> float:
        """Pixels per typographic point."""
        return float(self.fig.dpi) / 72.0

    @property
    def metres_per_px(self) -> float:
        """Ground metres per pixel at the centre of the map."""
        xmin, _, xmax, _ = self.extent
        return (xmax - xmin) / float(self.ax.bbox.width)


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
    (lower right, :func:`add_scale_bar`) and the locator (upper right,
    :func:`add_locator`): the map zooms out until ``important`` is under none
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
    corners = [_locator_rect(sheet), _scale_rect(sheet), *reserve]
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


def geometry_path(geometry: BaseGeometry) -> MplPath | None:
    """Return the polygons of a (projected) geometry as one compound path, holes as holes.

    Rings are oriented (shells counter-clockwise, holes clockwise), so the
    nonzero fill rule of Agg and SVG leaves the holes empty.
    """
    polygons = shapely.get_parts(shapely.orient_polygons(geometry))
    polygons = polygons[shapely.get_type_id(polygons) == 3]
    if len(polygons) == 0:
        return None
    rings = shapely.get_rings(polygons)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return None
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def _outline_path(geometry: BaseGeometry) -> MplPath | None:
    lines = shapely.get_parts(shapely.boundary(geometry))
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    if len(coords) == 0:
        return None
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    codes[np.flatnonzero(np.r_[True, line_of[1:] != line_of[:-1]])] = MplPath.MOVETO
    return MplPath(coords, codes)


def add_fill(sheet: Sheet, geometry: BaseGeometry, colour: str, alpha: float) -> None:
    """Fill a projected geometry (data), between background and overlay."""
    path = geometry_path(geometry)
    if path is not None:
        sheet.ax.add_patch(
            PathPatch(path, facecolor=colour, alpha=alpha, edgecolor="none", zorder=2)
        )


def add_outline(sheet: Sheet, geometry: BaseGeometry, **style: Any) -> Artist | None:
    """Stroke the boundary of a projected geometry over the data; return the artist."""
    path = _outline_path(geometry)
    if path is None:
        return None
    patch = PathPatch(path, fill=False, **{"zorder": 3, **style})
    sheet.ax.add_patch(patch)
    sheet.overlay.append(patch)
    return patch


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


def regions_handle(lang: Lang) -> Line2D:
    """Return the legend entry of region outlines."""
    return Line2D(
        [],
        [],
        color=_REGION_STYLE["edgecolor"],
        linewidth=0.9,
        linestyle=(0, (4, 2)),
        label=word("oblast_border", lang),
    )


def add_regions(sheet: Sheet, regions: gpd.GeoDataFrame) -> None:
    """Outline lon/lat regions (dashed, over the data) and queue their names for :func:`finish`."""
    projection = sheet.projection
    column = "region" if "region" in regions.columns else "name"
    names = [str(n) for n in regions[column]] if column in regions.columns else [""] * len(regions)
    xmin, ymin, xmax, ymax = sheet.extent
    for name, geometry in zip(names, regions.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        shape = projection.forward(geometry)
        add_outline(sheet, shape, **_REGION_STYLE)
        point = shape.representative_point()
        if name and xmin < point.x < xmax and ymin < point.y < ymax:
            sheet.labels.append(
                Label(point.x, point.y, name, 0.2, CENTRED, {"fontsize": 7.5, "color": "#5a5a5a"})
            )


def add_legend(sheet: Sheet, handles: Sequence[Artist], *, title: str | None = None) -> Legend:
    """Put the legend at the lower left of the map (over the data, labels keep clear)."""
    legend = sheet.ax.legend(
        handles=list(handles),
        loc="lower left",
        fontsize=8,
        title=title,
        title_fontsize=8.5,
        frameon=True,
        framealpha=0.93,
        edgecolor="#bdbdbd",
        borderaxespad=0.9,
        handlelength=1.6,
    )
    legend.set_zorder(11)
    legend.set_gid("legend")
    for text in [*legend.get_texts(), legend.get_title()]:
        text.set_parse_math(False)
    sheet.overlay.append(legend)
    sheet.avoid.append(legend)
    return legend


def swatch(colour: str, alpha: float, label: str) -> Patch:
    """Return a legend entry for a fill."""
    return Patch(facecolor=colour, alpha=alpha, edgecolor="none", label=label)


def _scale_rect(sheet: Sheet) -> Bbox:
    """Room of the scale bar (display pixels): the lower right of the map."""
    ax, points = sheet.ax.bbox, sheet.points
    width = 0.2 * float(ax.width) + 16
    height = 4 + 8 * points * 1.25 + 14
    return Bbox.from_extents(ax.x1 - 10 - width, ax.y0 + 10, ax.x1 - 10, ax.y0 + 10 + height)


def add_scale_bar(sheet: Sheet) -> float:
    """Draw a scale bar at the lower right; return its true length in km.

    The bar is horizontal on the page; its length is solved where it stands
    (:func:`geo.render.context.scale_bar_length`).
    """
    ax, px = sheet.ax, sheet.metres_per_px
    xmin, _, xmax, _ = sheet.extent
    room = _scale_rect(sheet)
    length_km = nice_length_km(0.2 * (xmax - xmin) / 1000.0)
    to_data = ax.transData.inverted()
    (_, y), (right, _) = to_data.transform([[room.x0, room.y0 + 6], [room.x1 - 8, room.y1]])
    projected = length_km * 1000.0
    for _ in range(2):  # the length depends on where the left end is
        projected = scale_bar_length(sheet.projection, right - projected, y, length_km)
    left, bar_h = right - projected, 4.0 * px
    frame = Rectangle(
        (left - 8 * px, y - 6 * px),
        projected + 16 * px,
        room.height * px,
        facecolor="white",
        alpha=0.85,
        edgecolor="none",
        zorder=10,
        gid="scale-bar-box",
    )
    bar = Rectangle(
        (left, y), projected, bar_h, facecolor=TEXT, edgecolor="none", zorder=11, gid="scale-bar"
    )
    unit = word("km", sheet.lang)
    text = ax.text(
        (left + right) / 2,
        y + bar_h + 2 * px,
        f"{length_km:g} {unit}",
        ha="center",
        va="bottom",
        fontsize=8,
        color=TEXT,
        zorder=11,
        gid="scale-bar-label",
    )
    for artist in (frame, bar):
        ax.add_patch(artist)
    sheet.overlay.extend([frame, bar, text])
    sheet.avoid.append(frame)
    return length_km


def _locator_rect(sheet: Sheet) -> Bbox:
    """Room of the locator inset (display pixels): the upper right of the map."""
    ax = sheet.ax.bbox
    width = LOCATOR_WIDTH * float(ax.width)
    height = width * LOCATOR_ASPECT
    return Bbox.from_extents(ax.x1 - 10 - width, ax.y1 - 10 - height, ax.x1 - 10, ax.y1 - 10)


def add_locator(sheet: Sheet) -> Axes:
    """Draw the locator inset at the upper right: the region around, Ukraine shaded, the frame red.

    The inset is a zoomed-out view in the map's own projection, at least
    :data:`LOCATOR_MIN_KM` wide.
    """
    fig = sheet.fig
    room = _locator_rect(sheet)
    inset = fig.add_axes(
        (
            room.x0 / fig.bbox.width,
            room.y0 / fig.bbox.height,
            room.width / fig.bbox.width,
            room.height / fig.bbox.height,
        ),
        zorder=5,
    )
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("#edf3f7")
    inset.set_gid("locator")
    for spine in inset.spines.values():
        spine.set_edgecolor("#8a8a8a")
        spine.set_linewidth(0.6)
    xmin, ymin, xmax, ymax = sheet.extent
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = max(LOCATOR_MIN_KM * 1000.0, 2.2 * (xmax - xmin)) / 2
    half_h = half_w * LOCATOR_ASPECT
    inset.set_xlim(cx - half_w, cx + half_w)
    inset.set_ylim(cy - half_h, cy + half_h)
    for name, path in _locator_paths(sheet.projection):
        colour = "#a9a9a9" if name == "Ukraine" else "#dcdad4"
        inset.add_patch(PathPatch(path, facecolor=colour, edgecolor="white", linewidth=0.3))
    if (xmax - xmin) < 8 * 2 * half_w / room.width:  # too small to see: ring it instead
        inset.plot(
            [cx],
            [cy],
            marker="o",
            markersize=5,
            markerfacecolor="none",
            markeredgecolor="#d7191c",
            markeredgewidth=1.3,
        )
    else:
        inset.add_patch(
            Rectangle(
                (xmin, ymin),
                xmax - xmin,
                ymax - ymin,
                fill=False,
                edgecolor="#d7191c",
                linewidth=1.2,
            )
        )
    sheet.overlay.append(inset)
    sheet.avoid.append(inset)
    return inset


@functools.cache
def _locator_paths(projection: Projection) -> tuple[tuple[str, MplPath], ...]:
    out = []
    for country in countries():
        shape = projection.forward(shapely.simplify(country.geometry, 0.05))
        path = geometry_path(shape)
        if path is not None:
            out.append((country.name, path))
    return tuple(out)


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
