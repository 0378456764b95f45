"""What both human views say: masks, values, actions, categories and names."""

from __future__ import annotations

from reconciler.model import Action
from reconciler.reconcile.views.describe import (
    PLAIN,
    Markup,
    ViewOptions,
    by_category,
    describe,
    display_name,
    group,
    names_of,
    show_value,
    summarize,
)
from tests.reconcile.conftest import a_day_of_changes, person

HIDDEN = ViewOptions()
SHOWN = ViewOptions(show_pii=True)


def test_only_emails_and_phones_are_masked_and_unset_values_read_as_empty() -> None:
    assert show_value("email", "jan@example.com", HIDDEN) == "j***@example.com"
    assert show_value("email", "jan@example.com", SHOWN) == "jan@example.com"
    assert show_value("job_title", "Manager", HIDDEN) == "Manager"
    assert show_value("phone", None, HIDDEN) == "∅"


def test_each_view_sets_the_same_description_in_its_own_markup() -> None:
    update = Action(
        "update_user:E1",
        "update_user",
        employee_id="E1",
        before={"phone": None, "job_title": "Clerk"},
        after={"phone": "+31612345678", "job_title": "Boss"},
    )
    assert describe(update, HIDDEN) == "update phone ∅ → +31*******78, job title Clerk → Boss"
    loud = Markup(value=lambda t: f"<{t}>", verb=str.upper, text=str)
    assert describe(update, HIDDEN, loud) == (
        "UPDATE phone ∅ → <+31*******78>, job title <Clerk> → <Boss>"
    )
    rename = Action(
        "update_org_unit:s1",
        "update_org_unit",
        org_unit="s1",
        before={"name": "Old"},
        after={"name": "New"},
    )
    assert describe(rename, HIDDEN, PLAIN) == "rename Old → New"
    leave = Action("delete_user:E3", "delete_user", employee_id="E3", reason="grace over")
    assert describe(leave, HIDDEN, loud) == "DELETE (grace over)"


def test_a_day_of_changes_falls_into_the_reviewers_categories_per_business_unit() -> None:
    grouped = group(a_day_of_changes())
    assert grouped.org_units == {} and grouped.joiners == frozenset({"E4"})
    store01 = by_category(grouped.people["store-01"], grouped.joiners)
    assert {c: sorted(people) for c, people in store01.items()} == {
        "joining": ["E4"],  # with E4's memberships, which are not moves
        "leaving": ["E3"],
        "updated": ["E2"],
    }
    assert [a.kind for a in store01["joining"]["E4"]] == ["create_user"]
    store02 = by_category(grouped.people["store-02"], grouped.joiners)
    assert list(store02) == ["moving", "updated"]


def test_the_summary_counts_joins_moves_leaves_and_updates() -> None:
    s = summarize(a_day_of_changes())
    assert (s.joins, s.moves, s.leaves, s.updates) == (1, 1, 1, 2)


def test_a_display_name_reads_given_infix_family() -> None:
    assert display_name({"given_name": "Jan", "infix": "van der", "family_name": "Berg"}) == (
        "Jan van der Berg"
    )
    assert display_name({"given_name": "Jan", "infix": None, "family_name": "Berg"}) == "Jan Berg"
    names = names_of([person("E1", given_name="Piet", infix="de", family_name="Vries")])
    assert dict(names) == {"E1": "Piet de Vries"} and len(names) == 1
