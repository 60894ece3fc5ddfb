"""Labels that never collide: place each in the first free spot around its point, or drop it.

Labels are tried in order of priority (a town's population, then countries and
seas, then regions): each tries a few spots around its anchor (right, left,
above, below) and takes the first that stays inside the map and overlaps no
label placed before it and no reserved box (legend, inset, scale bar, markers,
banners). A label with no free spot is dropped, so the smaller of two colliding
labels is the one that goes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

__all__ = ["AROUND", "CENTRED", "Label", "place_labels"]

#: Spots around a point: (dx, dy) in points and the alignment there; right first.
AROUND: tuple[tuple[float, float, str, str], ...] = (
    (5.0, 0.0, "left", "center"),
    (-5.0, 0.0, "right", "center"),
    (0.0, 5.0, "center", "bottom"),
    (0.0, -5.0, "center", "top"),
    (4.0, 4.0, "left", "bottom"),
    (-4.0, 4.0, "right", "bottom"),
    (4.0, -4.0, "left", "top"),
    (-4.0, -4.0, "right", "top"),
)
#: On the point itself, then a little off it (area names: countries, seas, regions).
CENTRED: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 0.0, "center", "center"),
    (0.0, 12.0, "center", "center"),
    (0.0, -12.0, "center", "center"),
    (24.0, 0.0, "center", "center"),
    (-24.0, 0.0, "center", "center"),
)
#: Free space kept around each label (pixels).
PAD_PX = 2.0
#: The white outline that keeps a label legible over lines and fills.
HALO = patheffects.Stroke(linewidth=2.5, foreground="white")


@dataclasses.dataclass(frozen=True)
class Label:
    """A label waiting for a spot.

    Attributes
    ----------
    x, y
        Anchor in data coordinates.
    text
        What it says (drawn with mathtext off).
    priority
        Higher is placed first (keeps its spot when two collide).
    spots
        Where to try, in order (:data:`AROUND` or :data:`CENTRED`).
    style
        Text properties (``fontsize``, ``color``, ``fontweight`` ...).
    """

    x: float
    y: float
    text: str
    priority: float
    spots: tuple[tuple[float, float, str, str], ...] = AROUND
    style: dict[str, Any] = dataclasses.field(default_factory=dict)


def place_labels(
    ax: Axes,
    labels: Iterable[Label],
    *,
    avoid: Sequence[Bbox],
    renderer: RendererBase,
    zorder: float = 6.0,
) -> tuple[list[Annotation], list[Label]]:
    """Add the labels that fit to ``ax``; return the texts drawn and the labels dropped.

    Parameters
    ----------
    ax
        The map's axes; labels must stay inside its box.
    labels
        Labels to place, in any order (sorted here by priority, highest first).
    avoid
        Boxes in display pixels no label may overlap.
    renderer
        The figure's renderer, to measure text.
    zorder
        Drawing order of the texts.

    Returns
    -------
    tuple
        The :class:`~matplotlib.text.Annotation` of every placed label (each
        after its white outline, an annotation with gid ``"halo"``), and the
        labels that found no free spot.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from matplotlib.backends.backend_agg import FigureCanvasAgg
    >>> fig = Figure(figsize=(4, 3), dpi=100)
    >>> ax = fig.add_axes((0, 0, 1, 1), xlim=(0, 10), ylim=(0, 10))
    >>> renderer = FigureCanvasAgg(fig).get_renderer()
    >>> big = Label(5, 5, "Big town", 2.0)
    >>> small = Label(5, 5, "Small", 1.0, spots=((5.0, 0.0, "left", "center"),))
    >>> placed, dropped = place_labels(ax, [small, big], avoid=[], renderer=renderer)
    >>> [(t.get_text(), t.get_gid()) for t in placed], [d.text for d in dropped]
    ([('Big town', 'halo'), ('Big town', None)], ['Small'])
    """
    frame = ax.get_window_extent(renderer)
    taken = [box.padded(PAD_PX) for box in avoid]
    placed: list[Annotation] = []
    dropped: list[Label] = []
    for label in sorted(labels, key=lambda item: -item.priority):
        for dx, dy, ha, va in label.spots:
            options: dict[str, Any] = {
                "xytext": (dx, dy), "textcoords": "offset points", "ha": ha, "va": va,
                "annotation_clip": False, "parse_math": False, **label.style,
            }  # fmt: skip
            text = ax.annotate(label.text, (label.x, label.y), zorder=zorder, **options)
            box = text.get_window_extent(renderer)
            inside = (
                box.x0 >= frame.x0 + PAD_PX
                and box.x1 <= frame.x1 - PAD_PX
                and box.y0 >= frame.y0 + PAD_PX
                and box.y1 <= frame.y1 - PAD_PX
            )
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box.padded(PAD_PX))
                # A white outline under the text, drawn as its own artist, so that the
                # text itself stays text in an SVG (path effects would make it outlines).
                options.update(color="white", gid="halo", path_effects=[HALO])
                halo = ax.annotate(label.text, (label.x, label.y), zorder=zorder - 0.01, **options)
                placed.extend([halo, text])
                break
            text.remove()
        else:
            dropped.append(label)
    return placed, dropped
