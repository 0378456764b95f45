"""plan.json and plan.md: schema, round trip, masking, the comment-size cap."""

from __future__ import annotations

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from reconciler.errors import ConfigError
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.plan_json import (
    COMMENT_LIMIT,
    mask_email,
    mask_phone,
    plan_to_json,
    print_plan,
    read_plan,
    render_markdown,
    summarize,
    validate_json,
    write_plan,
)
from tests.reconcile.conftest import desired, live, live_as_desired, person


def a_day_of_changes() -> Plan:
    before = desired(person("E1"), person("E2"), person("E3", status="suspended"))
    after = desired(
        person("E1", unit="store-02", phone="+31612345678"),
        person("E2", job_title="Manager"),
        person("E4", email="new.hire@example.com", invite_channel="email"),
    )
    return compute_plan(after, live_as_desired(before), before)


def test_plan_json_validates_and_round_trips(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    json_path, md_path = write_plan(plan, tmp_path)  # type: ignore[arg-type]
    data = json.loads(json_path.read_text())
    assert validate_json(data) == []
    assert data["format_version"] == 1 and data["desired_commit"] is None
    assert data["counts"]["create_user"] == 1 and data["counts"]["delete_user"] == 1
    back = read_plan(json_path)
    assert back.ids() == plan.ids()  # type: ignore[attr-defined]
    assert plan_to_json(back) == data
    assert md_path.read_text().startswith("## speakap-sync plan")


def test_a_corrupted_plan_is_refused_naming_the_field(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    data = plan_to_json(plan)  # type: ignore[arg-type]
    data["actions"][0]["kind"] = "drop_database"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "actions/0/kind" in str(caught.value) and "plan.json" in str(caught.value)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_plan(path)


def test_plan_json_never_holds_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "tok-secret-123")
    json_path, md_path = write_plan(a_day_of_changes(), tmp_path)  # type: ignore[arg-type]
    assert "tok-secret-123" not in json_path.read_text() + md_path.read_text()


def test_plan_md_has_summary_first_and_masks_pii_by_default() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan)  # type: ignore[arg-type]
    table = text.index("| joins | moves | leaves | updates | blocked |")
    assert table < text.index("<details>")
    assert "| 1 | 1 | 1 | 2 | no |" in text  # E4 joins, E1 moves, E3 leaves, E1+E2 updated
    assert "new.hire@example.com" not in text and "n***@example.com" in text
    assert "+31612345678" not in text
    shown = render_markdown(plan, show_pii=True)  # type: ignore[arg-type]
    assert "new.hire@example.com" in shown and "+31612345678" in shown
    assert "<summary><b>store-01</b>" in text
    assert "8 actions · desired state uncommitted" in text


def test_plan_md_counts_read_in_the_singular_when_there_is_one() -> None:
    before = desired(person("E1"))
    plan = compute_plan(desired(person("E1", unit="store-02")), live_as_desired(before), before)
    text = render_markdown(plan)
    assert "2 actions · " in text
    assert "0 new org units · 1 membership added · 1 removed · 1 managed user · " in text


def test_masking_keeps_only_a_hint() -> None:
    assert mask_email("jan.jansen@example.com") == "j***@example.com"
    assert mask_phone("+31612345678") == "+31*******78"


def test_a_huge_plan_md_is_truncated_with_a_note() -> None:
    people = [person(f"E{i:06}", unit=f"store-{i % 300:03}") for i in range(6000)]
    plan = compute_plan(desired(*people), live([]), None)
    text = render_markdown(plan)
    assert len(text) <= COMMENT_LIMIT
    assert "The full plan is in the `plan.json` artifact" in text
    assert text.count("<details>") == text.count("</details>")


def test_blocked_plan_says_so_in_markdown_and_terminal() -> None:
    employed = desired(*(person(f"E{i}") for i in range(3)))
    plan = compute_plan(desired(), live_as_desired(employed), employed)
    text = render_markdown(plan)
    assert "| **yes** |" in text and "empty_desired" in text
    out = terminal(plan)
    assert "blocked" in out and "empty_desired" in out
    assert "leaving E0: delete, E1: delete, E2: delete" in out


def terminal(plan: object, **kw: object) -> str:
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
    assert "updated E2: job_title Clerk → Manager" in out
    assert "store-02 — 1 moving, 1 updated" in out
    assert "moving  Jan van der Berg (E1) +store-02 −store-01" in out
    assert "create_user:E4" not in out and "add_membership:" not in out  # no raw action ids


def test_plan_md_names_movers_and_leavers_beside_their_employee_id() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan, names={"E1": "Jan van der Berg", "E3": "Piet de Vries"})
    assert "- `E1` Jan van der Berg **update** phone" in text
    assert "- `E3` Piet de Vries **delete**" in text
    assert "- `E2` **update**" in text  # no name given: the id alone, as before


def test_the_terminal_view_masks_a_new_phone_unless_asked() -> None:
    plan = a_day_of_changes()
    masked = terminal(plan)
    assert "phone ∅ → +31*******78" in masked and "+31612345678" not in masked
    assert "phone ∅ → +31612345678" in terminal(plan, show_pii=True)


def test_a_first_run_of_many_hires_is_capped_per_unit_and_per_business_unit() -> None:
    people = [person(f"E{i:04}", unit=f"store-{i % 50:02}") for i in range(500)]
    plan = compute_plan(desired(*people), live([]), None)
    out = terminal(plan, units=3, per_unit=2)
    assert "1500 actions: 500 create_user · 1000 add_membership" in out
    assert "store-00 — 10 joining" in out and "store-02 — 10 joining" in out
    assert "store-03 — " not in out
    assert "joining GivenE0000 FamilyE0000 (E0000), GivenE0050 FamilyE0050 (E0050) … 8 more" in out
    assert "… 47 more business units in plan.md" in out
    assert len(out.splitlines()) < 15


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
