"""The values that travel between stages: desired state, live state, actions and plans.

All of them are frozen dataclasses: a stage receives values and returns values, and only the
edges (files, git, HTTP) do I/O. Keys and ids are plain strings.

Identity:
- a *person* is identified by ``employee_id`` (the HR id, Speakap's XID);
- an *org unit* is identified by its ``key`` (stable, chosen in org-units.yaml);
- a *live user* or *live group* is identified by the server's ``id``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any, Literal, get_args

OrgKind = Literal["business_unit", "department", "local_department", "group"]
ORG_KINDS: tuple[OrgKind, ...] = get_args(OrgKind)
GroupVisibility = Literal["public", "restricted", "private", "secret"]
InviteChannel = Literal["email", "sms", "printable"]
INVITE_CHANNELS: tuple[InviteChannel, ...] = get_args(InviteChannel)
PersonStatus = Literal["active", "suspended"]
OffboardingMode = Literal["delete", "anonymize"]

# The person fields that are copied to the Speakap profile, in their canonical order.
PROFILE_FIELDS: tuple[str, ...] = (
    "given_name",
    "infix",
    "family_name",
    "email",
    "phone",
    "job_title",
    "language",
)


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """A business unit, department, local department or group, declared in org-units.yaml."""

    key: str
    kind: OrgKind
    name: str
    parent: str | None = None
    visibility: GroupVisibility | None = None  # groups only


@dataclass(frozen=True, slots=True)
class Person:
    """One employee as the desired state wants them in Speakap.

    ``memberships`` is the complete, sorted set of org-unit keys the sync manages for this
    person: primary business unit, department, local department, groups and the units of extra
    contracts. ``rules`` names the mapping rules that fired, in order (for ``explain``).
    ``out_of_scope`` names the ``skip`` rule that took a suspended person out of scope (their
    HR rows are there, the sync no longer covers them); None for everyone else.
    """

    employee_id: str
    given_name: str
    family_name: str
    infix: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    language: str | None = None
    business_unit: str | None = None
    department: str | None = None
    memberships: tuple[str, ...] = ()
    invite_channel: InviteChannel = "email"
    status: PersonStatus = "active"
    suspended_on: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    rules: tuple[str, ...] = ()
    # With ``contacts_in_git: false`` the state holds keyed commitments (``hmac:<hex>``, see
    # desired/contacts.py) instead of ``email`` and ``phone``; plan resolves them to values.
    email_ref: str | None = None
    phone_ref: str | None = None
    out_of_scope: str | None = None

    def profile(self) -> dict[str, str | None]:
        """The attributes that the reconciler compares with the live user."""
        return {name: getattr(self, name) for name in PROFILE_FIELDS}

    @property
    def display_name(self) -> str:
        """``Jan van der Berg``: given name, infix and family name, the empty parts left out."""
        return " ".join(part for part in (self.given_name, self.infix, self.family_name) if part)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Mass-change guards, like octoDNS's: percentages apply once ``min_managed`` is reached."""

    max_offboard_percent: float = 10.0
    max_update_percent: float = 30.0
    min_managed: int = 10


NotifyEvent = Literal["blocked", "failed", "stale", "succeeded"]


@dataclass(frozen=True, slots=True)
class Notifications:
    """Where and when to send a short message (policy.yaml ``notifications``). The webhook URL
    is a secret: only the name of the environment variable holding it is configured."""

    webhook_env: str = "SPEAKAP_NOTIFY_WEBHOOK"
    format: Literal["slack", "teams"] = "slack"
    on: tuple[NotifyEvent, ...] = ("blocked", "failed", "stale")


@dataclass(frozen=True, slots=True)
class Policy:
    """The network policy (policy.yaml)."""

    grace_days: int = 30
    offboarding: OffboardingMode = "delete"
    invite_channels: tuple[InviteChannel, ...] = ("email", "sms", "printable")
    protected: tuple[str, ...] = ()  # employee ids, logins or emails never suspended or deleted
    thresholds: Thresholds = field(default_factory=Thresholds)
    duplicates: Literal["latest_start", "earliest_start", "first_row", "last_row"] = "latest_start"
    create_org_units: bool = True
    allow_without_business_unit: bool = False
    # A managed account deleted by hand in Speakap that the server cannot recover is created
    # anew (a new invite goes out); false: left deleted, and the plan says so.
    recreate_deleted: bool = True
    # age or SSH public keys the printable invite sheets are encrypted to (none: kept local)
    invite_recipients: tuple[str, ...] = ()
    notifications: Notifications | None = None  # None: no messages are sent
    # False: users/ holds keyed commitments of emails and phones, the values live outside git.
    contacts_in_git: bool = True

    def protects(self, *handles: str | None) -> bool:
        """Whether ``protected`` names any of an account's handles: its employee id, login or
        email. Both sides are compared stripped and case-insensitively; empty handles and empty
        entries name nobody. Render (a person) and plan (a person and a live user) both ask
        here, so a protected person is kept by the one and never offboarded by the other."""
        names = {_handle(p) for p in self.protected} - {""}
        return any(_handle(h) in names for h in handles if h)


def _handle(value: str) -> str:
    return value.strip().lower()


def mask_email(value: str) -> str:
    """``j***@example.com``: the first letter and the domain, never the whole address. Every
    output that shows an email to someone who may not see it (plans, reports) masks it so."""
    local, _, domain = value.partition("@")
    if not local or not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    """``+31*******78``: the first three and last two characters, when more stays hidden."""
    if len(value) <= 5:
        return "***"
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Everything plan needs from desired-state/: org units, people and the network policy."""

    org_units: tuple[OrgUnit, ...]
    people: tuple[Person, ...]
    policy: Policy = field(default_factory=Policy)

    def people_by_id(self) -> dict[str, Person]:
        return {p.employee_id: p for p in self.people}

    def org_units_by_key(self) -> dict[str, OrgUnit]:
        return {u.key: u for u in self.org_units}


@dataclass(frozen=True, slots=True)
class LiveUser:
    """A user as the Speakap API returns it, in canonical form (names, E.164 phone, lower email)."""

    id: str
    employee_id: str | None
    user_name: str | None = None
    given_name: str | None = None
    infix: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    language: str | None = None
    active: bool = True
    managed: bool = False  # carries the sync's marker (created or adopted by speakap-sync)
    etag: str | None = None
    # Stripped of names and contacts by an apply whose deletion then failed (the backend's
    # mapping knows how such an account looks): the planner only finishes deleting it.
    anonymized: bool = False

    def profile(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


@dataclass(frozen=True, slots=True)
class LiveGroup:
    """An org unit as it exists in Speakap. ``key`` is the group's externalId (None if unset)."""

    id: str
    key: str | None
    name: str
    kind: OrgKind | None = None
    parent_key: str | None = None
    members: frozenset[str] = frozenset()  # live user ids
    etag: str | None = None
    visibility: GroupVisibility | None = None  # from the group extension (None: not set)


@dataclass(frozen=True, slots=True)
class DeletedUser:
    """A user deleted in Speakap and still recoverable (inside the network's grace period), as
    a server that keeps such users reports it. ``groups``: the live group ids it goes back to
    when recovered."""

    user: LiveUser
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The live network at one moment. ``deleted``: the recoverable deleted users, where the
    server keeps them (empty otherwise). ``known_fingerprint``: its fingerprint, when whoever
    built it computed that already from the same values (a forked fetch does, on its core)."""

    users: tuple[LiveUser, ...]
    groups: tuple[LiveGroup, ...]
    deleted: tuple[DeletedUser, ...] = ()
    known_fingerprint: str | None = field(default=None, compare=False, repr=False)

    def fingerprint(self) -> str:
        """A stable hash of the snapshot's content (order-independent), recorded in plans
        (:func:`fingerprint_rows` of its values)."""
        if self.known_fingerprint is not None:
            return self.known_fingerprint
        return fingerprint_rows(
            map(live_user_row, self.users),
            map(live_group_row, self.groups),
            ((live_user_row(d.user), d.groups) for d in self.deleted),
        )


def fingerprint_rows(
    users: Iterable[tuple[Any, ...]],
    groups: Iterable[tuple[Any, ...]],
    deleted: Iterable[tuple[tuple[Any, ...], frozenset[str]]],
) -> str:
    """The fingerprint of a live snapshot given as rows: each user's and group's values in
    ``LiveUser``'s and ``LiveGroup``'s field order, each deleted user's with its group ids.

    Each user and group is hashed as the ``repr`` of its values in that order, ETags left
    out (unambiguous for text, None and booleans), which costs a fraction of a JSON encoding.
    """
    digest = hashlib.sha256(b"live-snapshot v2\n")
    user_values = itemgetter(*_USER_KEPT)
    ordered = sorted(users, key=itemgetter(0))
    digest.update(
        "\n".join(map(repr, map(user_values, ordered))).encode("utf-8", "backslashreplace")
    )
    group_values = itemgetter(*_GROUP_KEPT)
    for group in sorted(groups, key=itemgetter(0)):
        row = repr((*group_values(group), sorted(group[_GROUP_MEMBERS])))
        digest.update(b"\n" + row.encode("utf-8", "backslashreplace"))
    for user, group_ids in sorted(deleted, key=lambda d: d[0][0]):
        row = repr((*user_values(user), sorted(group_ids)))
        digest.update(b"\ndeleted " + row.encode("utf-8", "backslashreplace"))
    return "sha256:" + digest.hexdigest()


# a live user's or group's values as a tuple in field order (what a forked fetch sends back)
live_user_row = attrgetter(*(f.name for f in fields(LiveUser)))
live_group_row = attrgetter(*(f.name for f in fields(LiveGroup)))
_USER_KEPT = tuple(i for i, f in enumerate(fields(LiveUser)) if f.name != "etag")
_GROUP_KEPT = tuple(i for i, f in enumerate(fields(LiveGroup)) if f.name not in ("etag", "members"))
_GROUP_MEMBERS = next(i for i, f in enumerate(fields(LiveGroup)) if f.name == "members")


ActionKind = Literal[
    "create_org_unit",
    "update_org_unit",
    "create_user",
    "adopt_user",
    "recover_user",
    "update_user",
    "add_membership",
    "remove_membership",
    "suspend_user",
    "reactivate_user",
    "delete_user",
    "anonymize_user",
]
ACTION_KINDS: tuple[ActionKind, ...] = get_args(ActionKind)
# The kinds that take an account away (the offboard guard counts them; protection stops them).
OFFBOARD_KINDS: tuple[ActionKind, ...] = ("suspend_user", "delete_user", "anonymize_user")
# Why an action exists: ``hr`` the HR export changed; ``rules`` the mapping rules or org units
# changed; ``policy`` the network policy decided (grace period over); ``drift`` Speakap was
# changed by hand (a membership removed, a field edited, an account suspended or deleted);
# ``scope`` a ``skip`` rule took the person out of the sync's scope (offboarded like a leaver).
ActionCause = Literal["hr", "rules", "policy", "drift", "scope"]
ACTION_CAUSES: tuple[ActionCause, ...] = get_args(ActionCause)


@dataclass(frozen=True, slots=True)
class Action:
    """One change to the live network.

    ``id`` is stable across plan runs for the same intent (``kind:employee_id[:org_key]``,
    ``create_org_unit:key`` or ``update_org_unit:key``), so apply can compare a recomputed
    plan with the reviewed one.
    ``cause`` says why the action exists (see ``ActionCause``); ``reason`` says it in words.
    ``before``/``after`` hold only the fields that change (full profile on create).
    ``user_id``/``group_id`` are the live ids when known at plan time (None for objects that
    apply creates first).
    """

    id: str
    kind: ActionKind
    employee_id: str | None = None
    org_unit: str | None = None
    user_id: str | None = None
    group_id: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str = ""
    cause: ActionCause = "hr"

    def result(
        self,
        ok: bool,
        detail: str = "",
        *,
        created_id: str | None = None,
        invite_code: str | None = None,
        login: str | None = None,
    ) -> ActionResult:
        """This action's outcome, carrying its kind and employee id."""
        return ActionResult(
            self.id,
            ok,
            detail,
            created_id=created_id,
            invite_code=invite_code,
            kind=self.kind,
            employee_id=self.employee_id,
            login=login,
        )


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What happened to one action during apply (made by ``Action.result``).

    ``kind`` and ``employee_id`` are the action's, so nobody reads them back out of the id;
    ``login`` is the login a ``create_user`` made the account with (None for other kinds).
    """

    action_id: str
    ok: bool
    detail: str = ""
    created_id: str | None = None  # the live id of a created user or group
    # The one-time code the server issued for a printable invite: for the sheets only, never
    # journaled, logged or printed (hence out of the repr).
    invite_code: str | None = field(default=None, repr=False)
    kind: ActionKind = field(kw_only=True)
    employee_id: str | None = field(default=None, kw_only=True)
    login: str | None = field(default=None, kw_only=True)


# Progress of long work, as a use case reports it: (task, done, total or None while unknown);
# ``done == total`` ends the task. Called from any thread; the CLI draws it.
Progress = Callable[[str, int, int | None], None]
