"""Videos of a series: one frame per stored day, week or month, as MP4, WebM or GIF.

Frames are rendered from the data, not recorded from a screen
(:mod:`geo.render.frames`): the news map page is drawn once, and each frame
rasterises only the layer at its date and composites it over the page, ground
held since the first date in the layer's colour, ground gained and lost since
then in the colours of their meaning (Russian gains red, Ukrainian gains
blue). The date, the area held and the net change since the first date are
drawn into a box at the upper left.

Speed: geometries are projected and simplified to the pixel per frame, only
the window the layer can reach is composited, and ``jobs=`` renders chunks of
frames in worker processes while the encoder (ffmpeg, itself multi-threaded)
takes them in order. ``benchmarks/bench_animate.py`` measures the whole
DeepState daily archive against a naive re-plot of every frame.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import shapely

from geo.errors import ValidationError
from geo.parallel import process_pool, worker_count
from geo.progress import Progress, progress_meter
from geo.render.frames import (
    RGB,
    Delta,
    Plan,
    assemble_frame,
    frame_delta,
    make_plan,
    render_frame,
)
from geo.render.labels import Lang
from geo.render.static import check_size, output_target
from geo.render.video import (
    VIDEO_FORMATS,
    VideoFormat,
    check_encoder,
    gif_palette,
    write_video,
)
from geo.snapshot import Snapshot
from geo.store import Store

__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_VIDEO_SIZE",
    "Every",
    "VideoFormat",
    "animate",
    "pick_frames",
    "read_series",
]

#: How often a frame is taken.
Every = Literal["day", "week", "month"]
#: Frames per second unless ``fps=`` says otherwise: a daily video runs about a minute a year.
DEFAULT_FPS: dict[str, float] = {"day": 12.0, "week": 4.0, "month": 2.0}
#: Width and height (pixels) of a video unless ``size=`` says otherwise.
DEFAULT_VIDEO_SIZE = (1280, 720)
#: Frames per task sent to a worker process.
_CHUNK = 8


def pick_frames(dates: Sequence[dt.date], every: Every) -> list[int]:
    """Return the positions of the dates a video shows: the first, then the last of each period.

    Examples
    --------
    >>> days = [dt.date(2025, 1, d) for d in (1, 2, 8, 30)] + [dt.date(2025, 2, 3)]
    >>> pick_frames(days, "day"), pick_frames(days, "week"), pick_frames(days, "month")
    ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 3, 4])
    """
    keys: dict[str, Callable[[dt.date], object]] = {
        "day": lambda d: d,
        "week": lambda d: tuple(d.isocalendar())[:2],
        "month": lambda d: (d.year, d.month),
    }
    if every not in keys:
        msg = "unknown frame step"
        raise ValidationError(msg, [f"every={every!r}: pass 'day', 'week' or 'month'"])
    last: dict[object, int] = {}
    for position, day in enumerate(dates):
        last[keys[every](day)] = position
    return sorted({0, *last.values()}) if dates else []


def read_series(
    store: Store,
    layer: str,
    *,
    source: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress = None,
) -> list[Snapshot]:
    """Return the snapshots of ``layer`` a video shows, read through the store's public API.

    One function, so the video switches to a batch read of the store in one place.
    Each snapshot's area comes from the store's catalog (the geodesic area
    computed on ingest), not computed again.

    Examples
    --------
    >>> import tempfile
    >>> from geo.io import read_many
    >>> from geo.sample import sample_dir
    >>> from geo.store import open_store
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = open_store(folder.name)
    >>> report = store.ingest(read_many([sample_dir()], source="sample").snapshots)
    >>> [s.date.isoformat() for s in read_series(store, "russian_control")][:2]
    ['2024-08-15', '2024-09-15']
    >>> folder.cleanup()
    """
    series = store.series(layer, source=source, start=start, end=end, progress=progress)
    rows = store.snapshots(layer=layer, source=series[0].source)
    area = dict(zip(rows["date"], rows["area_km2"].astype(float), strict=True))
    for snap in series:
        if snap.date in area and "area_km2" not in vars(snap):
            vars(snap)["area_km2"] = area[snap.date]  # the cached property, primed
    return series


def animate(
    series: Sequence[Snapshot],
    path: str | Path,
    *,
    every: Every = "day",
    fps: float | None = None,
    size: tuple[int, int] = DEFAULT_VIDEO_SIZE,
    lang: Lang = "en",
    title: str | None = None,
    subtitle: str | None = None,
    regions: gpd.GeoDataFrame | None = None,
    notice: str | None = None,
    attribution: str | None = None,
    hold_s: float = 2.0,
    jobs: int | None = None,
    progress: Progress = None,
    format: VideoFormat | None = None,
) -> Path:
    """Write a video of a layer's series: MP4, WebM (``pip install 'geo[video]'``) or GIF.

    Parameters
    ----------
    series
        Snapshots of one layer and one source (:func:`read_series`,
        :meth:`geo.store.Store.series`), in any order.
    path
        Output file, ``.mp4``, ``.webm`` or ``.gif``.
    every
        ``"day"`` (every stored date), ``"week"`` or ``"month"``: the first
        date, then the last stored date of each period.
    fps
        Frames per second; default 12 a day, 4 a week, 2 a month.
    size
        Width and height in pixels (even for MP4 and WebM).
    lang
        ``"en"`` or ``"uk"``: the words in the video.
    title, subtitle
        Header lines; by default the layer, publisher and date range, and the
        area held at the first and last date.
    regions
        Region outlines to draw (a ``region`` or ``name`` column).
    notice
        Banner over the map. A source's own notice (the synthetic sample's)
        always leads it.
    attribution
        Extra credit after the data credit in the source line.
    hold_s
        Seconds the last frame stays on screen.
    jobs
        ``None`` or 1: render in this process; ``N``: in N worker processes;
        ``0``: one per core.
    progress
        A bar on stderr while frames are encoded: ``None`` (when stderr is a
        terminal), ``True`` or ``False``.
    format
        ``"mp4"``, ``"webm"`` or ``"gif"``; default from the suffix of ``path``.

    Returns
    -------
    Path
        The file written (atomically: a failure leaves ``path`` as it was).

    Raises
    ------
    ValidationError
        If the series is empty or mixes layers or sources, or an option is unusable.
    MissingDependencyError
        If MP4 or WebM is asked for without ``imageio-ffmpeg``.
    EncoderError
        If the encoder fails.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> from PIL import Image
    >>> from geo.snapshot import Provenance, make_features
    >>> series = [Snapshot("isw", "russian_control", dt.date(2025, 6, day),
    ...                    make_features([box(37.0, 48.0, 37.2 + day / 50, 48.5)]),
    ...                    Provenance("mine.geojson")) for day in (1, 2, 3)]
    >>> folder = tempfile.TemporaryDirectory()
    >>> out = animate(series, Path(folder.name, "war.gif"), size=(480, 270), hold_s=0)
    >>> Image.open(out).n_frames
    3
    >>> folder.cleanup()
    """
    target, fmt = output_target(path, format, VIDEO_FORMATS)
    width, height = check_size(size)
    check_encoder(target, fmt, (width, height))  # before any work
    frames = _frames_of(series, target)
    chosen = [frames[i] for i in pick_frames([s.date for s in frames], every)]
    rate = float(fps) if fps is not None else DEFAULT_FPS[every]
    if not (0 < rate <= 120):
        msg = f"cannot write {target}"
        raise ValidationError(msg, [f"fps={fps!r}: pass a rate above 0 and up to 120"])
    workers = worker_count(jobs)
    plan = make_plan(
        chosen,
        (width, height),
        lang=lang,
        title=title,
        subtitle=subtitle,
        regions=regions,
        notice=notice,
        attribution=attribution,
    )
    extra = max(round(hold_s * rate), 0)
    total = len(chosen) + extra
    tasks = [
        (shapely.to_wkb(s.geometry), lines) for s, lines in zip(chosen, plan.lines, strict=True)
    ]
    with progress_meter(progress=progress, desc="video", unit="frame", total=total) as bar:

        def counted(images: Iterable[RGB]) -> Iterator[RGB]:
            last = None
            for image in images:
                last = image
                bar.update(1)
                yield image
            for _ in range(extra if last is not None else 0):
                bar.update(1)
                yield last  # type: ignore[misc]

        palette = None
        if fmt == "gif":  # one palette for all frames, from the first and the last
            ends = [render_frame(plan, tasks[0]), render_frame(plan, tasks[-1])]  # first and last
            palette = gif_palette(ends)
        with _rendered(plan, tasks, workers) as images:
            return write_video(
                target, fmt, counted(images), size=(width, height), fps=rate, palette=palette
            )


def _frames_of(series: Sequence[Snapshot], target: Path) -> list[Snapshot]:
    frames = sorted(series, key=lambda s: s.date)
    problems = []
    if not frames:
        problems.append("the series is empty: pass geo.render.animation.read_series(store, layer)")
    layers = sorted({s.layer for s in frames})
    sources = sorted({s.source for s in frames})
    if len(layers) > 1:
        problems.append(f"the series mixes layers {layers}: pass one layer's snapshots")
    if len(sources) > 1:
        problems.append(f"the series mixes sources {sources}: pass source= to read one")
    if problems:
        msg = f"cannot write {target}"
        raise ValidationError(msg, problems)
    return frames


# --- running: here or in worker processes ---------------------------------------------------

_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def _delta_chunk(wkbs: list[bytes]) -> list[Delta]:
    assert _PLAN is not None
    return [frame_delta(_PLAN, wkb) for wkb in wkbs]


class _rendered:  # noqa: N801 - used as a context manager, like open()
    """Frames in order: rendered here, or by worker processes a bounded number of chunks ahead.

    Workers send back only the pixels that differ from the first frame (a few
    thousand, not a whole frame), and this process puts each frame together.
    """

    def __init__(
        self, plan: Plan, tasks: list[tuple[bytes, tuple[str, str, str]]], workers: int
    ) -> None:
        self.plan, self.tasks, self.workers = plan, tasks, workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Iterator[RGB]:
        if self.workers <= 1 or len(self.tasks) <= _CHUNK:
            return (render_frame(self.plan, task) for task in self.tasks)
        self.pool = process_pool(self.workers, initializer=_init_worker, initargs=(self.plan,))
        return self._stream(self.pool)

    def _stream(self, pool: ProcessPoolExecutor) -> Iterator[RGB]:
        chunks = [self.tasks[i : i + _CHUNK] for i in range(0, len(self.tasks), _CHUNK)]
        pending: deque[tuple[Future[list[Delta]], list[Any]]] = deque()
        ahead = 2 * self.workers

        def done() -> Iterator[RGB]:
            future, chunk = pending.popleft()
            for delta, (_, lines) in zip(future.result(), chunk, strict=True):
                yield assemble_frame(self.plan, delta, lines)

        for chunk in chunks:
            pending.append((pool.submit(_delta_chunk, [wkb for wkb, _ in chunk]), chunk))
            if len(pending) >= ahead:
                yield from done()
        while pending:
            yield from done()

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
