"""A plan as reviewers read it: who changes, per business unit, the riskiest first.

One ``Changes`` value feeds plan.md, the job summary and plan.html alike, so they count the same
people the same way:

- a person is counted once per category they are in (``describe.CATEGORIES``): a joiner's
  memberships are part of joining, and an action caused by drift is drift;
- risk orders everything: leaving before drift, updated, moving, adopted and joining; among
  leavers a deletion or anonymization (for good) before a suspension (reversible);
- business units are ordered by their risk (leavers, then drift, then everything else), then by
  name; people in a unit by their riskiest category, then by name;
- org-unit actions are listed apart, each under its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.model import Action
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views.describe import (
    ADOPTED,
    CATEGORIES,
    DRIFT,
    JOINING,
    LEAVING,
    MOVING,
    NO_UNIT,
    ORG_UNIT_KINDS,
    UPDATED,
    ViewOptions,
    category_of,
    display_name,
    plural,
)

# Most costly first: the order of people, of units and of what is shown when room runs out.
RISK = (LEAVING, DRIFT, UPDATED, MOVING, ADOPTED, JOINING)
_RANK = {category: i for i, category in enumerate(RISK)}
FOR_GOOD = frozenset({"delete_user", "anonymize_user"})  # a suspension can be undone


@dataclass(frozen=True, slots=True)
class PersonChanges:
    """One person's actions (in apply order) and the categories they fall in."""

    employee_id: str
    name: str  # display name, "" when unknown
    unit: str  # business-unit key, ``NO_UNIT`` without one
    actions: tuple[Action, ...]
    categories: tuple[str, ...]  # riskiest first

    @property
    def category(self) -> str:
        """The riskiest category: where the person is listed."""
        return self.categories[0] if self.categories else JOINING

    @property
    def for_good(self) -> bool:
        return any(a.kind in FOR_GOOD for a in self.actions)

    def sort_key(self) -> tuple[int, bool, str, str]:
        return (_RANK[self.category], not self.for_good, self.name.casefold(), self.employee_id)


@dataclass(frozen=True, slots=True)
class UnitChanges:
    """One business unit's people with changes, riskiest first, and how many per category."""

    key: str
    name: str
    people: tuple[PersonChanges, ...]
    counts: Mapping[str, int]  # category -> people

    @property
    def size(self) -> int:
        return len(self.people)

    def tally(self) -> str:
        """``3 leaving, 21 joining``: the categories in risk order, empty ones left out."""
        return ", ".join(f"{self.counts[c]:,} {c}" for c in RISK if self.counts.get(c))

    def sort_key(self) -> tuple[int, int, int, str, str]:
        others = sum(self.counts.values()) - self.counts[LEAVING] - self.counts[DRIFT]
        name = self.name.casefold()
        return (-self.counts[LEAVING], -self.counts[DRIFT], -others, name, self.key)


@dataclass(frozen=True, slots=True)
class Changes:
    units: tuple[UnitChanges, ...]  # riskiest first
    org_units: tuple[Action, ...]  # create_org_unit and update_org_unit, in apply order
    totals: Mapping[str, int]  # category -> people, over every unit

    @property
    def people(self) -> int:
        return sum(unit.size for unit in self.units)

    def overlap_note(self) -> str:
        """``a person can count in more than one column (11 people, 12 counts)`` when someone
        is in two categories (moves and is updated): the columns then add up to more than the
        people; nothing when they add up."""
        counted = sum(self.totals.values())
        if counted == self.people:
            return ""
        return (
            f"a person can count in more than one column ({plural(self.people, 'person')}, "
            f"{counted:,} counts)"
        )

    def headline(self) -> str:
        """``5,000 joining · 3 leaving · 2 org units changed``: the people per category (in
        ``CATEGORIES`` order), then the org units; ``no changes`` for an empty plan."""
        said = [f"{self.totals[c]:,} {c}" for c in CATEGORIES if self.totals[c]]
        created = sum(1 for a in self.org_units if a.kind == "create_org_unit")
        changed = len(self.org_units) - created
        if created:
            said.append(plural(created, "new org unit"))
        if changed:
            said.append(f"{plural(changed, 'org unit')} changed")
        return " · ".join(said) or "no changes"

    def leavers(self) -> list[PersonChanges]:
        """Everyone leaving: for good first, then by unit name and name."""
        found = [p for unit in self.units for p in unit.people if LEAVING in p.categories]
        units = {unit.key: unit.name.casefold() for unit in self.units}
        return sorted(found, key=lambda p: (not p.for_good, units[p.unit], *p.sort_key()[2:]))


def changes_of(plan: Plan, options: ViewOptions) -> Changes:
    """The plan per business unit and person (see the module). The views of one plan share
    it: the last one made is kept for the same plan and options (both frozen values)."""
    global _last
    if _last is not None and _last[0] is plan and _last[1] is options:
        return _last[2]
    changes = _changes_of(plan, options)
    _last = (plan, options, changes)
    return changes


_last: tuple[Plan, ViewOptions, Changes] | None = None


def _changes_of(plan: Plan, options: ViewOptions) -> Changes:
    org_units: list[Action] = []
    people: dict[str, list[Action]] = {}
    joiners: set[str] = set()
    for action in plan.actions:
        if action.kind in ORG_UNIT_KINDS:
            org_units.append(action)
            continue
        eid = str(action.employee_id)
        people.setdefault(eid, []).append(action)
        if action.kind == "create_user":
            joiners.add(eid)
    per_unit: dict[str, list[PersonChanges]] = {}
    for eid, actions in people.items():
        person = _person(eid, actions, eid in joiners, plan.business_units.get(eid), options)
        per_unit.setdefault(person.unit, []).append(person)
    units = [_unit(key, found, options) for key, found in per_unit.items()]
    units.sort(key=UnitChanges.sort_key)
    totals = {c: sum(u.counts[c] for u in units) for c in CATEGORIES}
    return Changes(tuple(units), tuple(org_units), totals)


def _person(
    eid: str, actions: list[Action], joiner: bool, unit: str | None, options: ViewOptions
) -> PersonChanges:
    found = {category_of(a, joiner) for a in actions}
    categories = tuple(c for c in RISK if c in found)
    created = next((a.after for a in actions if a.kind == "create_user" and a.after), None)
    name = display_name(created) if created else options.names.get(eid, "")
    return PersonChanges(eid, name, unit or NO_UNIT, tuple(actions), categories)


def _unit(key: str, people: list[PersonChanges], options: ViewOptions) -> UnitChanges:
    counts = dict.fromkeys(CATEGORIES, 0)
    for person in people:
        for category in person.categories:
            counts[category] += 1
    name = key if key == NO_UNIT else options.org_name(key)
    return UnitChanges(key, name, tuple(sorted(people, key=PersonChanges.sort_key)), counts)


def unit_label(unit: UnitChanges) -> str:
    """``Versmarkt Utrecht (store-s004)``, or the key alone when that is all there is."""
    return unit.name if unit.name == unit.key else f"{unit.name} ({unit.key})"
