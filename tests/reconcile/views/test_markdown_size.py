"""plan.md and the job summary at any size: never over their limit, every business unit with
changes named with its counts, leavers before anyone else, details balanced and honest."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.gitops.github import STEP_SUMMARY_LIMIT
from reconciler.reconcile.views.markdown import COMMENT_LIMIT, render_markdown
from tests.reconcile.views.plans import Unit, synthetic_plan

_UNIT = st.builds(
    Unit,
    joining=st.integers(0, 60),
    leaving=st.integers(0, 3),
    updated=st.integers(0, 3),
).filter(lambda u: u.joining or u.leaving or u.updated)
_NAME = st.sampled_from(["Store {i}", "Versmarkt filiaal nummer {i} aan de Grote Markt", "S{i}"])


def _named_units(text: str) -> set[str]:
    """The units the summary names: a table row each, or a name in the folded list."""
    summary = text.split("### People per business unit")[0]
    rows = set(re.findall(r"^\| (.+?) `unit-\d+` \|", summary, re.MULTILINE))
    folded = set()
    for line in re.findall(r"^- \d[^:]*\([\d,]+\): (.*)$", summary, re.MULTILINE):
        folded |= {name.strip() for name in line.removesuffix(" …").split(", ")}
    return rows | folded


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(_UNIT, min_size=1, max_size=900), _NAME)
def test_every_unit_with_changes_is_named_within_the_comment_limit(
    units: list[Unit], name: str
) -> None:
    plan, names = synthetic_plan(units, name=name)
    text = render_markdown(plan, org_names=names)
    assert len(text) <= COMMENT_LIMIT
    assert _named_units(text) == set(names.values())
    if len(units) > 300:
        assert f"the other {len(units) - 300:,}" in text or "are folded into one row" in text
    assert text.count("<details>") == text.count("</details>")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_UNIT, min_size=1, max_size=400), st.integers(3_000, 70_000))
def test_no_limit_is_ever_exceeded_and_sections_stay_closed(units: list[Unit], limit: int) -> None:
    plan, names = synthetic_plan(units)
    text = render_markdown(plan, org_names=names, limit=limit)
    assert len(text) <= limit
    assert text.count("<details>") == text.count("</details>")
    assert text.startswith("## speakap-sync plan: ")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_UNIT, min_size=1, max_size=200))
def test_leavers_come_first_in_the_summary_and_in_every_details_section(units: list[Unit]) -> None:
    plan, names = synthetic_plan(units)
    text = render_markdown(plan, org_names=names)
    leavers = sum(u.leaving for u in units)
    if leavers:
        assert text.index("### Leaving") < text.index("### Changes per business unit")
    for section in re.findall(r"<details>.*?</details>", text, re.DOTALL):
        kinds = re.findall(r"^- .*? — \*\*(\w+)\*\*", section, re.MULTILINE)
        firsts = [kinds.index(k) for k in ("delete", "update", "join") if k in kinds]
        assert firsts == sorted(firsts)  # leavers, then updates, then joiners
        assert kinds[: kinds.count("delete")] == ["delete"] * kinds.count("delete")


def test_every_units_leavers_are_shown_before_any_units_joiners() -> None:
    plan, names = synthetic_plan([Unit(joining=2000)] * 3 + [Unit(joining=5, leaving=2)] * 20)
    text = render_markdown(plan, org_names=names)
    sections = re.findall(r"<details>.*?</details>", text, re.DOTALL)
    assert len(sections) == 23  # room for every unit
    for section in sections:
        if re.search(r"\(unit-[012]\)", section):
            continue  # the units with joiners only
        assert section.count("**delete**") == 2  # every leaver in the room the joiners leave


def test_the_job_summary_counts_its_limit_in_bytes() -> None:
    plan, names = synthetic_plan([Unit(joining=4000)] * 5, name="Ünïcødé ✓ winkel {i}")
    text = render_markdown(plan, org_names=names, limit=STEP_SUMMARY_LIMIT, in_bytes=True)
    assert STEP_SUMMARY_LIMIT - 10_000 < len(text.encode()) <= STEP_SUMMARY_LIMIT
    assert len(text) < len(text.encode())


def test_thousands_of_units_are_all_named_even_past_the_row_cap() -> None:
    plan, names = synthetic_plan([Unit(joining=1 + i % 3, leaving=i % 7 == 0) for i in range(1200)])
    text = render_markdown(plan, org_names=names)
    assert len(text) <= COMMENT_LIMIT
    assert _named_units(text) == set(names.values())
    assert "are folded into one row" in text
    assert re.search(r"^\| \*\*[\d,]+ more units\*\* \(below\) \|", text, re.MULTILINE)
