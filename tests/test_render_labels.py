"""Human labels: every layer named in every language, colours that keep their meaning."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import GeoError
from geo.layers import CANONICAL_LAYERS
from geo.render.labels import (
    CHANGE_COLOURS,
    LANGUAGES,
    change_colours,
    change_labels,
    format_date,
    format_km2,
    format_number,
    layer_name,
    layer_side,
    map_title,
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_canonical_layer_has_a_human_name(lang: str) -> None:
    for layer in CANONICAL_LAYERS:
        name = layer_name(layer, lang)  # type: ignore[arg-type]
        assert name and name != layer and "_" not in name


def test_russian_gains_are_red_and_ukrainian_gains_blue_whatever_the_layer() -> None:
    red, blue = CHANGE_COLOURS["russia"], CHANGE_COLOURS["ukraine"]
    assert change_colours("russian_control") == {
        "gained": red,
        "lost": blue,
        "unchanged": "#9e9e9e",
    }
    # Kursk: Ukrainian-held ground in Russia shrinking is a Russian gain
    assert change_colours("ukrainian_control_russia")["lost"] == red
    assert change_colours("liberated")["gained"] == blue
    assert red not in change_colours("contested").values()
    assert layer_side("no_such_layer") == "neutral"


def test_legend_says_whose_gain_and_when() -> None:
    labels = change_labels("ukrainian_control_russia", dt.date(2024, 8, 20), dt.date(2025, 3, 18))
    assert labels["lost"] == "Russian gains (held on 20 Aug 2024 only)"
    uk = change_labels("russian_control", dt.date(2025, 1, 1), dt.date(2025, 6, 1), "uk")
    assert uk["gained"].startswith("Просування Росії") and "1 червня 2025" in uk["gained"]


def test_titles_name_layer_publisher_and_dates() -> None:
    title = map_title("russian_control", ["deepstate", "deepstate"], dt.date(2025, 1, 1),
                      dt.date(2025, 6, 1))  # fmt: skip
    assert title == "Russian-controlled territory, DeepStateMap.Live, 1 Jan → 1 Jun 2025"
    assert "(deepstate)" not in title and "russian_control" not in title
    assert map_title("mine", "my\x1bsource", dt.date(2025, 1, 1)).startswith("mine, my\\x1bsource")


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_km2_rounds_to_the_unit_and_keeps_the_sign(value: float) -> None:
    text = format_km2(value, signed=True)
    digits = text.removesuffix(" km²").lstrip("+−").replace(",", "")
    assert int(digits) == round(abs(value))
    assert text.startswith("−") == (round(value) < 0)
    assert text.startswith("+") == (round(value) > 0)


def test_ukrainian_dates_and_numbers() -> None:
    assert format_date(dt.date(2024, 8, 6), "uk") == "6 серпня 2024"
    assert format_km2(1294.5, "uk", digits=1) == "1 294,5 км²"


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(GeoError, match="lang="):
        layer_name("russian_control", "fr")  # type: ignore[arg-type]


@given(
    st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(LANGUAGES),
)
def test_figures_round_alike_with_and_without_the_unit(
    value: float, digits: int, lang: str
) -> None:
    figure = format_number(value, lang, signed=True, digits=digits)  # type: ignore[arg-type]
    area = format_km2(value, lang, signed=True, digits=digits)  # type: ignore[arg-type]
    assert area == f"{figure} {'км²' if lang == 'uk' else 'km²'}"
    grouped = figure.lstrip("+−")
    plain = grouped.replace(" ", "").replace(",", ".") if lang == "uk" else grouped.replace(",", "")
    assert float(plain) == abs(round(value, digits))
    assert figure.startswith("−") == (round(value, digits) < 0)


def test_every_label_key_is_defined_once() -> None:
    text = resources.files("geo").joinpath("data/labels.csv").read_text(encoding="utf-8")
    keys = [row["key"] for row in csv.DictReader(
        line for line in text.splitlines() if not line.startswith("#")
    )]  # fmt: skip
    assert sorted({k for k in keys if keys.count(k) > 1}) == []
