"""Drift, end to end: a membership removed by hand and an account deleted by hand in Speakap
show as drift in plan.json and plan.md, not as moves or joins; the deleted account comes back
as the same account where the server keeps it recoverable (the simulator, like Speakap), and
is created anew where it cannot (scim2-server), with one account per employee id either way."""

from __future__ import annotations

from reconciler.speakap.errors import NotFoundError
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World, policy_yaml

STAFF = [person(f"E{i:02}", unit="store-01" if i % 2 else "store-02") for i in range(1, 13)]


def keeps_deleted_users(world: World) -> bool:
    """Whether the server lists recoverable deleted users (the simulator does, like Speakap)."""
    try:
        world.client.list_all("/DeletedUsers")
    except NotFoundError:
        return False
    return True


def test_hand_edits_in_speakap_are_planned_and_put_back_as_drift(world: World) -> None:
    world.sync(STAFF, "day 0")
    users = world.users()
    removed, deleted = users["E01"], users["E03"]
    world.client.patch(
        "/Groups",
        world.group_id("sales"),
        [{"op": "remove", "path": f'members[value eq "{removed["id"]}"]'}],
    )
    world.client.delete("/Users", deleted["id"])

    assert world.plan() == 2
    plan = world.plan_json()
    by_id = {a["id"]: a for a in plan["actions"]}
    assert by_id["add_membership:E01:sales"]["cause"] == "drift"
    assert {a["cause"] for a in plan["actions"]} == {"drift"}
    assert plan["causes"]["drift"] == len(plan["actions"])
    recoverable = keeps_deleted_users(world)
    if recoverable:
        assert by_id["recover_user:E03"]["user_id"] == deleted["id"]
        assert "create_user:E03" not in by_id
        # recovery brings the memberships back with the account: nothing more to add
        assert not any(a.startswith("add_membership:E03") for a in by_id)
    else:
        assert "new invite" in by_id["create_user:E03"]["reason"]
        assert "recover_user:E03" not in by_id
    md = (world.out / "plan.md").read_text()
    assert (
        "**Corrected in Speakap** (changed by hand, not by HR): 1 membership removed by hand" in md
    )
    said = "recovered (no new invite)" if recoverable else "created anew (a new invite goes out)"
    assert f"1 account deleted by hand → {said}" in md
    headline = md.splitlines()[0]
    assert headline == "## speakap-sync plan: 2 drift", headline  # no move, no join

    assert world.apply() == 0
    assert world.plan() == 0
    after = world.users()
    e03 = [u for u in world.client.list_all("/Users") if u.get("externalId") == "E03"]
    assert len(e03) == 1  # one account per employee id
    assert (after["E03"]["id"] == deleted["id"]) is recoverable
    assert world.groups_of(after["E03"]) == {"store-01", "sales"}
    assert world.groups_of(after["E01"]) == {"store-01", "sales"}


def test_a_hand_deleted_account_is_left_deleted_when_the_policy_says_so(world: World) -> None:
    world.set_policy(policy_yaml() + "recreate_deleted: false\n")
    world.sync(STAFF, "day 0")
    gone = world.users()["E05"]
    world.client.delete("/Users", gone["id"])
    code = world.plan()
    plan = world.plan_json()
    if keeps_deleted_users(world):  # recoverable: recovered whatever the policy says
        assert code == 2 and [a["kind"] for a in plan["actions"]] == ["recover_user"]
        assert plan["left_deleted"] == []
    else:
        assert code == 0 and plan["actions"] == [] and plan["left_deleted"] == ["E05"]
        md = (world.out / "plan.md").read_text()
        assert "1 account deleted by hand → left deleted" in md


def test_a_recovered_account_gets_no_second_invite(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, sim = sim_world
    world.sync(STAFF, "day 0")
    gone = world.users()["E07"]
    world.client.delete("/Users", gone["id"])
    world.plan()
    assert world.apply() == 0
    invites = [i for i in sim.invitations() if i["external_id"] == "E07"]
    assert len(invites) == 1  # the day-0 invite; the recovered account keeps its activation
    assert world.users()["E07"]["id"] == gone["id"]


def test_an_account_back_after_the_grace_period_is_a_new_account_said_so(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STAFF, "day 0")
    leaver = person("E09", status="suspended")
    world.sync([*STAFF[:8], leaver, *STAFF[9:]], "E09 leaves")
    world.sync([*STAFF[:8], *STAFF[9:]], "E09 past the grace period")  # deleted by the sync
    world.commit(STAFF, "E09 is back")
    assert world.plan() == 2
    create = next(a for a in world.plan_json()["actions"] if a["id"] == "create_user:E09")
    assert create["cause"] == "hr"
    assert create["reason"].startswith("back after the grace period: a new account")
