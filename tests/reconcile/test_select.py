"""``--only`` selectors: an employee id or ``unit:KEY`` (that business unit and every unit
under it); unknown ids and keys are clear errors; a partial plan keeps the selected people's
actions, creates the org units they need, and weighs its guards against them alone."""

from __future__ import annotations

import pytest

from reconciler.errors import InputError
from reconciler.model import DesiredState, LiveSnapshot, OrgUnit, Person, Policy, Thresholds
from reconciler.reconcile import select
from reconciler.reconcile.plan import PlanOptions, compute_plan
from tests.reconcile.conftest import live_as_desired, live_user_for, person

TREE = (
    OrgUnit("north", "business_unit", "Region North"),
    OrgUnit("store-01", "business_unit", "Store 01", parent="north"),
    OrgUnit("store-02", "business_unit", "Store 02", parent="north"),
    OrgUnit("store-03", "business_unit", "Store 03"),
    OrgUnit("sales", "department", "Sales"),
    OrgUnit("store-01-bakery", "local_department", "Bakery", parent="store-01"),
)


def state(*people: Person, policy: Policy | None = None) -> DesiredState:
    return DesiredState(TREE, people, policy or Policy())


def pick(texts: list[str], want: DesiredState, last: DesiredState | None = None) -> set[str]:
    found = select.resolve(select.parse(texts), want, last, live_as_desired(want))
    return set(found.employee_ids)


def test_an_employee_id_selects_that_person() -> None:
    want = state(person("E1", "store-01"), person("E2", "store-02"))
    assert pick(["E1"], want) == {"E1"}


def test_a_unit_selects_everyone_at_it_or_under_it() -> None:
    want = state(person("E1", "store-01"), person("E2", "store-02"), person("E3", "store-03"))
    assert pick(["unit:store-01"], want) == {"E1"}
    assert pick(["unit:north"], want) == {"E1", "E2"}
    assert pick(["unit:north", "E3", "E3"], want) == {"E1", "E2", "E3"}


def test_a_leaver_belongs_to_their_last_applied_business_unit() -> None:
    last = state(person("E1", "store-01"), person("E9", "store-01"))
    want = state(person("E1", "store-01"))
    found = select.resolve(select.parse(["unit:store-01"]), want, last, live_as_desired(last))
    assert found.employee_ids == {"E1", "E9"}


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["E404"], "--only E404: no such employee id in the desired state"),
        (["unit:store-99"], "--only unit:store-99: org-units.yaml declares no unit 'store-99'"),
        (["unit:sales"], "'sales' is a department with no business unit at or under it"),
        (["unit:"], "unit: needs a key"),
        ([" "], "--only needs an employee id or unit:KEY"),
    ],
)
def test_an_unknown_id_or_key_is_a_clear_error(texts: list[str], message: str) -> None:
    want = state(person("E1", "store-01"))
    with pytest.raises(InputError) as caught:
        pick(texts, want)
    assert message in str(caught.value)
    assert caught.value.field == "--only"


def test_an_account_only_speakap_knows_can_be_selected() -> None:
    want = state(person("E1", "store-01"))
    stray = live_user_for(person("E7", "store-01"))
    live = live_as_desired(want, [stray])
    assert select.resolve(select.parse(["E7"]), want, None, live).employee_ids == {"E7"}


def test_the_plan_creates_the_units_the_selected_people_need_with_their_parents() -> None:
    want = state(
        person("E1", "store-01", memberships=("sales", "store-01", "store-01-bakery")),
        person("E3", "store-03", memberships=("sales", "store-03")),
    )
    empty = LiveSnapshot(users=(), groups=())
    selection = select.resolve(select.parse(["E1"]), want, None, empty)
    plan = compute_plan(want, empty, None, options=PlanOptions(only=selection))
    created = sorted(a.org_unit or "" for a in plan.actions if a.kind == "create_org_unit")
    assert created == ["north", "sales", "store-01", "store-01-bakery"]
    assert {a.employee_id for a in plan.actions if a.employee_id} == {"E1"}
    assert plan.partial and plan.only == ("E1",) and plan.only_people == 1


def test_the_guards_weigh_the_selected_people_alone() -> None:
    policy = Policy(thresholds=Thresholds(max_offboard_percent=10, min_managed=3))
    staff = [person(f"A{i}", "store-01") for i in range(3)]
    others = [person(f"B{i:02}", "store-03") for i in range(40)]
    before = state(*staff, *others, policy=policy)
    after = state(staff[0], *others, policy=policy)  # two of store-01's three leave
    live = live_as_desired(before)
    assert not compute_plan(after, live, before).blocked  # 2 of 43: 4.7%
    only = select.resolve(select.parse(["unit:store-01"]), after, before, live)
    plan = compute_plan(after, live, before, options=PlanOptions(only=only))
    assert plan.blocked  # 2 of 3: 66.7%
    assert "2 suspensions and deletions = 66.7% of 3 managed users" in (
        plan.blocked_message() or ""
    )


def test_plan_json_keeps_the_selectors_and_a_full_plan_says_null() -> None:
    from reconciler.reconcile.plan_json import plan_from_json, plan_to_json, validate_json

    want = state(person("E1", "store-01"), person("E2", "store-02"))
    empty = LiveSnapshot(users=(), groups=())
    only = select.resolve(select.parse(["unit:north"]), want, None, empty)
    partial = compute_plan(want, empty, None, options=PlanOptions(only=only))
    data = plan_to_json(partial)
    assert data["partial"] == {"selectors": ["unit:north"], "people": 2}
    assert validate_json(data) == []
    again = plan_from_json(data)
    assert (again.only, again.only_people, again.partial) == (("unit:north",), 2, True)
    whole = plan_to_json(compute_plan(want, empty, None))
    assert whole["partial"] is None and validate_json(whole) == []
    assert not plan_from_json(whole).partial
