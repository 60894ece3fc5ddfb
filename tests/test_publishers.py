"""The publishers table: every known source credited, unknown ones escaped, notices on every map."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import make_snapshot
from shapely.geometry import box

import geo
from geo.publishers import (
    SAMPLE_NOTICE,
    SAMPLE_SOURCE,
    credit,
    credit_line,
    display_name,
    notice_for,
    publisher,
    publishers,
)
from geo.render import (
    area_chart,
    compare_map,
    diff_map,
    save_html,
    snapshot_map,
    static_map,
    timeline_map,
)
from geo.snapshot import Snapshot
from geo.text import escape_text

EVIL = "<img src=x onerror=alert(1)>\u2028"


def table_rows() -> list[dict[str, str]]:
    text = resources.files("geo").joinpath("data/publishers.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_table_is_complete_and_read_as_written() -> None:
    rows = table_rows()
    assert [r["source"] for r in rows] == ["deepstate", "deepstate-daily", "isw", "sample"]
    assert set(publishers()) == {r["source"] for r in rows}
    for row in rows:
        known = publisher(row["source"])
        assert known is not None and known.name and known.credit and known.terms
        assert (known.name, known.credit, known.url, known.notice) == (
            row["name"], row["credit"], row["url"], row["notice"],
        )  # fmt: skip
    assert [r["source"] for r in rows if r["notice"]] == [SAMPLE_SOURCE]
    with pytest.raises(TypeError):
        publishers()["mine"] = publishers()["isw"]  # type: ignore[index]


def test_known_sources_use_the_publishers_words() -> None:
    assert credit_line(["deepstate"]) == "Data: DeepStateMap.Live"
    assert credit_line(["isw", "deepstate"]) == (
        "Data: Institute for the Study of War (ISW); DeepStateMap.Live"
    )
    assert credit_line([SAMPLE_SOURCE]) == f"Data: {SAMPLE_NOTICE}"
    # DeepState's raw maps and its daily export are two series of one publisher: one credit.
    assert credit_line(["deepstate-daily"]) == "Data: DeepStateMap.Live"
    assert credit_line(["deepstate", "isw", "deepstate-daily"]) == (
        "Data: DeepStateMap.Live; Institute for the Study of War (ISW)"
    )
    assert display_name("isw") == "Institute for the Study of War (ISW)"
    assert SAMPLE_NOTICE.startswith("SYNTHETIC SAMPLE DATA")


def test_unknown_sources_are_credited_by_their_own_name_on_one_line() -> None:
    assert publisher("my-layers") is None
    assert credit("my-layers") == display_name("my-layers") == "my-layers"
    assert credit_line(["mine", "", "mine"], extra="x\ny") == "Data: mine · x\\x0ay"
    assert credit_line([]) is None and credit_line([], extra="Basemap") == "Basemap"
    assert "\u2028" not in credit(EVIL) and credit(EVIL).endswith("\\u2028")


@pytest.mark.parametrize(
    ("sources", "notice", "expected"),
    [
        (["isw"], None, None),
        (["isw"], "Draft", "Draft"),
        (["isw", "sample"], None, SAMPLE_NOTICE),
        (["sample", "sample"], "Draft", f"{SAMPLE_NOTICE} - Draft"),
        (["sample"], SAMPLE_NOTICE, SAMPLE_NOTICE),
        (["sample"], f"Draft: {SAMPLE_NOTICE}", f"Draft: {SAMPLE_NOTICE}"),
        ([], None, None),
    ],
)
def test_notice_for(sources: list[str], notice: str | None, expected: str | None) -> None:
    assert notice_for(sources, notice) == expected


def test_the_sample_and_the_deepstate_client_read_the_table() -> None:
    from geo import sample
    from geo.sources import deepstate_api

    assert (sample.SAMPLE_SOURCE, sample.SAMPLE_NOTICE) == (SAMPLE_SOURCE, SAMPLE_NOTICE)
    deepstate = publishers()["deepstate"]
    assert deepstate.credit == deepstate_api.ATTRIBUTION
    assert deepstate.terms in deepstate_api.TERMS and deepstate.url in deepstate_api.TERMS


# --- every map kind ------------------------------------------------------------------------


def snaps(source: str) -> tuple[Snapshot, Snapshot]:
    return (
        make_snapshot(box(37.0, 48.0, 37.5, 48.5), 0, source=source),
        make_snapshot(box(37.1, 48.0, 37.6, 48.5), 7, source=source),
    )


def html_maps(source: str, notice: str | None = None) -> dict[str, str]:
    """Every interactive map kind of two snapshots of ``source``, as HTML."""
    a, b = snaps(source)
    kw: dict[str, Any] = {"tiles": None, "notice": notice}
    return {
        "snapshot": save_html(snapshot_map(b, **kw)),
        "diff": save_html(diff_map(geo.diff(a, b), **kw)),
        "timeline": save_html(timeline_map([a, b], **kw)),
        "side-by-side": save_html(compare_map(a, b, **kw)),
        "swipe": save_html(compare_map(a, b, mode="swipe", **kw)),
    }


def static_files(source: str, folder: Path, notice: str | None = None) -> dict[str, str]:
    """The static map and the area chart of ``source``, as SVG text."""
    a, b = snaps(source)
    frame = pd.DataFrame({"date": [a.date, b.date], "area_km2": [a.area_km2, b.area_km2]})
    frame.attrs.update(source=source, layer=a.layer)
    draw: dict[str, Callable[[Path], Path]] = {
        "static snapshot": lambda p: static_map(b, p, notice=notice),
        "static diff": lambda p: static_map(geo.diff(a, b), p, notice=notice),
        "area chart": lambda p: area_chart(frame, p, notice=notice),
    }
    return {
        kind: make(folder / f"{kind.replace(' ', '-')}.svg").read_text(encoding="utf-8")
        for kind, make in draw.items()
    }


@pytest.mark.parametrize("source", ["deepstate", "isw", "sample"])
def test_every_map_kind_credits_every_known_source(source: str, tmp_path: Path) -> None:
    words = escape_text(publishers()[source].credit)
    for kind, page in html_maps(source).items():
        assert f"addAttribution({json.dumps('Data: ' + words)})" in page, kind
    for kind, svg in static_files(source, tmp_path).items():
        assert f"Data: {words}" in svg, kind


def test_every_map_kind_shows_the_sample_notice(tmp_path: Path) -> None:
    for kind, page in html_maps(SAMPLE_SOURCE).items():
        assert 'class="geo-notice"' in page and SAMPLE_NOTICE in page, kind
    for kind, page in html_maps(SAMPLE_SOURCE, notice="Draft").items():
        assert f"{SAMPLE_NOTICE} - Draft" in page, kind
    for kind, svg in static_files(SAMPLE_SOURCE, tmp_path, notice="Draft").items():
        assert f"{SAMPLE_NOTICE} - Draft" in svg, kind
    for kind, page in html_maps("isw").items():
        assert SAMPLE_NOTICE not in page and 'class="geo-notice"' not in page, kind


def test_every_map_kind_escapes_an_unknown_source(tmp_path: Path) -> None:
    shown = json.dumps("Data: " + escape_text(EVIL))  # the credit, as the page's script has it
    assert shown == '"Data: &lt;img src=x onerror=alert(1)&gt;\\\\u2028"'
    for kind, page in html_maps(EVIL).items():
        assert "<img src=x" not in page and "\u2028" not in page, kind
        assert f"addAttribution({shown})" in page, kind
    for kind, svg in static_files(EVIL, tmp_path).items():
        assert "<img src=x" not in svg and "Data: &lt;img src=x" in svg, kind
