"""Alias resolution: every family of names from the issue and the real archives."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo import layers
from geo.layers import CANONICAL_LAYERS, PALETTE, add_aliases, layer_colour, resolve_layer


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("VIEW_RussiaCoTinUkraine_V3", "russian_control"),
        ("MDS_AssessedRussianAdvanceInUkraine_view", "russian_advance"),
        ("AssessedRussianAdvanceInUkraine_V2_view", "russian_advance"),
        ("VIEW_ClaimedRussianTerritoryinUkraine_V2", "russian_claim"),
        ("VIEW_ClaimedUkrainianCounteroffensives_V2", "ukrainian_counteroffensive"),
        ("VIEW_Russian_controlled_Ukrainian_Territory_before_February_24_2022",
         "russian_control_pre_2022"),
        ("VIEW_Reported_Ukrainian_Partisan_Warfare_V2", "partisan_warfare"),
        ("View_AssessedRussianInfiltrationAreasinUkraine_V4", "russian_infiltration"),
        ("UkraineControlMapAO18MAR2025", "russian_control"),
        ("UkraineCOntrolMapAO13APR2022", "russian_control"),
        ("AssessedRussianAdvancesinUkraineMAR182025", "russian_advance"),
        ("AssessedRussianAdvanceInUkraineAPR13", "russian_advance"),
        ("ClaimedRussianTerritoryinUkraine18MAR2025", "russian_claim"),
        ("ClaimedUkrainianCounteroffensives13APR", "ukrainian_counteroffensive"),
        ("ReportedUkrainianPartisanWarfare18MAR2025", "partisan_warfare"),
        ("RussianAssessedCoTinUkraine", "russian_control"),
        ("RussianAssessedAdvanceinUkraine", "russian_advance"),
        ("RussianClaimedCoTinUkraine", "russian_claim"),
        ("UkrainianClaimedCounterOffensives", "ukrainian_counteroffensive"),
        ("UkrainianReportedPartisanWarfare", "partisan_warfare"),
        ("MDS_ClaimedRussianTerritoryinUkraine", "russian_claim"),
        ("ClaimedUkrainianControl", "ukrainian_counteroffensive"),
        ("Assessed Russian Control", "russian_control"),
        ("assessed russian advances", "russian_advance"),
        ("Claimed Ukrainian Counteroffensives", "ukrainian_counteroffensive"),
        ("Ukrainian Advances in Russia", "ukrainian_control_russia"),
        ("Russian Advances in Russia", "russian_advance"),
        ("kursk_russian_advances", "russian_advance"),
        ("ukraine_control_map", "russian_control"),
        ("ロシア軍支配エリア", "russian_control"),
        ("ウクライナ軍反撃エリア", "ukrainian_counteroffensive"),
        ("deepstatemap_data_20240708", "russian_control"),
        ("contested", "contested"),
        ("Assessed Russian Advances in Ukraine", "russian_advance"),
        ("Assessed Russian Control in Ukraine", "russian_control"),
        ("Claimed Russian Territory in Ukraine", "russian_claim"),
        ("Russia CoT", "russian_control"),
        ("Assessed Russian Control of Terrain", "russian_control"),
        ("Assessed Ukrainian Control in Kursk", "ukrainian_control_russia"),
        ("Reported Ukrainian Partisan Warfare polygons", "partisan_warfare"),
    ],
)  # fmt: skip
def test_known_names(name: str, layer: str) -> None:
    match = resolve_layer(name)
    assert match.layer == layer
    assert match.known


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("russian_control_2023-05-01", "russian_control"),
        ("liberated_20240101", "liberated"),
        ("20230501_russian_advance", "russian_advance"),
        ("Ukrainian Advances in Russia 20250318", "ukrainian_control_russia"),
        ("Russian Advances in Russia 18MAR2025", "russian_advance"),
        ("Assessed Russian Advances in Kursk 18 March 2025", "russian_advance"),
        ("contested 01.05.2023", "contested"),
        ("UkraineControlMapAO18March2025", "russian_control"),
        ("AssessedRussianAdvancesinUkraineSeptember12024", "russian_advance"),
        # The last date is cut first: the earlier one belongs to the title.
        ("Russian-controlled Ukrainian Territory before February 24 2022 20230501",
         "russian_control_pre_2022"),
    ],
)  # fmt: skip
def test_dated_names_resolve_and_keep_the_name(name: str, layer: str) -> None:
    match = resolve_layer(name)
    assert (match.layer, match.name) == (layer, name)


@pytest.mark.parametrize(
    "name", ["Our front estimate 2024-05-01", "Assessed Russian Control Kursk salient 20240101"]
)
def test_unknown_dated_names_are_kept_as_they_are(name: str) -> None:
    assert resolve_layer(name) == layers.LayerMatch(name=name, layer=None)


def test_isw_names_imply_source() -> None:
    assert resolve_layer("VIEW_RussiaCoTinUkraine_V3").source == "isw"
    # the daily export is its own series, apart from the raw maps (source "deepstate")
    assert resolve_layer("deepstatemap_data_20240708").source == "deepstate-daily"
    assert resolve_layer("russian_control").source is None


def test_merged_japanese_label_is_flagged_not_silent() -> None:
    match = resolve_layer("ロシア軍侵攻エリア")
    assert match.layer == "russian_advance"
    assert "merged" in match.note and "claim" in match.note


@pytest.mark.parametrize(
    "name",
    [
        "Kursk oblast outline",
        "RussianAssessedCoTinUkraineKursk",
        "",
        "2023-05-01",
        "Assessed Russian Control Kursk salient",
    ],
)
def test_unknown_names_stay_unresolved(name: str) -> None:
    match = resolve_layer(name)
    assert match.layer is None
    assert match.name == name


def test_extra_aliases_take_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "_extra_aliases", [])
    table = tmp_path / "aliases.csv"
    table.write_text(
        "alias,match,layer,source,note\nOur Front Layer,exact,russian_control,mine,\n",
        encoding="utf-8",
    )
    assert add_aliases(table) == 1
    assert resolve_layer("our-front-layer").source == "mine"


def test_bad_alias_table_is_rejected(tmp_path: Path) -> None:
    table = tmp_path / "aliases.csv"
    table.write_text("alias,match,layer,source,note\nX,exact,not_a_layer,,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not_a_layer"):
        add_aliases(table)


def test_palette_covers_vocabulary() -> None:
    assert set(PALETTE) == set(CANONICAL_LAYERS)
    assert layer_colour("something else").startswith("#")
