"""Page furniture of the snapshot, diff and compare maps: header, legend, framing.

* :func:`header_html`: one block at the top centre with the title, an optional
  subtitle and a source's required notice (classes ``geo-header``,
  ``geo-title``, ``geo-subtitle``, ``geo-notice``), so nothing at the bottom
  (scale bar, legend, layer control, credits) can be covered by a banner.
* :func:`add_legend`: the legend as a Leaflet control in the bottom-left
  corner; Leaflet stacks it above the scale bar instead of over it.
* :func:`add_framing`: fits each map to its focus (the layer, or a diff's
  change) in the part of the map that the header, panels, legend and layer
  control leave free, with a margin; a panel that would leave less than 40 %
  of the width (or 35 % of the height) free is collapsed first. The focus
  bounds are published as ``window.geoFocus[<map variable>]`` for tests.

Everything written into the page is escaped (:func:`geo.text.escape_text`),
values inside scripts go through :func:`geo.text.script_json`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.publishers import display_name
from geo.render.labels import (
    Lang,
    format_date,
    format_date_range,
    layer_name,
    map_title,
    word,
)
from geo.text import escape_text, script_json

__all__ = [
    "LAYOUT_CSS",
    "LegendRow",
    "MapScript",
    "RawHTML",
    "VerbatimMacro",
    "add_framing",
    "add_legend",
    "add_scale",
    "header_html",
    "leaflet_bounds",
    "map_page",
    "merge_bounds",
    "new_map",
    "title_for",
]

#: Elements that cover part of a map; the framing keeps the focus clear of them.
OBSTACLES = (
    ".geo-header", ".geo-diff-panel", ".geo-legend", ".leaflet-control-layers",
    ".geo-side-label",
)  # fmt: skip
_MARGIN_PX = 12
_SCALE_ROOM_PX = 185  # the scale bar's 150 px and the corners' margins
_MIN_FREE_WIDTH = 0.4
_MIN_FREE_HEIGHT = 0.35

LAYOUT_CSS = """<style>
.geo-header{position:fixed;top:8px;left:50%;transform:translateX(-50%);z-index:1001;
  max-width:min(62%,780px);box-sizing:border-box;background:rgba(255,255,255,.94);
  border:1px solid #bbb;border-radius:4px;padding:6px 12px;text-align:center;
  box-shadow:0 1px 4px rgba(0,0,0,.25);font-family:Helvetica,Arial,sans-serif}
.geo-title{font-weight:bold;font-size:16px;line-height:1.25;color:#111;text-wrap:balance}
.geo-subtitle{font-size:13px;line-height:1.3;color:#444;margin-top:2px;text-wrap:balance}
.geo-notice{margin-top:4px;background:#fff3cd;border:1px solid #b58900;padding:2px 8px;
  font-weight:bold;font-size:12px;color:#5c4400}
.geo-legend{background:rgba(255,255,255,.94);padding:6px 8px;border:1px solid #999;
  border-radius:4px;font:12px/1.35 Helvetica,Arial,sans-serif;color:#222;max-width:320px}
.geo-legend .geo-legend-head{font-weight:bold;margin-bottom:2px}
.geo-legend .geo-swatch{display:inline-block;width:12px;height:12px;margin-right:6px;
  vertical-align:-1px;border:1px solid rgba(0,0,0,.25)}
.geo-legend .geo-legend-value{color:#555;white-space:nowrap}
.leaflet-tooltip.geo-region-label{background:transparent;border:0;box-shadow:none;padding:0;
  color:#333;
  font:600 12px/1.1 Helvetica,Arial,sans-serif;white-space:nowrap;pointer-events:none;
  text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff}
.leaflet-tooltip.geo-region-label:before{display:none}
.leaflet-control-layers{font:12px/1.4 Helvetica,Arial,sans-serif;max-width:320px}
.leaflet-container .leaflet-control-attribution{font-size:11px;line-height:1.35}
.geo-label-hidden{visibility:hidden}
</style>"""


class RawHTML(Element):
    """Finished HTML, CSS or script for a page, written out as it is.

    branca's ``Element(text)`` reads its text as a Jinja template, and
    ``MacroElement.render`` wraps every piece it renders in one again: text
    from data holding ``{{ ... }}`` would run as template code (which can
    reach Python's ``os``). This element never goes through Jinja. Data text
    handed to folium's own elements is kept out of Jinja's way by
    :func:`geo.text.escape_text`.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawHTML"
        self.text = text

    def render(self, **kwargs: object) -> str:
        """Return the text, as given."""
        return self.text


class VerbatimMacro(MacroElement):
    """A ``MacroElement`` whose rendered header, html and script go into the page as they are.

    Its template is rendered once (``MacroElement.render`` would read each
    result as a template again: see :class:`RawHTML`).
    """

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        """Add the macros' output to the page, then render the children."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "render the map's page, not an element on its own"
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(RawHTML(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class MapScript(VerbatimMacro):
    """Inline JavaScript placed among the map's own scripts, after its parent's."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapScript"
        self.code = code


def title_for(
    layers: Iterable[str],
    sources: Iterable[str],
    start: dt.date,
    end: dt.date | None = None,
    lang: Lang = "en",
) -> str:
    """Return a map's default title: :func:`geo.render.labels.map_title`, for one layer or several.

    Examples
    --------
    >>> title_for(["russian_control"], ["deepstate"], dt.date(2025, 6, 1))
    'Russian-controlled territory, DeepStateMap.Live, 1 Jun 2025'
    >>> title_for(["russian_control", "contested", "liberated"], ["isw"], dt.date(2025, 6, 1))
    'Territorial control, Institute for the Study of War (ISW), 1 Jun 2025'
    >>> title_for(["russian_control", "contested"], ["isw"], dt.date(2025, 6, 1))
    'Russian-controlled territory and Contested ground (grey zone), Institute for the Study of War
    (ISW), 1 Jun 2025'
    """
    names = list(dict.fromkeys(layers))
    publishers = list(dict.fromkeys(sources))
    if len(names) == 1:
        return map_title(names[0], publishers, start, end, lang)
    human = [layer_name(n, lang) for n in names]
    # two layers by name; more would make a paragraph (the legend lists them)
    what = (
        f"{human[0]} {word('and', lang)} {human[1]}"
        if len(human) == 2
        else word("territorial_control", lang)
    )
    who = " / ".join(dict.fromkeys(display_name(s) for s in publishers))
    same = end is None or end == start
    when = format_date(start, lang) if same else format_date_range(start, end, lang)  # type: ignore[arg-type]
    return f"{what}, {who}, {when}"


def header_html(title: str, subtitle: str | None = None, notice: str | None = None) -> str:
    """Return the header block: title, subtitle and notice (each escaped; empty parts left out).

    Examples
    --------
    >>> print(header_html("Russian gains <b>", notice="SYNTHETIC"))  # doctest: +ELLIPSIS
    <div class="geo-header"><div class="geo-title">Russian gains &lt;b&gt;</div>...
    """
    parts = [
        f'<div class="{css}">{escape_text(text)}</div>'
        for css, text in (("geo-title", title), ("geo-subtitle", subtitle), ("geo-notice", notice))
        if text
    ]
    return f'<div class="geo-header">{"".join(parts)}</div>' if parts else ""


@dataclass(frozen=True)
class LegendRow:
    """One legend entry: a swatch colour, its words, an optional figure after them."""

    colour: str
    label: str
    value: str | None = None
    opacity: float = 0.7


def add_legend(fmap: folium.Map, heading: str, rows: Sequence[LegendRow]) -> None:
    """Add a legend (class ``geo-legend``) as a control in the map's bottom-left corner.

    The legend's HTML is in the page (escaped); a small script hands it to a
    Leaflet control, which stacks it above the scale bar.

    Examples
    --------
    >>> fmap = new_map()
    >>> add_legend(fmap, "Layers", [LegendRow("#c0392b", "Russian-controlled territory",
    ...                                       "113,157 km²")])
    >>> page = fmap.get_root().render()
    >>> 'Russian-controlled territory <span class="geo-legend-value">113,157 km²' in page
    True
    >>> "L.control({position:'bottomleft'})" in page
    True
    """
    page = fmap.get_root()
    assert isinstance(page, Figure)
    element_id = f"geo-legend-{fmap.get_name()}"
    items = "".join(
        f'<div class="geo-legend-row"><span class="geo-swatch" style="background:{row.colour};'
        f'opacity:{row.opacity}"></span>{escape_text(row.label)}'
        + (f' <span class="geo-legend-value">{escape_text(row.value)}</span>' if row.value else "")
        + "</div>"
        for row in rows
    )
    page.html.add_child(RawHTML(
        f'<div id="{element_id}" class="geo-legend">'
        f'<div class="geo-legend-head">{escape_text(heading)}</div>{items}</div>'
    ))  # fmt: skip
    MapScript(
        f"(function(){{var legend=L.control({{position:'bottomleft'}});"
        f"legend.onAdd=function(){{var el=document.getElementById({script_json(element_id)});"
        "L.DomEvent.disableClickPropagation(el);L.DomEvent.disableScrollPropagation(el);"
        f"return el;}};legend.addTo({fmap.get_name()});}})();"
    ).add_to(fmap)


def add_scale(fmap: folium.Map) -> None:
    """Add a metric scale bar in the bottom-left corner (before the legend, which stacks above).

    Make the map with ``control_scale=False``: folium's own scale bar also shows miles.
    """
    MapScript(f"L.control.scale({{imperial:false,maxWidth:150}}).addTo({fmap.get_name()});").add_to(
        fmap
    )


def new_map() -> folium.Map:
    """Return an empty map of the house style: no tiles yet, metric scale bar, zoom in quarters."""
    fmap = folium.Map(tiles=None, control_scale=False, prefer_canvas=False, zoom_snap=0.25)
    add_scale(fmap)
    return fmap


def map_page(fmap: folium.Map) -> Figure:
    """Return the page holding ``fmap``, the house CSS (:data:`LAYOUT_CSS`) in its header once."""
    page = fmap.get_root()
    assert isinstance(page, Figure)
    page.header.add_child(RawHTML(LAYOUT_CSS), name="geo_layout_css")
    return page


def leaflet_bounds(box: Iterable[float]) -> list[list[float]]:
    """Return ``(west, south, east, north)`` as Leaflet bounds ``[[south, west], [north, east]]``.

    Examples
    --------
    >>> leaflet_bounds((37, 48, 38.5, 49))
    [[48.0, 37.0], [49.0, 38.5]]
    """
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    return [[ymin, xmin], [ymax, xmax]]


def merge_bounds(
    a: list[list[float]] | None, b: list[list[float]] | None
) -> list[list[float]] | None:
    """Return the union of two Leaflet bounds ``[[south, west], [north, east]]`` (``None`` = none).

    Examples
    --------
    >>> merge_bounds([[48, 37], [49, 38]], [[47, 37.5], [48.5, 39]])
    [[47, 37], [49, 39]]
    """
    if a is None or b is None:
        return a or b
    return [[min(a[0][0], b[0][0]), min(a[0][1], b[0][1])],
            [max(a[1][0], b[1][0]), max(a[1][1], b[1][1])]]  # fmt: skip


def add_framing(
    page: Figure,
    maps: Sequence[folium.Map],
    focus: list[list[float]] | None,
    *,
    max_zoom: int = 12,
) -> None:
    """Fit ``maps`` to ``focus`` in the part of them no header, panel or legend covers.

    Parameters
    ----------
    page
        The page holding the maps.
    maps
        One map, or the synchronized maps of a side-by-side page (fitted alike).
    focus
        Leaflet bounds ``[[south, west], [north, east]]`` to show; ``None`` leaves the view.
    max_zoom
        Never closer than this (a tiny change would otherwise fill the screen with tiles).

    Examples
    --------
    >>> fmap = new_map()
    >>> add_framing(fmap.get_root(), [fmap], [[48.0, 37.0], [48.5, 37.6]])
    >>> page = fmap.get_root().render()
    >>> "window.geoLayout.frame(maps,focus,12)" in page and "[[48.0, 37.0], [48.5, 37.6]]" in page
    True
    """
    if focus is None:
        return
    for fmap in maps:  # a first view before the page is laid out
        fmap.fit_bounds(focus, max_zoom=max_zoom)
    names = "[" + ",".join(m.get_name() for m in maps) + "]"
    page.html.add_child(RawHTML(_LAYOUT_JS))
    page.html.add_child(RawHTML(
        "<script>document.addEventListener('DOMContentLoaded',function(){"
        f"var maps={names};var focus={script_json(focus)};"
        f"{''.join(f'window.geoFocus[{script_json(m.get_name())}]=focus;' for m in maps)}"
        f"window.geoLayout.frame(maps,focus,{max_zoom});}});</script>"
    ))  # fmt: skip


# Defined once per page (the guard), before any DOMContentLoaded handler needs it.
_LAYOUT_JS = (
    "<script>window.geoFocus=window.geoFocus||{};if(!window.geoLayout){window.geoLayout=(function(){"
    f"var obstacles={script_json(', '.join(OBSTACLES))};"
    "function pads(maps){var p={l:0,t:0,r:0,b:0};maps.forEach(function(map){"
    "var box=map.getContainer().getBoundingClientRect();"
    "document.querySelectorAll(obstacles).forEach(function(el){"
    "var r=el.getBoundingClientRect();if(!r.width||!r.height)return;"
    "if(r.right<=box.left||r.left>=box.right||r.bottom<=box.top||r.top>=box.bottom)return;"
    # each obstacle is kept clear along the side that costs the least room
    "var need={l:r.right-box.left,r:box.right-r.left,t:r.bottom-box.top,b:box.bottom-r.top};"
    "var side=['t','b','l','r'].reduce(function(a,s){return need[s]<need[a]?s:a;});"
    "p[side]=Math.max(p[side],need[side]);});});return p;}"
    "function room(maps,p){var s=maps[0].getSize();"
    f"return (s.x-p.l-p.r)>={_MIN_FREE_WIDTH}*s.x&&(s.y-p.t-p.b)>={_MIN_FREE_HEIGHT}*s.y;}}"
    "function fit(maps,bounds,maxZoom,animate){var p=pads(maps);"
    f"var m={_MARGIN_PX};"
    "maps.forEach(function(map){map.fitBounds(bounds,{paddingTopLeft:[p.l+m,p.t+m],"
    "paddingBottomRight:[p.r+m,p.b+m],maxZoom:maxZoom,animate:!!animate});});}"
    # the credit line wraps before it reaches the scale bar (150 px wide, bottom left)
    "function credits(maps){maps.forEach(function(map){"
    "var el=map.getContainer().querySelector('.leaflet-control-attribution');"
    f"if(el)el.style.maxWidth=Math.max(120,map.getSize().x-{_SCALE_ROOM_PX})+'px';}});}}"
    "function frame(maps,bounds,maxZoom){credits(maps);"
    "window.addEventListener('resize',function(){credits(maps);});"
    "if(!room(maps,pads(maps))){document.querySelectorAll('.geo-diff-panel').forEach("
    "function(el){if(el.geoCollapse)el.geoCollapse(true);});}"
    "fit(maps,bounds,maxZoom,false);window.geoFramed=true;}"
    "return {pads:pads,fit:fit,frame:frame};})();}</script>"
)
