"""A person a ``skip`` rule took out of scope is suspended with the cause ``scope``, counted
by the offboard guard like any leaver, and deleted by the policy after the grace period."""

from __future__ import annotations

from datetime import date

from reconciler.model import Person, Policy, Thresholds
from reconciler.reconcile.plan import compute_plan
from reconciler.reconcile.plan_json import plan_to_json, validate_json
from tests.reconcile.conftest import desired, live_as_desired, person

DAY = date(2026, 3, 2)


def out_of_scope(eid: str) -> Person:
    return person(eid, status="suspended", suspended_on=DAY, out_of_scope="interns")


def test_moving_out_of_scope_suspends_with_the_cause_scope_and_the_rule() -> None:
    employed = desired(person("E1"), person("E2"))
    skipped = desired(person("E1"), out_of_scope("E2"))
    plan = compute_plan(skipped, live_as_desired(employed), employed)
    (action,) = plan.actions
    assert (action.kind, action.cause) == ("suspend_user", "scope")
    assert action.reason == "out of scope (rule interns), suspended for the grace period"
    assert plan.causes()["scope"] == 1
    assert validate_json(plan_to_json(plan)) == []


def test_after_the_grace_period_the_policy_deletes_them() -> None:
    skipped = desired(person("E1"), out_of_scope("E2"))
    gone = desired(person("E1"))
    plan = compute_plan(gone, live_as_desired(skipped), skipped)
    (action,) = plan.actions
    assert (action.kind, action.cause) == ("delete_user", "policy")
    assert action.reason == "out of scope, grace period over"


def test_back_in_scope_is_a_reactivation() -> None:
    skipped = desired(person("E1"), out_of_scope("E2"))
    back = desired(person("E1"), person("E2"))
    plan = compute_plan(back, live_as_desired(skipped), skipped)
    (action,) = plan.actions
    assert (action.kind, action.reason) == (
        "reactivate_user",
        "back in the desired state, out of scope by rule interns when last applied",
    )


def test_the_offboard_guard_counts_people_moved_out_of_scope() -> None:
    policy = Policy(thresholds=Thresholds(max_offboard_percent=10, min_managed=10))
    employed = desired(*(person(f"E{i:02}") for i in range(20)), policy=policy)
    scoped = [out_of_scope(f"E{i:02}") for i in range(5)]
    skipped = desired(*scoped, *(person(f"E{i:02}") for i in range(5, 20)), policy=policy)
    plan = compute_plan(skipped, live_as_desired(employed), employed)
    assert plan.blocked
    assert "5 suspensions and deletions" in (plan.blocked_message() or "")
