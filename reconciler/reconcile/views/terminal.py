"""The reviewer's view in the terminal: the summary, then changes per business unit, capped.

Everything that comes from data (ids, names, values) is printed as written: rich markup in it
is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reconciler.model import Action
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views.describe import (
    CORRECTED,
    DRIFT,
    LEAVING,
    MOVING,
    NO_CHANGES,
    NO_UNIT,
    UPDATED,
    VERB,
    ViewOptions,
    by_category,
    display_name,
    drift_lines,
    field_changes,
    group,
    guard_line,
    membership_changes,
    more,
    org_unit_changes,
    partial_line,
    plural,
    shared_logins_line,
    summarize,
    undeclared_line,
)


@dataclass(frozen=True, slots=True)
class PlanTerminal:
    """Prints a plan on ``console``: at most ``units`` business units, each with at most
    ``per_unit`` people per category; the rest is counted, and is in full in plan.md and
    plan.json."""

    console: Console
    units: int = 20
    per_unit: int = 5

    def write(self, plan: Plan, options: ViewOptions) -> None:
        console = self.console
        console.print(_summary_table(plan))
        partial = partial_line(plan)
        if partial:
            console.print(f"[yellow]{escape(partial)}[/yellow]", highlight=False)
        for guard in plan.guards:
            said = escape(guard_line(guard, partial=plan.partial))
            if guard.blocked:
                console.print(f"[red]blocked[/red] {said}", highlight=False)
            elif guard.overridden:
                console.print(f"[yellow]overridden[/yellow] {said}", highlight=False)
        if plan.protected_skipped:
            kept = plan.protected_skipped
            console.print(
                escape(
                    f"{plural(len(kept), 'protected account')} kept (not offboarded): "
                    f"{', '.join(kept[: self.per_unit])}" + more(len(kept) - self.per_unit)
                ),
                highlight=False,
            )
        if plan.undeclared_org_units:
            console.print(escape(undeclared_line(plan.undeclared_org_units)), highlight=False)
        if plan.shared_logins:
            said = escape(shared_logins_line(plan.shared_logins))
            console.print(f"[yellow]{said}[/yellow]", highlight=False)
        corrected = drift_lines(plan)
        if corrected:
            said = escape("; ".join(corrected))
            console.print(f"[bold]{CORRECTED}[/bold] (changed by hand): {said}", highlight=False)
        if not plan.actions:
            console.print(NO_CHANGES)
            return
        console.print(
            f"{plural(len(plan.actions), 'action')}: "
            + " · ".join(f"{n:,} {kind}" for kind, n in plan.counts().items() if n),
            highlight=False,
        )
        _Sections(plan, options, self.per_unit).print(console, self.units)


def print_plan(
    plan: Plan,
    console: Console,
    *,
    show_pii: bool = False,
    names: Mapping[str, str] | None = None,
    org_names: Mapping[str, str] | None = None,
    units: int = 20,
    per_unit: int = 5,
) -> None:
    """The reviewer's view of ``plan`` on ``console``. Emails and phones are masked unless
    ``show_pii``; ``names`` names the people the plan itself does not (only joiners carry
    theirs), ``org_names`` the business units that exist already (new ones carry theirs)."""
    options = ViewOptions(show_pii=show_pii, names=names or {}, org_names=org_names or {})
    PlanTerminal(console, units, per_unit).write(plan, options)


def _summary_table(plan: Plan) -> Table:
    s = summarize(plan)
    marks = [word for word, on in (("partial", plan.partial), ("blocked", plan.blocked)) if on]
    title = "speakap-sync plan" + (f" ({', '.join(marks)})" if marks else "")
    table = Table(title=title, show_edge=False)
    counts = {"joins": s.joins, "adopted": s.adopted, "moves": s.moves, "leaves": s.leaves}
    counts |= {"updates": s.updates, "drift": s.drift, "unmanaged": plan.unmanaged_users}
    if not s.adopted:  # a column only for a plan that takes accounts over, as in plan.md
        del counts["adopted"]
    for column in (*counts, "blocked"):
        table.add_column(column, justify="right")
    blocked = "[red]yes[/red]" if plan.blocked else "no"
    table.add_row(*(f"{n:,}" for n in counts.values()), blocked)
    return table


class _Sections:
    """The org units, then each business unit's people per category."""

    def __init__(self, plan: Plan, options: ViewOptions, per_unit: int) -> None:
        self.options = options
        self.per_unit = per_unit
        grouped = group(plan)
        self.new_units = [a for a in plan.actions if a.kind == "create_org_unit"]
        self.changed_units = [a for a in plan.actions if a.kind == "update_org_unit"]
        # unit -> category -> employee id -> that person's actions in the category
        self.units = {
            unit: categories
            for unit, people in grouped.people.items()
            if (categories := by_category(people, grouped.joiners))
        }

    def print(self, console: Console, limit: int) -> None:
        self._print_org_units(console)
        unit_names = {
            str(a.org_unit): str((a.after or {}).get("name", ""))
            for a in (*self.new_units, *self.changed_units)
        }
        ordered = sorted(self.units, key=self._risk_order)
        for unit in ordered[:limit]:
            categories = self.units[unit]
            name = unit_names.get(unit) or self.options.org_name(unit)
            title = f"{unit} ({name})" if name and name != unit else unit
            tally = ", ".join(f"{len(people):,} {c}" for c, people in categories.items())
            console.print(f"[bold]{escape(title)}[/bold] — {tally}", highlight=False)
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column()
            for category, people in categories.items():
                grid.add_row(f"  {category}", self._line(category, people))
            console.print(grid, highlight=False)
        if len(ordered) > limit:
            console.print(
                f"… {plural(len(ordered) - limit, 'more business unit')} in plan.md",
                highlight=False,
            )

    def _risk_order(self, unit: str) -> tuple[bool, int, int, int, str]:
        """The units with leavers first, then drift, then the most changes, as plan.md
        orders them, so the cap never hides a unit with leavers behind ones with hires; the
        people without a business unit last."""
        counts = {category: len(people) for category, people in self.units[unit].items()}
        others = sum(counts.values()) - counts.get(LEAVING, 0) - counts.get(DRIFT, 0)
        return (unit == NO_UNIT, -counts.get(LEAVING, 0), -counts.get(DRIFT, 0), -others, unit)

    def _print_org_units(self, console: Console) -> None:
        cap = self.per_unit * 2
        if self.changed_units:
            changed = self.changed_units
            shown = "; ".join(
                f"{a.org_unit} {org_unit_changes(a, self.options)}" for a in changed[:cap]
            )
            console.print(
                f"[bold]changed org units[/bold] ({len(changed)}): "
                + escape(shown + more(len(changed) - cap)),
                highlight=False,
            )
        if self.new_units:
            keys = [str(a.org_unit) for a in self.new_units]
            console.print(
                f"[bold]new org units[/bold] ({len(keys)}): {', '.join(keys[:cap])}"
                + more(len(keys) - cap),
                highlight=False,
            )

    def _line(self, category: str, people: Mapping[str, list[Action]]) -> str:
        ids = sorted(people)
        items = [self._item(category, eid, people[eid]) for eid in ids[: self.per_unit]]
        separator = "; " if category in (MOVING, UPDATED, DRIFT) else ", "
        return escape(separator.join(items) + more(len(ids) - self.per_unit))

    def _item(self, category: str, eid: str, actions: list[Action]) -> str:
        created = [a.after for a in actions if a.kind == "create_user" and a.after]
        name = display_name(created[0]) if created else self.options.names.get(eid)
        who = f"{name} ({eid})" if name else eid
        if category == MOVING:
            return f"{who} {membership_changes(actions)}"
        if category == LEAVING:
            return f"{who}: {', '.join(VERB[a.kind] for a in actions)}"
        if category == UPDATED:
            return f"{who}: " + ", ".join(field_changes(a, self.options) for a in actions)
        if category == DRIFT:  # what Speakap lost by hand and the plan puts back
            said = [VERB[a.kind] for a in actions if a.kind in VERB]
            said += [membership_changes(actions)] if membership_changes(actions) else []
            return f"{who}: {', '.join(said)}"
        if any(a.kind == "reactivate_user" for a in actions):
            return f"{who} back"
        return who
