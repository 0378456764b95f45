"""A small parser and evaluator for SCIM filters and PATCH paths (RFC 7644 3.4.2.2, 3.5.2).

Grammar (precedence: not > and > or)::

    filter   := and ("or" and)*
    and      := unary ("and" unary)*
    unary    := "not" "(" filter ")" | "(" filter ")" | attrPath "[" filter "]" | attrExp
    attrExp  := attrPath "pr" | attrPath op value
    op       := eq | ne | co | sw | ew | gt | ge | lt | le
    value    := "string" | number | true | false | null

Attribute names are case-insensitive; string comparison is case-insensitive except for the
case-exact attributes (``id``, ``externalId``, member ``value``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

CORE_PREFIX = "urn:ietf:params:scim:schemas:core:"
CASE_EXACT = frozenset({"id", "externalid", "value", "$ref"})
_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<punct>[()\[\]])
      | (?P<word>[^\s()\[\]"]+)
    )""",
    re.VERBOSE,
)


class FilterError(ValueError):
    """The filter or path does not parse (scimType invalidFilter / invalidPath)."""


@dataclass(frozen=True, slots=True)
class AttrPath:
    """``urn:...:attr.sub`` split into its schema URN (or None), attribute and sub-attribute."""

    urn: str | None
    attr: str
    sub: str | None = None

    def full(self) -> str:
        return self.attr if self.sub is None else f"{self.attr}.{self.sub}"


def parse_attr_path(text: str) -> AttrPath:
    urn = None
    if text.lower().startswith("urn:"):
        urn, _, text = text.rpartition(":")
        if not urn or not text:
            raise FilterError(f"invalid attribute path: {urn}:{text}")
    attr, _, sub = text.partition(".")
    if not re.fullmatch(r"\$?[A-Za-z][\w$-]*", attr) or (sub and not re.fullmatch(r"\w+", sub)):
        raise FilterError(f"invalid attribute path: {text}")
    return AttrPath(urn, attr, sub or None)


def lookup(resource: Mapping[str, Any], key: str) -> Any:
    """A case-insensitive attribute lookup."""
    if key in resource:
        return resource[key]
    lower = key.lower()
    for name, value in resource.items():
        if name.lower() == lower:
            return value
    return None


def _container(resource: Mapping[str, Any], path: AttrPath) -> Mapping[str, Any] | None:
    """The object holding ``path.attr``: the resource, or its extension object."""
    if path.urn is None or path.urn.lower().startswith(CORE_PREFIX):
        return resource
    found = lookup(resource, path.urn)
    return found if isinstance(found, Mapping) else None


def values_at(resource: Mapping[str, Any], path: AttrPath) -> list[Any]:
    """All values at ``path`` (multi-valued attributes flattened)."""
    container = _container(resource, path)
    if container is None:
        return []
    value = lookup(container, path.attr)
    items = value if isinstance(value, list) else [value]
    if path.sub is None:
        return [
            lookup(item, "value") if isinstance(item, Mapping) else item
            for item in items
            if item is not None
        ]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            out.append(lookup(item, path.sub))
    return [v for v in out if v is not None]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise FilterError("unexpected end of filter")
        self.pos += 1
        return token

    def expect(self, token: str) -> None:
        got = self.take()
        if got != token:
            raise FilterError(f"expected '{token}', got '{got}'")

    def parse(self) -> Predicate:
        predicate = self.or_()
        if self.peek() is not None:
            raise FilterError(f"unexpected '{self.peek()}'")
        return predicate

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while (self.peek() or "").lower() == "or":
            self.take()
            parts.append(self.and_())
        if len(parts) == 1:
            return parts[0]
        return lambda r: any(p(r) for p in parts)

    def and_(self) -> Predicate:
        parts = [self.unary()]
        while (self.peek() or "").lower() == "and":
            self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda r: all(p(r) for p in parts)

    def unary(self) -> Predicate:
        token = self.take()
        if token.lower() == "not":
            self.expect("(")
            inner = self.or_()
            self.expect(")")
            return lambda r: not inner(r)
        if token == "(":
            inner = self.or_()
            self.expect(")")
            return inner
        path = parse_attr_path(token)
        if self.peek() == "[":
            self.take()
            inner = self.or_()
            self.expect("]")
            return _value_path(path, inner)
        op = self.take().lower()
        if op == "pr":
            return lambda r: any(v not in ("", [], {}) for v in values_at(r, path))
        if op not in _OPS:
            raise FilterError(f"unknown operator '{op}'")
        return _compare(path, op, _literal(self.take()))


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"cannot read filter at position {pos}")
        tokens.append(match.group(match.lastgroup or "word"))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


_NO_VALUE = object()


def _literal(token: str) -> Any:
    if token.startswith('"'):
        try:
            return json.loads(token)
        except json.JSONDecodeError as exc:
            raise FilterError(f"invalid string {token}") from exc
    lower = token.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower == "null":
        return None
    try:
        return float(token) if "." in token else int(token)
    except ValueError:
        raise FilterError(f"invalid value '{token}'") from None


def _value_path(path: AttrPath, inner: Predicate) -> Predicate:
    def test(resource: Mapping[str, Any]) -> bool:
        container = _container(resource, path) or {}
        items = lookup(container, path.attr)
        if not isinstance(items, list):
            items = [items] if isinstance(items, Mapping) else []
        return any(isinstance(item, Mapping) and inner(item) for item in items)

    return test


def _compare(path: AttrPath, op: str, expected: Any) -> Predicate:
    exact = (path.sub or path.attr).lower() in CASE_EXACT

    def norm(value: Any) -> Any:
        return value.lower() if isinstance(value, str) and not exact else value

    want = norm(expected)

    def matches(value: Any) -> bool:
        got = norm(value)
        if op == "eq":
            return bool(got == want)
        if op == "ne":
            return bool(got != want)
        if isinstance(got, str) and isinstance(want, str):
            if op == "co":
                return want in got
            if op == "sw":
                return got.startswith(want)
            if op == "ew":
                return got.endswith(want)
        try:
            if op == "gt":
                return bool(got > want)
            if op == "ge":
                return bool(got >= want)
            if op == "lt":
                return bool(got < want)
            if op == "le":
                return bool(got <= want)
        except TypeError:
            return False
        return False

    def test(resource: Mapping[str, Any]) -> bool:
        values = values_at(resource, path)
        if not values:
            return (op == "eq" and expected is None) or (op == "ne" and expected is not None)
        return any(matches(v) for v in values)

    return test


def parse_filter(text: str) -> Predicate:
    """A predicate over SCIM resources (plain dicts)."""
    return _Parser(text).parse()


def simple_equality(text: str) -> tuple[str, Any] | None:
    """``(attribute, value)`` when the filter is a lone ``attr eq "value"`` (for indexes)."""
    tokens = _tokenize(text)
    if len(tokens) == 3 and tokens[1].lower() == "eq" and tokens[2].startswith('"'):
        return tokens[0], _literal(tokens[2])
    return None


@dataclass(frozen=True, slots=True)
class PatchPath:
    """A PATCH path: ``attr``, ``attr.sub``, ``urn:...:attr``, ``attr[filter]``, ``attr[f].sub``.

    ``equals`` is ``(name, value)`` when the filter is a lone ``name eq "value"`` on a plain
    sub-attribute name (``members[value eq "u-1"]``): what a membership removal sends, which
    the PATCH code matches by a set lookup instead of evaluating the filter per value."""

    attr: AttrPath
    selector: Predicate | None = None
    sub: str | None = None
    equals: tuple[str, str] | None = None


def parse_patch_path(text: str) -> PatchPath:
    match = re.fullmatch(r"\s*([^\[\]]+?)\s*(?:\[(.*)\](?:\.(\w+))?)?\s*", text)
    if not match:
        raise FilterError(f"invalid path: {text}")
    attr = parse_attr_path(match.group(1))
    selector = parse_filter(match.group(2)) if match.group(2) is not None else None
    if selector is not None and attr.sub is not None:
        raise FilterError(f"invalid path: {text}")
    equals = None
    if selector is not None:
        simple = simple_equality(match.group(2))
        if simple is not None and isinstance(simple[1], str) and re.fullmatch(r"\w+", simple[0]):
            equals = (simple[0], simple[1])
    return PatchPath(attr, selector, match.group(3), equals)
