"""A pure, in-memory application of plan actions to a live snapshot (for property tests).

It follows the action semantics the Speakap backend implements, so properties of the plan
(convergence, unmanaged accounts untouched) can be checked fast on thousands of examples.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from reconciler.model import Action, DeletedUser, DesiredState, LiveGroup, LiveSnapshot, LiveUser


def apply_in_memory(
    live: LiveSnapshot,
    actions: Iterable[Action],
    desired: DesiredState,
    *,
    failing_deletes: Collection[str] = (),
) -> LiveSnapshot:
    """``live`` after ``actions``; a DELETE of a live id in ``failing_deletes`` fails (the
    account stays, anonymized when the action was an anonymization). A deleted user stays
    recoverable, as in Speakap, with the groups it was in."""
    users = {u.id: u for u in live.users}
    deleted = {d.user.id: d for d in live.deleted}
    groups = {g.key or g.id: g for g in live.groups}
    members = {k: set(g.members) for k, g in groups.items()}
    people = desired.people_by_id()
    units = desired.org_units_by_key()

    def user_of(action: Action) -> str:
        if action.user_id:
            return action.user_id
        return next(u.id for u in users.values() if u.employee_id == action.employee_id)

    for action in actions:
        kind = action.kind
        if kind == "create_org_unit":
            unit = units[str(action.org_unit)]
            groups[unit.key] = LiveGroup(
                id=f"g-{unit.key}",
                key=unit.key,
                name=unit.name,
                kind=unit.kind,
                parent_key=unit.parent,
                visibility=unit.visibility,
            )
            members[unit.key] = set()
        elif kind == "update_org_unit":
            key = str(action.org_unit)
            after = dict(action.after or {})
            group = groups[key]
            groups[key] = replace(
                group,
                name=after.get("name", group.name),
                parent_key=after.get("parent", group.parent_key),
                visibility=after.get("visibility", group.visibility),
            )
        elif kind == "create_user":
            person = people[str(action.employee_id)]
            uid = f"u-{person.employee_id}"
            assert uid not in users, f"duplicate create of {person.employee_id}"
            users[uid] = LiveUser(
                id=uid,
                employee_id=person.employee_id,
                user_name=person.email or person.employee_id,
                managed=True,
                **person.profile(),  # type: ignore[arg-type]
            )
        elif kind == "recover_user":
            gone = deleted.pop(str(action.user_id))
            users[gone.user.id] = gone.user
            for key, group in groups.items():
                if group.id in gone.groups:
                    members[key].add(gone.user.id)
        elif kind == "adopt_user":
            uid = user_of(action)
            users[uid] = replace(users[uid], employee_id=action.employee_id, managed=True)
        elif kind == "update_user":
            uid = user_of(action)
            users[uid] = replace(users[uid], **dict(action.after or {}))
        elif kind == "add_membership":
            members[str(action.org_unit)].add(user_of(action))
        elif kind == "remove_membership":
            members[str(action.org_unit)].discard(user_of(action))
        elif kind in ("suspend_user", "reactivate_user"):
            uid = user_of(action)
            users[uid] = replace(users[uid], active=kind == "reactivate_user")
        elif kind in ("delete_user", "anonymize_user"):
            # anonymize is a replace then a delete (ScimBackend): either way the account is gone
            uid = user_of(action)
            if kind == "anonymize_user":
                users[uid] = _anonymized(users[uid])
            if uid in failing_deletes:
                continue
            was_in = frozenset(groups[k].id for k, keyed in members.items() if uid in keyed)
            deleted[uid] = DeletedUser(users.pop(uid), was_in)
            for keyed in members.values():
                keyed.discard(uid)
        else:  # pragma: no cover
            raise AssertionError(kind)
    return LiveSnapshot(
        users=tuple(users.values()),
        groups=tuple(replace(g, members=frozenset(members[k])) for k, g in groups.items()),
        deleted=tuple(deleted.values()),
    )


def _anonymized(user: LiveUser) -> LiveUser:
    """What ScimBackend's replace leaves: no names or contacts, inactive, still marked."""
    return LiveUser(
        id=user.id,
        employee_id=user.employee_id,
        user_name=f"anonymized-{user.id}",
        active=False,
        managed=True,
        anonymized=True,
    )
