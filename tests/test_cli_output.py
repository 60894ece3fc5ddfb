"""Nothing from data reaches the terminal raw: names, notes and errors are escaped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from shapely.geometry import box, mapping

from geo.cli import cli
from geo.cli_output import safe_json, safe_text

TITLE = "\x1b]0;pwned\x07"  # retitles the terminal
CLEAR = "\x1b[2J"  # clears the screen
CSI = "\x9b31m"  # the one-byte C1 CSI
RAW = ("\x1b", "\x07", "\x9b", "\r")


def hostile_file(folder: Path) -> Path:
    path = folder / f"evil{TITLE}{CLEAR}_2024-07-01.geojson"
    feature = {
        "type": "Feature",
        "properties": {"layer": f"evil{CLEAR}{CSI}\rlayer", "name": f"x{TITLE}"},
        "geometry": mapping(box(37, 48, 37.5, 48.5)),
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} printed: {text!r}"


def test_ingest_and_list_escape_names(tmp_path: Path, store_dir: Path) -> None:
    hostile_file(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(tmp_path), "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    everything = result.output  # stdout and stderr, as a terminal shows them
    assert_clean(everything)
    assert "\\x1b]0;pwned\\x07" in everything and "unknown layer name" in everything
    listed = runner.invoke(cli, ["list", "--store", str(store_dir)])
    assert_clean(listed.output)
    assert "evil\\x1b[2J\\x9b31m\\x0dlayer" in listed.output


def test_json_output_stays_valid_and_exact(tmp_path: Path, store_dir: Path) -> None:
    hostile_file(tmp_path)
    CliRunner().invoke(cli, ["ingest", str(tmp_path), "--store", str(store_dir)])
    result = CliRunner().invoke(cli, ["list", "--store", str(store_dir), "--json"])
    assert_clean(result.output)
    (row,) = json.loads(result.output)
    assert row["layer"] == f"evil{CLEAR}{CSI}\rlayer"  # escaped on screen, exact in the data


def test_errors_from_hostile_files_are_escaped(tmp_path: Path, store_dir: Path) -> None:
    bad = tmp_path / f"bad{TITLE}_2024-07-01.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                   '"properties": "\\u001b[2J", "geometry": null}]}')  # fmt: skip
    result = CliRunner().invoke(cli, ["ingest", str(bad), "--store", str(store_dir)])
    assert result.exit_code == 1
    assert_clean(result.output)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert "bad\\x1b]0;pwned\\x07_2024-07-01.geojson" in result.output


def test_real_process_prints_no_escape_bytes(tmp_path: Path, store_dir: Path) -> None:
    hostile_file(tmp_path)
    code = "import sys; from geo.cli import main; sys.argv = ['geo', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "ingest", str(tmp_path), "--store", str(store_dir)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and b"\xc2\x9b" not in stream


def test_helpers() -> None:
    assert safe_text("a\nb\x1b") == "a\nb\\x1b"
    assert json.loads(safe_json(json.dumps({"k": "\x9b\u2028"}, ensure_ascii=False))) == {
        "k": "\x9b\u2028"
    }


def test_every_cli_module_prints_through_cli_output() -> None:
    """No command module prints on its own: click.echo, print and raw stream writes stay out."""
    import ast

    import geo

    raw_calls = {("click", "echo"), ("click", "secho"), ("stdout", "write"), ("stderr", "write")}
    found = []
    for path in sorted(Path(geo.__file__).parent.glob("cli*.py")):
        if path.name == "cli_output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id == "print":
                found.append(f"{path.name}:{node.lineno}: print")
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name | ast.Attribute)
                and (
                    getattr(func.value, "id", None) or getattr(func.value, "attr", None),
                    func.attr,
                )
                in raw_calls
            ):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(func)}")
    assert found == []


def test_map_and_ledger_commands_escape_what_they_print(tmp_path: Path, store_dir: Path) -> None:
    """Commands outside geo/cli.py (geo map, geo ledger) escape names too."""
    from geo.sample import sample_dir

    runner = CliRunner()
    runner.invoke(cli, ["ingest", str(sample_dir()), "--store", str(store_dir)])
    out = tmp_path / f"map{TITLE}.html"
    result = runner.invoke(
        cli, ["map", "--store", str(store_dir), "--layer", "russian_control", "--tiles", "none",
              "--date", "2024-08-15", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_clean(result.output)
    assert "map\\x1b]0;pwned\\x07.html" in result.output and out.is_file()
    gazetteer = tmp_path / "UA.txt"
    # a place the sample's Russian control reaches between its first and last date
    row = ["1", f"Evil{CLEAR}town", "Eviltown", "", "48.13", "37.64", "P", "PPL", "UA", "", "14"]
    gazetteer.write_text("\t".join([*row, "", "", "", "5000", "", "", "", "2020-01-01"]) + "\n")
    ledger = runner.invoke(
        cli, ["ledger", "--store", str(store_dir), "--gazetteer", str(gazetteer),
              "--layer", "russian_control"],
    )  # fmt: skip
    assert ledger.exit_code == 0, ledger.output
    assert_clean(ledger.output)
    assert "Evil\\x1b[2Jtown" in ledger.output and "1 changed hands" in ledger.output
