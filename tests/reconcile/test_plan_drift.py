"""A managed account deleted by hand is drift: recovered where the server keeps it, created
anew where it cannot (when the policy allows), else left deleted and named. Reviewers read drift
apart from HR changes: a restored membership is no move, a recovered account no join."""

from __future__ import annotations

from dataclasses import replace

from reconciler.model import DeletedUser, LiveSnapshot, Policy
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.plan_json import plan_from_json, plan_to_json, validate_json
from reconciler.reconcile.views.describe import drift_lines, summarize
from tests.reconcile.conftest import desired, live_as_desired, person


def deleted_by_hand(snapshot: LiveSnapshot, user_id: str, *, keep: bool) -> LiveSnapshot:
    """``snapshot`` after an admin deleted ``user_id``; ``keep``: the server keeps it
    recoverable, with the groups it was in."""
    user = next(u for u in snapshot.users if u.id == user_id)
    was_in = frozenset(g.id for g in snapshot.groups if user_id in g.members)
    return replace(
        snapshot,
        users=tuple(u for u in snapshot.users if u.id != user_id),
        groups=tuple(replace(g, members=g.members - {user_id}) for g in snapshot.groups),
        deleted=(DeletedUser(user, was_in),) if keep else (),
    )


def kinds(plan: Plan) -> dict[str, tuple[str, str]]:
    return {a.id: (a.kind, a.cause) for a in plan.actions}


def test_a_recoverable_account_deleted_by_hand_is_recovered_with_its_memberships() -> None:
    state = desired(person("E1"), person("E2"))
    snapshot = deleted_by_hand(live_as_desired(state), "u-E1", keep=True)
    plan = compute_plan(state, snapshot, state)
    assert kinds(plan) == {"recover_user:E1": ("recover_user", "drift")}
    assert plan.actions[0].user_id == "u-E1"
    assert plan.managed_users == 2  # the recovered account is still a managed one


def test_a_recovered_account_gets_what_it_lacks_and_hr_changes_on_top() -> None:
    before = desired(person("E1"))
    snapshot = deleted_by_hand(live_as_desired(before), "u-E1", keep=True)
    lost = replace(snapshot, deleted=(replace(snapshot.deleted[0], groups=frozenset()),))
    after = desired(person("E1", job_title="Manager"))
    assert kinds(compute_plan(after, lost, before)) == {
        "recover_user:E1": ("recover_user", "drift"),
        "add_membership:E1:sales": ("add_membership", "drift"),
        "add_membership:E1:store-01": ("add_membership", "drift"),
        "update_user:E1": ("update_user", "hr"),
    }


def test_an_unrecoverable_account_deleted_by_hand_is_created_anew_with_a_new_invite() -> None:
    state = desired(person("E1"))
    snapshot = deleted_by_hand(live_as_desired(state), "u-E1", keep=False)
    plan = compute_plan(state, snapshot, state)
    create = plan.actions[0]
    assert (create.kind, create.cause) == ("create_user", "drift")
    assert "a new invite" in create.reason
    assert sum(1 for a in plan.actions if a.kind == "create_user") == 1


def test_without_recreate_deleted_the_account_stays_deleted_and_the_plan_names_it() -> None:
    state = desired(person("E1"), person("E2"), policy=Policy(recreate_deleted=False))
    snapshot = deleted_by_hand(live_as_desired(state), "u-E2", keep=False)
    plan = compute_plan(state, snapshot, state)
    assert plan.actions == () and plan.left_deleted == ("E2",)
    assert drift_lines(plan) == [
        "1 account deleted by hand → left deleted (policy.recreate_deleted is false): E2"
    ]
    data = plan_to_json(plan)
    assert validate_json(data) == [] and data["left_deleted"] == ["E2"]
    assert plan_from_json(data).left_deleted == ("E2",)


def test_an_account_the_sync_deleted_after_grace_comes_back_as_a_new_account() -> None:
    in_grace = desired(person("E1"), person("E2", status="suspended"))
    gone = desired(person("E1"))
    snapshot = deleted_by_hand(live_as_desired(in_grace), "u-E2", keep=True)
    plan = compute_plan(desired(person("E1"), person("E2")), snapshot, gone)
    create = next(a for a in plan.actions if a.kind == "create_user")
    assert create.cause == "hr" and create.reason.startswith("back after the grace period")
    assert not any(a.kind == "recover_user" for a in plan.actions)


def test_drift_is_counted_apart_from_moves_and_joins() -> None:
    before = desired(person("E1"), person("E2"), person("E3"))
    snapshot = live_as_desired(before)
    hand_removed = replace(
        snapshot,
        groups=tuple(
            replace(g, members=g.members - {"u-E1"}) if g.key == "sales" else g
            for g in snapshot.groups
        ),
    )
    snapshot = deleted_by_hand(hand_removed, "u-E3", keep=True)
    after = desired(person("E1"), person("E2", unit="store-02"), person("E3"), person("E4"))
    summary = summarize(compute_plan(after, snapshot, before))
    assert (summary.joins, summary.moves, summary.drift) == (1, 1, 2)
    assert drift_lines(compute_plan(after, snapshot, before)) == [
        "1 membership removed by hand → restored",
        "1 account deleted by hand → recovered (no new invite)",
    ]


def test_a_plan_without_drift_says_nothing_about_it() -> None:
    state = desired(person("E1"))
    plan = compute_plan(desired(person("E1"), person("E2")), live_as_desired(state), state)
    assert drift_lines(plan) == [] and summarize(plan).drift == 0
