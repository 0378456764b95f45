"""Compute a plan: the actions that bring the live network to the desired state.

Pure: desired state, live snapshot and last-applied desired state in, a ``Plan`` value out.

- Live users match desired people by employee id. On a first run (no last-applied state) a
  live user without a known employee id is adopted when exactly one live user matches the
  person's email or login.
- Memberships are a three-way merge (like ``kubectl apply``): add what desired has and live
  lacks; remove only what last-applied had, desired dropped and live still has. A membership
  someone added by hand is never removed; without last-applied nothing is removed.
- Live users that are neither desired, nor in last-applied, nor carry the sync's marker are
  unmanaged: counted, never touched.
- Org units follow org-units.yaml: a missing one is created; a live group whose externalId is a
  declared key gets its name, parent and (when declared) visibility updated. A kind cannot
  change in Speakap, so a declared kind that differs from the live one is a ConfigError. Groups
  without a key are never touched; keyed groups no longer declared are reported, never deleted.
- Every action carries a cause. What desired changed since the last apply is ``hr`` (or
  ``rules`` when the rules or org units changed and the person's own HR fields did not); what
  live lost or changed while desired and last-applied agree is ``drift`` (Speakap changed by
  hand); the suspension of a person a ``skip`` rule took out of scope is ``scope``; deletion
  after the grace period is ``policy``. Without last-applied nothing is drift.
- A partial plan (``PlanOptions.only``, ``--only``) is the whole plan narrowed by
  ``reconcile.select`` to some people and the org units they need; its guards weigh their
  actions against the managed users among them.
- A managed account deleted by hand (in last-applied, gone from live) is drift: recovered when
  the server keeps it recoverable (``LiveSnapshot.deleted``), with the memberships it goes
  back to; else created anew when ``policy.recreate_deleted`` (a new invite goes out), else
  left deleted and named in ``Plan.left_deleted``. One account per employee id, one invite.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from deepdiff import DeepDiff

from reconciler.errors import ConfigError
from reconciler.model import (
    ACTION_CAUSES,
    ACTION_KINDS,
    PROFILE_FIELDS,
    Action,
    ActionCause,
    ActionKind,
    DesiredState,
    LiveGroup,
    LiveSnapshot,
    LiveUser,
    OrgUnit,
    Person,
)
from reconciler.reconcile import guards, select
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.select import Selection

# The order apply runs the phases in; each phase lists the action kinds it carries out.
PHASES: tuple[tuple[str, tuple[ActionKind, ...]], ...] = (
    ("org units", ("create_org_unit", "update_org_unit")),
    ("creates", ("create_user", "adopt_user", "recover_user")),
    ("membership adds", ("add_membership",)),
    ("updates", ("update_user", "reactivate_user")),
    ("membership removals", ("remove_membership",)),
    ("suspensions", ("suspend_user",)),
    ("deletions", ("delete_user", "anonymize_user")),
)
_KIND_RANK = {kind: i for i, (_, kinds) in enumerate(PHASES) for kind in kinds}
# The person fields HR gives directly; the others (job title, units, memberships, channel) may
# come from the rules.
_HR_FIELDS = (
    "given_name",
    "infix",
    "family_name",
    "email",
    "phone",
    "language",
    "status",
    "start_date",
    "end_date",
)


UNMANAGED_ACCOUNT = "unmanaged account"  # in a shared login group: no employee id


@dataclass(frozen=True, slots=True)
class PlanOptions:
    allow_mass_changes: bool = False
    # rules.yaml or org-units.yaml changed since the last apply: a change to a person whose HR
    # fields did not change has the cause ``rules`` rather than ``hr``.
    rules_changed: bool = False
    # employee ids left out of this plan (their contacts could not be resolved): nothing is
    # planned for them, and they are not leavers either.
    withheld: frozenset[str] = frozenset()
    # a partial plan (``--only``): only these people's actions and the org units they need;
    # the guards weigh them against the managed users among them
    only: Selection | None = None
    # the login is the email (the dialect's login_source): two people with one email share a
    # login, which Speakap refuses for the second account (``Plan.shared_logins``)
    login_is_email: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions of one plan run, in apply order, with what the guards said about them."""

    actions: tuple[Action, ...]
    guards: tuple[GuardResult, ...]
    live_fingerprint: str
    managed_users: int
    unmanaged_users: int
    desired_people: int
    first_run: bool
    allow_mass_changes: bool = False
    desired_commit: str | None = None
    # employee id -> business unit key, for grouping the human plan per business unit
    business_units: Mapping[str, str] = field(default_factory=dict)
    protected_skipped: tuple[str, ...] = ()  # offboarding action ids withheld for protection
    # keys of live groups that org-units.yaml no longer declares: left in Speakap, not managed
    undeclared_org_units: tuple[str, ...] = ()
    # employee ids whose managed account was deleted by hand, cannot be recovered, and that
    # policy.recreate_deleted: false leaves deleted
    left_deleted: tuple[str, ...] = ()
    # a partial plan: the ``--only`` selectors as given, and how many people they select
    only: tuple[str, ...] = ()
    only_people: int = 0
    # groups of people (employee ids; "unmanaged account" for one without) whose email, the
    # login, is one another's, where this plan creates at least one of them: Speakap refuses
    # the second account, so the reviewers see it before apply does
    shared_logins: tuple[tuple[str, ...], ...] = ()

    @property
    def partial(self) -> bool:
        """Made with ``--only``: the last-applied tag does not move when it is applied."""
        return bool(self.only)

    @property
    def blocked(self) -> bool:
        return any(g.blocked for g in self.guards)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def counts(self) -> dict[str, int]:
        counted = Counter(a.kind for a in self.actions)
        return {kind: counted.get(kind, 0) for kind in ACTION_KINDS}

    def causes(self) -> dict[str, int]:
        """How many actions each cause accounts for (every cause named, zeros included)."""
        counted = Counter(a.cause for a in self.actions)
        return {cause: counted.get(cause, 0) for cause in ACTION_CAUSES}

    def ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.actions)

    def blocked_message(self) -> str | None:
        return guards.blocked_message(self.guards)


def compute_plan(
    desired: DesiredState,
    live: LiveSnapshot,
    last_applied: DesiredState | None,
    *,
    options: PlanOptions | None = None,
) -> Plan:
    """Compare desired, live and last-applied state and return the plan."""
    options = options or PlanOptions()
    return _Planner(desired, live, last_applied, options).run()


def action_sort_key(action: Action) -> tuple[int, str]:
    return (_KIND_RANK[action.kind], action.id)


class _Planner:
    """The working state of one ``compute_plan`` call (private, short-lived)."""

    def __init__(
        self,
        desired: DesiredState,
        live: LiveSnapshot,
        last_applied: DesiredState | None,
        options: PlanOptions,
    ) -> None:
        self.desired = desired
        self.live = live
        self.last = last_applied
        self.options = options
        self.policy = desired.policy
        self.people = desired.people_by_id()
        self.last_people = last_applied.people_by_id() if last_applied else {}
        self.last_units = last_applied.org_units_by_key() if last_applied else {}
        self.actions: list[Action] = []
        self.protected_skipped: list[str] = []
        self.business_units: dict[str, str] = {}
        self.group_by_key = {g.key: g for g in live.groups if g.key is not None}
        self.keys_of_user = _memberships_by_user(live.groups)
        self.left_deleted: list[str] = []
        self.recovered: set[str] = set()
        # managed users deleted in Speakap and still recoverable, by employee id
        self.deleted = {
            d.user.employee_id: d
            for d in sorted(live.deleted, key=lambda d: d.user.id)
            if d.user.employee_id is not None and d.user.managed
        }

    def run(self) -> Plan:
        self._plan_org_units()
        matched, unmatched = self._match_users()
        withheld = self.options.withheld
        business_units = self.business_units
        keys_of_user = self.keys_of_user
        for person in self.desired.people:
            eid = person.employee_id
            if eid in withheld:
                continue
            user = matched.get(eid)
            if user is not None and _unchanged(person, user, keys_of_user):
                if person.business_unit:  # what _plan_person does for them, and nothing else
                    business_units[eid] = person.business_unit
                continue
            self._plan_person(person, user)
        # a recovered account is managed too: deleted by hand, back with this plan
        managed_ids = {eid for eid, u in matched.items() if u is not None} | self.recovered
        managed = len(managed_ids)
        unmanaged = 0
        for user in unmatched:
            if self._is_managed_leaver(user):
                managed += 1
                managed_ids.add(str(user.employee_id))
                self._plan_leaver(user)
            else:
                unmanaged += 1
        self.actions.sort(key=action_sort_key)
        only = self.options.only
        guarded = managed
        if only is not None:  # the guards weigh the selected people only
            self._narrow(only)
            guarded = len(managed_ids & only.employee_ids)
        counts: Counter[str] = Counter(a.kind for a in self.actions)
        results = guards.evaluate(
            counts,
            managed=guarded,
            desired_people=len(self.desired.people),
            thresholds=self.policy.thresholds,
            allow_mass_changes=self.options.allow_mass_changes,
        )
        return Plan(
            actions=tuple(self.actions),
            guards=results,
            live_fingerprint=self.live.fingerprint(),
            managed_users=managed,
            unmanaged_users=unmanaged,
            desired_people=len(self.desired.people),
            first_run=self.last is None,
            allow_mass_changes=self.options.allow_mass_changes,
            business_units=self.business_units,
            protected_skipped=tuple(sorted(self.protected_skipped)),
            undeclared_org_units=self._undeclared_org_units(),
            left_deleted=tuple(sorted(self.left_deleted)),
            only=only.selectors if only is not None else (),
            only_people=len(only.employee_ids) if only is not None else 0,
            shared_logins=self._shared_logins(),
        )

    def _shared_logins(self) -> tuple[tuple[str, ...], ...]:
        """``Plan.shared_logins``: the people this plan creates whose email is the email of
        another person it creates or the login (userName) of a live account, each group with
        everyone in it."""
        if not self.options.login_is_email:
            return ()
        created = {a.employee_id for a in self.actions if a.kind == "create_user"}
        wanted: dict[str, set[str]] = {}  # a created person's email -> who has it as login
        if created:
            for person in self.desired.people:
                if person.email and person.employee_id in created:
                    wanted.setdefault(person.email.lower(), set()).add(person.employee_id)
        if not wanted:
            return ()
        for user in self.live.users:  # an account's login is its userName, whatever its email
            login = (user.user_name or "").lower()
            if login in wanted:
                wanted[login].add(user.employee_id or UNMANAGED_ACCOUNT)
        return tuple(sorted(tuple(sorted(ids)) for ids in wanted.values() if len(ids) > 1))

    def _narrow(self, only: Selection) -> None:
        """Keep the selected people's actions and the org units they need (``select``)."""
        ids = only.employee_ids
        self.actions = list(select.narrow(self.actions, ids, self.desired.org_units))
        self.protected_skipped = [a for a in self.protected_skipped if a.split(":")[1] in ids]
        self.left_deleted = [e for e in self.left_deleted if e in ids]
        self.business_units = {e: u for e, u in self.business_units.items() if e in ids}

    # -- org units ---------------------------------------------------------------------------

    def _plan_org_units(self) -> None:
        missing = [u for u in self.desired.org_units if u.key not in self.group_by_key]
        if missing and not self.policy.create_org_units:
            keys = ", ".join(u.key for u in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise ConfigError(
                f"org units missing in Speakap and the policy does not allow creating them: "
                f"{keys}{more}",
                field="create_org_units",
            )
        for unit in missing:
            applied = unit.key in self.last_units
            self.actions.append(
                Action(
                    id=f"create_org_unit:{unit.key}",
                    kind="create_org_unit",
                    org_unit=unit.key,
                    after=_org_unit_fields(unit),
                    reason="deleted by hand in Speakap: re-created"
                    if applied
                    else "org unit not in Speakap",
                    cause="drift" if applied else "rules",
                )
            )
        for unit in self.desired.org_units:
            group = self.group_by_key.get(unit.key)
            if group is not None:
                self._plan_org_unit_update(unit, group)

    def _plan_org_unit_update(self, unit: OrgUnit, group: LiveGroup) -> None:
        if group.kind is not None and group.kind != unit.kind:
            raise ConfigError(
                f"org unit {unit.key}: kind {unit.kind} differs from {group.kind} in Speakap, "
                f"which cannot change the kind of an existing group; declare kind {group.kind} "
                f"again, or declare the {unit.kind} under a new key",
                file="org-units.yaml",
                field="kind",
            )
        before, after = _org_unit_changes(unit, group)
        if after:
            drift = self.last_units.get(unit.key) == unit
            self.actions.append(
                Action(
                    id=f"update_org_unit:{unit.key}",
                    kind="update_org_unit",
                    org_unit=unit.key,
                    group_id=group.id,
                    before=before,
                    after=after,
                    reason="changed by hand in Speakap: put back"
                    if drift
                    else "org unit differs from org-units.yaml",
                    cause="drift" if drift else "rules",
                )
            )

    def _undeclared_org_units(self) -> tuple[str, ...]:
        declared = {u.key for u in self.desired.org_units}
        return tuple(sorted(k for k in self.group_by_key if k not in declared))

    # -- matching ----------------------------------------------------------------------------

    def _match_users(self) -> tuple[dict[str, LiveUser | None], list[LiveUser]]:
        """Desired employee id -> live user (None: to create) and the live users left over."""
        by_eid: dict[str, LiveUser] = {}
        rest: list[LiveUser] = []
        for user in sorted(self.live.users, key=lambda u: (not u.managed, u.id)):
            eid = user.employee_id
            if eid is not None and eid in self.people and eid not in by_eid:
                by_eid[eid] = user
            else:
                rest.append(user)
        matched: dict[str, LiveUser | None] = {eid: by_eid.get(eid) for eid in self.people}
        if self.last is None:
            rest = self._adopt(matched, rest)
        return matched, rest

    def _adopt(self, matched: dict[str, LiveUser | None], rest: list[LiveUser]) -> list[LiveUser]:
        """First run: pair unmatched people with live users without an employee id, by email
        or login, when the match is unique both ways."""
        index: dict[str, list[LiveUser]] = defaultdict(list)
        for user in rest:
            if user.managed or user.employee_id is not None:
                continue
            for handle in {_norm(user.email), _norm(user.user_name)} - {None}:
                index[str(handle)].append(user)
        if not index:
            return rest
        proposals: dict[str, LiveUser] = {}
        for eid, found in matched.items():
            if found is not None:
                continue
            handles = {_norm(self.people[eid].email), eid.lower()} - {None}
            hits = {u.id: u for h in handles for u in index.get(str(h), ())}
            if len(hits) == 1:
                proposals[eid] = next(iter(hits.values()))
        claims = Counter(u.id for u in proposals.values())
        taken: set[str] = set()
        for eid, user in proposals.items():
            if claims[user.id] == 1:
                matched[eid] = user
                taken.add(user.id)
        return [u for u in rest if u.id not in taken]

    # -- people ------------------------------------------------------------------------------

    def _plan_person(self, person: Person, user: LiveUser | None) -> None:
        eid = person.employee_id
        if person.business_unit:
            self.business_units[eid] = person.business_unit
        if user is None:
            if person.status == "active":
                self._plan_missing(person)
            return
        last = self.last_people.get(eid)
        if not user.managed or user.employee_id != eid:
            self._add(
                "adopt_user",
                eid,
                user_id=user.id,
                reason=_adopt_reason(user, eid),
                before={"employee_id": user.employee_id, "managed": user.managed},
                after={"employee_id": eid, "managed": True},
                cause="hr" if last is None else "drift",
            )
        self._plan_profile(person, user)
        self._plan_memberships(person, user)
        was_active = last.status == "active" if last is not None else None
        if person.status == "active" and not user.active:
            self._add(
                "reactivate_user",
                eid,
                user_id=user.id,
                reason=_reactivate_reason(last),
                before={"active": False},
                after={"active": True},
                cause="drift" if was_active else "hr",
            )
        elif person.status == "suspended" and user.active:
            drift = was_active is False
            cause: ActionCause = "drift" if drift else "scope" if person.out_of_scope else "hr"
            self._offboard(
                "suspend_user",
                eid,
                user,
                person,
                reason=_suspend_reason(cause, person),
                cause=cause,
            )

    def _plan_missing(self, person: Person) -> None:
        """An active person without a live account: a hire, someone back after the grace
        period, or (applied before, gone from live) an account deleted by hand."""
        eid = person.employee_id
        gone = self.deleted.get(eid)
        channel = person.invite_channel
        if eid not in self.last_people:
            if gone is None:
                self._plan_create(person, f"joins (invite by {channel})", "hr")
            else:  # the sync deleted the old account after the grace period
                reason = f"back after the grace period: a new account (invite by {channel})"
                self._plan_create(person, reason, "hr")
        elif gone is not None:
            self._add(
                "recover_user",
                eid,
                user_id=gone.user.id,
                before={"deleted": True},
                after={"deleted": False},
                reason="deleted by hand in Speakap: recovered, the same account, no new invite",
                cause="drift",
            )
            self.recovered.add(eid)
            keys = {g.key for g in self.live.groups if g.id in gone.groups and g.key}
            self.keys_of_user[gone.user.id] = keys
            self._plan_person(person, gone.user)
        elif self.policy.recreate_deleted:
            reason = f"deleted by hand in Speakap: created anew (a new invite by {channel})"
            self._plan_create(person, reason, "drift")
        else:
            self.left_deleted.append(eid)

    def _plan_create(self, person: Person, reason: str, cause: ActionCause) -> None:
        eid = person.employee_id
        after: dict[str, Any] = {k: v for k, v in _canonical(person.profile()).items()}
        after["invite_channel"] = person.invite_channel
        self._add("create_user", eid, after=after, reason=reason, cause=cause)
        for key in person.memberships:
            group = self.group_by_key.get(key)
            self._add(
                "add_membership",
                eid,
                org_unit=key,
                group_id=group.id if group else None,
                reason="new user",
                cause=cause,
            )

    def _plan_profile(self, person: Person, user: LiveUser) -> None:
        if _raw_profile(person) == _raw_profile(user):
            return  # the common case, without building dicts
        want = _canonical(person.profile())
        have = _canonical(user.profile())
        if want == have:
            return
        before, after = _field_changes(have, want)
        if after:
            last = self.last_people.get(person.employee_id)
            # every changed field is as last applied: live was edited by hand
            drift = last is not None and all(
                getattr(last, name) == getattr(person, name) for name in after
            )
            self._add(
                "update_user",
                person.employee_id,
                user_id=user.id,
                before=before,
                after=after,
                reason="edited by hand in Speakap: put back"
                if drift
                else "profile differs from HR",
                cause="drift" if drift else self._changed_cause(person),
            )

    def _plan_memberships(self, person: Person, user: LiveUser) -> None:
        eid = person.employee_id
        want = set(person.memberships)
        have = self.keys_of_user.get(user.id, set())
        if want == have:
            return  # the common case: nothing to add, and a removal needs a key live has
        last = self.last_people.get(eid)
        applied = set(last.memberships) if last is not None else set()
        for key in sorted(want - have):
            group = self.group_by_key.get(key)
            drift = key in applied  # applied, still desired, gone from live: removed by hand
            self._add(
                "add_membership",
                eid,
                org_unit=key,
                user_id=user.id,
                group_id=group.id if group else None,
                reason="removed by hand in Speakap: restored" if drift else "in desired state",
                cause="drift" if drift else self._changed_cause(person),
            )
        if last is None:
            return  # without last-applied we cannot prove we manage any membership
        for key in sorted((set(last.memberships) - want) & have):
            self._add(
                "remove_membership",
                eid,
                org_unit=key,
                user_id=user.id,
                group_id=self.group_by_key[key].id,
                reason="dropped from desired state",
                cause=self._changed_cause(person),
            )

    def _changed_cause(self, person: Person) -> ActionCause:
        """The cause of a change desired made since the last apply: the HR export's, or the
        rules' when they changed and this person's own HR fields did not."""
        last = self.last_people.get(person.employee_id)
        if last is None or not self.options.rules_changed:
            return "hr"
        same = all(getattr(last, name) == getattr(person, name) for name in _HR_FIELDS)
        return "rules" if same else "hr"

    # -- leavers -----------------------------------------------------------------------------

    def _is_managed_leaver(self, user: LiveUser) -> bool:
        eid = user.employee_id
        if eid is None or eid in self.people:
            return False  # a duplicate of a matched employee id is left alone, never deleted
        return user.managed or eid in self.last_people

    def _plan_leaver(self, user: LiveUser) -> None:
        eid = str(user.employee_id)
        last = self.last_people.get(eid)
        if last is not None and last.business_unit:
            self.business_units[eid] = last.business_unit
        anonymize = self.policy.offboarding == "anonymize"
        if anonymize and user.anonymized:
            # an earlier apply anonymized the account but its deletion failed: finish the job
            self._offboard(
                "delete_user", eid, user, last, reason="anonymized, not yet deleted", cause="policy"
            )
            return
        kind: ActionKind = "anonymize_user" if anonymize else "delete_user"
        left = "out of scope" if last is not None and last.out_of_scope else "left the HR export"
        self._offboard(kind, eid, user, last, reason=f"{left}, grace period over", cause="policy")

    def _offboard(
        self,
        kind: ActionKind,
        eid: str,
        user: LiveUser,
        person: Person | None,
        *,
        reason: str,
        cause: ActionCause,
    ) -> None:
        """Offboard the live user unless protected: the policy may name the account by its
        employee id, its live login or email, or the email HR gives the person."""
        hr_email = person.email if person is not None else None
        if self.policy.protects(eid, user.user_name, user.email, hr_email):
            self.protected_skipped.append(f"{kind}:{eid}")
            return
        before = {"active": user.active}
        after: dict[str, Any] = {"active": False} if kind == "suspend_user" else {"deleted": True}
        self._add(
            kind, eid, user_id=user.id, before=before, after=after, reason=reason, cause=cause
        )

    def _add(
        self,
        kind: ActionKind,
        eid: str,
        *,
        org_unit: str | None = None,
        user_id: str | None = None,
        group_id: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        reason: str = "",
        cause: ActionCause = "hr",
    ) -> None:
        action_id = f"{kind}:{eid}:{org_unit}" if org_unit else f"{kind}:{eid}"
        self.actions.append(
            Action(
                id=action_id,
                kind=kind,
                employee_id=eid,
                org_unit=org_unit,
                user_id=user_id,
                group_id=group_id,
                before=before,
                after=after,
                reason=reason,
                cause=cause,
            )
        )


def _left(person: Person) -> str:
    """Why a person is suspended: their contract ended (on a day before the suspension), or
    they left the export."""
    end, since = person.end_date, person.suspended_on
    if end is not None and since is not None and end < since:
        return f"contract ended on {end.isoformat()}, suspended for the grace period"
    return "left the HR export, suspended for the grace period"


def _unchanged(person: Person, user: LiveUser, keys_of_user: Mapping[str, set[str]]) -> bool:
    """The common case, checked before any diff is built: an active person whose managed,
    active account has the same profile values and memberships (``_plan_person`` plans
    nothing for them)."""
    return (
        user.managed
        and user.active
        and person.status == "active"
        and user.employee_id == person.employee_id
        and _raw_profile(person) == _raw_profile(user)
        and set(person.memberships) == keys_of_user.get(user.id, _NO_KEYS)
    )


_NO_KEYS: frozenset[str] = frozenset()


def _memberships_by_user(groups: Iterable[LiveGroup]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for group in groups:
        key = group.key
        if key is None:
            continue
        for member in group.members:
            found = keys.get(member)
            if found is None:
                keys[member] = {key}
            else:
                found.add(key)
    return keys


def _org_unit_fields(unit: OrgUnit) -> dict[str, Any]:
    return {
        "kind": unit.kind,
        "name": unit.name,
        "parent": unit.parent,
        "visibility": unit.visibility,
    }


def _org_unit_changes(unit: OrgUnit, group: LiveGroup) -> tuple[dict[str, Any], dict[str, Any]]:
    """Field-level before/after of what differs among name, parent and visibility. Visibility
    counts only when org-units.yaml declares one (else the server's default stands)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if unit.name != group.name:
        before["name"], after["name"] = group.name, unit.name
    if unit.parent != group.parent_key:
        before["parent"], after["parent"] = group.parent_key, unit.parent
    if unit.visibility is not None and unit.visibility != group.visibility:
        before["visibility"], after["visibility"] = group.visibility, unit.visibility
    return before, after


def _suspend_reason(cause: ActionCause, person: Person) -> str:
    if cause == "drift":
        return "reactivated by hand in Speakap: suspended again"
    if cause == "scope":
        return f"out of scope (rule {person.out_of_scope}), suspended for the grace period"
    return _left(person)


def _reactivate_reason(last: Person | None) -> str:
    """Why an account suspended in Speakap is made active, in words true whatever put the
    person back in the desired state: a render (HR or scope), a revert or a hand edit."""
    if last is None:
        return "active in the desired state, suspended in Speakap"
    if last.status == "active":
        return "suspended by hand in Speakap: reactivated"
    if last.out_of_scope:
        rule = last.out_of_scope
        return f"back in the desired state, out of scope by rule {rule} when last applied"
    return "back in the desired state, suspended when last applied"


def _adopt_reason(user: LiveUser, eid: str) -> str:
    if user.employee_id == eid:
        return "same employee id, not yet marked as managed"
    return "first run: the only live user with this email or login"


_raw_profile: Callable[[Person | LiveUser], tuple[str | None, ...]] = attrgetter(*PROFILE_FIELDS)


def _norm(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def _canonical(profile: Mapping[str, str | None]) -> dict[str, str | None]:
    """Profile values in the form both sides agree on: trimmed, empty as None, lower email."""
    out: dict[str, str | None] = {}
    for name in PROFILE_FIELDS:
        value = profile.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        if name == "email" and value is not None:
            value = value.lower()
        out[name] = value
    return out


def _field_changes(
    have: dict[str, str | None], want: dict[str, str | None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Field-level before/after of two canonical profiles that differ, in profile field order
    (deepdiff names the fields; it runs only for a profile that changed: an unchanged person
    is recognised before any diff is built)."""
    diff = DeepDiff(have, want)
    changed: set[str] = set()
    for bucket in ("values_changed", "type_changes"):
        for path in diff.get(bucket, {}):
            changed.add(_field_of(str(path)))
    before = {name: have[name] for name in PROFILE_FIELDS if name in changed}
    after = {name: want[name] for name in PROFILE_FIELDS if name in changed}
    return before, after


def _field_of(path: str) -> str:
    # deepdiff paths look like "root['job_title']"
    return path.split("['", 1)[1].split("']", 1)[0]
