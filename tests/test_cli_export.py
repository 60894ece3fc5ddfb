"""The ``geo chart`` and ``geo animate`` commands, and ``geo map --png --size --lang``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import imageio.v2 as iio
import matplotlib.image
import pytest
from click.testing import CliRunner
from PIL import Image

from geo.cli import cli
from geo.sample import sample_dir, sample_regions_file


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("store")
    assert (
        run("ingest", str(sample_dir()), "--store", str(store), "--source", "sample").exit_code == 0
    )
    return store


def test_chart_each_kind(tmp_path: Path, sample_store: Path) -> None:
    base = ["chart", "--store", str(sample_store), "--layer", "russian_control"]
    for kind in ("area", "gains", "share"):
        out = tmp_path / f"{kind}.png"
        regions = ["--regions", str(sample_regions_file())] if kind == "share" else []
        result = run(base[0], kind, *base[1:], *regions, "--size", "900x500", "-o", str(out))
        assert result.exit_code == 0, (kind, result.output)
        assert result.stdout.strip() == str(out)
        assert matplotlib.image.imread(out).shape[:2] == (500, 900)
    svg = tmp_path / "gains.svg"
    assert run(*base[:1], "gains", *base[1:], "--lang", "uk", "-o", str(svg)).exit_code == 0
    text = svg.read_text(encoding="utf-8")
    assert "Просування Росії" in text and "SYNTHETIC SAMPLE DATA" in text


def test_chart_refuses_what_it_cannot_draw(tmp_path: Path, sample_store: Path) -> None:
    base = ["chart", "share", "--store", str(sample_store), "--layer", "russian_control"]
    no_regions = CliRunner().invoke(cli, [*base, "-o", str(tmp_path / "s.png")])
    assert no_regions.exit_code == 2 and "pass --regions FILE" in no_regions.output
    bad_size = CliRunner().invoke(cli, ["chart", "area", *base[2:], "--size", "big",
                                        "-o", str(tmp_path / "a.png")])  # fmt: skip
    assert bad_size.exit_code == 2 and "give WIDTHxHEIGHT" in bad_size.output
    jpg = CliRunner().invoke(cli, ["chart", "area", *base[2:], "-o", str(tmp_path / "a.jpg")])
    assert jpg.exit_code == 1
    problem = "unsupported file type .jpg; use .png or .svg"
    assert jpg.output == f"error: cannot write {tmp_path / 'a.jpg'}: {problem}\n"
    assert not list(tmp_path.iterdir())


def test_animate_gif_and_mp4(tmp_path: Path, sample_store: Path) -> None:
    base = ["animate", "--store", str(sample_store), "--layer", "russian_control"]
    gif = tmp_path / "sample.gif"
    result = run(*base, "--size", "480x270", "--fps", "4", "-o", str(gif))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(gif)
    image = Image.open(gif)
    assert image.size == (480, 270) and image.n_frames == 5 + 8  # 5 dates, 2 s held at 4 fps
    mp4 = tmp_path / "sample.mp4"
    result = run(*base, "--every", "month", "--lang", "uk", "--start", "2024-10-01", "-o", str(mp4))
    assert result.exit_code == 0, result.output
    reader = iio.get_reader(mp4)
    assert tuple(reader.get_meta_data()["size"]) == (1280, 720)
    assert reader.count_frames() == 4 + 4  # 15 Sep (the state on 1 Oct) to 15 Mar; 2 s at 2 fps
    reader.close()


def test_animate_errors_speak_in_flags(tmp_path: Path, sample_store: Path) -> None:
    base = ["animate", "--store", str(sample_store), "--layer", "russian_control"]
    odd = CliRunner().invoke(cli, [*base, "--size", "641x360", "-o", str(tmp_path / "x.mp4")])
    assert odd.exit_code == 1 and "MP4 and WebM need even sizes" in odd.output
    jobs = CliRunner().invoke(cli, [*base, "--jobs", "-2", "-o", str(tmp_path / "x.gif")])
    assert jobs.exit_code == 1 and "--jobs -2" not in jobs.output and "jobs" in jobs.output
    missing = CliRunner().invoke(
        cli, [*base[:3], "--layer", "nothing", "-o", str(tmp_path / "x.gif")]
    )
    assert missing.exit_code == 1 and "no snapshots of layer 'nothing'" in missing.output
    assert not list(tmp_path.iterdir())


def test_map_png_takes_size_and_language(tmp_path: Path, sample_store: Path) -> None:
    base = ["map", "--store", str(sample_store), "--layer", "russian_control", "--tiles", "none"]
    png = tmp_path / "diff.png"
    result = run(*base, "--from", "2024-08-15", "--to", "2025-03-15", "--png", str(png),
                 "--size", "1000x600", "--lang", "uk")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert matplotlib.image.imread(png).shape[:2] == (600, 1000)
    svg = tmp_path / "diff.svg"
    run(*base, "--from", "2024-08-15", "--to", "2025-03-15", "--png", str(svg), "--lang", "uk")
    text = svg.read_text(encoding="utf-8")
    assert "Територія під контролем Росії" in text and "Просування Росії" in text


def test_map_png_names_the_places_that_changed_hands(tmp_path: Path, sample_store: Path) -> None:
    gazetteer = tmp_path / "UA.txt"
    rows = [  # GeoNames columns; a made-up town the sample's front reaches in 2025
        ["1", "Sampleville", "Sampleville", "", "48.0", "37.6", "P", "PPL", "UA", "", "05", "",
         "", "", "5000", "", "", "Europe/Kyiv", "2024-01-01"],
    ]  # fmt: skip
    gazetteer.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    svg = tmp_path / "diff.svg"
    result = run("map", "--store", str(sample_store), "--layer", "russian_control",
                 "--from", "2024-08-15", "--to", "2025-03-15", "--gazetteer", str(gazetteer),
                 "--png", str(svg))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Sampleville" in svg.read_text(encoding="utf-8")
    assert json.dumps("Places that changed hands")[1:-1] in svg.read_text(encoding="utf-8")
