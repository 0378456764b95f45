"""The plan and apply use cases: what ``speakap-sync plan`` and ``apply`` do, minus the terminal.

``plan(request)``:

1. Open the inputs: load the connection settings; run the preflight against the server
   (``speakap-sync check``: an unfit server is refused, ``NotReadyError``, and ``auto``
   memberships are resolved, once per run); read the desired state while the live
   snapshot is fetched (in a forked child process where it can be, ``start_fetch``: decoding
   a large network's pages then has a core of its own), with every check ``validate`` makes
   (``validate_dir``: a state it would reject is refused, ``StateError``, and the fetch is
   stopped); read the last-applied desired state from git.
2. Compute the plan (``compute_plan``, pure), labelled with the desired state's commit, or
   with none when the state folder holds uncommitted changes (it is then no commit's plan).
   With ``only`` selectors (``--only``) it is a partial plan: ``reconcile.select`` resolves
   them against the three states, and the plan holds those people's actions only.
3. Write plan.json, plan.md and the other views into ``out`` and return a ``PlanOutcome``.
   A plan that a safety guard blocks is written too, so reviewers see why;
   ``raise_if_blocked`` refuses it.

``progress`` (both) sees the live fetch advance ("fetch users", "fetch groups"), and apply's
phases by their names.

``apply(request, confirm=..., progress=..., notify=...)``:

1. Read the reviewed plan.json when one is given; its ``allow_mass_changes`` carries over,
   and so do its selectors when it is partial and the request names none: the fresh plan is
   then the same partial recomputation, for the stale check to compare like with like.
   Selectors the request names carry out that part of the reviewed plan: every action of the
   fresh partial plan must be one the reviewers saw (a reviewed full plan holds them all; a
   reviewed partial plan only its own selection's, else the stale check says so).
2. Take the network's apply lock: one apply per network at a time.
3. Open the inputs and compute a fresh plan, as in ``plan`` steps 1 and 2; read what the
   invite sheets say (the network's name and links, unit names, the default language) and
   check the network's sheet template, so a broken one stops the run before anything changes.
4. Approve the fresh plan: against a reviewed plan, refuse it when stale (``BlockedError``:
   actions or values the reviewers did not see); without one, show it to ``confirm`` and stop
   (``ApplyDeclined``) when it says no.
5. Refuse a plan that a safety guard blocks (``BlockedError``).
6. Execute the fresh plan, journaled under the reviewed plan's id, so a rerun after a crash
   skips what the journal records as done; ``progress`` sees each phase advance.
7. When actions failed, re-read live state: a failure that a fresh plan no longer needs did
   land. When the re-read fails too, the summary says its failures are unconfirmed.
8. Write the printable invite sheets of the accounts created, also when the run is stopped
   part-way (their one-time codes cannot be read back from Speakap), encrypted at once to
   policy.yaml's ``invite_sheets.recipients`` when it names any.
9. Move the last-applied tag to the applied commit when everything landed, the state
   folder is clean and the plan is whole; otherwise say why (a warning through ``notify``
   when everything landed, and ``not_moved_reason`` in the outcome). A partial apply leaves
   the tag where it is; the journal and the summary record its selectors. A refused push is
   kept in the outcome, not raised, so the summary survives.
10. Write ``out/summary.json`` (whole or not at all) and return an ``ApplyOutcome``.

Errors are typed ``SyncError`` values; asking and printing belong to the caller.
"""

from __future__ import annotations

import gc
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.desired import contacts as pii
from reconciler.desired import last_applied
from reconciler.errors import ApplyDeclined, BlockedError, StalePlanError, SyncError
from reconciler.model import ActionResult, DesiredState, Progress
from reconciler.reconcile import invites, plan_json, sealing, select, views
from reconciler.reconcile.apply import (
    ApplyOptions,
    ApplySummary,
    apply_plan,
    check_stale,
    confirm_failures,
)
from reconciler.reconcile.backend import Backend
from reconciler.reconcile.journal import Journal, done_actions, plan_id
from reconciler.reconcile.lock import ApplyLock, network_lock_path
from reconciler.reconcile.plan import Plan, PlanOptions, compute_plan

if TYPE_CHECKING:
    from reconciler.speakap.live_fetch import PendingSnapshot
    from reconciler.speakap.settings import ConnectionSettings

Notify = Callable[[str], None]  # one line for the operator while the run goes on


@dataclass(frozen=True, slots=True)
class PlanRequest:
    state_dir: Path
    out: Path  # where plan.json and plan.md go
    allow_mass_changes: bool = False  # override the safety guards (recorded in the plan)
    show_pii: bool = False  # emails and phones unmasked in plan.md
    run_url: str | None = None  # the CI run making the plan: plan.md links it and its artifact
    contacts: Path | None = None  # the contacts file render wrote (contacts_in_git: false)
    only: tuple[str, ...] = ()  # --only selectors: a partial plan


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    plan: Plan
    names: Mapping[str, str]  # employee id -> display name, leavers included (for views)
    written: tuple[Path, ...] = ()  # plan.json, plan.md and the other views' files
    org_names: Mapping[str, str] = field(default_factory=dict)  # org-unit key -> name
    # people left out because their contacts could not be resolved (one error each)
    refused: tuple[SyncError, ...] = ()

    def raise_if_blocked(self) -> None:
        message = self.plan.blocked_message()
        if message:
            raise BlockedError(message)


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    state_dir: Path
    out: Path  # the journal, the invite sheets and summary.json go here
    plan_file: Path | None = None  # the reviewed plan.json; None: apply what is planned now
    contacts: Path | None = None  # the contacts file render wrote (contacts_in_git: false)
    only: tuple[str, ...] = ()  # --only selectors (default: a partial reviewed plan's)


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    plan: Plan  # the fresh plan that was carried out
    summary: ApplySummary
    summary_file: Path
    invite_sheets: tuple[Path, ...] = ()
    sheets_encrypted: bool = False  # *.age to policy.yaml's invite_sheets.recipients
    invites_with_code: int = 0
    invites_without_code: int = 0  # their sheets send people to Speakap's admin console
    last_applied_moved: bool = False
    not_moved: SyncError | None = field(default=None, compare=False)  # a refused push
    not_moved_reason: str | None = None  # why the tag stayed, in words (summary.json too)
    refused: tuple[SyncError, ...] = ()  # people not applied: contacts not resolved

    @property
    def ok(self) -> bool:
        return self.summary.ok and self.not_moved is None and not self.refused

    def to_json(self) -> dict[str, Any]:
        """What ``out/summary.json`` holds (and ``apply --output json`` prints)."""
        partial = {"selectors": list(self.plan.only), "people": self.plan.only_people}
        return self.summary.to_json() | {
            "partial": partial if self.plan.partial else None,
            "last_applied_moved": self.last_applied_moved,
            "last_applied_not_moved_reason": self.not_moved_reason,
            "refused": [{"employee_id": e.employee_id, "reason": e.message} for e in self.refused],
            "invite_sheets": [str(p) for p in self.invite_sheets],
            "invite_sheets_encrypted": self.sheets_encrypted,
            "printable_invites": {
                "with_code": self.invites_with_code,
                "code_in_admin_console": self.invites_without_code,
            },
        }


def plan(request: PlanRequest, *, progress: Progress | None = None) -> PlanOutcome:
    """Compute the plan and write its files (see the module's steps)."""
    options = PlanOptions(request.allow_mass_changes)
    only = select.parse(request.only)
    # no cyclic collector until the views are written either: switched back on, it would
    # first scan the three states' millions of objects, for nothing
    with _without_cyclic_gc():
        with _opened(
            request.state_dir, options, contacts=request.contacts, only=only, progress=progress
        ) as inputs:
            pass  # the plan is computed: the connection is no longer needed
        names, org_names = inputs.names(), inputs.org_names()
        written = views.write_plan(
            inputs.plan,
            request.out,
            show_pii=request.show_pii,
            names=names,
            org_names=org_names,
            run_url=request.run_url,
        )
    return PlanOutcome(inputs.plan, names, written, org_names, inputs.refused)


def apply(
    request: ApplyRequest,
    *,
    confirm: Callable[[PlanOutcome], bool] | None = None,
    progress: Progress | None = None,
    notify: Notify | None = None,
) -> ApplyOutcome:
    """Carry out the plan against live Speakap, resumably (see the module's steps).

    ``confirm`` sees a plan nobody reviewed (no ``plan_file``) before anything is checked or
    done, blocked or empty ones included, so it can show them; its answer counts for a plan
    with changes that no guard blocks. Without ``confirm`` such a plan is applied.
    """
    notify = notify or _silent
    reviewed = plan_json.read_plan(request.plan_file) if request.plan_file else None
    options = PlanOptions(reviewed.allow_mass_changes if reviewed else False)
    only = select.parse(request.only or (reviewed.only if reviewed else ()))
    settings = _settings(request.state_dir)
    with (
        ApplyLock(network_lock_path(settings.base_url)),
        _opened(
            request.state_dir,
            options,
            settings,
            contacts=request.contacts,
            only=only,
            progress=progress,
        ) as inputs,
    ):
        sheets = _sheet_settings(inputs)
        _approve(inputs, reviewed, confirm)
        summary = _execute(inputs, reviewed or inputs.plan, request.out, progress, notify, sheets)
    return _finish(inputs, summary, request.out, sheets, notify)


# -- the steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    state_dir: Path
    desired: DesiredState
    backend: Backend
    plan: Plan
    settings: ConnectionSettings
    last_applied: DesiredState | None = None
    refused: tuple[SyncError, ...] = ()

    def names(self) -> Mapping[str, str]:
        """Display names for the reviewer's view, leavers (only in last-applied) included."""
        last = self.last_applied.people if self.last_applied else ()
        return views.names_of(itertools.chain(last, self.desired.people))

    def org_names(self) -> Mapping[str, str]:
        """Org-unit key -> name, the units only last-applied declares included."""
        last = self.last_applied.org_units if self.last_applied else ()
        return {unit.key: unit.name for unit in itertools.chain(last, self.desired.org_units)}


def _settings(state_dir: Path) -> ConnectionSettings:
    from reconciler.speakap.settings import ConnectionSettings

    return ConnectionSettings.load(state_dir)


@contextmanager
def _opened(
    state_dir: Path,
    options: PlanOptions,
    settings: ConnectionSettings | None = None,
    *,
    contacts: Path | None = None,
    progress: Progress | None = None,
    only: Sequence[select.Selector] = (),
) -> Iterator[_Inputs]:
    """The inputs of a plan run, with the backend's connection open for the block.

    Commitments in the desired state (``contacts_in_git: false``) are resolved to values
    from the contacts file or the live users (``desired.contacts.resolve``); a person whose
    commitment cannot be resolved is withheld from the plan and listed in ``refused``."""
    from reconciler.speakap.live_fetch import start_fetch
    from reconciler.speakap.settings import open_ready_backend

    settings = settings or _settings(state_dir)
    # refuses an unfit server: nothing computed yet
    backend, _ = open_ready_backend(settings, progress)
    try:
        with _without_cyclic_gc():  # a forked fetch inherits the setting
            # in a child process where it can be: the fetch's decoding gets a core of its own
            fetching = start_fetch(backend)
            try:
                inputs = _computed(state_dir, options, backend, fetching, contacts, only, settings)
            except BaseException:
                fetching.close()
                raise
        try:
            yield inputs
        finally:
            fetching.close()
    finally:
        backend.close()


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Reading three states of a large network makes millions of small objects without
    reference cycles; the cyclic garbage collector would scan the growing heap again and
    again for nothing (a fifth of the plan's time at 100,000 people). A forked fetch inherits
    the setting; what runs after the block (apply's requests) has it back.

    The objects made meanwhile are frozen first (``gc.freeze``): switched back on, the
    collector would otherwise scan every one of them once more (0.3 s at 100,000 people).
    Frozen objects are still freed when no longer referenced; only a reference cycle made
    inside the block is left to the end of the process."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def _computed(
    state_dir: Path,
    options: PlanOptions,
    backend: Backend,
    fetching: PendingSnapshot,
    contacts: Path | None,
    only: Sequence[select.Selector],
    settings: ConnectionSettings,
) -> _Inputs:
    """Steps 1 and 2 of ``plan``: the inputs read (the fetch runs meanwhile) and the plan."""
    from reconciler.desired.validation import validate_dir

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="git-status") as beside:
        # git status (a subprocess) re-hashes the working files it cannot trust by their
        # stat: beside the reading, not after the plan
        labelled = beside.submit(_commit_of, state_dir)
        current = validate_dir(state_dir).require_texts()  # refused: no wait for the fetch
        desired = current.state
        last = last_applied.read_last_applied(state_dir, like=current)
        changed = last_applied.rules_changed(state_dir)
        live = fetching.result()
        refused: tuple[SyncError, ...] = ()
        if pii.has_refs(desired) or pii.has_refs(last):
            values = pii.read_contacts(contacts) if contacts is not None else {}
            resolved = pii.resolve(desired, last, live, values, pii.load_key(), source=contacts)
            desired, last, refused = resolved.desired, resolved.last_applied, resolved.refused
            options = replace(options, withheld=resolved.withheld)
        login_is_email = settings.dialect.login_source == "email"
        options = replace(options, rules_changed=changed, login_is_email=login_is_email)
        if only:
            options = replace(options, only=select.resolve(only, desired, last, live))
        computed = compute_plan(desired, live, last, options=options)
        computed = replace(computed, desired_commit=labelled.result())
    return _Inputs(state_dir, desired, backend, computed, settings, last, refused)


def _commit_of(state_dir: Path) -> str | None:
    """The commit a plan of the state folder is labelled with: None when the folder holds
    uncommitted changes (the plan is then no commit's plan)."""
    return None if last_applied.is_dirty(state_dir) else last_applied.desired_commit(state_dir)


def _sheet_settings(inputs: _Inputs) -> invites.SheetSettings:
    sheets = invites.SheetSettings.for_network(
        inputs.state_dir,
        inputs.desired,
        network_name=inputs.settings.network_name,
        app_url=inputs.settings.app_url,
        activation_url=inputs.settings.dialect.activation_url,
    )
    invites.check_template(sheets)
    return sheets


def _approve(
    inputs: _Inputs, reviewed: Plan | None, confirm: Callable[[PlanOutcome], bool] | None
) -> None:
    current = PlanOutcome(inputs.plan, inputs.names())
    approved = True
    if reviewed is not None:
        _check_stale(reviewed, inputs.plan)
    elif confirm is not None:
        approved = confirm(current)
    current.raise_if_blocked()
    if not approved and inputs.plan.has_changes:
        raise ApplyDeclined("aborted: nothing was applied")


def _check_stale(reviewed: Plan, current: Plan) -> None:
    """``check_stale``; selectors that reach beyond a reviewed partial plan are said as such,
    not as a change of live or desired state."""
    beyond = sorted(current.ids() - reviewed.ids())
    if beyond and reviewed.partial and set(current.only) != set(reviewed.only):
        shown = ", ".join(beyond[:20]) + (f" and {len(beyond) - 20} more" if beyond[20:] else "")
        asked = " ".join(f"--only {s}" for s in current.only)
        raise StalePlanError(
            f"{asked} reaches beyond the reviewed plan, made with "
            f"{' '.join(f'--only {s}' for s in reviewed.only)}: {len(beyond)} action(s) "
            f"nobody reviewed: {shown}. Apply the reviewed plan without --only, or plan "
            f"{asked} and review that plan."
        )
    check_stale(reviewed, current)


def _execute(
    inputs: _Inputs,
    reviewed: Plan,
    out: Path,
    progress: Progress | None,
    notify: Notify,
    sheets: invites.SheetSettings,
) -> ApplySummary:
    pid = plan_id(reviewed.ids(), reviewed.desired_commit)
    path = out / "journal" / f"{pid}.jsonl"
    done = frozenset(done_actions(path) & inputs.plan.ids())
    options = ApplyOptions(
        concurrency=inputs.settings.concurrency, fail_fast=inputs.settings.fail_fast
    )
    finished: list[ActionResult] = []
    with Journal(path) as journal:
        try:
            summary = apply_plan(
                inputs.plan,
                inputs.backend,
                inputs.desired,
                journal,
                done=done,
                options=options,
                progress=progress,
                plan_id=pid,
                on_result=finished.append,
            )
            if not summary.ok:  # a failure may have landed after all: look again
                summary = _confirm(inputs, summary, journal, notify)
        except BaseException:
            # Stopped (authentication, interrupt): the accounts created so far keep their
            # one-time codes on a sheet, as these cannot be read back from Speakap.
            written = _write_sheets(inputs, _invites(inputs, finished), out, sheets, notify)
            for sheet in written:
                notify(f"printable invites: {sheet}")
            raise
    return summary


def _confirm(
    inputs: _Inputs, summary: ApplySummary, journal: Journal, notify: Notify
) -> ApplySummary:
    """Re-read live state to confirm failures; when that read fails too, report the summary
    as it stands (marked unconfirmed) rather than lose it."""
    try:
        live = inputs.backend.fetch_snapshot()
    except SyncError as error:
        journal.record("confirm_skipped", reason=str(error))
        notify(f"could not re-read live state to confirm the failures: {error}")
        return replace(summary, failures_confirmed=False)
    last = last_applied.read_last_applied(inputs.state_dir)
    withheld = frozenset(str(e.employee_id) for e in inputs.refused)
    fresh = compute_plan(inputs.desired, live, last, options=PlanOptions(withheld=withheld))
    return confirm_failures(summary, fresh.actions, journal)


def _invites(inputs: _Inputs, results: Sequence[ActionResult]) -> list[invites.Invite]:
    return invites.invites_for(results, inputs.desired.people_by_id())


def _write_sheets(
    inputs: _Inputs,
    entries: Sequence[invites.Invite],
    out: Path,
    settings: invites.SheetSettings,
    notify: Notify,
) -> list[Path]:
    """The sheets, encrypted at once to policy.yaml's recipients when it names any."""
    sheets = invites.write_invite_sheets(out, entries, settings, notify=notify)
    return sealing.seal_sheets(sheets, inputs.desired.policy.invite_recipients)


def _finish(
    inputs: _Inputs,
    summary: ApplySummary,
    out: Path,
    sheet_settings: invites.SheetSettings,
    notify: Notify,
) -> ApplyOutcome:
    entries = _invites(inputs, summary.results)
    sheets = _write_sheets(inputs, entries, out, sheet_settings, notify)
    moved = False
    not_moved: SyncError | None = None
    reason = _unmovable(inputs, summary)
    if reason is None:
        try:
            last_applied.mark_applied(inputs.state_dir, str(inputs.plan.desired_commit))
            moved = True
        except SyncError as error:  # e.g. the push to origin was refused
            not_moved, reason = error, f"moving it failed: {error}"
    elif summary.ok and not inputs.plan.partial:  # the tag stays: say so, it is easy to miss
        notify(f"warning: the last-applied tag did not move: {reason}")
    with_code = sum(1 for e in entries if e.code)
    outcome = ApplyOutcome(
        plan=inputs.plan,
        summary=summary,
        summary_file=out / "summary.json",
        invite_sheets=tuple(sheets),
        sheets_encrypted=bool(sheets) and bool(inputs.desired.policy.invite_recipients),
        invites_with_code=with_code,
        invites_without_code=len(entries) - with_code,
        last_applied_moved=moved,
        not_moved=not_moved,
        refused=inputs.refused,
        not_moved_reason=reason,
    )
    out.mkdir(parents=True, exist_ok=True)
    plan_json.atomic_write(outcome.summary_file, json.dumps(outcome.to_json(), indent=1) + "\n")
    return outcome


def _unmovable(inputs: _Inputs, summary: ApplySummary) -> str | None:
    """Why the last-applied tag cannot move to the applied commit, or None when it can."""
    if summary.stopped:
        return "the run was stopped before its end (fail fast)"
    if not summary.ok:
        return f"{len(summary.failures)} action(s) failed; the next apply retries them"
    if inputs.refused:  # a withheld person is not applied yet
        return f"{len(inputs.refused)} person(s) withheld: their contacts could not be resolved"
    if inputs.plan.partial:  # the people not selected still wait for a whole apply
        selectors = " ".join(f"--only {s}" for s in inputs.plan.only)
        return f"a partial apply ({selectors}): the rest waits for a full apply"
    if last_applied.desired_commit(inputs.state_dir) is None:
        return "the desired state is not in a git repository (or has no commit)"
    if inputs.plan.desired_commit is None or last_applied.is_dirty(inputs.state_dir):
        return (
            "desired-state/ has uncommitted changes, so what was applied is no commit; "
            "commit them and run apply again to move it"
        )
    return None


def _silent(_line: str) -> None:
    return None
