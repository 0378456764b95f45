"""What the human views say about a plan: one describe-and-mask path for plan.md and the terminal.

Here is decided, once: which values are masked (emails and phones, unless the reader may see
them), how a value, a field change and an action read, which reviewer category an action is in
(joining, adopted, moving, leaving, updated), how actions group per business unit, and the
names shown beside employee ids. A view only says how text is set (``Markup``: backticks and
bold in Markdown, plain in the terminal) and lays the pieces out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import OFFBOARD_KINDS, Action, Person
from reconciler.reconcile.plan import Plan

NO_UNIT = "(no business unit)"
NOTHING = "∅"  # an unset value
NO_CHANGES = "No changes. Live Speakap matches the desired state."
PII_FIELDS = frozenset({"email", "phone"})
ORG_UNIT_KINDS = frozenset({"create_org_unit", "update_org_unit"})

VERB = {
    "create_org_unit": "create",
    "create_user": "join",
    "adopt_user": "adopt",
    "update_user": "update",
    "reactivate_user": "reactivate",
    "suspend_user": "suspend",
    "delete_user": "delete",
    "anonymize_user": "anonymize",
}
_ORG_FIELD_VERB = {"name": "rename", "parent": "parent", "visibility": "visibility"}

# The reviewer's categories, in the order they are shown; a person may be in several.
JOINING, ADOPTED, MOVING, LEAVING, UPDATED = "joining", "adopted", "moving", "leaving", "updated"
CATEGORIES = (JOINING, ADOPTED, MOVING, LEAVING, UPDATED)
CATEGORY_OF = {
    "create_user": JOINING,
    "reactivate_user": JOINING,
    "adopt_user": ADOPTED,
    "add_membership": MOVING,
    "remove_membership": MOVING,
    **dict.fromkeys(OFFBOARD_KINDS, LEAVING),
    "update_user": UPDATED,
}
_NAME_FIELDS = ("given_name", "infix", "family_name")


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the reader of a view sees: emails and phones in full only with ``show_pii``
    (``--show-pii``, local use), and ``names`` (see ``names_of``) beside employee ids."""

    show_pii: bool = False
    names: Mapping[str, str] = field(default_factory=dict)


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Markup:
    """How a view sets the pieces: a shown value, an action's verb, free text (a reason)."""

    value: Callable[[str], str] = _same
    verb: Callable[[str], str] = _same
    text: Callable[[str], str] = _same


PLAIN = Markup()


# -- masking ------------------------------------------------------------------------------------


def mask_email(value: str) -> str:
    """``j***@example.com``: the first letter and the domain, never the whole address."""
    local, _, domain = value.partition("@")
    if not local or not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    """``+31*******78``: the first three and last two characters, when more stays hidden."""
    if len(value) <= 5:
        return "***"
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def show_value(name: str, value: Any, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """Field ``name``'s ``value`` as a view shows it: ∅ when unset, masked when it is PII."""
    if value is None:
        return NOTHING
    text = str(value)
    if not options.show_pii and isinstance(value, str) and name in PII_FIELDS:
        text = mask_email(value) if name == "email" else mask_phone(value)
    return markup.value(text)


# -- actions ------------------------------------------------------------------------------------


def field_changes(action: Action, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """``job_title Clerk → Manager, phone ∅ → +31*******78`` for an ``update_user``."""
    before = dict(action.before or {})
    return ", ".join(
        f"{k} {show_value(k, before.get(k), options, markup)} → {show_value(k, v, options, markup)}"
        for k, v in (action.after or {}).items()
    )


def org_unit_changes(action: Action, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """``rename A → B, parent X → Y`` for an ``update_org_unit`` action."""
    before = dict(action.before or {})
    return ", ".join(
        f"{markup.verb(_ORG_FIELD_VERB.get(k, k))} {show_value(k, before.get(k), options, markup)}"
        f" → {show_value(k, v, options, markup)}"
        for k, v in (action.after or {}).items()
    )


def describe(action: Action, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """One action, said in full: ``join given_name Jan, …``, ``update phone ∅ → …``,
    ``delete (left the HR export, grace period over)``. Memberships are said per person
    (see ``membership_changes``)."""
    if action.kind == "update_org_unit":
        return org_unit_changes(action, options, markup)
    verb = markup.verb(VERB[action.kind])
    if action.kind in ("create_user", "create_org_unit"):
        fields = ", ".join(
            f"{k} {show_value(k, v, options, markup)}"
            for k, v in (action.after or {}).items()
            if v is not None
        )
        return f"{verb} {fields}"
    if action.kind == "update_user":
        return f"{verb} {field_changes(action, options, markup)}"
    return f"{verb} ({markup.text(action.reason)})" if action.reason else verb


def membership_changes(actions: Iterable[Action]) -> str:
    """``+store-02 −store-01``: a person's membership actions, additions first."""
    adds = [f"+{a.org_unit}" for a in actions if a.kind == "add_membership"]
    removes = [f"−{a.org_unit}" for a in actions if a.kind == "remove_membership"]
    return " ".join(adds + removes)


# -- grouping -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts at the top of every view."""

    joins: int
    moves: int
    leaves: int
    updates: int


def summarize(plan: Plan) -> Summary:
    """Joins, leaves and updates count actions; moves count people whose memberships change
    (a joiner's memberships are part of joining)."""
    per_category = dict.fromkeys(CATEGORIES, 0)
    for kind, n in plan.counts().items():
        if kind in CATEGORY_OF:
            per_category[CATEGORY_OF[kind]] += n
    created = _created(plan.actions)
    movers = {
        a.employee_id
        for a in plan.actions
        if CATEGORY_OF.get(a.kind) == MOVING and a.employee_id not in created
    }
    return Summary(
        joins=per_category[JOINING],
        moves=len(movers),
        leaves=per_category[LEAVING],
        updates=per_category[UPDATED],
    )


@dataclass(frozen=True, slots=True)
class Grouped:
    """A plan's actions as a reviewer reads them, each list in apply order."""

    org_units: Mapping[str, list[Action]]  # org unit key -> its create or update
    people: Mapping[str, Mapping[str, list[Action]]]  # business unit -> employee id -> actions
    joiners: frozenset[str]  # employee ids with a create_user


def group(plan: Plan) -> Grouped:
    """Org-unit actions per key; the people's actions per business unit, then per person."""
    org_units: dict[str, list[Action]] = {}
    people: dict[str, dict[str, list[Action]]] = {}
    for action in plan.actions:
        if action.kind in ORG_UNIT_KINDS:
            org_units.setdefault(str(action.org_unit), []).append(action)
            continue
        eid = str(action.employee_id)
        unit = plan.business_units.get(eid, NO_UNIT)
        people.setdefault(unit, {}).setdefault(eid, []).append(action)
    return Grouped(org_units, people, _created(plan.actions))


def by_category(
    people: Mapping[str, list[Action]], joiners: frozenset[str]
) -> dict[str, dict[str, list[Action]]]:
    """One business unit's people per category (category -> employee id -> actions), in the
    order of ``CATEGORIES``; a joiner's memberships are part of joining, not moving."""
    found: dict[str, dict[str, list[Action]]] = {}
    for eid, actions in people.items():
        for action in actions:
            category = CATEGORY_OF[action.kind]
            if category == MOVING and eid in joiners:
                continue
            found.setdefault(category, {}).setdefault(eid, []).append(action)
    return {c: found[c] for c in CATEGORIES if c in found}


def _created(actions: Iterable[Action]) -> frozenset[str]:
    return frozenset(str(a.employee_id) for a in actions if a.kind == "create_user")


# -- names and counted words --------------------------------------------------------------------


def display_name(fields: Mapping[str, Any]) -> str:
    """``Jan van der Berg`` from an action's fields (a joiner's ``after``), as
    ``Person.display_name`` says it for a person."""
    return " ".join(str(fields[k]) for k in _NAME_FIELDS if fields.get(k))


def names_of(people: Iterable[Person]) -> Mapping[str, str]:
    """Employee id -> display name, for the views (names are shown, never masked).

    Lazy: a name is only put together when a view shows that person, which in the terminal
    on a plan of 300,000 people is a few dozen.
    """
    return _Names({p.employee_id: p for p in people})


class _Names(Mapping[str, str]):
    def __init__(self, people: dict[str, Person]) -> None:
        self._people = people

    def __getitem__(self, employee_id: str) -> str:
        return self._people[employee_id].display_name

    def __iter__(self) -> Iterator[str]:
        return iter(self._people)

    def __len__(self) -> int:
        return len(self._people)


def plural(n: int, noun: str) -> str:
    """``1 action``, ``2 actions``, ``3 people``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {'people' if noun == 'person' else noun + 's'}"


def more(n: int) -> str:
    """`` … 8 more`` after a list cut short (nothing when nothing was left out)."""
    return f" … {n} more" if n > 0 else ""


def undeclared_line(keys: tuple[str, ...], markup: Markup = PLAIN) -> str:
    """The note on keyed groups that org-units.yaml no longer declares (the first 10 named)."""
    shown = ", ".join(markup.value(k) for k in keys[:10]) + more(len(keys) - 10)
    verb = "is" if len(keys) == 1 else "are"
    return (
        f"{plural(len(keys), 'org unit')} with a key org-units.yaml no longer declares "
        f"{verb} left in Speakap, not managed (never deleted): {shown}"
    )
