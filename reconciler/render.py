"""Render: HR rows + configuration + previous desired state + today -> new desired state.

Pure and deterministic: no clock, no I/O, no randomness; the same inputs give the same
``DesiredState`` and ``Report``. Writing them is ``state.write_state`` and
``report.write_report``.

Lifecycle:
- a contract starting after ``today`` is a pre-hire (reported, not rendered);
- a person absent from the export, or whose contracts all ended before ``today``, is a leaver:
  the first render marks them ``suspended`` with ``today``; ``grace_days`` later they are
  dropped (the reconciler then deletes or anonymizes them); back in the export before that,
  they are active again (the same account);
- several rows with one employee id are merged: the primary contract (``policy.duplicates``)
  gives the profile, the other active contracts add their memberships;
- a row with a data error quarantines a person already in the previous state (kept exactly as
  they were) and rejects a new one. Bad data never offboards anyone.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from reconciler.config import Config, load_config
from reconciler.model import DesiredState, InviteChannel, Person, Policy
from reconciler.normalize import Row, collapse, normalize_row
from reconciler.report import Issue, IssueKind, Merge, Report, write_report
from reconciler.rules import Mapped, apply_rules
from reconciler.sources import open_export
from reconciler.sources.base import RawRow
from reconciler.state import USERS_DIR, read_state, write_state


@dataclass(frozen=True, slots=True)
class _Contract:
    """One HR row, normalised, classified (active, future, ended, error) and mapped by the
    rules (active rows only)."""

    row: Row
    state: str
    mapped: Mapped | None


@dataclass(slots=True)
class _Acc:
    """What render learns while it goes (turned into the Report at the end)."""

    issues: list[Issue]
    merges: list[Merge]
    prehires: list[tuple[str, date]]
    ended: list[str]
    fired: set[str]
    unmapped: Counter[tuple[str, str]]

    def merge(self, other: _Acc) -> None:
        self.issues += other.issues
        self.merges += other.merges
        self.prehires += other.prehires
        self.ended += other.ended
        self.fired |= other.fired
        self.unmapped.update(other.unmapped)


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


def is_protected(person: Person, policy: Policy) -> bool:
    return person.employee_id in policy.protected or (
        person.email is not None and person.email in policy.protected
    )


def render(
    rows: Iterable[RawRow],
    config: Config,
    previous: DesiredState | None,
    today: date,
    *,
    source_name: str = "",
    serial_dates: bool = False,
    workers: int = 1,
) -> tuple[DesiredState, Report]:
    """The new desired state and the sync report.

    ``workers`` > 1 renders in that many processes, each taking the employee ids that hash to
    it; the result is the same, only the time differs.
    """
    before = previous.people_by_id() if previous is not None else {}
    if workers > 1:
        parts = _render_parallel(rows, config, before, today, serial_dates, workers)
    else:
        parts = [_render_part(rows, config, before, today, serial_dates)]
    people: dict[str, Person] = {}
    acc = _Acc([], [], [], [], set(), Counter())
    hires: list[str] = []
    reactivated: list[str] = []
    updated: list[str] = []
    count = 0
    for part in parts:
        people.update(part.people)
        acc.merge(part.acc)
        hires += part.hires
        reactivated += part.reactivated
        updated += part.updated
        count += part.count

    leavers, dropped, kept = _offboard(before, people, config.policy, today)
    state = DesiredState(
        org_units=config.org_units,
        people=tuple(people[k] for k in sorted(people)),
        policy=config.policy,
    )
    report = _report(
        state, previous, acc, count, today, source_name, config, hires, reactivated, updated
    )
    report = replace(
        report,
        leavers=tuple(sorted(leavers)),
        dropped=tuple(sorted(dropped)),
        protected_kept=tuple(sorted(kept)),
        notices=report.notices + _notices(count, before, leavers, config.policy),
    )
    return state, report


def _classify(row: Row, today: date) -> str:
    if row.errors:
        return "error"
    if row.start_date is not None and row.start_date > today:
        return "future"
    if row.end_date is not None and row.end_date < today:
        return "ended"
    return "active"


def _prepare_one(raw: RawRow, config: Config, today: date, serial_dates: bool) -> _Contract:
    row = normalize_row(raw, config.source, serial_dates=serial_dates)
    state = _classify(row, today)
    mapped = apply_rules(row.fields, config) if state == "active" else None
    return _Contract(row, state, mapped)


@dataclass(slots=True)
class _Part:
    """What one process rendered: its people and its share of the report."""

    people: dict[str, Person]
    acc: _Acc
    hires: list[str]
    reactivated: list[str]
    updated: list[str]
    count: int


def _render_part(
    rows: Iterable[RawRow],
    config: Config,
    before: Mapping[str, Person],
    today: date,
    serial_dates: bool,
) -> _Part:
    """Render the rows of some employee ids (all rows of each id must be among ``rows``)."""
    acc = _Acc([], [], [], [], set(), Counter())
    by_id: dict[str, list[_Contract]] = {}
    count = 0
    for raw in rows:
        count += 1
        contract = _prepare_one(raw, config, today, serial_dates)
        row = contract.row
        if row.employee_id is None:
            acc.issues.append(Issue("rejected", row.line, None, "; ".join(row.errors)))
        else:
            by_id.setdefault(row.employee_id, []).append(contract)
    part = _Part({}, acc, [], [], [], count)
    for employee_id, contracts in by_id.items():
        old = before.get(employee_id)
        person = _person(employee_id, contracts, config, old, acc)
        if person is None:
            continue
        part.people[employee_id] = person
        if old is None:
            part.hires.append(employee_id)
        elif old.status == "suspended" and person.status == "active":
            part.reactivated.append(employee_id)
        elif old != person:
            part.updated.append(employee_id)
    return part


# --- parallel render: processes forked with the inputs, rows routed by employee id ------------

_CHUNK = 2000
_PERSON_FIELDS = tuple(f.name for f in fields(Person))


def _render_parallel(
    rows: Iterable[RawRow],
    config: Config,
    before: Mapping[str, Person],
    today: date,
    serial_dates: bool,
    workers: int,
) -> list[_Part]:
    context = multiprocessing.get_context("fork")  # the children inherit config and `before`
    pipes: list[Connection] = []
    processes = []
    for _ in range(workers):
        parent, child = context.Pipe()
        process = context.Process(
            target=_worker, args=(child, config, before, today, serial_dates), daemon=True
        )
        process.start()
        child.close()
        pipes.append(parent)
        processes.append(process)
    try:
        _route(rows, config, pipes)
        results = [pipe.recv() for pipe in pipes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    parts = []
    for status, payload in results:
        if status != "ok":
            raise RuntimeError(f"a render worker failed:\n{payload}")
        parts.append(_unpack(payload))
    return parts


def _route(rows: Iterable[RawRow], config: Config, pipes: Sequence[Connection]) -> None:
    """Send each row to the worker its employee id hashes to (contracts of one id together)."""
    header = config.source.columns["employee_id"]
    chunks: list[list[tuple[int, dict[str, str | None], str | None]]] = [[] for _ in pipes]
    for raw in rows:
        key = (collapse(raw.values.get(header)) or "").encode("utf-8")
        index = zlib.crc32(key) % len(pipes)
        chunk = chunks[index]
        chunk.append((raw.line, raw.values, raw.error))  # tuples pickle fast, dataclasses not
        if len(chunk) >= _CHUNK:
            pipes[index].send(chunk)
            chunks[index] = []
    for pipe, chunk in zip(pipes, chunks, strict=True):
        if chunk:
            pipe.send(chunk)
        pipe.send(None)


def _worker(
    conn: Connection,
    config: Config,
    before: Mapping[str, Person],
    today: date,
    serial_dates: bool,
) -> None:
    def rows() -> Iterator[RawRow]:
        while (chunk := conn.recv()) is not None:
            for line, values, error in chunk:
                yield RawRow(line, values, error)

    try:
        part = _render_part(rows(), config, before, today, serial_dates)
        conn.send(("ok", _pack(part)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _pack(part: _Part) -> tuple[Any, ...]:
    people = [tuple(getattr(p, f) for f in _PERSON_FIELDS) for p in part.people.values()]
    return (people, part.acc, part.hires, part.reactivated, part.updated, part.count)


def _unpack(payload: tuple[Any, ...]) -> _Part:
    people, acc, hires, reactivated, updated, count = payload
    persons = (Person(*values) for values in people)
    return _Part({p.employee_id: p for p in persons}, acc, hires, reactivated, updated, count)


def _person(
    employee_id: str,
    contracts: Sequence[_Contract],
    config: Config,
    old: Person | None,
    acc: _Acc,
) -> Person | None:
    """The person these rows describe; None when not rendered (or left to _offboard)."""
    errors: list[tuple[int, str]] = []
    active: list[_Contract] = []
    future: list[Row] = []
    ended = False
    for contract in contracts:
        row, state, mapped = contract.row, contract.state, contract.mapped
        problems = [(row.line, e) for e in row.errors]
        if old is not None and any(getattr(old, name) for name in row.invalid):
            # Bad contact data would wipe an existing account's address: keep the person.
            problems += [(row.line, w) for w in row.warnings]
        if mapped is not None:
            acc.fired.update(mapped.fired)
            acc.unmapped.update(mapped.unmapped)
            problems += [(row.line, e) for e in mapped.errors]
            if mapped.business_unit is None and not config.policy.allow_without_business_unit:
                problems.append((row.line, "no business unit: no rule sets one"))
            active.append(contract)
        elif state == "future":
            future.append(row)
        elif state == "ended":
            ended = True
        if state in ("active", "error"):
            errors += problems

    primary = _primary(active, config.policy) if active and not errors else None
    channel = None
    if primary is not None:
        fields = primary.row.fields
        channel = invite_channel(fields.get("email"), fields.get("phone"), config.policy)
        if channel is None:
            errors.append((primary.row.line, "no invite channel the policy allows reaches them"))
    if errors:
        kind: IssueKind = "quarantined" if old is not None else "rejected"
        acc.issues += [Issue(kind, line, employee_id, reason) for line, reason in errors]
        return old
    if primary is None or channel is None:
        if future and old is None:
            start = min(r.start_date for r in future if r.start_date is not None)
            acc.prehires.append((employee_id, start))
        elif ended and old is None and not future:
            acc.ended.append(employee_id)
        return None  # a leaver when they were in the previous state
    for contract in active:
        acc.issues += [
            Issue("warning", contract.row.line, employee_id, w) for w in contract.row.warnings
        ]
    if len(active) > 1:
        lines = tuple(c.row.line for c in active)
        acc.merges.append(Merge(employee_id, lines, primary.row.line))
    return _build(employee_id, primary, active, channel)


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


def _offboard(
    before: dict[str, Person], people: dict[str, Person], policy: Policy, today: date
) -> tuple[list[str], list[str], list[str]]:
    """Suspend people who left, drop those past the grace period, keep protected ones."""
    leavers: list[str] = []
    dropped: list[str] = []
    kept: list[str] = []
    for employee_id, old in before.items():
        if employee_id in people:
            continue
        if is_protected(old, policy):
            people[employee_id] = old
            kept.append(employee_id)
        elif old.status == "active":
            people[employee_id] = replace(old, status="suspended", suspended_on=today)
            leavers.append(employee_id)
        elif old.suspended_on is not None and (today - old.suspended_on).days < policy.grace_days:
            people[employee_id] = old
        else:
            dropped.append(employee_id)
    return leavers, dropped, kept


def _notices(
    rows: int, before: dict[str, Person], leavers: list[str], policy: Policy
) -> tuple[str, ...]:
    notices: list[str] = []
    active_before = sum(1 for p in before.values() if p.status == "active")
    if rows == 0 and before:
        notices.append("the export holds no rows: every person is suspended")
    share = 100.0 * len(leavers) / active_before if active_before else 0.0
    limit = policy.thresholds.max_offboard_percent
    if active_before >= policy.thresholds.min_managed and share > limit:
        notices.append(
            f"{len(leavers)} of {active_before} active people ({share:.1f}%) are suspended, "
            f"above max_offboard_percent {limit:g}: plan will block this unless overridden"
        )
    return tuple(notices)


def _report(
    state: DesiredState,
    previous: DesiredState | None,
    acc: _Acc,
    rows: int,
    today: date,
    source_name: str,
    config: Config,
    hires: list[str],
    reactivated: list[str],
    updated: list[str],
) -> Report:
    unmapped: dict[str, dict[str, int]] = {}
    for (fld, code), n in sorted(acc.unmapped.items()):
        unmapped.setdefault(fld, {})[code] = n
    return Report(
        today=today,
        source=source_name,
        rows=rows,
        people=len(state.people),
        active=sum(1 for p in state.people if p.status == "active"),
        hires=tuple(sorted(hires)),
        reactivated=tuple(sorted(reactivated)),
        updated=tuple(sorted(updated)),
        suspended=tuple(p.employee_id for p in state.people if p.status == "suspended"),
        prehires=tuple(sorted(acc.prehires)),
        ended=tuple(sorted(acc.ended)),
        issues=tuple(
            sorted(acc.issues, key=lambda i: (i.line or 0, i.employee_id or "", i.reason))
        ),
        merges=tuple(sorted(acc.merges, key=lambda m: m.employee_id)),
        unmapped_codes=unmapped,
        unused_rules=tuple(r.name for r in config.rules if r.name not in acc.fired),
    )


# --- the I/O shell around render (used by the CLI) -------------------------------------------


def render_to_disk(
    hr_file: Path,
    state_dir: Path,
    today: date,
    report_dir: Path | None = None,
    *,
    workers: int | None = None,
) -> Report:
    """Read config, previous state and the export; render; write state and report.

    Everything is read and rendered before anything is written, and the state is swapped in
    atomically, so any error leaves desired-state/ as it was.
    """
    config = load_config(state_dir)
    previous = read_state(state_dir) if (state_dir / USERS_DIR).is_dir() else None
    export = open_export(hr_file, config.source)
    try:
        state, report = render(
            export.rows,
            config,
            previous,
            today,
            source_name=hr_file.name,
            serial_dates=export.serial_dates,
            workers=_workers(hr_file) if workers is None else workers,
        )
    finally:
        export.close()
    write_state(state_dir, state.people, config.source.user_shards)
    if report_dir is not None:
        write_report(report, report_dir)
    return report


def _workers(hr_file: Path) -> int:
    """Processes for normalisation: worth it from about 10,000 rows (1 MB) on."""
    if hr_file.stat().st_size < 1_000_000:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))
