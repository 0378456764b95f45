"""plan.md, the PR comment: headline and totals first, guards with their numbers, leavers by
name, one row per business unit by name, then folded details; PII masked; data shown exactly
as written, whatever Markdown or HTML it holds."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.gitops.github import MARKER, MAX_BODY, with_marker
from reconciler.model import Person
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.views.markdown import render_markdown
from tests.reconcile.conftest import (
    SMALL_GUARDS,
    a_day_of_changes,
    desired,
    live_as_desired,
    person,
)
from tests.reconcile.views.plans import Unit, as_github_shows, synthetic_plan

ORG_NAMES = {"store-01": "Versmarkt Centrum", "store-02": "Versmarkt Noord", "sales": "Verkoop"}


def test_plan_md_has_headline_totals_and_guards_before_any_person() -> None:
    text = render_markdown(a_day_of_changes(), org_names=ORG_NAMES)
    assert text.startswith("## speakap-sync plan: 1 joining · 1 moving · 1 leaving · 2 updated\n")
    assert "| people | joining | moving | leaving | updated | drift | blocked |" in text
    assert "| 4 | 1 | 1 | 1 | 2 | 0 | no |" in text  # E4 joins, E1 moves, E3 leaves, E1+E2
    assert "sha256" not in text.split("\n\n")[0]  # no hash in the headline
    guards = text.index("**Safety guards**")
    assert "| suspensions and deletions (`offboard`) | 1 | 33.3% of 3 | 10% (0) | " in text
    assert "ok (applies from 10 managed users)" in text  # too few managed users to apply
    assert guards < text.index("### Leaving") < text.index("### Changes per business unit")
    assert text.index("### Changes per business unit") < text.index("<details>")


def test_when_the_columns_add_up_to_more_than_the_people_the_plan_says_why() -> None:
    text = render_markdown(a_day_of_changes(), org_names=ORG_NAMES)
    assert "| 4 | 1 | 1 | 1 | 2 | 0 | no |" in text  # E1 both moves and is updated
    assert " · a person can count in more than one column (4 people, 5 counts)\n" in text
    plan, names = synthetic_plan([Unit(joining=2, leaving=1)])
    assert "more than one column" not in render_markdown(plan, org_names=names)


def test_a_suspension_for_scope_names_its_rule_once() -> None:
    plan, names = synthetic_plan([Unit(leaving=1)])
    reason = "out of scope (rule interns), suspended for the grace period"
    scoped = replace(plan.actions[0], kind="suspend_user", cause="scope", reason=reason)
    text = render_markdown(replace(plan, actions=(scoped,)), org_names=names)
    assert f"- `L0-0` — **suspend** ({reason})\n" in text
    assert "_cause: out of scope" not in text


def test_plan_md_masks_emails_and_phones_unless_asked() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan)
    assert "new.hire@example.com" not in text and "n***@example.com" in text
    assert "+31612345678" not in text and "+31*******78" in text
    shown = render_markdown(plan, show_pii=True)
    assert "new.hire@example.com" in shown and "+31612345678" in shown


def test_units_read_by_name_with_their_key_and_counts_per_category() -> None:
    text = render_markdown(a_day_of_changes(), org_names=ORG_NAMES)
    assert "| Versmarkt Centrum `store-01` | 1 | · | **1** | 1 | · |" in text
    assert "| Versmarkt Noord `store-02` | · | 1 | · | 1 | · |" in text
    assert "<summary><b>Versmarkt Centrum</b> (store-01) — 1 leaving, 1 updated, 1 joining" in text


def test_each_person_reads_on_one_line_with_labels_and_org_unit_names() -> None:
    names = {"E1": "Jan van der Berg", "E3": "Piet de Vries"}
    text = render_markdown(a_day_of_changes(), names=names, org_names=ORG_NAMES)
    assert (
        "- **Jan van der Berg** `E1` — **update** phone ∅ → `+31*******78`; "
        "memberships +Versmarkt Noord −Versmarkt Centrum\n"
    ) in text
    assert "- **Piet de Vries** `E3` — **delete** (left the HR export, grace period over)" in text
    assert "- `E2` — **update** job title `Clerk` → `Manager`" in text  # no name known: the id
    assert (
        "- **GivenE4 FamilyE4** `E4` — **join** email `n***@example.com`, job title `Clerk`, "
        "invite by `email`; memberships +Verkoop +Versmarkt Centrum\n"
    ) in text
    assert "job_title" not in text and "invite_channel" not in text


def test_leavers_are_named_first_for_good_before_suspended() -> None:
    before = desired(*(person(f"E{i}") for i in range(4)), person("S1", status="active"))
    after = desired(person("E0"), person("S1", status="suspended"))
    plan = compute_plan(after, live_as_desired(before), before)
    names = {"E1": "Ann", "E2": "Bob", "E3": "Cy", "S1": "Sue"}
    text = render_markdown(plan, names=names, org_names=ORG_NAMES)
    assert "### Leaving: 4 people, 3 of them for good (deleted or anonymized)\n" in text
    deleted = text.index("**Delete** — left the HR export, grace period over (3):")
    suspended = text.index("**Suspend** — left the HR export, suspended for the grace period (1):")
    assert deleted < text.index("- **Versmarkt Centrum** (3): Ann `E1`, Bob `E2`, Cy `E3`\n")
    assert suspended < text.index("- **Versmarkt Centrum** (1): Sue `S1`\n")
    assert deleted < suspended < text.index("### Changes per business unit")
    assert text.index("### Changes per business unit") < text.index("<details>")


def test_a_plan_with_more_leavers_than_the_cap_names_the_cap_and_counts_the_rest() -> None:
    plan, names = synthetic_plan([Unit(leaving=300), Unit(leaving=100, joining=50)])
    text = render_markdown(plan, org_names=names)
    assert "### Leaving: 400 people, 400 of them for good" in text
    leaving = text[text.index("### Leaving") : text.index("### Changes per business unit")]
    named = re.findall(r"`L\d+-\d+`", leaving)
    assert len(named) == 200  # the cap
    assert "- **Store 0** (300): `L0-0`, `L0-1`, " in leaving
    assert leaving.count(", … (100 more)\n") == 1  # Store 0's 300, cut at the cap
    assert "… and 200 more people leaving, not named here for room" in leaving


def test_two_blocking_guards_read_as_two_lines_in_one_caution_box() -> None:
    before = desired(*(person(f"E{i}") for i in range(20)), policy=SMALL_GUARDS)
    after = desired(*(person(f"E{i}", job_title="Boss") for i in range(10)), policy=SMALL_GUARDS)
    plan = compute_plan(after, live_as_desired(before), before)
    assert [g.name for g in plan.guards if g.blocked] == ["offboard", "updates"]
    text = render_markdown(plan)
    assert text.startswith("## speakap-sync plan (blocked): ")
    shown = as_github_shows(text)
    box = shown[shown.index("<blockquote>") : shown.index("</blockquote>")]
    items = re.findall(r"<li>(.*?)</li>", box)
    assert items == [
        "suspensions and deletions: 10 = 50.0% of 20 managed users, limit 10% (2): over by 8",
        "profile updates: 10 = 50.0% of 20 managed users, limit 30% (6): over by 4",
    ]
    assert (
        "| profile updates (`updates`) | 10 | 50.0% of 20 | 30% (6) | :no_entry: **blocked** |"
    ) in text
    assert text.index("[!CAUTION]") < text.index("| people |")


def test_hostile_names_and_values_show_exactly_as_written_and_never_as_markup() -> None:
    """In running text Markdown is escaped; in a code span nothing is (it would show as
    written); in a table cell a pipe is escaped even in a code span; raw HTML never runs."""
    hostile = "<script>alert(1)</script> *Jan* [x](y) &amp; Pipe|r `tick`"
    before = desired(person("a|b"))
    after = desired(person("a|b", job_title="<b>|x &lt; `y`"))
    plan = compute_plan(after, live_as_desired(before), before)
    text = render_markdown(plan, names={"a|b": hostile}, org_names={"store-01": hostile})
    shown = as_github_shows(text)
    assert "<script" not in shown and "<b>|x" not in shown and 'href="y"' not in shown
    assert "<em>" not in shown
    assert (
        "<strong>&lt;script&gt;alert(1)&lt;/script&gt; *Jan* [x](y) &amp;amp; Pipe|r "
        "`tick`</strong>" in shown
    )
    assert "<code>a|b</code>" in shown  # in a list item: no backslash shown
    assert "<code>&lt;b&gt;|x &amp;lt; `y`</code>" in shown  # the value, as written
    assert (
        "<td>&lt;script&gt;alert(1)&lt;/script&gt; *Jan* [x](y) &amp;amp; Pipe|r `tick` " in shown
    )
    assert "<summary><b>&lt;script&gt;alert(1)&lt;/script&gt; *Jan*" in shown


def test_a_line_break_in_a_value_never_starts_a_new_block() -> None:
    before = desired(person("E1"))
    after = desired(person("E1", job_title="Clerk\n## Heading\n| x |"))
    plan = compute_plan(after, live_as_desired(before), before)
    shown = as_github_shows(render_markdown(plan, names={"E1": "Jan\n\n# Big"}))
    assert "<h2>Heading" not in shown and "<h1>Big" not in shown


def test_the_comment_links_the_ci_run_and_its_plan_artifact() -> None:
    url = "https://github.com/versmarkt/people/actions/runs/42"
    text = render_markdown(a_day_of_changes(), run_url=url)
    assert f"[CI run]({url})" in text
    assert f"[`speakap-sync-plan` artifact]({url}#artifacts)" in text
    assert "](" not in render_markdown(a_day_of_changes())  # outside CI: no links


def test_counts_read_with_thousands_separators_and_in_the_singular_for_one() -> None:
    plan, names = synthetic_plan([Unit(joining=1234), Unit(joining=1)])
    text = render_markdown(plan, org_names=names)
    assert text.startswith("## speakap-sync plan: 1,235 joining\n")
    assert "| Store 0 `unit-0` | 1,234 |" in text and "| Store 1 `unit-1` | 1 |" in text
    assert "1,235 memberships added, 0 removed" in text
    before = desired(person("E1"))
    one = compute_plan(desired(person("E1", unit="store-02")), live_as_desired(before), before)
    assert "1 membership added, 1 removed · 1 managed user, 0 unmanaged" in render_markdown(one)


def test_each_details_section_says_how_many_people_it_shows() -> None:
    plan, names = synthetic_plan([Unit(joining=3000), Unit(joining=2000), Unit(leaving=5)])
    text = render_markdown(plan, org_names=names)
    shown = re.findall(
        r"<summary><b>Store (\d)</b> \(unit-\d\) — [^·]+ · showing ([\d,]+) of ([\d,]+)</summary>",
        text,
    )
    assert [s[0] for s in shown] == ["2", "0", "1"]  # the unit with leavers first
    assert shown[0][1:] == ("5", "5")
    for _, k, n in shown[1:]:
        assert 0 < int(k.replace(",", "")) < int(n.replace(",", ""))
    assert text.count("<details>") == text.count("</details>") == 3


def test_a_section_cut_short_ends_with_a_line_saying_how_many_more_and_where() -> None:
    plan, names = synthetic_plan([Unit(joining=3000), Unit(leaving=5)])
    text = render_markdown(plan, org_names=names)
    store_0 = text[text.index("<summary><b>Store 0</b>") :]
    store_0 = store_0[: store_0.index("</details>")]
    k, n = re.findall(r"showing ([\d,]+) of ([\d,]+)</summary>", store_0)[0]
    rest = int(n.replace(",", "")) - int(k.replace(",", ""))
    assert rest > 0
    assert store_0.rstrip().endswith(
        f"- _… and {rest:,} more, not shown here for room: see `plan.html`_"
    )
    store_1 = text[text.index("<summary><b>Store 1</b>") :]
    assert "more, not shown here" not in store_1[: store_1.index("</details>")]


def test_a_partial_plan_says_so_in_its_title_and_its_guards_count_the_selected() -> None:
    plan, names = synthetic_plan([Unit(leaving=1, updated=1)])
    partial = replace(plan, only=("unit:unit-0",), only_people=2)
    text = render_markdown(partial, org_names=names)
    assert text.startswith("## speakap-sync plan (partial): 1 leaving · 1 updated\n")
    assert "Partial plan (--only unit:unit-0: 2 people selected)" in text
    assert "| suspensions and deletions (`offboard`) | 1 | 2.0% of 50 selected |" in text
    both = replace(partial, guards=tuple(replace(g, tripped=True) for g in plan.guards[:1]))
    text = render_markdown(both, org_names=names)
    assert text.startswith("## speakap-sync plan (partial, blocked): ")
    assert "> - suspensions and deletions: 1 = 2.0% of 50 selected managed users" in text


def test_a_plan_without_changes_says_so() -> None:
    state = desired(person("E1"))
    text = render_markdown(compute_plan(state, live_as_desired(state), state))
    assert text.startswith("## speakap-sync plan: no changes\n")
    assert "No changes. Live Speakap matches the desired state." in text
    assert "<details>" not in text


def test_plan_md_fills_the_clients_limit_and_is_posted_whole() -> None:
    """One limit for both: plan.md leaves room for the sticky comment's marker, so the client
    never cuts it a second time (which would break its folded sections)."""
    plan, names = synthetic_plan([Unit(joining=200) for _ in range(30)])
    text = render_markdown(plan, org_names=names)
    assert MAX_BODY - 2_000 < len(text) <= MAX_BODY - len(MARKER) - 1
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


def test_shared_logins_are_said_before_the_guards_with_every_group() -> None:
    plan = replace(a_day_of_changes(), shared_logins=(("E4", "E9"), ("E5", "unmanaged account")))
    text = render_markdown(plan, org_names=ORG_NAMES)
    line = next(x for x in text.splitlines() if x.startswith("**Shared logins:"))
    assert "4 people in 2 groups have the same email, which is the login" in line
    assert "`E4` + `E9`; `E5` + `unmanaged account`" in line
    assert text.index("**Shared logins:") < text.index("**Safety guards**")
    assert "Shared logins" not in render_markdown(a_day_of_changes(), org_names=ORG_NAMES)
