"""Scope: a row a ``skip`` rule fires on is out of scope, whatever its dates or data: never
rendered, rejected or quarantined, but counted and listed in the sync report. A person who
was rendered before and moves out of scope is offboarded like a leaver, naming the rule."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.desired.config import load_config
from reconciler.desired.documents import validator
from reconciler.errors import ConfigError
from reconciler.render.explain import explain
from reconciler.render.report import report_csv, report_markdown
from tests.desired.test_config import edit, line_of
from tests.render.conftest import DAY1, Sync, employee

SKIP_INTERNS = """  - name: interns-out-of-scope
    description: Interns are not on Speakap.
    when: {field: job_title, equals: Stagiair}
    skip: true

"""


@pytest.fixture
def scoped(state_dir: Path) -> Path:
    edit(state_dir / "rules.yaml", "rules:\n", "rules:\n" + SKIP_INTERNS)
    return state_dir


def test_a_row_a_skip_rule_fires_on_is_left_out_and_listed_not_rejected(
    sync: Sync, scoped: Path
) -> None:
    report = sync.render([employee("000100"), employee("000200", job_title="Stagiair")])
    assert sync.person("000200") is None
    assert [(s.employee_id, s.rule) for s in report.out_of_scope] == [
        ("000200", "interns-out-of-scope")
    ]
    assert report.counts()["out_of_scope"] == 1
    assert not report.issues_of("rejected") and not report.issues_of("quarantined")
    assert "interns-out-of-scope" not in report.unused_rules
    assert "1 out of scope" in report.summary()


def test_an_out_of_scope_row_with_bad_data_or_a_future_start_is_still_only_out_of_scope(
    sync: Sync, scoped: Path
) -> None:
    report = sync.render(
        [
            employee("000200", job_title="Stagiair", email="", phone="", location="S999"),
            employee("000300", job_title="Stagiair", start="01-01-2030"),
            employee("", job_title="Stagiair"),
        ]
    )
    assert report.issues == ()
    assert report.prehires == ()
    assert [s.employee_id for s in report.out_of_scope] == ["000200", "000300", None]


def test_a_person_with_one_contract_in_scope_is_rendered_from_it(sync: Sync, scoped: Path) -> None:
    report = sync.render(
        [employee("000100", job_title="Stagiair", location="S002"), employee("000100")]
    )
    person = sync.person("000100")
    assert person is not None and person.business_unit == "store-s001"
    assert "store-s002" not in person.memberships
    assert report.out_of_scope == ()


def test_a_rendered_person_who_moves_out_of_scope_is_suspended_then_dropped(
    sync: Sync, scoped: Path
) -> None:
    sync.render([employee("000100")])
    day2 = DAY1 + timedelta(days=1)
    report = sync.render([employee("000100", job_title="Stagiair")], day2)
    person = sync.person("000100")
    assert person is not None
    assert (person.status, person.suspended_on) == ("suspended", day2)
    assert person.out_of_scope == "interns-out-of-scope"
    assert report.leavers == ("000100",)
    assert report.to_json()["out_of_scope"][0]["suspended"] is True
    later = day2 + timedelta(days=30)
    report = sync.render([employee("000100", job_title="Stagiair")], later)
    assert sync.person("000100") is None and report.dropped == ("000100",)


def test_back_in_scope_inside_the_grace_period_is_a_reactivation(sync: Sync, scoped: Path) -> None:
    sync.render([employee("000100")])
    sync.render([employee("000100", job_title="Stagiair")], DAY1 + timedelta(days=1))
    report = sync.render([employee("000100")], DAY1 + timedelta(days=2))
    person = sync.person("000100")
    assert person is not None and person.status == "active" and person.out_of_scope is None
    assert report.reactivated == ("000100",)


def test_a_stop_before_the_skip_rule_keeps_the_row_in_scope(sync: Sync, state_dir: Path) -> None:
    rules = state_dir / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    text = text.replace(
        "rules:\n", "rules:\n  - name: everyone-stops\n    stop: true\n\n" + SKIP_INTERNS, 1
    )
    rules.write_text(text, encoding="utf-8")
    report = sync.render([employee("000200", job_title="Stagiair")])
    assert report.out_of_scope == ()
    assert report.issues_of("rejected")  # no business unit: the stop came first


def test_a_skip_rule_that_also_sets_something_is_a_configuration_error(state_dir: Path) -> None:
    rule = SKIP_INTERNS.replace("    skip: true\n", "    skip: true\n    add_groups: [managers]\n")
    edit(state_dir / "rules.yaml", "rules:\n", "rules:\n" + rule)
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert "a skip rule takes rows out of scope, it has no 'add_groups'" in caught.value.message
    assert caught.value.line is not None and caught.value.file is not None


def test_the_report_lists_them_in_markdown_csv_and_schema_valid_json(
    sync: Sync, scoped: Path
) -> None:
    sync.render([employee("000100")])
    report = sync.render(
        [employee("000100", job_title="Stagiair"), employee("000200", job_title="Stagiair")],
        DAY1 + timedelta(days=1),
    )
    markdown = report_markdown(report)
    assert "## Out of scope: 2 people" in markdown
    assert "`interns-out-of-scope` 2" in markdown
    assert (
        "| 2 | Anouk de Vries (000100) | interns-out-of-scope | suspended (grace period) |"
        in markdown
    )
    assert "| Out of scope (a skip rule, not rendered) | 2 |" in markdown
    leavers = markdown[markdown.index("## Leavers, suspended today") :]
    leavers = leavers[: leavers.index("\n\n## ")]
    assert (
        "- Anouk de Vries (000100): out of scope (rule interns-out-of-scope), still in the HR "
        "export"
    ) in leavers  # not "left the HR export": their row is there
    assert "left the HR export" not in leavers
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [(r["kind"], r["employee_id"]) for r in rows] == [
        ("out_of_scope", "000100"),
        ("out_of_scope", "000200"),
    ]
    data = json.loads(json.dumps(report.to_json()))
    assert list(validator("report").iter_errors(data)) == []
    assert [s["employee_id"] for s in data["out_of_scope"]] == ["000100", "000200"]


def test_explain_names_the_rule_that_skipped_them(sync: Sync, scoped: Path) -> None:
    sync.render([employee("000100")])
    day2 = DAY1 + timedelta(days=1)
    sync.render([employee("000100", job_title="Stagiair")], day2)
    line = line_of(scoped / "rules.yaml", "- name: interns-out-of-scope")
    text = explain("000100", scoped, today=day2)
    assert "status: suspended since" in text
    assert f"out of scope: skip rule interns-out-of-scope (rules.yaml:{line})" in text
    export = sync.export([employee("000200", job_title="Stagiair")])
    text = explain("000200", scoped, today=day2, export=export)
    assert "000200: Anouk de Vries in export-3.csv" in text
    assert "out of scope: skip rule interns-out-of-scope, not rendered" in text
    assert f"skip rule interns-out-of-scope (rules.yaml:{line}) fires" in text


def test_explain_says_a_person_moving_out_of_scope_is_suspended_today(
    sync: Sync, scoped: Path
) -> None:
    sync.render([employee("000100")])
    export = sync.export([employee("000100", job_title="Stagiair")])
    text = explain("000100", scoped, today=DAY1 + timedelta(days=1), export=export)
    assert "a leaver: suspended today (out of scope: skip rule interns-out-of-scope)" in text
