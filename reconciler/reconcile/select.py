"""Staged rollout: ``--only SELECTOR`` narrows a plan to some people and the org units they need.

A selector is an employee id (``E123``) or ``unit:KEY``: everyone whose business unit is KEY
or lies under it in org-units.yaml (a region selects its stores). A person's business unit is
the desired state's, or the last-applied one's for someone no longer desired (a leaver being
deleted). Pure: the states in, a ``Selection`` or the narrowed actions out.

- ``parse`` reads the selectors as given (``--only`` may repeat).
- ``resolve`` turns them into employee ids; an employee id that none of the desired state, the
  last-applied state and the live network knows, or a unit key org-units.yaml does not
  declare, is an ``InputError`` naming the selector.
- ``narrow`` keeps the actions of the selected people and the ``create_org_unit`` actions of
  the units their memberships need, parents included. A rename or move of an existing unit is
  not needed by anyone: it waits for the full plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import InputError
from reconciler.model import Action, DesiredState, LiveSnapshot, OrgUnit

UNIT_PREFIX = "unit:"


@dataclass(frozen=True, slots=True)
class Selector:
    """One ``--only`` value: an employee id, or the key of a unit (``unit:KEY``)."""

    text: str
    employee_id: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The selectors as given and the employee ids they select."""

    selectors: tuple[str, ...]
    employee_ids: frozenset[str]


def parse(texts: Iterable[str]) -> tuple[Selector, ...]:
    """The selectors, in order, duplicates dropped; an empty one is an ``InputError``."""
    found: dict[str, Selector] = {}
    for raw in texts:
        text = raw.strip()
        if text.startswith(UNIT_PREFIX):
            key = text[len(UNIT_PREFIX) :].strip()
            if not key:
                raise InputError(f"--only {raw!r}: unit: needs a key (unit:KEY)", field="--only")
            found.setdefault(text, Selector(text, unit=key))
        elif text:
            found.setdefault(text, Selector(text, employee_id=text))
        else:
            raise InputError("--only needs an employee id or unit:KEY", field="--only")
    return tuple(found.values())


def resolve(
    selectors: Sequence[Selector],
    desired: DesiredState,
    last_applied: DesiredState | None,
    live: LiveSnapshot,
) -> Selection:
    """The employee ids the selectors name (see the module's rules)."""
    units = desired.org_units_by_key()
    below = _descendants(units.values())
    people = [*(last_applied.people if last_applied else ()), *desired.people]
    business_unit = {p.employee_id: p.business_unit for p in people}  # desired wins
    known = set(business_unit) | {u.employee_id for u in live.users if u.employee_id}
    known |= {d.user.employee_id for d in live.deleted if d.user.employee_id}
    chosen: set[str] = set()
    for selector in selectors:
        if selector.employee_id is not None:
            if selector.employee_id not in known:
                raise InputError(
                    f"--only {selector.text}: no such employee id in the desired state, the "
                    "last-applied state or Speakap",
                    field="--only",
                )
            chosen.add(selector.employee_id)
            continue
        key = str(selector.unit)
        if key not in units:
            raise InputError(
                f"--only {selector.text}: org-units.yaml declares no unit {key!r}", field="--only"
            )
        subtree = below[key]
        if not any(units[k].kind == "business_unit" for k in subtree):
            raise InputError(
                f"--only {selector.text}: {key!r} is a {units[key].kind.replace('_', ' ')} with "
                "no business unit at or under it; a unit selector names a business unit or a "
                "unit above business units",
                field="--only",
            )
        chosen |= {eid for eid, unit in business_unit.items() if unit in subtree}
    return Selection(tuple(s.text for s in selectors), frozenset(chosen))


def _descendants(units: Iterable[OrgUnit]) -> dict[str, frozenset[str]]:
    """Each unit key -> itself and every unit under it (parents never form a cycle: config)."""
    children: dict[str, list[str]] = {}
    keys = []
    for unit in units:
        keys.append(unit.key)
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(unit.key)
    out: dict[str, frozenset[str]] = {}
    for key in keys:
        seen, todo = {key}, [key]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        out[key] = frozenset(seen)
    return out


def narrow(
    actions: Sequence[Action], employee_ids: frozenset[str], org_units: Iterable[OrgUnit]
) -> tuple[Action, ...]:
    """The actions of the selected people, and the creation of every unit they need."""
    kept = [a for a in actions if a.employee_id is not None and a.employee_id in employee_ids]
    needed = _with_parents({a.org_unit for a in kept if a.org_unit}, {u.key: u for u in org_units})
    creates = [a for a in actions if a.kind == "create_org_unit" and a.org_unit in needed]
    chosen = {id(a) for a in (*kept, *creates)}
    return tuple(a for a in actions if id(a) in chosen)  # in the plan's order


def _with_parents(keys: set[str], units: Mapping[str, OrgUnit]) -> set[str]:
    out: set[str] = set()
    for key in keys:
        current: str | None = key
        while current is not None and current not in out:
            out.add(current)
            unit = units.get(current)
            current = unit.parent if unit is not None else None
    return out
