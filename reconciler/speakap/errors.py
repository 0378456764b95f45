"""Typed errors of the Speakap (SCIM) client.

A SCIM error response (``status``, ``scimType``, ``detail``) becomes one of these; messages
never carry the token or request headers, only the method, path and the server's detail.
"""

from __future__ import annotations

from reconciler.errors import SpeakapError


class ScimError(SpeakapError):
    """The server answered with a SCIM error (RFC 7644 3.12)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        scim_type: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail


class AuthenticationError(ScimError):
    """401/403: the token is missing, wrong or lacks rights. Stops the whole run."""


class NotFoundError(ScimError):
    """404: the resource does not exist (any more)."""


class UniquenessError(ScimError):
    """409: another resource already holds this userName or externalId."""


class PreconditionFailedError(ScimError):
    """412: the resource changed since it was read (ETag mismatch); re-read and retry."""


class InvalidRequestError(ScimError):
    """400 and other 4xx: the server refused the request (bad filter, value, syntax...)."""


class UnavailableError(ScimError):
    """The server kept failing (5xx, timeouts, dropped connections) after every retry."""


class MaybeLandedError(UnavailableError):
    """A request that changes things failed where it may have reached the server (a timeout, a
    dropped connection, a 5xx): whether it landed is unknown until the state is read again."""


class ConfigurationError(SpeakapError):
    """The connection settings are incomplete: no URL, no token, a bad speakap.yaml."""


class NotReadyError(SpeakapError):
    """The preflight found the server unfit for the dialect (missing attributes, extensions,
    features): plan and apply refuse before anything is computed or written."""
