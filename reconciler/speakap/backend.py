"""``ScimBackend``: the :class:`reconciler.reconcile.backend.Backend` protocol over SCIM 2.0.

``fetch_snapshot`` reads every user and group in page-count requests (memberships come from the
users' ``groups`` attribute or the groups' ``members``, as the dialect says), and the deleted
users the server keeps recoverable, where it has them (one more request; none after a 404).
``batches`` is the one place that decides what travels together: membership actions of one
group and kind go out as PATCHes of at most ``dialect.batch_size`` members, every other action
alone.
``execute`` maps each batch to SCIM calls, concurrently within the client's limits, on one
thread pool that lives as long as the backend.

SCIM Bulk: when the server announces it (``/ServiceProviderConfig``) and the settings allow
it, ``batches`` packs up to ``maxOperations`` operations (a membership PATCH is one) into one
batch and ``execute`` sends them as Bulk requests within ``maxPayloadSize``. Each action still
gets its own result from its operation's status. An operation that failed, or that the server
did not answer, is tried again alone; when a whole Bulk request may have landed without an
answer, each create is first looked up, as after any uncertain POST. A printable invite's
create goes alone until a Bulk answer has shown that the server returns created resources (its
one-time code is in that answer only). Deleting with anonymization (read, then a conditional
replace) and recovering a deleted user (an action path, not a resource) always go alone.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import starmap
from typing import Any

from reconciler.errors import SpeakapError
from reconciler.model import (
    Action,
    ActionResult,
    DeletedUser,
    LiveGroup,
    LiveSnapshot,
    LiveUser,
    OrgUnit,
    Person,
    Progress,
    fingerprint_rows,
    live_group_row,
    live_user_row,
)
from reconciler.speakap import bulk, mapping, preflight
from reconciler.speakap.bulk import BulkOp
from reconciler.speakap.client import BulkLimits, ScimClient
from reconciler.speakap.dialect import PATCH_SCHEMA, Dialect
from reconciler.speakap.errors import (
    AuthenticationError,
    InvalidRequestError,
    MaybeLandedError,
    NotFoundError,
    PreconditionFailedError,
    UniquenessError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveRows:
    """A live snapshot as plain tuples: each user in ``LiveUser``'s field order, each group in
    ``LiveGroup``'s, each deleted user with the group ids it goes back to. What a fetch in a
    forked child sends back (``marshal`` takes tuples, and the users are built once, here)."""

    users: tuple[tuple[Any, ...], ...]
    groups: tuple[tuple[Any, ...], ...]
    deleted: tuple[tuple[tuple[Any, ...], frozenset[str]], ...] = ()

    def snapshot(self, fingerprint: str | None = None) -> LiveSnapshot:
        """The snapshot; ``fingerprint``: its :meth:`fingerprint`, computed already."""
        return LiveSnapshot(
            users=tuple(starmap(LiveUser, self.users)),
            groups=tuple(starmap(LiveGroup, self.groups)),
            deleted=tuple(DeletedUser(LiveUser(*user), groups) for user, groups in self.deleted),
            known_fingerprint=fingerprint,
        )

    def fingerprint(self) -> str:
        """The snapshot's fingerprint (``LiveSnapshot.fingerprint``), from the rows."""
        return fingerprint_rows(self.users, self.groups, self.deleted)


USERS = "/Users"
GROUPS = "/Groups"
_MEMBERSHIP_KINDS = ("add_membership", "remove_membership")
# a read, then a replace with If-Match; a POST to the server's recovery path
_NOT_BULK = frozenset({"anonymize_user", "recover_user"})
_UNSET = object()


class ScimBackend:
    """A live Speakap network (or the simulator, or any SCIM server) behind the Backend protocol."""

    def __init__(
        self,
        client: ScimClient,
        dialect: Dialect | None = None,
        *,
        use_bulk: bool = True,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.dialect = dialect or Dialect()
        self.use_bulk = use_bulk
        self.progress = progress  # sees the fetch: "fetch users", "fetch groups"
        self._limits: object = _UNSET  # BulkLimits | None once asked
        self._bulk_returns_resources = False  # a Bulk answer held a created resource
        self._user_ids: dict[str, str] = {}  # employee id -> live id
        self._group_ids: dict[str, str] = {}  # org key -> live id
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._keeps_deleted = bool(self.dialect.deleted_users_endpoint)
        # Threads start on the first concurrent batch; close() ends them.
        self._pool = ThreadPoolExecutor(
            max_workers=self.client.concurrency, thread_name_prefix="scim-backend"
        )

    def __repr__(self) -> str:
        return f"ScimBackend({self.client.base_url!r})"

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()

    def __enter__(self) -> ScimBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------------

    def fetch_snapshot(self) -> LiveSnapshot:
        snapshot = self.fetch_rows().snapshot()
        self._remember(snapshot)
        return snapshot

    def fetch_rows(self) -> LiveRows:
        """``fetch_snapshot``'s values as tuples (users are not built twice when a forked
        child fetches them); the live ids are not remembered (``adopt_fetch`` does that)."""
        if self.dialect.memberships_from == "auto":  # no preflight ran: look once, now
            self.dialect = preflight.resolve_memberships(self.client, self.dialect)
        dialect = self.dialect
        from_users = dialect.memberships_from == "user_groups"
        user_row = mapping.live_user_row

        def row(resource: dict[str, Any]) -> tuple[mapping.LiveUserRow, list[str]]:
            groups = resource.get("groups") if from_users else None
            if not groups:
                return user_row(resource, dialect), []
            ids = [str(g["value"]) for g in groups if g.get("value") is not None]
            return user_row(resource, dialect), ids

        rows = self.client.list_converted(USERS, row, progress=self._task("fetch users"))
        if from_users:
            members: dict[str, set[str]] = defaultdict(set)
            for user, group_ids in rows:
                for gid in group_ids:
                    members[gid].add(user[0])
            groups = self.client.list_converted(
                GROUPS,
                lambda r: mapping.live_group(r, dialect, frozenset(members.get(str(r["id"]), ()))),
                excluded_attributes="members",
                progress=self._task("fetch groups"),
            )
        else:
            groups = self.client.list_converted(
                GROUPS,
                lambda r: mapping.live_group(r, dialect),
                progress=self._task("fetch groups"),
            )
        return LiveRows(
            users=tuple(user for user, _ in rows),
            groups=tuple(map(live_group_row, groups)),
            deleted=tuple((live_user_row(d.user), d.groups) for d in self._deleted_users()),
        )

    @property
    def keeps_deleted(self) -> bool:
        """Whether the server may keep recoverable deleted users (False once it said 404)."""
        return self._keeps_deleted

    def adopt_fetch(self, snapshot: LiveSnapshot, *, dialect: Dialect, keeps_deleted: bool) -> None:
        """Take over what a copy of this backend (in a forked child process) learned by
        fetching ``snapshot``: the live ids apply resolves employee ids and org keys with,
        the dialect it resolved and whether the server keeps deleted users."""
        self.dialect = dialect
        self._keeps_deleted = keeps_deleted
        self._remember(snapshot)

    def _remember(self, snapshot: LiveSnapshot) -> None:
        with self._lock:
            for user in snapshot.users:
                if user.employee_id:
                    self._user_ids[user.employee_id] = user.id
            for group in snapshot.groups:
                if group.key:
                    self._group_ids[group.key] = group.id

    def _task(self, name: str) -> Callable[[int, int | None], None] | None:
        progress = self.progress
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)

    def _deleted_users(self) -> tuple[DeletedUser, ...]:
        """The users deleted and still recoverable; none from a server without the endpoint."""
        if not self._keeps_deleted:
            return ()

        def row(resource: dict[str, Any]) -> DeletedUser:
            groups = resource.get("groups") or ()
            ids = frozenset(str(g["value"]) for g in groups if g.get("value") is not None)
            return DeletedUser(mapping.live_user(resource, self.dialect), ids)

        try:
            return tuple(self.client.list_converted(self.dialect.deleted_users_endpoint, row))
        except NotFoundError:
            log.info("the server keeps no recoverable deleted users")
            self._keeps_deleted = False
            return ()

    # -- writing -----------------------------------------------------------------------------

    def bulk_limits(self) -> BulkLimits | None:
        """The Bulk limits this backend works within; None: one request per change."""
        with self._lock:
            if self._limits is _UNSET:
                self._limits = self.client.bulk_limits() if self.use_bulk else None
            limits = self._limits
        return limits if isinstance(limits, BulkLimits) else None

    def batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        """Membership actions of one group and kind in chunks of at most ``batch_size`` (one
        PATCH each), every other action alone; batches in order of their first action. With
        Bulk, up to ``maxOperations`` of those travel together (one Bulk request)."""
        units = self._batch_indexes(actions)
        limits = self.bulk_limits()
        if limits is None:
            return [[actions[i] for i in unit] for unit in units]
        batches: list[list[int]] = []
        open_units = 0
        for unit in units:
            if actions[unit[0]].kind in _NOT_BULK:
                batches.append(unit)
                open_units = limits.max_operations  # the next unit starts a new batch
                continue
            if not batches or open_units >= limits.max_operations:
                batches.append([])
                open_units = 0
            batches[-1].extend(unit)
            open_units += 1
        return [[actions[i] for i in sorted(batch)] for batch in batches]

    def _batch_indexes(self, actions: Sequence[Action]) -> list[list[int]]:
        size = max(1, self.dialect.batch_size)
        batches: list[list[int]] = []
        open_batch: dict[tuple[str, str | None], list[int]] = {}
        for index, action in enumerate(actions):
            if action.kind not in _MEMBERSHIP_KINDS:
                batches.append([index])
                continue
            key = (action.kind, action.group_id or action.org_unit)
            batch = open_batch.get(key)
            if batch is None or len(batch) >= size:
                batch = open_batch[key] = []
                batches.append(batch)
            batch.append(index)
        return batches

    def execute(
        self,
        actions: Sequence[Action],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
    ) -> list[ActionResult]:
        """One result per action, in order; raises only when authentication fails."""
        indexes = self._batch_indexes(actions)
        limits = self.bulk_limits()
        bulkable = all(actions[unit[0]].kind not in _NOT_BULK for unit in indexes)
        if limits is not None and len(indexes) > 1 and bulkable:
            results = self._bulk(actions, indexes, people, org_units, limits)
            return [self._with_login(r, people) for r in results]
        units: list[tuple[list[int], Callable[[], list[ActionResult]]]] = []
        for unit in indexes:
            units.append((unit, self._unit([actions[i] for i in unit], people, org_units)))
        outcomes: list[tuple[list[int], list[ActionResult]]]
        if len(units) == 1:  # what apply sends: no hop to another thread
            unit, run = units[0]
            outcomes = [(unit, self._guarded(run, unit, actions))]
        else:
            outcomes = self._run_concurrently(units, actions)
        ordered: list[ActionResult | None] = [None] * len(actions)
        for unit, unit_results in outcomes:
            for i, result in zip(unit, unit_results, strict=True):
                ordered[i] = result
        return [self._with_login(r, people) for r in ordered if r is not None]

    def _unit(
        self, actions: list[Action], people: dict[str, Person], org_units: dict[str, OrgUnit]
    ) -> Callable[[], list[ActionResult]]:
        """One PATCH of several members, or one action, as one request."""
        if actions[0].kind in _MEMBERSHIP_KINDS:
            return self._batch(actions)
        return self._single(actions[0], people, org_units)

    # -- Bulk --------------------------------------------------------------------------------

    def _bulk(
        self,
        actions: Sequence[Action],
        units: list[list[int]],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
        limits: BulkLimits,
    ) -> list[ActionResult]:
        results: list[ActionResult | None] = [None] * len(actions)
        ops: list[BulkOp] = []
        alone: list[list[int]] = []
        for number, unit in enumerate(units):
            try:
                op = self._bulk_op(number, actions, unit, people, org_units, results)
            except AuthenticationError:
                raise
            except (SpeakapError, LookupError, ValueError) as err:
                for i in unit:
                    results[i] = actions[i].result(False, _detail(err))
                continue
            if op is None:
                if any(results[i] is None for i in unit):
                    alone.append(unit)
            else:
                ops.append(op)
        for request in bulk.pack(ops, limits):
            self._send_bulk(request, actions, results, people, org_units)
        for unit in alone:
            self._alone(unit, actions, results, people, org_units, note="")
        return [r for r in results if r is not None]

    def _bulk_op(
        self,
        number: int,
        actions: Sequence[Action],
        unit: list[int],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
        results: list[ActionResult | None],
    ) -> BulkOp | None:
        """The Bulk operation of one unit; None when it goes alone or has nothing to send (its
        results are then set)."""
        dialect = self.dialect
        action = actions[unit[0]]
        kind = action.kind
        bulk_id = f"op{number}"
        if kind in _MEMBERSHIP_KINDS:
            group_id = self._group_id(action)
            members: list[int] = []
            user_ids: list[str] = []
            for i in unit:
                try:
                    user_ids.append(self._user_id(actions[i]))
                    members.append(i)
                except (LookupError, SpeakapError) as err:
                    if isinstance(err, AuthenticationError):
                        raise
                    results[i] = actions[i].result(False, _detail(err))
            if not members:
                return None
            ops = (
                mapping.member_add_operations(user_ids)
                if kind == "add_membership"
                else mapping.member_remove_operations(user_ids)
            )
            return BulkOp(members, "PATCH", f"{GROUPS}/{group_id}", bulk_id, _patch(ops))
        if kind == "create_user":
            person = _need(people, action.employee_id, "person")
            if person.invite_channel == "printable" and not self._bulk_returns_resources:
                return None  # its one-time code must not be lost with an answer without body
            return BulkOp(unit, "POST", USERS, bulk_id, mapping.user_body(person, dialect))
        if kind == "create_org_unit":
            group = mapping.group_body(_need(org_units, action.org_unit, "org unit"), dialect)
            return BulkOp(unit, "POST", GROUPS, bulk_id, group)
        if kind == "update_org_unit":
            ops = mapping.group_update_operations(action.after or {}, dialect)
            path = f"{GROUPS}/{self._group_id(action)}"
        elif kind == "delete_user":
            return BulkOp(unit, "DELETE", f"{USERS}/{self._user_id(action)}", bulk_id)
        else:
            ops = self._user_operations(action, people)
            path = f"{USERS}/{self._user_id(action)}"
        if not ops:
            results[unit[0]] = action.result(True)
            return None
        return BulkOp(unit, "PATCH", path, bulk_id, _patch(ops))

    def _user_operations(self, action: Action, people: dict[str, Person]) -> list[mapping.PatchOp]:
        kind = action.kind
        if kind == "adopt_user":
            return mapping.adopt_operations(
                _need_str(action.employee_id, "employee id"), self.dialect
            )
        if kind == "update_user":
            person = people.get(action.employee_id or "")
            display = person.display_name if person else None
            return mapping.update_operations(action.after or {}, self.dialect, display)
        if kind in ("suspend_user", "reactivate_user"):
            return [{"op": "replace", "path": "active", "value": kind == "reactivate_user"}]
        raise ValueError(f"unknown action kind {kind}")

    def _send_bulk(
        self,
        request: list[BulkOp],
        actions: Sequence[Action],
        results: list[ActionResult | None],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
    ) -> None:
        """One Bulk request; each operation's answer becomes its actions' results."""
        try:
            answered = bulk.answers(request, self.client.bulk([op.body() for op in request]))
        except AuthenticationError:
            raise
        except MaybeLandedError as err:
            for op in request:  # each create is looked up before it is sent again
                self._alone(op.indexes, actions, results, people, org_units, f"{err}", True)
            return
        except SpeakapError as err:  # refused as a whole (413, 400...): nothing was done
            for op in request:
                self._alone(op.indexes, actions, results, people, org_units, f"Bulk: {err}")
            return
        for op in request:
            answer = answered.get(op.bulk_id)
            if answer is None:
                note = "not answered in the Bulk response"
                self._alone(op.indexes, actions, results, people, org_units, note, True)
                continue
            status = bulk.status_of(answer)
            if status in (401, 403):
                raise AuthenticationError(
                    f"Speakap refused the credentials (Bulk operation {op.method} {op.path}: "
                    f"HTTP {status})",
                    status=status,
                )
            if 200 <= status < 300:
                self._bulk_done(op, answer, status, actions, results)
            else:
                note = f"Bulk {op.method}: HTTP {status} {bulk.error_detail(answer)}"
                self._alone(op.indexes, actions, results, people, org_units, note)

    def _bulk_done(
        self,
        op: BulkOp,
        answer: dict[str, Any],
        status: int,
        actions: Sequence[Action],
        results: list[ActionResult | None],
    ) -> None:
        detail = f"Bulk {op.method}: HTTP {status}"
        if op.method != "POST":
            for i in op.indexes:
                results[i] = actions[i].result(True, detail)
            return
        action = actions[op.indexes[0]]
        created = bulk.created_id(answer)
        resource = bulk.resource_of(answer)
        code = None
        if resource is not None:
            self._bulk_returns_resources = True
            code = mapping.invite_code(resource, self.dialect)
        if created is None:
            results[op.indexes[0]] = action.result(False, f"{detail} without the new id")
            return
        with self._lock:
            if action.kind == "create_user" and action.employee_id:
                self._user_ids[action.employee_id] = created
            elif action.org_unit:
                self._group_ids[action.org_unit] = created
        results[op.indexes[0]] = action.result(True, detail, created_id=created, invite_code=code)

    def _alone(
        self,
        unit: list[int],
        actions: Sequence[Action],
        results: list[ActionResult | None],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
        note: str,
        uncertain: bool = False,
    ) -> None:
        """Carry out a unit with requests of its own (an uncertain create is looked up first);
        the results say why it went alone."""
        batch = [actions[i] for i in unit]
        run = self._unit(batch, people, org_units)
        if uncertain and batch[0].kind in ("create_user", "create_org_unit"):
            run = self._looked_up_first(batch[0], run)
        for i, result in zip(unit, self._guarded(run, unit, actions), strict=True):
            if note:
                detail = f"{note}; alone: {result.detail}" if result.detail else note
                result = replace(result, detail=f"{detail}, then alone" if result.ok else detail)
            results[i] = result

    def _looked_up_first(
        self, action: Action, create: Callable[[], list[ActionResult]]
    ) -> Callable[[], list[ActionResult]]:
        def run() -> list[ActionResult]:
            if action.kind == "create_user":
                employee_id = _need_str(action.employee_id, "employee id")
                found = self.client.search(USERS, self.dialect.employee_id_filter(employee_id))
                if len(found) == 1 and self._is_managed(found[0]):
                    with self._lock:
                        self._user_ids[employee_id] = str(found[0]["id"])
                    return [action.result(True, "landed", created_id=str(found[0]["id"]))]
            else:
                key = _need_str(action.org_unit, "org unit")
                group = self.client.find_by_external_id(GROUPS, key)
                if group is not None:
                    with self._lock:
                        self._group_ids[key] = str(group["id"])
                    return [action.result(True, "landed", created_id=str(group["id"]))]
            return create()

        return run

    def _run_concurrently(
        self,
        units: list[tuple[list[int], Callable[[], list[ActionResult]]]],
        actions: Sequence[Action],
    ) -> list[tuple[list[int], list[ActionResult]]]:
        futures = [
            (indexes, self._pool.submit(self._guarded, run, indexes, actions))
            for indexes, run in units
        ]
        done: list[tuple[list[int], list[ActionResult]]] = []
        failure: AuthenticationError | None = None
        for indexes, future in futures:
            try:
                done.append((indexes, future.result()))
            except AuthenticationError as err:
                failure = failure or err
        if failure is not None:
            raise failure
        return done

    def _with_login(self, result: ActionResult, people: dict[str, Person]) -> ActionResult:
        """A create's result names the login the account is (or was to be) made with."""
        person = people.get(result.employee_id or "")
        if result.kind != "create_user" or person is None:
            return result
        return replace(result, login=mapping.login_of(person, self.dialect))

    def _guarded(
        self, run: Callable[[], list[ActionResult]], indexes: list[int], actions: Sequence[Action]
    ) -> list[ActionResult]:
        if self._stop.is_set():
            return [
                actions[i].result(False, "not attempted: authentication failed") for i in indexes
            ]
        try:
            return run()
        except AuthenticationError:
            self._stop.set()
            raise
        except (SpeakapError, LookupError, ValueError) as err:
            return [actions[i].result(False, _detail(err)) for i in indexes]

    def _single(
        self, action: Action, people: dict[str, Person], org_units: dict[str, OrgUnit]
    ) -> Callable[[], list[ActionResult]]:
        def run() -> list[ActionResult]:
            created, code = self._run(action, people, org_units)
            return [action.result(True, created_id=created, invite_code=code)]

        return run

    def _run(
        self, action: Action, people: dict[str, Person], org_units: dict[str, OrgUnit]
    ) -> tuple[str | None, str | None]:
        """Carry out one action: (the live id of what it created, the invite code issued)."""
        dialect = self.dialect
        kind = action.kind
        if kind == "create_org_unit":
            unit = _need(org_units, action.org_unit, "org unit")
            lookup = f"externalId eq {_quote(unit.key)}"
            group = self._create(GROUPS, mapping.group_body(unit, dialect), lookup)
            with self._lock:
                self._group_ids[unit.key] = str(group["id"])
            return str(group["id"]), None
        if kind == "update_org_unit":
            ops = mapping.group_update_operations(action.after or {}, dialect)
            if ops:
                self.client.patch(GROUPS, self._group_id(action), ops)
            return None, None
        if kind == "create_user":
            person = _need(people, action.employee_id, "person")
            lookup = dialect.employee_id_filter(person.employee_id)
            user = self._create(USERS, mapping.user_body(person, dialect), lookup)
            with self._lock:
                self._user_ids[person.employee_id] = str(user["id"])
            # Only a fresh create response carries it; a user found after an uncertain POST
            # does not, and its sheet then points to Speakap's admin console.
            return str(user["id"]), mapping.invite_code(user, dialect)
        user_id = self._user_id(action)
        if kind == "recover_user":
            self._recover(user_id)
            with self._lock:
                self._user_ids[_need_str(action.employee_id, "employee id")] = user_id
        elif kind == "adopt_user":
            employee_id = _need_str(action.employee_id, "employee id")
            self.client.patch(USERS, user_id, mapping.adopt_operations(employee_id, dialect))
            with self._lock:
                self._user_ids[employee_id] = user_id
        elif kind == "update_user":
            person = people.get(action.employee_id or "")
            display = person.display_name if person else None
            ops = mapping.update_operations(action.after or {}, dialect, display)
            if ops:
                self.client.patch(USERS, user_id, ops)
        elif kind in ("suspend_user", "reactivate_user"):
            active = kind == "reactivate_user"
            self.client.patch(
                USERS, user_id, [{"op": "replace", "path": "active", "value": active}]
            )
        elif kind == "delete_user":
            self._delete(user_id)
        elif kind == "anonymize_user":
            self._anonymize(user_id)
            self._delete(user_id)
        else:
            raise ValueError(f"unknown action kind {kind}")
        return None, None

    def _create(self, endpoint: str, body: dict[str, Any], lookup: str) -> dict[str, Any]:
        """POST, or (on 409) the resource an earlier, interrupted apply already created: one
        with the same employee id or key, and for users the sync's marker."""
        try:
            return self.client.create(endpoint, body, lookup_filter=lookup)
        except UniquenessError as error:
            found = self.client.search(endpoint, lookup)
            if len(found) == 1 and (endpoint == GROUPS or self._is_managed(found[0])):
                return found[0]
            if endpoint == USERS and not found:  # the value is another account's: the login
                raise UniquenessError(
                    f"{error}; another account already has this login: two people cannot "
                    "share one (give them their own email in the HR system)",
                    status=error.status,
                    scim_type=error.scim_type,
                    detail=error.detail,
                ) from None
            raise

    def _is_managed(self, resource: dict[str, Any]) -> bool:
        return mapping.live_user(resource, self.dialect).managed

    def _recover(self, user_id: str) -> None:
        """Recover a deleted user (memberships included); a 404 for a user back in /Users is a
        recovery an earlier attempt made."""
        dialect = self.dialect
        path = f"{dialect.deleted_users_endpoint}/{user_id}{dialect.recover_suffix}"
        try:
            self.client.post_action(path)
        except NotFoundError:
            self.client.get(USERS, user_id)  # raises NotFoundError when it is not back

    def _delete(self, user_id: str) -> None:
        try:
            self.client.delete(USERS, user_id)
        except NotFoundError:
            log.info("user %s was already deleted", user_id)

    def _anonymize(self, user_id: str) -> None:
        for _ in range(3):  # re-read on an ETag conflict
            current = self.client.get(USERS, user_id)
            etag = (current.get("meta") or {}).get("version")
            try:
                self.client.replace(
                    USERS, user_id, mapping.anonymized_body(current, self.dialect), etag=etag
                )
                return
            except PreconditionFailedError:
                continue
        raise PreconditionFailedError(f"user {user_id} kept changing while being anonymized")

    def _batch(self, actions: list[Action]) -> Callable[[], list[ActionResult]]:
        """One PATCH for up to batch_size membership changes of one group; if the server refuses
        the batch, each change is tried alone so one bad member does not fail the others."""

        def run() -> list[ActionResult]:
            group_id = self._group_id(actions[0])
            resolved: list[tuple[Action, str]] = []
            results: dict[str, ActionResult] = {}
            for action in actions:
                try:
                    resolved.append((action, self._user_id(action)))
                except (LookupError, SpeakapError) as err:
                    if isinstance(err, AuthenticationError):
                        raise
                    results[action.id] = action.result(False, _detail(err))
            if resolved:
                try:
                    self._patch_members(actions[0].kind, group_id, [u for _, u in resolved])
                    for action, _ in resolved:
                        results[action.id] = action.result(True)
                except InvalidRequestError:
                    for action, uid in resolved:
                        results[action.id] = self._one_member(action, group_id, uid)
            return [results[a.id] for a in actions]

        return run

    def _one_member(self, action: Action, group_id: str, user_id: str) -> ActionResult:
        try:
            self._patch_members(action.kind, group_id, [user_id])
            return action.result(True)
        except AuthenticationError:
            raise
        except SpeakapError as err:
            return action.result(False, _detail(err))

    def _patch_members(self, kind: str, group_id: str, user_ids: list[str]) -> None:
        if kind == "add_membership":
            ops = mapping.member_add_operations(user_ids)
        else:
            ops = mapping.member_remove_operations(user_ids)
        # the answer would otherwise carry the group's whole member list, on every PATCH
        self.client.patch(GROUPS, group_id, ops, excluded_attributes="members")

    # -- resolving ids -----------------------------------------------------------------------

    def _user_id(self, action: Action) -> str:
        if action.user_id:
            return action.user_id
        employee_id = _need_str(action.employee_id, "employee id")

        def lookup() -> str | None:
            found = self.client.search(USERS, self.dialect.employee_id_filter(employee_id))
            return str(found[0]["id"]) if found else None

        return self._resolve(self._user_ids, employee_id, lookup, "user with employee id")

    def _group_id(self, action: Action) -> str:
        if action.group_id:
            return action.group_id
        key = _need_str(action.org_unit, "org unit")

        def lookup() -> str | None:
            found = self.client.find_by_external_id(GROUPS, key)
            return str(found["id"]) if found is not None else None

        return self._resolve(self._group_ids, key, lookup, "group for org unit")

    def _resolve(
        self, cache: dict[str, str], key: str, lookup: Callable[[], str | None], what: str
    ) -> str:
        """A live id from this apply's cache, else from the server (remembered once found)."""
        with self._lock:
            known = cache.get(key)
        if known:
            return known
        found = lookup()
        if found is None:
            raise LookupError(f"no live {what} {key}")
        with self._lock:
            cache[key] = found
        return found


def _patch(operations: list[mapping.PatchOp]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": operations}


def _need(values: dict[str, Any], key: str | None, what: str) -> Any:
    if key is None or key not in values:
        raise LookupError(f"unknown {what} {key!r}")
    return values[key]


def _need_str(value: str | None, what: str) -> str:
    if not value:
        raise LookupError(f"the action names no {what}")
    return value


def _detail(err: Exception) -> str:
    return str(err.args[0]) if isinstance(err, LookupError) and err.args else str(err)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
