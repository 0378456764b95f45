"""The plan's outputs are interchangeable: one ``write(plan, options)`` each, over one plan."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.reconcile.plan_json import read_plan
from reconciler.reconcile.views import (
    FILE_OUTPUTS,
    PlanJson,
    PlanMarkdown,
    PlanOutput,
    PlanTerminal,
    ViewOptions,
    write_plan,
)
from tests.reconcile.conftest import a_day_of_changes


def test_write_plan_writes_the_plan_files(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    out = tmp_path / "out"  # made when missing
    written = write_plan(plan, out, names={"E3": "Piet de Vries"})
    files = ["plan.json", "plan.md", "plan.html", "step-summary.md"]
    assert [p.name for p in written] == files
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    assert read_plan(written[0]).ids() == plan.ids()
    md = written[1].read_text()
    assert md.startswith("## speakap-sync plan") and "**Piet de Vries** `E3` — **delete**" in md
    assert "Piet de Vries" in written[2].read_text()
    assert written[3].read_text() == md  # a small plan: the job summary says the same


def test_every_file_output_writes_the_file_it_names(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    names = []
    for n, make in enumerate(FILE_OUTPUTS):
        folder = tmp_path / str(n)
        folder.mkdir()
        output = make(folder)
        output.write(plan, ViewOptions())
        assert [p.name for p in folder.iterdir()] == [output.path.name]
        assert output.path.read_text().strip()
        names.append(output.path.name)
    assert len(set(names)) == len(names)  # no two outputs write the same file


def test_plan_files_never_hold_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "tok-secret-123")
    for path in write_plan(a_day_of_changes(), tmp_path, show_pii=True):
        assert "tok-secret-123" not in path.read_text()


def test_one_plan_value_goes_to_any_output_alike(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    buffer = StringIO()
    outputs: list[PlanOutput] = [
        PlanJson(tmp_path),
        PlanMarkdown(tmp_path),
        PlanTerminal(Console(file=buffer, width=200)),
    ]
    options = ViewOptions(show_pii=True, names={"E1": "Jan van der Berg"})
    for output in outputs:
        output.write(plan, options)
    for said in ((tmp_path / "plan.md").read_text(), buffer.getvalue()):
        assert "Jan van der Berg" in said and "+31612345678" in said
    assert "+31612345678" in (tmp_path / "plan.json").read_text()
