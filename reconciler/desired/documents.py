"""JSON Schemas of every file a user writes or reads, and validation against them.

The schemas live in the repository's ``schemas/`` folder; an installed wheel carries them as
``reconciler/_schemas``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

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
