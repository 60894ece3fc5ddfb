"""Text from data made safe (geo.text): HTML, script JSON, terminals and spreadsheets."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from geo.text import csv_table, escape_text, one_line, script_json, spreadsheet_safe

FORMULAS = ["=1+1", '=HYPERLINK("http://x.example","click")', "+1+1", "-1+1", "@SUM(A1)",
            "\t=1", "\r=1", "=cmd|' /C calc'!A0"]  # fmt: skip


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_a_leading_quote(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Bakhmut", "", " =1", "'=1", "Kyiv=1", -1.5, 3, None])
def test_other_values_are_left_as_they_are(value: object) -> None:
    assert spreadsheet_safe(value) is value


def test_csv_table_guards_text_cells_and_headers_not_numbers() -> None:
    frame = pd.DataFrame({
        "name": [*FORMULAS[:3], "Bakhmut"],
        "net_km2": [-1.5, 2.0, -0.25, 0.0],
        "count": [-1, 2, 3, 4],
        "date": [dt.date(2025, 1, d) for d in range(1, 5)],
        "=header": ["a", "b", "c", "d"],
    })  # fmt: skip
    text = csv_table(frame, float_format="%.3f")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert back.columns.tolist() == ["name", "net_km2", "count", "date", "'=header"]
    assert back["name"].tolist() == ["'" + f for f in FORMULAS[:3]] + ["Bakhmut"]
    assert back["net_km2"].tolist() == [-1.5, 2.0, -0.25, 0.0]
    assert back["count"].tolist() == [-1, 2, 3, 4]
    assert back["date"].tolist() == [f"2025-01-0{d}" for d in range(1, 5)]
    assert frame["name"].iloc[0] == "=1+1", "the caller's frame is not changed"


def test_html_script_and_terminal_escapes() -> None:
    assert escape_text("<b>{{x}}</b>") == "&lt;b&gt;&#123;&#123;x}}&lt;/b&gt;"
    assert script_json("</script>{%x%}") == '"\\u003c/script\\u003e\\u007b%x%}"'
    assert one_line("a\nb\x1b[2J") == "a\\x0ab\\x1b[2J"
