"""The simulator's ``--data`` file checked against ``schemas/simulator-data.schema.json``.

The schema is the contract; ``jsonschema`` is its judge. It costs about 170 µs per user, though
(a minute for a saved network of 300,000), so users and groups first meet an exact fast check:
one that accepts a resource only when the schema surely accepts it too (a property test holds
it to that). When every resource passes, only the rest of the file (settings, deleted users,
purged users, invitations) goes through ``jsonschema``; when one does not, the whole file does,
and its first error is reported by field path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.desired.documents import validator
from reconciler.errors import ConfigError
from reconciler.speakap.dialect import GROUP_SCHEMA, USER_SCHEMA

_NON_BLANK = re.compile(r"\S")
_VERSION = re.compile(r'^W/"[0-9]+"$')
_USER_STRINGS = frozenset(
    {"externalId", "displayName", "title", "preferredLanguage"}
)  # optional, string-valued
_MULTI_VALUED = frozenset({"emails", "phoneNumbers"})
_MEMBER_KEYS = frozenset({"value", "type", "$ref", "display"})


def check_data(raw: Any, path: Path) -> None:
    """Refuse data that does not match the schema with one :class:`ConfigError`."""
    document = raw
    if isinstance(raw, Mapping) and _plain_resources(raw):
        document = {k: v for k, v in raw.items() if k not in ("users", "groups")}
    error = jsonschema.exceptions.best_match(validator("simulator-data").iter_errors(document))
    if error is None:
        return
    where = field_path(error.absolute_path)
    raise ConfigError(f"invalid simulator data: {error.message}", file=path, field=where or None)


def field_path(parts: Iterable[str | int]) -> str:
    """``users[2].name.givenName`` for the path ``users, 2, name, givenName``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _plain_resources(raw: Mapping[str, Any]) -> bool:
    users, groups = raw.get("users", []), raw.get("groups", [])
    return (
        isinstance(users, list)
        and isinstance(groups, list)
        and all(plain_user(u) for u in users)
        and all(plain_group(g) for g in groups)
    )


def plain_user(user: Any) -> bool:
    """True only for a user the schema accepts (False may still be valid: ask the schema)."""
    if not isinstance(user, dict):
        return False
    name = user.get("userName")
    if not isinstance(name, str) or not _NON_BLANK.search(name):
        return False
    for key, value in user.items():
        if key in _USER_STRINGS or key == "userName":
            ok = isinstance(value, str)
        elif key in _MULTI_VALUED:
            ok = isinstance(value, list) and all(_plain_multi(v) for v in value)
        elif key == "active":
            ok = isinstance(value, bool)
        elif key == "name":
            ok = isinstance(value, dict)
        elif key == "groups":
            ok = isinstance(value, list)
        else:
            ok = _plain_common(key, value, USER_SCHEMA)
        if not ok:
            return False
    return True


def plain_group(group: Any) -> bool:
    """True only for a group the schema accepts (False may still be valid: ask the schema)."""
    if not isinstance(group, dict) or not isinstance(group.get("displayName"), str):
        return False
    for key, value in group.items():
        if key in ("displayName", "externalId"):
            ok = isinstance(value, str)
        elif key == "members":
            ok = isinstance(value, list) and all(_plain_member(m) for m in value)
        else:
            ok = _plain_common(key, value, GROUP_SCHEMA)
        if not ok:
            return False
    return True


def _plain_common(key: str, value: Any, core: str) -> bool:
    if key == "id":
        return isinstance(value, str) and value != ""
    if key == "schemas":
        return isinstance(value, list) and all(isinstance(s, str) for s in value) and core in value
    if key == "meta":
        return _plain_meta(value)
    if key.startswith("urn:"):
        return isinstance(value, dict)
    return False  # anything else: let the schema judge


def _plain_multi(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("value", ""), str)
        and isinstance(item.get("type", ""), str)
        and isinstance(item.get("primary", False), bool)
    )


def _plain_member(member: Any) -> bool:
    return (
        isinstance(member, dict)
        and isinstance(member.get("value"), str)
        and member.keys() <= _MEMBER_KEYS
        and member.get("type", "User") in ("User", "Group")
        and isinstance(member.get("$ref", ""), str)
        and isinstance(member.get("display", ""), str)
    )


def _plain_meta(meta: Any) -> bool:
    if not isinstance(meta, dict):
        return False
    version = meta.get("version")
    if not isinstance(version, str) or not _VERSION.match(version):
        return False
    if meta.get("resourceType", "User") not in ("User", "Group"):
        return False
    return all(isinstance(meta.get(k, ""), str) for k in ("created", "lastModified", "location"))
