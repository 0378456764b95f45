"""Plan outputs: ``plan.json`` (machine, schema-validated), ``plan.md`` (PR comment), terminal.

Computing a plan lives in ``reconcile.plan``; applying it in ``reconcile.apply``. This module
only turns a ``Plan`` into text and back. Nothing here ever sees the API token. ``plan.md``
masks emails and phone numbers unless asked not to and never exceeds GitHub's 65,536-character
comment limit.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reconciler.desired.documents import validator
from reconciler.errors import ConfigError
from reconciler.model import Action, Person
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.plan import Plan

FORMAT_VERSION = 1
COMMENT_LIMIT = 65_536
_NO_UNIT = "(no business unit)"
_ORG = "(org units)"
_PII_FIELDS = frozenset({"email", "phone"})


# -- plan.json ----------------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "desired_commit": plan.desired_commit,
        "live_fingerprint": plan.live_fingerprint,
        "first_run": plan.first_run,
        "allow_mass_changes": plan.allow_mass_changes,
        "blocked": plan.blocked,
        "managed_users": plan.managed_users,
        "unmanaged_users": plan.unmanaged_users,
        "desired_people": plan.desired_people,
        "counts": plan.counts(),
        "guards": [_guard_json(g) for g in plan.guards],
        "protected_skipped": list(plan.protected_skipped),
        "undeclared_org_units": len(plan.undeclared_org_units),
        "undeclared_org_unit_keys": list(plan.undeclared_org_units),
        "actions": [_action_json(a, plan.business_units) for a in plan.actions],
    }


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """The inverse of ``plan_to_json`` (for an already validated document)."""
    actions = tuple(
        Action(
            id=row["id"],
            kind=row["kind"],
            employee_id=row.get("employee_id"),
            org_unit=row.get("org_unit"),
            user_id=row.get("user_id"),
            group_id=row.get("group_id"),
            before=row.get("before"),
            after=row.get("after"),
            reason=row.get("reason", ""),
        )
        for row in data["actions"]
    )
    units = {
        row["employee_id"]: row["business_unit"]
        for row in data["actions"]
        if row.get("employee_id") and row.get("business_unit")
    }
    guards = tuple(
        GuardResult(
            name=g["name"],
            count=g["count"],
            managed=g["managed"],
            threshold_percent=g["threshold_percent"],
            min_managed=g["min_managed"],
            tripped=g["tripped"],
            overridden=g["overridden"],
        )
        for g in data["guards"]
    )
    return Plan(
        actions=actions,
        guards=guards,
        live_fingerprint=data["live_fingerprint"],
        managed_users=data["managed_users"],
        unmanaged_users=data["unmanaged_users"],
        desired_people=data["desired_people"],
        first_run=data["first_run"],
        allow_mass_changes=data["allow_mass_changes"],
        desired_commit=data["desired_commit"],
        business_units=units,
        protected_skipped=tuple(data["protected_skipped"]),
        undeclared_org_units=tuple(data.get("undeclared_org_unit_keys", ())),
    )


def write_plan(
    plan: Plan,
    out_dir: Path,
    *,
    show_pii: bool = False,
    names: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """Write ``plan.json`` and ``plan.md`` into ``out_dir`` (each atomically); ``names`` (see
    ``names_of``) puts a name beside each employee id in plan.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "plan.json"
    md_path = out_dir / "plan.md"
    _atomic_write(json_path, json.dumps(plan_to_json(plan), indent=1, sort_keys=False) + "\n")
    _atomic_write(md_path, render_markdown(plan, show_pii=show_pii, names=names))
    return json_path, md_path


def read_plan(path: Path) -> Plan:
    """Read and validate a ``plan.json``; errors name the file and the offending field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError("plan file not found", file=path) from err
    except IsADirectoryError as err:
        raise ConfigError("a folder, not a plan.json file", file=path) from err
    except OSError as err:
        raise ConfigError(f"cannot read the plan file ({err.strerror})", file=path) from err
    except UnicodeDecodeError as err:
        raise ConfigError(
            "not a plan.json: not UTF-8 text (a zipped artifact? unzip it first)", file=path
        ) from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"not valid JSON: {err.msg}", file=path, line=err.lineno) from err
    errors = sorted(validator("plan").iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or None
        raise ConfigError(f"not a valid plan: {first.message}", file=path, field=where)
    return plan_from_json(data)


def validate_json(data: Mapping[str, Any]) -> list[str]:
    """Schema errors of a plan document, as readable strings (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator("plan").iter_errors(data)
    ]


def _guard_json(guard: GuardResult) -> dict[str, Any]:
    return {
        "name": guard.name,
        "count": guard.count,
        "managed": guard.managed,
        "threshold_percent": guard.threshold_percent,
        "min_managed": guard.min_managed,
        "tripped": guard.tripped,
        "overridden": guard.overridden,
        "blocked": guard.blocked,
        "message": guard.message(),
    }


def _action_json(action: Action, units: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": action.id,
        "kind": action.kind,
        "employee_id": action.employee_id,
        "org_unit": action.org_unit,
        "user_id": action.user_id,
        "group_id": action.group_id,
        "business_unit": units.get(action.employee_id or ""),
        "before": dict(action.before) if action.before is not None else None,
        "after": dict(action.after) if action.after is not None else None,
        "reason": action.reason,
    }


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- masking ------------------------------------------------------------------------------------


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    if len(value) <= 4:
        return "***"
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def _show(name: str, value: Any, show_pii: bool) -> str:
    if value is None:
        return "∅"
    if not show_pii and isinstance(value, str) and name in _PII_FIELDS:
        value = mask_email(value) if name == "email" else mask_phone(value)
    return f"`{_mdescape(str(value))}`"


def _mdescape(text: str) -> str:
    return text.replace("`", "'").replace("|", "\\|").replace("<", "&lt;")


# -- plan.md ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    joins: int
    moves: int
    leaves: int
    updates: int


def summarize(plan: Plan) -> Summary:
    counts = plan.counts()
    created = {a.employee_id for a in plan.actions if a.kind == "create_user"}
    movers = {
        a.employee_id
        for a in plan.actions
        if a.kind in ("add_membership", "remove_membership") and a.employee_id not in created
    }
    return Summary(
        joins=counts["create_user"] + counts["reactivate_user"],
        moves=len(movers),
        leaves=counts["suspend_user"] + counts["delete_user"] + counts["anonymize_user"],
        updates=counts["update_user"],
    )


def render_markdown(
    plan: Plan,
    *,
    show_pii: bool = False,
    limit: int = COMMENT_LIMIT,
    names: Mapping[str, str] | None = None,
) -> str:
    """The PR comment: summary table first, then one folded section per business unit."""
    head = _markdown_head(plan)
    sections = _markdown_sections(plan, show_pii, names or {})
    note_template = (
        "\n_Truncated: {shown} of {total} business units shown in full. "
        "The full plan is in the `plan.json` artifact._\n"
    )
    reserve = len(note_template) + 40
    out = [head]
    size = len(head)
    for index, section in enumerate(sections):
        if size + len(section) + reserve > limit:
            out.append(_cut_section(section, limit - size - reserve))
            out.append(note_template.format(shown=index, total=len(sections)))
            return "".join(out)
        out.append(section)
        size += len(section)
    return "".join(out)


def _markdown_head(plan: Plan) -> str:
    s = summarize(plan)
    counts = plan.counts()
    commit = f"`{plan.desired_commit[:12]}`" if plan.desired_commit else "uncommitted"
    blocked = "**yes**" if plan.blocked else "no"
    lines = [
        "## speakap-sync plan",
        "",
        f"{_plural(len(plan.actions), 'action')} · desired state {commit} · "
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
        _plural(counts["create_org_unit"], "new org unit"),
        f"{_plural(counts['add_membership'], 'membership')} added",
        f"{counts['remove_membership']} removed",
        _plural(plan.managed_users, "managed user"),
        f"{plan.unmanaged_users} unmanaged (never touched)",
    ]
    if counts["update_org_unit"]:
        other.insert(2, f"{_plural(counts['update_org_unit'], 'org unit')} changed")
    if plan.protected_skipped:
        other.append(f"{_plural(len(plan.protected_skipped), 'protected account')} kept")
    if plan.first_run:
        other.append("first run: no last-applied state, no membership removed")
    lines += ["", " · ".join(other), ""]
    if plan.undeclared_org_units:
        lines += [_undeclared_line(plan.undeclared_org_units, _md_keys), ""]
    if not plan.actions:
        lines += ["No changes. Live Speakap matches the desired state.", ""]
    return "\n".join(lines) + "\n"


def _markdown_sections(plan: Plan, show_pii: bool, names: Mapping[str, str]) -> list[str]:
    by_unit: dict[str, dict[str, list[Action]]] = defaultdict(lambda: defaultdict(list))
    for action in plan.actions:
        if action.kind in _ORG_KINDS:
            unit, who = _ORG, str(action.org_unit)
        else:
            who = str(action.employee_id)
            unit = plan.business_units.get(who, _NO_UNIT)
        by_unit[unit][who].append(action)
    sections = []
    for unit in sorted(by_unit):
        people = by_unit[unit]
        n = sum(len(v) for v in people.values())
        lines = [
            f"<details><summary><b>{_mdescape(unit)}</b> — "
            f"{_plural(len(people), 'unit' if unit == _ORG else 'person')}, "
            f"{_plural(n, 'action')}</summary>",
            "",
        ]
        for who in sorted(people):
            name = None if unit == _ORG else names.get(who)
            lines.append(_person_line(who, people[who], show_pii, name))
        lines += ["", "</details>", ""]
        sections.append("\n".join(lines) + "\n")
    return sections


def _undeclared_line(keys: tuple[str, ...], show: Callable[[list[str]], str]) -> str:
    """The note on keyed groups that org-units.yaml no longer declares (first 10 named)."""
    shown = show(list(keys[:10])) + _more(len(keys) - 10)
    verb = "is" if len(keys) == 1 else "are"
    return (
        f"{_plural(len(keys), 'org unit')} with a key org-units.yaml no longer declares "
        f"{verb} left in Speakap, not managed (never deleted): {shown}"
    )


def _md_keys(keys: list[str]) -> str:
    return ", ".join(f"`{_mdescape(k)}`" for k in keys)


def _plural(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    return f"{n} {'people' if noun == 'person' else noun + 's'}"


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


_VERB = {
    "create_org_unit": "create",
    "create_user": "join",
    "adopt_user": "adopt",
    "update_user": "update",
    "reactivate_user": "reactivate",
    "suspend_user": "suspend",
    "delete_user": "delete",
    "anonymize_user": "anonymize",
}


def _person_line(
    who: str, actions: Iterable[Action], show_pii: bool, name: str | None = None
) -> str:
    parts: list[str] = []
    adds: list[str] = []
    removes: list[str] = []
    for action in actions:
        if action.kind == "add_membership":
            adds.append(f"+{action.org_unit}")
        elif action.kind == "remove_membership":
            removes.append(f"−{action.org_unit}")
        else:
            parts.append(_describe(action, show_pii))
    if adds or removes:
        parts.append("memberships " + " ".join(adds + removes))
    named = f" {_mdescape(name)}" if name else ""
    return f"- `{_mdescape(who)}`{named} " + "; ".join(parts)


def _describe(action: Action, show_pii: bool) -> str:
    if action.kind == "update_org_unit":
        return org_unit_changes(action, lambda v: _show("", v, show_pii), bold=True)
    verb = f"**{_VERB[action.kind]}**"
    after = dict(action.after or {})
    if action.kind in ("create_user", "create_org_unit"):
        shown = ", ".join(f"{k} {_show(k, v, show_pii)}" for k, v in after.items() if v is not None)
        return f"{verb} {shown}"
    if action.kind == "update_user":
        before = dict(action.before or {})
        changes = ", ".join(
            f"{k} {_show(k, before.get(k), show_pii)} → {_show(k, v, show_pii)}"
            for k, v in after.items()
        )
        return f"{verb} {changes}"
    return f"{verb} ({_mdescape(action.reason)})" if action.reason else verb


_ORG_KINDS = frozenset({"create_org_unit", "update_org_unit"})
_ORG_FIELD_VERB = {"name": "rename", "parent": "parent", "visibility": "visibility"}


def org_unit_changes(action: Action, show: Callable[[Any], str], *, bold: bool = False) -> str:
    """``rename `A` → `B`, parent `X` → `Y``` for an ``update_org_unit`` action."""
    before = dict(action.before or {})
    parts = []
    for name, value in (action.after or {}).items():
        verb = _ORG_FIELD_VERB.get(name, name)
        parts.append(f"{f'**{verb}**' if bold else verb} {show(before.get(name))} → {show(value)}")
    return ", ".join(parts)


# -- terminal -----------------------------------------------------------------------------------

# The reviewer's categories, in the order they are shown; a person may be in several.
_JOINING, _ADOPTED, _MOVING, _LEAVING, _UPDATED = (
    "joining",
    "adopted",
    "moving",
    "leaving",
    "updated",
)
_CATEGORIES = (_JOINING, _ADOPTED, _MOVING, _LEAVING, _UPDATED)
_CATEGORY_OF = {
    "create_user": _JOINING,
    "reactivate_user": _JOINING,
    "adopt_user": _ADOPTED,
    "add_membership": _MOVING,
    "remove_membership": _MOVING,
    "suspend_user": _LEAVING,
    "delete_user": _LEAVING,
    "anonymize_user": _LEAVING,
    "update_user": _UPDATED,
}
_NAME_FIELDS = ("given_name", "infix", "family_name")


def display_name(fields: Mapping[str, Any]) -> str:
    """``Jan van der Berg`` from given name, infix and family name (empty if none is set)."""
    return " ".join(str(fields[k]) for k in _NAME_FIELDS if fields.get(k))


def names_of(people: Iterable[Person]) -> Mapping[str, str]:
    """Employee id -> display name, for ``print_plan`` (names are not masked, like plan.md).

    Lazy: a name is only put together when the view shows that person, which on a plan of
    300,000 people is a few dozen.
    """
    return _Names({p.employee_id: p for p in people})


class _Names(Mapping[str, str]):
    def __init__(self, people: dict[str, Person]) -> None:
        self._people = people

    def __getitem__(self, employee_id: str) -> str:
        return display_name(self._people[employee_id].profile())

    def __iter__(self) -> Iterator[str]:
        return iter(self._people)

    def __len__(self) -> int:
        return len(self._people)


def print_plan(
    plan: Plan,
    console: Console,
    *,
    show_pii: bool = False,
    names: Mapping[str, str] | None = None,
    units: int = 20,
    per_unit: int = 5,
) -> None:
    """The reviewer's view: the summary, counts per action kind, then changes per business unit.

    At most ``units`` business units are shown, each with at most ``per_unit`` people per
    category (joining, adopted, moving, leaving, updated); the rest is counted, and is in full
    in plan.md and plan.json. Emails and phones are masked unless ``show_pii``. ``names`` gives
    the names of people the plan itself does not name (only joiners carry theirs).
    """
    s = summarize(plan)
    table = Table(title="speakap-sync plan", show_edge=False)
    for column in ("joins", "moves", "leaves", "updates", "unmanaged", "blocked"):
        table.add_column(column, justify="right")
    table.add_row(
        str(s.joins),
        str(s.moves),
        str(s.leaves),
        str(s.updates),
        str(plan.unmanaged_users),
        "[red]yes[/red]" if plan.blocked else "no",
    )
    console.print(table)
    for guard in plan.guards:
        if guard.blocked:
            console.print(f"[red]blocked[/red] {guard.message()}", highlight=False)
        elif guard.overridden:
            console.print(f"[yellow]overridden[/yellow] {guard.message()}", highlight=False)
    if plan.protected_skipped:
        console.print(
            escape(
                f"{_plural(len(plan.protected_skipped), 'protected account')} kept "
                f"(not offboarded): {', '.join(plan.protected_skipped[:per_unit])}"
                + _more(len(plan.protected_skipped) - per_unit)
            ),
            highlight=False,
        )
    if plan.undeclared_org_units:
        console.print(
            escape(_undeclared_line(plan.undeclared_org_units, ", ".join)), highlight=False
        )
    if not plan.actions:
        console.print("No changes. Live Speakap matches the desired state.")
        return
    counts = plan.counts()
    console.print(
        f"{_plural(len(plan.actions), 'action')}: "
        + " · ".join(f"{n} {kind}" for kind, n in counts.items() if n),
        highlight=False,
    )
    view = _TerminalView(plan, names or {}, show_pii, per_unit)
    view.print_org_units(console)
    view.print_units(console, units)


def _more(n: int) -> str:
    return f" … {n} more" if n > 0 else ""


class _TerminalView:
    """One pass over the actions, grouped per business unit, then per person and category."""

    def __init__(self, plan: Plan, names: Mapping[str, str], show_pii: bool, per_unit: int) -> None:
        self.show_pii = show_pii
        self.per_unit = per_unit
        self.names = names
        self.new_units: list[Action] = []
        self.changed_units: list[Action] = []
        # unit -> category -> employee id -> that person's actions in the category
        self.units: dict[str, dict[str, dict[str, list[Action]]]] = {}
        created = {a.employee_id for a in plan.actions if a.kind == "create_user"}
        units = plan.business_units
        for action in plan.actions:
            if action.kind == "create_org_unit":
                self.new_units.append(action)
                continue
            if action.kind == "update_org_unit":
                self.changed_units.append(action)
                continue
            eid = str(action.employee_id)
            category = _CATEGORY_OF[action.kind]
            if category == _MOVING and eid in created:
                continue  # a joiner's memberships are part of joining, as in the summary
            unit = self.units.setdefault(units.get(eid, _NO_UNIT), {})
            unit.setdefault(category, {}).setdefault(eid, []).append(action)

    def print_org_units(self, console: Console) -> None:
        if self.changed_units:
            shown = "; ".join(
                f"{a.org_unit} {org_unit_changes(a, _plain_value)}"
                for a in self.changed_units[: self.per_unit * 2]
            )
            console.print(
                f"[bold]changed org units[/bold] ({len(self.changed_units)}): "
                + escape(shown + _more(len(self.changed_units) - self.per_unit * 2)),
                highlight=False,
            )
        if not self.new_units:
            return
        keys = [str(a.org_unit) for a in self.new_units]
        shown = ", ".join(keys[: self.per_unit * 2])
        console.print(
            f"[bold]new org units[/bold] ({len(keys)}): {shown}"
            + _more(len(keys) - self.per_unit * 2),
            highlight=False,
        )

    def print_units(self, console: Console, limit: int) -> None:
        unit_names = {
            str(a.org_unit): str((a.after or {}).get("name", ""))
            for a in (*self.new_units, *self.changed_units)
        }
        ordered = sorted(self.units, key=lambda u: (u == _NO_UNIT, u))
        for unit in ordered[:limit]:
            categories = self.units[unit]
            title = f"{unit} ({unit_names[unit]})" if unit_names.get(unit) else unit
            tally = ", ".join(f"{len(categories[c])} {c}" for c in _CATEGORIES if categories.get(c))
            console.print(f"[bold]{escape(title)}[/bold] — {tally}", highlight=False)
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column()
            for category in _CATEGORIES:
                people = categories.get(category)
                if people:
                    grid.add_row(f"  {category}", self._line(category, people))
            console.print(grid, highlight=False)
        if len(ordered) > limit:
            console.print(
                f"… {_plural(len(ordered) - limit, 'more business unit')} in plan.md",
                highlight=False,
            )

    def _line(self, category: str, people: Mapping[str, list[Action]]) -> str:
        ids = sorted(people)
        items = [self._item(category, eid, people[eid]) for eid in ids[: self.per_unit]]
        separator = "; " if category in (_MOVING, _UPDATED) else ", "
        return escape(separator.join(items) + _more(len(ids) - self.per_unit))

    def _item(self, category: str, eid: str, actions: list[Action]) -> str:
        created = [a.after for a in actions if a.kind == "create_user" and a.after]
        name = display_name(created[0]) if created else self.names.get(eid)
        who = f"{name} ({eid})" if name else eid
        if category == _MOVING:
            adds = [f"+{a.org_unit}" for a in actions if a.kind == "add_membership"]
            removes = [f"−{a.org_unit}" for a in actions if a.kind == "remove_membership"]
            return f"{who} {' '.join(adds + removes)}"
        if category == _LEAVING:
            return f"{who}: {', '.join(_VERB[a.kind] for a in actions)}"
        if category == _UPDATED:
            return f"{who}: " + ", ".join(_describe_plain(a, self.show_pii) for a in actions)
        if any(a.kind == "reactivate_user" for a in actions):
            return f"{who} back"
        return who


def _describe_plain(action: Action, show_pii: bool) -> str:
    before = dict(action.before or {})
    return ", ".join(
        f"{k} {_plain(k, before.get(k), show_pii)} → {_plain(k, v, show_pii)}"
        for k, v in (action.after or {}).items()
    )


def _plain_value(value: Any) -> str:
    return "∅" if value is None else str(value)


def _plain(name: str, value: Any, show_pii: bool) -> str:
    if value is None:
        return "∅"
    if not show_pii and isinstance(value, str) and name in _PII_FIELDS:
        return mask_email(value) if name == "email" else mask_phone(value)
    return str(value)
