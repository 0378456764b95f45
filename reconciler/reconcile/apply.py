"""Carry out a plan against a live network: phases, concurrency, the stale check, a summary.

Phases run in a fixed order (org units, creates, membership adds, updates, membership removals,
suspensions, deletions); inside a phase work runs on a thread pool up to a configured limit,
in the batches the backend makes (it knows how many members one request may carry). Every
result is written to the journal before the next one is looked at, so a rerun after a crash
skips what is done. A failing action does not stop the others; an error the backend raises
(authentication) stops the run. So does a run of failures that says the server cannot take
this plan at all: ``fail_fast`` failures in a row of one action kind with the same error stop
that phase (work not yet started is dropped, running work finishes and is journaled) and
every later one; the summary says why and how many actions were not attempted.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

from reconciler.errors import StalePlanError
from reconciler.model import Action, ActionResult, DesiredState, OrgUnit, Person, Progress
from reconciler.reconcile.backend import Backend
from reconciler.reconcile.journal import Journal
from reconciler.reconcile.plan import PHASES, Plan

log = logging.getLogger(__name__)

_ORG_UNIT = frozenset({"create_org_unit", "update_org_unit"})
_NOT_ATTEMPTED = "not attempted"
# (phase, done in phase, total in phase): ``model.Progress``, with the phase as the task


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    concurrency: int = 8  # backend calls at once
    # failures in a row of one action kind with the same error that stop the run (0: never)
    fail_fast: int = 10


@dataclass(frozen=True, slots=True)
class ApplySummary:
    plan_id: str
    results: tuple[ActionResult, ...]
    skipped: tuple[str, ...] = ()  # done according to the journal of an earlier run
    # False when live state could not be re-read after failures: some reported failures may
    # have landed after all (the next plan tells).
    failures_confirmed: bool = True
    stopped: str | None = None  # why the run stopped before its end (fail fast)
    not_attempted: tuple[str, ...] = ()  # actions a stop left undone (a rerun does them)

    @property
    def failures(self) -> tuple[ActionResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None

    def counts(self) -> dict[str, dict[str, int]]:
        done: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for result in self.results:
            (done if result.ok else failed)[result.kind] += 1
        return {
            kind: {"done": done[kind], "failed": failed[kind]}
            for kind in sorted(set(done) | set(failed))
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "ok": self.ok,
            "done": sum(1 for r in self.results if r.ok),
            "failed": len(self.failures),
            "skipped": len(self.skipped),
            "counts": self.counts(),
            "failures": [{"action": r.action_id, "reason": r.detail} for r in self.failures],
            "failures_confirmed": self.failures_confirmed,
            "stopped": self.stopped,
            "not_attempted": len(self.not_attempted),
        }


def _partial_json(plan: Plan) -> dict[str, Any]:
    return {"selectors": list(plan.only), "people": plan.only_people}


def check_stale(reviewed: Plan, current: Plan) -> None:
    """Refuse a recomputed plan that holds actions the reviewed plan did not, or an action the
    reviewed plan had that would now write values the reviewers did not see (``after`` must be
    a part of the reviewed ``after``: fields done meanwhile may drop out, none may change)."""
    extra = sorted(current.ids() - reviewed.ids())
    changed = _changed_since_review(reviewed, current)
    if not extra and not changed:
        return
    parts = []
    if extra:
        parts.append(f"{len(extra)} new action(s) not in the reviewed plan: {_first_20(extra)}")
    if changed:
        parts.append(
            f"{len(changed)} action(s) that would now write other values than reviewed: "
            f"{_first_20(changed)}"
        )
    raise StalePlanError(
        "stale plan: live state or desired state changed since review; "
        + "; ".join(parts)
        + ". Run plan again and review it."
    )


def _changed_since_review(reviewed: Plan, current: Plan) -> list[str]:
    """``id (field, ...)`` of every action of both plans whose new values differ (names only:
    values may be personal data)."""
    seen = {a.id: a for a in reviewed.actions}
    changed = []
    for action in current.actions:
        if action.id not in seen:
            continue
        before_review = seen[action.id]
        was = dict(before_review.after or {})
        now = dict(action.after or {})
        fields = sorted(k for k, v in now.items() if k not in was or was[k] != v)
        if before_review.user_id and action.user_id and before_review.user_id != action.user_id:
            # the same intent now aims at another live account (e.g. one re-created by hand):
            # a suspension or deletion must hit the account the reviewers saw, or none
            fields.append("target account")
        if fields:
            changed.append(f"{action.id} ({', '.join(fields)})")
    return sorted(changed)


def _first_20(items: list[str]) -> str:
    return ", ".join(items[:20]) + (f" and {len(items) - 20} more" if len(items) > 20 else "")


def apply_plan(
    plan: Plan,
    backend: Backend,
    desired: DesiredState,
    journal: Journal,
    *,
    done: frozenset[str] = frozenset(),
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
    plan_id: str = "",
    on_result: Callable[[ActionResult], None] | None = None,
) -> ApplySummary:
    """Execute ``plan`` phase by phase; actions in ``done`` are skipped. ``on_result`` sees
    every result as soon as it is journaled (so a caller keeps what finished even when the run
    is stopped by an error)."""
    options = options or ApplyOptions()
    people = desired.people_by_id()
    units = desired.org_units_by_key()
    results: list[ActionResult] = []
    skipped = tuple(a.id for a in plan.actions if a.id in done)
    failed_creates: set[str] = set()
    streaks = _FailFast(options.fail_fast)
    partial = {"partial": _partial_json(plan)} if plan.partial else {}
    journal.record(
        "begin", plan=plan_id, actions=len(plan.actions), skipped=len(skipped), **partial
    )
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        for phase, kinds in PHASES:
            if streaks.reason is not None:
                break
            todo = [a for a in plan.actions if a.kind in kinds and a.id not in done]
            if not todo:
                continue
            todo, blocked = _drop_dependents(todo, failed_creates)
            for result in blocked:
                journal.result(result)
                if on_result:
                    on_result(result)
            results.extend(blocked)
            if not todo:  # every action of the phase waited on a create that failed
                continue
            runner = _PhaseRun(
                phase,
                len(todo),
                pool,
                backend,
                people,
                units,
                journal,
                progress,
                on_result,
                streaks,
                window=options.concurrency,
            )
            for wave in _waves(todo, units, backend.batches):
                if streaks.reason is not None:
                    break
                runner.run(wave)
            results.extend(runner.results)
            failed_creates |= {
                r.employee_id
                for r in runner.results
                if not r.ok and r.kind in ("create_user", "recover_user") and r.employee_id
            }
    summary = ApplySummary(plan_id=plan_id, results=tuple(results), skipped=skipped)
    if streaks.reason is not None:
        finished = {r.action_id for r in results} | done
        left = tuple(a.id for a in plan.actions if a.id not in finished)
        summary = replace(summary, stopped=streaks.reason, not_attempted=left)
        journal.record("stopped", reason=streaks.reason, not_attempted=len(left))
        log.warning("apply stopped: %s; %d action(s) not attempted", streaks.reason, len(left))
    journal.record(
        "end",
        ok=summary.ok,
        done=len(results) - len(summary.failures),
        failed=len(summary.failures),
    )
    return summary


def confirm_failures(
    summary: ApplySummary, still_planned: Iterable[Action], journal: Journal
) -> ApplySummary:
    """Re-read verdicts: a failed action that a fresh plan no longer needs did land (e.g. a
    POST whose answer was lost). Reporting it as failed would make the summary lie.

    A failed create that the fresh plan turns into an adoption (an account with that employee
    id appeared meanwhile, not made by us) did not land: it stays failed.
    """
    still: set[str] = set()
    adopting: set[str | None] = set()
    for action in still_planned:
        still.add(action.id)
        if action.kind == "adopt_user":
            adopting.add(action.employee_id)
    results = []
    for result in summary.results:
        needed = result.action_id in still or (
            result.kind == "create_user" and result.employee_id in adopting
        )
        if not result.ok and not needed:
            result = replace(result, ok=True, detail=f"confirmed on re-read ({result.detail})")
            journal.result(result)
        results.append(result)
    return replace(summary, results=tuple(results))


class _FailFast:
    """Failures in a row of each action kind with one error; ``reason`` is set once a streak
    reaches ``limit``. A success of the kind ends its streak; so does another error."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.reason: str | None = None
        self._streaks: dict[str, tuple[str, int]] = {}

    def see(self, result: ActionResult) -> None:
        if not self.limit or self.reason is not None:
            return
        if result.ok:
            self._streaks.pop(result.kind, None)
            return
        if result.detail.startswith(_NOT_ATTEMPTED):  # a dependent of a failure: no evidence
            return
        if _CONFLICT.search(result.detail):  # one record's data (a shared login), not the plan
            return
        error = _error_shape(result.detail)
        last, count = self._streaks.get(result.kind, ("", 0))
        count = count + 1 if last == error else 1
        self._streaks[result.kind] = (error, count)
        if count >= self.limit:
            self.reason = (
                f"fail fast: {count} {result.kind} actions in a row failed with the same error "
                f"({result.detail}); this phase and the later ones were stopped"
            )


# a uniqueness conflict (RFC 7644 section 3.12: 409 uniqueness) says two records claim one
# value, e.g. two people with one email as login: a data problem of those people, however many
# share it, never a sign that the server cannot take the plan
_CONFLICT = re.compile(r"\bHTTP 409\b")
_VARYING = re.compile(r"\S*\d\S*|\"[^\"]*\"|'[^']*'")


def _error_shape(detail: str) -> str:
    """An error text with what varies between actions blanked: ids, numbers, quoted values
    (``PATCH /Users/u-17: HTTP 404`` and ``PATCH /Users/u-18: HTTP 404`` are one error)."""
    return _VARYING.sub("#", detail)


class _PhaseRun:
    """One phase's work on the shared pool: submit, journal results as they come back; a
    failure streak (``streaks``) leaves the work not yet started unstarted."""

    def __init__(
        self,
        phase: str,
        total: int,
        pool: ThreadPoolExecutor,
        backend: Backend,
        people: dict[str, Person],
        units: dict[str, OrgUnit],
        journal: Journal,
        progress: Progress | None,
        on_result: Callable[[ActionResult], None] | None = None,
        streaks: _FailFast | None = None,
        window: int = 8,
    ) -> None:
        self.phase = phase
        self.total = total  # the whole phase, over all its waves, so progress never goes back
        self.finished = 0
        self.pool = pool
        self.backend = backend
        self.people = people
        self.units = units
        self.journal = journal
        self.progress = progress
        self.on_result = on_result
        self.streaks = streaks
        self.window = max(1, window)  # batches in flight at once
        self.results: list[ActionResult] = []

    def run(self, wave: Sequence[Sequence[Action]]) -> None:
        """Run one wave of independent batches, at most ``window`` at a time: a batch is
        handed to the pool only when one finishes, so a stop leaves the rest unstarted."""
        todo = iter(wave)
        pending: set[Future[list[ActionResult]]] = set()
        if self.progress and self.finished == 0:  # the phase starts: its clock starts
            self.progress(self.phase, 0, self.total)
        stop: Exception | None = None
        try:
            self._fill(pending, todo)
            while pending:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in ready:
                    try:
                        results = future.result()
                    except Exception as error:  # (auth) stops the run: start no more work,
                        stop = stop or error  # but keep what is already running or finished
                        continue
                    self.journal.results(results)  # one fsync for a batch (a Bulk request)
                    for result in results:
                        self._record(result)
                if self.progress:
                    self.progress(self.phase, self.finished, self.total)
                if stop is None and not self.stopped:
                    self._fill(pending, todo)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        if stop is not None:
            raise stop

    @property
    def stopped(self) -> bool:
        return self.streaks is not None and self.streaks.reason is not None

    def _fill(
        self, pending: set[Future[list[ActionResult]]], todo: Iterator[Sequence[Action]]
    ) -> None:
        while len(pending) < self.window:
            batch = next(todo, None)
            if batch is None:
                return
            pending.add(self.pool.submit(self.backend.execute, batch, self.people, self.units))

    def _record(self, result: ActionResult) -> None:
        """Keep a journaled result (and count it for the stop)."""
        self.results.append(result)
        if self.on_result:
            self.on_result(result)
        self.finished += 1
        if self.streaks is not None:
            self.streaks.see(result)


def _waves(
    actions: list[Action],
    units: dict[str, OrgUnit],
    batches: Callable[[Sequence[Action]], list[list[Action]]],
) -> Iterator[list[list[Action]]]:
    """Waves of batches, each wave finished before the next starts: org units created before
    they are updated, parents first; any other phase is one wave. ``batches`` (the backend's)
    decides which actions of a wave travel together."""
    if actions[0].kind in _ORG_UNIT:
        # creates first (an update may name a new parent), then updates; parents first in each
        for org_kind in ("create_org_unit", "update_org_unit"):
            by_depth: dict[int, list[Action]] = defaultdict(list)
            for action in actions:
                if action.kind == org_kind:
                    by_depth[_depth(str(action.org_unit), units)].append(action)
            for depth in sorted(by_depth):
                yield batches(by_depth[depth])
    else:
        yield batches(actions)


def _depth(key: str, units: dict[str, OrgUnit]) -> int:
    depth = 0
    seen = {key}
    parent = units[key].parent if key in units else None
    while parent is not None and parent in units and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = units[parent].parent
    return depth


def _drop_dependents(
    actions: list[Action], failed_creates: set[str]
) -> tuple[list[Action], list[ActionResult]]:
    """The later actions of a person whose creation or recovery failed cannot run: report
    them (a recovered account's actions carry its id, a created one's none)."""
    if not failed_creates:
        return actions, []
    keep: list[Action] = []
    blocked: list[ActionResult] = []
    for action in actions:
        if action.employee_id in failed_creates:
            blocked.append(
                action.result(False, f"{_NOT_ATTEMPTED}: creating or recovering the account failed")
            )
        else:
            keep.append(action)
    return keep, blocked
