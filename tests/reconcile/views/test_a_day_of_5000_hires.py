"""The shipped sample applied, then 5,000 hires in one day: plan.md stays within GitHub's limit
and names every business unit with changes and its counts; plan.html holds every person."""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from reconciler.demo import CONFIG_FILES, config_source
from reconciler.desired.state import read_state
from reconciler.gitops.github import MAX_BODY
from reconciler.model import DesiredState, LiveGroup, LiveSnapshot, LiveUser
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.views import ViewOptions, names_of
from reconciler.reconcile.views.changes import changes_of
from reconciler.reconcile.views.html import action_ids, render_html
from reconciler.reconcile.views.markdown import render_markdown
from reconciler.render.run import render_to_disk
from tests.reconcile.views.test_html import embedded
from tests.render.make_samples import day1_rows, generate_rows, to_csv

HIRES = 5_000


def applied(state: DesiredState) -> LiveSnapshot:
    """Speakap after ``state`` was applied: every person an account in their org units."""
    users = tuple(
        LiveUser(f"u{p.employee_id}", p.employee_id, **p.profile(), managed=True)  # type: ignore[arg-type]
        for p in state.people
    )
    members: dict[str, set[str]] = {}
    for p in state.people:
        for key in p.memberships:
            members.setdefault(key, set()).add(f"u{p.employee_id}")
    groups = tuple(
        LiveGroup(
            id=f"g-{u.key}",
            key=u.key,
            name=u.name,
            kind=u.kind,
            parent_key=u.parent,
            visibility=u.visibility,
            members=frozenset(members.get(u.key, ())),
        )
        for u in state.org_units
    )
    return LiveSnapshot(users=users, groups=groups)


def a_day_of_5000_hires(root: Path) -> tuple[Plan, DesiredState, DesiredState]:
    state = root / "desired-state"
    state.mkdir(parents=True)
    for name in CONFIG_FILES:
        if (config_source() / name).is_file():
            shutil.copyfile(config_source() / name, state / name)
    day1, day2 = root / "day1.csv", root / "day2.csv"
    day1.write_bytes(to_csv(day1_rows()))
    hires = [dict(r, **{"Datum in dienst": "03-03-2026"}) for r in generate_rows(320 + HIRES)]
    day2.write_bytes(to_csv(day1_rows() + hires[320:]))
    render_to_disk(day1, state, date(2026, 3, 2), workers=1)
    before = read_state(state)
    render_to_disk(day2, state, date(2026, 3, 3), workers=1)
    after = read_state(state)
    return compute_plan(after, applied(before), before), before, after


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, ViewOptions]:
    plan, before, after = a_day_of_5000_hires(tmp_path_factory.mktemp("hires"))
    names = names_of(itertools.chain(before.people, after.people))
    org_names = {u.key: u.name for u in after.org_units}
    return plan, ViewOptions(names=names, org_names=org_names)


@pytest.mark.slow
def test_plan_md_names_every_unit_with_its_counts_within_the_limit(
    scenario: tuple[Plan, ViewOptions],
) -> None:
    plan, options = scenario
    assert plan.counts()["create_user"] == HIRES
    text = render_markdown(plan, names=options.names, org_names=options.org_names)
    assert len(text) <= MAX_BODY
    units = changes_of(plan, options).units
    assert len(units) == 14
    for unit in units:
        row = f"| {unit.name} `{unit.key}` | {unit.counts['joining']:,} | · | · | · | · |"
        assert row in text
    shown = re.findall(r"showing ([\d,]+) of ([\d,]+)</summary>", text)
    assert len(shown) == 14 and all(int(k.replace(",", "")) > 0 for k, _ in shown)


@pytest.mark.slow
def test_plan_html_holds_every_person_with_an_action(scenario: tuple[Plan, ViewOptions]) -> None:
    plan, options = scenario
    data = embedded(render_html(plan, options))
    assert {row[1] for row in data["people"]} == {a.employee_id for a in plan.actions}
    assert sorted(action_ids(data)) == sorted(plan.ids())
