"""Render: HR rows + configuration + previous desired state + today -> new desired state.

The pure core of render: no clock, no file or process I/O, no randomness; the same inputs give
the same ``DesiredState`` and ``Report``. ``render.run`` is the I/O shell around it (reading the
export, serial or parallel, writing state and report); ``render.parallel`` renders parts of an
export in worker processes with ``render_part``, ``tally`` and ``build_report`` from here.

Lifecycle:
- a contract starting after ``today`` is a pre-hire (reported, not rendered); its data errors
  are warnings, never a reason to reject or quarantine;
- a person absent from the export, or whose contracts all ended before ``today``, is a leaver:
  the first render marks them ``suspended`` with ``today`` (and, for an ended contract, its
  ``end_date``, so the plan can say "contract ended on DATE"); ``grace_days`` later they are
  dropped (the reconciler then deletes or anonymizes them); back in the export before that,
  they are active again (the same account); rehired with a future start date, they are a
  pre-hire and stay suspended until that date, even past the grace period;
- several rows with one employee id are merged: the primary contract (``policy.duplicates``)
  gives the profile, the other active contracts add their memberships;
- a row with a data error quarantines a person already in the previous state (kept exactly as
  they were) and rejects a new one. Bad data never offboards anyone. A missing or unusable
  email or phone is no data error: the invite goes by the channel that remains, down to a
  printable sheet; only when the policy allows no channel that reaches them is the row
  rejected, with a reason that says so;
- a record that may hide the rows after it (``RawRow.hides_rows``: a CSV quote never closed)
  holds every leaver: while the export is broken, a person absent from it is kept as they
  were (``held``), neither suspended nor dropped;
- a row a ``skip`` rule fires on is out of scope, whatever its dates or data: never rendered,
  rejected or quarantined. A person all of whose rows are out of scope is listed as such; one
  who was rendered before is offboarded like a leaver (``out_of_scope`` names the rule).

Incremental: ``render_part`` may be told what a cache ``Known`` of previous people: the
fingerprint of the one clean row each was rendered from. The same row on a day inside its
contract renders the same person, so such a person is kept as they were (``Part.unchanged``)
without normalising the row again; the output is the same as without the cache.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from reconciler.desired.config import UNIT_TARGETS, Config
from reconciler.model import DesiredState, InviteChannel, OrgKind, Person, Policy
from reconciler.render.normalize import Row, employee_id_of, normalize_row
from reconciler.render.report import Issue, IssueKind, Merge, Report, Scoped
from reconciler.render.rules import Mapped, apply_rules, skipping_rule
from reconciler.render.sources.base import RawRow


@dataclass(frozen=True, slots=True)
class _Contract:
    """One HR row, normalised, classified (scope, active, future, ended, error) and mapped by
    the rules (active rows only). ``skip``: the rule that took a row out of scope."""

    row: Row
    state: str
    mapped: Mapped | None
    skip: str | None = None


@dataclass(slots=True)
class _Acc:
    """What render learns while it goes (turned into the Report at the end)."""

    issues: list[Issue]
    merges: list[Merge]
    prehires: list[tuple[str, date]]
    ended: list[str]
    fired: set[str]
    unmapped: Counter[tuple[str, str]]
    broken: list[int] = field(default_factory=list)  # lines of records that may hide rows
    names: dict[str, str] = field(default_factory=dict)  # display names of the ids listed
    ended_on: dict[str, date] = field(default_factory=dict)  # known people whose contract ended
    back_after: dict[str, int] = field(default_factory=dict)  # reactivated: days suspended
    scoped: list[Scoped] = field(default_factory=list)

    def merge(self, other: _Acc) -> None:
        self.broken += other.broken
        self.names |= other.names
        self.ended_on |= other.ended_on
        self.back_after |= other.back_after
        self.issues += other.issues
        self.merges += other.merges
        self.prehires += other.prehires
        self.ended += other.ended
        self.fired |= other.fired
        self.unmapped.update(other.unmapped)
        self.scoped += other.scoped


class Known(NamedTuple):
    """A previous person that one clean HR row rendered (no error, warning or unmapped code,
    one contract): that row's fingerprint, the days it is an active contract on (ordinals,
    None: open) and the rules that fired. The same row renders the same person again on
    those days, whatever the previous person was, as nothing in it depends on them."""

    fingerprint: str
    start: int | None
    end: int | None
    rules: tuple[str, ...]

    def covers(self, today: date) -> bool:
        day = today.toordinal()
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def row_fingerprint(raw: RawRow, headers: Sequence[str], serial_dates: bool) -> str:
    """A short stable hash of what normalisation reads from a row: its mapped columns (and
    whether numbers in date columns are Excel dates). "" for a row the reader found broken."""
    if raw.error is not None or raw.hides_rows:
        return ""
    text = repr((serial_dates, *map(raw.values.get, headers)))  # unambiguous: quoted, escaped
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def invite_channel(email: str | None, phone: str | None, policy: Policy) -> InviteChannel | None:
    """Email when there is an address; SMS when there is a phone and SMS is allowed; else
    printable credentials if allowed. None when no allowed channel reaches the person."""
    allowed = policy.invite_channels
    if email and "email" in allowed:
        return "email"
    if phone and "sms" in allowed:
        return "sms"
    if "printable" in allowed:
        return "printable"
    return None


# A person as the state records them (see render_part).
Seal = Callable[[Person], Person]
Tick = Callable[[int, int], None]  # (people rendered, people in all)
TICK = 1000  # people between progress reports


def _no_tick(_done: int, _total: int) -> None:
    pass


def _holds(person: Person, name: str) -> bool:
    """Whether the person has a value for the field, or a commitment of one."""
    return bool(getattr(person, name, None) or getattr(person, f"{name}_ref", None))


def render(
    rows: Iterable[RawRow],
    config: Config,
    previous: DesiredState | None,
    today: date,
    *,
    source_name: str = "",
    serial_dates: bool = False,
    seal: Seal | None = None,
) -> tuple[DesiredState, Report]:
    """The new desired state and the sync report; ``seal`` as in :func:`render_part`."""
    before = previous.people_by_id() if previous is not None else {}
    part = render_part(rows, config, before, today, serial_dates, seal=seal)
    offboard(part, before, config.policy, today, broken=part.acc.broken)
    state = DesiredState(
        org_units=config.org_units,
        people=tuple(part.people[k] for k in sorted(part.people)),
        policy=config.policy,
    )
    return state, build_report([tally(part)], config, today, source_name)


def classify(row: Row, today: date) -> str:
    """A row as render sees it on ``today``: ``future`` (a pre-hire), ``error``, ``ended`` or
    ``active``."""
    # A pre-hire first: a future row is not rendered, so its data errors are only warnings
    # (checked again on the start date) and never reject or quarantine anyone.
    if row.employee_id is not None and row.start_date is not None and row.start_date > today:
        return "future"
    if row.errors:
        return "error"
    if row.end_date is not None and row.end_date < today:
        return "ended"
    return "active"


def _prepare_one(raw: RawRow, config: Config, today: date, serial_dates: bool) -> _Contract:
    row = normalize_row(raw, config.source, serial_dates=serial_dates)
    skip = skipping_rule(row.fields, config)
    if skip is not None:
        return _Contract(row, "scope", None, skip.name)
    state = classify(row, today)
    mapped = apply_rules(row.fields, config) if state == "active" else None
    return _Contract(row, state, mapped)


@dataclass(slots=True)
class Part:
    """What rendering the rows of some employee ids gave: people and their share of the report.

    A part covers whole employee ids: every row of an id, and the id's previous person.
    ``unchanged`` are previous people kept exactly as they were because their one row is the
    one they were rendered from (not in ``people``: the caller has them already); ``known``
    is what a cache may remember of this render's people for the next one.
    """

    people: dict[str, Person]
    acc: _Acc
    count: int  # rows read
    hires: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    leavers: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    before: int = 0  # people in the previous state
    active_before: int = 0
    unchanged: list[str] = field(default_factory=list)
    known: dict[str, Known] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tally:
    """A part without its people: what the report needs (cheap to send between processes)."""

    part: Part
    people: int
    active: int
    suspended: tuple[str, ...]


def tally(part: Part) -> Tally:
    suspended = tuple(sorted(k for k, p in part.people.items() if p.status == "suspended"))
    light = replace(part, people={}, unchanged=[], known={})
    people = len(part.people) + len(part.unchanged)  # the unchanged are active people
    return Tally(light, people, people - len(suspended), suspended)


def render_part(
    rows: Iterable[RawRow],
    config: Config,
    before: Mapping[str, Person],
    today: date,
    serial_dates: bool,
    known: Mapping[str, Known] | None = None,
    *,
    seal: Seal | None = None,
    progress: Tick | None = None,
) -> Part:
    """Render some employee ids: ``rows`` holds all their rows, ``before`` their previous
    people (and no others; it may parse a person only when asked for). ``seal`` gives a
    person as the state will record them (contacts replaced by commitments, when they stay out
    of git): a person is updated when that record differs from the previous one. People absent
    from the rows are left to :func:`offboard`. ``known``: what the cache knows of previous
    people, for the ids whose previous person it is sure of. ``progress`` sees (people done,
    people in all) once the rows are read, every ``TICK`` people and at the end."""
    acc = _Acc([], [], [], [], set(), Counter())
    by_id: dict[str, list[RawRow]] = {}
    employee_id_of_row = employee_id_of(config.source)
    count = 0
    for raw in rows:
        count += 1
        if raw.hides_rows:
            acc.broken.append(raw.line)
        employee_id = employee_id_of_row(raw)
        if employee_id is None:
            contract = _prepare_one(raw, config, today, serial_dates)
            row = contract.row
            if contract.skip is not None:
                acc.fired.add(contract.skip)
                acc.scoped.append(Scoped(None, row.line, contract.skip))
                if _row_name(row):
                    acc.names[f"line {row.line}"] = _row_name(row)
                continue
            acc.issues.append(Issue("rejected", row.line, None, "; ".join(row.errors)))
            if _row_name(row):
                acc.names[f"line {row.line}"] = _row_name(row)
        else:
            by_id.setdefault(employee_id, []).append(raw)
    part = Part({}, acc, count)
    headers = tuple(config.source.field_columns().values())
    known = known or {}
    tick = progress or _no_tick
    tick(0, len(by_id))
    for done, (employee_id, raws) in enumerate(by_id.items()):
        if done % TICK == 0 and done:
            tick(done, len(by_id))
        fingerprint = row_fingerprint(raws[0], headers, serial_dates) if len(raws) == 1 else ""
        cached = known.get(employee_id)
        if cached is not None and fingerprint == cached.fingerprint and cached.covers(today):
            part.unchanged.append(employee_id)
            part.known[employee_id] = cached
            acc.fired.update(cached.rules)
            continue
        contracts = [_prepare_one(raw, config, today, serial_dates) for raw in raws]
        old = before.get(employee_id)
        issues = len(acc.issues)
        person = _person(employee_id, contracts, config, old, acc)
        if person is None:
            continue
        part.people[employee_id] = person
        if fingerprint and len(acc.issues) == issues and _clean(contracts[0], person, old):
            row = contracts[0].row
            start = row.start_date.toordinal() if row.start_date else None
            end = row.end_date.toordinal() if row.end_date else None
            part.known[employee_id] = Known(fingerprint, start, end, person.rules)
        if old is None:
            part.hires.append(employee_id)
            acc.names[employee_id] = person.display_name
        elif old.status == "suspended" and person.status == "active":
            part.reactivated.append(employee_id)
            acc.names[employee_id] = person.display_name
            if old.suspended_on is not None:
                acc.back_after[employee_id] = (today - old.suspended_on).days
        elif old != (person if seal is None else seal(person)):
            part.updated.append(employee_id)
    tick(len(by_id), len(by_id))
    part.before = len(before)
    unchanged = set(part.unchanged)
    part.active_before = sum(
        1 for k in before if k in unchanged or before[k].status == "active"
    )  # the unchanged are active: only the others are parsed
    return part


def _clean(contract: _Contract, person: Person, old: Person | None) -> bool:
    """Whether ``person`` is what this one row renders on any day it is active, whoever the
    previous person was: built from it (not kept as ``old``), with nothing to report."""
    row, mapped = contract.row, contract.mapped
    return (
        person is not old
        and person.status == "active"
        and contract.state == "active"
        and mapped is not None
        and not (row.errors or row.warnings or row.invalid or mapped.errors or mapped.unmapped)
    )


def _person(
    employee_id: str,
    contracts: Sequence[_Contract],
    config: Config,
    old: Person | None,
    acc: _Acc,
) -> Person | None:
    """The person these rows describe; None when not rendered (or left to _offboard)."""
    acc.fired.update(c.skip for c in contracts if c.skip is not None)
    in_scope = [c for c in contracts if c.state != "scope"]
    if not in_scope:
        first = contracts[0]
        acc.scoped.append(Scoped(employee_id, first.row.line, str(first.skip)))
        acc.names[employee_id] = old.display_name if old else _row_name(first.row)
        return None  # offboarded by offboard() when they were rendered before
    contracts = in_scope
    errors: list[tuple[int, str]] = []
    active: list[_Contract] = []
    future: list[Row] = []
    ended: list[date] = []  # the end dates of the contracts that ended
    for contract in contracts:
        row, state, mapped = contract.row, contract.state, contract.mapped
        problems = [(row.line, e) for e in row.errors]
        wiped = [name for name in row.invalid if old is not None and _holds(old, name)]
        if wiped:
            # Bad contact data would wipe an existing account's address: keep the person.
            problems += [
                (row.line, f"{w} (it would wipe the {w.split()[1]} on record)")
                for w in row.warnings
                if w.startswith("unusable ") and w.split()[1] in wiped
            ]
        if mapped is not None:
            acc.fired.update(mapped.fired)
            acc.unmapped.update(mapped.unmapped)
            problems += [(row.line, e) for e in mapped.errors]
            if mapped.business_unit is None and not config.policy.allow_without_business_unit:
                problems.append((row.line, "no business unit: no rule sets one"))
            active.append(contract)
        elif state == "future":
            future.append(row)
            acc.issues += [
                Issue("warning", row.line, employee_id, f"{e} (in a contract not started yet)")
                for e in row.errors
            ]
        elif state == "ended" and row.end_date is not None:
            ended.append(row.end_date)
        if state in ("active", "error"):
            errors += problems

    primary = _primary(active, config.policy) if active and not errors else None
    channel = None
    if primary is not None:
        row = primary.row
        sms_phone = row.fields.get("phone") if row.sms else None
        channel = invite_channel(row.fields.get("email"), sms_phone, config.policy)
        if channel is None:
            errors.append((row.line, _unreachable(row, config.policy)))
    if errors or primary is None or channel is None:  # named in the report
        acc.names[employee_id] = old.display_name if old else _row_name(contracts[0].row)
    if errors:
        kind: IssueKind = "quarantined" if old is not None else "rejected"
        acc.issues += [Issue(kind, line, employee_id, reason) for line, reason in errors]
        return old
    if primary is None or channel is None:
        if future:  # a rehired leaver too: _offboard keeps them suspended until the start
            start = min(r.start_date for r in future if r.start_date is not None)
            acc.prehires.append((employee_id, start))
        elif ended and old is None:
            acc.ended.append(employee_id)
        elif ended and old is not None and not active:  # a leaver: their contract ended
            acc.ended_on[employee_id] = max(ended)
        return None  # a leaver when they were in the previous state
    for contract in active:
        acc.issues += [
            Issue("warning", contract.row.line, employee_id, w) for w in contract.row.warnings
        ]
        if contract.row.warnings:
            acc.names[employee_id] = _row_name(primary.row)
    if old is None and _no_contact(primary.row, config.policy):
        # a hire the policy would rather reach by email or SMS: someone must hand out a sheet
        reason = "no usable email or phone: invited with a printable sheet"
        acc.issues.append(Issue("warning", primary.row.line, employee_id, reason))
        acc.names[employee_id] = _row_name(primary.row)
    if len(active) > 1:
        acc.names[employee_id] = _row_name(primary.row)
        lines = tuple(c.row.line for c in active)
        acc.merges.append(Merge(employee_id, lines, primary.row.line))
    return _build(employee_id, primary, active, channel)


def _row_name(row: Row) -> str:
    """The name an HR row gives (for the report), empty when it gives none."""
    return " ".join(
        row.fields[k] for k in ("given_name", "infix", "family_name") if k in row.fields
    )


def _no_contact(row: Row, policy: Policy) -> bool:
    """Neither email nor phone, where the policy would invite by one of them."""
    contact = row.fields.get("email") or row.fields.get("phone")
    return not contact and bool({"email", "sms"} & set(policy.invite_channels))


def _unreachable(row: Row, policy: Policy) -> str:
    """Why no invite channel the policy allows reaches the person of ``row``."""
    have = [name for name in ("email", "phone") if row.fields.get(name)]
    if "phone" in have and not row.sms:
        have.remove("phone")
    reach = f"reachable by {' and '.join(have)} only" if have else "no usable email or phone"
    allowed = ", ".join(policy.invite_channels) or "none"
    hint = "" if "printable" in policy.invite_channels else " (printable would onboard them)"
    return f"no invite channel: {reach}, and policy.invite_channels allows {allowed}{hint}"


def _primary(active: Sequence[_Contract], policy: Policy) -> _Contract:
    def start(c: _Contract) -> date:
        return c.row.start_date or date.min

    mode = policy.duplicates
    if mode == "first_row":
        return active[0]
    if mode == "last_row":
        return active[-1]
    if mode == "earliest_start":
        return min(active, key=start)  # min/max keep the first row among equals
    return max(active, key=start)


def _build(
    employee_id: str, primary: _Contract, active: Sequence[_Contract], channel: InviteChannel
) -> Person:
    fields = primary.row.fields
    mapped = primary.mapped
    assert mapped is not None
    units: set[str] = set()
    rules: list[str] = []
    for contract in active:
        if contract.mapped is not None:
            units.update(contract.mapped.units())
            rules += [r for r in contract.mapped.fired if r not in rules]
    return Person(
        employee_id=employee_id,
        given_name=fields["given_name"],
        infix=fields.get("infix"),
        family_name=fields["family_name"],
        email=fields.get("email"),
        phone=fields.get("phone"),
        job_title=mapped.job_title,
        language=mapped.language,
        business_unit=mapped.business_unit,
        department=mapped.department,
        memberships=tuple(sorted(units)),
        invite_channel=channel,
        status="active",
        suspended_on=None,
        start_date=primary.row.start_date,
        end_date=primary.row.end_date,
        rules=tuple(rules),
    )


def offboard(
    part: Part,
    before: Mapping[str, Person],
    policy: Policy,
    today: date,
    *,
    broken: Sequence[int] = (),
) -> None:
    """Suspend the part's people who left, drop those past the grace period, keep protected
    ones; while the export is ``broken`` (lines of records that may hide rows, anywhere in it)
    keep everyone absent as they were.

    A person out of scope (in ``part.acc.scoped``) leaves like any leaver; their suspension
    names the skip rule.

    A suspended person with a future contract (rehired, starting later) is kept suspended until
    the start date even past the grace period: dropping them would delete or anonymize the
    account only to create a new one on the start date.
    """
    people = part.people
    unchanged = set(part.unchanged)
    waiting = {employee_id for employee_id, _ in part.acc.prehires}
    scoped = {s.employee_id: s.rule for s in part.acc.scoped if s.employee_id is not None}
    for employee_id in before:  # only the absent are looked at (and parsed)
        if employee_id in people or employee_id in unchanged:
            continue
        old = before[employee_id]
        in_grace = old.suspended_on is not None and (
            (today - old.suspended_on).days < policy.grace_days
        )
        if policy.protects(old.employee_id, old.email):
            people[employee_id] = old
            part.kept.append(employee_id)
        elif old.status == "suspended" and (employee_id in waiting or in_grace):
            people[employee_id] = old
            continue  # not listed in the report
        elif broken:  # they may be in the rows the broken record hides
            people[employee_id] = old
            part.held.append(employee_id)
        elif old.status == "active":
            end = part.acc.ended_on.get(employee_id, old.end_date)
            rule = scoped.get(employee_id)
            people[employee_id] = replace(
                old, status="suspended", suspended_on=today, end_date=end, out_of_scope=rule
            )
            part.leavers.append(employee_id)
        else:
            part.dropped.append(employee_id)
        part.acc.names[employee_id] = old.display_name


def build_report(tallies: Sequence[Tally], config: Config, today: date, source: str) -> Report:
    """The sync report of one render from the tallies of its parts."""
    acc = _Acc([], [], [], [], set(), Counter())
    lists: dict[str, list[str]] = {
        k: [] for k in ("hires", "reactivated", "updated", "leavers", "dropped", "kept", "held")
    }
    suspended: list[str] = []
    rows = people = active = before = active_before = 0
    for t in tallies:
        acc.merge(t.part.acc)
        for name, ids in lists.items():
            ids += getattr(t.part, name)
        suspended += t.suspended
        rows += t.part.count
        people += t.people
        active += t.active
        before += t.part.before
        active_before += t.part.active_before
    unmapped: dict[str, dict[str, int]] = {}
    for (fld, code), n in sorted(acc.unmapped.items()):
        unmapped.setdefault(fld, {})[code] = n
    return Report(
        today=today,
        source=source,
        rows=rows,
        people=people,
        active=active,
        hires=tuple(sorted(lists["hires"])),
        reactivated=tuple(sorted(lists["reactivated"])),
        updated=tuple(sorted(lists["updated"])),
        leavers=tuple(sorted(lists["leavers"])),
        suspended=tuple(sorted(suspended)),
        dropped=tuple(sorted(lists["dropped"])),
        prehires=tuple(sorted(acc.prehires)),
        ended=tuple(sorted(acc.ended)),
        out_of_scope=tuple(sorted(acc.scoped, key=lambda s: (s.line, s.employee_id or ""))),
        protected_kept=tuple(sorted(lists["kept"])),
        held=tuple(sorted(lists["held"])),
        issues=tuple(
            sorted(acc.issues, key=lambda i: (i.line or 0, i.employee_id or "", i.reason))
        ),
        merges=tuple(sorted(acc.merges, key=lambda m: m.employee_id)),
        unmapped_codes=unmapped,
        unused_rules=tuple(r.name for r in config.rules if r.name not in acc.fired),
        names=acc.names,
        back_after=acc.back_after,
        ended_on={e: d for e, d in acc.ended_on.items() if e in lists["leavers"]},
        unmapped_kinds=_lookup_kinds(config, unmapped),
        grace_days=config.policy.grace_days,
        notices=_notices(
            rows,
            before,
            active_before,
            len(lists["leavers"]),
            config.policy,
            acc.broken,
            lists["held"],
        ),
    )


def _lookup_kinds(config: Config, fields: Iterable[str]) -> dict[str, tuple[OrgKind, ...]]:
    """For each HR field, the kinds of org unit whose hr_codes the rules look its value up in."""
    kinds: dict[str, list[OrgKind]] = {}
    for rule in config.rules:
        refs = [(UNIT_TARGETS[t], ref) for t, ref in rule.units.items()]
        refs += [("group", ref) for ref in rule.add_groups]
        for kind, ref in refs:
            if ref.lookup is None or ref.optional:  # an optional lookup never rejects
                continue
            if kind not in kinds.setdefault(ref.lookup, []):
                kinds[ref.lookup].append(kind)
    return {f: tuple(kinds.get(f, ())) for f in fields}


def _notices(
    rows: int,
    before: int,
    active_before: int,
    leavers: int,
    policy: Policy,
    broken: Sequence[int],
    held: Sequence[str],
) -> tuple[str, ...]:
    notices: list[str] = []
    if broken:
        where = ", ".join(str(line) for line in sorted(broken)[:10])
        notices.append(
            f"the export is broken at line {where} (a quote not closed where it should be): "
            "rows after it may be lost, so nobody absent from it is suspended or dropped "
            f"({len(held)} kept as they were); fix the export and render again"
        )
    if rows == 0 and before:
        notices.append("the export holds no rows: every person is suspended")
    share = 100.0 * leavers / active_before if active_before else 0.0
    limit = policy.thresholds.max_offboard_percent
    if active_before >= policy.thresholds.min_managed and share > limit:
        notices.append(
            f"{leavers:,} of the {active_before:,} people active before this render "
            f"({share:.1f}%) are suspended, above max_offboard_percent {limit:g}: plan will "
            "block this unless overridden"
        )
    return tuple(notices)
