"""Printable invite sheets for people without email or (allowed) phone.

One HTML page per business unit, one card per person with their login and the one-time
activation code Speakap issued when it created the account, styled to print (a card never
splits across pages). Codes are never made here: when the server returned none (a user found
after an uncertain create, a server without the feature), the card says the code is issued in
Speakap's admin console. Sheets go to the output folder only, mode 0600; they hold credentials
and must never be committed.
"""

from __future__ import annotations

import html
import itertools
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.model import ActionResult, Person

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
    # Issued by Speakap with the account; None when the server returned none.
    code: str | None = field(default=None, repr=False)


CONSOLE_NOTE = (
    "Your one-time code is issued in Speakap's admin console: ask your manager or an "
    "administrator for it."
)


def invites_for(results: Iterable[ActionResult], people: Mapping[str, Person]) -> list[Invite]:
    """A card for each printable-channel person an apply created, with the code Speakap issued
    (None when it returned none)."""
    entries = []
    for result in results:
        person = people.get(result.employee_id or "")
        if not (result.ok and result.kind == "create_user" and person is not None):
            continue
        if person.invite_channel != "printable":
            continue
        entries.append(
            Invite(
                employee_id=person.employee_id,
                name=person.display_name,
                business_unit=person.business_unit or "(no business unit)",
                login=result.login or person.employee_id,
                code=result.invite_code,
            )
        )
    return entries


def write_invite_sheets(out_dir: Path, invites: Iterable[Invite]) -> list[Path]:
    """Write ``invites/invites-<business unit>.html`` files (mode 0600); returns their paths.

    A sheet of an earlier run is never overwritten (its codes cannot be issued again): a later
    run's sheet for the same unit gets a numbered name (``invites-<unit>-2.html``)."""
    by_unit: dict[str, list[Invite]] = defaultdict(list)
    for invite in invites:
        by_unit[invite.business_unit].append(invite)
    if not by_unit:
        return []
    folder = out_dir / "invites"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = []
    for unit in sorted(by_unit):
        text = _sheet(unit, sorted(by_unit[unit], key=lambda i: i.employee_id))
        fd, path = _create_new(folder, f"invites-{_safe(unit)}")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def _create_new(folder: Path, stem: str) -> tuple[int, Path]:
    """A new file readable by the owner only (credentials), under a name not taken yet."""
    for n in itertools.count(1):
        path = folder / (f"{stem}.html" if n == 1 else f"{stem}-{n}.html")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)  # whatever the umask
        return fd, path
    raise AssertionError("unreachable")


def _sheet(unit: str, invites: list[Invite]) -> str:
    cards = "\n".join(
        f'<div class="card"><div class="name">{html.escape(i.name)}</div>'
        f"<div>Employee {html.escape(i.employee_id)}</div>"
        f"<div>Login: <b>{html.escape(i.login)}</b></div>"
        f"{_code_line(i.code)}"
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


def _code_line(code: str | None) -> str:
    if code:
        return f'<div>One-time code: <span class="code">{html.escape(code)}</span></div>'
    return f'<div class="console">{html.escape(CONSOLE_NOTE)}</div>'


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "unit"
