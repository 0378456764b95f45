"""plan.md, the pull-request comment: the summary, always whole, then one folded section per
business unit, cut to fit GitHub's body limit (the full plan is in plan.json)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.gitops.github import MAX_BODY
from reconciler.model import Action
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.plan_json import atomic_write
from reconciler.reconcile.views.describe import (
    NO_CHANGES,
    Markup,
    ViewOptions,
    describe,
    group,
    membership_changes,
    plural,
    summarize,
    undeclared_line,
)

FILENAME = "plan.md"
_ORG = "(org units)"  # the section of org-unit actions, sorted among the business units
_TRUNCATED = (
    "\n_Truncated: {shown} of {total} business units shown in full. "
    "The full plan is in the `plan.json` artifact._\n"
)


def _escape(text: str) -> str:
    return text.replace("`", "'").replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    return f"`{_escape(text)}`"


def _bold(text: str) -> str:
    return f"**{text}**"


MARKDOWN = Markup(value=_code, verb=_bold, text=_escape)


@dataclass(frozen=True, slots=True)
class PlanMarkdown:
    """Writes ``plan.md`` into ``out_dir``, at most ``limit`` characters."""

    out_dir: Path
    limit: int = MAX_BODY

    @property
    def path(self) -> Path:
        return self.out_dir / FILENAME

    def write(self, plan: Plan, options: ViewOptions) -> None:
        atomic_write(self.path, _render(plan, options, self.limit))


def render_markdown(
    plan: Plan,
    *,
    show_pii: bool = False,
    limit: int = MAX_BODY,
    names: Mapping[str, str] | None = None,
) -> str:
    """The text of ``plan.md``; ``names`` puts a name beside each employee id."""
    return _render(plan, ViewOptions(show_pii=show_pii, names=names or {}), limit)


def _render(plan: Plan, options: ViewOptions, limit: int) -> str:
    head = _head(plan)
    sections = _sections(plan, options)
    reserve = len(_TRUNCATED) + 40
    out = [head]
    size = len(head)
    for index, section in enumerate(sections):
        if size + len(section) + reserve > limit:
            out.append(_cut_section(section, limit - size - reserve))
            out.append(_TRUNCATED.format(shown=index, total=len(sections)))
            return "".join(out)
        out.append(section)
        size += len(section)
    return "".join(out)


def _head(plan: Plan) -> str:
    s = summarize(plan)
    counts = plan.counts()
    commit = _code(plan.desired_commit[:12]) if plan.desired_commit else "uncommitted"
    blocked = "**yes**" if plan.blocked else "no"
    lines = [
        "## speakap-sync plan",
        "",
        f"{plural(len(plan.actions), 'action')} · desired state {commit} · "
        f"live `{plan.live_fingerprint[:19]}…`",
        "",
        "| joins | moves | leaves | updates | blocked |",
        "| ---: | ---: | ---: | ---: | :---: |",
        f"| {s.joins} | {s.moves} | {s.leaves} | {s.updates} | {blocked} |",
        "",
    ]
    for guard in plan.guards:
        if guard.blocked:
            lines.append(f"> :no_entry: **Blocked** — {guard.message()}")
        elif guard.overridden:
            lines.append(f"> :warning: Overridden with `--allow-mass-changes` — {guard.message()}")
    other = [
        f"{counts['adopt_user']} adopted",
        plural(counts["create_org_unit"], "new org unit"),
        f"{plural(counts['add_membership'], 'membership')} added",
        f"{counts['remove_membership']} removed",
        plural(plan.managed_users, "managed user"),
        f"{plan.unmanaged_users} unmanaged (never touched)",
    ]
    if counts["update_org_unit"]:
        other.insert(2, f"{plural(counts['update_org_unit'], 'org unit')} changed")
    if plan.protected_skipped:
        other.append(f"{plural(len(plan.protected_skipped), 'protected account')} kept")
    if plan.first_run:
        other.append("first run: no last-applied state, no membership removed")
    lines += ["", " · ".join(other), ""]
    if plan.undeclared_org_units:
        lines += [undeclared_line(plan.undeclared_org_units, MARKDOWN), ""]
    if not plan.actions:
        lines += [NO_CHANGES, ""]
    return "\n".join(lines) + "\n"


def _sections(plan: Plan, options: ViewOptions) -> list[str]:
    grouped = group(plan)
    units: dict[str, Mapping[str, list[Action]]] = dict(grouped.people)
    if grouped.org_units:
        units[_ORG] = grouped.org_units
    sections = []
    for unit in sorted(units):
        people = units[unit]
        n = sum(len(v) for v in people.values())
        lines = [
            f"<details><summary><b>{_escape(unit)}</b> — "
            f"{plural(len(people), 'unit' if unit == _ORG else 'person')}, "
            f"{plural(n, 'action')}</summary>",
            "",
        ]
        for who in sorted(people):
            name = None if unit == _ORG else options.names.get(who)
            lines.append(_person_line(who, people[who], options, name))
        lines += ["", "</details>", ""]
        sections.append("\n".join(lines) + "\n")
    return sections


def _person_line(
    who: str, actions: Iterable[Action], options: ViewOptions, name: str | None
) -> str:
    """``- `E1` Jan de Vries **update** phone … ; memberships +store-02 −store-01``."""
    actions = list(actions)
    parts = [
        describe(a, options, MARKDOWN)
        for a in actions
        if a.kind not in ("add_membership", "remove_membership")
    ]
    memberships = membership_changes(actions)
    if memberships:
        parts.append(f"memberships {memberships}")
    named = f" {_escape(name)}" if name else ""
    return f"- {_code(who)}{named} " + "; ".join(parts)


def _cut_section(section: str, budget: int) -> str:
    if budget <= 200:
        return ""
    kept: list[str] = []
    size = 0
    for line in section.splitlines(keepends=True):
        if size + len(line) > budget - 40:
            break
        kept.append(line)
        size += len(line)
    return "".join(kept) + "\n- …\n\n</details>\n"
