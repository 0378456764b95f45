"""The plan's outputs: interchangeable views over one ``Plan`` value.

Each output is a class with one method, ``write(plan, options)``; where it writes is given
when it is made (the plan folder for a file, a console for the terminal), and ``options``
(``ViewOptions``) says what the reader sees: emails and phones masked unless ``show_pii``,
names beside employee ids and org-unit keys, and a link to the CI run. What the human views
say comes from one place, ``describe``; whom they list, and in which order, from ``changes``.

- ``PlanJson``: ``plan.json``, the machine plan that ``apply --plan`` reads back;
- ``PlanMarkdown``: ``plan.md``, the pull-request comment, within GitHub's body limit, and
  (``step_summary``) ``step-summary.md``, the same within the job summary's limit;
- ``PlanHtml``: ``plan.html``, every action in one self-contained page, searchable;
- ``PlanTerminal``: the reviewer's view on a console.

``write_plan`` writes every output of ``FILE_OUTPUTS`` into the plan folder: a new output is
a new class in this package, named there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views.describe import ViewOptions, names_of
from reconciler.reconcile.views.html import PlanHtml
from reconciler.reconcile.views.json import PlanJson
from reconciler.reconcile.views.markdown import PlanMarkdown, render_markdown, step_summary
from reconciler.reconcile.views.terminal import PlanTerminal, print_plan

__all__ = [
    "FILE_OUTPUTS",
    "PlanFile",
    "PlanHtml",
    "PlanJson",
    "PlanMarkdown",
    "PlanOutput",
    "PlanTerminal",
    "ViewOptions",
    "names_of",
    "print_plan",
    "render_markdown",
    "step_summary",
    "write_plan",
]


class PlanOutput(Protocol):
    """One way to show a plan."""

    def write(self, plan: Plan, options: ViewOptions) -> None: ...


class PlanFile(PlanOutput, Protocol):
    """An output written as one file into the plan folder."""

    @property
    def path(self) -> Path: ...


# The files of a plan folder, each made from the folder's path, written in this order.
FILE_OUTPUTS: tuple[Callable[[Path], PlanFile], ...] = (
    PlanJson,
    PlanMarkdown,
    PlanHtml,
    step_summary,
)


def write_plan(
    plan: Plan,
    out_dir: Path,
    *,
    show_pii: bool = False,
    names: Mapping[str, str] | None = None,
    org_names: Mapping[str, str] | None = None,
    run_url: str | None = None,
) -> tuple[Path, ...]:
    """Write every file output into ``out_dir`` (each atomically) and return their paths;
    ``names`` (see ``names_of``) puts a name beside each employee id, ``org_names`` a name on
    each org-unit key, and ``run_url`` links the CI run that made the plan."""
    out_dir.mkdir(parents=True, exist_ok=True)
    options = ViewOptions(show_pii, names or {}, org_names or {}, run_url)
    outputs = [make(out_dir) for make in FILE_OUTPUTS]
    for output in outputs:
        output.write(plan, options)
    return tuple(output.path for output in outputs)
