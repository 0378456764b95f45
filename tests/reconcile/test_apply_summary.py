"""The apply summary tells the truth: failures that landed after all are confirmed, stale plans
are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import BlockedError
from reconciler.model import Action
from reconciler.reconcile.apply import ApplySummary, check_stale, confirm_failures
from reconciler.reconcile.journal import Journal, done_actions
from reconciler.reconcile.plan import compute_plan
from tests.reconcile.conftest import desired, live, live_as_desired, person

CREATE_E1 = Action("create_user:E1", "create_user", employee_id="E1")
ADD_E1 = Action("add_membership:E1:sales", "add_membership", employee_id="E1", org_unit="sales")


def test_a_failed_create_that_landed_is_confirmed_and_journaled(tmp_path: Path) -> None:
    summary = ApplySummary(
        plan_id="p",
        results=(
            CREATE_E1.result(False, "POST failed, may have landed"),
            ADD_E1.result(False, "not attempted"),
        ),
    )
    with Journal(tmp_path / "j.jsonl") as journal:
        confirmed = confirm_failures(summary, [ADD_E1], journal)
    assert [r.action_id for r in confirmed.failures] == ["add_membership:E1:sales"]
    assert confirmed.counts()["create_user"] == {"done": 1, "failed": 0}
    assert done_actions(tmp_path / "j.jsonl") == {"create_user:E1"}


def test_a_failed_create_that_a_fresh_plan_turns_into_an_adoption_stays_failed(
    tmp_path: Path,
) -> None:
    # someone made an account with E1's employee id by hand meanwhile: our create did not land
    summary = ApplySummary(plan_id="p", results=(CREATE_E1.result(False, "409 conflict"),))
    adopt = Action("adopt_user:E1", "adopt_user", employee_id="E1", user_id="u-9")
    with Journal(tmp_path / "j.jsonl") as journal:
        confirmed = confirm_failures(summary, [adopt], journal)
    assert [r.action_id for r in confirmed.failures] == ["create_user:E1"]


def test_stale_plan_names_the_new_actions_and_done_ones_are_fine() -> None:
    before = desired(person("E1"), person("E2"))
    reviewed = compute_plan(
        desired(person("E1", job_title="Boss")), live_as_desired(before), before
    )
    partly_done = compute_plan(desired(person("E1", job_title="Boss")), live([]), None)
    with pytest.raises(BlockedError, match="create_user:E1") as caught:
        check_stale(reviewed, partly_done)
    assert caught.value.exit_code == 3
    check_stale(
        reviewed,
        compute_plan(
            desired(person("E1", job_title="Boss")),
            live_as_desired(desired(person("E1", job_title="Boss"), person("E2"))),
            before,
        ),
    )
