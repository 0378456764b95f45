"""Only the speakap layer knows the SCIM mapping: the CLI and the use cases get the login of an
account with the backend's result."""

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


def test_no_module_outside_the_speakap_layer_imports_the_scim_mapping() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if "speakap" not in p.relative_to(PACKAGE).parts]
    assert PACKAGE / "reconcile" / "run.py" in modules
    users = [p.name for p in modules if "reconciler.speakap.mapping" in imported_modules(p)]
    assert users == []
