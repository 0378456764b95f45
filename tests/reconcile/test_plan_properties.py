"""Properties of the plan on random desired, live and last-applied states (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.model import (
    OFFBOARD_KINDS,
    DeletedUser,
    DesiredState,
    LiveGroup,
    LiveSnapshot,
    LiveUser,
    Person,
    Policy,
    Thresholds,
)
from reconciler.reconcile.plan import compute_plan
from tests.reconcile.conftest import UNITS, desired, live, person
from tests.reconcile.memory import apply_in_memory

EIDS = [f"E{i}" for i in range(8)]
KEYS = [u.key for u in UNITS]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

memberships = st.frozensets(st.sampled_from(KEYS), max_size=3).map(lambda s: tuple(sorted(s)))


@st.composite
def people(draw: st.DrawFn) -> tuple[Person, ...]:
    chosen = draw(st.lists(st.sampled_from(EIDS), unique=True, max_size=len(EIDS)))
    return tuple(
        person(
            eid,
            memberships=draw(memberships),
            job_title=draw(st.sampled_from(["Clerk", "Manager", None])),
            status=draw(st.sampled_from(["active", "active", "suspended"])),
        )
        for eid in sorted(chosen)
    )


@st.composite
def live_states(draw: st.DrawFn) -> LiveSnapshot:
    users: list[LiveUser] = []
    member_of: dict[str, set[str]] = {k: set() for k in KEYS}
    for eid in draw(st.lists(st.sampled_from(EIDS), unique=True)):
        users.append(
            LiveUser(
                id=f"u-{eid}",
                employee_id=eid,
                user_name=f"{eid.lower()}@example.com",
                given_name=f"Given{eid}",
                family_name=draw(st.sampled_from([f"Family{eid}", "Renamed"])),
                email=f"{eid.lower()}@example.com",
                job_title=draw(st.sampled_from(["Clerk", "Manager", None])),
                active=draw(st.booleans()),
                managed=draw(st.booleans()),
            )
        )
    for n in range(draw(st.integers(0, 2))):  # admins and externals, some look like employees
        email = draw(st.sampled_from([f"admin{n}@corp.example", "e1@example.com"]))
        users.append(LiveUser(id=f"x-{n}", employee_id=None, user_name=f"x{n}", email=email))
    for user in users:
        for key in draw(memberships):
            member_of[key].add(user.id)
    # some org units renamed by hand in Speakap; a hand-made group and one no longer declared
    names = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["Old", "Store 01"])))
    extra = draw(
        st.lists(
            st.sampled_from(
                [
                    LiveGroup(id="g-hand", key=None, name="Store 01", kind="business_unit"),
                    LiveGroup(id="g-gone", key="gone", name="Gone", kind="department"),
                ]
            ),
            unique=True,
        )
    )
    snapshot = live(users, member_of, names=names, extra_groups=tuple(extra))
    # managed accounts deleted (by hand or by the sync) that the server keeps recoverable
    gone = [e for e in EIDS if e not in {u.employee_id for u in users}]
    chosen = draw(st.lists(st.sampled_from(gone), unique=True)) if gone else []
    deleted = tuple(
        DeletedUser(
            LiveUser(id=f"d-{eid}", employee_id=eid, user_name=f"d-{eid}", managed=True),
            frozenset(f"g-{k}" for k in draw(memberships)),
        )
        for eid in chosen
    )
    return replace(snapshot, deleted=deleted)


def policies() -> st.SearchStrategy[Policy]:
    return st.builds(
        Policy,
        offboarding=st.sampled_from(["delete", "anonymize"]),
        thresholds=st.builds(
            Thresholds,
            max_offboard_percent=st.sampled_from([0.0, 10.0, 50.0, 100.0]),
            max_update_percent=st.sampled_from([0.0, 30.0, 100.0]),
            min_managed=st.integers(0, 5),
        ),
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[DesiredState, LiveSnapshot, DesiredState | None]:
    policy = draw(policies())
    want = desired(*draw(people()), policy=policy)
    last = draw(st.none() | people().map(lambda ps: desired(*ps, policy=policy)))
    return want, draw(live_states()), last


@FAST
@given(worlds())
def test_applying_the_plan_converges(
    world: tuple[DesiredState, LiveSnapshot, DesiredState | None],
) -> None:
    want, snapshot, last = world
    plan = compute_plan(want, snapshot, last)
    after = apply_in_memory(snapshot, plan.actions, want)
    again = compute_plan(want, after, want)
    assert again.actions == (), [a.id for a in again.actions]
    assert_live_matches(want, after)
    managed = [u.employee_id for u in after.users if u.managed]
    assert len(managed) == len(set(managed))  # one account per employee id
    for action in plan.actions:  # an account deleted by hand is recovered, never duplicated
        if action.kind == "recover_user":
            assert f"create_user:{action.employee_id}" not in plan.ids()


def assert_live_matches(want: DesiredState, after: LiveSnapshot) -> None:
    """Every desired person is live, managed, with their profile, status and memberships."""
    by_eid = {u.employee_id: u for u in after.users if u.managed}
    keys_of: dict[str, set[str]] = {}
    for group in after.groups:
        for member in group.members:
            keys_of.setdefault(member, set()).add(str(group.key))
    for p in want.people:
        user = by_eid.get(p.employee_id)
        if user is None:
            assert p.status == "suspended", p.employee_id
            continue
        assert user.profile() == p.profile()
        assert user.active == (p.status == "active")
        assert set(p.memberships) <= keys_of.get(user.id, set())


@FAST
@given(worlds())
def test_unmanaged_accounts_and_manual_memberships_are_untouched(
    world: tuple[DesiredState, LiveSnapshot, DesiredState | None],
) -> None:
    want, snapshot, last = world
    plan = compute_plan(want, snapshot, last)
    desired_ids = {p.employee_id for p in want.people}
    last_ids = {p.employee_id for p in last.people} if last else set()
    adopted = {a.user_id for a in plan.actions if a.kind == "adopt_user"}
    unmanaged = {
        u.id
        for u in snapshot.users
        if u.employee_id not in desired_ids | last_ids and not u.managed and u.id not in adopted
    }
    touched = {a.user_id for a in plan.actions}
    assert not unmanaged & touched
    declared = {u.key for u in want.org_units}
    updated = {a.org_unit for a in plan.actions if a.kind == "update_org_unit"}
    assert updated <= declared  # hand-made and undeclared groups are never updated
    live_keys = {g.key for g in snapshot.groups if g.key is not None}
    assert set(plan.undeclared_org_units) == live_keys - declared
    last_memberships = {p.employee_id: set(p.memberships) for p in last.people} if last else {}
    for action in plan.actions:
        if action.kind == "remove_membership":
            assert action.org_unit in last_memberships.get(str(action.employee_id), set())
            assert action.org_unit not in want.people_by_id()[str(action.employee_id)].memberships


@FAST
@given(worlds())
def test_an_anonymization_whose_deletion_failed_is_only_deleted_by_the_next_plan(
    world: tuple[DesiredState, LiveSnapshot, DesiredState | None],
) -> None:
    want, snapshot, last = world
    want = replace(want, policy=replace(want.policy, offboarding="anonymize"))
    plan = compute_plan(want, snapshot, last)
    anonymized = {a.employee_id for a in plan.actions if a.kind == "anonymize_user"}
    every_id = {u.id for u in snapshot.users}
    half_done = apply_in_memory(snapshot, plan.actions, want, failing_deletes=every_id)
    again = compute_plan(want, half_done, want)
    assert {a.employee_id for a in again.actions} == anonymized
    assert {(a.kind, a.reason) for a in again.actions} <= {
        ("delete_user", "anonymized, not yet deleted")
    }
    done = apply_in_memory(half_done, again.actions, want)
    assert compute_plan(want, done, want).actions == ()


@FAST
@given(worlds())
def test_guards_block_every_plan_over_a_threshold(
    world: tuple[DesiredState, LiveSnapshot, DesiredState | None],
) -> None:
    want, snapshot, last = world
    plan = compute_plan(want, snapshot, last)
    counts = plan.counts()
    t = want.policy.thresholds
    managed = plan.managed_users
    offboard = sum(counts[kind] for kind in OFFBOARD_KINDS)
    guarded = managed >= t.min_managed and managed > 0
    over = guarded and (
        100 * offboard / managed > t.max_offboard_percent
        or 100 * counts["update_user"] / managed > t.max_update_percent
    )
    empty = not want.people and managed > 0
    assert plan.blocked == (over or empty)


@FAST
@given(worlds())
def test_protected_accounts_are_never_offboarded(
    world: tuple[DesiredState, LiveSnapshot, DesiredState | None],
) -> None:
    want, snapshot, last = world
    protected = replace(want, policy=replace(want.policy, protected=("E1", "e2@example.com")))
    plan = compute_plan(protected, snapshot, last)
    for action in plan.actions:
        if action.kind in OFFBOARD_KINDS:
            assert action.employee_id not in ("E1", "E2")


@FAST
@given(live_states())
def test_the_live_fingerprint_ignores_order_and_etags_but_sees_content(
    snapshot: LiveSnapshot,
) -> None:
    shuffled = replace(
        snapshot,
        users=tuple(replace(u, etag='W/"x"') for u in reversed(snapshot.users)),
        groups=tuple(reversed(snapshot.groups)),
    )
    assert shuffled.fingerprint() == snapshot.fingerprint()
    if snapshot.users:
        changed = replace(
            snapshot, users=(replace(snapshot.users[0], job_title="X"), *snapshot.users[1:])
        )
        assert changed.fingerprint() != snapshot.fingerprint() or (
            snapshot.users[0].job_title == "X"
        )
