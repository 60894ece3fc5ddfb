"""Albers areas of lon/lat geometries and per-region overlays."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo.areas import area_km2, prepare_regions, region_areas
from geo.errors import RegionError
from geo.geometry import geodesic_area_km2


def test_area_of_densified_cell_matches_geodesic() -> None:
    cell = box(30, 48, 31, 49)
    # Edges straight in lon/lat: compare with the geodesic area of the densified cell.
    assert area_km2(cell) == pytest.approx(
        geodesic_area_km2(shapely.segmentize(cell, 0.001)), rel=1e-5
    )
    assert area_km2(np.array([cell, shapely.Polygon()], dtype=object))[1] == 0


def test_region_areas_split_a_geometry() -> None:
    frame = gpd.GeoDataFrame(
        {"region": ["West", "East", "West"]},
        geometry=[box(36, 47, 37, 49), box(37, 47, 38, 49), box(35, 47, 36, 49)],
        crs=4326,
    )
    regs = prepare_regions(frame)
    assert regs.names == ("West", "East")  # same name merged, first order kept
    held = box(36.5, 48, 37.5, 48.5)
    parts = region_areas(held, regs)
    assert parts.sum() == pytest.approx(area_km2(held), rel=1e-9)
    assert parts[0] == pytest.approx(parts[1], rel=1e-2)


def test_regions_need_a_region_column() -> None:
    with pytest.raises(RegionError, match="region"):
        prepare_regions(gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=4326))
