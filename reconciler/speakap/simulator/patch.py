"""PATCH semantics (RFC 7644 3.5.2) over plain SCIM dicts: add, remove, replace.

``apply_patch`` returns a new resource and never mutates the one it is given (responses are
serialised outside the store's lock): it copies on write, so a PATCH copies the containers it
changes (the resource, an extension, one multi-valued attribute), not the whole resource. A
run of removals by a lone ``eq`` filter on one attribute (``members[value eq "u-1"]``, ...: what
a membership batch sends) is one pass over the values, matched by a set lookup, so removing
n members of a group of m costs O(n + m), not O(n * m).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.speakap.simulator.filters import (
    CASE_EXACT,
    CORE_PREFIX,
    AttrPath,
    FilterError,
    PatchPath,
    Predicate,
    lookup,
    parse_patch_path,
)


class PatchError(ValueError):
    def __init__(self, scim_type: str, detail: str) -> None:
        super().__init__(detail)
        self.scim_type = scim_type
        self.detail = detail


def apply_patch(
    resource: Mapping[str, Any], operations: Sequence[Any], extensions: Iterable[str] = ()
) -> dict[str, Any]:
    """``resource`` with the operations applied; ``extensions`` are the schema URNs a path may
    name as a whole (``"path": "urn:...:bag"``)."""
    result = dict(resource)
    known = {u.lower(): u for u in (*extensions, *result.get("schemas", ()))}
    removal: _Removal | None = None  # consecutive removals by one attribute's value
    for operation in operations:
        if not isinstance(operation, Mapping):
            raise PatchError("invalidSyntax", "each operation must be an object")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "remove", "replace"):
            raise PatchError("invalidSyntax", f"unknown op '{operation.get('op')}'")
        path = operation.get("path")
        value = operation.get("value")
        parsed = None if path in (None, "") else _parse(str(path), known)
        if op == "remove" and parsed is not None and _Removal.fits(parsed):
            if removal is None or not removal.joins(parsed):
                _remove(result, removal)
                removal = _Removal(parsed)
            removal.add(parsed)
            continue
        _remove(result, removal)
        removal = None
        if parsed is None:
            if op == "remove":
                raise PatchError("noTarget", "remove needs a path")
            if not isinstance(value, Mapping):
                raise PatchError("invalidValue", f"{op} without a path needs an object value")
            for key, item in value.items():
                key = str(key)
                if key.lower().startswith("urn:") and isinstance(item, Mapping):
                    # {"urn:...:Ext": {...}}: each attribute of the extension in turn.
                    for sub, sub_value in item.items():
                        _apply_at(result, op, PatchPath(AttrPath(key, str(sub))), sub_value)
                else:
                    _apply_at(result, op, _parse(key, known), item)
        else:
            _apply_at(result, op, parsed, value)
    _remove(result, removal)
    return result


def _parse(path: str, extensions: Mapping[str, str]) -> PatchPath:
    whole = extensions.get(path.strip().lower())
    if whole is not None:  # a whole extension object, kept under its URN
        return PatchPath(AttrPath(None, whole))
    try:
        return parse_patch_path(path)
    except FilterError as exc:
        raise PatchError("invalidPath", str(exc)) from None


def _key(container: Mapping[str, Any], name: str) -> str:
    """The existing key matching ``name`` case-insensitively, else ``name``."""
    if name in container:
        return name
    lower = name.lower()
    return next((k for k in container if k.lower() == lower), name)


def _container(resource: dict[str, Any], path: PatchPath, create: bool) -> dict[str, Any] | None:
    """The object holding the path's attribute, ready to be changed: the resource (already a
    copy) or a copy of its extension object, put in its place."""
    urn = path.attr.urn
    if urn is None or urn.lower().startswith(CORE_PREFIX):
        return resource
    key = _key(resource, urn)
    found = resource.get(key)
    if isinstance(found, dict):
        found = resource[key] = dict(found)
        return found
    if not create:
        return None
    found = resource[key] = {}
    schemas = resource.get("schemas")
    schemas = schemas if isinstance(schemas, list) else []
    if urn not in schemas:
        resource["schemas"] = [*schemas, urn]
    return found


def _apply_at(resource: dict[str, Any], op: str, path: PatchPath, value: Any) -> None:
    container = _container(resource, path, create=op != "remove")
    if container is None:
        return
    attr = _key(container, path.attr.attr)
    if path.selector is not None:
        _apply_selected(container, attr, op, path, value)
    elif path.attr.sub is not None:
        parent = container.get(attr)
        if isinstance(parent, list):
            raise PatchError("invalidPath", f"{attr} is multi-valued: use a filter")
        if isinstance(parent, dict):
            parent = container[attr] = dict(parent)
        elif parent is None and op != "remove":
            parent = container[attr] = {}
        if isinstance(parent, dict):
            sub = _key(parent, path.attr.sub)
            if op == "remove":
                parent.pop(sub, None)
            else:
                parent[sub] = value
    elif op == "remove":
        container.pop(attr, None)
    elif op == "add" and isinstance(container.get(attr), list):
        items = value if isinstance(value, list) else [value]
        container[attr] = _union(container[attr], items)
    elif op == "add" and isinstance(container.get(attr), dict) and isinstance(value, Mapping):
        container[attr] = {**container[attr], **value}
    else:
        container[attr] = value


def _apply_selected(
    container: dict[str, Any], attr: str, op: str, path: PatchPath, value: Any
) -> None:
    items = container.get(attr)
    items = list(items) if isinstance(items, list) else []  # changed below: a copy
    selector = path.selector
    assert selector is not None
    hits = [i for i, item in enumerate(items) if isinstance(item, Mapping) and selector(item)]
    if op == "remove":
        # Removing what is already gone is a no-op: batched membership removals stay idempotent.
        if path.sub is None:
            gone = set(hits)
            container[attr] = [item for i, item in enumerate(items) if i not in gone]
        elif hits:
            for i in hits:
                items[i] = {k: v for k, v in items[i].items() if k != _key(items[i], path.sub)}
            container[attr] = items
        return
    if not hits:
        raise PatchError("noTarget", f"no value of {attr} matches the filter")
    for i in hits:
        if path.sub is not None:
            items[i] = {**items[i], _key(items[i], path.sub): value}
        elif isinstance(value, Mapping):
            items[i] = {**items[i], **value} if op == "add" else dict(value)
        else:
            raise PatchError("invalidValue", f"{attr}: a filtered {op} needs an object value")
    container[attr] = items


@dataclass(slots=True)
class _Removal:
    """Consecutive ``remove`` operations of values of one attribute by a lone ``name eq
    "value"`` filter: removed together in one pass (removals commute, and removing what is gone
    is a no-op, so the result is the one of removing them one by one)."""

    path: PatchPath
    wanted: set[str] = field(default_factory=set)
    selectors: list[Predicate] = field(default_factory=list)

    @staticmethod
    def fits(path: PatchPath) -> bool:
        return path.equals is not None and path.sub is None and path.selector is not None

    @property
    def name(self) -> str:
        assert self.path.equals is not None
        return self.path.equals[0]

    def joins(self, path: PatchPath) -> bool:
        return (
            path.attr == self.path.attr
            and path.equals is not None
            and path.equals[0].lower() == self.name.lower()
        )

    def add(self, path: PatchPath) -> None:
        assert path.equals is not None and path.selector is not None
        self.wanted.add(self._norm(path.equals[1]))
        self.selectors.append(path.selector)

    def _norm(self, value: str) -> str:
        return value if self.name.lower() in CASE_EXACT else value.lower()

    def hits(self, item: Any) -> bool:
        if not isinstance(item, Mapping):
            return False
        found = lookup(item, self.name)
        if type(found) is str:
            return self._norm(found) in self.wanted
        return any(selector(item) for selector in self.selectors)  # a list, a number...


def _remove(resource: dict[str, Any], removal: _Removal | None) -> None:
    if removal is None:
        return
    container = _container(resource, removal.path, create=False)
    if container is None:
        return
    attr = _key(container, removal.path.attr.attr)
    items = container.get(attr)
    items = items if isinstance(items, list) else []
    container[attr] = [item for item in items if not removal.hits(item)]


def _union(existing: list[Any], new: list[Any]) -> list[Any]:
    out = list(existing)
    seen = {_identity(item) for item in existing}
    for item in new:
        ident = _identity(item)
        if ident not in seen:
            seen.add(ident)
            out.append(item)
    return out


def _identity(item: Any) -> Any:
    """What makes two values of a multi-valued attribute the same one (hashable)."""
    if type(item) is dict or isinstance(item, Mapping):
        return ("value", _plain(item["value"])) if "value" in item else repr(sorted(item.items()))
    return _plain(item)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float)) else repr(value)
