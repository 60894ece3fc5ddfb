"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def section_code(heading: str) -> str:
    """The ```python blocks of one README section, joined."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end > 0 else None]
    blocks = re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)
    assert blocks, f"no Python example under '## {heading}'"
    return "\n".join(blocks)


def test_render_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = section_code("Maps from Python: `geo.render`")
    exec(compile(code, f"{README}:geo.render", "exec"), {"__name__": "readme"})
    written = {p.name for p in tmp_path.iterdir()}
    assert {"snapshot.html", "diff.html", "diff.svg", "diff-uk.png", "timeline.html", "area.png",
            "gains.png", "share.svg", "sample.gif", "swipe.html",
            "demo-store"} <= written  # fmt: skip
    assert "SYNTHETIC SAMPLE DATA" in (tmp_path / "diff.svg").read_text(encoding="utf-8")
    assert "geo-tl-slider" in (tmp_path / "timeline.html").read_text(encoding="utf-8")
