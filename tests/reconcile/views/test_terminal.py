"""The terminal view: the summary, then each business unit's people per category, capped."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.views.describe import summarize
from reconciler.reconcile.views.terminal import print_plan
from tests.reconcile.conftest import (
    a_day_of_changes,
    desired,
    live,
    live_as_desired,
    live_user_for,
    person,
)
from tests.reconcile.views.plans import Unit, synthetic_plan


def terminal(plan: Plan, **kw: object) -> str:
    buffer = StringIO()
    print_plan(plan, Console(file=buffer, width=200), **kw)  # type: ignore[arg-type]
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def test_the_terminal_view_shows_a_day_of_changes_per_business_unit_by_name() -> None:
    plan = a_day_of_changes()
    out = terminal(plan, names={"E1": "Jan van der Berg", "E3": "Piet de Vries"})
    lines = out.splitlines()
    assert lines[3].split("│") == [
        "     1 ",
        "     1 ",
        "      1 ",
        "       2 ",
        "     0 ",
        "         0 ",
        "      no",
    ]
    assert (
        "8 actions: 1 create_user · 2 update_user · 3 add_membership · 1 remove_membership"
        " · 1 delete_user"
    ) in out
    store01, store02 = out.index("store-01 — "), out.index("store-02 — ")
    assert out.index("8 actions") < store01 < store02
    assert "store-01 — 1 joining, 1 leaving, 1 updated" in out
    assert "joining GivenE4 FamilyE4 (E4)" in out  # a joiner's name comes from the plan itself
    assert "leaving Piet de Vries (E3): delete" in out
    assert "updated E2: job title Clerk → Manager" in out
    assert "store-02 — 1 moving, 1 updated" in out
    assert "moving  Jan van der Berg (E1) +store-02 −store-01" in out
    assert "create_user:E4" not in out and "add_membership:" not in out  # no raw action ids


def test_a_blocked_plan_says_so_in_the_terminal() -> None:
    employed = desired(*(person(f"E{i}") for i in range(3)))
    plan = compute_plan(desired(), live_as_desired(employed), employed)
    out = terminal(plan)
    assert "speakap-sync plan (blocked)" in out
    assert (
        "blocked empty desired state: the desired state has no people, and the network has "
        "3 managed users"
    ) in out
    assert "leaving E0: delete, E1: delete, E2: delete" in out


def test_the_terminal_view_masks_a_new_phone_unless_asked() -> None:
    plan = a_day_of_changes()
    masked = terminal(plan)
    assert "phone ∅ → +31*******78" in masked and "+31612345678" not in masked
    assert "phone ∅ → +31612345678" in terminal(plan, show_pii=True)


def test_a_first_run_of_many_hires_is_capped_per_unit_and_per_business_unit() -> None:
    people = [person(f"E{i:04}", unit=f"store-{i % 50:02}") for i in range(500)]
    plan = compute_plan(desired(*people), live([]), None)
    out = terminal(plan, units=3, per_unit=2)
    assert "1,500 actions: 500 create_user · 1,000 add_membership" in out
    assert "store-00 — 10 joining" in out and "store-02 — 10 joining" in out
    assert "store-03 — " not in out
    assert "joining GivenE0000 FamilyE0000 (E0000), GivenE0050 FamilyE0050 (E0050) … 8 more" in out
    assert "… 47 more business units in plan.md" in out
    assert len(out.splitlines()) < 15


def test_units_with_leavers_come_first_so_the_cap_never_hides_them() -> None:
    plan, names = synthetic_plan([Unit(joining=30), Unit(updated=5), Unit(leaving=1)])
    out = terminal(plan, org_names=names, units=2)
    assert out.index("unit-2 (Store 2) — 1 leaving") < out.index("unit-0 (Store 0) — 30 joining")
    assert "unit-1 (Store 1)" not in out and "… 1 more business unit in plan.md" in out


def test_people_without_a_business_unit_come_last() -> None:
    before = desired(person("E1"), person("E2"))
    after = desired(
        person("E1", business_unit=None, job_title="Boss"), person("E2", job_title="Boss")
    )
    out = terminal(compute_plan(after, live_as_desired(before), before))
    assert out.index("store-01 — ") < out.index("(no business unit) — ")


def test_a_plan_without_changes_says_so_in_the_terminal() -> None:
    state = desired(person("E1"), person("E2"))
    out = terminal(compute_plan(state, live_as_desired(state), state))
    assert "No changes. Live Speakap matches the desired state." in out
    assert "actions:" not in out


_SOMEONE = st.tuples(st.sampled_from(["store-01", "store-02"]), st.sampled_from(["Clerk", "Boss"]))


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from([f"E{i}" for i in range(12)]), _SOMEONE, max_size=12),
    st.dictionaries(st.sampled_from([f"E{i}" for i in range(12)]), _SOMEONE, max_size=12),
)
def test_the_per_unit_tallies_add_up_to_the_summary_table(
    yesterday: dict[str, tuple[str, str]], today: dict[str, tuple[str, str]]
) -> None:
    """Hires, leavers, transfers and updates in any mix: the sections agree with the table."""

    def state(people: dict[str, tuple[str, str]]) -> object:
        return desired(*(person(e, unit=u, job_title=t) for e, (u, t) in sorted(people.items())))

    before = state(yesterday)
    plan = compute_plan(state(today), live_as_desired(before), before)  # type: ignore[arg-type]
    out = terminal(plan, units=10, per_unit=1)
    totals = dict.fromkeys(("joining", "moving", "leaving", "updated"), 0)
    for line in out.splitlines():
        if " — " in line:
            for part in line.split(" — ", 1)[1].split(", "):
                n, category = part.split(" ", 1)
                totals[category] += int(n)
    s = summarize(plan)
    assert totals == {
        "joining": s.joins,
        "moving": s.moves,
        "leaving": s.leaves,
        "updated": s.updates,
    }


def test_markup_like_ids_and_names_print_as_written_in_the_terminal() -> None:
    leaver = person("[/x]", status="suspended")
    before = desired(person("[/x]"), person("E2"))
    protected = desired(leaver, person("E2", job_title="[b]Boss"))
    protected = replace(protected, policy=replace(protected.policy, protected=("[/x]",)))
    plan = compute_plan(protected, live_as_desired(before), before)
    assert plan.protected_skipped == ("suspend_user:[/x]",)
    out = terminal(plan, names={"E2": "Jan [red]de[/red] Vries"})
    assert "suspend_user:[/x]" in out
    assert "Jan [red]de[/red] Vries" in out and "[b]Boss" in out


def test_business_units_that_exist_already_read_with_their_name() -> None:
    out = terminal(a_day_of_changes(), org_names={"store-01": "Versmarkt Centrum"})
    assert "store-01 (Versmarkt Centrum) — 1 joining, 1 leaving, 1 updated" in out
    assert "store-02 — 1 moving, 1 updated" in out  # no name known: the key alone


def test_large_counts_read_with_thousands_separators() -> None:
    plan, names = synthetic_plan([Unit(joining=1234, leaving=1)])
    out = terminal(plan, org_names=names)
    assert out.splitlines()[3].startswith(" 1,234 │")
    assert "2,469 actions: 1,234 create_user · 1,234 add_membership · 1 delete_user" in out
    assert "unit-0 (Store 0) — 1,234 joining, 1 leaving" in out
    assert "… 1,229 more" in out


def test_a_partial_plan_says_so_above_its_counts_and_its_guards_count_the_selected() -> None:
    plan, _ = synthetic_plan([Unit(leaving=5, updated=1)])
    guards = (replace(plan.guards[0], tripped=True), *plan.guards[1:])
    partial = replace(plan, only=("unit:unit-0",), only_people=6, guards=guards)
    out = terminal(partial)
    assert out.lstrip().startswith("speakap-sync plan (partial, blocked)")
    assert "blocked suspensions and deletions: 5 = 3.8% of 130 selected managed users" in out


def test_a_plan_that_adopts_accounts_counts_them_in_a_column_of_their_own() -> None:
    state = desired(person("E1"), person("E2"))
    unmarked = live([live_user_for(person("E1"), managed=False), live_user_for(person("E2"))])
    out = terminal(compute_plan(state, unmarked, None))
    head, row = out.splitlines()[1], out.splitlines()[3]
    assert [c.strip() for c in head.split("┃")][:3] == ["joins", "adopted", "moves"]
    assert [c.strip() for c in row.split("│")][:2] == ["0", "1"]
    assert "adopted" not in terminal(a_day_of_changes()).splitlines()[1]


def test_shared_logins_are_one_line_naming_each_group() -> None:
    plan = replace(a_day_of_changes(), shared_logins=(("E4", "E9"),))
    [line] = [x for x in terminal(plan).splitlines() if x.startswith("Shared logins:")]
    assert "2 people in 1 group have the same email" in line and line.endswith(": E4 + E9")
    assert "Shared logins" not in terminal(a_day_of_changes())
