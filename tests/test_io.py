"""Loaders: every format, date rule, layer rule and hygiene step, on tiny files."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box, mapping

from geo.errors import CRSError, DateError, InputFormatError, LayerError, ValidationError
from geo.geometry import geodesic_area_km2
from geo.io import read, read_many, write_geojson

BOX_A = box(37.0, 48.0, 37.5, 48.5)
BOX_B = box(38.0, 48.0, 38.2, 48.2)
BOX_A_KM2 = float(geodesic_area_km2(BOX_A))
BOX_B_KM2 = float(geodesic_area_km2(BOX_B))


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    geom = mapping(geometry) if geometry is not None else None
    return {"type": "Feature", "geometry": geom, "properties": properties}


def write_fc(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    data = {"type": "FeatureCollection", "features": features, **extra}
    text = json.dumps(data)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def by_layer(snapshots: list[Any]) -> dict[str, Any]:
    return {s.layer: s for s in snapshots}


def test_geojson_split_by_layer_attribute(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "20230501.geojson",
        [
            feature(BOX_A, layer="VIEW_RussiaCoTinUkraine_V3"),
            feature(BOX_B, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
            feature(None, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
        ],
    )
    snaps = by_layer(read(path))
    assert set(snaps) == {"russian_control", "russian_advance"}
    control = snaps["russian_control"]
    assert control.date == dt.date(2023, 5, 1)
    assert control.source == "isw"
    assert control.area_km2 == pytest.approx(BOX_A_KM2)
    assert control.provenance.original_layer == "VIEW_RussiaCoTinUkraine_V3"
    assert "file name" in control.provenance.date_rule
    # The null feature is an advance: counted there, not in every layer of the file.
    assert (control.hygiene.n_input, control.hygiene.n_null) == (1, 0)
    assert (snaps["russian_advance"].hygiene.n_input, snaps["russian_advance"].hygiene.n_null) == (
        2,
        1,
    )


def test_gzipped_geojson_reads_like_plain(tmp_path: Path) -> None:
    plain = write_fc(tmp_path / "x_2024-07-08.geojson", [feature(BOX_A, layer="russian_control")])
    packed = write_fc(
        tmp_path / "x_2024-07-08.geojson.gz", [feature(BOX_A, layer="russian_control")]
    )
    assert read(plain)[0].content_hash == read(packed)[0].content_hash


def test_date_attribute_splits_dates(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "series.geojson",
        [
            feature(BOX_A, layer="russian_control", date="2024-01-01"),
            feature(BOX_B, layer="russian_control", date="2024-02-01"),
        ],
    )
    dates = sorted(s.date for s in read(path))
    assert dates == [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]


def test_arcgis_null_dates_do_not_count(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "RussianAssessedCoTinUkraine_2022-04-13.geojson",
        [feature(BOX_A, date="2017-10-02"), feature(BOX_B, date="1899-12-30")],
    )
    (snap,) = read(path)
    assert snap.date == dt.date(2022, 4, 13)
    assert any("ignored" in note for note in snap.provenance.notes)


def test_unknown_layer_is_kept_and_reported(tmp_path: Path) -> None:
    path = write_fc(tmp_path / "2024-05-05.geojson", [feature(BOX_A, layer="Our front estimate")])
    (snap,) = read(path)
    assert snap.layer == "Our front estimate"
    assert not snap.layer_known
    assert any("unknown layer" in note for note in snap.provenance.notes)


def test_merged_label_note_survives(tmp_path: Path) -> None:
    path = write_fc(tmp_path / "20230508.geojson", [feature(BOX_A, layer="ロシア軍侵攻エリア")])
    (snap,) = read(path)
    assert snap.layer == "russian_advance"
    assert any("merged" in note for note in snap.provenance.notes)


def test_no_layer_anywhere_asks_for_layer(tmp_path: Path) -> None:
    path = write_fc(tmp_path / "2024-05-05.geojson", [feature(BOX_A)])
    with pytest.raises(LayerError, match="pass layer="):
        read(path)
    (snap,) = read(path, layer="russian_control", source="mine")
    assert (snap.layer, snap.source) == ("russian_control", "mine")


def test_layer_option_selects_from_multilayer_file(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "20230501.geojson",
        [feature(BOX_A, layer="russian_control"), feature(BOX_B, layer="contested")],
    )
    (snap,) = read(path, layer="contested")
    assert snap.layer == "contested"
    with pytest.raises(LayerError, match="liberated"):
        read(path, layer="liberated")
    with pytest.raises(LayerError, match="canonical"):
        read(path, layer="no such layer")


def test_layer_from_folder_and_date_from_name(tmp_path: Path) -> None:
    folder = tmp_path / "2022" / "April" / "RussiaCoTinUkraine"
    folder.mkdir(parents=True)
    write_fc(folder / "20220401_RussiaCoTinUkraine.geojson", [feature(BOX_A)])
    result = read_many([tmp_path])
    assert not result.problems
    (snap,) = result.snapshots
    assert (snap.layer, snap.date) == ("russian_control", dt.date(2022, 4, 1))


def test_missing_date_lists_what_was_found(tmp_path: Path) -> None:
    path = write_fc(tmp_path / "AssessedRussianAdvanceInUkraineAPR13.geojson", [feature(BOX_A)])
    with pytest.raises(DateError, match="APR13") as info:
        read(path)
    assert 'pass date="YYYY-MM-DD"' in str(info.value)
    assert read(path, date="2022-04-13")[0].date == dt.date(2022, 4, 13)


def test_web_mercator_shapefile_zip_with_z(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"Name": ["a"], "EditDate": ["2022-03-05"]},
        geometry=[shapely.force_3d(BOX_A, 0.0)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame.to_file(shp_dir / "RussianAssessedCoTinUkraine.shp")
    archive = tmp_path / "UkraineControlMapAO13APR2022.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    (snap,) = read(archive)
    assert (snap.layer, snap.source, snap.date) == ("russian_control", "isw", dt.date(2022, 4, 13))
    assert snap.hygiene.reprojected and snap.hygiene.n_z_dropped == 1
    assert snap.area_km2 == pytest.approx(BOX_A_KM2, rel=1e-6)
    assert snap.features["label"].tolist() == ["a"]


def test_geopackage_layers_become_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "isw_2024-03-01.gpkg"
    gpd.GeoDataFrame(geometry=[BOX_A], crs=4326).to_file(path, layer="VIEW_RussiaCoTinUkraine_V3")
    gpd.GeoDataFrame(geometry=[BOX_B], crs=4326).to_file(
        path, layer="VIEW_ClaimedRussianTerritoryinUkraine_V2"
    )
    snaps = by_layer(read(path))
    assert set(snaps) == {"russian_control", "russian_claim"}
    assert snaps["russian_claim"].area_km2 == pytest.approx(BOX_B_KM2)


def test_geoparquet(tmp_path: Path) -> None:
    path = tmp_path / "control_2024-03-01.parquet"
    gpd.GeoDataFrame({"layer": ["russian_control"]}, geometry=[BOX_A], crs=4326).to_parquet(path)
    (snap,) = read(path)
    assert snap.area_km2 == pytest.approx(BOX_A_KM2)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Assessed Russian Control</name>
<Placemark><name>zone</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
37,48,0 37.5,48,0 37.5,48.5,0 37,48.5,0 37,48,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>pin</name><Point><coordinates>37.1,48.1</coordinates></Point></Placemark>
</Folder></Document></kml>"""


def test_kml_and_kmz(tmp_path: Path) -> None:
    kml_path = tmp_path / "control_2024-06-01.kml"
    kml_path.write_text(KML, encoding="utf-8")
    (snap,) = read(kml_path)
    assert snap.layer == "russian_control"
    assert snap.hygiene.n_non_polygonal == 1
    assert snap.area_km2 == pytest.approx(BOX_A_KM2, rel=1e-6)
    kmz_path = tmp_path / "control_2024-06-01.kmz"
    with zipfile.ZipFile(kmz_path, "w") as zf:
        zf.writestr("doc.kml", KML)
    assert read(kmz_path)[0].content_hash == snap.content_hash


def test_esri_json(tmp_path: Path) -> None:
    ring = [[37.0, 48.0], [37.0, 48.5], [37.5, 48.5], [37.5, 48.0], [37.0, 48.0]]  # clockwise
    data = {
        "geometryType": "esriGeometryPolygon",
        "spatialReference": {"wkid": 4326},
        "features": [{"attributes": {"layer": "russian_control"}, "geometry": {"rings": [ring]}}],
    }
    path = tmp_path / "query_2024-06-01.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    (snap,) = read(path)
    assert snap.area_km2 == pytest.approx(BOX_A_KM2, rel=1e-6)


def test_metre_coordinates_without_crs(tmp_path: Path) -> None:
    merc = box(4118821, 6106855, 4174481, 6190858)
    path = write_fc(tmp_path / "x_2024-01-01.geojson", [feature(merc, layer="russian_control")])
    with pytest.raises(CRSError, match='crs="EPSG:XXXX"'):
        read(path)
    assert read(path, crs="EPSG:3857")[0].hygiene.reprojected


def test_bad_inputs_name_the_file(tmp_path: Path) -> None:
    truncated = tmp_path / "broken_2024-01-01.geojson"
    truncated.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputFormatError, match="broken_2024-01-01"):
        read(truncated)
    odd = tmp_path / "notes.txt"
    odd.write_text("hello", encoding="utf-8")
    with pytest.raises(InputFormatError, match="unsupported"):
        read(odd)
    with pytest.raises(InputFormatError, match="URL"):
        read("https://example.org/x.geojson")
    bad_geom = write_fc(
        tmp_path / "bad_2024-01-01.geojson",
        [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": 5}}],
    )
    with pytest.raises(InputFormatError, match="feature 0"):
        read(bad_geom)


def test_read_many_reports_every_problem(tmp_path: Path) -> None:
    write_fc(tmp_path / "good_2024-01-01.geojson", [feature(BOX_A, layer="russian_control")])
    write_fc(tmp_path / "nodate.geojson", [feature(BOX_A, layer="russian_control")])
    (tmp_path / "broken_2024-01-02.geojson").write_text("{", encoding="utf-8")
    result = read_many([tmp_path])
    assert len(result.snapshots) == 1
    assert len(result.problems) == 2
    with pytest.raises(ValidationError) as info:
        result.raise_for_problems()
    assert len(info.value.problems) == 2


def test_user_files_are_not_modified(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "20230501.geojson",
        [
            feature(
                shapely.Polygon([(30, 48), (31, 49), (31, 48), (30, 49)]), layer="russian_control"
            )
        ],
    )
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    (snap,) = read(path)
    assert snap.hygiene.n_invalid_repaired == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert snap.provenance.sha256 == before


def test_write_geojson_round_trip(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "20230501.geojson",
        [feature(BOX_A, layer="russian_control"), feature(BOX_B, layer="contested")],
    )
    out = tmp_path / "out_20230501.geojson"
    write_geojson(read(path), out)
    again = by_layer(read(out))
    assert again["contested"].area_km2 == pytest.approx(BOX_B_KM2)


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("russian_control_2023-05-01.geojson", "russian_control"),
        ("liberated_20240101.geojson", "liberated"),
        ("Ukrainian Advances in Russia 20250318.geojson", "ukrainian_control_russia"),
        ("Russian Advances in Russia 18MAR2025.geojson", "russian_advance"),
        ("UkraineControlMapAO18March2025.geojson", "russian_control"),
        ("contested_01.05.2023.geojson", "contested"),
    ],
)
def test_dated_layer_names_resolve(tmp_path: Path, name: str, layer: str) -> None:
    (snap,) = read(write_fc(tmp_path / name, [feature(BOX_A)]))
    assert snap.layer == layer
    assert snap.provenance.original_layer == name.removesuffix(".geojson")
    assert not any("unknown layer" in note for note in snap.provenance.notes)


def test_dated_unknown_name_is_kept_and_reported(tmp_path: Path) -> None:
    (snap,) = read(write_fc(tmp_path / "our_estimate_2024-05-01.geojson", [feature(BOX_A)]))
    assert (snap.layer, snap.date) == ("our_estimate_2024-05-01", dt.date(2024, 5, 1))
    assert any("unknown layer" in note for note in snap.provenance.notes)


def test_hygiene_is_counted_per_snapshot(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(30, 48), (31, 49), (31, 48), (30, 49)])
    path = write_fc(
        tmp_path / "20230501.geojson",
        [
            feature(BOX_A, layer="VIEW_RussiaCoTinUkraine_V3"),
            feature(bowtie, layer="VIEW_RussiaCoTinUkraine_V3"),
            feature(BOX_B, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
            feature(None, layer="MDS_AssessedRussianAdvanceInUkraine_view"),
            feature(shapely.Point(37, 48), layer="MDS_AssessedRussianAdvanceInUkraine_view"),
            feature(None),  # no layer, no polygon: belongs to no snapshot
            feature(None),
        ],
    )
    snaps = by_layer(read(path))
    control, advance = snaps["russian_control"].hygiene, snaps["russian_advance"].hygiene
    assert (control.n_input, control.n_null, control.n_invalid_repaired, control.n_output) == (
        2, 0, 1, 2,
    )  # fmt: skip
    assert (advance.n_input, advance.n_null, advance.n_non_polygonal, advance.n_output) == (
        3, 1, 1, 1,
    )  # fmt: skip
    assert advance.n_invalid_repaired == 0
    # The two layerless nulls are reported once, in a note, and counted nowhere.
    notes = [n for s in snaps.values() for n in s.provenance.notes if "2 features" in n]
    assert len(notes) == 1 and "2 null" in notes[0] and str(path) in notes[0]
    assert sum(s.hygiene.n_input for s in snaps.values()) == 5


def test_hygiene_of_dates_split_by_attribute(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "series.geojson",
        [
            feature(BOX_A, layer="russian_control", date="2024-01-01"),
            feature(None, layer="russian_control", date="2024-01-01"),
            feature(BOX_B, layer="russian_control", date="2024-02-01"),
        ],
    )
    by_date = {s.date: s.hygiene for s in read(path)}
    assert by_date[dt.date(2024, 1, 1)].n_null == 1
    assert by_date[dt.date(2024, 2, 1)].n_null == 0
    assert by_date[dt.date(2024, 2, 1)].n_input == 1


def test_layer_with_only_nulls_is_reported_not_lost(tmp_path: Path) -> None:
    path = write_fc(
        tmp_path / "20230501.geojson",
        [
            feature(BOX_A, layer="russian_control"),
            feature(None, layer="partisan_warfare"),
            feature(None, layer="partisan_warfare"),
        ],
    )
    (snap,) = read(path)
    assert (snap.layer, snap.hygiene.n_input, snap.hygiene.n_null) == ("russian_control", 1, 0)
    assert any("2 features of 'partisan_warfare'" in n for n in snap.provenance.notes)


@pytest.mark.parametrize(
    ("features", "count"),
    [
        ([feature(None, layer="russian_control")] * 3, "3 features of 'russian_control', none"),
        (
            [feature(shapely.Polygon(), layer="contested"), feature(None)],
            "2 features of 'contested'",
        ),
        ([], "holds no features"),
    ],
)
def test_file_without_polygons_is_a_problem(
    tmp_path: Path, features: list[dict[str, Any]], count: str
) -> None:
    path = write_fc(tmp_path / "allnull_20230501.geojson", features)
    with pytest.raises(InputFormatError, match=count):
        read(path)
    result = read_many([tmp_path])
    assert (result.snapshots, result.n_files) == ([], 1)
    (problem,) = result.problems
    assert "allnull_20230501.geojson" in problem and count in problem
    assert "leave the file out" in problem


KML_FOLDERS = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>ISW Ukraine map</name>
<Folder><name>Assessed Russian Advances</name>
<Placemark><name>a</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
37,48 37.5,48 37.5,48.5 37,48.5 37,48
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder>
<Folder><name>Claimed Ukrainian Counteroffensives</name>
<Folder><name>Kherson</name>
<Placemark><name>b</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
38,48 38.2,48 38.2,48.2 38,48.2 38,48
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder>
<Placemark><name>c</name></Placemark>
</Folder>
<Folder><name>Russian Advances in Russia 18MAR2025</name>
<Placemark><name>e</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
35,51 35.2,51 35.2,51.2 35,51.2 35,51
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder>
<Folder><name>Assessed Russian Control</name>
<Placemark><name>d</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
37,48 37.5,48 37.5,48.5 37,48.5 37,48
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder>
</Document></kml>"""


def test_kml_folders_become_their_own_layers(tmp_path: Path) -> None:
    path = tmp_path / "isw_2024-06-01.kml"
    path.write_text(KML_FOLDERS, encoding="utf-8")
    snaps = by_layer(read(path))
    assert set(snaps) == {"russian_advance", "ukrainian_counteroffensive", "russian_control"}
    counter = snaps["ukrainian_counteroffensive"]
    assert counter.features["label"].tolist() == ["b"]
    assert counter.provenance.original_layer == "Claimed Ukrainian Counteroffensives"
    assert (counter.hygiene.n_input, counter.hygiene.n_null) == (2, 1)
    # Two folders of one canonical layer make one snapshot, in file order.
    advance = snaps["russian_advance"]
    assert advance.features["label"].tolist() == ["a", "e"]
    assert advance.provenance.original_layer == (
        "Assessed Russian Advances, Russian Advances in Russia 18MAR2025"
    )
    assert all(s.source == "isw" and s.layer_known for s in snaps.values())
    (only,) = read(path, layer="russian_control")
    assert only.features["label"].tolist() == ["d"]


def test_kml_unknown_folder_is_kept_as_is(tmp_path: Path) -> None:
    text = KML_FOLDERS.replace("Assessed Russian Control", "Our own estimate")
    path = tmp_path / "isw_2024-06-01.kml"
    path.write_text(text, encoding="utf-8")
    snaps = by_layer(read(path))
    assert "ISW Ukraine map/Our own estimate" in snaps
    assert any(
        "unknown layer" in n for n in snaps["ISW Ukraine map/Our own estimate"].provenance.notes
    )
    assert {"russian_advance", "ukrainian_counteroffensive"} <= set(snaps)
    # A known file name wins over an unknown folder.
    named = tmp_path / "russian_control_2024-06-01.kml"
    named.write_text(text, encoding="utf-8")
    assert "russian_control" in by_layer(read(named))


def test_require_shared_names_the_missing_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import conftest

    (tmp_path / "README.md").write_text("only the README", encoding="utf-8")
    assert conftest.require_shared(tmp_path, "README.md") == tmp_path / "README.md"
    monkeypatch.setattr(conftest, "REQUIRE_REAL_DATA", False)
    with pytest.raises(pytest.skip.Exception, match=r"control/isw/2023-weekly is absent"):
        conftest.require_shared(tmp_path, "control", "isw", "2023-weekly")
    monkeypatch.setattr(conftest, "REQUIRE_REAL_DATA", True)
    with pytest.raises(pytest.fail.Exception, match=r"GEO_REQUIRE_REAL_DATA is set.*2023-weekly"):
        conftest.require_shared(tmp_path, "control", "isw", "2023-weekly")


# --- real archives -------------------------------------------------------------------------


def geod_km2(geometry: object) -> float:
    """Geodesic area straight from pyproj.Geod (rings oriented first), without geo."""
    from pyproj import Geod

    oriented = shapely.orient_polygons(geometry)
    return abs(Geod(ellps="WGS84").geometry_area_perimeter(oriented)[0]) / 1e6


def independent_area_km2(path: Path, layer_values: set[str] | None = None) -> float:
    """Union area computed the way a careful analyst would, without geo: GDAL, shapely, Geod."""
    frame = gpd.read_file(f"/vsigzip/{path}" if path.suffix == ".gz" else path)
    if layer_values is not None:
        frame = frame[frame["layer"].isin(layer_values)]
    geoms = shapely.make_valid(shapely.force_2d(frame.geometry.dropna().values))
    return geod_km2(shapely.union_all(geoms))


@pytest.mark.realdata
def test_isw_2023_weekly_ingests_into_canonical_layers(shared_data: Path) -> None:
    folder = shared_data / "control" / "isw" / "2023-weekly"
    result = read_many([folder])
    assert not result.problems
    assert result.n_files == 17
    assert {s.layer for s in result.snapshots} <= {
        "russian_control", "russian_advance", "russian_claim", "ukrainian_counteroffensive",
    }  # fmt: skip
    assert all(s.source == "isw" for s in result.snapshots)
    assert len({s.date for s in result.snapshots}) == 17
    japanese = [s for s in result.snapshots if s.date == dt.date(2023, 5, 1)]
    assert any("merged" in n for s in japanese for n in s.provenance.notes)
    control = next(
        s
        for s in result.snapshots
        if s.date == dt.date(2023, 5, 1) and s.layer == "russian_control"
    )
    expected = independent_area_km2(folder / "20230501.geojson.gz", {"ロシア軍支配エリア"})
    assert control.area_km2 == pytest.approx(expected, rel=1e-9)  # agrees exactly
    assert control.area_km2 == pytest.approx(106_474, rel=1e-5)  # README's figure: 7.6e-7


@pytest.mark.realdata
def test_isw_shapefile_zips_load(shared_data: Path) -> None:
    folder = shared_data / "raw-formats" / "isw-shapefile-zips-2022-04-13"
    zips = sorted(folder.glob("*.zip"))
    assert len(zips) == 4
    control = read(folder / "UkraineCOntrolMapAO13APR2022.zip")
    assert [(s.layer, s.date) for s in control] == [("russian_control", dt.date(2022, 4, 13))]
    assert control[0].hygiene.reprojected
    assert control[0].hygiene.n_invalid_repaired >= 1
    advance_zip = folder / "AssessedRussianAdvanceInUkraineAPR13.zip"
    # No year in the name: the date comes from the dated folder above it, and only from there.
    with pytest.raises(DateError, match="APR13"):
        read(advance_zip, root=folder)
    assert read(advance_zip)[0].date == dt.date(2022, 4, 13)
    layers = {}
    for path in zips:
        for snap in read(path, date="2022-04-13"):
            layers[snap.layer] = snap
    assert set(layers) == {
        "russian_control", "russian_advance", "russian_claim", "ukrainian_counteroffensive",
    }  # fmt: skip
    # The control zip holds a 2-D Polygon shapefile; the other three are PolygonZM (type 15).
    assert layers["russian_control"].hygiene.n_z_dropped == 0
    for layer in ("russian_advance", "russian_claim", "ukrainian_counteroffensive"):
        assert layers[layer].hygiene.n_z_dropped == layers[layer].hygiene.n_input
    assert layers["russian_advance"].hygiene.n_invalid_repaired >= 1
    assert any("Measured (M)" in n for n in layers["russian_claim"].provenance.notes)
    # Independent check: GDAL reads the zip, shapely repairs, pyproj.Geod measures.
    frame = gpd.read_file(f"zip://{folder / 'UkraineCOntrolMapAO13APR2022.zip'}").to_crs(4326)
    merged = shapely.union_all(shapely.make_valid(shapely.force_2d(frame.geometry.values)))
    expected = geod_km2(merged)
    assert layers["russian_control"].area_km2 == pytest.approx(expected, rel=1e-9)  # exact


@pytest.mark.realdata
def test_hcss_derived_files_and_the_2202_typo(shared_data: Path) -> None:
    folder = shared_data / "control" / "isw-hcss-territory" / "territory_geojson"
    result = read_many([folder])
    assert len(result.problems) == 2
    assert all("2202" in p for p in result.problems)
    assert {s.layer for s in result.snapshots} == {"russian_control"}
    assert len(result.snapshots) == result.n_files - 2
    kursk = read_many([shared_data / "control" / "isw-kursk" / "kursk_geojson"])
    assert not kursk.problems
    assert {s.layer for s in kursk.snapshots} == {"russian_advance"}
    assert all(s.hygiene.n_z_dropped > 0 for s in kursk.snapshots)


@pytest.mark.realdata
def test_isw_hygiene_counts_each_layer_of_a_file(shared_path: Callable[..., Path]) -> None:
    path = shared_path("control", "isw", "2023-weekly", "20230703.geojson.gz")
    canonical = {
        "VIEW_RussiaCoTinUkraine_V3": "russian_control",
        "MDS_AssessedRussianAdvanceInUkraine_view": "russian_advance",
        "VIEW_ClaimedRussianTerritoryinUkraine_V2": "russian_claim",
        "VIEW_ClaimedUkrainianCounteroffensives_V2": "ukrainian_counteroffensive",
    }
    # Counted from the raw GeoJSON, without geo.
    expected: dict[str, dict[str, int]] = {}
    with gzip.open(path) as fh:
        raw = json.load(fh)
    for item in raw["features"]:
        counts = expected.setdefault(canonical[item["properties"]["layer"]], dict.fromkeys(
            ("n_input", "n_null", "n_invalid_repaired", "n_output"), 0
        ))  # fmt: skip
        counts["n_input"] += 1
        if item["geometry"] is None:
            counts["n_null"] += 1
            continue
        counts["n_output"] += 1
        counts["n_invalid_repaired"] += not shapely.geometry.shape(item["geometry"]).is_valid
    snaps = by_layer(read(path))
    got = {
        layer: {key: getattr(snap.hygiene, key) for key in expected[layer]}
        for layer, snap in snaps.items()
    }
    assert got == expected
    # README: 6 control features, the 11 nulls are 6 advances, 1 claimed, 4 counteroffensives.
    assert expected["russian_control"] == {
        "n_input": 6, "n_null": 0, "n_invalid_repaired": 1, "n_output": 6,
    }  # fmt: skip
    assert [expected[k]["n_null"] for k in sorted(expected)] == [6, 1, 0, 4]
    assert sum(s.hygiene.n_input for s in snaps.values()) == len(raw["features"])
