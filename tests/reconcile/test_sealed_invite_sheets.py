"""Printable invite sheets leave the machine only encrypted to the owner's key: sealing
replaces the clear sheet, only the owner's identity opens it, and no secret ever has to be
given on the command line."""

from __future__ import annotations

import stat
from pathlib import Path

import pyrage
import pytest

from reconciler.cli import run
from reconciler.errors import ConfigError, InputError
from reconciler.reconcile.sealing import (
    IDENTITY_ENV,
    generate_identity,
    load_identities,
    open_sheet,
    seal_sheets,
)

SHEET = "<html><body>Login: anna · One-time code: 7K3-QX9</body></html>\n"


def sheet(folder: Path, name: str = "invites-store.html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SHEET, encoding="utf-8")
    return path


def test_a_sealed_sheet_replaces_the_clear_one_and_opens_with_the_identity(
    tmp_path: Path,
) -> None:
    public = generate_identity(tmp_path / "owner.agekey")
    clear = sheet(tmp_path / "invites")
    (sealed,) = seal_sheets([clear], [public])
    assert sealed.name == "invites-store.html.age" and not clear.exists()
    assert b"7K3-QX9" not in sealed.read_bytes()
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o600
    opened = open_sheet(sealed, load_identities(tmp_path / "owner.agekey"), tmp_path / "open")
    assert opened.read_text(encoding="utf-8") == SHEET
    assert stat.S_IMODE(opened.stat().st_mode) == 0o600


def test_without_recipients_the_sheets_stay_as_written(tmp_path: Path) -> None:
    clear = sheet(tmp_path)
    assert seal_sheets([clear], []) == [clear] and clear.read_text() == SHEET


def test_an_earlier_runs_sealed_sheet_is_never_overwritten(tmp_path: Path) -> None:
    public = generate_identity(tmp_path / "k")
    first = seal_sheets([sheet(tmp_path / "i")], [public])
    second = seal_sheets([sheet(tmp_path / "i")], [public])
    assert [p.name for p in first + second] == [
        "invites-store.html.age",
        "invites-store-2.html.age",
    ]


def test_any_of_several_recipients_opens_the_sheet(tmp_path: Path) -> None:
    keys = [generate_identity(tmp_path / "a"), generate_identity(tmp_path / "b")]
    (sealed,) = seal_sheets([sheet(tmp_path / "i")], keys)
    assert open_sheet(sealed, load_identities(tmp_path / "b")).read_text() == SHEET


def test_a_bad_recipient_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        seal_sheets([sheet(tmp_path)], ["age1notakey"])
    assert "policy.yaml" in str(caught.value) and "invite_sheets.recipients" in str(caught.value)
    assert (tmp_path / "invites-store.html").exists()


def test_the_wrong_identity_cannot_open_a_sheet(tmp_path: Path) -> None:
    (sealed,) = seal_sheets([sheet(tmp_path / "i")], [generate_identity(tmp_path / "a")])
    generate_identity(tmp_path / "other")
    with pytest.raises(InputError, match="cannot decrypt"):
        open_sheet(sealed, load_identities(tmp_path / "other"))


def test_the_identity_comes_from_the_environment_or_a_file_never_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    identity = pyrage.x25519.Identity.generate()
    (sealed,) = seal_sheets([sheet(tmp_path / "i")], [str(identity.to_public())])
    monkeypatch.setenv(IDENTITY_ENV, str(identity))
    assert run(["invites", "decrypt", str(sealed), "--out", str(tmp_path / "open")]) == 0
    assert (tmp_path / "open" / "invites-store.html").read_text() == SHEET
    out = capsys.readouterr()
    assert str(identity) not in out.out + out.err
    assert run(["invites", "decrypt", "--help"]) == 0
    assert "--identity" not in capsys.readouterr().out.replace("--identity-file", "")


def test_a_file_that_holds_no_identity_is_refused_without_quoting_it(tmp_path: Path) -> None:
    bad = tmp_path / "key"
    bad.write_text("AGE-SECRET-KEY-1SECRETBUTBROKEN\n")
    with pytest.raises(InputError) as caught:
        load_identities(bad, env={})
    assert "SECRETBUTBROKEN" not in str(caught.value)
    with pytest.raises(InputError, match="no identity"):
        load_identities(None, env={})


def test_keygen_prints_the_public_key_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "owner.agekey"
    assert run(["invites", "keygen", "--out", str(key)]) == 0
    assert "age1" in capsys.readouterr().out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_text()
    assert run(["invites", "keygen", "--out", str(key)]) == 1
    assert key.read_text() == before
