"""Contacts outside git: keyed commitments in the desired state, the values in a contacts file.

With ``policy.contacts_in_git: false`` a person's record in ``users/`` holds ``email_ref`` and
``phone_ref`` instead of ``email`` and ``phone``: ``hmac:<32 hex>``, the first 128 bits of
HMAC-SHA256 over the field name and the canonical value, keyed by the network's secret
(``SPEAKAP_SYNC_PII_KEY`` or the file ``SPEAKAP_SYNC_PII_KEY_FILE``). A reviewer sees *that* a
contact changed (a one-line diff) but not the value, and without the key nobody can try the
small space of phone numbers against the repository.

The values go to a contacts file (JSON, mode 0600, written atomically) that render writes and
plan and apply read. A value is used only when its commitment equals the reviewed one; a live
value whose commitment equals it needs no file at all (nothing to change).

This module owns the commitment, the key's loading and the contacts file codec; it does no
planning.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.errors import ConfigError, InputError, StateError
from reconciler.model import DesiredState, LiveSnapshot, LiveUser, Person

KEY_ENV = "SPEAKAP_SYNC_PII_KEY"
KEY_FILE_ENV = "SPEAKAP_SYNC_PII_KEY_FILE"
CONTACT_FIELDS = ("email", "phone")
PREFIX = "hmac:"
MIN_KEY_BYTES = 16
_HEX_CHARS = 32  # 128 bits
_FORMAT = "speakap-sync contacts"
_VERSION = 1

# employee id -> field ("email", "phone") -> value
Contacts = Mapping[str, Mapping[str, str]]


def canonical(field: str, value: str) -> str:
    """The form a value is committed in: trimmed, an email lower-cased (as plan compares)."""
    value = value.strip()
    return value.lower() if field == "email" else value


def commit(field: str, value: str, key: bytes) -> str:
    """``hmac:<32 hex>``: the keyed commitment of one contact value of the named field."""
    message = f"{field}\x00{canonical(field, value)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return PREFIX + digest[:_HEX_CHARS]


def matches(field: str, value: str | None, ref: str, key: bytes) -> bool:
    """Whether ``value`` is the value ``ref`` commits to (constant-time comparison)."""
    return value is not None and hmac.compare_digest(commit(field, value, key), ref)


def load_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The network's commitment key from the environment; a clear error when it is missing.

    The key is never printed: errors name the variables, never their values.
    """
    env = os.environ if environ is None else environ
    text = env.get(KEY_ENV)
    if text:
        key = text.encode("utf-8")
        where = KEY_ENV
    elif env.get(KEY_FILE_ENV):
        path = Path(env[KEY_FILE_ENV])
        try:
            key = path.read_bytes().strip()
        except OSError as err:
            raise ConfigError(
                f"cannot read the contacts key ({err.strerror})", file=path, field=KEY_FILE_ENV
            ) from None
        where = KEY_FILE_ENV
    else:
        raise ConfigError(
            f"policy.contacts_in_git is false: set {KEY_ENV} (or {KEY_FILE_ENV}, a file "
            f"holding it) to the network's secret of at least {MIN_KEY_BYTES} bytes",
            field="contacts_in_git",
        )
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the contacts key in {where} is shorter than {MIN_KEY_BYTES} bytes", field=where
        )
    return key


@dataclass(frozen=True, slots=True)
class Committed:
    """People with their contacts replaced by commitments, and the values taken out."""

    people: tuple[Person, ...]
    contacts: dict[str, dict[str, str]]


def commit_people(people: Iterable[Person], key: bytes) -> Committed:
    """Replace every person's email and phone by its commitment; collect the values.

    A person who already holds only commitments (e.g. kept from the previous state) stays as
    they are, so rendering twice gives the same records.
    """
    out: list[Person] = []
    contacts: dict[str, dict[str, str]] = {}
    for person in people:
        values = {f: v for f in CONTACT_FIELDS if (v := getattr(person, f)) is not None}
        if values:
            contacts[person.employee_id] = values
        out.append(seal(person, key))
    return Committed(tuple(out), contacts)


def seal(person: Person, key: bytes) -> Person:
    """The person as the state records them: each email and phone replaced by its
    commitment (a person holding only commitments is returned as is)."""
    if person.email is None and person.phone is None:
        return person
    email_ref = person.email_ref if person.email is None else commit("email", person.email, key)
    phone_ref = person.phone_ref if person.phone is None else commit("phone", person.phone, key)
    return replace(person, email=None, phone=None, email_ref=email_ref, phone_ref=phone_ref)


# --- the contacts file -----------------------------------------------------------------------


def write_contacts(path: Path, contacts: Contacts) -> None:
    """Write the contacts file: mode 0600 from its first byte, whole or not at all."""
    doc = {
        "format": _FORMAT,
        "version": _VERSION,
        "contacts": {eid: dict(sorted(contacts[eid].items())) for eid in sorted(contacts)},
    }
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, text)  # mode 0600
    except OSError as err:
        raise InputError(
            f"cannot write the contacts file ({err.strerror})", file=path, field="--contacts-out"
        ) from None


def read_contacts(path: Path) -> dict[str, dict[str, str]]:
    """The contacts file's values; a one-line error for anything but the written form."""

    def bad(message: str) -> InputError:
        return InputError(message, file=path, field="--contacts")

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise bad("contacts file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise bad(f"cannot read the contacts file ({err})") from None
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise bad(f"not JSON (line {getattr(err, 'lineno', '?')})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise bad(f"not a contacts file (no format {_FORMAT!r})")
    if doc.get("version") != _VERSION:
        raise bad(f"contacts file version {doc.get('version')!r} (this tool reads {_VERSION})")
    raw = doc.get("contacts")
    if not isinstance(raw, dict):
        raise bad("'contacts' must be an object")
    out: dict[str, dict[str, str]] = {}
    for eid, values in raw.items():
        if not isinstance(values, dict) or not all(
            f in CONTACT_FIELDS and isinstance(v, str) for f, v in values.items()
        ):
            raise bad(f"contacts of {eid!r} must be an object of email and phone strings")
        out[eid] = dict(values)
    return out


# --- resolving commitments for a plan -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    """A desired state whose commitments are replaced by values wherever one is known."""

    desired: DesiredState
    last_applied: DesiredState | None
    refused: tuple[StateError, ...]  # one per person whose contact cannot be resolved

    @property
    def withheld(self) -> frozenset[str]:
        return frozenset(str(e.employee_id) for e in self.refused)


def has_refs(state: DesiredState | None) -> bool:
    return state is not None and any(p.email_ref or p.phone_ref for p in state.people)


def resolve(
    desired: DesiredState,
    last_applied: DesiredState | None,
    live: LiveSnapshot,
    values: Contacts,
    key: bytes,
    *,
    source: Path | None = None,
) -> Resolved:
    """Replace each commitment by the value it commits to, taken from the contacts file, or
    from the live user when theirs already matches (nothing to change then).

    A person whose commitment neither a contact value nor the live value matches is refused:
    listed with the reason, and left with the commitment (plan withholds them). A value that
    does not match the reviewed commitment is never used. The last-applied state's
    commitments are resolved to the same values when they commit to them, so the planner
    tells an HR change from drift as with contacts in git.
    """
    live_by_id: dict[str, LiveUser] = {}
    for live_user in live.users:
        if live_user.employee_id is not None:
            live_by_id.setdefault(live_user.employee_id, live_user)
    people: list[Person] = []
    refused: list[StateError] = []
    known: dict[str, dict[str, str]] = {}  # employee id -> field -> resolved value
    for person in desired.people:
        eid = person.employee_id
        user = live_by_id.get(eid)
        found: dict[str, str] = {}
        reasons: list[str] = []
        for fld in CONTACT_FIELDS:
            ref: str | None = getattr(person, f"{fld}_ref")
            if ref is None or getattr(person, fld) is not None:
                continue
            given = values.get(eid, {}).get(fld)
            current = getattr(user, fld) if user is not None else None
            if given is not None:
                if matches(fld, given, ref, key):
                    found[fld] = canonical(fld, given)
                else:
                    reasons.append(f"the {fld} in the contacts file does not match {fld}_ref")
            elif matches(fld, current, ref, key):
                found[fld] = canonical(fld, str(current))
            elif current is None:
                reasons.append(f"no {fld} in the contacts file")
            else:
                reasons.append(f"no {fld} in the contacts file, and Speakap's differs")
        if reasons:
            refused.append(
                StateError(
                    "; ".join(reasons) + ": not planned, left as it is in Speakap",
                    file=source,
                    employee_id=eid,
                )
            )
            people.append(person)
            continue
        known[eid] = found
        people.append(_with_values(person, found))
    last = last_applied
    if last_applied is not None:
        last = replace(
            last_applied,
            people=tuple(
                _last_resolved(p, known.get(p.employee_id, {}), live_by_id, key)
                for p in last_applied.people
            ),
        )
    return Resolved(replace(desired, people=tuple(people)), last, tuple(refused))


def _with_values(person: Person, found: Mapping[str, str]) -> Person:
    if not found:
        return person
    changes: dict[str, str | None] = {}
    for fld, value in found.items():
        changes[fld] = value
        changes[f"{fld}_ref"] = None
    return replace(person, **changes)  # type: ignore[arg-type]


def _last_resolved(
    person: Person, found: Mapping[str, str], live_by_id: Mapping[str, LiveUser], key: bytes
) -> Person:
    resolved: dict[str, str] = {}
    user = live_by_id.get(person.employee_id)
    for fld in CONTACT_FIELDS:
        ref: str | None = getattr(person, f"{fld}_ref")
        if ref is None or getattr(person, fld) is not None:
            continue
        current = getattr(user, fld) if user is not None else None
        for candidate in (found.get(fld), current):
            if candidate is not None and matches(fld, candidate, ref, key):
                resolved[fld] = canonical(fld, candidate)
                break
    return _with_values(person, resolved)
