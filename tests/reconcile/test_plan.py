"""The three-way plan on plain values: scenarios from the design brief."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.errors import ConfigError
from reconciler.model import LiveUser, Policy, Thresholds
from reconciler.reconcile.plan import PlanOptions, compute_plan
from tests.reconcile.conftest import desired, live, live_as_desired, live_user_for, person
from tests.reconcile.memory import apply_in_memory


def ids(plan: object) -> list[str]:
    return [a.id for a in plan.actions]  # type: ignore[attr-defined]


def test_day_zero_import_creates_everyone_with_memberships_and_no_guard_trips() -> None:
    state = desired(person("E1"), person("E2", unit="store-02"))
    plan = compute_plan(state, live([]), None)
    assert ids(plan) == [
        "create_user:E1",
        "create_user:E2",
        "add_membership:E1:sales",
        "add_membership:E1:store-01",
        "add_membership:E2:sales",
        "add_membership:E2:store-02",
    ]
    assert plan.first_run and not plan.blocked
    assert plan.actions[0].after is not None and plan.actions[0].after["invite_channel"] == "email"


def test_in_sync_network_plans_nothing() -> None:
    state = desired(person("E1"), person("E2"))
    plan = compute_plan(state, live_as_desired(state), state)
    assert plan.actions == () and not plan.has_changes
    assert plan.managed_users == 2 and plan.unmanaged_users == 0


def test_name_change_updates_only_the_changed_field_with_before_and_after() -> None:
    before = desired(person("E1"))
    after = desired(person("E1", family_name="de Vries", infix="van"))
    plan = compute_plan(after, live_as_desired(before), before)
    assert ids(plan) == ["update_user:E1"]
    action = plan.actions[0]
    assert action.before == {"infix": None, "family_name": "FamilyE1"}
    assert action.after == {"infix": "van", "family_name": "de Vries"}


def test_canonical_values_do_not_count_as_changes() -> None:
    state = desired(person("E1", email="Mixed@Example.COM ", job_title=" Clerk"))
    users = [live_user_for(person("E1"), email="mixed@example.com")]
    plan = compute_plan(state, live(users, {"store-01": {"u-E1"}, "sales": {"u-E1"}}), state)
    assert plan.actions == ()


def test_transfer_moves_managed_memberships() -> None:
    before = desired(person("E1", unit="store-01"))
    after = desired(person("E1", unit="store-02"))
    plan = compute_plan(after, live_as_desired(before), before)
    assert ids(plan) == ["add_membership:E1:store-02", "remove_membership:E1:store-01"]


def test_manual_membership_survives() -> None:
    state = desired(person("E1"))
    snapshot = live_as_desired(state)
    hand_made = replace(
        snapshot,
        groups=tuple(
            replace(g, members=g.members | {"u-E1"}) if g.key == "news" else g
            for g in snapshot.groups
        ),
    )
    plan = compute_plan(state, hand_made, state)
    assert plan.actions == ()


def test_managed_membership_removed_by_hand_is_restored() -> None:
    state = desired(person("E1"))
    snapshot = live_as_desired(state)
    removed = replace(
        snapshot,
        groups=tuple(
            replace(g, members=frozenset()) if g.key == "sales" else g for g in snapshot.groups
        ),
    )
    plan = compute_plan(state, removed, state)
    assert ids(plan) == ["add_membership:E1:sales"]


def test_without_last_applied_no_membership_is_removed() -> None:
    before = desired(person("E1", unit="store-01"))
    after = desired(person("E1", unit="store-02"))
    plan = compute_plan(after, live_as_desired(before), None)
    assert ids(plan) == ["add_membership:E1:store-02"]


def test_unmanaged_admin_is_counted_and_untouched() -> None:
    state = desired(person("E1"))
    admin = LiveUser(
        id="admin",
        employee_id=None,
        user_name="admin@corp.example",
        given_name="Ada",
        family_name="Admin",
        email="admin@corp.example",
    )
    plan = compute_plan(state, live_as_desired(state, [admin]), state)
    assert plan.actions == ()
    assert plan.unmanaged_users == 1


def test_leaver_is_suspended_then_deleted_after_grace() -> None:
    employed = desired(person("E1"), person("E2"))
    in_grace = desired(person("E1"), person("E2", status="suspended"))
    plan = compute_plan(in_grace, live_as_desired(employed), employed)
    assert ids(plan) == ["suspend_user:E2"]
    past_grace = desired(person("E1"))
    plan = compute_plan(past_grace, live_as_desired(in_grace), in_grace)
    assert ids(plan) == ["delete_user:E2"]


def test_leaver_past_grace_is_anonymized_when_policy_says_so_and_then_left_alone() -> None:
    policy = Policy(offboarding="anonymize")
    in_grace = desired(person("E1"), person("E2", status="suspended"), policy=policy)
    gone = desired(person("E1"), policy=policy)
    snapshot = live_as_desired(in_grace)
    plan = compute_plan(gone, snapshot, in_grace)
    assert ids(plan) == ["anonymize_user:E2"]
    after = apply_in_memory(snapshot, plan.actions, gone)
    assert compute_plan(gone, after, gone).actions == ()


def test_rehire_inside_grace_is_reactivated_not_recreated() -> None:
    in_grace = desired(person("E1"), person("E2", status="suspended"))
    back = desired(person("E1"), person("E2"))
    plan = compute_plan(back, live_as_desired(in_grace), in_grace)
    assert ids(plan) == ["reactivate_user:E2"]
    assert plan.actions[0].reason == "back in the desired state, suspended when last applied"


def test_a_suspended_account_without_a_last_apply_is_reactivated_for_the_desired_state() -> None:
    employed = desired(person("E1"))
    snapshot = live_as_desired(employed)
    suspended = replace(snapshot, users=tuple(replace(u, active=False) for u in snapshot.users))
    plan = compute_plan(employed, suspended, None)
    assert [(a.id, a.reason) for a in plan.actions] == [
        ("reactivate_user:E1", "active in the desired state, suspended in Speakap")
    ]


def test_protected_account_is_never_suspended_or_deleted() -> None:
    policy = Policy(protected=("e2@example.com",))
    employed = desired(person("E1"), person("E2"), person("E3"), policy=policy)
    gone = desired(person("E1"), policy=policy)
    plan = compute_plan(gone, live_as_desired(employed), employed)
    assert ids(plan) == ["delete_user:E3"]
    assert plan.protected_skipped == ("delete_user:E2",)


def test_first_run_adopts_the_single_live_user_with_the_same_email() -> None:
    state = desired(person("E1"))
    existing = LiveUser(
        id="old-1",
        employee_id=None,
        user_name="e1@example.com",
        given_name="GivenE1",
        family_name="FamilyE1",
        email="e1@example.com",
        job_title="Clerk",
    )
    plan = compute_plan(state, live([existing]), None)
    assert ids(plan)[0] == "adopt_user:E1"
    assert plan.actions[0].user_id == "old-1"
    assert "create_user:E1" not in ids(plan)


def test_first_run_does_not_adopt_when_two_live_users_match() -> None:
    state = desired(person("E1"))
    twins = [
        LiveUser(id="a", employee_id=None, user_name="e1@example.com", email="x@example.com"),
        LiveUser(id="b", employee_id=None, user_name="b", email="e1@example.com"),
    ]
    plan = compute_plan(state, live(twins), None)
    assert "create_user:E1" in ids(plan)
    assert plan.unmanaged_users == 2


def test_later_runs_do_not_adopt_by_email() -> None:
    state = desired(person("E1"))
    stranger = LiveUser(id="s", employee_id=None, user_name="s", email="e1@example.com")
    plan = compute_plan(state, live([stranger]), desired())
    assert "create_user:E1" in ids(plan)


def test_live_user_with_our_employee_id_but_no_marker_is_adopted() -> None:
    state = desired(person("E1"))
    users = [live_user_for(person("E1"), managed=False)]
    plan = compute_plan(state, live(users, {"store-01": {"u-E1"}, "sales": {"u-E1"}}), state)
    assert ids(plan) == ["adopt_user:E1"]


def test_missing_org_unit_is_created_or_refused_per_policy() -> None:
    state = desired(person("E1"))
    no_groups = replace(live([]), groups=())
    plan = compute_plan(state, no_groups, None)
    assert ids(plan)[:5] == [
        f"create_org_unit:{k}" for k in ("logistics", "news", "sales", "store-01", "store-02")
    ]
    strict = replace(state, policy=Policy(create_org_units=False))
    with pytest.raises(ConfigError, match="store-01"):
        compute_plan(strict, no_groups, None)


def test_empty_hr_export_is_blocked_and_override_is_recorded() -> None:
    employed = desired(*(person(f"E{i}") for i in range(3)))
    empty = desired()
    plan = compute_plan(empty, live_as_desired(employed), employed)
    assert plan.blocked
    message = plan.blocked_message()
    assert message is not None and "empty_desired" in message
    forced = compute_plan(
        empty, live_as_desired(employed), employed, options=PlanOptions(allow_mass_changes=True)
    )
    assert not forced.blocked and forced.allow_mass_changes
    assert any(g.overridden for g in forced.guards)


def test_mass_offboarding_is_blocked_with_how_much() -> None:
    policy = Policy(thresholds=Thresholds(max_offboard_percent=10, min_managed=10))
    employed = desired(*(person(f"E{i:02}") for i in range(20)), policy=policy)
    half = desired(*(person(f"E{i:02}") for i in range(10)), policy=policy)
    plan = compute_plan(half, live_as_desired(employed), employed)
    assert plan.blocked
    message = plan.blocked_message() or ""
    assert "offboard" in message and "10 suspensions and deletions" in message
    assert "50.0%" in message and "over by 8 users" in message
    assert "(limit 10%, 2)" in message and "points" not in message  # the limit as a count


def test_small_network_below_min_managed_is_not_guarded() -> None:
    policy = Policy(thresholds=Thresholds(max_offboard_percent=10, min_managed=10))
    employed = desired(*(person(f"E{i}") for i in range(5)), policy=policy)
    few = desired(person("E0"), policy=policy)
    plan = compute_plan(few, live_as_desired(employed), employed)
    assert not plan.blocked and len(plan.actions) == 4


def test_action_ids_are_stable_across_runs() -> None:
    before = desired(person("E1"), person("E2"))
    after = desired(person("E1", job_title="Manager"), person("E3"))
    a = compute_plan(after, live_as_desired(before), before)
    b = compute_plan(after, live_as_desired(before), before)
    assert ids(a) == ids(b)
    assert a.live_fingerprint == b.live_fingerprint


def test_an_account_anonymized_whose_deletion_failed_is_deleted_by_the_next_plan() -> None:
    policy = Policy(offboarding="anonymize")
    in_grace = desired(person("E1"), person("E2", status="suspended"), policy=policy)
    gone = desired(person("E1"), policy=policy)
    half_done = live_as_desired(in_grace)
    half_done = replace(
        half_done,
        users=tuple(
            replace(u, given_name=None, email=None, active=False, anonymized=True)
            if u.employee_id == "E2"
            else u
            for u in half_done.users
        ),
    )
    plan = compute_plan(gone, half_done, in_grace)
    assert ids(plan) == ["delete_user:E2"]
    assert plan.actions[0].reason == "anonymized, not yet deleted"


def test_hires_sharing_an_email_or_taking_a_live_account_s_are_named_before_apply() -> None:
    old = person("E01", email="Shop@example.com")
    employed = desired(old)
    twins = (person("E02", email="shop@example.com"), person("E03", email="SHOP@example.com"))
    mailbox = (person("E04", email="team@example.com"), person("E05", email="team@example.com"))
    stranger = live_user_for(person("X"), uid="u-x", employee_id=None, managed=False)
    own = person("E06", email=stranger.email)
    state = desired(old, *twins, *mailbox, own, person("E07"))
    plan = compute_plan(state, live_as_desired(employed, [stranger]), employed)
    creates = {a.employee_id for a in plan.actions if a.kind == "create_user"}
    assert {"E02", "E03", "E04", "E05"} <= creates
    groups = set(plan.shared_logins)
    assert ("E01", "E02", "E03") in groups and ("E04", "E05") in groups
    assert all("E07" not in g for g in groups)  # an email of one's own is no conflict
    # an unmanaged account without an employee id already has E06's email: E06 is created
    # (adoption goes by employee id), and Speakap would refuse that account
    assert "E06" in creates and ("E06", "unmanaged account") in groups
    email_logins_off = PlanOptions(login_is_email=False)  # logins are employee ids
    off = compute_plan(state, live_as_desired(employed), employed, options=email_logins_off)
    assert off.shared_logins == ()
    assert compute_plan(employed, live_as_desired(employed), employed).shared_logins == ()
