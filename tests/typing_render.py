"""Static checks of geo.render's overloads: mypy reads this file (pyproject ``files``).

Nothing here runs; the functions exist so mypy checks what each call returns.
``tests/test_render_*.py`` check the same at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

import folium
import pandas as pd
from branca.element import Figure as Page
from matplotlib.figure import Figure

from geo.diff import Diff
from geo.render import (
    CompareMode,
    StaticFormat,
    animate,
    area_chart,
    compare_map,
    diff_map,
    gains_chart,
    save_html,
    share_chart,
    snapshot_map,
    static_map,
    timeline_map,
)
from geo.snapshot import Snapshot


def html_results(fmap: folium.Map, where: Path) -> None:
    assert_type(save_html(fmap), str)
    assert_type(save_html(fmap, None, offline=True), str)
    assert_type(save_html(fmap, where), Path)
    assert_type(save_html("<p></p>", "page.html"), Path)


def static_results(snap: Snapshot, change: Diff, frame: pd.DataFrame, fmt: StaticFormat) -> None:
    assert_type(static_map(snap), Figure)
    assert_type(static_map([snap, snap], regions=None, dpi=80), Figure)
    assert_type(static_map(change, "diff.svg"), Path)
    assert_type(static_map(change, Path("diff"), format=fmt), Path)
    assert_type(area_chart(frame), Figure)
    assert_type(area_chart(frame, "chart.png", title="t"), Path)
    assert_type(gains_chart(frame, lang="uk"), Figure)
    assert_type(gains_chart(frame, Path("gains.svg"), size=(800, 450)), Path)
    assert_type(share_chart(frame, min_share_pct=1.0), Figure)
    assert_type(share_chart(frame, "share.png"), Path)
    assert_type(animate([snap], "war.mp4", every="week", jobs=2), Path)


def compare_results(left: Snapshot, right: list[Snapshot], mode: CompareMode) -> None:
    assert_type(compare_map(left, right), Page)
    assert_type(compare_map(left, right, mode="side-by-side"), Page)
    assert_type(compare_map(left, right, mode="swipe", tiles=None), folium.Map)
    assert_type(compare_map(left, right, mode=mode), folium.Map | Page)


def map_results(snap: Snapshot, change: Diff, places: pd.DataFrame) -> None:
    assert_type(snapshot_map(snap), folium.Map)
    assert_type(snapshot_map([snap], title="t", tiles=None), folium.Map)
    assert_type(diff_map(change, places=places), folium.Map)
    assert_type(timeline_map({"control": [snap]}), folium.Map)
    assert_type(timeline_map([snap]), folium.Map)
