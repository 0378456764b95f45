"""Which texts an employee id may be: the key of a person in git, in the plan and in Speakap.

An id is text, never a number: ``001001`` keeps its zeros, and digits are ASCII digits (an
Arabic-Indic ``١٠٠١`` is a valid id, but not ``1001``, and it matches no ``\\d``). Always refused:
characters that do not print (controls, zero-width and direction marks, line separators) and
path characters (``/``, ``\\``, ``..``), which would make an id look like another or like a
place. The rest is ``source.yaml``'s ``employee_id_pattern``, by default: no whitespace.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_PATTERN = re.compile(r"\S+", re.ASCII)


def id_problem(employee_id: str, pattern: re.Pattern[str] | None = None) -> str | None:
    """Why ``employee_id`` (trimmed, inner whitespace collapsed) is not a usable id, or None."""
    shown = _shown(employee_id)
    if not employee_id.isprintable():
        bad = next(c for c in employee_id if not c.isprintable())
        name = unicodedata.name(bad, "a control character")
        return f"employee id {shown} holds U+{ord(bad):04X} ({name}), which does not print"
    for part in ("/", "\\"):
        if part in employee_id:
            return f"employee id {shown} holds the path character {part!r}"
    if ".." in employee_id or employee_id == ".":
        return f"employee id {shown} reads as a path ('.' or '..')"
    if pattern is None:
        if not DEFAULT_PATTERN.fullmatch(employee_id):
            return f"employee id {shown} holds a space"
    elif not pattern.fullmatch(employee_id):
        return (
            f"employee id {shown} does not match employee_id_pattern {pattern.pattern!r} "
            "(source.yaml)"
        )
    return None


def _shown(employee_id: str, limit: int = 40) -> str:
    """The id quoted, what does not print escaped, cut after ``limit`` characters."""
    cut = employee_id[:limit]
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in cut)
    return f"'{text}'" + ("…" if len(employee_id) > limit else "")
