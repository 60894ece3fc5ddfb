"""Several sources in one store: which one holds a layer when (Store.pick_source, summary).

Also the two DeepState series on the real archives: the raw maps (``deepstate``) and the
daily export (``deepstate-daily``) ingest into one store side by side, both credited
"DeepStateMap.Live".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_snapshot

from geo.errors import SnapshotNotFoundError, StoreError
from geo.store import Store, open_store

ISW_DAYS = [dt.date(2023, 5, 1), dt.date(2023, 6, 1), dt.date(2023, 8, 21)]
RAW_DAYS = [dt.date(2024, 8, 5), dt.date(2024, 12, 19), dt.date(2025, 5, 1)]
DAILY_DAYS = [dt.date(2024, 7, 8), dt.date(2025, 1, 2), dt.date(2025, 6, 1)]


@pytest.fixture
def mixed(store_dir: Path) -> Store:
    """ISW in 2023; DeepState raw and daily overlapping from Aug 2024 to May 2025."""
    store = open_store(store_dir)
    store.ingest(
        [make_snapshot(date=day, source="isw") for day in ISW_DAYS]
        + [make_snapshot(date=day, source="deepstate") for day in RAW_DAYS]
        + [make_snapshot(date=day, source="deepstate-daily") for day in DAILY_DAYS]
        + [make_snapshot(date=RAW_DAYS[0], source="deepstate", layer="contested")]
    )
    return store


def test_the_only_source_holding_the_dates_is_picked_and_named(
    mixed: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="geo.store"):
        assert mixed.pick_source("russian_control", dt.date(2023, 7, 1)) == "isw"
        assert mixed.pick_source("russian_control", dt.date(2025, 6, 1)) == "deepstate-daily"
    assert [r.getMessage() for r in caplog.records] == [
        "using source 'isw' (the only one with russian_control on 2023-07-01)",
        "using source 'deepstate-daily' (the only one with russian_control on 2025-06-01)",
    ]
    # every date must fall in the source's range; None (an open end) is ignored
    assert mixed.pick_source("russian_control", dt.date(2023, 5, 1), None) == "isw"
    # the first and last stored dates are inside the range
    assert mixed.pick_source("russian_control", dt.date(2023, 8, 21)) == "isw"


def test_one_source_storing_a_layer_is_returned_without_a_note(
    mixed: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="geo.store"):
        # outside its range too: the read that follows says what is stored
        assert mixed.pick_source("contested", dt.date(2030, 1, 1)) == "deepstate"
    assert caplog.records == []
    with pytest.raises(SnapshotNotFoundError, match="no snapshots of layer 'liberated'"):
        mixed.pick_source("liberated")


def test_several_sources_holding_the_dates_are_listed_with_their_ranges(mixed: Store) -> None:
    with pytest.raises(StoreError) as info:
        mixed.pick_source("russian_control", dt.date(2025, 1, 2))
    assert not isinstance(info.value, SnapshotNotFoundError)
    text = str(info.value)
    assert "several sources hold layer 'russian_control' on 2025-01-02" in text
    assert "deepstate (2024-08-05 to 2025-05-01, 3 dates)" in text
    assert "deepstate-daily (2024-07-08 to 2025-06-01, 3 dates)" in text
    assert "isw" not in text.split(":", 1)[1]  # isw does not hold 2025: not listed
    assert text.endswith("pass source= to pick one")
    with pytest.raises(StoreError, match=r"several sources .*: deepstate \(.*isw \(2023-05-01"):
        mixed.pick_source("russian_control")  # no dates: every source holds "them"


def test_no_single_source_holding_every_date_is_a_clear_error(mixed: Store) -> None:
    with pytest.raises(SnapshotNotFoundError) as info:
        mixed.pick_source("russian_control", dt.date(2023, 6, 1), dt.date(2025, 6, 1))
    text = str(info.value)
    assert "no single source holds layer 'russian_control' on 2023-06-01 and 2025-06-01" in text
    for listed in ("deepstate (2024-08-05", "deepstate-daily (2024-07-08", "isw (2023-05-01"):
        assert listed in text
    with pytest.raises(SnapshotNotFoundError, match="no single source"):
        mixed.pick_source("russian_control", dt.date(2024, 1, 1))  # between the series


def test_get_and_series_pick_the_source_of_their_dates(
    mixed: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="geo.store"):
        snap = mixed.get("russian_control", dt.date(2023, 7, 1), exact=False)
        assert (snap.source, snap.date) == ("isw", dt.date(2023, 6, 1))
        series = mixed.series("russian_control", start=dt.date(2025, 5, 15))
        assert [(s.source, s.date) for s in series] == [
            ("deepstate-daily", dt.date(2025, 1, 2)),  # the state on the start date
            ("deepstate-daily", dt.date(2025, 6, 1)),
        ]
    assert "using source 'deepstate-daily'" in caplog.text
    with pytest.raises(StoreError, match="several sources hold layer 'russian_control' on"):
        mixed.get("russian_control", dt.date(2025, 1, 2))
    with pytest.raises(StoreError, match="several sources hold"):
        mixed.series("russian_control")
    # an explicit source is obeyed, even where another would be picked
    assert mixed.get("russian_control", dt.date(2025, 6, 1), source="deepstate", exact=False).date
    assert [s.source for s in mixed.series("russian_control", source="isw")] == ["isw"] * 3


def test_summary_is_one_row_per_source_and_layer(mixed: Store) -> None:
    rows = mixed.summary().to_dict("records")
    assert rows == [
        {"source": "deepstate", "layer": "contested", "first_date": RAW_DAYS[0],
         "last_date": RAW_DAYS[0], "n_dates": 1},
        {"source": "deepstate", "layer": "russian_control", "first_date": RAW_DAYS[0],
         "last_date": RAW_DAYS[-1], "n_dates": 3},
        {"source": "deepstate-daily", "layer": "russian_control", "first_date": DAILY_DAYS[0],
         "last_date": DAILY_DAYS[-1], "n_dates": 3},
        {"source": "isw", "layer": "russian_control", "first_date": ISW_DAYS[0],
         "last_date": ISW_DAYS[-1], "n_dates": 3},
    ]  # fmt: skip
    assert list(open_store(mixed.path.parent / "empty").summary().columns) == [
        "source", "layer", "first_date", "last_date", "n_dates",
    ]  # fmt: skip


# --- the real DeepState archives ---------------------------------------------------------


@pytest.mark.realdata
def test_raw_and_daily_deepstate_coexist(
    shared_path: Callable[..., Path], store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from geo.geometry import geodesic_area_km2
    from geo.io import read_many
    from geo.publishers import credit_line

    daily_dir = shared_path("control", "deepstate", "daily")
    raw_dir = shared_path("control", "deepstate-raw", "kursk-2024-2025")
    daily = [daily_dir / f"deepstatemap_data_202408{d:02d}.geojson.gz" for d in (6, 7, 8)]
    daily.append(daily_dir / "deepstatemap_data_20250601.geojson.gz")
    # raw maps of 6 and 7 Aug and 5 Sep 2024
    raw = [raw_dir / f"{i}.geojson.gz" for i in (1722977162, 1723059640, 1725566785)]
    store = open_store(store_dir)
    first = store.ingest(read_many(raw).snapshots)  # raw first, then the daily export
    second = store.ingest(read_many(daily).snapshots)
    assert len(second.added) == 4 and not second.replaced and first.added
    assert store.sources() == ["deepstate", "deepstate-daily"]
    assert store.dates("russian_control", source="deepstate") == [
        dt.date(2024, 8, 6), dt.date(2024, 8, 7), dt.date(2024, 9, 5),
    ]  # fmt: skip
    assert credit_line(store.sources()) == "Data: DeepStateMap.Live"
    # Why two series: the export of day D is the raw map of the evening before, minus
    # Tuzla Island (4.4 km², shared/data/README.md), so one date's contents never agree.
    raw_7 = store.get("russian_control", dt.date(2024, 8, 7), source="deepstate").geometry
    daily_7 = store.get("russian_control", dt.date(2024, 8, 7), source="deepstate-daily").geometry
    daily_8 = store.get("russian_control", dt.date(2024, 8, 8), source="deepstate-daily").geometry
    assert 3.5 < geodesic_area_km2(raw_7.symmetric_difference(daily_8)) < 5.5
    assert geodesic_area_km2(raw_7.symmetric_difference(daily_7)) > 5.5
    with pytest.raises(StoreError, match=r"several sources .*deepstate \(2024-08-06 to"):
        store.get("russian_control", dt.date(2024, 8, 7))
    with caplog.at_level(logging.INFO, logger="geo.store"):
        late = store.get("russian_control", dt.date(2025, 6, 1))
    assert late.source == "deepstate-daily"
    assert "only one with russian_control on 2025-06-01" in caplog.text
    # Kursk ground exists only in the raw maps: one source, no choice to make
    kursk = store.get("ukrainian_control_russia", dt.date(2024, 9, 5))
    assert kursk.source == "deepstate" and kursk.area_km2 > 500
