"""What the human views say about a plan: one describe-and-mask path for every view.

Here is decided, once: which values are masked (emails and phones, unless the reader may see
them), how a field is labelled, how a value, a field change and an action read, which reviewer
category an action is in (joining, adopted, moving, leaving, updated, drift), how actions group
per business unit, and the names shown beside employee ids and org-unit keys. A view only says
how text is set (``Markup``: code spans and bold in Markdown, plain in the terminal and HTML)
and lays the pieces out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import OFFBOARD_KINDS, Action, Person, mask_email, mask_phone
from reconciler.reconcile.guards import GuardResult
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
    "recover_user": "recover",
    "update_user": "update",
    "reactivate_user": "reactivate",
    "suspend_user": "suspend",
    "delete_user": "delete",
    "anonymize_user": "anonymize",
}
_ORG_FIELD_VERB = {"name": "rename", "parent": "parent", "visibility": "visibility"}

# The reviewer's categories, in the order they are shown; a person may be in several. An
# action whose cause is drift (Speakap changed by hand) is drift, whatever its kind.
JOINING, ADOPTED, MOVING, LEAVING, UPDATED = "joining", "adopted", "moving", "leaving", "updated"
DRIFT = "drift"
CATEGORIES = (JOINING, ADOPTED, MOVING, LEAVING, UPDATED, DRIFT)
CATEGORY_OF = {
    "create_user": JOINING,
    "reactivate_user": JOINING,
    "recover_user": JOINING,
    "adopt_user": ADOPTED,
    "add_membership": MOVING,
    "remove_membership": MOVING,
    **dict.fromkeys(OFFBOARD_KINDS, LEAVING),
    "update_user": UPDATED,
}
_NAME_FIELDS = ("given_name", "infix", "family_name")

# How a field reads for a reviewer (a field not named here: its name with spaces).
FIELD_LABELS = {
    "given_name": "given name",
    "family_name": "family name",
    "job_title": "job title",
    "invite_channel": "invite by",
    "employee_id": "employee id",
}
ORG_KIND_LABELS = {
    "business_unit": "business unit",
    "department": "department",
    "local_department": "local department",
    "group": "group",
}


def label(name: str) -> str:
    """``job title`` for ``job_title``: a field as the reviewer reads it."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


CAUSE_LABELS = {
    "hr": "HR export",
    "rules": "mapping rules",
    "policy": "policy",
    "drift": "drift (changed by hand in Speakap)",
    "scope": "out of scope (a skip rule)",
}


def category_of(action: Action, joiner: bool) -> str | None:
    """The reviewer category of one action: drift for a drift-caused one; None for a joiner's
    membership (part of joining) and for org-unit actions."""
    if action.kind in ORG_UNIT_KINDS:
        return None
    if action.cause == DRIFT:
        return DRIFT
    category = CATEGORY_OF[action.kind]
    return None if category == MOVING and joiner else category


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the reader of a view sees: emails and phones in full only with ``show_pii``
    (``--show-pii``, local use), and ``names`` (see ``names_of``) beside employee ids."""

    show_pii: bool = False
    names: Mapping[str, str] = field(default_factory=dict)
    org_names: Mapping[str, str] = field(default_factory=dict)  # org-unit key -> its name
    run_url: str | None = None  # the CI run that made the plan (its artifacts are there)

    def org_name(self, key: str | None) -> str:
        """An org unit's name, its key when the name is unknown."""
        return self.org_names.get(str(key), str(key))


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
    """``job title Clerk → Manager, phone ∅ → +31*******78`` for an ``update_user``."""
    return _changes(action, label, lambda k, v: show_value(k, v, options, markup))


def org_unit_changes(action: Action, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """``rename A → B, parent X → Y`` for an ``update_org_unit`` action (parents by name)."""
    return _changes(
        action,
        lambda k: markup.verb(_ORG_FIELD_VERB.get(k, k)),
        lambda k, v: _org_value(k, v, options, markup),
    )


def _changes(action: Action, said: Callable[[str], str], shown: Callable[[str, Any], str]) -> str:
    """``<field> <before> → <after>`` for each field the action changes, in its order: the
    field as ``said`` says it, both values as ``shown`` shows them."""
    before = dict(action.before or {})
    return ", ".join(
        f"{said(k)} {shown(k, before.get(k))} → {shown(k, v)}"
        for k, v in (action.after or {}).items()
    )


def _org_value(name: str, value: Any, options: ViewOptions, markup: Markup) -> str:
    if name == "parent" and value is not None:
        value = options.org_name(value)
    return show_value(name, value, options, markup)


def _new_org_unit(action: Action, options: ViewOptions, markup: Markup) -> str:
    """``create business unit Versmarkt Utrecht, parent Regio Noord``."""
    after = dict(action.after or {})
    kind = ORG_KIND_LABELS.get(str(after.get("kind")), str(after.get("kind")))
    said = f"{markup.verb(VERB[action.kind])} {markup.text(kind)} "
    said += show_value("name", after.get("name", action.org_unit), options, markup)
    for k in ("parent", "visibility"):
        if after.get(k) is not None:
            said += f", {label(k)} {_org_value(k, after[k], options, markup)}"
    return said


def describe(action: Action, options: ViewOptions, markup: Markup = PLAIN) -> str:
    """One action, said in full: ``join job title Clerk, …, invite by email`` (a joiner's
    name is said beside their id, by every view), ``update phone ∅ → …``, ``delete (left the
    HR export, grace period over)``. Memberships are said per person (see
    ``membership_changes``)."""
    if action.kind == "update_org_unit":
        return org_unit_changes(action, options, markup)
    if action.kind == "create_org_unit":
        return _new_org_unit(action, options, markup)
    verb = markup.verb(VERB[action.kind])
    if action.kind == "create_user":
        fields = ", ".join(
            f"{label(k)} {show_value(k, v, options, markup)}"
            for k, v in (action.after or {}).items()
            if v is not None and k not in _NAME_FIELDS
        )
        return f"{verb} {fields}".rstrip()
    if action.kind == "update_user":
        return f"{verb} {field_changes(action, options, markup)}"
    return f"{verb} ({markup.text(action.reason)})" if action.reason else verb


def membership_changes(
    actions: Iterable[Action], options: ViewOptions | None = None, markup: Markup = PLAIN
) -> str:
    """``+store-02 −store-01``: a person's membership actions, additions first; by org-unit
    name when ``options`` knows the names (``+Store 02 −Store 01``)."""

    def said(action: Action) -> str:
        key = str(action.org_unit)
        return markup.text(options.org_name(key) if options else key)

    actions = list(actions)
    adds = [f"+{said(a)}" for a in actions if a.kind == "add_membership"]
    removes = [f"−{said(a)}" for a in actions if a.kind == "remove_membership"]
    return " ".join(adds + removes)


# -- grouping -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts at the top of every view."""

    joins: int
    moves: int
    leaves: int
    updates: int
    drift: int = 0  # people whose account Speakap changed by hand (put back by the plan)
    adopted: int = 0  # existing accounts the sync takes over


def summarize(plan: Plan) -> Summary:
    """Joins, leaves and updates count actions; moves count people whose memberships change
    (a joiner's memberships are part of joining). Drift (Speakap changed by hand) counts apart,
    in people: a restored membership is no move, a recovered account no join."""
    per_category = dict.fromkeys(CATEGORIES, 0)
    created = _created(plan.actions)
    movers: set[str | None] = set()
    drifted: set[str | None] = set()
    for action in plan.actions:
        category = CATEGORY_OF.get(action.kind)
        if category is None:
            continue
        if action.cause == DRIFT:
            drifted.add(action.employee_id)
        elif category == MOVING:
            if action.employee_id not in created:
                movers.add(action.employee_id)
        else:
            per_category[category] += 1
    return Summary(
        joins=per_category[JOINING],
        moves=len(movers),
        leaves=per_category[LEAVING],
        updates=per_category[UPDATED],
        drift=len(drifted),
        adopted=per_category[ADOPTED],
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
            category = category_of(action, eid in joiners)
            if category is None:
                continue
            found.setdefault(category, {}).setdefault(eid, []).append(action)
    return {c: found[c] for c in CATEGORIES if c in found}


def _created(actions: Iterable[Action]) -> frozenset[str]:
    return frozenset(str(a.employee_id) for a in actions if a.kind == "create_user")


# -- names and counted words --------------------------------------------------------------------


def display_name(fields: Mapping[str, Any]) -> str:
    """``Jan van der Berg`` from an action's fields (a joiner's ``after``), as
    ``Person.display_name`` says it for a person."""
    parts = (fields.get("given_name"), fields.get("infix"), fields.get("family_name"))
    return " ".join([str(part) for part in parts if part])


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
    """``1 action``, ``2 actions``, ``3 people``, ``1,390 actions``."""
    if n == 1:
        return f"1 {noun}"
    many = noun[: -len("person")] + "people" if noun.endswith("person") else noun + "s"
    return f"{n:,} {many}"


def more(n: int) -> str:
    """`` … 8 more`` after a list cut short (nothing when nothing was left out)."""
    return f" … {n:,} more" if n > 0 else ""


def undeclared_line(keys: tuple[str, ...], markup: Markup = PLAIN) -> str:
    """The note on keyed groups that org-units.yaml no longer declares (the first 10 named)."""
    shown = ", ".join(markup.value(k) for k in keys[:10]) + more(len(keys) - 10)
    verb = "is" if len(keys) == 1 else "are"
    return (
        f"{plural(len(keys), 'org unit')} with a key org-units.yaml no longer declares "
        f"{verb} left in Speakap, not managed (never deleted): {shown}"
    )


def shared_logins_line(groups: tuple[tuple[str, ...], ...], markup: Markup = PLAIN) -> str:
    """The note on people this plan creates whose email, the login, someone else has too (the
    first 10 groups named): Speakap refuses the second account."""
    shown = "; ".join(" + ".join(markup.value(e) for e in group) for group in groups[:10])
    people = len({e for group in groups for e in group})
    return (
        f"Shared logins: {plural(people, 'person')} in {plural(len(groups), 'group')} have the "
        f"same email, which is the login: Speakap refuses the second account of each, so give "
        f"each person their own email in the HR system: {shown}{more(len(groups) - 10)}"
    )


# -- safety guards ------------------------------------------------------------------------------

GUARD_LABELS = {
    "offboard": "suspensions and deletions",
    "updates": "profile updates",
    "empty_desired": "empty desired state",
}


def guard_line(guard: GuardResult, *, partial: bool = False) -> str:
    """``suspensions and deletions: 222 = 70.3% of 316 managed users, limit 10% (31): over by
    191``: a guard's numbers, with thousands separators. In a ``partial`` plan the share is
    of the selected people (``of 19 selected managed users``)."""
    what = GUARD_LABELS.get(guard.name, guard.name)
    if guard.name == "empty_desired":
        return (
            f"{what}: the desired state has no people, and the network has "
            f"{guard.managed:,} managed users"
        )
    said = (
        f"{what}: {guard.count:,} = {guard.percent:.1f}% of {guard_base(guard, partial)}, "
        f"limit {guard.threshold_percent:g}% ({guard.limit:,})"
    )
    return f"{said}: over by {guard.count - guard.limit:,}" if guard.tripped else said


def guard_base(guard: GuardResult, partial: bool) -> str:
    """What a guard's share is of: ``317 managed users``, or in a partial plan (where the
    guards count only the selected people) ``19 selected managed users``."""
    selected = "selected " if partial else ""
    return f"{guard.managed:,} {selected}managed user{'' if guard.managed == 1 else 's'}"


def guard_verdict(guard: GuardResult) -> str:
    """``blocked``, ``overridden``, ``ok``, or ``ok (applies from 10 managed users)``."""
    if guard.blocked:
        return "blocked"
    if guard.overridden:
        return "overridden"
    if guard.name != "empty_desired" and guard.managed < guard.min_managed:
        return f"ok (applies from {guard.min_managed:,} managed users)"
    return "ok"


# -- drift: what Speakap lost by hand and the plan puts back ------------------------------------

# action kind -> (what, how it was changed by hand, what the plan does), for drift-caused ones
_DRIFT_SAID = {
    "add_membership": ("membership", "removed by hand", "restored"),
    "update_user": ("profile", "edited by hand", "put back"),
    "reactivate_user": ("account", "suspended by hand", "reactivated"),
    "suspend_user": ("leaver", "reactivated by hand", "suspended again"),
    "recover_user": ("account", "deleted by hand", "recovered (no new invite)"),
    "create_user": ("account", "deleted by hand", "created anew (a new invite goes out)"),
    "adopt_user": ("account", "unmarked by hand", "adopted again"),
    "create_org_unit": ("org unit", "deleted by hand", "created again"),
    "update_org_unit": ("org unit", "changed by hand", "put back"),
}
CORRECTED = "Corrected in Speakap"


def drift_lines(plan: Plan) -> list[str]:
    """``1 membership removed by hand → restored``, one line per kind of hand edit the plan
    corrects, and the accounts it leaves deleted (``policy.recreate_deleted: false``). The
    memberships of a recovered or re-created account are part of that account's line."""
    renewed = {
        a.employee_id
        for a in plan.actions
        if a.cause == DRIFT and a.kind in ("create_user", "recover_user")
    }
    counted: dict[str, int] = {}
    for action in plan.actions:
        if action.cause != DRIFT or action.kind not in _DRIFT_SAID:
            continue
        if action.kind == "add_membership" and action.employee_id in renewed:
            continue
        counted[action.kind] = counted.get(action.kind, 0) + 1
    lines = []
    for kind, (noun, how, fix) in _DRIFT_SAID.items():
        if counted.get(kind):
            lines.append(f"{plural(counted[kind], noun)} {how} → {fix}")
    if plan.left_deleted:
        n = len(plan.left_deleted)
        lines.append(
            f"{plural(n, 'account')} deleted by hand → left deleted "
            f"(policy.recreate_deleted is false): {', '.join(plan.left_deleted[:10])}{more(n - 10)}"
        )
    return lines


# -- a partial plan (--only) ----------------------------------------------------------------------


def plan_title(plan: Plan, headline: str) -> str:
    """``speakap-sync plan: 3 joining``, marked ``(partial)``, ``(blocked)`` or ``(partial,
    blocked)`` when the plan is so: the first words every view shows."""
    marks = [word for word, on in (("partial", plan.partial), ("blocked", plan.blocked)) if on]
    said = f" ({', '.join(marks)})" if marks else ""
    return f"speakap-sync plan{said}: {headline}"


def partial_line(plan: Plan) -> str | None:
    """``Partial plan (--only 000100, unit:store-s001: 14 people selected): …``; None for a
    whole plan."""
    if not plan.partial:
        return None
    shown = ", ".join(plan.only[:10]) + more(len(plan.only) - 10)
    return (
        f"Partial plan (--only {shown}: {plural(plan.only_people, 'person')} selected): only "
        "their actions and the org units they need; applying it leaves the last-applied tag "
        "where it is, and a later full plan holds the rest."
    )
