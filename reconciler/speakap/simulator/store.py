"""The simulated Speakap network: users, groups, deleted users in grace, invitations, a clock.

All state sits behind one lock. Stored resources are replaced, never mutated in place, so a
response can be serialised outside the lock. Speakap behaviour:

- DELETE /Users/id suspends the account for the network's grace period: it leaves /Users and
  its groups, is listed by ``deleted_page`` (``GET /DeletedUsers``), and ``recover``
  (``POST /DeletedUsers/id/recover``) restores it, with its memberships, until then. After the grace
  period it is purged: ``delete`` keeps the names (and the external id), ``anonymize`` keeps
  neither; both drop userName, job title, emails and phones.
- A user created with the bag's invite channel gets an invitation by that channel. A printable
  invite gets a one-time activation code (``secrets``), returned in the bag of the create
  response only; the network keeps a salted hash of it, and ``activate`` redeems it once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from reconciler.atomic import atomic_write
from reconciler.speakap.dialect import GROUP_SCHEMA, USER_SCHEMA, Dialect
from reconciler.speakap.simulator.filters import FilterError, parse_filter, simple_equality
from reconciler.speakap.simulator.patch import PatchError, apply_patch

Json = dict[str, Any]
Kind = Literal["Users", "Groups"]
MAX_VARIANTS = 8  # encodings kept per resource (projections asked for): bounded memory
_READ_ONLY = ("id", "meta", "groups")


class ScimProblem(Exception):
    """An error the server answers with the SCIM error schema."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


@dataclass(slots=True)
class NetworkSettings:
    name: str = "Simulated network"
    grace_days: int = 30
    offboarding: Literal["delete", "anonymize"] = "delete"


@dataclass(slots=True)
class _Deleted:
    user: Json
    groups: list[str]
    deleted_at: str
    purge_at: str


@dataclass(slots=True)
class Network:
    """The state of one simulated network (thread-safe)."""

    dialect: Dialect = field(default_factory=Dialect)
    settings: NetworkSettings = field(default_factory=NetworkSettings)
    base_url: str = ""
    clock_offset: float = 0.0  # seconds added to the real clock
    users: dict[str, Json] = field(default_factory=dict)
    groups: dict[str, Json] = field(default_factory=dict)
    deleted: dict[str, _Deleted] = field(default_factory=dict)
    purged: list[Json] = field(default_factory=list)
    invitations: list[Json] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    changes: int = 0  # bumped on every write, for persistence
    _user_groups: dict[str, set[str]] = field(default_factory=dict)
    _user_names: dict[str, str] = field(default_factory=dict)
    _external_ids: dict[Kind, dict[str, str]] = field(
        default_factory=lambda: {"Users": {}, "Groups": {}}
    )
    _order: dict[Kind, list[str] | None] = field(
        default_factory=lambda: {"Users": None, "Groups": None}
    )
    # (kind, id) -> variant (a projection) -> the resource as served, encoded; dropped when the
    # resource or what it shows of another (a group's name in a user's groups) changes
    _encoded: dict[tuple[Kind, str], dict[str, bytes]] = field(default_factory=dict)
    _encoded_for: str = ""  # the base_url those encodings hold (in $ref)
    _variants: set[str] = field(default_factory=set)

    # -- time --------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds
            self.purge_due()

    def purge_due(self) -> None:
        """Purge the deleted users whose grace period is over."""
        with self.lock:
            now = self.now().isoformat()
            for user_id in [u for u, d in self.deleted.items() if d.purge_at <= now]:
                entry = self.deleted.pop(user_id)
                self.purged.append(self._purged(entry.user, now))
                self.changes += 1

    def _purged(self, user: Json, now: str) -> Json:
        kept: Json = {"id": user["id"], "purged_at": now, "mode": self.settings.offboarding}
        if "externalId" in user:
            kept["externalId"] = user["externalId"]
        if self.settings.offboarding == "delete":
            for key in ("name", "displayName"):
                if key in user:
                    kept[key] = user[key]
        return kept

    # -- reading -----------------------------------------------------------------------------

    def table(self, kind: Kind) -> dict[str, Json]:
        return self.users if kind == "Users" else self.groups

    def get(self, kind: Kind, resource_id: str) -> Json:
        with self.lock:
            self.purge_due()
            found = self.table(kind).get(resource_id)
            if found is None:
                raise ScimProblem(404, f"{kind[:-1]} {resource_id} not found")
            return self._published(kind, found)

    def search(
        self, kinds: Kind | tuple[Kind, ...], filter_text: str | None, start: int, count: int
    ) -> tuple[int, list[Json]]:
        """``(totalResults, page)`` of the resources matching the filter."""
        with self.lock:
            total, chosen = self._page_of(kinds, filter_text, start, count)
            return total, [self._published(kind, self.table(kind)[i]) for kind, i in chosen]

    def search_encoded(
        self,
        kinds: Kind | tuple[Kind, ...],
        filter_text: str | None,
        start: int,
        count: int,
        *,
        variant: str,
        encode: Callable[[Json], bytes],
    ) -> tuple[int, list[bytes]]:
        """``search``, each resource of the page as ``encode`` makes it of the resource as
        served. Encodings are kept per ``variant`` (what else ``encode`` depends on, such as
        a projection), at most ``MAX_VARIANTS`` of them, until a write changes what the
        resource shows: a page of unchanged resources is joined, not encoded again."""
        with self.lock:
            total, chosen = self._page_of(kinds, filter_text, start, count)
            if self._encoded_for != self.base_url:
                self._encoded.clear()
                self._encoded_for = self.base_url
            keep = variant in self._variants or len(self._variants) < MAX_VARIANTS
            if keep:
                self._variants.add(variant)
            page: list[bytes] = []
            for kind, resource_id in chosen:
                held = self._encoded.get((kind, resource_id))
                data = held.get(variant) if held is not None else None
                if data is None:
                    data = encode(self._published(kind, self.table(kind)[resource_id]))
                    if keep:
                        self._encoded.setdefault((kind, resource_id), {})[variant] = data
                page.append(data)
            return total, page

    def _page_of(
        self, kinds: Kind | tuple[Kind, ...], filter_text: str | None, start: int, count: int
    ) -> tuple[int, list[tuple[Kind, str]]]:
        """``(totalResults, the (kind, id) of each resource of the page)``."""
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        self.purge_due()
        start = max(1, start)
        matches = [(kind, self._matching(kind, filter_text)) for kind in kinds]
        total = sum(len(ids) for _, ids in matches)
        page: list[tuple[Kind, str]] = []
        skip = start - 1
        for kind, ids in matches:
            if len(page) >= count:
                break
            if skip >= len(ids):
                skip -= len(ids)
                continue
            page.extend((kind, i) for i in ids[skip : skip + count - len(page)])
            skip = 0
        return total, page

    def _matching(self, kind: Kind, filter_text: str | None) -> list[str]:
        table = self.table(kind)
        if not filter_text:
            order = self._order[kind]
            if order is None:
                order = self._order[kind] = list(table)
            return order
        try:
            simple = simple_equality(filter_text)
            if simple is not None and isinstance(simple[1], str):
                attr = simple[0].lower()
                if attr == "externalid":
                    found = self._external_ids[kind].get(simple[1])
                    return [found] if found else []
                if attr == "username" and kind == "Users":
                    found = self._user_names.get(simple[1].lower())
                    return [found] if found else []
            predicate = parse_filter(filter_text)
        except FilterError as exc:
            raise ScimProblem(400, str(exc), "invalidFilter") from None
        return [rid for rid, r in table.items() if predicate(self._published(kind, r))]

    def _published(self, kind: Kind, resource: Json) -> Json:
        """The resource as served: users carry their (read-only) groups."""
        if kind == "Groups":
            return resource
        group_ids = self._user_groups.get(resource["id"])
        if not group_ids:
            return resource
        out = dict(resource)
        out["groups"] = [
            {
                "value": gid,
                "display": self.groups[gid].get("displayName"),
                "$ref": f"{self.base_url}/Groups/{gid}",
                "type": "direct",
            }
            for gid in sorted(group_ids)
        ]
        return out

    # -- writing -----------------------------------------------------------------------------

    def create(self, kind: Kind, body: Mapping[str, Any]) -> Json:
        with self.lock:
            self.purge_due()
            resource = self._validated(kind, dict(body), resource_id=str(uuid.uuid4()))
            resource["meta"] = self._meta(kind, resource["id"], 1, created=None)
            self._store(kind, resource, previous=None)
            self._order[kind] = None
            code = self._invite(resource) if kind == "Users" else None
            published = self._published(kind, resource)
            if code is None:
                return published
            # The one-time code travels in this response only (never stored, never read back).
            bag_urn = self.dialect.bag_urn
            bag = {**(published.get(bag_urn) or {}), self.dialect.invite_code_attribute: code}
            return {**published, bag_urn: bag}

    def replace(
        self, kind: Kind, resource_id: str, body: Mapping[str, Any], if_match: str | None
    ) -> Json:
        with self.lock:
            previous = self._current(kind, resource_id, if_match)
            resource = self._validated(kind, dict(body), resource_id=resource_id)
            resource["meta"] = self._next_meta(kind, previous)
            self._store(kind, resource, previous=previous)
            return self._published(kind, resource)

    def patch(
        self, kind: Kind, resource_id: str, operations: Sequence[Any], if_match: str | None
    ) -> Json:
        with self.lock:
            previous = self._current(kind, resource_id, if_match)
            try:
                patched = apply_patch(previous, operations, self._extensions())
            except PatchError as exc:
                raise ScimProblem(400, exc.detail, exc.scim_type) from None
            resource = self._validated(kind, patched, resource_id=resource_id)
            resource["meta"] = self._next_meta(kind, previous)
            self._store(kind, resource, previous=previous)
            return self._published(kind, resource)

    def delete(self, kind: Kind, resource_id: str, if_match: str | None) -> None:
        with self.lock:
            previous = self._current(kind, resource_id, if_match)
            self._unstore(kind, previous)
            if kind == "Users":
                group_ids = sorted(self._user_groups.pop(resource_id, set()))
                for gid in group_ids:
                    self._set_members(gid, lambda ms: [m for m in ms if m["value"] != resource_id])
                now = self.now()
                self.deleted[resource_id] = _Deleted(
                    user=previous,
                    groups=group_ids,
                    deleted_at=now.isoformat(),
                    purge_at=(now + timedelta(days=self.settings.grace_days)).isoformat(),
                )
            else:
                for member in previous.get("members") or ():
                    self._user_groups.get(member["value"], set()).discard(resource_id)
            self.changes += 1

    def deleted_page(
        self, filter_text: str | None, start: int, count: int
    ) -> tuple[int, list[Json]]:
        """``(totalResults, page)`` of the deleted users still recoverable, as they were, each
        with the groups it goes back to."""
        with self.lock:
            self.purge_due()
            entries = [self._published_deleted(e) for e in self.deleted.values()]
            if filter_text:
                try:
                    predicate = parse_filter(filter_text)
                except FilterError as exc:
                    raise ScimProblem(400, str(exc), "invalidFilter") from None
                entries = [e for e in entries if predicate(e)]
            start = max(1, start)
            return len(entries), entries[start - 1 : start - 1 + count]

    def _published_deleted(self, entry: _Deleted) -> Json:
        user = entry.user
        out = dict(user)
        out["groups"] = [
            {"value": gid, "display": self.groups[gid].get("displayName"), "type": "direct"}
            for gid in entry.groups
            if gid in self.groups
        ]
        out["meta"] = {
            **user["meta"],
            "resourceType": "DeletedUser",
            "lastModified": entry.deleted_at,
            "location": f"{self.base_url}/DeletedUsers/{user['id']}",
        }
        return out

    def recover(self, user_id: str) -> Json:
        """Restore a deleted user inside the grace period, with its memberships."""
        with self.lock:
            self.purge_due()
            entry = self.deleted.get(user_id)
            if entry is None:
                raise ScimProblem(404, f"no deleted user {user_id} inside the grace period")
            self._check_unique("Users", entry.user, user_id)
            self.deleted.pop(user_id)
            resource = dict(entry.user)
            resource["meta"] = self._next_meta("Users", entry.user)
            self._store("Users", resource, previous=None)
            self._order["Users"] = None
            for gid in entry.groups:
                if gid in self.groups:
                    self._set_members(gid, lambda ms: [*ms, {"value": user_id, "type": "User"}])
            return self._published("Users", resource)

    # -- internals ---------------------------------------------------------------------------

    def _extensions(self) -> tuple[str, ...]:
        d = self.dialect
        return (d.enterprise_urn, d.bag_urn, d.group_urn)

    def _current(self, kind: Kind, resource_id: str, if_match: str | None) -> Json:
        self.purge_due()
        found = self.table(kind).get(resource_id)
        if found is None:
            raise ScimProblem(404, f"{kind[:-1]} {resource_id} not found")
        if if_match and if_match.strip() != "*":
            wanted = {tag.strip() for tag in if_match.split(",")}
            if found["meta"]["version"] not in wanted:
                raise ScimProblem(412, "the resource changed: its ETag does not match If-Match")
        return found

    def _meta(self, kind: Kind, resource_id: str, version: int, created: str | None) -> Json:
        now = self.now().isoformat()
        return {
            "resourceType": kind[:-1],
            "created": created or now,
            "lastModified": now,
            "location": f"{self.base_url}/{kind}/{resource_id}",
            "version": f'W/"{version}"',
        }

    def _next_meta(self, kind: Kind, previous: Json) -> Json:
        version = int(str(previous["meta"]["version"]).strip('W/"') or 0) + 1
        return self._meta(kind, previous["id"], version, previous["meta"].get("created"))

    def _validated(self, kind: Kind, body: Json, *, resource_id: str) -> Json:
        core = USER_SCHEMA if kind == "Users" else GROUP_SCHEMA
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or core not in schemas:
            raise ScimProblem(400, f"schemas must include {core}", "invalidSyntax")
        resource = {k: v for k, v in body.items() if k not in _READ_ONLY and k != "password"}
        resource["id"] = resource_id
        bag = resource.get(self.dialect.bag_urn)
        if isinstance(bag, dict) and self.dialect.invite_code_attribute in bag:
            # read-only: issued by the server, never taken from a client
            bag = {k: v for k, v in bag.items() if k != self.dialect.invite_code_attribute}
            resource[self.dialect.bag_urn] = bag
        for key in [k for k in resource if k.startswith("urn:")]:
            if not isinstance(resource[key], dict):
                raise ScimProblem(400, f"{key} must be an object", "invalidValue")
            if not resource[key]:
                del resource[key]  # an emptied extension is gone
        # schemas: the core schema and the extensions the resource holds (RFC 7643 3).
        resource["schemas"] = [core, *(k for k in resource if k.startswith("urn:"))]
        if kind == "Users":
            if not isinstance(resource.get("userName"), str) or not resource["userName"].strip():
                raise ScimProblem(400, "userName is required", "invalidValue")
            if "active" in resource and not isinstance(resource["active"], bool):
                raise ScimProblem(400, "active must be a boolean", "invalidValue")
        else:
            if not isinstance(resource.get("displayName"), str):
                raise ScimProblem(400, "displayName is required", "invalidValue")
            resource["members"] = self._checked_members(resource.get("members") or [])
            if not resource["members"]:
                resource.pop("members")
        if "externalId" in resource and not isinstance(resource["externalId"], str):
            raise ScimProblem(400, "externalId must be a string", "invalidValue")
        self._check_unique(kind, resource, resource_id)
        return resource

    def _checked_members(self, members: Iterable[Any]) -> list[Json]:
        """Every member an existing user or group, once, in the stored form (in order)."""
        out: dict[str, Json] = {}
        users, groups = self.users, self.groups
        user_ref, group_ref = f"{self.base_url}/Users/", f"{self.base_url}/Groups/"
        for member in members:
            is_map = type(member) is dict or isinstance(member, Mapping)
            value = member.get("value") if is_map else None
            if not isinstance(value, str):
                raise ScimProblem(400, "a member needs a value", "invalidValue")
            if value in users:
                out[value] = {"value": value, "$ref": user_ref + value, "type": "User"}
            elif value in groups:
                out[value] = {"value": value, "$ref": group_ref + value, "type": "Group"}
            else:
                raise ScimProblem(400, f"member {value} does not exist", "invalidValue")
        return list(out.values())

    def _check_unique(self, kind: Kind, resource: Json, resource_id: str) -> None:
        if kind == "Users":
            holder = self._user_names.get(str(resource["userName"]).lower())
            if holder not in (None, resource_id):
                raise ScimProblem(409, "userName is already taken", "uniqueness")
        external_id = resource.get("externalId")
        if external_id is not None:
            holder = self._external_ids[kind].get(external_id)
            if holder not in (None, resource_id):
                raise ScimProblem(409, "externalId is already taken", "uniqueness")

    def _store(self, kind: Kind, resource: Json, previous: Json | None) -> None:
        if previous is not None:
            self._unstore(kind, previous, keep_order=True, members=False)
            if kind == "Groups" and previous.get("displayName") != resource.get("displayName"):
                self._encoded.clear()  # its members show its name (rare: drop them all)
        self.table(kind)[resource["id"]] = resource
        self._encoded.pop((kind, resource["id"]), None)
        if kind == "Users":
            self._user_names[resource["userName"].lower()] = resource["id"]
        if resource.get("externalId") is not None:
            self._external_ids[kind][resource["externalId"]] = resource["id"]
        if kind == "Groups":
            before = (previous.get("members") or ()) if previous is not None else ()
            self._relink(resource["id"], before, resource.get("members") or ())
        self.changes += 1

    def _unstore(
        self, kind: Kind, resource: Json, keep_order: bool = False, members: bool = True
    ) -> None:
        if not keep_order:  # a replacement keeps its position in the listing
            self.table(kind).pop(resource["id"], None)
            self._order[kind] = None
        self._encoded.pop((kind, resource["id"]), None)
        if kind == "Users":
            self._user_names.pop(str(resource["userName"]).lower(), None)
        if resource.get("externalId") is not None:
            self._external_ids[kind].pop(resource["externalId"], None)
        if kind == "Groups" and members:
            self._relink(resource["id"], resource.get("members") or (), ())

    def _relink(self, group_id: str, before: Iterable[Json], after: Iterable[Json]) -> None:
        """The users' group index after a group's members went from ``before`` to ``after``
        (only the difference is touched: a PATCH of a few members of a large group is cheap)."""
        old = {m["value"] for m in before}
        new = {m["value"] for m in after}
        encoded = self._encoded
        for value in old - new:
            self._user_groups.get(value, set()).discard(group_id)
            encoded.pop(("Users", value), None)  # its groups changed
        for value in new - old:
            self._user_groups.setdefault(value, set()).add(group_id)
            encoded.pop(("Users", value), None)

    def _set_members(self, group_id: str, change: Any) -> None:
        group = self.groups[group_id]
        updated = dict(group)
        updated["members"] = change(list(group.get("members") or []))
        updated["meta"] = self._next_meta("Groups", group)
        self._store("Groups", updated, previous=group)

    def _invite(self, user: Json) -> str | None:
        """Record the invitation of a new user; returns the one-time code of a printable one."""
        bag = user.get(self.dialect.bag_urn) or {}
        channel = bag.get(self.dialect.invite_attribute)
        if channel not in ("email", "sms", "printable"):
            return None
        to: str | None = None
        if channel == "email":
            to = next((e.get("value") for e in user.get("emails") or () if e.get("value")), None)
        elif channel == "sms":
            to = next(
                (p.get("value") for p in user.get("phoneNumbers") or () if p.get("value")), None
            )
        invitation: Json = {
            "user_id": user["id"],
            "external_id": user.get("externalId"),
            "user_name": user.get("userName"),
            "channel": channel,
            "to": to,
            "at": self.now().isoformat(),
        }
        code = None
        if channel == "printable":
            code = one_time_code()
            salt = secrets.token_hex(16)
            invitation |= {"code_salt": salt, "code_hash": _code_hash(salt, code)}
            invitation["activated_at"] = None
        self.invitations.append(invitation)
        return code

    def public_invitations(self) -> list[Json]:
        """The invitations as inspection shows them: without the codes' salted hashes."""
        with self.lock:
            return [_public(i) for i in self.invitations]

    def activate(self, login: str, code: str) -> Json:
        """Redeem the one-time code of a printable invite, as the app would on first sign-in:
        403 for a wrong login or code, 410 once the code has been used."""
        wanted = _normalized(code)
        with self.lock:
            for invitation in reversed(self.invitations):
                if "code_hash" not in invitation:
                    continue
                if str(invitation.get("user_name") or "").lower() != login.strip().lower():
                    continue
                digest = _code_hash(str(invitation["code_salt"]), wanted)
                if not hmac.compare_digest(digest, str(invitation["code_hash"])):
                    continue
                if invitation.get("activated_at"):
                    raise ScimProblem(410, "this one-time code has already been used")
                invitation["activated_at"] = self.now().isoformat()
                self.changes += 1
                return {
                    "user_id": invitation["user_id"],
                    "activated_at": invitation["activated_at"],
                }
            raise ScimProblem(403, "wrong login or one-time code")

    # -- persistence -------------------------------------------------------------------------

    def dump(self, *, with_secrets: bool = True) -> Json:
        """The whole state; ``with_secrets=False`` leaves out the codes' hashes (inspection)."""
        with self.lock:
            invitations = (
                list(self.invitations) if with_secrets else [_public(i) for i in self.invitations]
            )
            return {
                "network": asdict(self.settings),
                "clock_offset": self.clock_offset,
                "users": list(self.users.values()),
                "groups": list(self.groups.values()),
                "deleted": [asdict(d) for d in self.deleted.values()],
                "purged": list(self.purged),
                "invitations": invitations,
            }

    def save(self, path: Path) -> None:
        """Write the state to ``path`` atomically (a reader sees the old state or the new)."""
        atomic_write(path, json.dumps(self.dump()))

    @classmethod
    def load(cls, data: Mapping[str, Any], dialect: Dialect | None = None) -> Network:
        """A network from a saved state or a hand-written seed (ids and meta optional)."""
        settings = NetworkSettings(**dict(data.get("network") or {}))
        network = cls(dialect=dialect or Dialect(), settings=settings)
        network.clock_offset = float(data.get("clock_offset", 0.0))
        for kind in ("Users", "Groups"):
            for raw in data.get(kind.lower()) or ():
                network._load_one(kind, raw)  # type: ignore[arg-type]
        for entry in data.get("deleted") or ():
            network.deleted[entry["user"]["id"]] = _Deleted(**entry)
        network.purged = list(data.get("purged") or ())
        network.invitations = list(data.get("invitations") or ())
        return network

    def _load_one(self, kind: Kind, raw: Mapping[str, Any]) -> None:
        body = dict(raw)
        body.setdefault("schemas", [USER_SCHEMA if kind == "Users" else GROUP_SCHEMA])
        resource_id = str(body.get("id") or uuid.uuid4())
        meta = body.get("meta")  # members must exist: users load first, parent groups first
        resource = self._validated(kind, body, resource_id=resource_id)
        resource["meta"] = meta or self._meta(kind, resource_id, 1, created=None)
        self._store(kind, resource, previous=None)
        self._order[kind] = None


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
_SECRET_FIELDS = ("code_salt", "code_hash")


def one_time_code(length: int = 8) -> str:
    """A random one-time activation code, grouped in fours for reading (``ABCD-EF23``)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def _normalized(code: str) -> str:
    """A code as typed: case, spaces and dashes do not matter."""
    return "".join(c for c in code.upper() if c.isalnum())


def _code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{_normalized(code)}".encode()).hexdigest()


def _public(invitation: Json) -> Json:
    return {k: v for k, v in invitation.items() if k not in _SECRET_FIELDS}
