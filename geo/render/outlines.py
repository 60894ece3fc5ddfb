"""Region outlines and their name labels, which never collide.

Every map kind draws regions through :func:`add_region_outlines`: dashed
outlines in one layer, and one label per region at its pole of inaccessibility
(the inner point farthest from the edge, which a crescent's centroid is not),
in human words (:func:`geo.render.labels.region_name`, so "Donetsk" or
"Донецька обл.").

Labels that would overlap are dropped by a fixed rule, run again after every
zoom and pan: labels are taken largest region first (:func:`label_order`:
geodesic area, then name); a label is shown only if its box keeps 4 px clear of
every label already shown and of the header, panels, legend and layer control
(:data:`geo.render.layout.OBSTACLES`), and lies inside the map; else it is
hidden (class ``geo-label-hidden``). So when two labels collide the larger
region's stays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry.base import BaseGeometry

from geo.geometry import WGS84, geodesic_area_km2
from geo.region_select import Near, select_regions
from geo.regions import find_region
from geo.render.labels import Lang, region_name, word
from geo.render.layout import OBSTACLES, MapScript, leaflet_bounds, map_page
from geo.text import escape_text, script_json

__all__ = [
    "add_region_outlines",
    "add_regions_near",
    "display_region",
    "label_order",
    "label_point",
    "label_points",
]

_STYLE = {"fill": False, "color": "#333333", "weight": 1.5, "dashArray": "4 4"}
_GAP_PX = 4


def display_region(name: str, lang: Lang = "en") -> str:
    """Return a region's name as a reader should see it, in ``lang``.

    Names and codes the alias table knows become the canonical name (translated);
    any other name is kept as the file writes it.

    Examples
    --------
    >>> display_region("UA14"), display_region("Donetska", "uk"), display_region("Texas")
    ('Donetsk', 'Донецька обл.', 'Texas')
    """
    canonical = find_region(name)
    return name if canonical is None else region_name(canonical, lang)


def label_order(names: Sequence[str], geometries: Sequence[BaseGeometry | None]) -> list[int]:
    """Return the order labels are placed in: largest region first, ties by name.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> label_order(["small", "big", "also big"], [box(0, 0, 1, 1), box(0, 0, 3, 3),
    ...                                            box(5, 0, 8, 3)])
    [2, 1, 0]
    """
    areas = np.asarray(geodesic_area_km2(list(geometries)), dtype=float)
    return sorted(range(len(names)), key=lambda i: (-round(float(areas[i]), 6), names[i], i))


def label_point(geometry: BaseGeometry) -> tuple[float, float]:
    """Return (lat, lon) of a region's label: the pole of inaccessibility of its largest part.

    Computed with longitudes scaled by the cosine of the latitude, so that
    "farthest from the edge" means in km, not in degrees.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> crescent = Polygon([(0, 0), (4, 0), (4, 4), (0, 4), (0, 3), (3, 3), (3, 1), (0, 1)])
    >>> crescent.contains(crescent.centroid)  # the centroid falls in the bite
    False
    >>> lat, lon = label_point(crescent)
    >>> crescent.contains(shapely.Point(lon, lat))
    True
    """
    parts = getattr(geometry, "geoms", [geometry])
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    if not polygons:  # not an area (a caller's odd frame): any point of it will do
        point = geometry.representative_point()
        return round(point.y, 5), round(point.x, 5)
    largest = max(polygons, key=lambda p: p.area)
    scale = math.cos(math.radians(largest.centroid.y))
    flat = shapely.affinity.scale(largest, xfact=scale, yfact=1.0, origin=(0, 0))
    point = shapely.ops.polylabel(flat, tolerance=max(flat.length / 2000, 1e-6))
    return round(point.y, 5), round(point.x / scale, 5)


def label_points(geometry: BaseGeometry) -> list[tuple[float, float]]:
    """Return (lat, lon) places for a region's label, best first.

    The first is :func:`label_point`; then a point inside each of the region's
    north, south, west and east halves (of its bounding box), so that a label
    a header or the map's edge hides can move to a part of the region in view.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> points = label_points(box(30, 50, 34, 52))
    >>> points[0] == label_point(box(30, 50, 34, 52)), len(points)
    (True, 5)
    >>> points[1][0] > 51 > points[2][0]  # north half, then south half
    True
    >>> points[3][1] < 32 < points[4][1]  # west half, then east half
    True
    """
    points = [label_point(geometry)]
    west, south, east, north = geometry.bounds
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    halves = [(west, mid_y, east, north), (west, south, east, mid_y),
              (west, south, mid_x, north), (mid_x, south, east, north)]  # fmt: skip
    parts = [shapely.clip_by_rect(geometry, *half) for half in halves]
    # slivers make poor places for a name; a fallback place need not be the pole, only inside
    big = [p for p in parts if not p.is_empty and p.area >= 0.1 * geometry.area]
    for point in shapely.point_on_surface(big):
        lat_lon = (round(point.y, 5), round(point.x, 5))
        if lat_lon not in points:
            points.append(lat_lon)
    return points


def add_region_outlines(
    fmap: folium.Map,
    regions: gpd.GeoDataFrame,
    *,
    tolerance_deg: float = 0.0,
    precision: int | None = None,
    lang: Lang = "en",
) -> folium.FeatureGroup:
    """Draw regions as dashed outlines with name labels that do not collide.

    Parameters
    ----------
    fmap
        Map to draw on.
    regions
        Region boundaries with a ``region`` (or ``name``) column; without one
        they get no labels.
    tolerance_deg
        Simplify the outlines (topology kept) by this many degrees; 0 draws them as given.
    precision
        Round coordinates to this many decimals; ``None`` keeps them.
    lang
        Language of the names (:func:`display_region`) and of the layer's name.

    Returns
    -------
    folium.FeatureGroup
        The layer holding outlines and labels ("Regions"), already on the map.

    Examples
    --------
    >>> import folium
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"region": ["Donetska", "Kursk"]},
    ...                            geometry=[box(37, 47, 39, 49), box(35, 51, 37, 52)], crs=4326)
    >>> fmap = folium.Map(tiles=None)
    >>> add_region_outlines(fmap, regions, lang="uk").layer_name
    'Області'
    >>> page = fmap.get_root().render()
    >>> "Донецька обл." in page and "Курська обл. (РФ)" in page
    True
    """
    column = "region" if "region" in regions.columns else "name"
    frame = regions.to_crs(WGS84) if regions.crs is not None else regions
    names = [str(n) for n in frame[column]] if column in frame.columns else [""] * len(frame)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    names = [n for n, k in zip(names, keep, strict=True) if k]
    geoms = geoms[keep]
    drawn = geoms
    if tolerance_deg > 0:  # the timeline simplifies them like its layers, to stay small
        drawn = shapely.simplify(drawn, tolerance_deg)
    if precision is not None:
        drawn = shapely.set_precision(drawn, 10.0**-precision)
    group = folium.FeatureGroup(name=word("regions", lang))
    if len(drawn):
        folium.GeoJson(
            gpd.GeoSeries(list(drawn), crs=WGS84).to_json(drop_id=True),
            style_function=lambda _: dict(_STYLE),
            interactive=False,
            control=False,
        ).add_to(group)
    group.add_to(fmap)
    map_page(fmap)
    labels: list[Any] = []
    for i in label_order(names, list(geoms)):
        if names[i]:
            first, *others = label_points(geoms[i])
            labels.append([escape_text(display_region(names[i], lang)), first, others, names[i]])
    if labels:
        MapScript(_labels_script(fmap.get_name(), group.get_name(), labels)).add_to(group)
    return group


def add_regions_near(
    maps: Sequence[folium.Map],
    regions: gpd.GeoDataFrame | None,
    *,
    names: str | Sequence[str] | None,
    near: Near,
    lang: Lang,
) -> list[list[float]] | None:
    """Outline on each map the regions named, or those that hold or border ``near``.

    The choice is :func:`geo.region_select.select_regions`'s; each map gets
    :func:`add_region_outlines` of it.

    Returns
    -------
    list or None
        The chosen regions' Leaflet bounds (a map with no data of its own is
        framed on them); ``None`` when no region is drawn.
    """
    if regions is None or regions.empty:
        return None
    chosen = select_regions(regions, names=names, near=near)
    if chosen.empty:
        return None
    for fmap in maps:
        add_region_outlines(fmap, chosen, lang=lang)
    frame = chosen.to_crs(WGS84) if chosen.crs is not None else chosen
    return leaflet_bounds(frame.total_bounds)


def _labels_script(map_name: str, group_name: str, labels: list[Any]) -> str:
    return (
        f"(function(){{var map={map_name},group={group_name},labels={script_json(labels)};"
        "var tips=labels.map(function(l,i){var t=L.tooltip({permanent:true,direction:'center',"
        "className:'geo-region-label',interactive:false,opacity:1}).setLatLng(l[1])"
        ".setContent(l[0]);group.addLayer(t);t.geoLabel=l;t.geoRank=i;return t;});"
        "function declutter(){if(!map.hasLayer(group))return;"
        "var box=map.getContainer().getBoundingClientRect(),kept=[];"
        # panels, legend and header count as labels already placed
        f"document.querySelectorAll({script_json(', '.join(OBSTACLES))}).forEach(function(el){{"
        "var r=el.getBoundingClientRect();if(r.width&&r.height)kept.push(r);});"
        "tips.forEach(function(t){var el=t.getElement();if(!el)return;"
        "el.setAttribute('data-rank',t.geoRank);el.setAttribute('data-region',t.geoLabel[3]);"
        "el.classList.remove('geo-label-hidden');"
        # the best place first; a label hidden there moves to another part of its region
        "var places=[t.geoLabel[1]].concat(t.geoLabel[2]||[]);"
        "for(var j=0;j<places.length;j++){t.setLatLng(places[j]);var r=el.getBoundingClientRect();"
        "var out=r.left<box.left||r.right>box.right||r.top<box.top||r.bottom>box.bottom;"
        f"var g={_GAP_PX};var hit=out||kept.some(function(k){{"
        "return r.left<k.right+g&&r.right+g>k.left&&r.top<k.bottom+g&&r.bottom+g>k.top;});"
        "if(!hit){kept.push(r);return;}}"
        "t.setLatLng(places[0]);el.classList.add('geo-label-hidden');});}"
        "map.on('zoomend moveend resize overlayadd',declutter);declutter();"
        "(window.geoDeclutters=window.geoDeclutters||[]).push(declutter);})();"
    )
