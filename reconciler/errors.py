"""Every error a user can cause or meet, in one hierarchy, and the redactor their texts pass.

Errors carry what the user needs to fix the problem (file, line, field, employee id) and are
reported once, at the CLI edge, without a traceback. Each kind maps to a process exit code.
:func:`redact` removes credentials from any text that came from outside (a server's answer)
before it is printed or journaled; the CLI edge passes every error through it once more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3


class SyncError(Exception):
    """Base of all errors reported to the user. Exit code 1 unless a subclass says otherwise."""

    exit_code = EXIT_ERROR

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        employee_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.employee_id = employee_id

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        extra = []
        if self.field:
            extra.append(f"field '{self.field}'")
        if self.employee_id:
            extra.append(f"employee {self.employee_id}")
        suffix = f" ({', '.join(extra)})" if extra else ""
        return f"{where}{self.message}{suffix}"


class ConfigError(SyncError):
    """A file in desired-state/ is invalid (schema, references, unknown keys)."""


class InputError(SyncError):
    """An HR export cannot be read as a whole (encoding, missing column, unknown format)."""


class StateError(SyncError):
    """The desired state on disk or in git is inconsistent."""


class BlockedError(SyncError):
    """A safety guard or a stale plan stops the run. Exit code 3."""

    exit_code = EXIT_BLOCKED


class StalePlanError(BlockedError):
    """Apply refuses a reviewed plan that live or desired state has outgrown. Exit code 3."""


class ApplyDeclined(SyncError):
    """The operator said no to applying a plan nobody reviewed: nothing was changed."""


class SpeakapError(SyncError):
    """Base of errors raised while talking to the Speakap (SCIM) API."""


# -- redaction ----------------------------------------------------------------------------------

SECRET_ENV_VARS = (
    "SPEAKAP_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "HR_EXPORT_TOKEN",
    "SPEAKAP_SYNC_PII_KEY",
)
MIN_SECRET_LENGTH = 8  # a shorter value is too likely to be an ordinary word to be cut out
REDACTED = "***"

_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|cookie|set-cookie)([\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|(?:bearer|basic|token|digest)\s+\S+|[^\s,;]+)"
)
# a bare "Bearer <credential>" (RFC 6750's token68 shape, at least 8 long: not a word)
_SCHEME_CREDENTIALS = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s?#@\"'<>]+@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:access_token|token|api_key|apikey|key|password|passwd|secret|"
    r"client_secret|sig|signature)=)[^&\s#\"'<>]+"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every credential cut out: each of ``secrets`` (and its URL-encoded
    forms), any ``Authorization``/``Cookie`` header value (``Bearer``, ``Basic``...), a bare
    ``Bearer`` credential, a URL's ``user:password@`` and secret-looking query parameters
    (``token=``, ``key=``...).

    Server answers pass through here before they are printed or journaled: a server may echo
    the request's headers in its error text.
    """
    forms = _secret_forms(secrets)
    text = _cut(text, forms)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _cut(text, forms)  # again: a cut may have joined the pieces of a secret


def _secret_forms(secrets: Iterable[str | None]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            forms |= {secret, quote(secret, safe=""), quote(secret)}
    return sorted(forms, key=len, reverse=True)


def _cut(text: str, forms: list[str]) -> str:
    changed = True
    while changed:  # each cut shortens the text (a form is longer than REDACTED): it ends
        changed = False
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
                changed = True
    return text


def env_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets the environment holds (the tokens of every system the tool talks to)."""
    return tuple(env[name].strip() for name in SECRET_ENV_VARS if env.get(name, "").strip())
