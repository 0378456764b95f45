"""A partial plan (``--only``) on random states: a part of the full plan, only the selected
people's actions and the org units they need, and once applied, the full plan holds nothing
more for them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import DesiredState, LiveSnapshot
from reconciler.reconcile import select
from reconciler.reconcile.plan import PlanOptions, compute_plan
from tests.reconcile.memory import apply_in_memory
from tests.reconcile.test_plan_properties import FAST, worlds

World = tuple[DesiredState, LiveSnapshot, DesiredState | None]


def known_ids(world: World) -> list[str]:
    want, snapshot, last = world
    ids = {p.employee_id for p in want.people} | {p.employee_id for p in (last or want).people}
    ids |= {u.employee_id for u in snapshot.users if u.employee_id}
    ids |= {d.user.employee_id for d in snapshot.deleted if d.user.employee_id}
    return sorted(ids)


@st.composite
def partial_worlds(draw: st.DrawFn) -> tuple[World, select.Selection]:
    world = draw(worlds())
    want, snapshot, last = world
    choices = [*known_ids(world), "unit:store-01", "unit:store-02"]
    texts = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3))
    return world, select.resolve(select.parse(texts), want, last, snapshot)


@FAST
@given(partial_worlds())
def test_a_partial_plan_is_the_selected_peoples_part_of_the_full_plan(
    case: tuple[World, select.Selection],
) -> None:
    (want, snapshot, last), selection = case
    full = compute_plan(want, snapshot, last)
    part = compute_plan(want, snapshot, last, options=PlanOptions(only=selection))
    in_full = {a.id: a for a in full.actions}
    assert all(in_full.get(a.id) == a for a in part.actions)  # the same actions, unchanged
    for action in part.actions:
        if action.employee_id is not None:
            assert action.employee_id in selection.employee_ids
        else:
            assert action.kind == "create_org_unit"
    mine = {a.id for a in full.actions if a.employee_id in selection.employee_ids}
    assert mine <= part.ids()  # nothing of theirs is left out
    assert part.partial and part.only == selection.selectors
    assert part.guards[0].managed <= full.guards[0].managed


@FAST
@given(partial_worlds())
def test_after_a_partial_apply_the_full_plan_holds_nothing_more_for_them(
    case: tuple[World, select.Selection],
) -> None:
    (want, snapshot, last), selection = case
    part = compute_plan(want, snapshot, last, options=PlanOptions(only=selection))
    after = apply_in_memory(snapshot, part.actions, want)
    full = compute_plan(want, after, last)  # the last-applied tag did not move
    left = [a.id for a in full.actions if a.employee_id in selection.employee_ids]
    assert left == []
