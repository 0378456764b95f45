"""The documents of desired-state/: YAML parsing and writing, JSON Schemas, and validation.

Human-written files are read with ruamel.yaml's round-trip loader, so line numbers are known
and a rewrite keeps comments and key order; every error names the file, the line and the
field. Every YAML file is read within limits (no aliases, bounded depth, node count and size),
so a small hostile file cannot exhaust memory or time. The schemas live in the repository's
``schemas/`` folder; an installed wheel carries them as ``reconciler/_schemas``.
"""

from __future__ import annotations

import difflib
import io
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent

from reconciler.errors import ConfigError

# Limits on every YAML file read (docs/security.md#input); the shipped files are far below them.
MAX_YAML_CHARS = 2 << 20  # the text of one file
MAX_YAML_DEPTH = 64  # mappings and sequences inside each other
MAX_YAML_NODES = 50_000  # keys, values and items of one document

_PACKAGED = Path(__file__).parents[1] / "_schemas"
_SOURCE = Path(__file__).parents[2] / "schemas"


def schema_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def schema_names() -> list[str]:
    """Names of the shipped schemas, e.g. ``policy`` for ``policy.schema.json``."""
    return sorted(p.name.removesuffix(".schema.json") for p in schema_dir().glob("*.schema.json"))


@cache
def load_schema(name: str) -> dict[str, Any]:
    path = schema_dir() / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


class _Refused(Exception):
    """A YAML document beyond the limits, at a 1-based line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _BoundedComposer(Composer):  # type: ignore[misc]
    """ruamel's composer that refuses aliases and stops at MAX_YAML_DEPTH and MAX_YAML_NODES.

    An alias is a pointer: nine aliases of nine aliases are 9**n values to whoever walks the
    document (the schema check, a rewrite), from a few hundred bytes. Checked while composing,
    before the parser reads further, so the cost stays linear in what was read.
    """

    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            raise _Refused(
                f"YAML alias *{event.anchor} is not allowed here: write the value out", line
            )
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _Refused(f"more than {MAX_YAML_NODES:,} YAML values in one file", line)
        if self.depth >= MAX_YAML_DEPTH and not isinstance(event, ScalarEvent):
            raise _Refused(f"nested more than {MAX_YAML_DEPTH} levels deep", line)
        return super().compose_node(parent, index)


def round_trip_yaml() -> YAML:
    """The loader/dumper for human-written files: keeps comments, key order and quoting."""
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the shipped files
    yaml.width = 100
    return yaml


def parse_yaml(text: str, file: str) -> Any:
    """One YAML document, within the limits; a ConfigError names the file and line."""
    if len(text) > MAX_YAML_CHARS:
        raise ConfigError(
            f"{len(text):,} characters, more than the limit of {MAX_YAML_CHARS:,} for a YAML file",
            file=file,
        )
    try:
        return round_trip_yaml().load(text)
    except _Refused as err:
        raise ConfigError(err.message, file=file, line=err.line) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {err.problem or err}", file=file, line=line) from None
    except YAMLError as err:
        raise ConfigError(f"invalid YAML: {err}", file=file) from None


def dump_yaml(data: Any) -> str:
    """Write a round-trip document back (comments and key order survive)."""
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


def line_of(doc: Any, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the node at ``path`` (or of its nearest ancestor with a position)."""
    line: int | None = 1
    node = doc
    for part in path:
        pos: tuple[int, int] | None = None
        try:
            if isinstance(node, CommentedMap) and part in node:
                pos = node.lc.key(part)
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                pos = node.lc.item(part)
        except (KeyError, IndexError, TypeError):
            pos = None
        if pos is None:
            break
        line = pos[0] + 1
        node = node[part]
    return line


def validate_doc(doc: Any, schema: str, file: str) -> None:
    """Validate a loaded document against ``schemas/<schema>.schema.json``. An unknown key is
    reported at its own line and path, with the nearest known key as a suggestion."""
    errors = list(validator(schema).iter_errors(doc))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    path: list[str | int] = list(error.absolute_path)
    unknown = _unknown_keys(error)
    if unknown:
        path.append(unknown[0])
    where = ".".join(str(p) for p in path) or None
    message = _schema_message(error, unknown)
    raise ConfigError(message, file=file, line=line_of(doc, path), field=where)


def _unknown_keys(error: jsonschema.ValidationError) -> list[str]:
    """The keys an ``additionalProperties: false`` error is about, in document order."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, Mapping):
        return []
    schema = cast(Mapping[str, Any], error.schema)
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        str(key)
        for key in error.instance
        if key not in known and not any(p.search(str(key)) for p in patterns)
    ]


def _schema_message(error: jsonschema.ValidationError, unknown: list[str]) -> str:
    if unknown:
        known = list(cast(Mapping[str, Any], error.schema).get("properties", {}))
        guess = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        more = f"; also unknown: {', '.join(map(repr, unknown[1:]))}" if unknown[1:] else ""
        return f"unknown key {unknown[0]!r}{hint}{more}"
    if error.validator == "oneOf" and isinstance(error.instance, Mapping):
        return f"not a valid form here: {error.message}"
    return f"schema: {error.message}"


def load_text(text: str, file: str, schema: str) -> Any:
    """Parse one configuration document and validate it against its schema."""
    doc = parse_yaml(text, file)
    if doc is None:
        doc = CommentedMap()
    validate_doc(doc, schema, file)
    return doc
