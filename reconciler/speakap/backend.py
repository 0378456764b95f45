"""``ScimBackend``: the :class:`reconciler.reconcile.backend.Backend` protocol over SCIM 2.0.

``fetch_snapshot`` reads every user and group in page-count requests (memberships come from the
users' ``groups`` attribute or the groups' ``members``, as the dialect says), and the deleted
users the server keeps recoverable, where it has them (one more request; none after a 404).
``batches`` is the one place that decides what travels together: membership actions of one
group and kind go out as PATCHes of at most ``dialect.batch_size`` members, every other action
alone.
``execute`` maps each batch to SCIM calls, concurrently within the client's limits, on one
thread pool that lives as long as the backend.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from reconciler.errors import SpeakapError
from reconciler.model import (
    Action,
    ActionResult,
    DeletedUser,
    LiveSnapshot,
    LiveUser,
    OrgUnit,
    Person,
)
from reconciler.speakap import mapping
from reconciler.speakap.client import ScimClient
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PreconditionFailedError,
    UniquenessError,
)

log = logging.getLogger(__name__)

USERS = "/Users"
GROUPS = "/Groups"
_MEMBERSHIP_KINDS = ("add_membership", "remove_membership")


class ScimBackend:
    """A live Speakap network (or the simulator, or any SCIM server) behind the Backend protocol."""

    def __init__(self, client: ScimClient, dialect: Dialect | None = None) -> None:
        self.client = client
        self.dialect = dialect or Dialect()
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
        dialect = self.dialect
        from_users = dialect.memberships_from == "user_groups"

        def user_row(resource: dict[str, Any]) -> tuple[LiveUser, tuple[str, ...]]:
            groups = resource.get("groups") or () if from_users else ()
            return mapping.live_user(resource, dialect), tuple(
                str(g["value"]) for g in groups if g.get("value") is not None
            )

        rows = self.client.list_converted(USERS, user_row)
        if from_users:
            members: dict[str, set[str]] = defaultdict(set)
            for user, group_ids in rows:
                for gid in group_ids:
                    members[gid].add(user.id)
            groups = self.client.list_converted(
                GROUPS,
                lambda r: mapping.live_group(r, dialect, frozenset(members.get(str(r["id"]), ()))),
                excluded_attributes="members",
            )
        else:
            groups = self.client.list_converted(GROUPS, lambda r: mapping.live_group(r, dialect))
        users = tuple(user for user, _ in rows)
        deleted = self._deleted_users()
        with self._lock:
            for user in users:
                if user.employee_id:
                    self._user_ids[user.employee_id] = user.id
            for group in groups:
                if group.key:
                    self._group_ids[group.key] = group.id
        return LiveSnapshot(users=users, groups=tuple(groups), deleted=deleted)

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

    def batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        """Membership actions of one group and kind in chunks of at most ``batch_size`` (one
        PATCH each), every other action alone; batches in order of their first action."""
        return [[actions[i] for i in batch] for batch in self._batch_indexes(actions)]

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
        units: list[tuple[list[int], Callable[[], list[ActionResult]]]] = []
        for indexes in self._batch_indexes(actions):
            first = actions[indexes[0]]
            if first.kind in _MEMBERSHIP_KINDS:
                units.append((indexes, self._batch([actions[i] for i in indexes])))
            else:
                units.append((indexes, self._single(first, people, org_units)))
        results: list[ActionResult | None] = [None] * len(actions)
        if len(units) == 1:  # what apply sends: no hop to another thread
            indexes, run = units[0]
            outcomes = [(indexes, self._guarded(run, indexes, actions))]
        else:
            outcomes = self._run_concurrently(units, actions)
        for indexes, unit_results in outcomes:
            for i, result in zip(indexes, unit_results, strict=True):
                results[i] = result
        return [self._with_login(r, people) for r in results if r is not None]

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
        except UniquenessError:
            found = self.client.search(endpoint, lookup)
            if len(found) == 1 and (endpoint == GROUPS or self._is_managed(found[0])):
                return found[0]
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
