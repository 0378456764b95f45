"""The CLI stays a thin edge over the use cases: short command modules, and no SCIM detail
(the login of an account comes with the backend's result, not from the mapping)."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_cli_module_is_at_most_200_lines() -> None:
    lengths = {p.name: len(p.read_text().splitlines()) for p in (PACKAGE / "cli").glob("*.py")}
    assert "reconcile.py" in lengths
    assert {name: n for name, n in lengths.items() if n > 200} == {}


def test_neither_the_cli_nor_the_reconcile_stage_imports_the_scim_mapping() -> None:
    modules = [*(PACKAGE / "cli").glob("*.py"), *(PACKAGE / "reconcile").rglob("*.py")]
    assert len(modules) > 10
    users = [p.name for p in modules if "reconciler.speakap.mapping" in imported_modules(p)]
    assert users == []
