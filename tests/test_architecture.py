"""The layer order of docs/architecture.md, enforced: every module is in the table, and no import
(at the top of a module or inside a function) reaches into a later layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qyx_excel"
DOC = ROOT / "docs" / "architecture.md"

#: Imports that still go against the order, each a known debt with its reason. This list may only
#: shrink: a new crossing fails the test below.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    (
        "values",
        "plan",
    ): "a number's shown precision is the plan's (values.plan_precision reads the plan's data)",
    ("supervision", "notice"): "slips go to PDF through the notice's layout-preserving conversion",
}


def layers() -> dict[str, int]:
    """Module → layer index, read from the table in docs/architecture.md."""
    out: dict[str, int] = {}
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    for index, row in enumerate(rows[1:]):  # the header row first
        cells = [c.strip() for c in row.strip("|").split("|")]
        for name in re.findall(r"`([a-z_]+)`", cells[1]):
            assert name not in out, f"{name} is listed twice in docs/architecture.md"
            out[name] = index
    return out


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qyx_excel."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("qyx_excel."))
    return found


def test_every_module_is_in_the_architecture_table() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    listed = set(layers())
    assert modules - listed == set(), "add these modules to docs/architecture.md"
    assert listed - modules == set(), "docs/architecture.md lists modules that do not exist"


def test_no_import_goes_against_the_layer_order() -> None:
    layer = layers()
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        me = path.stem
        for other in imports_of(path):
            if other in layer and layer[other] > layer[me] and (me, other) not in ALLOWED_UPWARD:
                wrong.append(f"{me} ({layer[me]}) imports {other} ({layer[other]})")
    assert wrong == []


def test_the_allowed_crossings_still_exist() -> None:
    # a debt paid off leaves the list, so the list never hides a new crossing under an old name
    layer = layers()
    stale = [
        (me, other)
        for me, other in ALLOWED_UPWARD
        if other not in imports_of(PACKAGE / f"{me}.py") or layer[other] <= layer[me]
    ]
    assert stale == []


def test_the_store_imports_neither_intake_nor_the_checks() -> None:
    assert imports_of(PACKAGE / "store.py") & {"intake", "checks", "receive", "sandbox"} == set()


def test_the_package_ships_its_type_information() -> None:
    # PEP 561: the marker file is in the package and in the package data a wheel carries
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    assert (PACKAGE / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["qyx_excel"]
