"""Static news maps: a PNG or SVG of snapshots or a diff, ready to publish.

The page (:mod:`geo.render.newsmap`) has a human title and subtitle
(:func:`geo.render.labels.map_title`, areas rounded to the km²), the map in a
Lambert azimuthal equal-area projection centred on the data (no lon/lat axes;
sea and neighbouring countries from Natural Earth for context), a legend in the
colours that keep their meaning (Russian gains red, Ukrainian gains blue:
:func:`geo.render.labels.change_colours`), a scale bar, a locator inset, the
towns that changed hands labelled without collisions, and a source line
(:func:`geo.publishers.credit_line`); a source's notice (the synthetic
sample's) is always shown. Words come in English or Ukrainian (``lang=``).

Built on matplotlib's object API on the Agg canvas (pyplot's global state is
never touched), with no network: no tiles, fonts bundled with matplotlib. SVG
keeps text as text and the title in its metadata. Given a ``path``, files are
written atomically; without one, the :class:`~matplotlib.figure.Figure` is
returned. Public through :mod:`geo.render`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Literal, TypeVar, overload

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from geo.diff import Diff
from geo.errors import ValidationError
from geo.fsutil import write_atomic
from geo.geometry import WGS84
from geo.layers import layer_colour
from geo.publishers import notice_for
from geo.render.context import projection_for
from geo.render.labels import (
    Lang,
    change_colours,
    change_labels,
    change_name,
    format_date,
    format_km2,
    layer_name,
    map_title,
    word,
)
from geo.render.newsmap import credit_text, finish, new_sheet
from geo.render.placement import Label
from geo.render.sheet import (
    Sheet,
    add_fill,
    add_locator,
    add_regions,
    add_scale_bar,
    regions_handle,
    swatch,
)
from geo.snapshot import Snapshot

__all__ = [
    "DEFAULT_SIZE",
    "FORMATS",
    "StaticFormat",
    "check_size",
    "output_target",
    "save_figure",
    "static_map",
]

#: File types :func:`static_map` and the charts write.
StaticFormat = Literal["png", "svg"]
#: The file type of each suffix.
FORMATS: dict[str, StaticFormat] = {".png": "png", ".svg": "svg"}
#: Width and height (pixels) of a static map unless ``size=`` says otherwise.
DEFAULT_SIZE = (1600, 900)
#: A file type of some writer (:data:`StaticFormat`, :data:`geo.render.video.VideoFormat`).
FormatT = TypeVar("FormatT", bound=str)
_FILL_ALPHA = {"unchanged": 0.5, "gained": 0.88, "lost": 0.88, "layer": 0.62}


@overload
def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: None = None,
    *,
    regions: gpd.GeoDataFrame | None = ...,
    places: pd.DataFrame | None = ...,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    max_places: int = ...,
    format: None = ...,
) -> Figure: ...


@overload
def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: str | Path,
    *,
    regions: gpd.GeoDataFrame | None = ...,
    places: pd.DataFrame | None = ...,
    title: str | None = ...,
    subtitle: str | None = ...,
    notice: str | None = ...,
    attribution: str | None = ...,
    lang: Lang = ...,
    size: tuple[int, int] = ...,
    dpi: float | None = ...,
    max_places: int = ...,
    format: StaticFormat | None = ...,
) -> Path: ...


def static_map(
    what: Snapshot | Sequence[Snapshot] | Diff,
    path: str | Path | None = None,
    *,
    regions: gpd.GeoDataFrame | None = None,
    places: pd.DataFrame | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    lang: Lang = "en",
    size: tuple[int, int] = DEFAULT_SIZE,
    dpi: float | None = None,
    max_places: int = 40,
    format: StaticFormat | None = None,
) -> Figure | Path:
    """Draw snapshots or a diff as a news map: a PNG or SVG file, or a matplotlib figure.

    Parameters
    ----------
    what
        A snapshot, several (one colour per layer, from the palette of
        :mod:`geo.layers`), or a :class:`geo.diff.Diff`: gains and losses in the
        colours of :func:`geo.render.labels.change_colours`, unchanged ground grey.
        A diff map is framed on the change, a snapshot map on the layer.
    path
        Output file, ``.png`` or ``.svg``; ``None`` returns the figure instead.
    regions
        GeoDataFrame of region outlines with a ``region`` or ``name`` column,
        drawn dashed and named where there is room.
    places
        Places that changed hands (:func:`geo.places_changed`): a dot each for
        the ``max_places`` largest, named where the names do not collide (the
        smaller town's name is dropped).
    title, subtitle
        Header lines; by default the layer, publisher and date(s)
        (:func:`~geo.render.labels.map_title`), and the areas (gross gains
        and losses and net for a diff), rounded to the km².
    notice
        Banner at the top of the map. A source's own notice (the synthetic
        sample's, :func:`geo.publishers.notice_for`) always leads it.
    attribution
        Extra credit after the data credit in the source line.
    lang
        ``"en"`` or ``"uk"``: the words on the map.
    size
        Width and height in pixels (of the PNG; the SVG's size at 96 dpi differs).
    dpi
        Pixels per inch; default ``width / 10`` (text sizes are in points).
    max_places
        Most places drawn.
    format
        ``"png"`` or ``"svg"``; default from the suffix of ``path``.

    Returns
    -------
    matplotlib.figure.Figure or Path
        The figure when ``path`` is ``None``, else the file written.

    Raises
    ------
    ValidationError
        If the file type is not PNG or SVG, the size is unusable, or there is
        nothing to draw.

    Examples
    --------
    >>> import datetime
    >>> from shapely.geometry import box
    >>> from geo.render import static_map
    >>> from geo.snapshot import Provenance, Snapshot, make_features
    >>> snap = Snapshot("isw", "russian_control", datetime.date(2025, 6, 1),
    ...                 make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("mine.geojson"))
    >>> fig = static_map(snap, size=(800, 450))
    >>> for text in fig.texts[:2]:
    ...     print(text.get_gid(), "|", text.get_text())
    title | Russian-controlled territory, Institute for the Study of War (ISW), 1 Jun 2025
    subtitle | Area held: 2,064 km²
    """
    target = None if path is None else output_target(path, format, FORMATS)
    width, height = check_size(size)
    if isinstance(what, Diff):
        content = _diff_content(what, lang)
    else:
        content = _snapshot_content([what] if isinstance(what, Snapshot) else list(what), lang)
    fills, handles, frame, sources, layer = content
    regions_ll = None
    if regions is not None and not regions.empty:
        regions_ll = regions.to_crs(WGS84) if regions.crs is not None else regions
        if frame is None:
            frame = shapely.union_all([g for g in regions_ll.geometry if g is not None])
    if frame is None or frame.is_empty:
        msg = f"cannot draw {target[0] if target else 'a static map'}"
        raise ValidationError(msg, ["nothing to draw: every geometry is empty; pass regions="])
    projection = projection_for(frame.bounds)
    projected = [(projection.forward(g), colour, alpha) for g, colour, alpha in fills]
    drawn = [g for g, _, _ in projected if not g.is_empty]
    if regions_ll is not None:
        handles.append(regions_handle(lang))
    shown = None
    if places is not None and not places.empty:
        shown = places.head(max(max_places, 0))
        handles.append(_places_handle(len(shown), len(places), lang))
    heading = title or _default_title(what, lang)
    framed = projection.forward(frame)
    sheet = new_sheet(
        framed,
        projection=projection,
        size=(width, height),
        dpi=dpi or width / 10,
        lang=lang,
        title=heading,
        subtitle=subtitle if subtitle is not None else _default_subtitle(what, lang),
        notice=notice_for(sources, notice),
        credit=credit_text(sources, attribution, lang),
        handles=handles,
        important=framed,
        keep_clear=_clear_of(drawn),
    )
    for geometry, colour, alpha in projected:
        add_fill(sheet, geometry, colour, alpha)
    if regions_ll is not None:
        add_regions(sheet, regions_ll)
    if shown is not None:
        _draw_places(sheet, shown, layer)
    add_scale_bar(sheet)
    add_locator(sheet)
    finish(sheet)
    return sheet.fig if target is None else save_figure(sheet.fig, *target, heading)


_Content = tuple[
    list[tuple[BaseGeometry, str, float]], list[Patch | Line2D], BaseGeometry | None, list[str], str
]


def _diff_content(d: Diff, lang: Lang) -> _Content:
    layer = d.layer_to
    colours, labels = change_colours(layer), change_labels(layer, d.date_from, d.date_to, lang)
    fills = [
        (getattr(d, kind), colours[kind], _FILL_ALPHA[kind])
        for kind in ("unchanged", "lost", "gained")
    ]
    handles: list[Patch | Line2D] = [
        swatch(colours[kind], _FILL_ALPHA[kind], labels[kind])
        for kind in ("gained", "lost", "unchanged")
    ]
    change = shapely.union_all([d.gained, d.lost])
    whole = [g for g in (d.geometry_from, d.geometry_to) if not g.is_empty]
    frame = change if not change.is_empty else (shapely.union_all(whole) if whole else None)
    return fills, handles, frame, [d.source_from, d.source_to], layer


def _snapshot_content(snaps: list[Snapshot], lang: Lang) -> _Content:
    if not snaps:
        msg = "cannot draw a static map"
        raise ValidationError(msg, ["no snapshots given"])
    several_dates = len({s.date for s in snaps}) > 1
    fills: list[tuple[BaseGeometry, str, float]] = []
    handles: list[Patch | Line2D] = []
    drawn: list[BaseGeometry] = []
    for snap in snaps:
        colour = layer_colour(snap.layer)
        fills.append((snap.geometry, colour, _FILL_ALPHA["layer"]))
        label = layer_name(snap.layer, lang)
        if several_dates:
            label = f"{label}, {word('on', lang).format(date=format_date(snap.date, lang))}"
        handles.append(swatch(colour, _FILL_ALPHA["layer"], label))
        if not snap.geometry.is_empty:
            drawn.append(snap.geometry)
    frame = shapely.union_all(drawn) if drawn else None
    return fills, handles, frame, [s.source for s in snaps], snaps[0].layer


def _default_title(what: Snapshot | Sequence[Snapshot] | Diff, lang: Lang) -> str:
    if isinstance(what, Diff):
        return map_title(
            what.layer_to, [what.source_from, what.source_to], what.date_from, what.date_to, lang
        )
    snaps = [what] if isinstance(what, Snapshot) else list(what)
    layers = list(dict.fromkeys(s.layer for s in snaps))
    days = sorted({s.date for s in snaps})
    title = map_title(layers[0], [s.source for s in snaps], days[0], days[-1], lang)
    if len(layers) > 1:  # the layers are named in the legend and the subtitle
        title = title.replace(layer_name(layers[0], lang), word("control_map", lang), 1)
    return title


def _default_subtitle(what: Snapshot | Sequence[Snapshot] | Diff, lang: Lang) -> str:
    if isinstance(what, Diff):
        layer = what.layer_to
        return " · ".join(
            [
                f"{change_name(layer, 'gained', lang)}: {format_km2(what.gained_km2, lang)}",
                f"{change_name(layer, 'lost', lang)}: {format_km2(what.lost_km2, lang)}",
                f"{word('net', lang)}: {format_km2(what.net_km2, lang, signed=True)}",
            ]
        )
    snaps = [what] if isinstance(what, Snapshot) else list(what)
    if len(snaps) == 1:
        return f"{word('area_held', lang)}: {format_km2(snaps[0].area_km2, lang)}"
    return " · ".join(f"{layer_name(s.layer, lang)}: {format_km2(s.area_km2, lang)}" for s in snaps)


def _clear_of(drawn: list[BaseGeometry]) -> BaseGeometry | None:
    """Return the data, simplified (country names only need to stay off it roughly)."""
    if not drawn:
        return None
    return shapely.union_all([shapely.make_valid(shapely.simplify(g, 2000.0)) for g in drawn])


def _places_handle(n_shown: int, n_places: int, lang: Lang) -> Line2D:
    label = word("places_changed", lang)
    if n_places > n_shown:
        label = f"{label} ({word('largest_shown', lang).format(n=n_shown)})"
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="none",
        markersize=5,
        markerfacecolor="#8a8a8a",
        markeredgecolor="#1a1a1a",
        markeredgewidth=0.7,
        label=label,
    )


def _draw_places(sheet: Sheet, shown: pd.DataFrame, layer: str) -> None:
    """Draw a dot per place, coloured by its change; :func:`finish` names them, largest first."""
    colours = change_colours(layer)
    x, y = sheet.projection.forward_xy(shown["lon"].to_numpy(float), shown["lat"].to_numpy(float))
    fill = [colours["gained"] if c == "gained" else colours["lost"] for c in shown["change"]]
    size_pt = 5.0
    dots = sheet.ax.scatter(
        x, y, s=size_pt**2, c=fill, edgecolors="#1a1a1a", linewidths=0.7, zorder=5, gid="places"
    )
    sheet.overlay.append(dots)
    radius = size_pt / 2 * sheet.points + 1
    names = _place_names(shown, sheet.lang)
    population = shown["population"] if "population" in shown.columns else None
    for i, (px, py) in enumerate(sheet.ax.transData.transform(np.column_stack([x, y]))):
        sheet.avoid_boxes.append(
            Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)
        )
        pop = population.iloc[i] if population is not None else None
        weight = math.log10(float(pop) + 1) if pop is not None and not pd.isna(pop) else 0.0
        sheet.labels.append(
            Label(
                float(x[i]),
                float(y[i]),
                names[i],
                1.0 + weight,
                style={"fontsize": 8, "color": "#1a1a1a"},
            )
        )


def _place_names(places: pd.DataFrame, lang: Lang) -> list[str]:
    names = [str(n) for n in places["name"]]
    if lang == "uk" and "name_uk" in places.columns:
        return [
            str(uk) if isinstance(uk, str) and uk else en
            for uk, en in zip(places["name_uk"], names, strict=True)
        ]
    return names


# --- files ------------------------------------------------------------------------------


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """Return ``size`` as two pixel counts; a clear error for anything unusable.

    Examples
    --------
    >>> check_size((1600, 900))
    (1600, 900)
    """
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        width = height = 0
    if not (100 <= width <= 8000 and 100 <= height <= 8000):
        msg = "unusable size"
        raise ValidationError(msg, [f"size={size!r}: pass (width, height) in pixels, 100-8000"])
    return width, height


def output_target(
    path: str | Path, fmt: FormatT | None, formats: Mapping[str, FormatT]
) -> tuple[Path, FormatT]:
    """Return the file to write and its type, one of ``formats``; a clear error for any other.

    Parameters
    ----------
    path
        The file asked for.
    fmt
        The type asked for; ``None`` takes it from the suffix of ``path``.
    formats
        The type of each suffix the writer knows (:data:`FORMATS`,
        :data:`geo.render.video.VIDEO_FORMATS`).

    Examples
    --------
    >>> output_target("map.svg", None, FORMATS)
    (PosixPath('map.svg'), 'svg')
    >>> output_target("map.jpg", None, FORMATS)
    Traceback (most recent call last):
    geo.errors.ValidationError: cannot write map.jpg: unsupported file type .jpg; use .png or .svg
    """
    target = Path(path)
    chosen = fmt or formats.get(target.suffix.lower())
    if chosen is None or chosen not in formats.values():
        problem = (
            f"unsupported format={fmt!r}; pass {_either([repr(v) for v in formats.values()])}"
            if fmt
            else f"unsupported file type {target.suffix or '(none)'}; use {_either(list(formats))}"
        )
        msg = f"cannot write {target}"
        raise ValidationError(msg, [problem])
    return target, chosen


def _either(choices: list[str]) -> str:
    """Return ``a, b or c``."""
    return " or ".join([", ".join(choices[:-1]), choices[-1]]) if len(choices) > 1 else choices[0]


def save_figure(fig: Figure, target: Path, fmt: str, title: str) -> Path:
    """Write ``fig`` atomically as PNG or SVG (text kept as text, ``title`` in the metadata)."""

    def draw(handle: IO[bytes]) -> None:
        # svg.fonttype "none" keeps text as <text> rather than glyph outlines.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "geo"}):
            fig.savefig(handle, format=fmt, metadata={"Title": title})

    return write_atomic(target, draw)
