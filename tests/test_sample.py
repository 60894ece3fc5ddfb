"""The bundled synthetic sample: regenerable, complete, and honest about itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geo.io import read_many
from geo.sample import (
    SAMPLE_DATES,
    SAMPLE_REGIONS,
    build_sample,
    sample_control_files,
    sample_dir,
    sample_regions_file,
)


def test_bundled_files_match_the_generator(tmp_path: Path) -> None:
    written = build_sample(tmp_path / "sample")
    bundled = [*sample_dir().glob("*.geojson"), sample_regions_file()]
    assert {p.name for p in written} == {p.name for p in bundled}
    for path in written:
        twin = next(p for p in bundled if p.name == path.name)
        assert path.read_bytes() == twin.read_bytes(), (
            f"{path.name} is stale: run python scripts/make_sample.py"
        )


def test_sample_folder_ingests_as_is() -> None:
    result = read_many([sample_dir()], source="sample")
    assert not result.problems
    assert result.n_files == len(SAMPLE_DATES)


def test_sample_covers_dates_layers_regions() -> None:
    result = read_many(sample_control_files(), source="sample")
    assert not result.problems
    assert {s.date for s in result.snapshots} == set(SAMPLE_DATES)
    assert {s.layer for s in result.snapshots} == {
        "russian_control", "russian_advance", "contested", "ukrainian_control_russia",
    }  # fmt: skip
    assert set(SAMPLE_REGIONS) == {"Kursk", "Kherson", "Zaporizhzhia", "Donetsk", "Luhansk"}
    # At least one invalid polygon that hygiene repairs.
    assert sum(s.hygiene.n_invalid_repaired for s in result.snapshots) >= 1


def test_kursk_salient_grows_then_shrinks() -> None:
    result = read_many(sample_control_files(), source="sample")
    salient = {
        s.date: s.area_km2 for s in result.snapshots if s.layer == "ukrainian_control_russia"
    }
    areas = [salient[d] for d in sorted(salient)]
    peak = areas.index(max(areas))
    assert 0 < peak < len(areas) - 1
    assert areas[-1] < areas[0]


def test_control_grows_over_time() -> None:
    result = read_many(sample_control_files(), source="sample")
    control = {s.date: s.area_km2 for s in result.snapshots if s.layer == "russian_control"}
    assert control[dt.date(2025, 3, 15)] > control[dt.date(2024, 8, 15)] > 0


@pytest.mark.parametrize("path", sample_control_files(), ids=lambda p: p.name)
def test_every_sample_file_says_synthetic(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE DATA" in text
    assert '"synthetic": true' in text
