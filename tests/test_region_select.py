"""Choosing regions: by name (aliases, codes, file names) or near the layer's ground."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
from click.testing import CliRunner
from conftest import make_snapshot
from shapely.geometry import box

from geo.cli import cli
from geo.errors import RegionError, ValidationError
from geo.io import read
from geo.region_select import DEFAULT_BORDER_KM, select_regions
from geo.regions import load_regions
from geo.store import open_store

OCHA = ("regions", "ukraine-ocha-codab-2017", "ukr_admbnda_adm1_q2_sspe_20171221.shp")
NATURAL_EARTH = ("regions", "natural-earth-50m", "ne_50m_admin_1_states_provinces.geojson")
DAILY = ("control", "deepstate", "daily")
GEOD = pyproj.Geod(ellps="WGS84")
GROUND = box(37.0, 48.0, 37.5, 48.5)


def east_of_ground(km: float, width_deg: float = 0.3) -> object:
    """A box whose west edge lies ``km`` east of GROUND's east edge (along 48.25° N)."""
    lon, _, _ = GEOD.fwd(37.5, 48.25, 90.0, km * 1000.0)
    return box(lon, 48.1, lon + width_deg, 48.4)


def frame(names: list[str], geoms: list[object], column: str = "region") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({column: names}, geometry=geoms, crs=4326)


NEIGHBOURS = frame(
    ["Inside", "Touching", "Near", "Beyond", "Far"],
    [box(37.1, 48.1, 37.2, 48.2), box(37.5, 48.0, 37.8, 48.5), east_of_ground(1.5),
     east_of_ground(2.5), box(30.0, 50.0, 31.0, 51.0)],
)  # fmt: skip


def test_near_keeps_regions_that_hold_or_border_the_ground() -> None:
    chosen = select_regions(NEIGHBOURS, near=GROUND)
    assert list(chosen["region"]) == ["Inside", "Touching", "Near"]
    assert DEFAULT_BORDER_KM == 2.0
    wider = select_regions(NEIGHBOURS, near=GROUND, border_km=3.0)
    assert list(wider["region"]) == ["Inside", "Touching", "Near", "Beyond"]
    touching = select_regions(NEIGHBOURS, near=GROUND, border_km=0)
    assert list(touching["region"]) == ["Inside", "Touching"]
    assert list(chosen.index) == [0, 1, 2] and chosen is not NEIGHBOURS


def test_near_takes_snapshots_and_any_date_of_a_series() -> None:
    early = make_snapshot(GROUND, 1)
    late = make_snapshot(box(30.2, 50.2, 30.4, 50.4), 2)  # the ground moved to "Far"
    assert list(select_regions(NEIGHBOURS, near=early)["region"]) == ["Inside", "Touching", "Near"]
    both = select_regions(NEIGHBOURS, near=[early, late])
    assert list(both["region"]) == ["Inside", "Touching", "Near", "Far"]  # frame order
    assert select_regions(NEIGHBOURS, near=[box(0, 0, 0, 0).buffer(0)]).empty
    assert len(select_regions(NEIGHBOURS)) == len(NEIGHBOURS)  # nothing asked: all


def test_near_works_far_north_and_in_other_crs() -> None:
    """The cheap lon/lat pre-filter must not drop a region that is near in km (60° N)."""
    lon, _, _ = GEOD.fwd(30.5, 60.05, 90.0, 1500.0)
    regions = frame(["North"], [box(lon, 60.0, lon + 0.2, 60.1)]).to_crs(3857)
    assert len(select_regions(regions, near=box(30.0, 60.0, 30.5, 60.1))) == 1
    assert select_regions(regions, near=box(30.0, 60.0, 30.5, 60.1), border_km=1.0).empty


def test_names_resolve_through_the_alias_table_and_the_files_own_names() -> None:
    regions = frame(
        ["Donetsk", "Luhansk", "Kursk", "Krasnodar Krai"],
        [box(37, 47, 38, 48), box(38, 48, 39, 49), box(35, 51, 36, 52), box(38, 44, 40, 46)],
    )
    chosen = select_regions(regions, names=["UA-09", "Донецька область", "krasnodar krai"])
    assert list(chosen["region"]) == ["Luhansk", "Donetsk", "Krasnodar Krai"]  # as asked
    assert list(select_regions(regions, names="Курская область")["region"]) == ["Kursk"]
    assert len(select_regions(regions, names=["Donetsk", "Donetska", "UA14"])) == 1
    named = frame(["Donetska oblast"], [box(37, 47, 38, 48)], column="name")
    assert list(select_regions(named, names=["Donetsk"])["name"]) == ["Donetska oblast"]
    far = select_regions(regions, names=["Kursk"], near=GROUND)  # names win, held or not
    assert list(far["region"]) == ["Kursk"]


def test_unknown_names_say_what_is_close() -> None:
    regions = frame(["Donetsk", "Krasnodar Krai"], [box(37, 47, 38, 48), box(38, 44, 40, 46)])
    with pytest.raises(RegionError, match=r"unknown region 'Donettsk'; closest .*: Donetsk$"):
        select_regions(regions, names=["Donettsk"])
    with pytest.raises(
        RegionError,
        match=r"'Kursk' \(Kursk\) is not among the regions given, "
        r"which hold Donetsk, Krasnodar Krai; load a boundary file that has it",
    ):
        select_regions(regions, names=["Kursk"])  # fmt: skip
    with pytest.raises(RegionError, match=r"unknown region 'Atlantis'.*regions given hold Donetsk"):
        select_regions(regions, names=["Atlantis"])
    with pytest.raises(RegionError, match="empty region name"):
        select_regions(regions, names=[" "])
    with pytest.raises(ValidationError, match=r"border_km=-1: pass a distance in km >= 0"):
        select_regions(regions, near=GROUND, border_km=-1)
    with pytest.raises(ValidationError, match=r"near= got str"):
        select_regions(regions, near=["Donetsk"])  # type: ignore[list-item]
    with pytest.raises(RegionError, match="no 'region' or 'name' column"):
        select_regions(gpd.GeoDataFrame(geometry=[GROUND], crs=4326), names=["Donetsk"])


# --- real data: OCHA oblasts + Natural Earth's world admin-1 ----------------------------------


@pytest.fixture(scope="module")
def world(shared_path) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_regions([shared_path(*OCHA), shared_path(*NATURAL_EARTH)])


@pytest.mark.realdata
def test_deepstate_diff_chooses_the_front_not_the_world(world, shared_path) -> None:  # type: ignore[no-untyped-def]
    daily = shared_path(*DAILY)
    a = read(daily / "deepstatemap_data_20241231.geojson.gz")[0]
    b = read(daily / "deepstatemap_data_20250601.geojson.gz")[0]
    assert len(world) > 300
    chosen = set(select_regions(world, near=[a, b])["region"])
    holding = {"Crimea", "Sevastopol", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk",
               "Kharkiv", "Mykolaiv", "Sumy"}  # fmt: skip
    russian_border = {"Rostov", "Belgorod", "Voronezh", "Kursk"}
    assert holding | russian_border <= chosen
    assert chosen - holding - russian_border <= {"Dnipropetrovsk"}  # 1.4 km from the ground
    assert not chosen & {"California", "Kamchatka", "Kyiv", "Lviv", "Krasnodar Krai", "Odesa"}


@pytest.mark.realdata
def test_cli_stats_and_diff_use_the_chosen_regions(world, shared_path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    daily = shared_path(*DAILY)
    store = open_store(tmp_path / "store")
    names = ["20241229", "20241230", "20241231"]
    store.ingest([read(daily / f"deepstatemap_data_{n}.geojson.gz")[0] for n in names])
    regions = ["--regions", str(shared_path(*OCHA)), "--regions", str(shared_path(*NATURAL_EARTH))]
    base = ["--store", str(tmp_path / "store"), "--layer", "russian_control"]
    runner = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas PerformanceWarning (there were 539)
        result = runner.invoke(cli, ["stats", *base, *regions])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    region_columns = [c for c in header if c.endswith("_area_km2") and c != "area_km2"]
    assert "donetsk_area_km2" in header and "rostov_share_pct" in header
    assert not {"california_area_km2", "kamchatka_area_km2", "kyiv_area_km2"} & set(header)
    assert 10 <= len(region_columns) <= 16
    named = runner.invoke(cli, ["stats", *base, *regions, "--region", "UA-14", "--region", "kursk"])
    assert named.exit_code == 0, named.output
    assert [c for c in named.stdout.splitlines()[0].split(",") if c.endswith("_share_pct")] == [
        "donetsk_share_pct", "kursk_share_pct"]  # fmt: skip
    text = runner.invoke(cli, ["diff", *base, "--from", "2024-12-29", "--to", "2024-12-31",
                               *regions, "--json"])  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "California" not in text.output and '"region": "Donetsk"' in text.output
    bad = runner.invoke(cli, ["diff", *base, "--from", "2024-12-29", "--to", "2024-12-31",
                              *regions, "--region", "Donettsk"])  # fmt: skip
    assert bad.exit_code != 0
    assert "unknown region 'Donettsk'; closest among the regions: Donetsk" in bad.output
    alone = runner.invoke(cli, ["diff", *base, "--from", "2024-12-29", "--to", "2024-12-31",
                                "--region", "Donetsk"])  # fmt: skip
    assert alone.exit_code != 0 and "--region needs --regions FILE" in alone.output
    assert dt.date(2024, 12, 31) in set(store.snapshots()["date"])
