"""Day-to-day sanity checks: repeats, stale snapshots and jumps, synthetic and real."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from conftest import BASE_DATE, make_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.cli import cli
from geo.sanity import JUMP_Z, check_catalog, check_steps, geometry_digest, robust_z
from geo.stats import timeseries
from geo.store import open_store


def days(n: int) -> list[dt.date]:
    return [BASE_DATE + dt.timedelta(days=i) for i in range(n)]


def test_robust_z_uses_median_and_mad() -> None:
    z = robust_z([1.0, 2.0, 3.0, 2.0, 40.0, np.nan])
    assert z[1] == 0 and np.isnan(z[5])
    assert z[4] == pytest.approx(38 / 1.4826)
    # MAD 0 (most values equal): the mean absolute deviation sets the scale
    z = robust_z([5.0, 5.0, 5.0, 5.0, 9.0])
    assert z[4] == pytest.approx(4 / (1.2533 * 0.8))
    assert robust_z([3.0, 3.0, 3.0]).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(robust_z([np.nan, np.nan])).all()


def test_check_steps_flags_repeat_stale_and_jump() -> None:
    rng = np.random.default_rng(7)
    n = 40
    net = list(5 + rng.normal(0, 1, n))
    keys = [f"s{i}" for i in range(n)]
    keys[10] = keys[9]  # the publisher did not update: a repeat
    net[10] = 0.0
    keys[20] = keys[15]  # an old map again, not the previous one: stale
    net[30] = 60.0  # far outside ~5 ± 1 a day
    frame = check_steps(days(n), net, keys)
    flags = dict(zip(frame["date"], frame["flags"], strict=True))
    assert flags[days(n)[10]] == "repeat"
    assert flags[days(n)[20]].startswith("stale") and frame["same_as"][20] == days(n)[15]
    assert "jump" in flags[days(n)[30]] and frame["net_z"][30] > JUMP_Z
    flagged = {d for d, f in flags.items() if f}
    assert flagged <= {days(n)[i] for i in (10, 20, 21, 30)}  # 21 may jump back from stale
    assert frame["days_of_change"].isna()[[0, 10]].all()


def test_a_late_file_is_spread_over_the_days_it_covers() -> None:
    """A repeat, then two days of change at once: 2 a day, not a jump."""
    n = 30
    net = [2.0] * n
    keys = [f"s{i}" for i in range(n)]
    keys[12], net[12], net[13] = keys[11], 0.0, 4.0
    frame = check_steps(days(n), net, keys)
    assert frame["days_of_change"][13] == 2
    assert frame["flags"][13] == ""
    # without the repeat the same 4 km² in one day is twice the usual rate, still no jump,
    # but 40 km² is
    net[13] = 40.0
    assert "jump" in check_steps(days(n), net, keys)["flags"][13]


def test_gross_change_catches_a_redraw_with_no_net_change() -> None:
    n = 30
    net, gross = [1.0] * n, [3.0 + 0.1 * (i % 3) for i in range(n)]
    gross[17] = 300.0  # a region redrawn: gains and losses cancel
    frame = check_steps(days(n), net, [str(i) for i in range(n)], gross_km2=gross)
    assert frame["flags"][17] == "jump" and np.isfinite(frame["gross_z"][17])


def test_a_fast_phase_is_not_all_jumps_but_its_outlier_is() -> None:
    """Calm weeks then a fast-moving phase (2022-like): only the phase's own outlier jumps."""
    rng = np.random.default_rng(5)
    calm = list(rng.normal(2, 0.5, 60))
    fast = list(rng.normal(60, 25, 40))
    fast[20] = 2000.0
    net = [0.0, *calm, *fast]
    frame = check_steps(days(len(net)), net, [str(i) for i in range(len(net))])
    jumps = [i for i, f in enumerate(frame["flags"]) if "jump" in f]
    assert jumps == [1 + 60 + 20]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=8, max_size=40),
    st.floats(0.1, 1000),
    st.integers(0, 1000),
)
def test_flags_do_not_depend_on_units(values: list[float], scale: float, seed: int) -> None:
    n = len(values) + 1
    net = [0.0, *values]
    keys = [str(i) for i in range(n)]
    a = check_steps(days(n), net, keys)["flags"].tolist()
    b = check_steps(days(n), [v * scale for v in net], keys)["flags"].tolist()
    assert a == b


def test_geometry_digest_ignores_date_and_attributes() -> None:
    a = make_snapshot(box(37, 48, 37.5, 48.5), 0, labels=["x"])
    b = make_snapshot(box(37, 48, 37.5, 48.5), 5, labels=["y"])
    c = make_snapshot(box(37, 48, 37.5, 48.6), 5)
    assert geometry_digest(a) == geometry_digest(b) != geometry_digest(c)
    assert a.content_hash != b.content_hash


@pytest.fixture
def flagged_store(store_dir: Path):  # type: ignore[no-untyped-def]
    """30 days of 0.001-0.003° growth, a repeat on day 8, an old map on day 20, a jump on 25."""
    rng = np.random.default_rng(3)
    east = list(37.3 + np.cumsum(rng.uniform(0.001, 0.003, 30)))
    east[8] = east[7]
    east[20] = east[12]
    east[25:] = [e + 0.3 for e in east[25:]]
    snaps = [make_snapshot(box(37.0, 48.0, e, 48.5), i) for i, e in enumerate(east)]
    store = open_store(store_dir)
    store.ingest(snaps)
    return store


def test_timeseries_carries_the_checks(flagged_store) -> None:  # type: ignore[no-untyped-def]
    frame = timeseries(flagged_store, "russian_control")
    flags = dict(zip(frame["date"], frame["flags"], strict=True))
    day = days(30)
    assert flags[day[8]] == "repeat"
    assert "stale" in flags[day[20]] and frame.loc[20, "same_as"] == day[12]
    assert "jump" in flags[day[25]]
    checks = frame.attrs["checks"]
    assert checks["counts"] == {
        "repeat": 1,
        "stale": 1,
        "jump": sum("jump" in f for f in flags.values()),
    }
    assert {item["date"] for item in checks["flagged"]} >= {
        day[20].isoformat(),
        day[25].isoformat(),
    }
    assert "flags" not in timeseries(flagged_store, "russian_control", check=False).columns


def test_catalog_check_agrees_with_the_series(flagged_store) -> None:  # type: ignore[no-untyped-def]
    rows = check_catalog(flagged_store)
    series = timeseries(flagged_store, "russian_control")
    assert rows["flags"].tolist() == series["flags"].tolist()
    assert rows["same_as"][20] == days(30)[12]


def test_cli_list_check_and_stats_summary(flagged_store) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    store = str(flagged_store.path)
    out = runner.invoke(cli, ["list", "--store", store, "--check"])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if days(30)[20].isoformat() in x)
    assert f"stale (same as {days(30)[12]})" in line
    out = runner.invoke(cli, ["list", "--store", store, "--check", "--json"])
    records = json.loads(out.output)
    assert records[25]["flags"] == "jump" and records[25]["net_z"] > JUMP_Z
    assert records[8]["flags"] == "repeat" and records[0]["net_km2"] is None
    out = runner.invoke(cli, ["stats", "--store", store, "--layer", "russian_control"])
    assert out.exit_code == 0
    assert "checks: 1 repeated, 1 stale" in out.stderr
    assert f"{days(30)[20]} stale" in out.stderr
    header = out.stdout.splitlines()[0].split(",")
    assert {"net_z", "gross_z", "same_as", "flags"} <= set(header)


@pytest.mark.realdata
def test_real_deepstate_archive_has_repeats_but_no_stale_day(deepstate_daily_store) -> None:  # type: ignore[no-untyped-def]
    store = deepstate_daily_store
    frame = timeseries(store, "russian_control")
    # independently: compare the stored features' WKB date by date
    wkb = [
        b"".join(shapely.to_wkb(g) for g in store.get("russian_control", d).features.geometry)
        for d in frame["date"]
    ]
    repeats = sum(a == b for a, b in itertools.pairwise(wkb))
    seen: dict[bytes, int] = {}
    stale = 0
    for i, key in enumerate(wkb):
        stale += key in seen and wkb[i - 1] != key
        seen.setdefault(key, i)
    counts = frame.attrs["checks"]["counts"]
    assert counts["repeat"] == repeats == 113
    assert counts["stale"] == stale == 0
    # jumps: the same rule on the catalog's geodesic areas, an independent path
    rows = store.snapshots(layer="russian_control")
    area = rows["area_km2"].to_numpy()
    ds = [d.toordinal() for d in rows["date"]]
    steps = []
    for i in range(1, len(ds)):
        if wkb[i] == wkb[i - 1]:
            continue
        run_start = ds[i - 1]
        j = i - 1
        while j > 0 and wkb[j] == wkb[j - 1]:
            j -= 1
            run_start = ds[j]
        steps.append((rows["date"][i], (area[i] - area[i - 1]) / (ds[i] - run_start)))
    rate = np.array([r for _, r in steps])

    def z_against(others: np.ndarray, value: float) -> float:
        med = np.median(others)
        return float((value - med) / (1.4826 * np.median(np.abs(others - med))))

    expected = set()
    for k, (date, value) in enumerate(steps):
        near = np.concatenate([rate[max(0, k - 15) : k], rate[k + 1 : k + 16], [value]])
        if min(abs(z_against(rate, value)), abs(z_against(near, value))) > JUMP_Z:
            expected.add(date)
    found = set(frame.loc[frame["flags"].str.contains("jump"), "date"])
    assert found == expected
    assert found == {dt.date(2025, 5, 25), dt.date(2025, 7, 4), dt.date(2026, 8, 13)}


def test_features_digest_is_the_snapshots_geometry_digest(tmp_path: Path) -> None:
    from geo.sanity import features_digest

    snap = make_snapshot([box(30, 48, 31, 49), box(30.5, 48.5, 32, 50)])
    assert features_digest(snap.features.geometry.values) == geometry_digest(snap)
    store = open_store(tmp_path / "s")
    store.ingest([snap])
    series = store.read_series("russian_control", progress=False)
    assert features_digest(series.features(0)) == geometry_digest(store.get(snap.layer, snap.date))
    assert features_digest([]) == geometry_digest(make_snapshot(None))


def test_check_steps_lengths_must_match() -> None:
    # a programming slip gets geo's own error, which says the three lengths
    import datetime as dt

    from geo.errors import ValidationError
    from geo.sanity import check_steps

    with pytest.raises(ValidationError, match=r"differ in length \(2, 1, 2\)"):
        check_steps([dt.date(2025, 1, 1), dt.date(2025, 1, 2)], [0.0], ["a", "b"])
