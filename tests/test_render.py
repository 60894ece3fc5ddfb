"""The public door geo.render: its names, signatures, import cost and who may import it."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import geo.render

GEO = Path(geo.render.__file__).resolve().parents[1]
#: Positional parameters each public function takes before the keyword-only ones.
POSITIONAL = {
    "snapshot_map": 1, "diff_map": 1, "timeline_map": 1, "compare_map": 2, "static_map": 2,
    "area_chart": 2, "save_html": 2, "add_places": 2, "build_timeline": 1, "fetch_assets": 0,
    "write_demo": 1, "gains_chart": 2, "share_chart": 2, "animate": 2,
}  # fmt: skip


def test_every_public_name_resolves_and_is_listed() -> None:
    assert sorted(geo.render.__all__) == geo.render.__all__
    for name in geo.render.__all__:
        assert getattr(geo.render, name) is not None, name
    assert set(geo.render.__all__) <= set(dir(geo.render))
    with pytest.raises(AttributeError, match="no attribute 'make_map'"):
        _ = geo.render.make_map  # type: ignore[attr-defined]
    from geo.render import compare_map, snapshot_map  # from-imports go through __getattr__

    assert snapshot_map.__module__ == "geo.render.snapshot"
    assert compare_map.__module__ == "geo.render.compare"


@pytest.mark.parametrize("name", sorted(POSITIONAL))
def test_functions_are_keyword_only_after_the_first_arguments_and_show_examples(
    name: str,
) -> None:
    func = getattr(geo.render, name)
    params = list(inspect.signature(func).parameters.values())
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert len(positional) == POSITIONAL[name], name
    assert all(p.kind is p.KEYWORD_ONLY for p in params[len(positional) :]), name
    doc = inspect.getdoc(func) or ""
    assert "\nParameters\n----------\n" in doc and "\nExamples\n--------\n" in doc, name
    assert ">>> " in doc.split("\nExamples\n--------\n", 1)[1], name  # run as doctests


def test_importing_the_door_loads_no_renderer() -> None:
    code = (
        "import sys, geo.render; "
        "print(sorted(m for m in sys.modules if m.startswith(('geo.render.', 'folium', "
        "'matplotlib', 'branca'))))"
    )
    out = subprocess.run(  # a fresh interpreter: this one has loaded them all
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "cls"), [("snapshot.py", "Snapshot"), ("diff.py", "Diff"), ("store.py", "Store")]
)
def test_map_methods_are_one_line_delegates(module: str, cls: str) -> None:
    tree = ast.parse((GEO / module).read_text(encoding="utf-8"))
    (klass,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    (method,) = [n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name == "map"]
    body = [n for n in method.body if not isinstance(n, ast.Expr)]  # the docstring aside
    assert len(body) == 2, ast.unparse(method)
    assert isinstance(body[0], ast.ImportFrom) and body[0].module is not None
    assert body[0].module.startswith("geo.render")
    assert isinstance(body[1], ast.Return) and isinstance(body[1].value, ast.Call)
