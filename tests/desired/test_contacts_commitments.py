"""Contacts outside git: keyed commitments, the key from the environment, the contacts file,
and resolving commitments to values for a plan."""

from __future__ import annotations

import re
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired import contacts
from reconciler.desired.state import check_state, parse_users, render_shards
from reconciler.errors import ConfigError, InputError
from reconciler.model import DesiredState, LiveSnapshot, LiveUser, Person, Policy

KEY = b"a-network-secret-of-32-bytes!!!!"
JAN = Person(
    employee_id="000100",
    given_name="Jan",
    family_name="Berg",
    email="jan@versmarkt.nl",
    phone="+31612345678",
    start_date=date(2020, 1, 1),
)


def test_a_commitment_is_labelled_128_bits_of_hex_and_depends_on_the_key() -> None:
    ref = contacts.commit("phone", "+31612345678", KEY)
    assert ref.startswith("hmac:") and len(ref) == len("hmac:") + 32
    int(ref[5:], 16)
    assert ref != contacts.commit("phone", "+31612345678", b"another-secret-of-32-bytes!!!!!!")
    assert ref != contacts.commit("email", "+31612345678", KEY)  # fields kept apart


def test_an_email_commits_in_the_form_plan_compares_it() -> None:
    assert contacts.commit("email", " Jan@Versmarkt.NL ", KEY) == contacts.commit(
        "email", "jan@versmarkt.nl", KEY
    )
    assert contacts.matches(
        "email", "JAN@versmarkt.nl", contacts.commit("email", JAN.email or "", KEY), KEY
    )


def test_a_missing_key_is_a_clear_error_naming_both_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        contacts.load_key({})
    assert "SPEAKAP_SYNC_PII_KEY" in str(caught.value)
    assert "SPEAKAP_SYNC_PII_KEY_FILE" in str(caught.value)


def test_a_short_key_is_refused_without_printing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        contacts.load_key({"SPEAKAP_SYNC_PII_KEY": "hunter2"})
    assert "hunter2" not in str(caught.value) and "shorter than 16 bytes" in str(caught.value)


def test_the_key_file_is_read_without_its_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(KEY + b"\n")
    assert contacts.load_key({"SPEAKAP_SYNC_PII_KEY_FILE": str(path)}) == KEY


def test_sealing_leaves_commitments_only_and_collects_the_values() -> None:
    committed = contacts.commit_people([JAN], KEY)
    [sealed] = committed.people
    assert sealed.email is None and sealed.phone is None
    assert sealed.email_ref == contacts.commit("email", "jan@versmarkt.nl", KEY)
    assert committed.contacts == {"000100": {"email": "jan@versmarkt.nl", "phone": "+31612345678"}}
    assert contacts.seal(sealed, KEY) == sealed  # sealing twice changes nothing


def test_a_changed_email_is_a_one_line_diff_in_the_shard() -> None:
    before = render_shards([contacts.seal(JAN, KEY)], 1)["users/all.yaml"].splitlines()
    moved = contacts.seal(replace(JAN, email="jan.berg@versmarkt.nl"), KEY)
    after = render_shards([moved], 1)["users/all.yaml"].splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].startswith('  email_ref: "hmac:')


def test_commitments_round_trip_through_the_shard_codec_and_the_schema() -> None:
    sealed = contacts.seal(JAN, KEY)
    text = render_shards([sealed], 1)["users/all.yaml"]
    assert parse_users(text, "users/all.yaml") == [sealed]
    # plain scalars: the YAML path, with the schema
    edited = re.sub(r'"(hmac:[0-9a-f]+)"', r"\1", text)
    assert parse_users(edited, "users/all.yaml") == [sealed]


def test_validate_flags_a_plain_contact_when_policy_keeps_contacts_out_of_git() -> None:
    state = DesiredState((), (replace(JAN, memberships=()),), Policy(contacts_in_git=False))
    assert any("contacts_in_git is false" in p.message for p in check_state(state))
    sealed = DesiredState((), (contacts.seal(JAN, KEY),), Policy(contacts_in_git=False))
    assert not [p for p in check_state(sealed) if p.field in ("email", "phone", "invite_channel")]


def test_the_contacts_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out" / "contacts.json"
    values = {"000100": {"email": "jan@versmarkt.nl", "phone": "+31612345678"}}
    contacts.write_contacts(path, values)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert contacts.read_contacts(path) == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "not a contacts file"),
        ('{"format": "speakap-sync contacts", "version": 9, "contacts": {}}', "version 9"),
        (
            '{"format": "speakap-sync contacts", "version": 1, "contacts": {"1": {"fax": "x"}}}',
            "email and phone strings",
        ),
    ],
)
def test_a_broken_contacts_file_is_a_one_line_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        contacts.read_contacts(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def _live(email: str | None, phone: str | None = "+31612345678") -> LiveSnapshot:
    user = LiveUser(id="u1", employee_id="000100", email=email, phone=phone, managed=True)
    return LiveSnapshot((user,), ())


def _desired() -> DesiredState:
    return DesiredState((), (contacts.seal(JAN, KEY),), Policy(contacts_in_git=False))


def test_a_matching_contacts_value_is_used() -> None:
    values = {"000100": {"email": "jan@versmarkt.nl", "phone": "+31612345678"}}
    resolved = contacts.resolve(_desired(), None, _live(None, None), values, KEY)
    assert resolved.refused == ()
    [person] = resolved.desired.people
    assert (person.email, person.phone, person.email_ref) == (JAN.email, JAN.phone, None)


def test_a_live_value_matching_the_commitment_needs_no_contacts_file() -> None:
    resolved = contacts.resolve(_desired(), None, _live("jan@versmarkt.nl"), {}, KEY)
    assert resolved.refused == ()
    assert resolved.desired.people[0].email == "jan@versmarkt.nl"


def test_a_tampered_value_is_refused_and_never_used() -> None:
    values = {"000100": {"email": "mallory@evil.example", "phone": "+31612345678"}}
    resolved = contacts.resolve(_desired(), None, _live("jan@versmarkt.nl"), values, KEY)
    [error] = resolved.refused
    assert error.employee_id == "000100" and "does not match email_ref" in error.message
    assert resolved.withheld == {"000100"}
    assert resolved.desired.people[0].email is None  # the commitment stays


def test_a_missing_value_that_live_does_not_hold_is_refused() -> None:
    resolved = contacts.resolve(_desired(), None, _live("old@versmarkt.nl"), {}, KEY)
    [error] = resolved.refused
    assert "no email in the contacts file, and Speakap's differs" in error.message


def test_last_applied_commitments_resolve_to_the_same_values() -> None:
    last = _desired()
    values = {"000100": {"email": "jan@versmarkt.nl", "phone": "+31612345678"}}
    resolved = contacts.resolve(_desired(), last, _live(None, None), values, KEY)
    assert resolved.last_applied is not None
    assert resolved.last_applied.people == resolved.desired.people


@given(st.emails(), st.from_regex(r"\+[1-9][0-9]{7,13}", fullmatch=True))
def test_a_sealed_shard_holds_no_contact_value(email: str, phone: str) -> None:
    person = replace(JAN, email=email.lower(), phone=phone)
    text = render_shards([contacts.seal(person, KEY)], 1)["users/all.yaml"]
    assert email.lower() not in text and phone not in text
