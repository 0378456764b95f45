"""Printable invite sheets for people without email or (allowed) phone.

One HTML page per business unit, one card per person with their login and one-time code,
styled to print (a card never splits across pages). Sheets go to the output folder only; they
hold credentials and must never be committed.
"""

from __future__ import annotations

import html
import os
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_STYLE = """
body { font-family: sans-serif; margin: 1.5cm; }
h1 { font-size: 16pt; }
.card { border: 1px dashed #555; padding: 0.6cm; margin: 0 0 0.6cm 0;
        break-inside: avoid; page-break-inside: avoid; }
.name { font-size: 14pt; font-weight: bold; }
.code { font-family: monospace; font-size: 16pt; letter-spacing: 0.15em; }
@media print { .hint { display: none; } }
"""


@dataclass(frozen=True, slots=True)
class Invite:
    employee_id: str
    name: str
    business_unit: str
    login: str
    code: str


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed


def one_time_code(length: int = 8) -> str:
    """A random one-time code, grouped in fours for reading."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def write_invite_sheets(out_dir: Path, invites: Iterable[Invite]) -> list[Path]:
    """Write ``invites-<business unit>.html`` files; returns their paths (sorted)."""
    by_unit: dict[str, list[Invite]] = defaultdict(list)
    for invite in invites:
        by_unit[invite.business_unit].append(invite)
    if not by_unit:
        return []
    folder = out_dir / "invites"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in sorted(by_unit):
        path = folder / f"invites-{_safe(unit)}.html"
        text = _sheet(unit, sorted(by_unit[unit], key=lambda i: i.employee_id))
        # credentials: readable by the owner only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def _sheet(unit: str, invites: list[Invite]) -> str:
    cards = "\n".join(
        f'<div class="card"><div class="name">{html.escape(i.name)}</div>'
        f"<div>Employee {html.escape(i.employee_id)}</div>"
        f"<div>Login: <b>{html.escape(i.login)}</b></div>"
        f'<div>One-time code: <span class="code">{html.escape(i.code)}</span></div>'
        "<div>Open the Speakap app, sign in with this login and code, "
        "then choose your own password.</div></div>"
        for i in invites
    )
    title = f"Speakap invites — {html.escape(unit)}"
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f'<p class="hint">{len(invites)} invites. Print, cut along the lines, hand out in '
        f"person, then destroy this file.</p>\n{cards}\n</body></html>\n"
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "unit"
