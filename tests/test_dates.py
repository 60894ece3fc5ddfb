"""Snapshot dates from values, attributes, file names and folders, pinned on real names."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.dates import (
    DATE_ATTRIBUTES,
    PLAUSIBLE_YEARS,
    DateFound,
    date_from_folders,
    date_spans,
    dates_in_name,
    find_date_attribute,
    parse_date,
    partial_dates_in_name,
    resolve_date,
)
from geo.errors import DateError, GeoError

D = dt.date

# --- parse_date -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-11", D(2024, 9, 11)),  # the hcss `date` attribute format
        (" 2024-09-11 ", D(2024, 9, 11)),
        ("20230501", D(2023, 5, 1)),
        ("2024-08-05T20:21:43Z", D(2024, 8, 5)),
        ("2024-08-05T23:50:00+03:00", D(2024, 8, 5)),  # the day as written, no UTC shift
        ("2024-08-05 20:21:43.123", D(2024, 8, 5)),
        ("2023/05/01", D(2023, 5, 1)),
        ("2023/5/1", D(2023, 5, 1)),
        ("13APR2022", D(2022, 4, 13)),
        ("01.05.2023", D(2023, 5, 1)),
        ("April 13, 2022", D(2022, 4, 13)),
        (D(2023, 5, 1), D(2023, 5, 1)),
        (dt.datetime(2023, 5, 1, 23, 59), D(2023, 5, 1)),
        (pd.Timestamp("2023-05-01T12:00"), D(2023, 5, 1)),
        (np.datetime64("2023-05-01T12:00"), D(2023, 5, 1)),
        (1648989208000, D(2022, 4, 3)),  # ArcGIS: milliseconds since epoch, UTC
        (1648989208, D(2022, 4, 3)),  # seconds
        (1648989208000.0, D(2022, 4, 3)),
        (np.int64(1648989208000), D(2022, 4, 3)),
        (1704067199999, D(2023, 12, 31)),  # one ms before 2024 in UTC
        (20230501, D(2023, 5, 1)),  # YYYYMMDD read as a number from a CSV
    ],
)
def test_parse_date_accepts(value: object, expected: D) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "empty"),
        ("", "empty"),
        (float("nan"), "empty"),
        (pd.NaT, "empty"),
        (np.datetime64("NaT"), "empty"),
        (True, "boolean"),
        ("yesterday", "not a date"),
        ("2023-W01", "not a date"),  # an ISO week is no day
        ("05/01/2023", "not a date"),  # US or European order: ambiguous
        ("1648989208", "not a date"),  # Unix time must come as a number
        ("2023-02-30", "not a calendar date"),
        ("APR13", "no year"),
        ([2023, 5, 1], "unsupported type list"),
    ],
)
def test_parse_date_rejects_with_where_value_and_forms(value: object, why: str) -> None:
    with pytest.raises(DateError) as err:
        parse_date(value, where="isw.geojson: feature 3")
    message = str(err.value)
    assert message.startswith("isw.geojson: feature 3: ")
    assert repr(value) in message
    assert why in message
    assert "YYYY-MM-DD" in message and "milliseconds" in message


@pytest.mark.parametrize(
    "value",
    [
        "2202-02-02",  # hcss typo
        "2013-12-31",
        -2209161600000,  # ArcGIS null date, 1899-12-30 in ms
        D(1899, 12, 30),
        2023,  # a year is no epoch: 1970-01-01
        f"{PLAUSIBLE_YEARS[1] + 1}-01-01",
    ],
)
def test_parse_date_rejects_implausible_years(value: object) -> None:
    with pytest.raises(DateError, match=r"implausible: year \d+ is out of range 2014\.\.") as err:
        parse_date(value, where="--date")
    assert str(err.value).startswith("--date: ")
    assert isinstance(err.value, GeoError)


def test_plausible_years_span_the_war_to_next_year() -> None:
    assert (2014, dt.date.today().year + 1) == PLAUSIBLE_YEARS
    assert parse_date("2014-01-01") == D(2014, 1, 1)


# --- dates_in_name ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "fragment"),
    [
        ("deepstatemap_data_20240708.geojson.gz", D(2024, 7, 8), "20240708"),
        ("20230501.geojson.gz", D(2023, 5, 1), "20230501"),
        ("2024-09-11.geojson", D(2024, 9, 11), "2024-09-11"),
        ("2023_05_01", D(2023, 5, 1), "2023_05_01"),
        ("UkraineCOntrolMapAO13APR2022.zip", D(2022, 4, 13), "13APR2022"),
        ("UkraineControlMapAO18MAR2025", D(2025, 3, 18), "18MAR2025"),
        ("AssessedRussianAdvancesinUkraineMAR182025", D(2025, 3, 18), "MAR182025"),
        ("ClaimedRussianTerritoryinUkraine18MAR2025.zip", D(2025, 3, 18), "18MAR2025"),
        ("13APR2022", D(2022, 4, 13), "13APR2022"),
        ("2024-08-05T20:21:43Z", D(2024, 8, 5), "2024-08-05"),
        ("snapshot_20240805T202143Z.geojson", D(2024, 8, 5), "20240805"),
        ("export_202408052021.gpkg", D(2024, 8, 5), "202408052021"),
        ("isw_13september2022_V2.geojson", D(2022, 9, 13), "13september2022"),
        ("isw_Sept13_2022", D(2022, 9, 13), "Sept13_2022"),
        ("control 13 Apr 2022.kml", D(2022, 4, 13), "13 Apr 2022"),
        ("2022-Apr-13", D(2022, 4, 13), "2022-Apr-13"),
        ("01.05.2023.geojson", D(2023, 5, 1), "01.05.2023"),
    ],
)
def test_dates_in_real_and_common_names(name: str, expected: D, fragment: str) -> None:
    assert dates_in_name(name) == [DateFound(expected, f"name '{fragment}'")]


@pytest.mark.parametrize(
    "name",
    [
        "1648989208.geojson.gz",  # DeepState history id = Unix time, not a date here
        "1648989208000",
        "VIEW_RussiaCoTinUkraine_V3",
        "AssessedRussianAdvanceInUkraine_V2_view",
        "202405011",  # 9 digits: no 8 may be cut out
        "x2024050112",  # 10 digits
        "120230501",
        "20231301",  # month 13
        "2202-02-02.geojson",  # implausible
        "19991231",
        "20240805250000",  # hour 25: a number, not a timestamp
        "Summary2023",
        "Marching_12025",
        "AssessedRussianAdvanceInUkraineAPR13.zip",
        "ClaimedUkrainianCounterOffensives13APR.zip",
        "geo.2024",  # a year alone
        "",
    ],
)
def test_no_date_in(name: str) -> None:
    assert dates_in_name(name) == []


def test_extension_is_ignored_and_several_dates_are_all_found() -> None:
    assert dates_in_name("diff_20230501_20230508.geojson.gz") == [
        DateFound(D(2023, 5, 1), "name '20230501'"),
        DateFound(D(2023, 5, 8), "name '20230508'"),
    ]
    # The same day twice counts once.
    assert [f.date for f in dates_in_name("20230501_2023-05-01")] == [D(2023, 5, 1)]


def test_partial_dates_lack_a_year() -> None:
    assert partial_dates_in_name("AssessedRussianAdvanceInUkraineAPR13.zip") == ["APR13"]
    assert partial_dates_in_name("ClaimedRussianTerritoryinUkraineAPR13.zip") == ["APR13"]
    assert partial_dates_in_name("ClaimedUkrainianCounterOffensives13APR.zip") == ["13APR"]
    assert partial_dates_in_name("UkraineCOntrolMapAO13APR2022.zip") == []
    assert partial_dates_in_name("AssessedRussianAdvancesinUkraineMAR182025") == []
    assert partial_dates_in_name("FEB30") == []  # no such day in any year
    assert partial_dates_in_name("Summary_V2") == []


@pytest.mark.parametrize(
    ("name", "dateless"),
    [
        ("russian_control_2023-05-01.geojson", "russian_control_"),
        ("Russian Advances in Russia 18MAR2025", "Russian Advances in Russia "),
        ("UkraineControlMapAO18March2025", "UkraineControlMapAO"),
        ("AssessedRussianAdvanceInUkraineAPR13", "AssessedRussianAdvanceInUkraine"),
        ("20230501_liberated_2202-02-02", "_liberated_"),  # implausible dates are dates too
        ("russian_control_pre_2022", "russian_control_pre_2022"),
    ],
)
def test_date_spans_locate_every_date_fragment(name: str, dateless: str) -> None:
    spans = date_spans(name)
    kept, last = [], 0
    for start, end in spans:
        kept.append(name[last:start])
        last = end
    stem = name.removesuffix(".geojson")
    assert "".join(kept) + stem[last:] == dateless


_FORMATS = [
    "%Y%m%d",
    "%Y-%m-%d",
    "%Y_%m_%d",
    "%Y.%m.%d",
    "%d.%m.%Y",
    "%d%b%Y",
    "%b%d%Y",
    "%d_%B_%Y",
    "%B %d, %Y",
    "%Y%b%d",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y%m%dT%H%M%SZ",
    "%Y%m%d%H%M%S",
]
_PREFIXES = ["", "deepstatemap_data_", "UkraineControlMapAO", "AssessedRussianAdvancesinUkraine"]
_SUFFIXES = ["", ".geojson.gz", "_V2", ".zip", "_RussianControl.gpkg"]


@given(
    day=st.dates(D(PLAUSIBLE_YEARS[0], 1, 1), D(PLAUSIBLE_YEARS[1], 12, 31)),
    fmt=st.sampled_from(_FORMATS),
    case=st.sampled_from([str.upper, str.lower, str.title, str]),
    prefix=st.sampled_from(_PREFIXES),
    suffix=st.sampled_from(_SUFFIXES),
    unpadded=st.booleans(),
)
def test_every_format_round_trips(
    day: D, fmt: str, case: object, prefix: str, suffix: str, unpadded: bool
) -> None:
    if unpadded and any(sep in fmt for sep in "._ ,") and "%H" not in fmt:
        fmt = fmt.replace("%d", str(day.day))  # '1 May 2023', '2023_05_1'
    text = dt.datetime.combine(day, dt.time(23, 59, 58)).strftime(fmt)
    assert callable(case)
    name = f"{prefix}{case(text)}{suffix}"
    assert [f.date for f in dates_in_name(name)] == [day], name
    assert partial_dates_in_name(name) == []


# --- find_date_attribute ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["date", "area_km2", "layer_type"], "date"),  # hcss files
        (["Date", "name"], "Date"),
        (["DATETIME"], "DATETIME"),
        (["Snapshot Date", "date"], "Snapshot Date"),  # the more specific name wins
        (["snapshot_d"], "snapshot_d"),  # shapefile cut to 10 characters
        (["as_of"], "as_of"),
        (["report_date"], "report_date"),
        (["day"], "day"),
        # ISW shapefile columns: edit metadata only, never a snapshot date.
        (["GlobalID", "CreationDa", "Creator", "EditDate", "Editor", "GlobalID_2"], None),
        (["created", "last_edited_date", "CreationDate", "layer"], None),
        ([], None),
    ],
)
def test_find_date_attribute(columns: list[str], expected: str | None) -> None:
    assert find_date_attribute(columns) == expected


def test_date_attributes_are_lower_case_names() -> None:
    assert {"date", "datetime", "snapshot_date", "day", "as_of", "report_date"} <= set(
        DATE_ATTRIBUTES
    )
    assert all(a == a.lower() for a in DATE_ATTRIBUTES)
    assert not {"editdate", "creationda", "created", "last_edited_date"} & set(DATE_ATTRIBUTES)


# --- date_from_folders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected", "rule"),
    [
        (
            "2022/April/RussianControl/20220401_RussianControl.geojson",
            D(2022, 4, 1),
            "file name '20220401'",
        ),
        ("2022/04/01/control.geojson", D(2022, 4, 1), "folder '2022/04/01'"),
        ("2022/April/01/control.geojson", D(2022, 4, 1), "folder '2022/April/01'"),
        ("2022/04_apr/1/control.geojson", D(2022, 4, 1), "folder '2022/04_apr/1'"),
        ("2022-04-01/control.geojson", D(2022, 4, 1), "folder '2022-04-01'"),
        ("2022/04/13.geojson", D(2022, 4, 13), "folder '2022/04/13'"),
        ("isw-2022-04-13/RussianControl/x.shp", D(2022, 4, 13), "folder 'isw-2022-04-13'"),
        ("2022/AssessedRussianAdvanceInUkraineAPR13.zip", D(2022, 4, 13),
         "file name 'APR13' + folder '2022'"),
        ("2022/x/ClaimedUkrainianCounterOffensives13APR.zip", D(2022, 4, 13),
         "file name '13APR' + folder '2022'"),
        # The deepest folder date wins.
        ("2022-03-01/2022/04/02/x.geojson", D(2022, 4, 2), "folder '2022/04/02'"),
        ("2022/04/02/2022-04-03/x.geojson", D(2022, 4, 3), "folder '2022-04-03'"),
    ],
)  # fmt: skip
def test_date_from_folders(tmp_path: Path, relative: str, expected: D, rule: str) -> None:
    found = date_from_folders(tmp_path / relative, root=tmp_path)
    assert found == DateFound(expected, rule)


@pytest.mark.parametrize(
    "relative",
    [
        "2022/April/RussianControl/RussianControl.geojson",  # a month but no day
        "2022/RussianControl.geojson",  # a year alone
        "2022/02/30/x.geojson",
        "2202/02/02/x.geojson",
        "2022/x/AssessedRussianAdvanceInUkraineAPR13_MAY02.zip",  # two partial dates
    ],
)
def test_date_from_folders_needs_a_full_day(tmp_path: Path, relative: str) -> None:
    assert date_from_folders(tmp_path / relative, root=tmp_path) is None


def test_root_limits_the_folders_read(tmp_path: Path) -> None:
    path = tmp_path / "2022-04-01" / "data" / "control.geojson"
    assert date_from_folders(path, root=tmp_path) == DateFound(D(2022, 4, 1), "folder '2022-04-01'")
    assert date_from_folders(path, root=tmp_path / "2022-04-01") is None
    assert date_from_folders(path, root=tmp_path / "elsewhere") is None
    # Without a root every folder counts.
    assert date_from_folders(Path("2022-04-01/data/control.geojson")) is not None


# --- resolve_date -----------------------------------------------------------------------


def test_precedence_explicit_then_attribute_then_file_then_folder(tmp_path: Path) -> None:
    path = tmp_path / "2022" / "04" / "02" / "20220403.geojson"
    attr = ["2022-04-04", None, "2022-04-04"]
    assert resolve_date(path, explicit="2022-04-05", attribute_values=attr, root=tmp_path) == (
        DateFound(D(2022, 4, 5), "given date")
    )
    assert resolve_date(
        path, attribute_values=attr, attribute_name="date", root=tmp_path
    ) == DateFound(D(2022, 4, 4), "attribute date")
    assert resolve_date(path, root=tmp_path) == DateFound(D(2022, 4, 3), "file name '20220403'")
    folder_only = path.with_name("control.geojson")
    assert resolve_date(folder_only, root=tmp_path) == DateFound(
        D(2022, 4, 2), "folder '2022/04/02'"
    )
    assert resolve_date(str(folder_only), root=tmp_path).date == D(2022, 4, 2)


def test_explicit_date_is_checked() -> None:
    with pytest.raises(DateError, match=r"^date=: .*'2202-02-02'.*out of range"):
        resolve_date("20230501.geojson", explicit="2202-02-02")


def test_attribute_nulls_are_skipped_and_all_null_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "2024-09-11.geojson"
    nulls: list[object] = [None, "", float("nan"), pd.NaT, -2209161600000, D(1899, 12, 30)]
    assert resolve_date(path, attribute_values=[*nulls, "2024-09-12"]) == DateFound(
        D(2024, 9, 12), "attribute"
    )
    assert resolve_date(path, attribute_values=nulls, attribute_name="date") == DateFound(
        D(2024, 9, 11), "file name '2024-09-11'"
    )


def test_attribute_dates_that_disagree_are_listed(tmp_path: Path) -> None:
    values = ["2024-09-11", "2024-09-13", "2024-09-11", 1726185600000]
    with pytest.raises(DateError) as err:
        resolve_date(tmp_path / "x.geojson", attribute_values=values, attribute_name="date")
    message = str(err.value)
    assert "attribute 'date' holds 2 different dates" in message
    assert "2024-09-11 (2 features)" in message and "2024-09-13 (2 features)" in message
    assert "split the file by date" in message and 'date="YYYY-MM-DD"' in message


def test_bad_attribute_value_names_the_feature(tmp_path: Path) -> None:
    path = tmp_path / "20240911.geojson"
    with pytest.raises(DateError, match=r"feature 1, attribute 'date'.*'soon'"):
        resolve_date(path, attribute_values=["2024-09-11", "soon"], attribute_name="date")
    with pytest.raises(DateError, match=r"feature 0, attribute 'date'.*2202-02-02.*out of range"):
        resolve_date(path, attribute_values=["2202-02-02"], attribute_name="date")


def test_two_dates_in_file_name_are_ambiguous_unless_folder_decides(tmp_path: Path) -> None:
    name = "diff_20230501_20230508.geojson"
    with pytest.raises(DateError) as err:
        resolve_date(tmp_path / name, root=tmp_path)
    message = str(err.value)
    assert "ambiguous" in message
    assert "2023-05-01 from '20230501'" in message and "2023-05-08 from '20230508'" in message
    assert message.endswith('pass date="YYYY-MM-DD"')
    decided = resolve_date(tmp_path / "2023-05-08" / name, root=tmp_path)
    assert decided == DateFound(D(2023, 5, 8), "folder '2023-05-08'")
    with pytest.raises(DateError, match=r"folder '2023-06-01' gives 2023-06-01, none of them"):
        resolve_date(tmp_path / "2023-06-01" / name, root=tmp_path)
    attribute = resolve_date(tmp_path / name, attribute_values=["2023-05-01"], root=tmp_path)
    assert attribute.date == D(2023, 5, 1)


def test_partial_file_name_contradicting_folder_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "2022-04-14" / "AssessedRussianAdvanceInUkraineAPR13.zip"
    with pytest.raises(DateError, match=r"says 'APR13' but folder '2022-04-14' gives 2022-04-14"):
        resolve_date(path, root=tmp_path)
    agreeing = tmp_path / "2022-04-13" / "AssessedRussianAdvanceInUkraineAPR13.zip"
    assert resolve_date(agreeing, root=tmp_path).date == D(2022, 4, 13)


def test_leap_day_without_year_in_a_common_year(tmp_path: Path) -> None:
    assert resolve_date(tmp_path / "2024" / "FEB29.zip", root=tmp_path).date == D(2024, 2, 29)
    with pytest.raises(DateError, match=r"'FEB29' does not exist in 2023"):
        resolve_date(tmp_path / "2023" / "FEB29.zip", root=tmp_path)


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("AssessedRussianAdvanceInUkraineAPR13.zip", "'APR13' (no year)"),
        ("ClaimedUkrainianCounterOffensives13APR.zip", "'13APR' (no year)"),
        ("2202-02-02.geojson", "'2202-02-02' (year out of range 2014.."),
        ("2023-02-30.geojson", "'2023-02-30' (not a calendar date)"),
        ("1648989208.geojson.gz", "'1648989208' (looks like Unix time 2022-04-03 12:33 UTC"),
        ("RussianControl.geojson", ""),
    ],
)
def test_no_date_error_lists_what_was_looked_at(tmp_path: Path, name: str, found: str) -> None:
    with pytest.raises(DateError) as err:
        resolve_date(tmp_path / name, root=tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / name}: no snapshot date found")
    assert f"file name '{name}'" in message
    assert found in message
    assert f"no folders below {tmp_path}" in message
    assert message.endswith('Fix: pass date="YYYY-MM-DD"')


def test_no_date_error_mentions_month_only_folders(tmp_path: Path) -> None:
    path = tmp_path / "2022" / "April" / "RussianControl" / "RussianControl.geojson"
    with pytest.raises(DateError, match=r"folders '2022/April/RussianControl': found "
                       r"'2022/April' \(a month, no day\)"):  # fmt: skip
        resolve_date(path, root=tmp_path)
    with pytest.raises(DateError, match=r"attribute 'date' \(all 2 values empty\)"):
        resolve_date(path, attribute_values=[None, ""], attribute_name="date", root=tmp_path)


# --- real names -------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_file_names(shared_data: Path) -> None:
    control = shared_data / "control"
    daily = sorted((control / "deepstate" / "daily").glob("*.geojson.gz"))
    weekly = sorted((control / "isw" / "2023-weekly").glob("*.geojson.gz"))
    assert len(daily) == 769 and len(weekly) == 17
    for path in daily + weekly:
        found = resolve_date(path, root=path.parent)
        digits = path.name.split(".")[0][-8:]
        assert found.date == dt.datetime.strptime(digits, "%Y%m%d").date()
        assert found.rule == f"file name '{digits}'"
    for path in sorted((control / "deepstate-raw").glob("*/*.geojson.gz")):
        assert dates_in_name(path.name) == [], path.name  # Unix-time ids


@pytest.mark.realdata
def test_real_hcss_date_attribute_agrees_with_file_name(shared_data: Path) -> None:
    control = shared_data / "control"
    files = sorted((control / "isw-kursk" / "kursk_geojson").glob("*.geojson"))
    files += sorted((control / "isw-hcss-territory" / "territory_geojson").glob("202*.geojson"))
    assert len(files) == 37 + 37
    for path in files[:5] + files[-5:]:
        features = json.loads(path.read_text())["features"]
        columns = {key for f in features for key in f["properties"]}
        attribute = find_date_attribute(columns)
        assert attribute == "date"
        values = [f["properties"][attribute] for f in features]
        found = resolve_date(path, attribute_values=values, attribute_name=attribute)
        assert found == DateFound(D.fromisoformat(path.stem), "attribute date")


@pytest.mark.realdata
def test_real_hcss_typo_year_is_a_clear_error(shared_data: Path) -> None:
    folder = shared_data / "control" / "isw-hcss-territory" / "territory_geojson"
    for stem in ("2202-02-02", "2202-02-03"):
        path = folder / f"{stem}.geojson"
        values = [f["properties"]["date"] for f in json.loads(path.read_text())["features"]]
        with pytest.raises(DateError, match=rf"'{stem}'.*out of range"):
            resolve_date(path, attribute_values=values, attribute_name="date", root=folder)
        # Without the attribute (as geo.io does after a bad value) the name fails too.
        with pytest.raises(DateError, match=rf"'{stem}' \(year out of range 2014\.\."):
            resolve_date(path, root=folder)


@pytest.mark.realdata
def test_real_isw_zip_names(shared_data: Path) -> None:
    folder = shared_data / "raw-formats" / "isw-shapefile-zips-2022-04-13"
    names = sorted(p.name for p in folder.glob("*.zip"))
    assert len(names) == 4
    for name in names:
        # Below their folder: only the control map carries a year.
        if "2022" in name:
            assert resolve_date(folder / name, root=folder).date == D(2022, 4, 13)
        else:
            with pytest.raises(DateError, match=r"'(APR13|13APR)' \(no year\)"):
                resolve_date(folder / name, root=folder)
        # With the dated folder in reach, the partial date and the folder agree.
        assert resolve_date(folder / name, root=folder.parent).date == D(2022, 4, 13)


@pytest.mark.realdata
def test_real_raw_deepstate_names_are_not_dates(shared_data: Path) -> None:
    folder = shared_data / "raw-formats" / "deepstate-map-history"
    path = folder / "1648989208.geojson.gz"
    with gzip.open(path) as stream:
        assert json.load(stream)["type"] == "FeatureCollection"
    with pytest.raises(DateError, match=r"Unix time 2022-04-03 12:33 UTC"):
        resolve_date(path, root=folder)
