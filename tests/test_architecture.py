"""The layer plan, enforced: a module may import only from its own layer or below.

``LAYERS`` is the one list of layers (ARCHITECTURE.md shows the same table). Every
``geo`` import is checked, at module level and inside functions alike; the only
upward imports allowed are the ``.map()`` delegates into ``geo.render`` listed in
``DELEGATES`` (as geopandas' ``explore`` is).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import geo

PACKAGE = Path(geo.__file__).resolve().parent

#: Lowest first. A module not listed here fails the test: place it when you add it.
LAYERS: dict[str, tuple[str, ...]] = {
    "basics": (
        "geo.errors", "geo.fsutil", "geo.text", "geo.progress", "geo.publishers", "geo.datenames",
        "geo.layers", "geo.geometry", "geo.area_methods", "geo.limits", "geo.parallel",
    ),
    "model": ("geo.snapshot", "geo.areas", "geo.overlay"),
    "formats": (
        "geo.archives", "geo.esri", "geo.kml", "geo.readers", "geo.dates", "geo.deepstate",
        "geo.io", "geo.sample", "geo.geojson",
    ),
    "data": (
        "geo.catalog", "geo.store", "geo.store_writer", "geo.store_sources", "geo.regions",
        "geo.region_select", "geo.gazetteer", "geo.series", "geo.ingest",
    ),
    "remote": ("geo.sources",),
    "analysis": (
        "geo.diff", "geo.stats", "geo.frontline", "geo.places", "geo.sanity", "geo.distance",
        "geo.ledger", "geo.changes",
    ),
    "views": ("geo.render",),
    "top": ("geo.cli", "geo"),
}  # fmt: skip

#: (module, function) pairs allowed to import ``geo.render`` inside the function.
DELEGATES = {
    ("geo.snapshot", "map"),
    ("geo.diff", "map"),
    ("geo.store", "map"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    """Index of the layer holding ``module`` (longest listed prefix wins)."""
    best, best_len = -1, -1
    for index, members in enumerate(LAYERS.values()):
        for member in members:
            hit = (
                module == member
                or module.startswith(member + ".")
                or (member == "geo.cli" and module.startswith("geo.cli_"))
            )
            if hit and len(member) > best_len:
                best, best_len = index, len(member)
    return best


def _imports(tree: ast.Module, module: str) -> list[tuple[str, str | None, int]]:
    """Every ``geo`` import: (imported module, enclosing function or None, line)."""
    found: list[tuple[str, str | None, int]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "geo":  # from geo import io: the submodules themselves
                    found.extend((f"geo.{a.name}", name, child.lineno) for a in child.names)
                elif child.module.startswith("geo."):
                    found.append((child.module, name, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend(
                    (a.name, name, child.lineno) for a in child.names if a.name.startswith("geo.")
                )
            visit(child, name)

    visit(tree, None)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_module_imports_point_downward(path: Path) -> None:
    module = _module_name(path)
    own = _layer(module)
    assert own >= 0, f"{module} is in no layer: add it to LAYERS in {__file__}"
    names = list(LAYERS)
    wrong = []
    for target, function, line in _imports(ast.parse(path.read_text()), module):
        if target.startswith("geo.render") and (module, function) in DELEGATES:
            continue
        if _layer(target) > own:
            wrong.append(
                f"{module}:{line} ({names[own]}) imports {target} ({names[_layer(target)]})"
            )
    assert not wrong, "imports pointing upward:\n" + "\n".join(wrong)


def test_every_layer_lists_existing_modules() -> None:
    known = {_module_name(p) for p in MODULES}
    for members in LAYERS.values():
        for member in members:
            assert member in known, f"{member} is listed in LAYERS but does not exist"


def test_the_checker_catches_an_upward_import() -> None:
    tree = ast.parse("def f():\n    from geo.render import diff_map\n")
    imports = _imports(tree, "geo.stats")
    assert imports == [("geo.render", "f", 2)]
    assert _layer("geo.render") > _layer("geo.stats")


def test_architecture_md_shows_the_same_layers() -> None:
    """ARCHITECTURE.md's table lists, per layer, exactly the top-level names of ``LAYERS``."""
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in LAYERS:
            # the first backticked name of each comma-separated entry (sub-lists in brackets)
            entries = re.sub(r"\([^)]*\)", "", cells[1]).split(",")
            rows[cells[0]] = {e.strip().strip("`") for e in entries if e.strip()}
    # the table reads top down, LAYERS bottom up
    assert list(rows) == list(LAYERS)[::-1], "ARCHITECTURE.md has other layers or order"
    for layer, members in LAYERS.items():
        names = {m.removeprefix("geo.") for m in members}
        if layer == "top":  # geo.cli stands for every cli_* module
            names = (names - {"cli"}) | {
                _module_name(p) for p in MODULES if _module_name(p).startswith("geo.cli")
            }
            names = {n.removeprefix("geo.") for n in names}
        assert rows[layer] == names, f"layer {layer}: ARCHITECTURE.md {rows[layer]} != {names}"
