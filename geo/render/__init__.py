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
:func:`frontline_map`  the contact line of a date (and earlier dates), over the layer
:func:`ledger_map`     places sized and coloured by how often they changed hands
:func:`static_map`     PNG/SVG (or a Figure) of snapshots or a diff
:func:`area_chart`     PNG/SVG (or a Figure): area held over time, change per step
:func:`gains_chart`    PNG/SVG (or a Figure): gross gains and losses per month, and net
:func:`share_chart`    PNG/SVG (or a Figure): share of each region held over time
:func:`animate`        MP4, WebM or GIF of a series, one frame per day, week or month
:func:`save_html`      a map as HTML text, or written atomically to a file
:func:`add_places`     mark places that changed hands on any folium map
:func:`build_timeline` encode a timeline once, read its size and area error
:func:`fetch_assets`   download Leaflet & co. from npm for offline pages
:func:`write_demo`     the bundled synthetic sample, ingested and mapped
=====================  ==============================================================

:func:`add_distance_rings` draws each place's distance to the front (a
:func:`geo.distance.distances` result) as rings on any folium map;
:func:`diff_map` draws them with ``rings=``.

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
    "VideoFormat",
    "add_distance_rings",
    "add_places",
    "animate",
    "area_chart",
    "build_timeline",
    "compare_map",
    "diff_map",
    "fetch_assets",
    "frontline_map",
    "gains_chart",
    "ledger_map",
    "save_html",
    "share_chart",
    "snapshot_map",
    "static_map",
    "timeline_map",
    "write_demo",
]

#: The module defining each public name, imported on first use.
_HOME = {
    "CompareMode": "geo.render.compare",
    "StaticFormat": "geo.render.static",
    "VideoFormat": "geo.render.animation",
    "Timeline": "geo.render.timeline",
    "add_distance_rings": "geo.render.distance_map",
    "add_places": "geo.render.places",
    "animate": "geo.render.animation",
    "area_chart": "geo.render.charts",
    "build_timeline": "geo.render.timeline",
    "compare_map": "geo.render.compare",
    "diff_map": "geo.render.diffmap",
    "fetch_assets": "geo.render.assets",
    "frontline_map": "geo.render.frontmap",
    "ledger_map": "geo.render.ledgermap",
    "gains_chart": "geo.render.charts",
    "save_html": "geo.render.assets",
    "share_chart": "geo.render.charts",
    "snapshot_map": "geo.render.snapshot",
    "static_map": "geo.render.static",
    "timeline_map": "geo.render.timeline",
    "write_demo": "geo.render.demo",
}

if TYPE_CHECKING:
    from geo.render.animation import VideoFormat, animate
    from geo.render.assets import fetch_assets, save_html
    from geo.render.charts import area_chart, gains_chart, share_chart
    from geo.render.compare import CompareMode, compare_map
    from geo.render.demo import write_demo
    from geo.render.diffmap import diff_map
    from geo.render.distance_map import add_distance_rings
    from geo.render.frontmap import frontline_map
    from geo.render.ledgermap import ledger_map
    from geo.render.places import add_places
    from geo.render.snapshot import snapshot_map
    from geo.render.static import StaticFormat, static_map
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
