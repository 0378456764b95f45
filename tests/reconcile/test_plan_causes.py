"""Every action says why it exists: the HR export, the rules, the policy, or drift in Speakap."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from reconciler.model import ACTION_CAUSES, Action, DesiredState, LiveSnapshot, OrgUnit
from reconciler.reconcile.plan import Plan, PlanOptions, compute_plan
from reconciler.reconcile.plan_json import plan_to_json, read_plan, validate_json, write_plan_json
from tests.reconcile.conftest import UNITS, desired, live_as_desired, person


def causes(plan: Plan) -> dict[str, str]:
    return {a.id: a.cause for a in plan.actions}


def without_member(snapshot: LiveSnapshot, key: str, user_id: str) -> LiveSnapshot:
    groups = tuple(
        replace(g, members=g.members - {user_id}) if g.key == key else g for g in snapshot.groups
    )
    return replace(snapshot, groups=groups)


def without_user(snapshot: LiveSnapshot, user_id: str) -> LiveSnapshot:
    return replace(
        snapshot,
        users=tuple(u for u in snapshot.users if u.id != user_id),
        groups=tuple(replace(g, members=g.members - {user_id}) for g in snapshot.groups),
    )


def test_a_hire_a_transfer_and_a_leaver_are_hr_changes() -> None:
    before = desired(person("E1"), person("E2"))
    after = desired(person("E1", unit="store-02"), person("E2", status="suspended"), person("E3"))
    plan = compute_plan(after, live_as_desired(before), before)
    assert causes(plan) == {
        "create_user:E3": "hr",
        "add_membership:E3:sales": "hr",
        "add_membership:E3:store-01": "hr",
        "add_membership:E1:store-02": "hr",
        "remove_membership:E1:store-01": "hr",
        "suspend_user:E2": "hr",
    }


def test_a_membership_removed_by_hand_is_restored_as_drift() -> None:
    state = desired(person("E1"))
    plan = compute_plan(state, without_member(live_as_desired(state), "sales", "u-E1"), state)
    (action,) = plan.actions
    assert (action.id, action.cause) == ("add_membership:E1:sales", "drift")
    assert "by hand" in action.reason


def test_a_new_membership_beside_a_hand_removed_one_keeps_its_own_cause() -> None:
    before = desired(person("E1"))
    after = desired(person("E1", memberships=("news", "sales", "store-01")))
    snapshot = without_member(live_as_desired(before), "sales", "u-E1")
    assert causes(compute_plan(after, snapshot, before)) == {
        "add_membership:E1:news": "hr",
        "add_membership:E1:sales": "drift",
    }


def test_a_field_edited_by_hand_is_put_back_as_drift_and_an_hr_edit_is_hr() -> None:
    state = desired(person("E1"), person("E2"))
    snapshot = live_as_desired(state)
    edited = replace(
        snapshot,
        users=tuple(
            replace(u, job_title="Boss") if u.employee_id == "E1" else u for u in snapshot.users
        ),
    )
    new_title = desired(person("E1"), person("E2", job_title="Manager"))
    assert causes(compute_plan(new_title, edited, state)) == {
        "update_user:E1": "drift",
        "update_user:E2": "hr",
    }


def test_an_account_deleted_by_hand_is_drift_and_a_new_person_is_hr() -> None:
    state = desired(person("E1"))
    plan = compute_plan(state, without_user(live_as_desired(state), "u-E1"), state)
    assert set(causes(plan).values()) == {"drift"}
    create = plan.actions[0]
    assert create.kind == "create_user" and "deleted by hand" in create.reason


def test_suspended_by_hand_is_drift_and_back_in_the_export_is_hr() -> None:
    state = desired(person("E1"), person("E2"))
    in_grace = desired(person("E1"), person("E2", status="suspended"))
    snapshot = live_as_desired(in_grace)
    suspended = replace(
        snapshot,
        users=tuple(replace(u, active=False) if u.id == "u-E1" else u for u in snapshot.users),
    )
    assert causes(compute_plan(state, suspended, in_grace)) == {
        "reactivate_user:E1": "drift",
        "reactivate_user:E2": "hr",
    }


def test_a_leaver_reactivated_by_hand_is_suspended_again_as_drift() -> None:
    in_grace = desired(person("E1", status="suspended"))
    snapshot = live_as_desired(desired(person("E1")))
    assert causes(compute_plan(in_grace, snapshot, in_grace)) == {"suspend_user:E1": "drift"}


def test_deletion_after_the_grace_period_is_policy() -> None:
    in_grace = desired(person("E1"), person("E2", status="suspended"))
    gone = desired(person("E1"))
    plan = compute_plan(gone, live_as_desired(in_grace), in_grace)
    assert causes(plan) == {"delete_user:E2": "policy"}


def test_changed_rules_are_the_cause_when_the_persons_hr_fields_did_not_change() -> None:
    before = desired(person("E1"), person("E2"))
    after = desired(
        person("E1", memberships=("news", "sales", "store-01")),
        person("E2", memberships=("news", "sales", "store-01"), phone="+31612345678"),
    )
    snapshot = live_as_desired(before)
    ruled = compute_plan(after, snapshot, before, options=PlanOptions(rules_changed=True))
    assert causes(ruled) == {
        "add_membership:E1:news": "rules",
        "add_membership:E2:news": "hr",
        "update_user:E2": "hr",
    }
    unruled = compute_plan(after, snapshot, before)
    assert set(causes(unruled).values()) == {"hr"}


def test_org_units_follow_the_rules_and_a_hand_edit_is_drift() -> None:
    renamed = tuple(replace(u, name="Shop 01") if u.key == "store-01" else u for u in UNITS)
    state = desired(person("E1"))
    snapshot = live_as_desired(state)
    new_units = DesiredState(
        org_units=(*renamed, OrgUnit(key="hq", kind="business_unit", name="HQ")),
        people=state.people,
    )
    assert causes(compute_plan(new_units, snapshot, state)) == {
        "create_org_unit:hq": "rules",
        "update_org_unit:store-01": "rules",
    }
    edited = replace(
        snapshot,
        groups=tuple(
            replace(g, name="Renamed by hand") if g.key == "news" else g
            for g in snapshot.groups
            if g.key != "logistics"
        ),
    )
    assert causes(compute_plan(state, edited, state)) == {
        "create_org_unit:logistics": "drift",
        "update_org_unit:news": "drift",
    }


def test_a_first_run_has_no_drift() -> None:
    state = desired(person("E1"))
    snapshot = without_member(live_as_desired(state), "sales", "u-E1")
    assert causes(compute_plan(state, snapshot, None)) == {"add_membership:E1:sales": "hr"}


def test_plan_json_carries_each_cause_and_the_count_per_cause(tmp_path: Path) -> None:
    state = desired(person("E1"), person("E2"))
    after = desired(person("E1"), person("E2"), person("E3"))
    snapshot = without_member(live_as_desired(state), "sales", "u-E1")
    plan = compute_plan(after, snapshot, state)
    data = plan_to_json(plan)
    assert validate_json(data) == []
    assert data["causes"] == {"hr": 3, "rules": 0, "policy": 0, "drift": 1, "scope": 0}
    assert list(data["causes"]) == list(ACTION_CAUSES)
    row = next(r for r in data["actions"] if r["id"] == "add_membership:E1:sales")
    assert row["cause"] == "drift"
    back = read_plan(write_plan_json(plan, tmp_path / "plan.json"))
    assert causes(back) == causes(plan)


def test_a_plan_json_without_causes_reads_as_hr(tmp_path: Path) -> None:
    state = desired(person("E1"))
    data = plan_to_json(compute_plan(state, live_as_desired(desired()), None))
    del data["causes"]
    for row in data["actions"]:
        del row["cause"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    assert {a.cause for a in read_plan(path).actions} == {"hr"}


def test_an_unknown_cause_is_not_a_valid_plan() -> None:
    data = plan_to_json(compute_plan(desired(person("E1")), live_as_desired(desired()), None))
    data["actions"][0]["cause"] = "whim"
    assert any("cause" in e for e in validate_json(data))


def test_an_action_is_an_hr_change_unless_told_otherwise() -> None:
    assert Action(id="create_user:E1", kind="create_user").cause == "hr"


def test_a_leaver_whose_contract_ended_is_suspended_saying_when_it_ended() -> None:
    from datetime import date

    employed = desired(person("E1"), person("E2"))
    left = desired(
        person("E1", status="suspended", suspended_on=date(2026, 3, 3), end_date=date(2026, 3, 1)),
        person("E2", status="suspended", suspended_on=date(2026, 3, 3)),
    )
    reasons = {
        a.id: a.reason for a in compute_plan(left, live_as_desired(employed), employed).actions
    }
    assert reasons == {
        "suspend_user:E1": "contract ended on 2026-03-01, suspended for the grace period",
        "suspend_user:E2": "left the HR export, suspended for the grace period",
    }
