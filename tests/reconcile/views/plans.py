"""Plans of any size built directly as values, and plan.md rendered as GitHub would show it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt

from reconciler.model import Action
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.plan import Plan, action_sort_key


@dataclass(frozen=True)
class Unit:
    """One business unit's share of a synthetic plan."""

    joining: int = 0
    leaving: int = 0
    updated: int = 0


def synthetic_plan(
    units: Sequence[Unit], *, name: str = "Store {i}"
) -> tuple[Plan, dict[str, str]]:
    """A plan with the given changes per business unit ``unit-{i}``; returns the plan and the
    org-unit names (``name`` formatted with the unit's index)."""
    actions: list[Action] = []
    business_units: dict[str, str] = {}
    for i, unit in enumerate(units):
        key = f"unit-{i}"
        for j in range(unit.joining):
            eid = f"J{i}-{j}"
            after = {"given_name": f"Jo{j}", "family_name": f"Ining{i}", "job_title": "Clerk"}
            actions.append(
                Action(f"create_user:{eid}", "create_user", employee_id=eid, after=after)
            )
            actions.append(
                Action(f"add_membership:{eid}:{key}", "add_membership", eid, org_unit=key)
            )
            business_units[eid] = key
        for j in range(unit.leaving):
            eid = f"L{i}-{j}"
            reason = "left the HR export, grace period over"
            actions.append(Action(f"delete_user:{eid}", "delete_user", eid, reason=reason))
            business_units[eid] = key
        for j in range(unit.updated):
            eid = f"U{i}-{j}"
            actions.append(
                Action(
                    f"update_user:{eid}",
                    "update_user",
                    eid,
                    before={"job_title": "Clerk"},
                    after={"job_title": "Manager"},
                )
            )
            business_units[eid] = key
    actions.sort(key=action_sort_key)
    managed = sum(u.leaving + u.updated for u in units) * 20 + 10
    plan = Plan(
        actions=tuple(actions),
        guards=(
            GuardResult("offboard", sum(u.leaving for u in units), managed, 10.0, 10, False),
            GuardResult("updates", sum(u.updated for u in units), managed, 30.0, 10, False),
            GuardResult("empty_desired", 0, managed, 0.0, 1, False),
        ),
        live_fingerprint="sha256:" + "0" * 64,
        managed_users=managed,
        unmanaged_users=0,
        desired_people=managed,
        first_run=False,
        business_units=business_units,
    )
    names = {f"unit-{i}": name.format(i=i) for i in range(len(units))}
    return plan, names


_GITHUB = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def as_github_shows(markdown: str) -> str:
    """The HTML of ``markdown`` by a CommonMark parser with GitHub's tables and raw HTML."""
    html: str = _GITHUB.render(markdown)
    return html
