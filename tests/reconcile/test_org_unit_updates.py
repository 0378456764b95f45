"""Org units follow org-units.yaml once they exist: rename, re-parent, visibility (plain values).

Live groups come from ``live()`` in conftest: every declared unit exists, as declared, unless a
test says otherwise. Groups without a key are made by hand and never touched; keyed groups that
org-units.yaml no longer declares are reported, never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.errors import ConfigError
from reconciler.model import Action, DesiredState, LiveGroup, LiveSnapshot, OrgUnit
from reconciler.reconcile.apply import _waves
from reconciler.reconcile.plan import compute_plan
from reconciler.reconcile.plan_json import plan_to_json, read_plan
from reconciler.reconcile.views import print_plan, render_markdown, write_plan
from reconciler.speakap.dialect import DEFAULT_DIALECT
from tests.reconcile.conftest import UNITS, desired, live, live_as_desired, person
from tests.reconcile.memory import apply_in_memory
from tests.reconcile.world import ORG_UNITS, World

EXTENSION = DEFAULT_DIALECT.group_urn


def declared(*changes: OrgUnit, people: tuple[str, ...] = ("E1",)) -> DesiredState:
    """The conftest units with ``changes`` swapped in by key (and appended when new)."""
    by_key = {u.key: u for u in UNITS}
    by_key.update({u.key: u for u in changes})
    state = desired(*(person(e) for e in people))
    return replace(state, org_units=tuple(by_key.values()))


def in_sync() -> tuple[DesiredState, LiveSnapshot]:
    state = desired(person("E1"))
    return state, live_as_desired(state)


def test_a_renamed_store_is_one_update_with_the_old_and_new_name() -> None:
    state, snapshot = in_sync()
    renamed = declared(OrgUnit("store-01", "business_unit", "Versmarkt Amsterdam Noord"))
    plan = compute_plan(renamed, snapshot, state)
    assert [a.id for a in plan.actions] == ["update_org_unit:store-01"]
    action = plan.actions[0]
    assert action.kind == "update_org_unit" and action.group_id == "g-store-01"
    assert action.before == {"name": "Store 01"}
    assert action.after == {"name": "Versmarkt Amsterdam Noord"}
    assert plan.counts()["update_org_unit"] == 1 and plan.counts()["update_user"] == 0
    assert not plan.blocked  # org-unit updates are not user updates: no guard counts them


def test_a_department_moved_under_a_business_unit_is_re_parented() -> None:
    state, snapshot = in_sync()
    moved = declared(OrgUnit("sales", "department", "Sales", parent="store-02"))
    plan = compute_plan(moved, snapshot, state)
    assert [(a.id, a.before, a.after) for a in plan.actions] == [
        ("update_org_unit:sales", {"parent": None}, {"parent": "store-02"})
    ]


def test_a_group_made_private_changes_only_its_visibility() -> None:
    state, snapshot = in_sync()
    private = declared(OrgUnit("news", "group", "News", visibility="private"))
    plan = compute_plan(private, snapshot, state)
    assert [(a.id, a.before, a.after) for a in plan.actions] == [
        ("update_org_unit:news", {"visibility": "public"}, {"visibility": "private"})
    ]


def test_rename_and_move_together_are_one_action_with_both_fields() -> None:
    state, snapshot = in_sync()
    both = declared(OrgUnit("logistics", "department", "Warehouse", parent="store-01"))
    plan = compute_plan(both, snapshot, state)
    assert [(a.before, a.after) for a in plan.actions] == [
        ({"name": "Logistics", "parent": None}, {"name": "Warehouse", "parent": "store-01"})
    ]


def test_a_visibility_left_undeclared_keeps_the_live_one() -> None:
    state, snapshot = in_sync()
    plain = declared(OrgUnit("news", "group", "News"))
    assert compute_plan(plain, snapshot, state).actions == ()


def test_an_org_unit_as_declared_plans_nothing() -> None:
    state, snapshot = in_sync()
    plan = compute_plan(state, snapshot, state)
    assert plan.actions == () and plan.undeclared_org_units == ()


def test_a_hand_made_group_without_key_is_never_touched_nor_reported() -> None:
    state = desired(person("E1"))
    hand_made = LiveGroup(id="g-hand", key=None, name="Store 01", kind="business_unit")
    snapshot = live_as_desired(state)
    snapshot = replace(snapshot, groups=(*snapshot.groups, hand_made))
    plan = compute_plan(state, snapshot, state)
    assert plan.actions == () and plan.undeclared_org_units == ()


def test_a_managed_key_dropped_from_org_units_yaml_is_reported_not_touched() -> None:
    state, snapshot = in_sync()
    without = replace(state, org_units=tuple(u for u in UNITS if u.key != "logistics"))
    plan = compute_plan(without, snapshot, state)
    assert plan.actions == ()
    assert plan.undeclared_org_units == ("logistics",)
    document = plan_to_json(plan)
    assert document["undeclared_org_units"] == 1
    assert document["undeclared_org_unit_keys"] == ["logistics"]
    text = render_markdown(plan)
    assert (
        "1 org unit with a key org-units.yaml no longer declares is left in Speakap, "
        "not managed (never deleted): `logistics`"
    ) in text
    out = terminal(plan)
    assert "left in Speakap, not managed (never deleted): logistics" in out
    assert "No changes." in out


def test_a_kind_change_is_refused_naming_the_key() -> None:
    state, snapshot = in_sync()
    changed = declared(OrgUnit("logistics", "group", "Logistics"))
    with pytest.raises(ConfigError) as caught:
        compute_plan(changed, snapshot, state)
    message = str(caught.value)
    assert message.startswith("org-units.yaml: org unit logistics: kind group differs from")
    assert "department in Speakap" in message and "field 'kind'" in message


def test_a_group_without_a_kind_in_speakap_is_renamed_without_a_kind_error() -> None:
    state = desired(person("E1"))
    snapshot = live_as_desired(state)
    groups = tuple(
        replace(g, kind=None, name="Old") if g.key == "store-02" else g for g in snapshot.groups
    )
    plan = compute_plan(state, replace(snapshot, groups=groups), state)
    assert [(a.id, a.after) for a in plan.actions] == [
        ("update_org_unit:store-02", {"name": "Store 02"})
    ]


def test_plan_md_and_the_terminal_say_rename_and_parent() -> None:
    state = desired(person("E1"))
    snapshot = live([], names={"store-01": "Versmarkt Amsterdam Centrum"}, extra_groups=())
    noord = declared(
        OrgUnit("store-01", "business_unit", "Versmarkt Amsterdam Noord"),
        OrgUnit("sales", "department", "Sales", parent="store-01"),
    )
    noord = replace(noord, people=())
    plan = compute_plan(noord, snapshot, state)
    assert [a.id for a in plan.actions] == ["update_org_unit:sales", "update_org_unit:store-01"]
    text = render_markdown(plan)
    assert (
        "- `store-01` — **rename** `Versmarkt Amsterdam Centrum` → `Versmarkt Amsterdam Noord`"
        in text
    )
    assert "- `sales` — **parent** ∅ → `store-01`" in text
    assert "2 org units changed" in text
    out = terminal(plan)
    assert (
        "changed org units (2): sales parent ∅ → store-01; "
        "store-01 rename Versmarkt Amsterdam Centrum → Versmarkt Amsterdam Noord"
    ) in out
    assert "2 update_org_unit" in out


def test_the_terminal_titles_a_renamed_business_unit_by_its_new_name() -> None:
    before = desired(person("E1"))
    after = declared(OrgUnit("store-02", "business_unit", "Noord"), people=())
    after = replace(after, people=(person("E1", unit="store-02"),))
    plan = compute_plan(after, live_as_desired(before), before)
    assert "update_org_unit:store-02" in {a.id for a in plan.actions}
    assert "store-02 (Noord) — 1 moving" in terminal(plan)


def test_the_plan_file_round_trips_updates_and_undeclared_keys(tmp_path: Path) -> None:
    state, snapshot = in_sync()
    renamed = declared(OrgUnit("store-01", "business_unit", "Noord"))
    renamed = replace(renamed, org_units=tuple(u for u in renamed.org_units if u.key != "news"))
    plan = compute_plan(renamed, snapshot, state)
    json_path, *_ = write_plan(plan, tmp_path)
    again = read_plan(json_path)
    assert again.actions == plan.actions
    assert again.undeclared_org_units == ("news",)
    assert json.loads(json_path.read_text())["counts"]["update_org_unit"] == 1


def test_apply_creates_org_units_before_updating_them_parents_first() -> None:
    units = {
        "a": OrgUnit("a", "business_unit", "A"),
        "b": OrgUnit("b", "department", "B", parent="a"),
        "c": OrgUnit("c", "department", "C", parent="b"),
    }
    actions = [
        Action("create_org_unit:b", "create_org_unit", org_unit="b"),
        Action("update_org_unit:a", "update_org_unit", org_unit="a"),
        Action("update_org_unit:c", "update_org_unit", org_unit="c"),
        Action("create_org_unit:a", "create_org_unit", org_unit="a"),
    ]

    def alone(wave: Sequence[Action]) -> list[list[Action]]:
        return [[action] for action in wave]

    waves = [[[a.id for a in chunk] for chunk in wave] for wave in _waves(actions, units, alone)]
    assert waves == [
        [["create_org_unit:a"]],
        [["create_org_unit:b"]],
        [["update_org_unit:a"]],
        [["update_org_unit:c"]],
    ]


def test_applying_org_unit_updates_in_memory_converges() -> None:
    state, snapshot = in_sync()
    changed = declared(
        OrgUnit("store-01", "business_unit", "Noord"),
        OrgUnit("sales", "department", "Verkoop", parent="store-01"),
        OrgUnit("news", "group", "News", visibility="secret"),
    )
    plan = compute_plan(changed, snapshot, state)
    after = apply_in_memory(snapshot, plan.actions, changed)
    assert compute_plan(changed, after, changed).actions == ()
    groups = {g.key: g for g in after.groups}
    assert (groups["sales"].name, groups["sales"].parent_key) == ("Verkoop", "store-01")
    assert groups["news"].visibility == "secret"


def terminal(plan: object) -> str:
    buffer = StringIO()
    print_plan(plan, Console(file=buffer, width=200))  # type: ignore[arg-type]
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


# -- on a live server (the simulator and scim2-server) ------------------------------------------

RENAMED = (
    ORG_UNITS.replace("name: Store 01", "name: Versmarkt Amsterdam Noord")
    .replace("name: Sales", "name: Sales\n    parent: store-01")
    .replace("visibility: public", "visibility: private")
)
STAFF = [person("E01"), person("E02", unit="store-02")]


def test_a_renamed_store_a_moved_department_and_a_private_group_reach_speakap(
    world: World,
) -> None:
    world.sync(STAFF, "day 0")
    (world.state / "org-units.yaml").write_text(RENAMED)
    world.commit(STAFF, "rename store-01, move sales under it, make news private")
    assert world.plan() == 2
    plan = world.plan_json()
    assert [(a["id"], a["before"], a["after"]) for a in plan["actions"]] == [
        ("update_org_unit:news", {"visibility": "public"}, {"visibility": "private"}),
        ("update_org_unit:sales", {"parent": None}, {"parent": "store-01"}),
        ("update_org_unit:store-01", {"name": "Store 01"}, {"name": "Versmarkt Amsterdam Noord"}),
    ]
    md = (world.out / "plan.md").read_text()
    assert (
        "- **Versmarkt Amsterdam Noord** `store-01` — **rename** `Store 01` → "
        "`Versmarkt Amsterdam Noord`"
    ) in md
    assert world.apply() == 0
    assert world.plan() == 0, world.plan_json()["actions"]
    store = world.client.get("/Groups", world.group_id("store-01"))
    assert store["displayName"] == "Versmarkt Amsterdam Noord"
    assert world.groups_of(world.users()["E01"]) == {"store-01", "sales"}  # members kept
    sales = world.client.get("/Groups", world.group_id("sales"))
    assert sales[EXTENSION]["parent"] == "store-01"
    news = world.client.get("/Groups", world.group_id("news"))
    assert news[EXTENSION]["visibility"] == "private"


def test_a_department_moved_back_to_the_top_loses_its_parent_in_speakap(world: World) -> None:
    (world.state / "org-units.yaml").write_text(RENAMED)
    world.sync(STAFF, "day 0, sales under store-01")
    (world.state / "org-units.yaml").write_text(ORG_UNITS)
    plan = world.sync(STAFF, "sales back at the top, store-01 renamed back")
    assert [a["id"] for a in plan["actions"]] == [
        "update_org_unit:news",
        "update_org_unit:sales",
        "update_org_unit:store-01",
    ]
    sales = world.client.get("/Groups", world.group_id("sales"))
    assert (sales.get(EXTENSION) or {}).get("parent") is None


def test_an_org_unit_dropped_from_the_yaml_is_reported_and_left_in_speakap(
    world: World,
) -> None:
    world.sync(STAFF, "day 0")
    (world.state / "org-units.yaml").write_text(
        ORG_UNITS.replace("  - key: logistics\n    kind: department\n    name: Logistics\n", "")
    )
    plan = world.sync(STAFF, "logistics no longer declared")
    assert plan["actions"] == []
    assert (plan["undeclared_org_units"], plan["undeclared_org_unit_keys"]) == (1, ["logistics"])
    assert "`logistics`" in (world.out / "plan.md").read_text()
    assert world.client.find_by_external_id("/Groups", "logistics") is not None
