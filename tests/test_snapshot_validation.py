"""Snapshots check their geometry at the door: nothing is computed on invalid polygons.

A MultiPolygon with a duplicated part used to reach diff_series and give
area_from twice the truth; now the Snapshot refuses it, naming the feature
and the fix, and the fix gives the true figure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from conftest import make_snapshot
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import geo.snapshot
from geo.diff import diff_series
from geo.errors import CRSError, GeoError, InputFormatError
from geo.geometry import clean_geometries, geodesic_area_km2
from geo.snapshot import Provenance, Snapshot, make_features
from geo.store import open_store

BOX = box(37.0, 48.0, 37.5, 48.5)
TRUTH_KM2 = float(geodesic_area_km2(BOX))


def test_duplicated_part_is_refused_and_the_fix_gives_the_truth() -> None:
    doubled = MultiPolygon([BOX, BOX])
    with pytest.raises(InputFormatError, match=r"feature 0 is not a valid polygon") as info:
        make_snapshot([doubled])
    message = str(info.value)
    assert "/in/test/russian_control/2024-07-01.geojson: snapshot test/russian_control" in message
    assert "clean_geometries" in message and "make_valid" in message
    assert isinstance(info.value, GeoError) and isinstance(info.value, ValueError)
    cleaned, _, report = clean_geometries([doubled])
    assert report.n_invalid_repaired == 1
    first = make_snapshot(list(cleaned), 0)
    second = make_snapshot([box(37.0, 48.0, 37.6, 48.5)], 1)
    (change,) = diff_series([first, second])
    assert first.area_km2 == pytest.approx(TRUTH_KM2, rel=1e-12)
    # diff densifies edges along the parallels: 4e-6 apart from the straight-edged box, not 2x
    assert change.area_from_km2 == pytest.approx(TRUTH_KM2, rel=1e-5)


@pytest.mark.parametrize(
    ("geometry", "kind"),
    [
        (Point(37, 48), "a Point"),
        (LineString([(37, 48), (38, 49)]), "a LineString"),
        (None, "a null geometry"),
    ],
)
def test_non_polygons_are_refused(geometry: object, kind: str) -> None:
    features = make_features(np.array([BOX, geometry], dtype=object))
    with pytest.raises(InputFormatError, match=rf"feature 1 is {kind}; a snapshot holds polygons"):
        Snapshot("s", "russian_control", dt.date(2024, 7, 1), features, Provenance("f.geojson"))


def test_self_intersecting_ring_is_refused() -> None:
    bowtie = Polygon([(37, 48), (38, 49), (38, 48), (37, 49), (37, 48)])
    with pytest.raises(InputFormatError, match=r"feature 1 is not a valid polygon \(Self-inter"):
        make_snapshot([BOX, bowtie])


def test_nan_and_degrees_out_of_range_are_refused() -> None:
    with np.errstate(invalid="ignore"), pytest.raises(InputFormatError, match="not a valid"):
        make_snapshot([Polygon([(37, 48), (float("nan"), 48), (37.5, 48.5), (37, 48)])])
    with pytest.raises(CRSError, match="cannot be longitude/latitude"):
        make_snapshot([box(4_000_000, 6_000_000, 4_100_000, 6_100_000)])


def test_features_in_another_crs_are_refused() -> None:
    snap = make_snapshot()
    with pytest.raises(CRSError, match=r"not EPSG:4326; pass features\.to_crs\(4326\)"):
        dataclasses.replace(snap, features=snap.features.to_crs(3857))


def test_replace_checks_the_new_features() -> None:
    snap = make_snapshot()
    bad = make_features(np.array([MultiPolygon([BOX, BOX])], dtype=object))
    with pytest.raises(InputFormatError, match="not a valid polygon"):
        dataclasses.replace(snap, features=bad)


def test_empty_snapshots_and_touching_parts_are_fine() -> None:
    assert make_snapshot(None).area_km2 == 0.0
    touching = MultiPolygon([box(37, 48, 37.5, 48.5), box(37.5, 48.5, 38, 49)])  # one point
    both = TRUTH_KM2 + float(geodesic_area_km2(box(37.5, 48.5, 38, 49)))
    assert make_snapshot([touching]).area_km2 == pytest.approx(both, rel=1e-12)


def test_store_reads_skip_the_check_ingest_does_not_need_it(
    store_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_dir)  # type: ignore[arg-type]
    store.ingest([make_snapshot(BOX, 0)])

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("checked again on read")

    monkeypatch.setattr(geo.snapshot, "check_polygons", refuse)
    snap = store.get("russian_control", dt.date(2024, 7, 1))
    assert snap.area_km2 == pytest.approx(TRUTH_KM2, rel=1e-9)


def test_hygiene_valid_polygons_are_not_checked_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a file checks each feature once: the Snapshot trusts what hygiene found valid.

    By identity only (shapely geometries are immutable): an equal object that
    hygiene never saw, or a repaired one, is asked GEOS again.
    """
    import shapely

    import geo.geometry

    cleaned, _, report = clean_geometries([BOX, MultiPolygon([BOX, BOX]), Point(37, 48)])
    assert report.n_invalid_repaired == 1 and len(cleaned) == 2
    asked: list[int] = []
    real = shapely.is_valid

    def counting(geoms: object) -> object:
        asked.append(len(np.atleast_1d(np.asarray(geoms, dtype=object))))
        return real(geoms)

    monkeypatch.setattr(geo.geometry.shapely, "is_valid", counting)
    make_snapshot(list(cleaned))
    assert asked == [1]  # the repaired MultiPolygon only
    asked.clear()
    make_snapshot([cleaned[0], box(37.0, 48.0, 37.5, 48.5)])  # an equal box hygiene never saw
    assert asked == [1]
    bowtie = Polygon([(37, 48), (38, 49), (38, 48), (37, 49)])
    with pytest.raises(InputFormatError, match="not a valid polygon"):
        make_snapshot([cleaned[0], bowtie])
