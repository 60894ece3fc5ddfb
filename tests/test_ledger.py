"""The per-place ledger: synthetic stores with known answers, and the real archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from click.testing import CliRunner
from conftest import BASE_DATE, make_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.cli import cli
from geo.errors import StoreError, ValidationError
from geo.gazetteer import load_gazetteer
from geo.ledger import PLACE_COLUMNS, SUMMARY_COLUMNS, ledger, points_inside, write_table
from geo.store import Store, open_store


def day(i: int) -> dt.date:
    return BASE_DATE + dt.timedelta(days=i)


def tsv_row(gid: int, name: str, lon: float, *, pop: int = 0) -> str:
    fields = [str(gid), name, name, "", "48.25", str(lon), "P", "PPL", "UA", "", "05",
              "", "", "", str(pop), "", "", "Europe/Kyiv", "2026-01-01"]  # fmt: skip
    return "\t".join(fields)


@pytest.fixture
def gaz_file(tmp_path: Path) -> Path:
    """Places on the 48.25° N line at 37.05, 37.15, ... 37.95 (ids 100..109) and one far away."""
    path = tmp_path / "UA.txt"
    rows = [tsv_row(100 + k, f"Place{k}", 37.05 + 0.1 * k, pop=100 * (k + 1)) for k in range(10)]
    rows.append(tsv_row(300, "Far", 30.0))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def control(east: float, i: int, source: str = "a") -> object:
    return make_snapshot(box(37.0, 48.0, east, 48.5), i, source=source)


def grey(west: float, east: float, i: int, source: str = "a") -> object:
    return make_snapshot(box(west, 48.0, east, 48.5), i, source=source, layer="contested")


@pytest.fixture
def store(store_dir: Path) -> Store:
    """Source a: the line moves 37.3 -> 37.5 -> 37.2 -> 37.6 on days 0, 2, 5, 6 (then day 9).

    Place1 (37.15) is held throughout; Place3 (37.35) and Place4 change on days 2, 5, 6;
    Place2 on 5 and 6; Place5 (37.55) on day 6; the grey zone covers Place5 on days
    2..5 (stored on 2 and 6).
    """
    st_ = open_store(store_dir)
    st_.ingest(
        [
            control(37.3, 0),
            control(37.5, 2),
            control(37.2, 5),
            control(37.6, 6),
            control(37.6, 9),
            grey(37.5, 37.6, 2),
            grey(37.9, 38.0, 6),
        ]
    )
    return st_


def test_ledger_counts_changes_days_and_grey_zone(store: Store, gaz_file: Path) -> None:
    result = ledger(store, gazetteer=gaz_file)
    assert result.layers == ("russian_control", "contested")
    assert result.dates["a"] == [day(0), day(2), day(5), day(6), day(9)]
    summary = result.summary.set_index("geonames_id")
    assert list(result.summary.columns) == [*PLACE_COLUMNS, *SUMMARY_COLUMNS]
    p3 = summary.loc[103]
    assert p3["n_changes"] == 3
    assert (p3["first_change"], p3["last_change"]) == (day(2), day(6))
    # inside on days 2 (until 5) and 6 .. 9: 3 + 3 + 1 days
    assert p3["days_held"] == 7
    assert summary.loc[101, "n_changes"] == 0 and summary.loc[101, "days_held"] == 10
    assert summary.loc[101, "first_change"] is None
    p5 = summary.loc[105]
    assert p5["n_changes"] == 1 and p5["first_change"] == day(6)
    assert p5["days_contested"] == 4  # days 2 .. 5
    assert summary.loc[300, "days_held"] == 0 and summary.loc[300, "days_contested"] == 0
    assert pd.isna(p5["n_disagreements"])  # one source
    assert summary.loc[104, "n_changes"] == 3 and summary.loc[102, "n_changes"] == 2
    assert result.summary["geonames_id"].iloc[0] == 104  # most changes, then largest first


def test_intervals_are_the_status_losslessly(store: Store, gaz_file: Path) -> None:
    result = ledger(store, gazetteer=gaz_file)
    runs = result.intervals()
    for (source, layer), matrix in result.inside.items():
        dates = result.dates[source]
        rebuilt = np.zeros_like(matrix)
        own = runs[(runs["source"] == source) & (runs["layer"] == layer)]
        column = {gid: j for j, gid in enumerate(result.places["geonames_id"])}
        for row in own.to_dict("records"):
            rows = [i for i, d in enumerate(dates) if row["start"] <= d <= row["end"]]
            rebuilt[rows, column[row["geonames_id"]]] = row["inside"]
        assert (rebuilt == matrix).all()
        # every place's runs cover every date exactly once
        assert own.groupby("geonames_id").size().min() >= 1
    p3 = runs[(runs["geonames_id"] == 103) & (runs["layer"] == "russian_control")]
    assert p3[["start", "end", "inside"]].values.tolist() == [
        [day(0), day(0), False], [day(2), day(2), True],
        [day(5), day(5), False], [day(6), day(9), True],
    ]  # fmt: skip
    status = result.status("a")
    assert status.loc[day(2), 103] and not status.loc[day(5), 103]


def test_sources_disagree(store: Store, gaz_file: Path) -> None:
    store.ingest([control(37.3, 2, "b"), control(37.6, 6, "b"), control(37.6, 7, "b")])
    result = ledger(store, gazetteer=gaz_file)
    assert result.sources == ["a", "b"]
    summary = result.summary.set_index(["geonames_id", "source"])
    # common dates 2 and 6: on day 2 a holds Place3 and Place4, b does not
    assert summary.loc[(103, "b"), "n_disagreements"] == 1
    assert summary.loc[(103, "a"), "first_disagreement"] == day(2)
    assert summary.loc[(101, "a"), "n_disagreements"] == 0
    rows = result.disagreements()
    assert rows[["geonames_id", "date"]].values.tolist() == [[103, day(2)], [104, day(2)]]
    assert rows["a"].tolist() == [True, True] and rows["b"].tolist() == [False, False]
    only_b = ledger(store, gazetteer=gaz_file, sources=["b"])
    assert only_b.sources == ["b"] and only_b.layers == ("russian_control",)
    assert only_b.summary["days_contested"].isna().all()


def test_one_date_and_no_common_date(store: Store, gaz_file: Path) -> None:
    """A source with one stored date, none shared with the other: no change, no dispute."""
    store.ingest([control(37.6, 1, "b")])  # day 1: stored by b only
    result = ledger(store, gazetteer=gaz_file)
    summary = result.summary.set_index(["geonames_id", "source"])
    assert (summary.xs("b", level="source")["n_changes"] == 0).all()
    assert summary.loc[(105, "b"), "inside_last"]  # Place5 (37.55) inside b's one map
    assert (summary["n_disagreements"] == 0).all()
    assert summary["first_disagreement"].isna().all()
    assert result.disagreements().empty


def test_filters_and_errors(store: Store, gaz_file: Path, store_dir: Path) -> None:
    result = ledger(store, gazetteer=load_gazetteer(gaz_file), min_population=500)
    assert set(result.places["geonames_id"]) == {104, 105, 106, 107, 108, 109}
    with pytest.raises(StoreError, match="no source stores layer 'liberated'"):
        ledger(store, gazetteer=gaz_file, layers=["liberated"])


@st.composite
def boxes_and_points(draw: st.DrawFn) -> tuple[list[object], np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 8))
    snaps = []
    for i in range(n):
        parts = []
        for _ in range(draw(st.integers(0, 3))):
            x, y = draw(st.floats(36.0, 38.0)), draw(st.floats(47.0, 49.0))
            w, h = draw(st.floats(0.01, 1.0)), draw(st.floats(0.01, 1.0))
            parts.append(box(x, y, x + w, y + h))
        geometry = shapely.union_all(parts) if parts else None
        snaps.append(make_snapshot(geometry, i))
        if draw(st.booleans()) and i:  # sometimes the same map again
            snaps[-1] = make_snapshot(list(snaps[-2].features.geometry), i)
    xs = np.array(draw(st.lists(st.floats(35.9, 39.1), min_size=1, max_size=60)))
    ys = np.array(draw(st.lists(st.floats(46.9, 50.1), min_size=len(xs), max_size=len(xs))))
    return snaps, xs, ys


@settings(max_examples=60, deadline=None)
@given(boxes_and_points())
def test_points_inside_equals_a_plain_loop(
    case: tuple[list[object], np.ndarray, np.ndarray],
) -> None:
    snaps, xs, ys = case
    matrix = points_inside(snaps, xs, ys)
    for i, snap in enumerate(snaps):
        geometry = snap.geometry  # type: ignore[attr-defined]
        expected = [geometry.contains(shapely.Point(x, y)) for x, y in zip(xs, ys, strict=True)]
        assert matrix[i].tolist() == expected


def test_write_tables(store: Store, gaz_file: Path, tmp_path: Path) -> None:
    result = ledger(store, gazetteer=gaz_file)
    csv = write_table(result.summary, tmp_path / "s.csv")
    back = pd.read_csv(csv)
    assert back.shape == result.summary.shape
    assert back.loc[back["geonames_id"] == 103, "first_change"].item() == day(2).isoformat()
    parquet = write_table(result.intervals(), tmp_path / "i.parquet")
    table = pq.read_table(parquet)
    assert table.num_rows == len(result.intervals())
    assert b"GeoNames" in table.schema.metadata[b"geo.attribution"]
    with pytest.raises(ValidationError, match=r"\.csv or \.parquet"):
        write_table(result.summary, tmp_path / "s.xlsx")


def test_csv_cells_from_the_gazetteer_never_run_as_formulas(store: Store, tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x.example","Place3")'
    gaz = tmp_path / "UA.txt"
    gaz.write_text(tsv_row(103, evil, 37.35) + "\n" + tsv_row(104, "@SUM(1)", 37.45) + "\n",
                   encoding="utf-8")  # fmt: skip
    result = ledger(store, gazetteer=gaz)
    back = pd.read_csv(write_table(result.summary, tmp_path / "s.csv"))
    assert sorted(back["name"]) == ["'" + evil, "'@SUM(1)"]
    assert sorted(result.summary["name"]) == [evil, "@SUM(1)"], "the frame keeps the names"
    table = pq.read_table(write_table(result.summary, tmp_path / "s.parquet"))
    assert sorted(table.column("name").to_pylist()) == [evil, "@SUM(1)"], "Parquet keeps them"


def test_cli_ledger(store: Store, gaz_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        cli,
        [
            "ledger", "--store", str(store.path), "--gazetteer", str(gaz_file),
            "-o", str(tmp_path / "s.parquet"), "--intervals", str(tmp_path / "i.csv"),
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "a: 5 dates" in out.stdout and "4 changed hands, 3 more than once" in out.stdout
    assert "3 changes  Place4" in out.stdout and "GeoNames" in out.stdout
    assert (tmp_path / "s.parquet").exists() and (tmp_path / "i.csv").exists()
    out = runner.invoke(
        cli, ["ledger", "--store", str(store.path), "--gazetteer", str(gaz_file), "--json"]
    )
    rows = json.loads(out.stdout)
    assert rows[0]["geonames_id"] == 104 and rows[0]["first_change"] == day(2).isoformat()
    assert rows[0]["n_disagreements"] is None and rows[-1]["population"] is None


@pytest.mark.realdata
def test_real_ledger_of_the_deepstate_archive(deepstate_daily_store, shared_path) -> None:  # type: ignore[no-untyped-def]
    from geo.places import places_changed

    store = deepstate_daily_store
    gaz = load_gazetteer(shared_path("places", "geonames-UA.txt.gz"))
    result = ledger(store, gazetteer=gaz)
    matrix = result.inside[("deepstate-daily", "russian_control")]
    assert matrix.shape == (769, len(gaz))
    # independent: shapely's scalar contains on a sample of places and dates
    rng = np.random.default_rng(11)
    changed = np.flatnonzero(matrix.any(axis=0) & ~matrix.all(axis=0))
    columns = np.concatenate([rng.choice(len(gaz), 150, replace=False), changed[:150]])
    rows = rng.choice(769, 25, replace=False)
    places = result.places
    for i in rows:
        geometry = store.get("russian_control", result.dates["deepstate-daily"][i]).geometry
        for j in columns:
            point = shapely.Point(places.loc[j, "lon"], places.loc[j, "lat"])
            assert matrix[i, j] == geometry.contains(point)
    # the first and last dates agree with geo.places (bisection, another code path)
    first, last = result.dates["deepstate-daily"][0], result.dates["deepstate-daily"][-1]
    moved = places_changed(store, "russian_control", first, last, gazetteer=gaz)
    summary = result.summary.set_index("geonames_id")
    ends_differ = summary.index[summary["inside_first"] != summary["inside_last"]]
    assert set(moved["geonames_id"]) == set(ends_differ)
    once = moved[moved["geonames_id"].map(summary["n_changes"]) == 1]
    assert len(once) > 300
    assert (once["first_seen"].to_numpy() == once["geonames_id"].map(summary["first_change"])).all()
    # places that changed hands more than once: rarer, and never fewer changes than ends differ
    assert (summary["n_changes"] >= (summary["inside_first"] != summary["inside_last"])).all()
    assert 500 <= int((summary["n_changes"] > 0).sum()) <= 600
