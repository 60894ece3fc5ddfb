"""One entry point for every map of a store: :func:`make_map` behind ``geo map``.

It picks the snapshots (nearest on or before each requested date), builds the
snapshot, diff, timeline or compare map, adds the synthetic-data notice when
the sample is shown, and writes HTML (optionally offline) and/or a static
PNG/SVG. Every renderer credits the snapshots' sources itself (in the
attribution control, or under a static figure: :mod:`geo.render.credits`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.errors import ValidationError
from geo.render.assets import save_html
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE
from geo.snapshot import Snapshot
from geo.store import Store

KINDS = ("snapshot", "diff", "timeline", "compare")


@dataclasses.dataclass(frozen=True)
class MapRequest:
    """What to map.

    Attributes
    ----------
    layers
        Canonical layers (at least one; a diff uses the first).
    kind
        One of :data:`KINDS`.
    dates
        ``(date,)`` for a snapshot, ``(from, to)`` for a diff or a compare,
        ``(start, end)`` (either may be ``None``) for a timeline.
    source
        Source, needed when several sources hold a layer.
    compare_mode
        ``"side-by-side"`` or ``"swipe"``.
    to_source
        Source of a compare map's second side (default: ``source``), to set two
        sources side by side, on one date or two.
    """

    layers: tuple[str, ...]
    kind: str
    dates: tuple[dt.date | None, ...]
    source: str | None = None
    compare_mode: str = "side-by-side"
    to_source: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.layers:
            problems.append("name at least one --layer")
        if self.kind not in KINDS:
            problems.append(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        wanted = {"snapshot": 1, "diff": 2, "compare": 2, "timeline": 2}.get(self.kind, 0)
        if len(self.dates) != wanted:
            problems.append(f"a {self.kind} map takes {wanted} date(s), got {len(self.dates)}")
        elif self.kind != "timeline" and any(d is None for d in self.dates):
            problems.append(f"a {self.kind} map needs every date")
        if problems:
            msg = "cannot make that map"
            raise ValidationError(msg, problems)


def make_map(
    store: Store,
    request: MapRequest,
    *,
    html_path: str | Path | None = None,
    static_path: str | Path | None = None,
    regions: gpd.GeoDataFrame | None = None,
    tiles: str | None = "OpenStreetMap",
    offline: bool = False,
    gazetteer: Sequence[str | Path] = (),
) -> list[Path]:
    """Build the requested map and write it.

    Parameters
    ----------
    store
        Where the snapshots are.
    request
        What to map.
    html_path
        Interactive HTML output (atomic).
    static_path
        PNG or SVG output (snapshot and diff maps; for a timeline, the area
        chart).
    regions
        Boundaries for outlines and per-region figures.
    tiles
        Basemap name, or ``None`` for none.
    offline
        Inline every JS/CSS asset into the HTML.
    gazetteer
        GeoNames files: a diff map then marks the places that changed hands
        and lists them in a panel.

    Returns
    -------
    list of Path
        The files written.
    """
    if html_path is None and static_path is None:
        msg = "nothing to write"
        raise ValidationError(msg, ["give an HTML path (-o) and/or --png FILE"])
    written: list[Path] = []
    common: dict[str, Any] = {"tiles": tiles}
    if request.kind == "snapshot":
        day = _date(request.dates[0])
        snaps = [
            store.get(layer, day, source=request.source, exact=False) for layer in request.layers
        ]
        notice = _notice(snaps)
        if html_path is not None:
            from geo.render.snapshot import snapshot_map

            fmap: Any = snapshot_map(snaps, regions=regions, notice=notice, **common)
            written.append(save_html(fmap, html_path, offline=offline))
        if static_path is not None:
            from geo.render.static import static_map

            written.append(static_map(snaps, static_path, regions=regions, notice=notice))
    elif request.kind == "diff":
        from geo.diff import diff

        layer = request.layers[0]
        a = store.get(layer, _date(request.dates[0]), source=request.source, exact=False)
        b = store.get(layer, _date(request.dates[1]), source=request.source, exact=False)
        result = diff(a, b, regions=regions)
        notice = _notice([a, b])
        if html_path is not None:
            from geo.render.diffmap import diff_map

            fmap = diff_map(result, regions=regions, notice=notice, **common)
            if gazetteer:
                _add_places(fmap, store, request, a.date, b.date, gazetteer)
            written.append(save_html(fmap, html_path, offline=offline))
        if static_path is not None:
            from geo.render.static import static_map

            written.append(static_map(result, static_path, regions=regions, notice=notice))
    elif request.kind == "compare":
        from geo.render.compare import compare_map

        sides = zip(
            request.dates, (request.source, request.to_source or request.source), strict=True
        )
        left, right = (
            [store.get(layer, _date(day), source=side, exact=False) for layer in request.layers]
            for day, side in sides
        )
        if html_path is not None:
            fmap = compare_map(
                left, right, mode=request.compare_mode, regions=regions,
                notice=_notice([*left, *right]), **common,
            )  # fmt: skip
            written.append(save_html(fmap, html_path, offline=offline))
        if static_path is not None:
            msg = "no static compare map"
            raise ValidationError(msg, ["use --png with --date or --from/--to"])
    else:
        written.extend(
            _timeline(store, request, html_path, static_path, regions, tiles=tiles, offline=offline)
        )
    return written


def _timeline(
    store: Store,
    request: MapRequest,
    html_path: str | Path | None,
    static_path: str | Path | None,
    regions: gpd.GeoDataFrame | None,
    *,
    tiles: str | None,
    offline: bool,
) -> list[Path]:
    start, end = request.dates
    series: dict[str, list[Snapshot]] = {}
    for layer in request.layers:
        series[layer] = store.series(layer, source=request.source, start=start, end=end)
    written = []
    every = [s for snaps in series.values() for s in snaps]
    if html_path is not None:
        from geo.render.timeline import timeline_map

        fmap = timeline_map(series, notice=_notice(every), tiles=tiles, regions=regions)
        written.append(save_html(fmap, html_path, offline=offline))
    if static_path is not None:
        from geo.render.static import area_chart
        from geo.stats import timeseries

        frame = timeseries(store, request.layers[0], source=request.source, start=start, end=end)
        written.append(area_chart(frame, static_path, notice=_notice(every)))
    return written


def _add_places(
    fmap: Any,
    store: Store,
    request: MapRequest,
    start: dt.date,
    end: dt.date,
    files: Sequence[str | Path],
) -> None:
    from geo.gazetteer import load_gazetteer
    from geo.places import places_changed
    from geo.render.places import add_places, add_places_panel

    frame = places_changed(
        store, request.layers[0], start, end, gazetteer=load_gazetteer(list(files)),
        source=request.source,
    )  # fmt: skip
    add_places(fmap, frame)
    add_places_panel(fmap, frame)


def _date(value: dt.date | None) -> dt.date:
    if value is None:  # excluded by MapRequest's validation
        msg = "cannot make that map"
        raise ValidationError(msg, ["a date is missing"])
    return value


def _notice(snapshots: Sequence[Snapshot]) -> str | None:
    return SAMPLE_NOTICE if any(s.source == SAMPLE_SOURCE for s in snapshots) else None
