"""geo.read on hostile and broken files: one clear GeoError naming the file, never a traceback.

Each case was a traceback, a hang or a silent wrong number before; the
hypothesis tests fuzz the readers with mangled GeoJSON, Esri JSON, KML and
bytes and accept only snapshots or a :class:`GeoError`.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from geo.errors import CRSError, GeoError, InputFormatError
from geo.geometry import geodesic_area_km2
from geo.io import read, read_many
from geo.snapshot import Snapshot

BOX = box(37.0, 48.0, 37.5, 48.5)
RING = mapping(BOX)["coordinates"]
DAY = "2024-07-01"


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def fc(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def feat(geometry: Any = None, properties: Any = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": mapping(BOX) if geometry is None else geometry,
        "properties": {} if properties is None else properties,
    }


def test_deeply_nested_json_file(tmp_path: Path) -> None:
    path = tmp_path / f"deep_{DAY}.geojson"
    path.write_bytes(
        b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000
    )
    with pytest.raises(InputFormatError, match=rf"{path.name}: JSON nested too deeply"):
        read(path, layer="russian_control")


def test_nested_properties_are_refused_before_they_reach_the_store(tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(200):  # parses fine, but re-parsing it later could hit the recursion limit
        deep = [deep]
    path = write(tmp_path / f"p_{DAY}.geojson", fc(feat(properties={"a": deep})))
    with pytest.raises(InputFormatError, match=r"feature 0: attribute values nested more than 32"):
        read(path, layer="russian_control")


def test_deep_geometry_collection_nesting(tmp_path: Path) -> None:
    inner = json.dumps(mapping(BOX))
    for _ in range(450):  # parses: the right result (the box), or a clear error
        inner = '{"type": "GeometryCollection", "geometries": [' + inner + "]}"
    path = tmp_path / f"g_{DAY}.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    f'"properties": {{}}, "geometry": {inner}}}]}}')  # fmt: skip
    (snap,) = read(path, layer="russian_control")
    assert snap.area_km2 == pytest.approx(float(geodesic_area_km2(BOX)), rel=1e-9)
    path.write_text(path.read_text().replace("[" + inner[:60], "[" * 2000 + inner[:60], 1))
    with pytest.raises(InputFormatError, match=rf"{path.name}: JSON nested too deeply"):
        read(path, layer="russian_control")


def test_integer_longer_than_python_reads(tmp_path: Path) -> None:
    path = tmp_path / f"n_{DAY}.geojson"
    text = json.dumps(fc(feat(properties={"n": 0})))
    path.write_text(text.replace('"n": 0', '"n": ' + "9" * 5000))
    with pytest.raises(InputFormatError, match=r"longer than Python reads \(5000 digits\)"):
        read(path, layer="russian_control")


@pytest.mark.parametrize("properties", ["hello", [1, 2], 7, True])
def test_properties_that_are_no_object(tmp_path: Path, properties: Any) -> None:
    path = write(tmp_path / f"s_{DAY}.geojson", fc(feat(properties=properties)))
    kind = type(properties).__name__
    with pytest.raises(InputFormatError, match=rf"feature 0: 'properties' is a {kind}, not an"):
        read(path, layer="russian_control")


def test_null_properties_are_none(tmp_path: Path) -> None:
    data = fc(feat())
    data["features"][0]["properties"] = None
    (snap,) = read(write(tmp_path / f"x_{DAY}.geojson", data), layer="russian_control")
    assert snap.features["properties"].tolist() == ["{}"]


@pytest.mark.parametrize(
    "name", ["urn:ogc:def:crs:EPSG::999999", "EPSG:999999", "not a crs at all", "\x1b[2Jevil"]
)
def test_unknown_crs_member(tmp_path: Path, name: str) -> None:
    crs = {"type": "name", "properties": {"name": name}}
    path = write(tmp_path / f"c_{DAY}.geojson", fc(feat(), crs=crs))
    with pytest.raises(CRSError, match=r"unknown CRS .*pass crs='EPSG:<code>'") as info:
        read(path, layer="russian_control")
    assert path.name in str(info.value) and "\x1b" not in str(info.value)


def test_unknown_crs_argument(tmp_path: Path) -> None:
    path = write(tmp_path / f"c_{DAY}.geojson", fc(feat()))
    with pytest.raises(CRSError, match=r"unknown CRS 'EPSG:999999'"):
        read(path, layer="russian_control", crs="EPSG:999999")


@pytest.mark.parametrize("wkid", [999999, 99999])
def test_esri_unknown_wkid(tmp_path: Path, wkid: int) -> None:
    ring = [[37.0, 48.0], [37.0, 48.5], [37.5, 48.5], [37.5, 48.0], [37.0, 48.0]]
    data = {
        "spatialReference": {"wkid": wkid},
        "features": [{"attributes": {"OBJECTID": 1}, "geometry": {"rings": [ring]}}],
    }
    path = write(tmp_path / f"e_{DAY}.json", data)
    with pytest.raises(CRSError, match=rf"{path.name}: unknown CRS '(ESRI|EPSG):{wkid}'"):
        read(path, layer="russian_control")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_coordinates_name_the_feature(tmp_path: Path, bad: float) -> None:
    good = feat(properties={"layer": "russian_control"})
    ring = [[37.0, 48.0], [bad, 48.0], [37.5, 48.5], [37.0, 48.5], [37.0, 48.0]]
    broken = feat({"type": "Polygon", "coordinates": [ring]}, {"layer": "russian_advance"})
    path = tmp_path / f"nan_{DAY}.geojson"
    path.write_text(json.dumps(fc(good, good, broken)))  # NaN / Infinity, as Python writes them
    with pytest.raises(InputFormatError, match=r"feature 2: coordinates that are not numbers"):
        read(path)


def test_nan_in_a_hole_is_refused_too(tmp_path: Path) -> None:
    hole = [[37.1, 48.1], [37.2, 48.1], [37.2, 48.2], [float("nan"), 48.2], [37.1, 48.1]]
    geometry = {"type": "Polygon", "coordinates": [RING[0], hole]}
    path = tmp_path / f"h_{DAY}.geojson"
    path.write_text(json.dumps(fc(feat(geometry=geometry))))
    with pytest.raises(InputFormatError, match="feature 0: coordinates that are not numbers"):
        read(path, layer="russian_control")


def test_degrees_with_a_web_mercator_prj(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[BOX], crs="EPSG:3857")  # a lying .prj
    shp = tmp_path / f"russian_control_{DAY}.shp"
    pyogrio.write_dataframe(frame, shp)
    with pytest.raises(CRSError, match=r"look like longitude/latitude degrees.*EPSG:3857") as info:
        read(shp)
    assert "crs='EPSG:4326'" in str(info.value)
    (snap,) = read(shp, crs="EPSG:4326")  # the fix the message names
    assert snap.area_km2 == pytest.approx(float(geodesic_area_km2(BOX)), rel=1e-9)


def test_degrees_with_a_projected_crs_member(tmp_path: Path) -> None:
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32636"}}
    path = write(tmp_path / f"u_{DAY}.geojson", fc(feat(), crs=crs))
    with pytest.raises(CRSError, match=r"EPSG:32636 \(in metres\)"):
        read(path, layer="russian_control")


def test_real_projected_coordinates_still_read(tmp_path: Path) -> None:
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    x0, y0, x1, y1 = (
        4_118_821.0,
        6_106_854.0,
        4_174_480.0,
        6_190_443.0,
    )  # about 37-37.5 E, 48-48.5 N
    geometry = mapping(box(x0, y0, x1, y1))
    (snap,) = read(
        write(tmp_path / f"m_{DAY}.geojson", fc(feat(geometry), crs=crs)), layer="russian_control"
    )
    assert snap.hygiene.reprojected and 1500 < snap.area_km2 < 2500


def test_coordinates_outside_the_crs(tmp_path: Path) -> None:
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    geometry = mapping(box(1e9, 1e9, 2e9, 2e9))  # beyond the Web Mercator plane
    path = write(tmp_path / f"o_{DAY}.geojson", fc(feat(geometry), crs=crs))
    with pytest.raises(CRSError, match=path.name):
        read(path, layer="russian_control")


def test_file_over_the_size_limit_is_never_read(tmp_path: Path) -> None:
    path = tmp_path / f"huge_{DAY}.geojson"
    with path.open("wb") as handle:  # sparse: 5 GiB on paper, nothing on disk
        handle.truncate(5 * 1024**3)
    with pytest.raises(
        InputFormatError, match=r"the file is 5\.0 GiB, more than the limit of 1\.0"
    ):
        read(path, layer="russian_control")
    huge_zip = tmp_path / f"huge_{DAY}.zip"
    os.link(path, huge_zip)
    with pytest.raises(InputFormatError, match="GEO_MAX_FILE_BYTES"):
        read(huge_zip, layer="russian_control")


def test_size_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / f"a_{DAY}.geojson", fc(feat()))
    monkeypatch.setenv("GEO_MAX_FILE_BYTES", "100")
    with pytest.raises(InputFormatError, match=r"more than the limit of 100 bytes"):
        read(path, layer="russian_control")
    gz = tmp_path / f"b_{DAY}.geojson.gz"
    gz.write_bytes(gzip.compress(json.dumps(fc(feat(), pad="x" * 5000)).encode()))
    monkeypatch.setenv("GEO_MAX_FILE_BYTES", "300")  # the .gz fits, what it inflates to does not
    with pytest.raises(InputFormatError, match=r"expands to more than 300 bytes"):
        read(gz, layer="russian_control")
    monkeypatch.setenv("GEO_MAX_FILE_BYTES", "-1")
    with pytest.raises(InputFormatError, match=r"GEO_MAX_FILE_BYTES='-1' is not a positive"):
        read(path, layer="russian_control")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_is_named_as_such_and_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / f"pipe_{DAY}.geojson"
    os.mkfifo(fifo)
    done = threading.Event()
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            read(fifo, layer="russian_control")
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)
        done.set()

    threading.Thread(target=attempt, daemon=True).start()
    assert done.wait(30), "reading a FIFO blocked"
    assert isinstance(errors[0], InputFormatError)
    assert "is a named pipe (FIFO), not a regular file" in str(errors[0])
    result = read_many([tmp_path], layer="russian_control")  # in a folder: a problem, no hang
    assert len(result.problems) == 1 and "named pipe" in result.problems[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_as_boundaries_or_gazetteer_is_an_error_not_a_hang(tmp_path: Path) -> None:
    from geo.errors import RegionError
    from geo.gazetteer import load_gazetteer
    from geo.regions import load_regions

    fifo = tmp_path / "UA.txt"
    os.mkfifo(fifo)
    outcome: dict[str, BaseException] = {}

    def attempt(name: str, call: Any) -> None:
        try:
            call(fifo)
        except BaseException as exc:  # handed to the test thread
            outcome[name] = exc

    threads = [
        threading.Thread(target=attempt, args=(name, call), daemon=True)
        for name, call in (("regions", load_regions), ("gazetteer", load_gazetteer))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "reading a FIFO blocked"
    assert isinstance(outcome["regions"], RegionError)
    assert isinstance(outcome["gazetteer"], InputFormatError)
    assert all("named pipe (FIFO)" in str(e) for e in outcome.values())


def test_folder_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        InputFormatError, match="is a folder, not a regular file; pass the files in it"
    ):
        read(tmp_path)
    with pytest.raises(InputFormatError, match="no such file"):
        read(tmp_path / "gone.geojson")


# --- fuzzing: only snapshots or a GeoError, whatever the bytes ---------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)
_GEOMETRY_TYPES = st.sampled_from(
    ["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection", "Nonsense", None]
)
_COORDS = st.recursive(
    st.floats(min_value=-200, max_value=200) | st.sampled_from([float("nan"), 1e308, "x", None]),
    lambda inner: st.lists(inner, max_size=6),
    max_leaves=40,
)


@st.composite
def _geojson(draw: st.DrawFn) -> Any:
    features = []
    for _ in range(draw(st.integers(0, 3))):
        geometry = draw(
            st.one_of(
                st.just(mapping(BOX)),
                st.fixed_dictionaries({"type": _GEOMETRY_TYPES, "coordinates": _COORDS}),
                _JSON,
            )
        )
        features.append(
            draw(
                st.one_of(
                    st.fixed_dictionaries(
                        {
                            "type": st.just("Feature"),
                            "geometry": st.just(geometry),
                            "properties": _JSON,
                        }
                    ),
                    _JSON,
                )
            )
        )
    top: dict[str, Any] = {"type": draw(st.sampled_from(["FeatureCollection", "Feature", "x"]))}
    top["features"] = features if draw(st.booleans()) else draw(_JSON)
    if draw(st.booleans()):
        top["crs"] = draw(
            st.one_of(_JSON, st.just({"type": "name", "properties": {"name": "EPSG:3857"}}))
        )
    if draw(st.booleans()):  # Esri JSON keys
        top["spatialReference"] = draw(st.one_of(_JSON, st.just({"wkid": 102100})))
    return top


def _only_geo_errors(path: Path) -> None:
    try:
        snaps = read(path, layer="russian_control")
    except GeoError as exc:
        assert path.name in str(exc), f"the message does not name the file: {exc}"
        return
    assert all(isinstance(s, Snapshot) and s.area_km2 >= 0 for s in snaps)


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(data=_geojson())
def test_fuzz_geojson_and_esri_json(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"f_{DAY}.geojson"
    path.write_text(json.dumps(data, allow_nan=True))
    _only_geo_errors(path)


@_FUZZ
@given(
    raw=st.binary(max_size=300),
    suffix=st.sampled_from([".geojson", ".json.gz", ".zip", ".kml", ".kmz", ".gpkg", ".shp"]),
)
def test_fuzz_raw_bytes(tmp_path_factory: pytest.TempPathFactory, raw: bytes, suffix: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"f_{DAY}{suffix}"
    path.write_bytes(raw)
    _only_geo_errors(path)


@_FUZZ
@given(
    text=st.text(max_size=40),
    where=st.sampled_from(["name", "coordinates", "folder"]),
)
def test_fuzz_kml(tmp_path_factory: pytest.TempPathFactory, text: str, where: str) -> None:
    coords = "37,48 37.5,48 37.5,48.5 37,48.5 37,48"
    name = "russian_control"
    if where == "coordinates":
        coords = text
    elif where == "name":
        name = text
    folder = f"<Folder><name>{text}</name>" if where == "folder" else "<Folder>"
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{folder}<Placemark><name>{_xml(name)}</name><Polygon><outerBoundaryIs>"
        f"<LinearRing><coordinates>{_xml(coords)}</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark></Folder></Document></kml>"
    )
    path = tmp_path_factory.mktemp("fuzz") / f"f_{DAY}.kml"
    path.write_text(
        kml.replace(f"<Folder><name>{text}</name>", f"<Folder><name>{_xml(text)}</name>")
    )
    _only_geo_errors(path)


def _xml(text: str) -> str:
    import html

    return html.escape("".join(c for c in text if c.isprintable()))


@pytest.mark.skipif(sys.platform == "win32", reason="zip member names")
def test_zip_with_a_nested_json_member(tmp_path: Path) -> None:
    path = tmp_path / f"z_{DAY}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("russian_control.geojson", b"[" * 50_000 + b"]" * 50_000)
    with pytest.raises(InputFormatError, match=r"russian_control\.geojson: JSON nested too deeply"):
        read(path)


def test_lone_surrogate_escapes_are_refused_pairs_are_read(tmp_path: Path) -> None:
    path = tmp_path / f"s_{DAY}.geojson"
    text = json.dumps(fc(feat(properties={"name": "NAME"})))
    path.write_text(text.replace("NAME", "\\udcff"))
    with pytest.raises(InputFormatError, match=r"unpaired UTF-16 surrogate \('\\udcff'\)"):
        read(path, layer="russian_control")
    path.write_text(text.replace("NAME", "\\ud83d\\ude00 Bakhmut"))  # an escaped emoji: fine
    (snap,) = read(path, layer="russian_control")
    assert snap.features["label"].tolist() == ["\U0001f600 Bakhmut"]


@pytest.mark.skipif(sys.platform != "linux", reason="file names of raw bytes")
def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"\xff\xfe_2024-07-01.geojson")  # surrogate-escaped, as Python lists it
    (tmp_path / name).write_text(json.dumps(fc(feat())))
    (bad,) = [p for p in tmp_path.iterdir() if p.suffix == ".geojson"]
    with pytest.raises(InputFormatError, match=r"\\xff\\xfe_2024-07-01.geojson: the path is not"):
        read(bad, layer="russian_control")
    result = read_many([tmp_path], layer="russian_control")
    assert len(result.problems) == 1 and "rename the file" in result.problems[0]


def test_snapshot_refuses_text_that_is_no_unicode() -> None:
    from conftest import make_snapshot

    with pytest.raises(InputFormatError, match=r"the layer holds '\\ud800', an unpaired"):
        make_snapshot(layer="x\ud800")
