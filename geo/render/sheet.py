"""The sheet of a static news map or a video frame, and what is drawn on it.

A :class:`Sheet` holds a matplotlib figure and the map's axes in projected
metres (the page is laid out by :func:`geo.render.newsmap.new_sheet`). Here:
fills and outlines of projected shapes as compound paths (holes as holes),
region outlines and their legend entry, the legend at the lower left, the
scale bar at the lower right and the locator inset at the upper right, with
the room each takes (the page keeps the data clear of it). Every artist is
listed as ``background`` or ``overlay`` of the sheet, so a video can draw the
two once and put each frame's data between them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from geo.render.context import Projection, countries, nice_length_km, scale_bar_length
from geo.render.labels import Lang, word
from geo.render.placement import CENTRED, Label

__all__ = [
    "TEXT",
    "Sheet",
    "add_fill",
    "add_legend",
    "add_locator",
    "add_outline",
    "add_regions",
    "add_scale_bar",
    "geometry_path",
    "locator_rect",
    "regions_handle",
    "scale_rect",
    "swatch",
]

_REGION_STYLE: dict[str, Any] = {
    "edgecolor": "#6b6b6b",
    "linewidth": 0.7,
    "linestyle": (0, (4, 2)),
    "zorder": 3,
}
#: Colour of the words and figures on a page.
TEXT = "#1a1a1a"
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
        Labels placed by :func:`geo.render.newsmap.finish`.
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
    """Outline lon/lat regions (dashed, over the data); queue their names for the labels."""
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


def scale_rect(sheet: Sheet) -> Bbox:
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
    room = scale_rect(sheet)
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


def locator_rect(sheet: Sheet) -> Bbox:
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
    room = locator_rect(sheet)
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
