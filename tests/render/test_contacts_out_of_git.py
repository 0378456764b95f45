"""Render with policy contacts_in_git: false: users/ holds commitments, the contacts file the
values; users/ never depends on the contacts file."""

from __future__ import annotations

import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired import contacts
from reconciler.errors import ConfigError
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, Sync, employee

KEY = "a-network-secret-for-the-contacts"


@pytest.fixture
def private(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> Sync:
    monkeypatch.setenv("SPEAKAP_SYNC_PII_KEY", KEY)
    policy = sync.state_dir / "policy.yaml"
    policy.write_text(policy.read_text() + "contacts_in_git: false\n")
    return sync


def _render(sync: Sync, rows: list[dict[str, str]], out: Path, workers: int = 1) -> str:
    report = render_to_disk(
        sync.export(rows), sync.state_dir, DAY1, contacts_out=out, workers=workers
    )
    return report.summary()


def test_users_hold_commitments_and_the_private_file_the_values(
    private: Sync, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "contacts.json"
    _render(private, [employee("000100"), employee("000101", phone="")], out)
    text = "".join(private.users_text().values())
    assert "@" not in text and "+316" not in text
    assert text.count('email_ref: "hmac:') == 2 and text.count('phone_ref: "hmac:') == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert contacts.read_contacts(out) == {
        "000100": {"email": "anouk.000100@versmarkt.nl", "phone": "+31612345678"},
        "000101": {"email": "anouk.000101@versmarkt.nl"},
    }
    person = private.person("000100")
    assert person is not None and person.invite_channel == "email" and person.email is None


def test_rendering_the_same_export_again_updates_nobody(private: Sync, tmp_path: Path) -> None:
    out = tmp_path / "contacts.json"
    rows = [employee("000100"), employee("000101")]
    _render(private, rows, out)
    first = private.users_text()
    assert "0 updated" in _render(private, rows, out)
    assert private.users_text() == first


def test_a_changed_email_updates_one_person_on_one_line(private: Sync, tmp_path: Path) -> None:
    out = tmp_path / "contacts.json"
    _render(private, [employee("000100"), employee("000101")], out)
    before = "".join(private.users_text().values()).splitlines()
    summary = _render(
        private, [employee("000100", email="a.vries@versmarkt.nl"), employee("000101")], out
    )
    after = "".join(private.users_text().values()).splitlines()
    assert "1 updated" in summary
    [(old, new)] = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert old.startswith('  email_ref: "hmac:') and new.startswith('  email_ref: "hmac:')


def test_a_parallel_render_writes_the_same_commitments(private: Sync, tmp_path: Path) -> None:
    rows = [employee(f"000{n}") for n in range(100, 140)]
    _render(private, rows, tmp_path / "a.json", workers=1)
    serial = private.users_text()
    shutil.rmtree(private.state_dir / "users")
    _render(private, rows, tmp_path / "b.json", workers=3)
    assert private.users_text() == serial
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


def test_a_missing_key_stops_render_before_anything_is_written(
    private: Sync, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPEAKAP_SYNC_PII_KEY")
    monkeypatch.delenv("SPEAKAP_SYNC_PII_KEY_FILE", raising=False)
    with pytest.raises(ConfigError, match="SPEAKAP_SYNC_PII_KEY"):
        _render(private, [employee("000100")], tmp_path / "contacts.json")
    assert not (private.state_dir / "users").exists()
    assert not (tmp_path / "contacts.json").exists()


_emails = st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@[a-z]{2,8}\.nl", fullmatch=True)
_phones = st.sampled_from(["06-12345678", "0612345679", "+31 6 87654321", ""])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(st.tuples(_emails, _phones), min_size=1, max_size=5),
    existing=st.one_of(st.none(), st.text(max_size=50)),
)
def test_users_are_byte_identical_with_and_without_a_contacts_file(
    private: Sync, people: list[tuple[str, str]], existing: str | None
) -> None:
    rows = [employee(f"00{100 + i}", email=e, phone=p) for i, (e, p) in enumerate(people)]
    results = []
    for has_file in (False, True):
        work = Path(tempfile.mkdtemp())
        state = work / "desired-state"
        shutil.copytree(private.state_dir, state, ignore=shutil.ignore_patterns("users"))
        out = work / "elsewhere" / "contacts.json"
        if has_file:
            out.parent.mkdir()
            out.write_text(existing or "")
        run = Sync(state, work)
        render_to_disk(run.export(rows), state, DAY1, contacts_out=out, workers=1)
        results.append(run.users_text())
        shutil.rmtree(work)
    assert results[0] == results[1]
