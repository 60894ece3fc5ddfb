"""The README's shell examples run as written on the real archives.

Convention (stated in the README's Quick start): a fenced ```bash block right after a line
``<!-- runs on real data -->`` is a tutorial step. The steps run in README order, each as one
``bash -e -o pipefail`` script, in one working folder beside ``../shared/data``, as a reader
would run them from a checkout next to the archives. ``../shared/data`` is a tree of links to a
subset of ``$GEO_SHARED_DATA`` (every file of the small folders; some twenty daily DeepState
files, three ISW files, nine raw DeepState maps), so the whole tutorial takes about a minute;
``$GEO_STORE`` is a fresh folder. A step passes when it exits 0 with no traceback. Blocks
without the marker (installation, downloads from the network) are not run.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
MARK = "<!-- runs on real data -->"
_BLOCK = re.compile(re.escape(MARK) + r"[ \t]*\n```bash\n(.*?)```", re.DOTALL)
#: Seconds one step may take before the test fails (the whole tutorial takes about a minute).
STEP_TIMEOUT_S = 180

#: Folders linked whole (small), relative to shared/data.
WHOLE = ("regions", "places", "raw-formats")
#: The daily files: the first of each quarter, and the dates the examples name or count back to.
DAILY_DATES = {
    dt.date(2024, 7, 8), dt.date(2024, 12, 31), dt.date(2025, 6, 1), dt.date(2025, 8, 1),
    *(dt.date(2026, 8, d) for d in range(15, 23)),
}  # fmt: skip
#: ISW 2023 weekly files: the first and last, and the one the area-method example names.
ISW_FILES = ("20230501", "20230508", "20230821")
#: Raw DeepState maps by Kyiv date: the ends of the Kursk archive and the dates of the examples.
KURSK_DATES = ("2024-08-05", "2024-09-05", "2024-12-19", "2025-03-13", "2025-05-02")
WEEKLY_DATES = ("2023-04-25", "2023-05-08", "2023-06-13", "2023-08-14")


def examples() -> list[tuple[str, str]]:
    """Every marked block as ``(id, script)``, in README order; the id names its section."""
    text = README.read_text(encoding="utf-8")
    found = []
    for number, match in enumerate(_BLOCK.finditer(text), start=1):
        headings = re.findall(r"^## (.+)$", text[: match.start()], flags=re.MULTILINE)
        section = re.sub(r"[^a-z0-9]+", "-", headings[-1].lower()).strip("-") if headings else ""
        found.append((f"{number:02d}-{section[:40]}", match.group(1)))
    return found


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _daily(name: str) -> bool:
    found = re.search(r"(\d{8})", name)
    day = dt.datetime.strptime(found.group(1), "%Y%m%d").date() if found else None
    return day is not None and ((day.day == 1 and day.month % 3 == 1) or day in DAILY_DATES)


def _raw(folder: Path, dates: tuple[str, ...]) -> set[str]:
    """File names of the raw maps of ``folder`` published on ``dates`` (its index.csv)."""
    with (folder / "index.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_date = {row["kyiv_local_date"]: row["history_id"] for row in rows}
    missing = [d for d in dates if d not in by_date]
    assert not missing, f"{folder}/index.csv has no map of {missing}"
    return {f"{by_date[d]}.geojson.gz" for d in dates}


@pytest.fixture(scope="module")
def world(
    shared_path: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """A working folder beside ``shared/data`` (links to a subset), and the environment."""
    root = tmp_path_factory.mktemp("readme")
    data = root / "shared" / "data"
    for name in WHOLE:
        _link(shared_path(name), data / name)
    control = shared_path("control")
    kursk = control / "deepstate-raw" / "kursk-2024-2025"
    weekly = control / "deepstate-raw" / "weekly-2022-2024"
    chosen: dict[Path, Callable[[str], bool]] = {
        control / "deepstate" / "daily": _daily,
        control / "isw" / "2023-weekly": lambda n: n.split(".")[0] in ISW_FILES,
        kursk: _raw(kursk, KURSK_DATES).__contains__,
        weekly: _raw(weekly, WEEKLY_DATES).__contains__,
    }
    for folder, keep in chosen.items():
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".gz") and keep(p.name))
        assert names, f"no file of {folder} chosen"
        for name in names:
            _link(folder / name, data / folder.relative_to(control.parent) / name)
    work = root / "work"
    work.mkdir()
    env = dict(os.environ)
    env["GEO_STORE"] = str(root / "default-store")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return work, env


def test_the_readme_marks_its_real_data_examples() -> None:
    found = examples()
    assert len(found) >= 8
    text = README.read_text(encoding="utf-8")
    marks = re.findall(rf"^{re.escape(MARK)}[ \t]*$", text, flags=re.MULTILINE)
    assert len(marks) == len(found), "a marker line is not followed by a ```bash block"
    for _, script in found:
        assert "/tmp/" not in script, "examples write into the working folder, not /tmp"


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "script"), examples(), ids=[n for n, _ in examples()])
def test_readme_example_runs(name: str, script: str, world: tuple[Path, dict[str, str]]) -> None:
    work, env = world
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    report = f"README step {name} exited {done.returncode}:\n{script}\n--- stderr:\n{done.stderr}"
    assert done.returncode == 0, report
    assert "Traceback" not in done.stderr, report
