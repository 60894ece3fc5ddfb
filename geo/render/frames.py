"""The frames of a video: the page drawn once, then each date rasterised and composited.

:func:`make_plan` lays out the news map page (:mod:`geo.render.newsmap`:
title, legend, scale bar, locator, source line, the sample's notice) and draws
it as two images: what lies under the data (sea, land) and what lies over it
(borders, names, legend, inset, text). :func:`frame_delta` rasterises only
the layer at one date with Agg into a coverage mask, in the window the layer
can reach, and composites: ground held at the first date and still held in the
layer's colour, ground gained since the first date and ground lost since then
in the colours of their meaning (:func:`geo.render.labels.change_colours`).
:func:`assemble_frame` puts the changed pixels on the first frame and writes
the date, the area held and the net change into the box at the upper left.
The :class:`Plan` is what worker processes receive (:mod:`geo.render.animation`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch
from matplotlib.transforms import Affine2D, Bbox, IdentityTransform
from PIL import Image, ImageDraw, ImageFont

from geo.errors import ValidationError
from geo.geometry import WGS84
from geo.layers import layer_colour
from geo.publishers import notice_for
from geo.render.context import Projection, projection_for
from geo.render.labels import (
    Lang,
    change_colours,
    change_name,
    format_date,
    format_km2,
    layer_name,
    map_title,
    word,
)
from geo.render.newsmap import HEADER_IN, HEADER_NO_SUBTITLE_IN, credit_text, finish, new_sheet
from geo.render.sheet import (
    Sheet,
    add_locator,
    add_regions,
    add_scale_bar,
    geometry_path,
    regions_handle,
    swatch,
)
from geo.snapshot import Snapshot

__all__ = ["RGB", "Delta", "Plan", "assemble_frame", "frame_delta", "make_plan", "render_frame"]

#: Opacity of held ground and of change, as on the static maps.
_ALPHA = {"held": 0.62, "gained": 0.88, "lost": 0.88}
#: Vertices drawn as they are; a layer with more is simplified to a third of a pixel first.
_MAX_VERTICES = 200_000

RGB = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]


@dataclasses.dataclass(frozen=True, eq=False)
class Plan:
    """What every frame shares (pickled once to each worker)."""

    size: tuple[int, int]
    base: RGB  # the page without data; then, once planned, with the first frame's layer
    window: tuple[int, int, int, int]  # rows r0:r1, columns c0:c1 where data can show
    under: Floats  # background in the window, 0-1
    keep: Floats  # 1 - overlay alpha in the window
    add: Floats  # overlay colour x alpha in the window
    start: Floats  # coverage of the first frame in the window
    matrix: npt.NDArray[np.float64]  # projected metres -> pixels of the window
    clip: tuple[float, float, float, float]  # the map, in pixels of the window
    dpi: float
    projection: Projection
    colours: dict[str, tuple[Floats, float]]  # held / gained / lost: RGB 0-1, opacity
    lines: list[tuple[str, str, str]]  # per frame: date, area, net change
    text_box: tuple[int, int, int, int]  # left, top, width, height of the text (image pixels)
    fonts: tuple[tuple[str, float], ...]  # per line: font file, size in pixels
    line_gap: float


def make_plan(
    frames: list[Snapshot],
    size: tuple[int, int],
    *,
    lang: Lang,
    title: str | None,
    subtitle: str | None,
    regions: gpd.GeoDataFrame | None,
    notice: str | None,
    attribution: str | None,
) -> Plan:
    """Draw the page of a video of ``frames`` (one layer and source, by date) once.

    The title, subtitle (the area at the first and last date by default),
    legend, notice and credit are those of :func:`geo.render.animate`.
    """
    first, last = frames[0], frames[-1]
    layer, source = first.layer, first.source
    bounds = np.array([g.bounds for g in (s.geometry for s in frames) if not g.is_empty])
    if len(bounds) == 0:
        msg = "cannot draw a video"
        raise ValidationError(msg, ["every snapshot of the series is empty"])
    lonlat = (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    projection = projection_for(lonlat)
    lines = _lines(frames, lang)
    dpi = size[0] / 10
    fonts = (
        (_font_file("bold"), 20 * dpi / 72),
        (_font_file("normal"), 9.5 * dpi / 72),
        (_font_file("normal"), 9.5 * dpi / 72),
    )
    subtitle_text = (
        subtitle
        if subtitle is not None
        else (
            f"{word('area_held', lang)}: {format_km2(first.area_km2, lang)} → "
            f"{format_km2(last.area_km2, lang)}"
        )
    )
    header_in = HEADER_IN if subtitle_text else HEADER_NO_SUBTITLE_IN
    badge = _badge_box(lines, fonts, size, header_in * dpi)
    colours = change_colours(layer)
    since = word("since", lang).format(date=format_date(first.date, lang))
    held = word("held_since", lang).format(date=format_date(first.date, lang))
    gained, lost = (f"{change_name(layer, kind, lang)} {since}" for kind in ("gained", "lost"))
    handles: list[Artist] = [
        swatch(layer_colour(layer), _ALPHA["held"], f"{layer_name(layer, lang)} ({held})"),
        swatch(colours["gained"], _ALPHA["gained"], gained),
        swatch(colours["lost"], _ALPHA["lost"], lost),
    ]
    regions_ll = None
    if regions is not None and not regions.empty:
        regions_ll = regions.to_crs(WGS84) if regions.crs is not None else regions
        handles.append(regions_handle(lang))
    ends = shapely.union_all(
        [shapely.make_valid(projection.forward(s.geometry)) for s in (first, last)]
    )
    sheet = new_sheet(
        shapely.box(*projection.forward(shapely.box(*lonlat)).bounds),
        projection=projection,
        size=size,
        dpi=dpi,
        lang=lang,
        title=title or map_title(layer, source, first.date, last.date, lang),
        subtitle=subtitle_text,
        notice=notice_for([source], notice),
        credit=credit_text([source], attribution, lang),
        handles=handles,
        important=ends,
        keep_clear=shapely.make_valid(shapely.simplify(ends, 2000.0)),
        reserve=[badge],
    )
    if regions_ll is not None:
        add_regions(sheet, regions_ll)
    add_scale_bar(sheet)
    add_locator(sheet)
    sheet.fig.add_artist(_badge_patch(badge))
    sheet.overlay.append(sheet.fig.artists[-1])
    finish(sheet)
    return _layers(sheet, frames, projection, lines, fonts, badge, layer)


def _lines(frames: list[Snapshot], lang: Lang) -> list[tuple[str, str, str]]:
    first = frames[0]
    net = word("net_since", lang).format(date=format_date(first.date, lang))
    return [
        (
            format_date(s.date, lang),
            f"{word('area_held', lang)}: {format_km2(s.area_km2, lang)}",
            f"{net}: {format_km2(s.area_km2 - first.area_km2, lang, signed=True)}",
        )
        for s in frames
    ]


@functools.cache
def _font_file(weight: str) -> str:
    return str(font_manager.findfont(FontProperties(family="DejaVu Sans", weight=weight)))


@functools.cache
def _font(file: str, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(file, round(size_px))


_PAD = 10.0


def _badge_box(
    lines: list[tuple[str, str, str]],
    fonts: tuple[tuple[str, float], ...],
    size: tuple[int, int],
    header_px: float,
) -> Bbox:
    """Return the box of the date and figures at the upper left of the map (display pixels)."""
    widths = [
        max(_font(*fonts[i]).getlength(frame[i]) for frame in lines) for i in range(len(fonts))
    ]
    heights = [size_px * 1.25 for _, size_px in fonts]
    width, height = max(widths) + 2 * _PAD, sum(heights) + 1.5 * _PAD
    top = size[1] - header_px - 10  # 10 px under the map's top
    left = 10.0
    return Bbox.from_extents(left, top - height, left + width, top)


def _badge_patch(box: Bbox) -> FancyBboxPatch:
    return FancyBboxPatch(
        (box.x0, box.y0),
        box.width,
        box.height,
        boxstyle="round,pad=0,rounding_size=4",
        transform=IdentityTransform(),
        facecolor="white",
        alpha=0.9,
        edgecolor="#bdbdbd",
        linewidth=0.8,
        zorder=12,
        gid="date-box",
    )


def _layers(
    sheet: Sheet,
    frames: list[Snapshot],
    projection: Projection,
    lines: list[tuple[str, str, str]],
    fonts: tuple[tuple[str, float], ...],
    badge: Bbox,
    layer: str,
) -> Plan:
    """Draw the page twice (under and over the data) and cut out the window data can reach."""
    fig, ax = sheet.fig, sheet.ax
    width, height = (int(v) for v in fig.canvas.get_width_height())
    for artist in sheet.overlay:
        artist.set_visible(False)
    fig.canvas.draw()
    under = np.array(fig.canvas.buffer_rgba())[..., :3]  # type: ignore[attr-defined]
    for artist in sheet.background:
        artist.set_visible(False)
    for artist in sheet.overlay:
        artist.set_visible(True)
    fig.patch.set_alpha(0.0)
    ax.patch.set_visible(False)
    fig.canvas.draw()
    over = np.array(fig.canvas.buffer_rgba()).astype(np.float32) / 255.0  # type: ignore[attr-defined]
    alpha = over[..., 3:4]
    base = (under.astype(np.float32) / 255.0 * (1 - alpha) + over[..., :3] * alpha) * 255.0
    matrix = ax.transData.get_matrix().copy()
    clip = ax.bbox.frozen()
    # The window: where any frame's layer can fall (pixels; image rows count from the top).
    bounds = np.array(
        [projection.forward(shapely.box(*s.geometry.bounds)).bounds for s in frames
         if not s.geometry.is_empty]
    )  # fmt: skip
    corners = Affine2D(matrix).transform(
        [[bounds[:, 0].min(), bounds[:, 1].min()], [bounds[:, 2].max(), bounds[:, 3].max()]]
    )
    c0 = int(max(np.floor(max(corners[0, 0], clip.x0)) - 2, 0))
    c1 = int(min(np.ceil(min(corners[1, 0], clip.x1)) + 2, width))
    r0 = int(max(height - np.ceil(min(corners[1, 1], clip.y1)) - 2, 0))
    r1 = int(min(height - np.floor(max(corners[0, 1], clip.y0)) + 2, height))
    if c1 <= c0 or r1 <= r0:
        c0, c1, r0, r1 = 0, 1, 0, 1  # nothing reaches the map: a one-pixel window
    # Draw into a canvas the size of the window: shift display pixels by its lower left.
    shift = Affine2D().translate(-c0, -(height - r1))
    window_matrix = (Affine2D(matrix) + shift).get_matrix().copy()
    clip_box = shift.transform([[clip.x0, clip.y0], [clip.x1, clip.y1]]).ravel()
    colours = change_colours(layer)

    def rgb(hex_colour: str) -> Floats:
        return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)], np.float32)

    heights = [size_px * 1.25 for _, size_px in fonts]
    text_w = int(badge.width - _PAD)
    plan = Plan(
        size=(width, height),
        base=np.clip(base + 0.5, 0, 255).astype(np.uint8),
        window=(r0, r1, c0, c1),
        under=np.ascontiguousarray(under[r0:r1, c0:c1].astype(np.float32) / 255.0),
        keep=np.ascontiguousarray(1 - alpha[r0:r1, c0:c1]),
        add=np.ascontiguousarray(over[r0:r1, c0:c1, :3] * alpha[r0:r1, c0:c1]),
        start=np.zeros((r1 - r0, c1 - c0), np.float32),
        matrix=window_matrix,
        clip=(float(clip_box[0]), float(clip_box[1]), float(clip_box[2]), float(clip_box[3])),
        dpi=float(fig.dpi),
        projection=projection,
        colours={
            "held": (rgb(layer_colour(layer)), _ALPHA["held"]),
            "gained": (rgb(colours["gained"]), _ALPHA["gained"]),
            "lost": (rgb(colours["lost"]), _ALPHA["lost"]),
        },
        lines=lines,
        text_box=(
            round(badge.x0 + _PAD),
            round(height - badge.y1 + _PAD * 0.6),
            text_w,
            int(sum(heights)) + 2,
        ),
        fonts=fonts,
        line_gap=1.25,
    )
    start = _coverage(plan, plan.projection.forward(frames[0].geometry))
    first = plan.base.copy()
    everywhere = np.nonzero(np.ones(start.shape, dtype=bool))
    first[r0:r1, c0:c1] = _composite(plan, start, start, everywhere).reshape(r1 - r0, c1 - c0, 3)
    return dataclasses.replace(plan, start=start, base=first)


# --- frames -------------------------------------------------------------------------------


def _projected(plan: Plan, wkb: bytes) -> Any:
    geometry = plan.projection.forward(shapely.from_wkb(wkb))
    if shapely.get_num_coordinates(geometry) > _MAX_VERTICES:  # more than the pixels can show
        geometry = shapely.simplify(geometry, 0.3 / abs(plan.matrix[0, 0]), preserve_topology=False)
    return geometry


@functools.cache
def _canvas(width: int, height: int, dpi: float) -> RendererAgg:
    return RendererAgg(width, height, dpi)  # type: ignore[no-untyped-call]


def _coverage(plan: Plan, projected: Any) -> Floats:
    """Return the antialiased coverage (0-1) of a projected geometry in the plan's window."""
    r0, r1, c0, c1 = plan.window
    path = geometry_path(projected)
    if path is None:
        return np.zeros((r1 - r0, c1 - c0), np.float32)
    renderer = _canvas(c1 - c0, r1 - r0, plan.dpi)
    renderer.clear()  # type: ignore[no-untyped-call]
    gc = renderer.new_gc()
    gc.set_clip_rectangle(Bbox.from_extents(*plan.clip))
    gc.set_linewidth(0.0)
    gc.set_antialiased(True)
    renderer.draw_path(gc, path, Affine2D(plan.matrix), (0.0, 0.0, 0.0, 1.0))  # type: ignore[no-untyped-call]
    gc.restore()
    buffer = np.asarray(renderer.buffer_rgba())  # type: ignore[no-untyped-call]
    return buffer[..., 3].astype(np.float32) * np.float32(1 / 255)


def _composite(plan: Plan, now: Floats, start: Floats, where: Any) -> RGB:
    """Return the colours of the window pixels ``where`` selects, for coverages now and at first.

    Ground held at both is painted in the layer's colour, ground only held now
    in the colour of gains, ground only held at first in the colour of losses;
    the page's overlay goes on top.
    """
    now, start = now[where], start[where]
    held = np.minimum(now, start)
    cover = np.zeros_like(now)
    paint = np.zeros((*now.shape, 3), np.float32)
    for kind, amount in (("held", held), ("gained", now - held), ("lost", start - held)):
        colour, opacity = plan.colours[kind]
        weight = amount * np.float32(opacity)
        cover += weight
        paint += weight[..., None] * colour
    pixels = (plan.under[where] * (1 - cover)[..., None] + paint) * plan.keep[where]
    colours: RGB = ((pixels + plan.add[where]) * 255 + 0.5).astype(np.uint8)
    return colours


Delta = tuple[npt.NDArray[np.int16], npt.NDArray[np.int16], RGB]


def frame_delta(plan: Plan, wkb: bytes) -> Delta:
    """Return the window pixels where a frame differs from the first: rows, columns, colours."""
    now = _coverage(plan, _projected(plan, wkb))
    rows, cols = np.nonzero(now != plan.start)
    colours = _composite(plan, now, plan.start, (rows, cols))
    return rows.astype(np.int16), cols.astype(np.int16), colours


def assemble_frame(plan: Plan, delta: Delta, lines: tuple[str, str, str]) -> RGB:
    """Return a whole frame: the first frame's picture, repainted where it differs, and its text."""
    rows, cols, colours = delta
    frame = plan.base.copy()
    r0, _, c0, _ = plan.window
    frame[rows.astype(np.intp) + r0, cols.astype(np.intp) + c0] = colours
    _write_lines(plan, frame, lines)
    return frame


def render_frame(plan: Plan, task: tuple[bytes, tuple[str, str, str]]) -> RGB:
    """Return one frame, rendered in this process."""
    wkb, lines = task
    return assemble_frame(plan, frame_delta(plan, wkb), lines)


def _write_lines(plan: Plan, frame: RGB, lines: tuple[str, str, str]) -> None:
    x, y, width, height = plan.text_box
    crop = Image.fromarray(frame[y : y + height, x : x + width])
    draw = ImageDraw.Draw(crop)
    offset = 0.0
    for (file, size_px), text, colour in zip(
        plan.fonts, lines, ("#1a1a1a", "#333333", "#333333"), strict=True
    ):
        draw.text((0, offset), text, font=_font(file, size_px), fill=colour)
        offset += size_px * plan.line_gap
    frame[y : y + height, x : x + width] = np.asarray(crop)
