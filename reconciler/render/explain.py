"""``explain``: why a person is, or is not, in the desired state, by row, rule and line.

- In the desired state: their record, their units by name and kind (the primary marked), and
  the rules that fired, each with its line in rules.yaml.
- With the HR export: every row of that employee id as render reads it on ``today`` (a current
  contract, a pre-hire, an ended contract, a data error; a skip rule that fires), its errors
  and warnings, and the rule trace: each rule in order, fired or not (and on what condition),
  and what each lookup found. The verdict is the render core's own, run on those rows with the
  person's record in the desired state as the previous one: rejected, quarantined, a pre-hire,
  a leaver, a hire, and so on.
- With the last sync report (``report.json``): what that render said about the person.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from reconciler.desired.config import Condition, Config, load_config
from reconciler.desired.state import USERS_DIR, read_state
from reconciler.errors import InputError, StateError
from reconciler.model import DesiredState, Person, mask_email, mask_phone
from reconciler.render.core import Part, classify, offboard, render_part
from reconciler.render.normalize import Row, collapse, normalize_row
from reconciler.render.rules import Step, apply_rules, skipping_rule
from reconciler.render.sources import RawRow, open_export

_STATES = {
    "active": "a current contract",
    "future": "a contract not started yet",
    "ended": "a contract that ended",
    "error": "a row with a data error",
}


def explain(
    employee_id: str,
    state_dir: Path,
    *,
    today: date,
    export: Path | None = None,
    report_dir: Path | None = None,
    show_pii: bool = False,
) -> str:
    """What the desired state, the export (``export``) and the last report (``report_dir``)
    say about one employee id; emails and phones masked unless ``show_pii``."""
    config = load_config(state_dir)
    state = read_state(state_dir) if (state_dir / USERS_DIR).is_dir() else None
    person = state.people_by_id().get(employee_id) if state is not None else None
    parts: list[str] = []
    if person is not None and state is not None:
        parts.append(describe_person(person, config, state, show_pii=show_pii))
    if export is not None:
        parts.append(explain_rows(employee_id, export, config, person, today))
    if report_dir is not None:
        parts.append(explain_from_report(employee_id, report_dir))
    if not parts:
        raise StateError(
            "not in the desired state; to see why, give the HR export (--export FILE) or the "
            "last sync report (--report DIR)",
            employee_id=employee_id,
        )
    return "\n\n".join(parts)


def describe_person(
    person: Person, config: Config, state: DesiredState, *, show_pii: bool = False
) -> str:
    """A person's desired state, their org units by name, and the rules that fired; emails
    and phones masked unless ``show_pii``."""
    units = state.org_units_by_key()
    rules = {r.name: r for r in config.rules}
    lines = [f"{person.employee_id}: {person.display_name}"]
    status: str = person.status
    if person.suspended_on is not None:
        status += f" since {person.suspended_on.isoformat()}"
    lines.append(f"  status: {status}")
    if person.out_of_scope is not None:
        rule = rules.get(person.out_of_scope)
        where = _where(rule.line) if rule is not None else "no longer in rules.yaml"
        lines.append(f"  out of scope: skip rule {person.out_of_scope} ({where})")
    for name in ("email", "phone", "job_title", "language", "invite_channel"):
        value = getattr(person, name)
        if value is not None and not show_pii:
            value = {"email": mask_email, "phone": mask_phone}.get(name, str)(value)
        if value is not None:
            lines.append(f"  {name}: {value}")
    for name in ("start_date", "end_date"):
        value = getattr(person, name)
        if value is not None:
            lines.append(f"  {name}: {value.isoformat()}")
    lines.append("  memberships:")
    for key in person.memberships:
        unit = units.get(key)
        marks = [
            m
            for m, k in (("primary", person.business_unit), ("dept", person.department))
            if k == key
        ]
        label = f"{unit.kind} {unit.name!r}" if unit else "UNDECLARED"
        lines.append(f"    - {key} ({label}){' [' + ', '.join(marks) + ']' if marks else ''}")
    lines.append("  rules fired, in order:")
    for name in person.rules:
        rule = rules.get(name)
        where = f"rules.yaml:{rule.line}" if rule and rule.line else "no longer in rules.yaml"
        text = f" - {rule.description}" if rule and rule.description else ""
        lines.append(f"    - {name} ({where}){text}")
    if not person.rules:
        lines.append("    (none)")
    return "\n".join(lines)


# -- the export ---------------------------------------------------------------------------------


def explain_rows(
    employee_id: str, path: Path, config: Config, person: Person | None, today: date
) -> str:
    """Every row of ``employee_id`` in the export at ``path``, and render's verdict on them."""
    source = config.source
    header = source.field_columns()["employee_id"]
    export = open_export(path, source)
    try:
        mine = [r for r in export.rows if collapse(r.values.get(header)) == employee_id]
        serial = export.serial_dates
    finally:
        export.close()
    where = f"{path.name} on {today.isoformat()}"
    if not mine:
        gone = " (a leaver: absent from the export)" if person is not None else ""
        return f"{employee_id}: no row in {where}{gone}"
    before = {employee_id: person} if person is not None else {}
    part = render_part(mine, config, before, today, serial)
    offboard(part, before, config.policy, today)
    rows = [normalize_row(raw, source, serial_dates=serial) for raw in mine]
    name = next((_row_name(r) for r in rows if _row_name(r)), "")
    lines = [f"{employee_id}: {name} in {where}: {verdict(employee_id, part, person)}"]
    for raw, row in zip(mine, rows, strict=True):
        lines += _row_lines(raw, row, config, today)
    return "\n".join(lines)


def verdict(employee_id: str, part: Part, person: Person | None) -> str:
    """What render made of the rows of ``employee_id`` (``part`` holds only theirs)."""
    acc = part.acc
    kinds = {i.kind for i in acc.issues if i.employee_id == employee_id}
    starts = [d for e, d in acc.prehires if e == employee_id]
    rendered = part.people.get(employee_id)
    for kind, said in (
        ("rejected", "rejected, not rendered"),
        ("quarantined", "quarantined, kept exactly as they were"),
    ):
        if kind in kinds:
            why = [
                f"line {i.line}: {i.reason}"
                for i in acc.issues
                if i.kind == kind and i.employee_id == employee_id
            ]
            return f"{said}\n  why: " + "\n  why: ".join(why)
    scoped = next((s for s in acc.scoped if s.employee_id == employee_id), None)
    if employee_id in part.leavers:
        ended = acc.ended_on.get(employee_id)
        left = f"contract ended on {ended.isoformat()}" if ended else "left the HR export"
        if scoped is not None:
            left = f"out of scope: skip rule {scoped.rule}"
        return f"a leaver: suspended today ({left})"
    if scoped is not None:
        kept = " (still suspended, in the grace period)" if rendered is not None else ""
        return f"out of scope: skip rule {scoped.rule}, not rendered{kept}"
    if starts and (rendered is None or rendered.status == "suspended"):
        return f"a pre-hire: starts {min(starts).isoformat()}, rendered from that day"
    if employee_id in acc.ended:
        return "not rendered: their contract ended before their first render"
    if employee_id in part.dropped:
        return "dropped: the grace period is over"
    if rendered is None:
        return "not rendered"
    if employee_id in part.hires:
        return f"a hire: rendered, invited by {rendered.invite_channel}"
    if employee_id in part.reactivated:
        return "reactivated: back in the export"
    if rendered.status == "suspended":
        return "suspended (in the grace period)"
    active = "rendered: active"
    if employee_id in part.updated:
        active += ", changed since the desired state"
    for merge in acc.merges:
        if merge.employee_id == employee_id:
            active += f" ({len(merge.lines)} contracts merged, primary line {merge.primary_line})"
    return active


def _row_lines(raw: RawRow, row: Row, config: Config, today: date) -> list[str]:
    state = classify(row, today)
    said = _STATES[state]
    if state == "future" and row.start_date is not None:
        said += f" (starts {row.start_date.isoformat()})"
    if state == "ended" and row.end_date is not None:
        said += f" (ended {row.end_date.isoformat()})"
    lines = [f"  line {raw.line}: {said}"]
    lines += [f"    error: {e}" for e in row.errors]
    lines += [f"    warning: {w}" for w in row.warnings]
    skip = skipping_rule(row.fields, config)
    if skip is not None:
        lines.append(f"    skip rule {skip.name} ({_where(skip.line)}) fires: out of scope")
        return lines
    if state not in ("active", "error"):
        return lines
    trace: list[Step] = []
    mapped = apply_rules(row.fields, config, trace=trace)
    lines.append("    rules, in order:")
    for step in trace:
        head = f"      - {step.rule.name} ({_where(step.rule.line)}): "
        if step.fired:
            lines.append(head + "fired" + (": " + "; ".join(step.did) if step.did else ""))
        elif step.rule.when is not None:
            lines.append(head + f"no match: {condition_text(step.rule.when, row.fields)}")
    if mapped.business_unit is None and not config.policy.allow_without_business_unit:
        lines.append("    error: no business unit: no rule sets one")
    return lines


def condition_text(cond: Condition, fields: Mapping[str, str]) -> str:
    """``business_unit_code equals 'DC01', is 'S001'``: a rule's condition and the row's value."""
    if cond.op in ("all", "any"):
        joined = f" {'and' if cond.op == 'all' else 'or'} "
        return "(" + joined.join(condition_text(c, fields) for c in cond.children) + ")"
    if cond.op == "not":
        return f"not {condition_text(cond.children[0], fields)}"
    value = fields.get(cond.field or "")
    has = f"is {value!r}" if value is not None else "is empty"
    if cond.op in ("present", "missing"):
        return f"{cond.field} {cond.op}, {has}"
    wanted = cond.pattern.pattern if cond.op == "regex" and cond.pattern else cond.value
    op = {"regex": "matches", "in": "in"}.get(cond.op, cond.op)
    return f"{cond.field} {op} {wanted!r}, {has}"


def _where(line: int | None) -> str:
    return f"rules.yaml:{line}" if line else "rules.yaml"


def _row_name(row: Row) -> str:
    return " ".join(
        row.fields[k] for k in ("given_name", "infix", "family_name") if k in row.fields
    )


# -- the last report ----------------------------------------------------------------------------


def explain_from_report(employee_id: str, report_dir: Path) -> str:
    """What the sync report in ``report_dir`` (its report.json) says about ``employee_id``."""
    path = report_dir / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no report.json here (render --report DIR writes it)", file=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the sync report: {err}", file=path) from None
    name = (data.get("names") or {}).get(employee_id, "")
    head = f"{employee_id}{': ' + name if name else ''} in the sync report of {data.get('today')}"
    said: list[str] = []
    for key, what in (
        ("hires", "a hire"),
        ("reactivated", "reactivated"),
        ("updated", "updated"),
        ("leavers", "a leaver, suspended that day"),
        ("dropped", "dropped after the grace period"),
        ("protected_kept", "protected, kept although absent"),
        ("held", "held: absent from a broken export"),
        ("ended", "not rendered: their contract ended before their first render"),
    ):
        if employee_id in (data.get(key) or ()):
            said.append(what)
    for entry in data.get("prehires") or ():
        if entry.get("employee_id") == employee_id:
            said.append(f"a pre-hire starting {entry.get('start_date')}")
    for issue in data.get("issues") or ():
        if issue.get("employee_id") == employee_id:
            said.append(f"{issue.get('kind')} (line {issue.get('line')}): {issue.get('reason')}")
    if not said:
        said.append("not mentioned (rendered without remark, or not in that export)")
    return "\n".join([head, *(f"  - {s}" for s in said)])
