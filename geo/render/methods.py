"""What ``Snapshot.map()`` and ``Store.map()`` call, like geopandas' ``explore``.

The model and data layers must not import the views, so their ``map``
methods are one-line delegates that import this module when called. The
defaults those methods promise (a title naming what is shown; the store's
snapshots of a date range) are set here, then the public functions of
:mod:`geo.render` draw. :meth:`Diff.map <geo.diff.Diff.map>` needs no defaults
and calls :func:`geo.render.diff_map` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import folium

from geo.render import snapshot as _snapshot
from geo.render import timeline as _timeline
from geo.render.layout import title_for

if TYPE_CHECKING:
    from geo.snapshot import Snapshot
    from geo.store import Store


def snapshot_method(snapshot: Snapshot, *, notice: str | None = None, **kw: Any) -> folium.Map:
    """Implement :meth:`geo.snapshot.Snapshot.map`: the map's title names layer, publisher, date.

    Parameters
    ----------
    snapshot
        The snapshot drawn.
    notice
        The caller's banner (a source's own notice leads it).
    **kw
        Passed to :func:`geo.render.snapshot_map`.

    Returns
    -------
    folium.Map
    """
    return _snapshot.snapshot_map(snapshot, notice=notice, **kw)


def store_method(
    store: Store,
    layer: str | Sequence[str],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    source: str | None = None,
    notice: str | None = None,
    **kw: Any,
) -> folium.Map:
    """Implement :meth:`geo.store.Store.map`: a timeline of each layer's stored dates.

    Parameters
    ----------
    store
        Where the snapshots are.
    layer
        One layer or several (each its own timeline layer).
    start, end
        Date range, inclusive (:meth:`geo.store.Store.series`).
    source
        Source; needed when several sources hold a layer.
    notice
        The caller's banner (a source's own notice leads it).
    **kw
        Passed to :func:`geo.render.timeline_map` (whose default title names the
        layers, their publishers and the date range).

    Returns
    -------
    folium.Map
    """
    names = [layer] if isinstance(layer, str) else list(layer)
    series = {name: store.series(name, source=source, start=start, end=end) for name in names}
    shown = sorted({s.source for snaps in series.values() for s in snaps})
    days = sorted({s.date for snaps in series.values() for s in snaps})
    if days:
        kw.setdefault("title", title_for(names, shown, days[0], days[-1]))
    # Looked up on the module at call time, so a test can stand in for the renderer.
    return _timeline.timeline_map(series, notice=notice, **kw)
