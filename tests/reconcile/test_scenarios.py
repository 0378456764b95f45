"""End-to-end scenarios from the design brief: git + CLI + a live SCIM server.

The ``world`` fixture (conftest_live) runs every scenario against the embedded simulator and,
where the scenario only needs plain SCIM, against scim2-server as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.desired.last_applied import LAST_APPLIED_REF
from tests.reconcile.conftest import person
from tests.reconcile.sheets import parse_sheet
from tests.reconcile.world import World, policy_yaml

STAFF = [person(f"E{i:02}", unit="store-01" if i % 2 else "store-02") for i in range(1, 13)]


def test_day_zero_import_then_a_day_of_hires_transfers_a_name_change_and_leavers(
    world: World,
) -> None:
    admin = world.client.create(
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "admin",
            "name": {"givenName": "Ada", "familyName": "Admin"},
        },
    )
    day0 = world.sync(STAFF, "day 0")
    assert day0["counts"]["create_user"] == 12 and day0["counts"]["create_org_unit"] == 5
    assert day0["unmanaged_users"] == 1
    users = world.users()
    assert {f"E{i:02}" for i in range(1, 13)} <= set(users)
    assert world.groups_of(users["E01"]) == {"store-01", "sales"}
    tag = world.repo.tags[LAST_APPLIED_REF].commit.hexsha
    assert tag == world.repo.head.commit.hexsha

    day1 = [
        person("E01", unit="store-02"),  # transfer
        person("E02", family_name="Jansen", infix="van"),  # name change
        *[p for p in STAFF[2:11]],
        person("E12", unit="store-02", status="suspended"),  # leaves: suspended in grace
        person("E13", unit="store-01"),  # hire
    ]
    plan = world.sync(day1, "day 1")
    ids = {a["id"] for a in plan["actions"]}
    assert {
        "add_membership:E01:store-02",
        "remove_membership:E01:store-01",
        "update_user:E02",
        "suspend_user:E12",
        "create_user:E13",
    } <= ids
    users = world.users()
    assert world.groups_of(users["E01"]) == {"store-02", "sales"}
    assert users["E02"]["name"]["familyName"] == "Jansen"
    assert users["E12"]["active"] is False
    assert "E13" in users
    assert users["admin"]["id"] == admin["id"]
    assert users["admin"]["meta"]["version"] == admin["meta"]["version"]  # untouched


def test_manual_membership_survives_and_a_managed_one_removed_by_hand_is_restored(
    world: World,
) -> None:
    world.sync(STAFF)
    e01 = world.users()["E01"]
    world.client.patch(
        "/Groups",
        world.group_id("news"),
        [{"op": "add", "path": "members", "value": [{"value": e01["id"]}]}],
    )
    world.client.patch(
        "/Groups",
        world.group_id("sales"),
        [{"op": "remove", "path": f'members[value eq "{e01["id"]}"]'}],
    )
    assert world.plan() == 2
    assert [a["id"] for a in world.plan_json()["actions"]] == ["add_membership:E01:sales"]
    assert world.apply() == 0
    assert world.groups_of(e01) == {"store-01", "sales", "news"}
    assert world.plan() == 0


def test_rehire_inside_grace_is_reactivated_not_recreated(world: World) -> None:
    world.sync(STAFF)
    before = world.users()["E05"]["id"]
    world.sync([*STAFF[:4], person("E05", status="suspended"), *STAFF[5:]], "E05 leaves")
    assert world.users()["E05"]["active"] is False
    plan = world.sync(STAFF, "E05 is back")
    assert [a["id"] for a in plan["actions"]] == ["reactivate_user:E05"]
    assert world.users()["E05"]["id"] == before and world.users()["E05"]["active"] is True


@pytest.mark.parametrize("offboarding", ["delete", "anonymize"])
def test_leaver_past_grace_is_deleted_or_anonymized_per_policy(
    world: World, offboarding: str
) -> None:
    world.set_policy(policy_yaml(offboarding))
    world.sync(STAFF)
    world.sync([*STAFF[:11], person("E12", unit="store-02", status="suspended")], "E12 leaves")
    plan = world.sync(STAFF[:11], "grace period over")
    assert [a["id"] for a in plan["actions"]] == [f"{offboarding}_user:E12"]
    assert "E12" not in world.users()


def test_protected_account_is_kept_when_it_leaves(world: World) -> None:
    world.set_policy(policy_yaml(protected=["e12@example.com"]))
    world.sync(STAFF)
    plan = world.sync(STAFF[:11], "E12 gone from HR")
    assert plan["actions"] == [] and plan["protected_skipped"] == ["delete_user:E12"]
    assert world.users()["E12"]["active"] is True


def test_empty_hr_export_is_blocked(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.sync(STAFF)
    world.commit([], "truncated export")
    assert world.plan() == 3
    message = capsys.readouterr().err
    assert "guard 'offboard'" in message and "over by" in message
    assert world.plan_json()["blocked"] is True
    assert world.apply() == 3  # the blocked plan cannot be applied either
    assert len(world.users()) == 12
    assert world.plan("--allow-mass-changes") == 2
    assert world.plan_json()["allow_mass_changes"] is True


def test_stale_plan_is_refused_naming_the_new_actions(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.sync(STAFF)
    world.commit([*STAFF, person("E13")], "hire")
    assert world.plan() == 2
    e01 = world.users()["E01"]
    world.client.patch(
        "/Groups",
        world.group_id("sales"),
        [{"op": "remove", "path": f'members[value eq "{e01["id"]}"]'}],
    )
    capsys.readouterr()
    assert world.apply() == 3
    err = capsys.readouterr().err
    assert "stale plan" in err and "add_membership:E01:sales" in err
    assert "E13" not in world.users()  # nothing was applied


def test_printable_invites_get_a_sheet_per_business_unit_outside_git(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    printable = [
        person("P1", email=None, invite_channel="printable"),
        person("P2", unit="store-02", email=None, invite_channel="printable"),
    ]
    world.commit([*STAFF, *printable])
    assert world.plan() == 2
    capsys.readouterr()
    assert world.apply("--output", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True and summary["failed"] == 0
    assert summary["counts"]["create_user"] == {"done": 14, "failed": 0}
    sheets = sorted(Path(p).name for p in summary["invite_sheets"])
    assert sheets == ["invites-store-01.html", "invites-store-02.html"]
    [card] = parse_sheet((world.out / "invites" / "invites-store-01.html").read_text()).cards
    assert "GivenP1" in card.name and card.login == "P1"  # codes: test_printable_invites
    assert not str(world.out).startswith(str(world.root / "repo"))


def test_apply_without_a_plan_asks_and_a_no_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    world.commit(STAFF[:3])
    args = ["apply", "--state-dir", str(world.state), "--out", str(world.out)]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert world.cli(*args) == 1
    assert "aborted" in capsys.readouterr().err
    assert world.users() == {}
    assert world.cli(*args, "--auto-approve") == 0
    assert set(world.users()) == {"E01", "E02", "E03"}


def test_no_token_in_any_output_and_a_bad_plan_file_is_named(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.sync(STAFF[:3])
    written = [p.read_text() for p in world.out.rglob("*") if p.is_file()]
    assert written and not any(world.token in text for text in written)
    assert world.token not in capsys.readouterr().out
    (world.out / "plan.json").write_text('{"format_version": 2}')
    assert world.apply() == 1
    err = capsys.readouterr().err
    assert "plan.json" in err and "not a valid plan" in err and "Traceback" not in err


def test_a_wrong_token_is_one_clear_error_without_the_token(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.commit(STAFF[:2])
    monkeypatch.setenv("SPEAKAP_TOKEN", "wrong-token-42")
    capsys.readouterr()
    assert world.plan() == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "wrong-token-42" not in err
    assert not (world.out / "plan.json").exists()  # nothing half-written
