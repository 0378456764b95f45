"""The printable invite sheets encrypted with age (pyrage), so they can leave the machine that
applied: only the network owner's identity opens them.

Apply writes a sheet and, when ``policy.yaml`` names ``invite_sheets.recipients``, replaces it
at once by ``<sheet>.age`` (mode 0600) and removes the clear one; CI uploads ``*.age`` only.
Opening a sheet needs an identity (``AGE-SECRET-KEY-1...`` or an SSH private key) from a file
or from the environment, never from the command line, where other users could read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyrage

from reconciler.errors import ConfigError, InputError

IDENTITY_ENV = "SPEAKAP_AGE_IDENTITY"  # the identity itself
IDENTITY_FILE_ENV = "SPEAKAP_AGE_IDENTITY_FILE"  # a file holding it
SUFFIX = ".age"
POLICY = "policy.yaml"


def recipients(keys: Iterable[str]) -> list[Any]:
    """age or SSH public keys parsed; a bad one is a ConfigError naming policy.yaml."""
    parsed = []
    for key in keys:
        try:
            if key.startswith("ssh-"):
                parsed.append(pyrage.ssh.Recipient.from_str(key))
            else:
                parsed.append(pyrage.x25519.Recipient.from_str(key))
        except pyrage.RecipientError as err:
            shown = key if len(key) <= 24 else key[:20] + "..."
            raise ConfigError(
                f"not a public key {shown!r}: {err}",
                file=POLICY,
                field="invite_sheets.recipients",
            ) from None
    return parsed


def seal_sheets(sheets: Sequence[Path], keys: Sequence[str]) -> list[Path]:
    """Encrypt each sheet to ``keys`` as ``<sheet>.age`` (never over an earlier one) and remove
    the clear sheet. Returns the sealed paths; with no keys, the sheets as they are."""
    if not keys:
        return list(sheets)
    to = recipients(keys)
    sealed = []
    for sheet in sheets:
        data = pyrage.encrypt(sheet.read_bytes(), to)
        fd, path = _create_new(sheet.parent, sheet.name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        sheet.unlink()
        sealed.append(path)
    return sealed


def generate_identity(out: Path) -> str:
    """Write a new age identity to ``out`` (0600, never over an existing file); returns its
    public key."""
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("exists already: an identity is never overwritten", file=out) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# public key: {public}\n{identity}\n")
    return public


def load_identities(identity_file: Path | None, env: Mapping[str, str] | None = None) -> list[Any]:
    """The identities from ``identity_file``, else ``$SPEAKAP_AGE_IDENTITY``, else the file
    named by ``$SPEAKAP_AGE_IDENTITY_FILE``."""
    env = os.environ if env is None else env
    if identity_file is None and env.get(IDENTITY_ENV):
        return _parse_identities(env[IDENTITY_ENV], f"${IDENTITY_ENV}")
    if identity_file is None and env.get(IDENTITY_FILE_ENV):
        identity_file = Path(env[IDENTITY_FILE_ENV])
    if identity_file is None:
        raise InputError(
            f"no identity: pass --identity-file, or set {IDENTITY_ENV} or {IDENTITY_FILE_ENV}"
        )
    try:
        text = identity_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the identity: {reason}", file=identity_file) from None
    return _parse_identities(text, str(identity_file))


def _parse_identities(text: str, origin: str) -> list[Any]:
    try:
        if "-----BEGIN" in text:
            return [pyrage.ssh.Identity.from_buffer(text.encode())]
        lines = [line.strip() for line in text.splitlines()]
        keys = [line for line in lines if line and not line.startswith("#")]
        found = [pyrage.x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError:
        found = []  # the error text could quote the secret: say only that it is not one
    if not found:
        raise InputError("holds no age identity (AGE-SECRET-KEY-1...) nor SSH key", file=origin)
    return found


def open_sheet(sheet: Path, identities: Sequence[Any], out: Path | None = None) -> Path:
    """Decrypt ``sheet`` to ``<out or its folder>/<name without .age>`` (0600, never over an
    existing file); returns the clear sheet's path."""
    if sheet.suffix != SUFFIX:
        raise InputError(f"not an encrypted sheet (*{SUFFIX})", file=sheet)
    try:
        data = pyrage.decrypt(sheet.read_bytes(), list(identities))
    except OSError as err:
        raise InputError(f"cannot read it: {err.strerror}", file=sheet) from None
    except pyrage.DecryptError as err:
        raise InputError(f"cannot decrypt it: {err}", file=sheet) from None
    target = (out or sheet.parent) / sheet.name.removesuffix(SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("exists already: remove it or pass --out", file=target) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return target


def _create_new(folder: Path, name: str) -> tuple[int, Path]:
    """``<name>.age``, or ``<stem>-N<suffix>.age`` when an earlier run's sheet holds it."""
    stem, dot, ext = name.rpartition(".")
    n = 1
    while True:
        base = name if n == 1 else f"{stem}-{n}{dot}{ext}" if dot else f"{name}-{n}"
        path = folder / f"{base}{SUFFIX}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            n += 1
            continue
        os.fchmod(fd, 0o600)
        return fd, path
