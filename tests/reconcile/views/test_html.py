"""plan.html: one self-contained page with every action, masked like plan.md, safe whatever
the data says; its script lists the actions in a browser (checked in headless Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import OrgUnit
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.views import ViewOptions
from reconciler.reconcile.views.html import action_ids, render_html
from tests.reconcile.conftest import (
    UNITS,
    a_day_of_changes,
    desired,
    live,
    live_as_desired,
    live_user_for,
    person,
)
from tests.reconcile.views.plans import Unit, synthetic_plan

HOSTILE = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)> &amp;"


def embedded(page: str) -> dict[str, Any]:
    """The JSON document the page's script lists."""
    start = page.index('<script id="plan-data" type="application/json">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    data: dict[str, Any] = json.loads(body)
    return data


def a_first_run_with_org_units() -> Plan:
    """New org units, hires with memberships, and an adopted account."""
    store = OrgUnit("store-03", "business_unit", "Store 03")
    state = desired(person("E1"), person("E2", unit="store-02"), person("E3"))
    state = type(state)(org_units=(*UNITS, store), people=state.people)
    snapshot = live([live_user_for(person("E3"), employee_id=None, managed=False)])
    return compute_plan(state, snapshot, None)


def test_the_page_holds_every_action_id_and_every_person_with_an_action() -> None:
    for plan in (a_day_of_changes(), a_first_run_with_org_units()):
        data = embedded(render_html(plan))
        assert sorted(action_ids(data)) == sorted(plan.ids())
        people = {a.employee_id for a in plan.actions if a.employee_id}
        assert people <= {row[1] for row in data["people"]}
        assert data["actions"] == len(plan.actions)


_EID = st.sampled_from([f"E{i}" for i in range(10)])


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(_EID, st.sampled_from(["store-01", "store-02"]), max_size=10),
    st.dictionaries(_EID, st.sampled_from(["store-01", "store-02"]), max_size=10),
    st.dictionaries(_EID, st.sampled_from(["Clerk", "Boss", "<i>x</i>"]), max_size=10),
)
def test_any_days_changes_land_whole_in_the_page(
    yesterday: dict[str, str], today: dict[str, str], titles: dict[str, str]
) -> None:
    """Hires, moves, title changes and leavers: every action id the plan holds, no other."""
    before = desired(*(person(e, unit=u) for e, u in sorted(yesterday.items())))
    after = desired(
        *(person(e, unit=u, job_title=titles.get(e, "Clerk")) for e, u in sorted(today.items()))
    )
    plan = compute_plan(after, live_as_desired(before), before)
    assert sorted(action_ids(embedded(render_html(plan)))) == sorted(plan.ids())


def test_the_page_is_grouped_by_unit_riskiest_first_and_by_category_within() -> None:
    options = ViewOptions(org_names={"store-01": "Centrum", "store-02": "Noord"})
    data = embedded(render_html(a_day_of_changes(), options))
    assert [u["name"] for u in data["units"]] == ["Centrum", "Noord"]  # the leaver's unit first
    assert data["units"][0]["tally"] == "1 leaving, 1 updated, 1 joining"
    centrum = [row[1] for row in data["people"] if row[0] == 0]
    assert centrum == ["E3", "E2", "E4"]  # leaving, updated, joining


def test_the_page_is_self_contained_and_allows_only_its_own_script_and_style() -> None:
    page = render_html(a_day_of_changes())
    assert not re.search(r"\b(src|href)=", page)  # no fetch, no link (outside CI)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and policy.group(1).startswith("default-src &#x27;none&#x27;;")
    assert page.count("<script>") == 1 and page.count("<style>") == 1


def test_the_page_masks_emails_and_phones_unless_asked() -> None:
    plan = a_day_of_changes()
    masked = render_html(plan)
    assert "new.hire@example.com" not in masked and "+31612345678" not in masked
    assert "n***@example.com" in masked and "+31*******78" in masked
    shown = render_html(plan, ViewOptions(show_pii=True))
    assert "new.hire@example.com" in shown and "+31612345678" in shown


def test_hostile_names_and_values_cannot_close_the_script_or_add_markup() -> None:
    before = desired(person("E1"))
    after = desired(person("E1", job_title=HOSTILE), person("E2", given_name=HOSTILE))
    plan = compute_plan(after, live_as_desired(before), before)
    page = render_html(plan, ViewOptions(names={"E1": HOSTILE}, org_names={"store-01": HOSTILE}))
    assert page.count("</script>") == 2  # the data's and the script's own
    assert "<img" not in page and "document.title='pwned'" not in page.split("<style>")[0]
    data = embedded(page)
    assert HOSTILE in {row[2] for row in data["people"]}  # the name, exactly as written
    assert data["units"][0]["name"] == HOSTILE


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed: the page's script is not run in a browser")
    return found


@pytest.mark.slow
def test_in_a_browser_the_script_lists_every_action_and_runs_nothing_from_the_data(
    tmp_path: Path,
) -> None:
    browser = _chromium()
    before = desired(person("E1"), person("E9"))
    after = desired(person("E1", job_title=HOSTILE), person("E2", given_name=HOSTILE))
    plan = compute_plan(after, live_as_desired(before), before)
    page = tmp_path / "plan.html"
    options = ViewOptions(names={"E9": HOSTILE}, org_names={"store-01": HOSTILE})
    page.write_text(render_html(plan, options), encoding="utf-8")
    dom = _dom(browser, page)
    assert "<title>pwned" not in dom and "<img" not in dom
    assert '<td class="id">E1</td>' in dom and '<td class="id">E2</td>' in dom  # drawn
    assert '<td class="id">E9</td>' in dom
    for action_id in plan.ids():
        assert f'<span class="aid">{action_id}</span>' in dom
    assert "&lt;/script&gt;&lt;script&gt;document.title='pwned'" in dom  # shown as text


@pytest.mark.slow
def test_in_a_browser_new_org_units_read_as_new_not_as_joining(tmp_path: Path) -> None:
    page = tmp_path / "plan.html"
    page.write_text(render_html(a_first_run_with_org_units()), encoding="utf-8")
    dom = _dom(_chromium(), page)
    headings = re.findall(r'<tr class="category"><th colspan="3">(\w+)</th></tr>', dom)
    assert headings[0] == "new"  # the org units' section comes first, and is open


def _dom(browser: str, page: Path) -> str:
    """The page's DOM after its script ran, in headless Chromium."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout


def test_the_page_says_what_it_corrects_in_speakap_apart_from_hr_changes() -> None:
    state = desired(person("E1"))
    snapshot = live_as_desired(state)
    lost = replace(snapshot, groups=tuple(replace(g, members=frozenset()) for g in snapshot.groups))
    page = render_html(compute_plan(state, lost, state))
    assert (
        "<p><strong>Corrected in Speakap</strong> (changed by hand, not by HR): "
        "2 memberships removed by hand → restored</p>"
    ) in page
    assert "Corrected in Speakap" not in render_html(a_day_of_changes())


def test_a_partial_page_says_so_in_its_title_and_its_guards_count_the_selected() -> None:
    plan = replace(a_day_of_changes(), only=("unit:store-01",), only_people=3)
    page = render_html(plan)
    assert "<title>speakap-sync plan (partial): " in page
    assert "<h1>speakap-sync plan (partial): " in page
    assert "(--only unit:store-01: 3 people selected)" in page
    assert "<td>33.3% of 3 selected</td><td>10% (0)</td>" in page  # the limit as plan.md says it


def test_the_page_says_why_its_columns_add_up_to_more_than_its_people() -> None:
    page = render_html(a_day_of_changes())
    assert (
        "(never touched) · a person can count in more than one column (4 people, 5 counts)" in page
    )
    plan, _ = synthetic_plan([Unit(joining=2, leaving=1)])
    assert "more than one column" not in render_html(plan)


def test_shared_logins_are_a_warning_above_the_totals() -> None:
    plan = replace(a_day_of_changes(), shared_logins=(("E4", "E9"),))
    page = render_html(plan)
    warning = page.index('<div class="alert warning"><strong>Shared logins: 2 people in 1 group')
    assert warning < page.index('<table class="totals">') and "E4 + E9" in page
    assert "Shared logins" not in render_html(a_day_of_changes())
