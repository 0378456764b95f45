"""Every error a user can cause or meet, in one hierarchy.

Errors carry what the user needs to fix the problem (file, line, field, employee id) and are
reported once, at the CLI edge, without a traceback. Each kind maps to a process exit code.
"""

from __future__ import annotations

from pathlib import Path

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


class ApplyDeclined(SyncError):
    """The operator said no to applying a plan nobody reviewed: nothing was changed."""


class SpeakapError(SyncError):
    """Base of errors raised while talking to the Speakap (SCIM) API."""
