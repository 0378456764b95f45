"""PATCH semantics (RFC 7644 3.5.2) over plain SCIM dicts: add, remove, replace.

``apply_patch`` works on a deep copy and returns it, so stored resources are never mutated in
place (responses are serialised outside the store's lock).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.speakap.simulator.filters import (
    CORE_PREFIX,
    AttrPath,
    FilterError,
    PatchPath,
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
    result = copy.deepcopy(dict(resource))
    known = {u.lower(): u for u in (*extensions, *result.get("schemas", ()))}
    for operation in operations:
        if not isinstance(operation, Mapping):
            raise PatchError("invalidSyntax", "each operation must be an object")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "remove", "replace"):
            raise PatchError("invalidSyntax", f"unknown op '{operation.get('op')}'")
        path = operation.get("path")
        value = operation.get("value")
        if path in (None, ""):
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
            _apply_at(result, op, _parse(str(path), known), value)
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
    urn = path.attr.urn
    if urn is None or urn.lower().startswith(CORE_PREFIX):
        return resource
    key = _key(resource, urn)
    found = resource.get(key)
    if not isinstance(found, dict):
        if not create:
            return None
        found = resource[key] = {}
        schemas = resource.setdefault("schemas", [])
        if urn not in schemas:
            schemas.append(urn)
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
        if parent is None and op != "remove":
            parent = container[attr] = {}
        if isinstance(parent, list):
            raise PatchError("invalidPath", f"{attr} is multi-valued: use a filter")
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
    if not isinstance(items, list):
        items = []
    selector = path.selector
    assert selector is not None
    hits = [i for i, item in enumerate(items) if isinstance(item, Mapping) and selector(item)]
    if op == "remove":
        # Removing what is already gone is a no-op: batched membership removals stay idempotent.
        if path.sub is None:
            container[attr] = [item for i, item in enumerate(items) if i not in set(hits)]
        else:
            for i in hits:
                items[i].pop(_key(items[i], path.sub), None)
        return
    if not hits:
        raise PatchError("noTarget", f"no value of {attr} matches the filter")
    for i in hits:
        if path.sub is not None:
            items[i][_key(items[i], path.sub)] = value
        elif isinstance(value, Mapping):
            items[i] = {**items[i], **value} if op == "add" else dict(value)
        else:
            raise PatchError("invalidValue", f"{attr}: a filtered {op} needs an object value")


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
    if isinstance(item, Mapping):
        return ("value", item.get("value")) if "value" in item else repr(sorted(item.items()))
    return item
