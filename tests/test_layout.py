"""The package tree reads as the pipeline: few top-level modules, one folder per stage, no
import cycle (function-level imports included), thin CLI modules, tests named for behaviour."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconciler"
STAGES = ("desired", "render", "reconcile", "speakap", "gitops")
MAX_TOP_LEVEL_MODULES = 6
MAX_CLI_LINES = 200


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[str]:
    """The package modules ``name`` imports anywhere in its body, functions and
    ``TYPE_CHECKING`` blocks included. ``from pkg import mod`` imports the submodule ``mod``
    when there is one, else the package ``pkg`` itself."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, name, is_package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield submodule
                elif base in known:
                    yield base


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = name.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def import_graph() -> dict[str, set[str]]:
    known = package_modules()
    return {name: set(imported_modules(name, path, known)) - {name} for name, path in known.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            target = next(edges, None)
            if target is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(graph.get(target, ())))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return found


def test_the_cycle_finder_sees_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_function_level_from_import_of_a_submodule_is_an_edge(tmp_path: Path) -> None:
    path = tmp_path / "core.py"
    path.write_text("def f():\n    from reconciler.render import parallel\n", encoding="utf-8")
    known = {"reconciler.render": path, "reconciler.render.parallel": path}
    assert list(imported_modules("reconciler.render.core", path, known)) == [
        "reconciler.render.parallel"
    ]


def test_a_relative_import_in_a_package_init_resolves_inside_the_package(tmp_path: Path) -> None:
    path = tmp_path / "__init__.py"
    path.write_text("from .core import render\nfrom . import parallel\n", encoding="utf-8")
    known = {name: path for name in ("reconciler.render.core", "reconciler.render.parallel")}
    assert sorted(imported_modules("reconciler.render", path, known)) == [
        "reconciler.render.core",
        "reconciler.render.parallel",
    ]


def test_no_import_cycle_between_package_modules() -> None:
    assert cycles(import_graph()) == []


def test_the_package_top_level_holds_few_modules() -> None:
    modules = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


@pytest.mark.parametrize("stage", STAGES)
def test_each_pipeline_stage_is_a_package(stage: str) -> None:
    assert (PACKAGE / stage / "__init__.py").is_file()


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_a_cli_module_is_short(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_CLI_LINES, f"{path.name}: {lines} lines"


def test_no_test_file_is_named_after_a_review_round() -> None:
    assert sorted((ROOT / "tests").rglob("test_review_*.py")) == []
