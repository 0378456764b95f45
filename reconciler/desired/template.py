"""Templated values in rules.yaml: ``"{job_title} – {business_unit.name}"``.

A restricted ``str.format``: literal text, ``{{`` and ``}}`` for literal braces, and
placeholders that name a row field (``{job_title}``, ``{first_aid}``) or an attribute of a
unit the rules chose (``{business_unit.name}``, ``{department.key}``). Nothing else: no
indexing, no other attribute, no conversion (``!r``), no format spec (``:>9999``), so a
template cannot execute code, reach an object, or ask for a huge string. Its output is at most
the template's length plus the values it quotes.

Parsing checks the syntax; which names exist is the configuration's business
(``desired.config.check_rules``). Rendering never raises: a name without a value gives "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# The units a template may quote, and what of them: the targets of a rule's ``set``.
UNIT_PLACEHOLDERS = ("business_unit", "department", "local_department")
UNIT_ATTRIBUTES = ("name", "key")
# The longest value a template may give; a longer one is a data error of the row, as a field
# beyond its limit would be.
MAX_OUTPUT = 1024

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


class TemplateError(ValueError):
    """A template that cannot be parsed; ``column`` is 1-based in the template's text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.column = column


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str  # ``job_title`` or ``business_unit.name``

    @property
    def unit(self) -> tuple[str, str] | None:
        """``("business_unit", "name")`` for a unit's attribute, None for a row field."""
        target, dot, attribute = self.name.partition(".")
        return (target, attribute) if dot else None


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal texts and placeholders, in order."""

    text: str
    parts: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    @property
    def constant(self) -> str | None:
        """The text of a template without placeholders, else None."""
        if self.placeholders:
            return None
        return "".join(p for p in self.parts if isinstance(p, str))

    def render(self, values: Mapping[str, str | None]) -> str:
        """The text with every placeholder replaced by its value ("" when it has none)."""
        return "".join(
            part if isinstance(part, str) else values.get(part.name) or "" for part in self.parts
        )


def parse_template(text: str) -> Template:
    """Parse ``text``; raise ``TemplateError`` naming the column of the first problem."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text[i + 1 : i + 2] == char:
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise TemplateError("a single '}': write '}}' for a literal brace", i + 1)
        if char == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise TemplateError("'{' is not closed: write '{{' for a literal brace", i + 1)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Placeholder(_placeholder_name(text[i + 1 : end], i + 1)))
            i = end + 1
            continue
        literal.append(char)
        i += 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _placeholder_name(inner: str, column: int) -> str:
    name = inner.strip()
    if not name:
        raise TemplateError("an empty placeholder {}", column)
    if "{" in name:
        raise TemplateError("a '{' inside a placeholder", column)
    if "!" in name or ":" in name:
        raise TemplateError(
            f"{{{inner}}}: conversions (!r) and format specs (:...) are not supported", column
        )
    if "[" in name or "]" in name:
        raise TemplateError(f"{{{inner}}}: indexing is not supported", column)
    if not _NAME.match(name):
        raise TemplateError(
            f"{{{inner}}}: a placeholder is a field name (lower case, digits, _) "
            "or UNIT.name / UNIT.key",
            column,
        )
    target, dot, attribute = name.partition(".")
    if dot and (target not in UNIT_PLACEHOLDERS or attribute not in UNIT_ATTRIBUTES):
        raise TemplateError(
            f"{{{inner}}}: only {', '.join(UNIT_PLACEHOLDERS)} have attributes "
            f"({' and '.join(UNIT_ATTRIBUTES)})",
            column,
        )
    return name
