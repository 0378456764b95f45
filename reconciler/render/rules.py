"""Mapping rules: from a person's HR fields to org units, job title and groups.

Rules run in order. Each rule whose ``when`` holds *fires*: its ``set`` overrides what earlier
rules set, its ``add_groups`` accumulate, and ``stop`` ends the evaluation. A ``lookup`` finds
the org unit whose ``hr_codes`` hold the field's value; a code that no unit declares is an
*unmapped code*: the row is in error unless the reference is ``optional``.

A ``skip`` rule that fires before any ``stop`` takes the row out of scope (``skipping_rule``);
render asks that first and maps only the rows in scope. A templated job title is filled in
after the last rule, with the units the rules chose.

``apply_rules(..., trace=[])`` also records each rule's verdict (``Step``): fired or not, and
what each of its lookups found; ``explain`` shows it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from reconciler.desired.config import UNIT_TARGETS, Condition, Config, Rule, UnitRef
from reconciler.desired.template import MAX_OUTPUT, Template
from reconciler.model import OrgKind

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")  # ASCII digits: other digits are text


@dataclass(frozen=True, slots=True)
class Mapped:
    """What the rules made of one HR record."""

    business_unit: str | None
    department: str | None
    local_department: str | None
    job_title: str | None
    language: str | None
    groups: tuple[str, ...]
    fired: tuple[str, ...]
    errors: tuple[str, ...] = ()
    unmapped: tuple[tuple[str, str], ...] = ()  # (field, HR code)

    def units(self) -> list[str]:
        own = [self.business_unit, self.department, self.local_department]
        return [u for u in own if u is not None] + list(self.groups)


@dataclass(frozen=True, slots=True)
class Step:
    """One rule in a trace: whether it fired, and what it did (``department ← department_code
    '100' → dept-sales``, ``unknown department_code '999'…``)."""

    rule: Rule
    fired: bool
    did: tuple[str, ...] = ()


def holds(cond: Condition, fields: Mapping[str, str]) -> bool:
    op = cond.op
    if op == "all":
        return all(holds(c, fields) for c in cond.children)
    if op == "any":
        return any(holds(c, fields) for c in cond.children)
    if op == "not":
        return not holds(cond.children[0], fields)
    value = fields.get(cond.field or "")
    if op == "present":
        return value is not None
    if op == "missing":
        return value is None
    if value is None:
        return False
    if op == "regex":
        return cond.pattern is not None and cond.pattern.search(value) is not None
    if op == "equals" or op == "in":
        # Text equality, except that numbers are equal by value ("110" and "0110").
        if value in cond.texts:
            return True
        return (
            bool(cond.numbers)
            and _NUMBER.match(value) is not None
            and (float(value) in cond.numbers)
        )
    order = _compare(value, cond.value)
    if order is None:
        return False
    return {"gt": order > 0, "gte": order >= 0, "lt": order < 0, "lte": order <= 0}[op]


def _compare(value: str, wanted: object) -> int | None:
    """Numbers compare as numbers, ISO dates as dates, anything else as text."""
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        if not _NUMBER.match(value):
            return None
        number = float(value)
        return (number > wanted) - (number < wanted)
    text = str(wanted)
    if _NUMBER.match(value) and _NUMBER.match(text):
        a, b = float(value), float(text)
        return (a > b) - (a < b)
    left: object = value
    right: object = text
    with contextlib.suppress(ValueError):
        left, right = date.fromisoformat(value), date.fromisoformat(text)
    result: int = (left > right) - (left < right)  # type: ignore[operator]
    return result


def skipping_rule(fields: Mapping[str, str], config: Config) -> Rule | None:
    """The ``skip`` rule that takes a record out of scope, or None when it is in scope."""
    for rule in config.rules:
        if rule.when is not None and not holds(rule.when, fields):
            continue
        if rule.skip:
            return rule
        if rule.stop:
            return None
    return None


def apply_rules(
    fields: Mapping[str, str], config: Config, *, trace: list[Step] | None = None
) -> Mapped:
    """Run every rule on one record's fields (a record in scope: ``skip`` rules are passed);
    ``trace`` receives a ``Step`` per rule evaluated."""
    units: dict[str, str | None] = dict.fromkeys(UNIT_TARGETS)
    title: tuple[Rule, Template] | None = None
    language = fields.get("language")
    groups: list[str] = []
    fired: list[str] = []
    errors: list[str] = []
    unmapped: list[tuple[str, str]] = []
    for rule in config.rules:
        if rule.skip or (rule.when is not None and not holds(rule.when, fields)):
            if trace is not None and not rule.skip:
                trace.append(Step(rule, False))
            continue
        fired.append(rule.name)
        did: list[str] = []
        for target, ref in rule.units.items():
            found = len(errors)
            key = _resolve(ref, UNIT_TARGETS[target], fields, config, units, rule, errors, unmapped)
            if trace is not None:  # said only when asked: render maps 300,000 rows
                kind = UNIT_TARGETS[target]
                did.append(_said(target, kind, ref, key, fields, bool(errors[found:])))
            if key is not None:
                units[target] = key
        if rule.job_title is not None:
            title = (rule, rule.job_title)
        language = rule.language or language
        for ref in rule.add_groups:
            found = len(errors)
            key = _resolve(ref, "group", fields, config, units, rule, errors, unmapped)
            if trace is not None:
                did.append(_said("group", "group", ref, key, fields, bool(errors[found:])))
            if key is not None and key not in groups:
                groups.append(key)
        if trace is not None:
            did += ["job title set"] if rule.job_title is not None else []
            did += [f"language {rule.language}"] if rule.language else []
            did += ["stop: no later rule is evaluated"] if rule.stop else []
            trace.append(Step(rule, True, tuple(did)))
        if rule.stop:
            break
    job_title = fields.get("job_title")
    if title is not None:
        job_title = fill(title[1], fields, units, config)
        if job_title is not None and len(job_title) > MAX_OUTPUT:
            errors.append(
                f"rule {title[0].name}: the job title is {len(job_title):,} characters long, "
                f"more than {MAX_OUTPUT:,}"
            )
    return Mapped(
        business_unit=units["business_unit"],
        department=units["department"],
        local_department=units["local_department"],
        job_title=job_title,
        language=language,
        groups=tuple(groups),
        fired=tuple(fired),
        errors=tuple(errors),
        unmapped=tuple(unmapped),
    )


def _said(
    target: str,
    kind: OrgKind,
    ref: UnitRef,
    key: str | None,
    fields: Mapping[str, str],
    failed: bool,
) -> str:
    """``department ← department_code '100' → dept-sales``: what one reference resolved to."""
    name = target.replace("_", " ")
    if ref.lookup is None:
        return f"{name} {key}"
    code = fields.get(ref.lookup)
    if code is None:
        return f"{name} ← {ref.lookup}: the row has none" + ("" if failed else " (optional)")
    looked = f"{name} ← {ref.lookup} {code!r}"
    if key is not None:
        return f"{looked} → {key}"
    said = kind.replace("_", " ")
    return f"{looked}: no {said} has this HR code" + ("" if failed else " (optional)")


def _resolve(
    ref: UnitRef,
    kind: OrgKind,
    fields: Mapping[str, str],
    config: Config,
    units: Mapping[str, str | None],
    rule: Rule,
    errors: list[str],
    unmapped: list[tuple[str, str]],
) -> str | None:
    if ref.key is not None:
        return ref.key
    assert ref.lookup is not None
    code = fields.get(ref.lookup)
    if code is None:
        if not ref.optional:
            errors.append(f"rule {rule.name}: no {ref.lookup} to look up a {kind}")
        return None
    candidates = config.codes.get((kind, code), ())
    if kind == "local_department":
        candidates = tuple(u for u in candidates if u.parent == units.get("business_unit"))
    if candidates:
        return candidates[0].key
    if not ref.optional:
        errors.append(f"unknown {ref.lookup} {code!r}: no {kind} has this HR code")
        unmapped.append((ref.lookup, code))
    return None


def fill(
    template: Template,
    fields: Mapping[str, str],
    units: Mapping[str, str | None],
    config: Config,
) -> str | None:
    """The template's text for one record: whitespace collapsed, None when empty."""
    text = template.constant
    if text is None:
        values: dict[str, str | None] = {}
        for placeholder in template.placeholders:
            if placeholder.unit is None:
                values[placeholder.name] = fields.get(placeholder.name)
                continue
            target, attribute = placeholder.unit
            key = units.get(target)
            unit = config.units_by_key.get(key) if key is not None else None
            name = unit.name if unit is not None else None
            values[placeholder.name] = key if attribute == "key" else name
        text = template.render(values)
    return " ".join(text.split()) or None
