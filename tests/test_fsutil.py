"""Atomic writes: a file that cannot be written is one clear OutputError, the old file kept."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.errors import GeoError, OutputError
from geo.fsutil import write_atomic, write_text_atomic


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    target = tmp_path / "notes.txt" / "map.html"
    with pytest.raises(OutputError, match=r"notes\.txt is a file, not a folder") as info:
        write_text_atomic(target, "<html>")
    assert isinstance(info.value, GeoError) and isinstance(info.value, OSError)
    assert info.value.path == str(target) and info.value.reason
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_target_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match=r"cannot write .*out: .*it is a folder"):
        write_text_atomic(tmp_path / "out", "x")
    assert list((tmp_path / "out").iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary file left


def test_failing_writer_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "t.bin"
    target.write_bytes(b"old")

    def broken(handle: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device; pass a path in a folder"):
        write_atomic(target, broken)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["t.bin"]


def test_map_to_an_unwritable_path_is_one_clear_line(tmp_path: Path, store_dir: Path) -> None:
    from geo.sample import sample_dir

    runner = CliRunner()
    ingest = ["ingest", str(sample_dir()), "--store", str(store_dir), "--source", "sample"]
    assert runner.invoke(cli, ingest).exit_code == 0
    (tmp_path / "notes.txt").write_text("mine")
    out = tmp_path / "notes.txt" / "map.html"
    args = ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none"]
    result = runner.invoke(cli, [*args, "--date", "2025-03-15", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: cannot write ") and result.output.count("\n") == 1
    assert "is a file, not a folder" in result.output and "Traceback" not in result.output
    csv = tmp_path / "notes.txt" / "series.csv"
    stats = runner.invoke(
        cli, ["stats", "--store", str(store_dir), "--layer", "russian_control", "-o", str(csv)]
    )
    assert stats.exit_code == 1 and "is a file, not a folder" in stats.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_link_to_a_file_updates_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "data" / "map.html"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.html"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["map.html"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_target_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_text_atomic(fifo, "a,b\n")
    reader.join(30)
    assert got == [b"a,b\n"] and stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO
