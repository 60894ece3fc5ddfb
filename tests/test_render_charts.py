"""Charts of a time series: area held, gains and losses per month, regional shares."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from geo.errors import ValidationError
from geo.io import read_many
from geo.regions import load_regions
from geo.render import area_chart, gains_chart, share_chart
from geo.render.charts import monthly_changes
from geo.render.labels import change_colours, format_km2, map_title
from geo.sample import SAMPLE_NOTICE, SAMPLE_SOURCE, sample_dir, sample_regions_file
from geo.stats import timeseries
from geo.store import open_store

SMALL = (800, 450)


def texts(fig: Figure, gid: str) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_gid() == gid]


def rgb(hex_colour: str) -> tuple[float, ...]:
    return tuple(round(int(hex_colour[i : i + 2], 16) / 255, 3) for i in (1, 3, 5))


def bar_colours(fig: Figure) -> set[tuple[float, ...]]:
    return {
        tuple(round(float(c), 3) for c in bar.get_facecolor()[:3])
        for ax in fig.axes
        for bar in ax.patches
        if isinstance(bar, Rectangle) and bar.get_height() != 0
    }


@pytest.fixture(scope="module")
def sample_frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    store = open_store(tmp_path_factory.mktemp("store"))
    store.ingest(read_many([sample_dir()], source=SAMPLE_SOURCE).snapshots)
    regions = load_regions(sample_regions_file())
    return {
        "plain": timeseries(store, "russian_control", progress=False),
        "regions": timeseries(store, "russian_control", regions=regions, progress=False),
    }


def series(layer: str, gained: list[float], lost: list[float], days: list[dt.date]) -> pd.DataFrame:
    area = np.cumsum([1000.0] + [g - lo for g, lo in zip(gained[1:], lost[1:], strict=True)])
    frame = pd.DataFrame({"date": days, "area_km2": area, "gained_km2": gained, "lost_km2": lost})
    frame.attrs.update(layer=layer, source="deepstate")
    return frame


def test_area_chart_of_the_sample_series(
    tmp_path: Path, sample_frames: dict[str, pd.DataFrame]
) -> None:
    frame = sample_frames["plain"]
    png = area_chart(frame, tmp_path / "chart.png", size=(1000, 560))
    image = matplotlib.image.imread(png)
    assert image.shape[:2] == (560, 1000) and image.std() > 0.05
    fig = area_chart(frame)
    first, last = frame["date"].iloc[0], frame["date"].iloc[-1]
    assert texts(fig, "title") == [map_title("russian_control", "sample", first, last)]
    assert texts(fig, "subtitle") == ["Area held (km²)"]
    assert texts(fig, "notice") == [SAMPLE_NOTICE]  # the sample's notice, always
    assert texts(fig, "credit") == [f"Data: {SAMPLE_NOTICE}"]  # no map credits on a chart
    assert "Albers" in texts(fig, "note")[0]
    assert format_km2(frame["area_km2"].iloc[-1]) in {t.get_text() for t in fig.axes[0].texts}
    colours = change_colours("russian_control")
    assert bar_colours(fig) == {rgb(colours["gained"])}  # the sample only grows: red bars
    svg = area_chart(frame, tmp_path / "chart.svg", title="Area <chart>").read_text("utf-8")
    assert "Area &lt;chart&gt;" in svg and "<dc:title>Area &lt;chart&gt;" in svg


def test_area_chart_edge_cases(tmp_path: Path) -> None:
    one_row = pd.DataFrame({"date": [dt.date(2024, 1, 1)], "area_km2": [10.0]})
    assert area_chart(one_row, tmp_path / "one.png", size=SMALL).is_file()
    with pytest.raises(ValidationError, match="missing column 'area_km2'"):
        area_chart(pd.DataFrame({"date": [dt.date(2024, 1, 1)]}), tmp_path / "x.png")
    with pytest.raises(ValidationError, match="no rows"):
        area_chart(pd.DataFrame({"date": [], "area_km2": []}), tmp_path / "x.png")
    with pytest.raises(ValidationError, match=r"unsupported file type \.gif"):
        area_chart(one_row, tmp_path / "x.gif")
    assert not list(tmp_path.glob("x.*"))


def test_gains_chart_colours_keep_their_meaning() -> None:
    days = [dt.date(2025, 1, 31), dt.date(2025, 2, 14), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
    gained, lost = [np.nan, 100.0, 50.0, 20.0], [np.nan, 5.0, 0.0, 40.0]
    russian = gains_chart(series("russian_control", gained, lost, days), size=SMALL)
    ukrainian = gains_chart(series("liberated", gained, lost, days), size=SMALL)
    red, blue = (rgb(change_colours("russian_control")[k]) for k in ("gained", "lost"))
    # gains of a Russian layer are red above the axis; of a Ukrainian layer, blue above the axis
    up = {
        name: {
            tuple(round(float(c), 3) for c in bar.get_facecolor()[:3])
            for bar in fig.axes[0].patches
            if isinstance(bar, Rectangle) and bar.get_height() > 0
        }
        for name, fig in (("russian", russian), ("ukrainian", ukrainian))
    }
    assert up == {"russian": {red}, "ukrainian": {blue}}
    legend = [t.get_text() for t in russian.axes[0].get_legend().get_texts()]
    assert legend == ["Russian gains", "Ukrainian gains", "Net change"]
    labels = {t.get_text() for t in russian.axes[0].texts}
    assert {"150", "5", "20", "40"} <= labels  # February's 100 + 50, rounded figures on bars
    uk = gains_chart(series("russian_control", gained, lost, days), size=SMALL, lang="uk")
    ticks = [t.get_text() for t in uk.axes[0].get_xticklabels()]
    assert ticks == ["лют\n2025", "бер"]


def test_monthly_changes_counts_every_step_once_and_flags_partial_months() -> None:
    days = [dt.date(2024, 7, 8), dt.date(2024, 7, 31), dt.date(2024, 8, 31), dt.date(2024, 9, 10)]
    months = monthly_changes(series("russian_control", [np.nan, 3, 4, 5], [np.nan, 1, 0, 2], days))
    assert months["month"].tolist() == [dt.date(2024, 7, 1), dt.date(2024, 8, 1),
                                        dt.date(2024, 9, 1)]  # fmt: skip
    assert months["gained_km2"].tolist() == [3, 4, 5]
    assert months["net_km2"].tolist() == [2, 4, 3]
    assert months["complete"].tolist() == [False, True, False]  # from 8 Jul; to 10 Sep


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.floats(0, 500), st.floats(0, 500)), min_size=1, max_size=40
    )
)
def test_monthly_sums_equal_the_series_sums(steps: list[tuple[int, float, float]]) -> None:
    days, day = [dt.date(2024, 1, 1)], dt.date(2024, 1, 1)
    for gap, _, _ in steps:
        day += dt.timedelta(days=gap)
        days.append(day)
    gained = [np.nan] + [g for _, g, _ in steps]
    lost = [np.nan] + [lo for _, _, lo in steps]
    months = monthly_changes(series("russian_control", gained, lost, days))
    assert months["gained_km2"].sum() == pytest.approx(sum(gained[1:]))
    assert months["lost_km2"].sum() == pytest.approx(sum(lost[1:]))
    assert months["month"].is_monotonic_increasing and months["month"].is_unique


def test_gains_chart_needs_two_dates(tmp_path: Path) -> None:
    frame = series("russian_control", [np.nan], [np.nan], [dt.date(2025, 1, 1)])
    with pytest.raises(ValidationError, match="gains need at least two dates"):
        gains_chart(frame, tmp_path / "g.png")


def test_share_chart_names_each_region_at_its_line_end(
    tmp_path: Path, sample_frames: dict[str, pd.DataFrame]
) -> None:
    frame = sample_frames["regions"]
    fig = share_chart(frame, size=(1000, 560))
    ends = [t for t in fig.axes[0].texts if t.get_gid() is None]  # not the sample's notice
    names = [t.get_text() for t in ends]
    shares = {c.removesuffix("_share_pct"): frame[c].iloc[-1] for c in frame.columns
              if c.endswith("_share_pct") and frame[c].max() >= 0.1}  # fmt: skip
    assert len(names) == len(shares) >= 3
    for slug, share in shares.items():
        assert f"{slug.replace('_', ' ').title()} {share:.1f}%" in names
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ends]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert fig.axes[0].get_ylim() == (0.0, 100.0)
    assert share_chart(frame, tmp_path / "share.svg").read_text("utf-8").count("%") > 3
    few = share_chart(frame, min_share_pct=101.0, size=SMALL)
    assert [t for t in few.axes[0].texts if t.get_gid() is None] == []
    with pytest.raises(ValidationError, match=r"pass regions= to geo\.timeseries"):
        share_chart(sample_frames["plain"], tmp_path / "s.png")


def test_charts_close_to_each_other_share_one_look(sample_frames: dict[str, pd.DataFrame]) -> None:
    frame = sample_frames["regions"]
    figs: list[Any] = [f(frame, size=SMALL) for f in (area_chart, gains_chart, share_chart)]
    for fig in figs:
        assert texts(fig, "title") == texts(figs[0], "title")
        assert fig.get_size_inches() * fig.dpi == pytest.approx(np.array(SMALL))


@pytest.mark.parametrize("chart", [area_chart, gains_chart, share_chart])
@pytest.mark.parametrize("lang", ["en", "uk"])
def test_every_chart_credits_the_data_and_the_area_method_only(
    chart: Any, lang: str, sample_frames: dict[str, pd.DataFrame]
) -> None:
    """A chart has no borders or projection: its source line names no map credits."""
    fig = chart(sample_frames["regions"], size=SMALL, lang=lang, attribution="Chart: me")
    data = "Data" if lang == "en" else "Дані"
    assert texts(fig, "credit") == [f"{data}: {SAMPLE_NOTICE} · Chart: me"]
    assert texts(fig, "note")[0].startswith("Areas: " if lang == "en" else "Площі: ")
    every = " ".join(t.get_text() for t in fig.findobj(Text))
    for map_word in ("Natural Earth", "projection", "проєкція", "Lambert", "Ламберта"):
        assert map_word not in every
