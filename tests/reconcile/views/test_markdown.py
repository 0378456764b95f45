"""plan.md, the PR comment: summary first, PII masked, names beside ids, within GitHub's limit."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.gitops.github import MARKER, MAX_BODY, with_marker
from reconciler.model import Person
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.views.markdown import render_markdown
from tests.reconcile.conftest import a_day_of_changes, desired, live, live_as_desired, person


@cache
def a_huge_first_run() -> Plan:
    people = [person(f"E{i:06}", unit=f"store-{i % 300:03}") for i in range(6000)]
    return compute_plan(desired(*people), live([]), None)


def test_plan_md_has_summary_first_and_masks_pii_by_default() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan)
    table = text.index("| joins | moves | leaves | updates | blocked |")
    assert table < text.index("<details>")
    assert "| 1 | 1 | 1 | 2 | no |" in text  # E4 joins, E1 moves, E3 leaves, E1+E2 updated
    assert "new.hire@example.com" not in text and "n***@example.com" in text
    assert "+31612345678" not in text
    shown = render_markdown(plan, show_pii=True)
    assert "new.hire@example.com" in shown and "+31612345678" in shown
    assert "<summary><b>store-01</b>" in text
    assert "8 actions · desired state uncommitted" in text


def test_plan_md_counts_read_in_the_singular_when_there_is_one() -> None:
    before = desired(person("E1"))
    plan = compute_plan(desired(person("E1", unit="store-02")), live_as_desired(before), before)
    text = render_markdown(plan)
    assert "2 actions · " in text
    assert "0 new org units · 1 membership added · 1 removed · 1 managed user · " in text


def test_plan_md_says_each_persons_changes_on_one_line() -> None:
    text = render_markdown(a_day_of_changes())
    assert ("- `E1` **update** phone ∅ → `+31*******78`; memberships +store-02 −store-01") in text
    assert "- `E3` **delete** (left the HR export, grace period over)" in text
    assert "- `E4` **join** given_name `GivenE4`, family_name `FamilyE4`, " in text


def test_plan_md_names_movers_and_leavers_beside_their_employee_id() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan, names={"E1": "Jan van der Berg", "E3": "Piet de Vries"})
    assert "- `E1` Jan van der Berg **update** phone" in text
    assert "- `E3` Piet de Vries **delete**" in text
    assert "- `E2` **update**" in text  # no name given: the id alone


def test_markdown_in_values_and_names_cannot_break_the_table_or_the_code_spans() -> None:
    before = desired(person("a|b"))
    after = desired(person("a|b", job_title="`<b>|x"))
    plan = compute_plan(after, live_as_desired(before), before)
    text = render_markdown(plan, names={"a|b": "<img src=x>"})
    assert "- `a\\|b` &lt;img src=x> **update** job_title `Clerk` → `'&lt;b>\\|x`" in text


def test_a_blocked_plan_says_so_above_everything_else() -> None:
    employed = desired(*(person(f"E{i}") for i in range(3)))
    plan = compute_plan(desired(), live_as_desired(employed), employed)
    text = render_markdown(plan)
    assert "| **yes** |" in text and "empty_desired" in text
    assert text.index("**Blocked**") < text.index("<details>")


def test_a_huge_plan_md_is_truncated_with_a_note() -> None:
    text = render_markdown(a_huge_first_run())
    assert len(text) <= MAX_BODY
    assert "The full plan is in the `plan.json` artifact" in text
    assert text.count("<details>") == text.count("</details>")


def test_plan_md_is_cut_to_the_github_clients_limit_and_posted_whole() -> None:
    """One limit for both: plan.md fills the client's MAX_BODY, leaving the marker room, so the
    client never cuts it a second time (which would break its folded sections)."""
    text = render_markdown(a_huge_first_run())
    assert MAX_BODY - 1_000 < len(text) <= MAX_BODY
    assert with_marker(text) == f"{MARKER}\n{text}"


_LOCAL = st.from_regex(r"[A-Za-z0-9._%+-]{1,16}", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-z]{1,12}(\.[a-z]{2,6})?", fullmatch=True)
_EMAIL = st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN)
_PHONE = st.from_regex(r"\+?[0-9]{5,15}", fullmatch=True)
_CONTACTS = st.tuples(st.none() | _EMAIL, st.none() | _PHONE)


def _people(contacts: dict[str, tuple[str | None, str | None]]) -> list[Person]:
    return [
        person(eid, email=email, phone=phone, unit="store-01" if i % 2 else "store-02")
        for i, (eid, (email, phone)) in enumerate(sorted(contacts.items()))
    ]


def _contacts_in(plan: Plan) -> set[str]:
    values = set()
    for action in plan.actions:
        for fields in (action.before or {}, action.after or {}):
            values |= {v for k, v in fields.items() if k in ("email", "phone") and v}
    return values


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from([f"E{i}" for i in range(8)]), _CONTACTS, max_size=8),
    st.dictionaries(st.sampled_from([f"E{i}" for i in range(8)]), _CONTACTS, max_size=8),
)
def test_plan_md_never_shows_a_whole_email_or_phone_unless_asked(
    yesterday: dict[str, tuple[str | None, str | None]],
    today: dict[str, tuple[str | None, str | None]],
) -> None:
    """Hires, contact changes and leavers with any address or number: plan.md holds none of
    them whole; with ``show_pii`` it holds every one."""
    before = desired(*_people(yesterday))
    plan = compute_plan(desired(*_people(today)), live_as_desired(before), before)
    masked = render_markdown(plan)
    shown = render_markdown(plan, show_pii=True)
    for value in _contacts_in(plan):
        assert value not in masked
        assert value in shown
