"""One protection rule for render and plan: ``Policy.protects`` names an account by employee id,
login or email, stripped and case-insensitive, and both stages ask it the same question."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.config import load_config
from reconciler.model import DesiredState, LiveUser, Person, Policy
from reconciler.reconcile.plan import compute_plan
from reconciler.render.core import render
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.mapping import login_of
from tests.reconcile.conftest import desired, live, live_user_for, person
from tests.render.conftest import DAY1, REPO

CONFIG = load_config(REPO / "desired-state")
AFTER_GRACE = DAY1 - timedelta(days=CONFIG.policy.grace_days + 5)

words = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8
)
emails = st.builds(lambda local, host: f"{local}@{host}.nl".lower(), words, words)
SPELLINGS: list[Callable[[str], str]] = [str, str.upper, str.lower, str.title, str.swapcase]
spelled = st.sampled_from(SPELLINGS)
padding = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def accounts(draw: st.DrawFn) -> tuple[Person, Policy]:
    """A person and a policy whose entries may name them, written as people write them."""
    subject = person(draw(words), email=draw(st.none() | emails))
    handles = [subject.employee_id, login_of(subject, Dialect())]
    handles += [subject.email] if subject.email else []
    entries = draw(st.lists(st.sampled_from(handles) | words | emails | st.just(""), max_size=3))
    protected = tuple(draw(padding) + draw(spelled)(e) + draw(padding) for e in entries)
    return subject, Policy(protected=protected)


def kept_by_render(subject: Person, policy: Policy, suspended_on: date | None) -> bool:
    """Render of an export without the person: kept as they were, or offboarded."""
    previous = replace(subject, status="suspended" if suspended_on else "active")
    previous = replace(previous, suspended_on=suspended_on)
    config = replace(CONFIG, policy=policy)
    before = DesiredState(config.org_units, (previous,), policy)
    _, report = render([], config, before, DAY1)
    return subject.employee_id in report.protected_kept


def skipped_by_plan(subject: Person, policy: Policy, user: LiveUser, *, grace_over: bool) -> bool:
    """The plan of the same leaver against their live account: offboarding withheld or not."""
    if grace_over:  # gone from desired state, still in last-applied: delete
        want, user = desired(policy=policy), replace(user, active=False)
        kind = "delete_user"
    else:  # suspended in desired state, active live: suspend
        want, kind = desired(replace(subject, status="suspended"), policy=policy), "suspend_user"
    plan = compute_plan(want, live([user]), desired(subject, policy=policy))
    return f"{kind}:{subject.employee_id}" in plan.protected_skipped


@settings(max_examples=200, deadline=None)
@given(accounts(), st.booleans())
def test_render_keeps_exactly_the_leavers_plan_would_not_offboard(
    account: tuple[Person, Policy], grace_over: bool
) -> None:
    subject, policy = account
    user = live_user_for(subject, user_name=login_of(subject, Dialect()))
    kept = kept_by_render(subject, policy, AFTER_GRACE if grace_over else None)
    assert kept == skipped_by_plan(subject, policy, user, grace_over=grace_over)
    assert kept == policy.protects(subject.employee_id, subject.email)


@settings(max_examples=100, deadline=None)
@given(accounts(), words, st.booleans())
def test_plan_protects_at_least_whom_render_protects_whatever_the_live_login(
    account: tuple[Person, Policy], login: str, grace_over: bool
) -> None:
    subject, policy = account
    user = live_user_for(subject, user_name=login)
    if kept_by_render(subject, policy, AFTER_GRACE if grace_over else None):
        assert skipped_by_plan(subject, policy, user, grace_over=grace_over)


def test_a_live_login_alone_protects_the_account_in_plan() -> None:
    subject = person("E1")
    policy = Policy(protected=(" Store.Manager ",))
    user = live_user_for(subject, user_name="store.manager")
    assert skipped_by_plan(subject, policy, user, grace_over=False)
    assert not kept_by_render(subject, policy, None)  # render cannot know a live login


def test_the_hr_email_protects_an_account_whose_live_email_differs() -> None:
    subject = person("E1", email="boss@example.com")
    policy = Policy(protected=("BOSS@example.com",))
    user = live_user_for(subject, email="old.address@example.com", user_name="E1")
    assert skipped_by_plan(subject, policy, user, grace_over=True)
    assert kept_by_render(subject, policy, AFTER_GRACE)


def test_empty_entries_and_empty_handles_name_nobody() -> None:
    policy = Policy(protected=("", "  "))
    assert not policy.protects("E1", "", "  ", None)
    assert not Policy(protected=("E1",)).protects("", None)
