"""``explain`` for everyone: with the HR export it tells why a row was rejected, quarantined,
skipped or is a pre-hire, with the line and the rule trace; with the last sync report, what
that render said; without either, how to find out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.desired.config import Condition, Rule, load_config
from reconciler.render.explain import explain, explain_rows
from tests.render.conftest import DAY1, Sync, employee

DAY2 = DAY1 + timedelta(days=1)


def test_a_rejected_row_says_why_at_its_line_with_the_rule_that_found_nothing(
    sync: Sync,
) -> None:
    rows = [employee("000100"), employee("000101", department="999")]
    sync.render(rows)
    said = explain("000101", sync.state_dir, today=DAY1, export=sync.export(rows))
    first, why, line = said.splitlines()[:3]
    assert first.endswith(": rejected, not rendered") and "Anouk de Vries" in first
    assert why == "  why: line 3: unknown department_code '999': no department has this HR code"
    assert line == "  line 3: a current contract"
    assert (
        "department-by-code (rules.yaml:12): fired: department ← department_code '999': "
        "no department has this HR code"
    ) in said
    assert "store-staff (rules.yaml:23): fired: group store-staff" in said
    assert "dc-staff (rules.yaml:27): no match: business_unit_code equals 'DC01', is 'S001'" in said


def test_a_quarantined_person_shows_the_record_kept_and_the_reason(sync: Sync) -> None:
    sync.render([employee("000100")])
    rows = [employee("000100", start="31-31-2020")]
    said = explain("000100", sync.state_dir, today=DAY2, export=sync.export(rows))
    assert "status: active" in said  # the record as kept
    assert "quarantined, kept exactly as they were" in said
    assert "why: line 2: invalid start_date '31-31-2020'" in said
    assert "    error: invalid start_date '31-31-2020'" in said


def test_a_pre_hire_says_when_they_start(sync: Sync) -> None:
    rows = [employee("000100", start="16-03-2026")]
    sync.render(rows)
    said = explain("000100", sync.state_dir, today=DAY1, export=sync.export(rows))
    assert "a pre-hire: starts 2026-03-16" in said
    assert "line 2: a contract not started yet (starts 2026-03-16)" in said


def test_a_passed_end_date_says_the_contract_ended(sync: Sync) -> None:
    sync.render([employee("000100")])
    rows = [employee("000100", end="01-03-2026")]
    said = explain("000100", sync.state_dir, today=DAY2, export=sync.export(rows))
    assert "a leaver: suspended today (contract ended on 2026-03-01)" in said
    assert "line 2: a contract that ended (ended 2026-03-01)" in said


def test_a_row_a_skip_rule_takes_out_of_scope_says_which_rule(sync: Sync) -> None:
    config = load_config(sync.state_dir)
    skip = Rule(
        name="contractors",
        line=60,
        when=Condition("equals", "job_title", "Inhuur", texts=frozenset({"Inhuur"})),
        skip=True,
    )
    config = replace(config, rules=(skip, *config.rules))
    export = sync.export([employee("000100", job_title="Inhuur")])
    said = explain_rows("000100", export, config, None, DAY1)
    assert "    skip rule contractors (rules.yaml:60) fires: out of scope" in said
    assert "rules, in order" not in said


def test_the_last_report_says_what_that_render_said(sync: Sync, tmp_path: Path) -> None:
    from reconciler.render.run import render_to_disk

    rows = [employee("000100"), employee("000101", department="999")]
    render_to_disk(sync.export(rows), sync.state_dir, DAY1, tmp_path / "report", workers=1)
    said = explain("000101", sync.state_dir, today=DAY1, report_dir=tmp_path / "report")
    assert said.splitlines() == [
        "000101: Anouk de Vries in the sync report of 2026-03-02",
        "  - rejected (line 3): unknown department_code '999': no department has this HR code",
    ]


def test_without_export_or_report_a_missing_person_is_told_how_to_find_out(
    sync: Sync, capsys: pytest.CaptureFixture[str]
) -> None:
    sync.render([employee("000100")])
    assert run(["explain", "000199", "--state-dir", str(sync.state_dir)]) == 1
    err = capsys.readouterr().err
    assert "not in the desired state" in err and "--export FILE" in err and "--report DIR" in err


def test_the_cli_reads_the_export_for_the_day_asked(
    sync: Sync, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [employee("000100", start="16-03-2026")]
    export = sync.export(rows)
    args = ["explain", "000100", "--state-dir", str(sync.state_dir), "--export", str(export)]
    assert run([*args, "--today", "2026-03-16"]) == 0
    assert "a hire: rendered, invited by email" in capsys.readouterr().out
    assert run([*args, "--today", "2026-03-15"]) == 0
    assert "a pre-hire: starts 2026-03-16" in capsys.readouterr().out


def test_the_record_masks_email_and_phone_unless_asked(
    sync: Sync, capsys: pytest.CaptureFixture[str]
) -> None:
    sync.render([employee("000100")])
    [person] = sync.state().people
    assert person.email and person.phone
    args = ["explain", "000100", "--state-dir", str(sync.state_dir)]
    assert run(args) == 0
    masked = capsys.readouterr().out
    assert person.email not in masked and person.phone not in masked
    assert f"  email: {person.email[0]}***@" in masked
    assert run([*args, "--show-pii"]) == 0
    shown = capsys.readouterr().out
    assert f"  email: {person.email}" in shown and f"  phone: {person.phone}" in shown
