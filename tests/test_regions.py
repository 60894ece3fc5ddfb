"""Tests for geo.regions: name/code resolution and loading admin-1 boundary files."""

from __future__ import annotations

import csv
import gzip
import logging
import zipfile
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo.errors import RegionError
from geo.geometry import geodesic_area_km2
from geo.regions import (
    TARGET_REGIONS,
    find_region,
    known_regions,
    load_regions,
    region_code,
    resolve_region,
)

UA_ISO = {
    "Crimea": "UA-43", "Vinnytsia": "UA-05", "Volyn": "UA-07", "Luhansk": "UA-09",
    "Dnipropetrovsk": "UA-12", "Donetsk": "UA-14", "Zhytomyr": "UA-18", "Zakarpattia": "UA-21",
    "Zaporizhzhia": "UA-23", "Ivano-Frankivsk": "UA-26", "Kyiv": "UA-30", "Kyiv Oblast": "UA-32",
    "Kirovohrad": "UA-35", "Sevastopol": "UA-40", "Lviv": "UA-46", "Mykolaiv": "UA-48",
    "Odesa": "UA-51", "Poltava": "UA-53", "Rivne": "UA-56", "Sumy": "UA-59", "Ternopil": "UA-61",
    "Kharkiv": "UA-63", "Kherson": "UA-65", "Khmelnytskyi": "UA-68", "Cherkasy": "UA-71",
    "Chernihiv": "UA-74", "Chernivtsi": "UA-77",
}  # fmt: skip
RU_ISO = {"Kursk": "RU-KRS", "Belgorod": "RU-BEL", "Bryansk": "RU-BRY", "Rostov": "RU-ROS",
          "Voronezh": "RU-VOR"}  # fmt: skip
# OCHA PCODE (KOATUU prefix) where it differs from the ISO 3166-2 digits.
PCODE_TRAPS = {"Crimea": "UA01", "Luhansk": "UA44", "Chernivtsi": "UA73", "Kyiv": "UA80",
               "Sevastopol": "UA85"}  # fmt: skip


# --- resolve_region -------------------------------------------------------------------------


def test_target_regions() -> None:
    assert TARGET_REGIONS == ("Kursk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk")
    assert all(resolve_region(name) == name for name in TARGET_REGIONS)


def test_known_regions_cover_all_ukrainian_units_and_border_regions() -> None:
    assert set(known_regions()) == set(UA_ISO) | set(RU_ISO)
    for region, code in {**UA_ISO, **RU_ISO}.items():
        assert region_code(region) == code
        assert resolve_region(code) == region
        assert resolve_region(code.lower()) == region


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # English spellings, case, spaces, apostrophes and generic words
        ("Donetska", "Donetsk"), ("Donetsk Oblast", "Donetsk"), ("  donetsk   OBLAST ", "Donetsk"),
        ("Donets'k", "Donetsk"), ("Zaporizhia", "Zaporizhzhia"), ("Zaporozhye", "Zaporizhzhia"),
        ("Zaporizhia Oblast", "Zaporizhzhia"), ("Zaporiz'ka", "Zaporizhzhia"),
        ("Kurskaya Oblast'", "Kursk"), ("Kursk region", "Kursk"), ("Lugansk", "Luhansk"),
        ("Khersonska", "Kherson"), ("Autonomous Republic of Crimea", "Crimea"),
        ("Avtonomna Respublika Krym", "Crimea"), ("Odessa Oblast", "Odesa"),
        ("Kharkov", "Kharkiv"), ("Sevastopol City", "Sevastopol"), ("Bryansk Oblast", "Bryansk"),
        # Ukrainian (ʼ and ’ apostrophes too)
        ("Донецька область", "Donetsk"), ("Донецька", "Donetsk"), ("Луганська", "Luhansk"),
        ("Запорізька область", "Zaporizhzhia"), ("Херсонська", "Kherson"),
        ("Автономна Республіка Крим", "Crimea"), ("Миколаївська", "Mykolaiv"),
        ("Мико’лаївська", "Mykolaiv"), ("Бєлгородська область", "Belgorod"),
        # Russian
        ("Донецкая область", "Donetsk"), ("Курская область", "Kursk"),
        ("Запорожская", "Zaporizhzhia"), ("Белгородская область", "Belgorod"),
        ("Брянская обл.", "Bryansk"), ("Крым", "Crimea"),
        # ISO 3166-2
        ("UA-14", "Donetsk"), ("UA-09", "Luhansk"), ("RU-KRS", "Kursk"), ("UA-43", "Crimea"),
        # OCHA PCODE and 10-digit KOATUU
        ("UA14", "Donetsk"), ("UA44", "Luhansk"), ("ua 44", "Luhansk"), ("UA23", "Zaporizhzhia"),
        ("UA65", "Kherson"), ("4400000000", "Luhansk"), ("0100000000", "Crimea"),
        # Natural Earth adm1_code and HASC
        ("RUS-2362", "Kursk"), ("RUS-2370", "Belgorod"), ("RUS-2342", "Bryansk"),
        ("RUS-283", "Crimea"), ("RUS-5482", "Sevastopol"), ("UA.LH", "Luhansk"), ("RU.KS", "Kursk"),
    ],
)  # fmt: skip
def test_alias_families(text: str, region: str) -> None:
    assert resolve_region(text) == region


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Kyiv", "Kyiv"), ("Kiev", "Kyiv"), ("Kyiv City", "Kyiv"), ("City of Kyiv", "Kyiv"),
        ("Київ", "Kyiv"), ("м. Київ", "Kyiv"), ("Киев", "Kyiv"), ("UA80", "Kyiv"),
        ("Kyiv Oblast", "Kyiv Oblast"), ("Kyivska", "Kyiv Oblast"), ("Kyiv region", "Kyiv Oblast"),
        ("Київська область", "Kyiv Oblast"), ("Киевская", "Kyiv Oblast"), ("UA32", "Kyiv Oblast"),
    ],
)  # fmt: skip
def test_kyiv_city_and_oblast_are_distinct(text: str, region: str) -> None:
    assert resolve_region(text) == region


def test_pcode_and_iso_disagree_exactly_where_documented() -> None:
    rows = _alias_rows()
    iso = {r["region"]: r["alias"] for r in rows if r["kind"] == "iso"}
    pcode = {r["region"]: r["alias"] for r in rows if r["kind"] == "pcode"}
    assert set(pcode) == set(UA_ISO)
    differ = {region: code for region, code in pcode.items() if code[2:] != iso[region][3:]}
    assert differ == PCODE_TRAPS
    for region, code in PCODE_TRAPS.items():
        assert resolve_region(code) == region
        assert resolve_region(UA_ISO[region]) == region


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("UA-44", "'UA44' (no hyphen) is the OCHA PCODE of Luhansk, whose ISO 3166-2 code is "
                  "UA-09"),
        ("UA09", "'UA-09' (with hyphen) is the ISO 3166-2 code of Luhansk"),
        ("UA-01", "OCHA PCODE of Crimea"),
        ("UA43", "'UA-43' (with hyphen) is the ISO 3166-2 code of Crimea"),
        ("UA-73", "OCHA PCODE of Chernivtsi"),
    ],
)  # fmt: skip
def test_code_from_the_other_system_is_refused_with_a_hint(text: str, hint: str) -> None:
    with pytest.raises(RegionError, match=f"unknown region '{text}'") as info:
        resolve_region(text)
    assert hint in str(info.value)


def test_every_alias_in_the_table_resolves_to_its_region() -> None:
    rows = _alias_rows()
    assert len(rows) > 250
    for row in rows:
        assert resolve_region(row["alias"]) == row["region"], row


@pytest.mark.parametrize(
    ("text", "suggested"),
    [("Donezk", "Donetsk"), ("Zaporizhzhya Oblastt", "Zaporizhzhia"), ("Luhanks", "Luhansk"),
     ("Харьковска", "Kharkiv")],
)  # fmt: skip
def test_unknown_names_suggest_closest(text: str, suggested: str) -> None:
    with pytest.raises(RegionError) as info:
        resolve_region(text)
    message = str(info.value)
    assert repr(text) in message
    assert "closest known names" in message
    assert suggested in message


def test_unknown_without_close_match_lists_known_regions() -> None:
    with pytest.raises(RegionError, match=r"known regions: .*Kursk"):
        resolve_region("Xyzzy")
    with pytest.raises(RegionError, match="empty region name"):
        resolve_region("  ")


def test_region_code() -> None:
    assert region_code("Luhansk") == "UA-09"
    assert region_code("Kursk") == "RU-KRS"
    assert region_code("Kyiv") == "UA-30"
    assert region_code("Kyiv Oblast") == "UA-32"
    assert region_code("Донецька") == "UA-14"
    assert region_code("Texas") is None


# --- load_regions on generated files --------------------------------------------------------


def _alias_rows() -> list[dict[str, str]]:
    text = resources.files("geo").joinpath("data/region_aliases.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def _ne_like(path: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "name": ["Kursk", "Crimea", "Sevastopol", "Tomsk", "Goiás"],
            "adm1_code": ["RUS-2362", "RUS-283", "RUS-5482", "RUS-2000", "BRA-1"],
            "iso_3166_2": ["RU-KRS", "UA-43", "UA-40", "RU-TOM", "BR-GO"],
            "admin": ["Russia"] * 4 + ["Brazil"],
            "iso_a2": ["RU"] * 4 + ["BR"],
        },
        geometry=[box(35, 51, 38, 52), box(33, 45, 36, 46), box(33.4, 44.5, 33.8, 44.7),
                  box(80, 56, 85, 60),
                  Polygon([(-50, -15), (-45, -10), (-45, -15), (-50, -10)])],  # bow-tie
        crs="EPSG:4326",
    )  # fmt: skip
    frame.to_file(path, driver="GeoJSON")
    return path


def _ocha_like(folder: Path, *, cpg: bool = False) -> Path:
    """A shapefile with OCHA COD-AB columns and Cyrillic names, written without .cpg."""
    frame = gpd.GeoDataFrame(
        {
            "ADM1_EN": ["Donetska", "Luhanska", "Kyivska", "Kyivska", "Testova"],
            "ADM1_UA": ["Донецька", "Луганська", "Київська", "Київська", "Тестова"],
            "ADM1_PCODE": ["UA14", "UA44", "UA80", "UA32", "UA99"],
            "ADM0_PCODE": ["UA"] * 5,
        },
        geometry=[box(37, 47, 38.5, 49), box(38.5, 48, 40, 50), box(30.3, 50.3, 30.7, 50.6),
                  box(29, 49.5, 32, 51.5), box(24, 48, 25, 49)],
        crs="EPSG:4326",
    )  # fmt: skip
    path = folder / "ocha_like.shp"
    frame.to_file(path, driver="ESRI Shapefile", encoding="UTF-8")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def notes_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings geo.regions logged (drops and merges are never silent)."""
    return [r.getMessage() for r in caplog.records if r.name == "geo.regions"]


def test_natural_earth_like_geojson(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frame = load_regions(_ne_like(tmp_path / "ne.geojson"))
    assert notes_logged(caplog) == []  # a clean file logs nothing
    assert list(frame.columns) == ["region", "code", "country", "source_file", "geometry"]
    assert frame.crs.to_epsg() == 4326
    rows = frame.set_index("region")
    assert list(rows.index) == ["Kursk", "Crimea", "Sevastopol", "Tomsk", "Goiás"]
    # Natural Earth files Crimea and Sevastopol under admin Russia; they are Ukrainian units.
    assert rows.loc["Crimea", "country"] == "UA" and rows.loc["Crimea", "code"] == "UA-43"
    assert rows.loc["Sevastopol", "country"] == "UA"
    assert rows.loc["Kursk", "code"] == "RU-KRS" and rows.loc["Kursk", "country"] == "RU"
    # Units outside the table keep the file's own name and ISO code.
    assert rows.loc["Tomsk", "code"] == "RU-TOM" and rows.loc["Tomsk", "country"] == "RU"
    assert rows.loc["Goiás", "country"] == "BR"
    assert frame.geometry.is_valid.all()  # the bow-tie was repaired
    assert frame.attrs["duplicates"] == [] and frame.attrs["notes"] == []
    assert set(frame["source_file"]) == {str(tmp_path / "ne.geojson")}


def test_shapefile_without_cpg_is_read_as_utf8(tmp_path: Path) -> None:
    path = _ocha_like(tmp_path)
    assert not path.with_suffix(".cpg").exists()
    # The premise: GDAL alone reads the names as Latin-1 mojibake.
    raw = pyogrio.read_dataframe(path)
    assert raw["ADM1_UA"].iloc[0] != "Донецька"
    frame = load_regions(path)
    rows = frame.set_index("region")
    # Kyivska appears twice: the PCODE tells the city from the oblast.
    assert list(rows.index) == ["Donetsk", "Luhansk", "Kyiv", "Kyiv Oblast", "Testova"]
    assert rows.loc["Luhansk", "code"] == "UA-09"  # PCODE UA44, not ISO UA-44
    assert rows.loc["Kyiv", "code"] == "UA-30" and rows.loc["Kyiv Oblast", "code"] == "UA-32"
    assert rows.loc["Testova", "code"] is None and rows.loc["Testova", "country"] == "UA"


def test_cyrillic_names_only_and_zipped_shapefile(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"ADM1_UA": ["Донецька", "Херсонська", "Невідома"]},
        geometry=[box(37, 47, 38, 48), box(33, 46, 34, 47), box(24, 48, 25, 49)],
        crs="EPSG:4326",
    )
    path = tmp_path / "ua.shp"
    frame.to_file(path, driver="ESRI Shapefile", encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    expected = ["Donetsk", "Kherson", "Невідома"]
    assert list(load_regions(path)["region"]) == expected
    archive = tmp_path / "ua.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(path.with_suffix(suffix), f"ua{suffix}")
    assert list(load_regions(archive)["region"]) == expected


def test_reprojects_and_reads_gzipped_geojson(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"shapeName": ["Kherson Oblast"], "shapeISO": ["UA-65"]},
        geometry=[box(32, 46, 34, 47)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    gpkg = tmp_path / "kherson.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    loaded = load_regions(gpkg)
    assert loaded.crs.to_epsg() == 4326
    bounds = loaded.geometry.iloc[0].bounds
    assert bounds == pytest.approx((32, 46, 34, 47), abs=1e-6)
    plain = tmp_path / "kherson.geojson"
    frame.to_crs("EPSG:4326").to_file(plain, driver="GeoJSON")
    gz = tmp_path / "kherson.geojson.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(load_regions([gz])["region"]) == ["Kherson"]


def test_duplicates_across_files_first_wins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ocha = _ocha_like(tmp_path)
    other = tmp_path / "other.geojson"
    gpd.GeoDataFrame(
        {"name": ["Donetsk Oblast", "Kursk"]},
        geometry=[box(0, 0, 1, 1), box(35, 51, 38, 52)],
        crs="EPSG:4326",
    ).to_file(other, driver="GeoJSON")
    frame = load_regions([ocha, other])
    (message,) = notes_logged(caplog)
    assert "1 region(s) already defined" in message and "Donetsk" in message
    assert caplog.records[-1].levelno == logging.WARNING
    rows = frame.set_index("region")
    assert rows.loc["Donetsk", "source_file"] == str(ocha)
    assert rows.loc["Donetsk", "geometry"].bounds == (37, 47, 38.5, 49)
    assert rows.loc["Kursk", "source_file"] == str(other)
    assert frame.attrs["duplicates"] == [
        {"region": "Donetsk", "dropped_from": str(other), "kept_from": str(ocha)}
    ]
    assert not frame["region"].duplicated().any()


def test_later_files_are_clipped_where_earlier_files_cover(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = tmp_path / "ua.geojson"
    gpd.GeoDataFrame(
        {"name": ["Sumy", "Kharkiv"]},
        geometry=[box(33, 50, 35, 51.5), box(35, 49, 37, 50.4)],
        crs="EPSG:4326",
    ).to_file(first, driver="GeoJSON")
    second = tmp_path / "ru.geojson"
    # Kursk reaches 0.2° into Sumy; Tula (made up here) lies wholly inside Kharkiv.
    gpd.GeoDataFrame(
        {"name": ["Kursk", "Tula"]},
        geometry=[box(34.8, 51, 37, 52.5), box(35.5, 49.5, 36, 50)],
        crs="EPSG:4326",
    ).to_file(second, driver="GeoJSON")
    frame = load_regions([first, second])
    messages = " ".join(notes_logged(caplog))
    assert "Kursk: " in messages and "(Sumy) were clipped off" in messages
    assert "Tula: wholly covered" in messages
    rows = frame.set_index("region")
    assert "Tula" not in rows.index
    overlap = box(34.8, 51, 35, 51.5)
    kursk = box(34.8, 51, 37, 52.5)
    # Planar degrees² add up exactly (geodesic edges of differently cut boxes do not).
    assert rows.loc["Kursk", "geometry"].area == pytest.approx(kursk.area - overlap.area)
    assert rows.loc["Sumy", "geometry"].equals(box(33, 50, 35, 51.5))  # the first file wins
    # Together the regions cover the union once.
    union = shapely.union_all([box(33, 50, 35, 51.5), box(35, 49, 37, 50.4), kursk])
    assert shapely.area(frame.geometry.values).sum() == pytest.approx(union.area, rel=1e-12)


def test_features_of_one_region_in_one_file_are_merged_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "parts.geojson"
    gpd.GeoDataFrame(
        {"name": ["Kherson", "Херсонська область", "Sumy", None]},
        geometry=[box(32, 46, 33, 47), box(33, 46, 34, 47), None, box(0, 0, 1, 1)],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    frame = load_regions(path)
    messages = " | ".join(notes_logged(caplog))
    assert "2 features name 'Kherson'; merged" in messages
    assert "1 feature(s) without polygon geometry dropped: Sumy" in messages
    assert "1 feature(s) have no name or code" in messages
    assert list(frame["region"]) == ["Kherson", "unnamed feature 3"]
    assert frame.geometry.iloc[0].equals(box(32, 46, 34, 47))
    assert frame.attrs["notes"] == notes_logged(caplog)  # logged and kept alike
    assert len(frame.attrs["notes"]) == 3


def test_only_selects_and_orders(tmp_path: Path) -> None:
    ne = _ne_like(tmp_path / "ne.geojson")
    ocha = _ocha_like(tmp_path)
    frame = load_regions([ocha, ne], only=["Sevastopol", "UA44", "Курская область"])
    assert list(frame["region"]) == ["Sevastopol", "Luhansk", "Kursk"]
    assert list(frame["country"]) == ["UA", "UA", "RU"]
    assert list(load_regions(ocha, only="Donetska")["region"]) == ["Donetsk"]


def test_only_with_missing_region_lists_contents(tmp_path: Path) -> None:
    ocha = _ocha_like(tmp_path)
    with pytest.raises(RegionError, match=r"Kursk not found in .*contain: .*Donetsk, Kyiv"):
        load_regions(ocha, only=["Kursk", "Donetsk"])
    with pytest.raises(RegionError, match="unknown region 'Narnia'"):
        load_regions(ocha, only=["Narnia"])


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text("{ this is not json", encoding="utf-8")
    with pytest.raises(RegionError, match=r"broken\.geojson: cannot read"):
        load_regions(bad)
    with pytest.raises(RegionError, match=r"nowhere\.shp: boundary file not found"):
        load_regions(tmp_path / "nowhere.shp")
    with pytest.raises(RegionError, match="no boundary file"):
        load_regions([])


def test_file_without_name_column(tmp_path: Path) -> None:
    path = tmp_path / "anon.geojson"
    gpd.GeoDataFrame(
        {"foo": [1, 2], "bar": ["x", "y"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    with pytest.raises(
        RegionError, match=r"anon.geojson: no region name .*'foo', 'bar'.*ADM1_PCODE"
    ):
        load_regions(path)


def test_unknown_column_holding_region_names_is_found(tmp_path: Path) -> None:
    path = tmp_path / "custom.geojson"
    gpd.GeoDataFrame(
        {"id": [1, 2], "oblast_label": ["Донецька область", "Zaporozhye"]},
        geometry=[box(37, 47, 38, 48), box(35, 47, 36, 48)],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    assert list(load_regions(path)["region"]) == ["Donetsk", "Zaporizhzhia"]


# --- real data ------------------------------------------------------------------------------

OCHA = "regions/ukraine-ocha-codab-2017/ukr_admbnda_adm1_q2_sspe_20171221.shp"
NATURAL_EARTH = "regions/natural-earth-50m/ne_50m_admin_1_states_provinces.geojson"
GEOBOUNDARIES = "regions/ukraine-geoboundaries/geoBoundaries-UKR-ADM1.geojson"
# Areas in km² from shared/data/README.md (Albers); geodesic agrees to about 0.01 %.
README_AREAS_KM2 = {"Donetsk": 26_506.0, "Luhansk": 26_685.7, "Zaporizhzhia": 27_183.2,
                    "Kherson": 26_455.9, "Kursk": 30_285.6}  # fmt: skip


@pytest.mark.realdata
def test_real_ocha_and_natural_earth_resolve_targets(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ocha, ne = shared_data / OCHA, shared_data / NATURAL_EARTH
    frame = load_regions([ocha, ne])
    assert any("Crimea" in m and "Sevastopol" in m for m in notes_logged(caplog))
    rows = frame.set_index("region")
    assert set(TARGET_REGIONS) | {"Crimea", "Sevastopol"} <= set(rows.index)
    # Crimea and Sevastopol come from OCHA (first file); NE's copies are reported.
    assert rows.loc["Crimea", "source_file"] == str(ocha)
    assert {d["region"] for d in frame.attrs["duplicates"]} == {"Crimea", "Sevastopol"}
    assert rows.loc["Kursk", "source_file"] == str(ne)
    # Natural Earth's coarse Kursk reaches into OCHA's Sumy; that part is clipped off.
    ne_kursk = load_regions(ne, only=["Kursk"]).geometry.iloc[0]
    ocha_union = shapely.union_all(load_regions(ocha).geometry.values)
    clipped_km2 = geodesic_area_km2(shapely.difference(ne_kursk, ocha_union))
    assert README_AREAS_KM2["Kursk"] - clipped_km2 == pytest.approx(390.9, abs=0.1)  # 0.009
    assert any("Kursk: 39" in n and "Sumy" in n for n in frame.attrs["notes"])
    expected_areas = {**README_AREAS_KM2, "Kursk": clipped_km2}
    for region, expected in expected_areas.items():
        area = geodesic_area_km2(rows.loc[region, "geometry"])
        assert area == pytest.approx(expected, rel=2e-5), region  # agree to 1.3e-6
    assert rows.loc["Luhansk", "code"] == "UA-09"
    assert frame.geometry.is_valid.all()


@pytest.mark.realdata
def test_real_ocha_all_units_keyed_on_pcode(shared_data: Path) -> None:
    frame = load_regions(shared_data / OCHA)
    assert sorted(frame["region"]) == sorted(UA_ISO)
    assert dict(zip(frame["region"], frame["code"], strict=True)) == UA_ISO
    assert set(frame["country"]) == {"UA"}


@pytest.mark.realdata
def test_real_natural_earth_crimea_is_ukrainian(shared_data: Path) -> None:
    frame = load_regions(shared_data / NATURAL_EARTH)
    assert len(frame) == 294
    rows = frame.set_index("region")
    assert rows.loc["Crimea", "country"] == "UA" and rows.loc["Crimea", "code"] == "UA-43"
    assert rows.loc["Sevastopol", "country"] == "UA" and rows.loc["Sevastopol", "code"] == "UA-40"
    for region in ("Kursk", "Belgorod", "Bryansk", "Rostov", "Voronezh"):
        assert rows.loc[region, "country"] == "RU"
    assert frame.geometry.is_valid.all()  # Goiás is invalid in the file
    assert shapely.area(rows.loc["Kursk", "geometry"]) > 0


@pytest.mark.realdata
def test_real_geoboundaries_resolves_ukrainian_targets(shared_data: Path) -> None:
    ukrainian = [r for r in TARGET_REGIONS if r != "Kursk"]
    frame = load_regions(shared_data / GEOBOUNDARIES, only=ukrainian)
    assert list(frame["region"]) == ukrainian
    assert set(frame["country"]) == {"UA"}
    assert list(frame["code"]) == ["UA-65", "UA-23", "UA-14", "UA-09"]
    everything = load_regions(shared_data / GEOBOUNDARIES)
    assert sorted(everything["region"]) == sorted(UA_ISO)


def test_find_region_is_resolve_region_without_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No closest-name search for unknown names (it cost 0.5 s on a world file's 287 regions)."""
    for name in ("UA-09", "UA44", "Zaporozhye", "Донецька область", " Kursk "):
        assert find_region(name) == resolve_region(name)
    import difflib

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an error message was composed for a name that may be unknown")

    monkeypatch.setattr(difflib, "get_close_matches", forbidden)
    assert [find_region(n) for n in ("Texas", "", "  ", "UA-99")] == [None] * 4
    from geo.region_select import select_regions
    from geo.render.outlines import display_region

    assert display_region("Texas") == "Texas" and display_region("UA-14") == "Donetsk"
    shapes = [box(-100, 30, -95, 35), box(37, 47, 38.5, 49)]
    world = gpd.GeoDataFrame({"region": ["Texas", "Donetsk"]}, geometry=shapes, crs=4326)
    chosen = select_regions(world, names=None, near=[box(37.5, 47.5, 38, 48)])
    assert chosen["region"].tolist() == ["Donetsk"]
