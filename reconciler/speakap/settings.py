"""Connection settings: where the Speakap SCIM API is, how hard to push it, and its dialect.

Read from ``desired-state/speakap.yaml`` (validated by ``schemas/speakap.schema.json``) and the
environment: ``SPEAKAP_URL`` overrides the file's ``url``; the token comes only from
``SPEAKAP_TOKEN`` or the file named by ``SPEAKAP_TOKEN_FILE``, never from a file in git, argv
or a log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reconciler.desired.config import SPEAKAP_FILE
from reconciler.errors import ConfigError
from reconciler.model import Progress
from reconciler.speakap import preflight
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.errors import ConfigurationError
from reconciler.speakap.preflight import Readiness

SETTINGS_FILE = SPEAKAP_FILE


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    base_url: str
    token: Secret = field(repr=False)
    rate_limit: float | None = 20.0  # requests per second (client side)
    concurrency: int = 8
    timeout: float = 30.0
    page_size: int = 1000
    fail_fast: int = 10  # apply stops after this many same failures in a row of one kind
    bulk: bool = True  # SCIM Bulk when the server announces it
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dialect: Dialect = field(default_factory=Dialect)
    network_name: str | None = None  # printed on invite sheets
    app_url: str | None = None  # where staff get the app or sign in (invite sheets, as QR)

    @property
    def batch_size(self) -> int:
        return self.dialect.batch_size

    @classmethod
    def load(
        cls, state_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> ConnectionSettings:
        """Settings from ``state_dir/speakap.yaml`` (optional) and the environment."""
        env = os.environ if env is None else env
        doc: Mapping[str, Any] = {}
        path = state_dir / SETTINGS_FILE if state_dir is not None else None
        if path is not None and path.exists():
            doc = _read(path)
        url = env.get("SPEAKAP_URL") or doc.get("url")
        if not url:
            raise ConfigurationError(
                "no Speakap URL: set SPEAKAP_URL or 'url' in desired-state/speakap.yaml"
            )
        retries = doc.get("retries") or {}
        try:
            dialect = Dialect.from_mapping(dict(doc.get("dialect") or {}))
        except ValueError as exc:
            raise ConfigError(str(exc), file=path, field="dialect") from None
        rate = doc.get("rate_limit", 20.0)
        network = doc.get("network") or {}
        return cls(
            base_url=str(url),
            token=token_from_env(env),
            rate_limit=float(rate) if rate else None,
            concurrency=int(doc.get("concurrency", 8)),
            timeout=float(doc.get("timeout", 30.0)),
            page_size=int(doc.get("page_size", 1000)),
            fail_fast=int(doc.get("fail_fast", 10)),
            bulk=bool(doc.get("bulk", True)),
            retry=RetryPolicy(
                attempts=int(retries.get("attempts", 6)),
                base_delay=float(retries.get("base_delay", 0.5)),
                max_delay=float(retries.get("max_delay", 10.0)),
            ),
            dialect=dialect,
            network_name=network.get("name"),
            app_url=network.get("app_url"),
        )


def token_from_env(env: Mapping[str, str]) -> Secret:
    token = env.get("SPEAKAP_TOKEN")
    if token:
        return _header_safe(token.strip(), "SPEAKAP_TOKEN", None)
    token_file = env.get("SPEAKAP_TOKEN_FILE")
    if token_file:
        try:
            # utf-8-sig: a file saved by a Windows editor starts with a byte-order mark
            value = Path(token_file).read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the token file named by SPEAKAP_TOKEN_FILE ({exc.strerror})",
                file=token_file,
            ) from None
        except UnicodeDecodeError:
            raise ConfigurationError(
                "the token file named by SPEAKAP_TOKEN_FILE is not UTF-8 text", file=token_file
            ) from None
        if value:
            return _header_safe(value, "SPEAKAP_TOKEN_FILE", token_file)
        raise ConfigurationError("the token file is empty", file=token_file)
    raise ConfigurationError("no Speakap token: set SPEAKAP_TOKEN or SPEAKAP_TOKEN_FILE")


def _header_safe(value: str, source: str, file: str | None) -> Secret:
    """The token as a Secret, if an HTTP header can carry it (printable ASCII); the error
    never shows the token, not even the offending character."""
    if all(" " <= c <= "~" for c in value):
        return Secret(value)
    raise ConfigurationError(
        f"the token from {source} holds a character an HTTP header cannot carry "
        "(only printable ASCII): check how it was copied",
        file=file,
    )


def _read(path: Path) -> Mapping[str, Any]:
    from reconciler.desired.documents import load_text

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 ({err.reason})", file=path) from None
    doc = load_text(text, str(path), "speakap")
    return doc if isinstance(doc, Mapping) else {}


def open_client(settings: ConnectionSettings) -> ScimClient:
    return ScimClient(
        settings.base_url,
        settings.token,
        rate_limit=settings.rate_limit,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
        page_size=settings.page_size,
        retry=settings.retry,
    )


def open_backend(settings: ConnectionSettings, progress: Progress | None = None) -> ScimBackend:
    return ScimBackend(
        open_client(settings), settings.dialect, use_bulk=settings.bulk, progress=progress
    )


def open_ready_backend(
    settings: ConnectionSettings, progress: Progress | None = None
) -> tuple[ScimBackend, Readiness]:
    """A backend whose dialect has ``memberships_from`` resolved, once the server passed the
    preflight; :class:`NotReadyError` (nothing computed, nothing written) when it did not."""
    backend = open_backend(settings, progress)
    try:
        readiness = preflight.check(backend.client, backend.dialect)
        readiness.raise_if_not_ready()
    except BaseException:
        backend.close()
        raise
    backend.dialect = replace(backend.dialect, memberships_from=readiness.memberships_from)
    return backend, readiness
