"""The stale check compares what an action does, not only its id: an action the reviewers saw
that would now write other values is something they did not see."""

from __future__ import annotations

import pytest

from reconciler.errors import BlockedError
from reconciler.reconcile.apply import check_stale
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.plan_json import plan_from_json, plan_to_json
from tests.reconcile.conftest import desired, live, live_as_desired, live_user_for, person


def _as_reviewed(plan: Plan) -> Plan:
    """The reviewed plan as apply reads it: through plan.json."""
    return plan_from_json(plan_to_json(plan))


def test_an_update_that_now_also_changes_the_email_is_stale() -> None:
    before = desired(person("E1"), person("E2"))
    reviewed = _as_reviewed(
        compute_plan(
            desired(person("E1", job_title="Boss"), person("E2")), live_as_desired(before), before
        )
    )
    # main changed after the review: the same person's email now goes elsewhere too
    changed = desired(
        person("E1", job_title="Boss", email="someone@elsewhere.example"), person("E2")
    )
    current = compute_plan(changed, live_as_desired(before), before)
    assert reviewed.ids() == current.ids()  # the same action ids, other values
    with pytest.raises(BlockedError, match=r"update_user:E1") as caught:
        check_stale(reviewed, current)
    assert caught.value.exit_code == 3
    assert "someone@elsewhere" not in str(caught.value)  # the message names fields, not values


def test_a_join_with_another_email_than_reviewed_is_stale() -> None:
    reviewed = _as_reviewed(compute_plan(desired(person("E1")), live([]), None))
    current = compute_plan(desired(person("E1", email="other@example.com")), live([]), None)
    with pytest.raises(BlockedError, match=r"create_user:E1 \(email\)"):
        check_stale(reviewed, current)


def test_an_update_partly_done_meanwhile_is_not_stale() -> None:
    before = desired(person("E1"))
    after = desired(person("E1", job_title="Boss", phone="+31612345678"))
    reviewed = _as_reviewed(compute_plan(after, live_as_desired(before), before))
    # someone already set the phone by hand: only the job title is left to do
    halfway = live_as_desired(desired(person("E1", phone="+31612345678")))
    current = compute_plan(after, halfway, before)
    check_stale(reviewed, current)


def test_an_unchanged_plan_read_back_from_plan_json_is_not_stale() -> None:
    before = desired(person("E1"), person("E2"))
    after = desired(person("E1", job_title="Boss"), person("E3"))
    plan = compute_plan(after, live_as_desired(before), before)
    check_stale(_as_reviewed(plan), plan)


def test_a_suspension_that_now_targets_another_account_is_stale() -> None:
    leaver = person("E1", status="suspended")
    before = desired(person("E1"), person("E2"))
    reviewed = _as_reviewed(
        compute_plan(desired(leaver, person("E2")), live_as_desired(before), before)
    )
    assert "suspend_user:E1" in reviewed.ids()
    # after the review someone deleted E1's account by hand and made a new one with the same
    # employee id: the suspension would now hit an account the reviewers never saw
    recreated = live_as_desired(desired(person("E2")))
    recreated = live(
        [*recreated.users, live_user_for(person("E1"), uid="u-recreated")],
        {"store-01": {"u-E2", "u-recreated"}, "sales": {"u-E2", "u-recreated"}},
    )
    current = compute_plan(desired(leaver, person("E2")), recreated, before)
    assert "suspend_user:E1" in current.ids()
    with pytest.raises(BlockedError, match=r"suspend_user:E1 \(target account\)"):
        check_stale(reviewed, current)
