"""Maps and charts of snapshots, diffs and series: the public door of the views.

Interactive maps are :class:`folium.Map` objects (they display inline in
Jupyter); :func:`save_html` turns them into a page, as text or a file, with
every asset inlined when ``offline=True``. Static maps and charts are
matplotlib figures, or PNG/SVG files when given a ``path``.

=====================  ==============================================================
:func:`snapshot_map`   one date, one or more layers, legend, region outlines
:func:`diff_map`       gained / lost / unchanged ground, per-region table, places
:func:`timeline_map`   every date on a slider, change since the previous date, bars, #date
:func:`compare_map`    two dates or two sources, side by side or as a swipe
:func:`static_map`     PNG/SVG (or a Figure) of snapshots or a diff
:func:`area_chart`     PNG/SVG (or a Figure) of :func:`geo.stats.timeseries`
:func:`save_html`      a map as HTML text, or written atomically to a file
:func:`add_places`     mark places that changed hands on any folium map
:func:`build_timeline` encode a timeline once, read its size and area error
:func:`fetch_assets`   download Leaflet & co. from npm for offline pages
:func:`write_demo`     the bundled synthetic sample, ingested and mapped
=====================  ==============================================================

Every map credits its data sources (:func:`geo.publishers.credit_line`) and
shows a source's required notice (the synthetic sample's, via
:func:`geo.publishers.notice_for`) whatever the caller passes. Text from data
is escaped in every page.

``import geo.render`` is cheap: it loads none of folium, matplotlib or the
renderers. Each function's module (and folium or matplotlib with it) is
imported on first use, so a script that only draws a static chart never loads
folium, and one that only writes HTML never loads matplotlib.

Examples
--------
>>> import datetime
>>> from shapely.geometry import box
>>> from geo.render import save_html, snapshot_map
>>> from geo.snapshot import Provenance, Snapshot, make_features
>>> snap = Snapshot("sample", "russian_control", datetime.date(2025, 6, 1),
...                 make_features([box(37.0, 48.0, 37.5, 48.5)]), Provenance("mine.geojson"))
>>> "SYNTHETIC SAMPLE DATA" in save_html(snapshot_map(snap, tiles=None))
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "CompareMode",
    "StaticFormat",
    "Timeline",
    "add_places",
    "area_chart",
    "build_timeline",
    "compare_map",
    "diff_map",
    "fetch_assets",
    "save_html",
    "snapshot_map",
    "static_map",
    "timeline_map",
    "write_demo",
]

#: The module defining each public name, imported on first use.
_HOME = {
    "CompareMode": "geo.render.compare",
    "StaticFormat": "geo.render.static",
    "Timeline": "geo.render.timeline",
    "add_places": "geo.render.places",
    "area_chart": "geo.render.static",
    "build_timeline": "geo.render.timeline",
    "compare_map": "geo.render.compare",
    "diff_map": "geo.render.diffmap",
    "fetch_assets": "geo.render.assets",
    "save_html": "geo.render.assets",
    "snapshot_map": "geo.render.snapshot",
    "static_map": "geo.render.static",
    "timeline_map": "geo.render.timeline",
    "write_demo": "geo.render.demo",
}

if TYPE_CHECKING:
    from geo.render.assets import fetch_assets, save_html
    from geo.render.compare import CompareMode, compare_map
    from geo.render.demo import write_demo
    from geo.render.diffmap import diff_map
    from geo.render.places import add_places
    from geo.render.snapshot import snapshot_map
    from geo.render.static import StaticFormat, area_chart, static_map
    from geo.render.timeline import Timeline, build_timeline, timeline_map
else:

    def __getattr__(name: str) -> Any:
        """Import the public name's module on first use (PEP 562)."""
        home = _HOME.get(name)
        if home is None:
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        """List the module's names, the lazy public ones included."""
        return sorted({*globals(), *__all__})
