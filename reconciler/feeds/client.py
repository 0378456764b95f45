"""HTTP for HR feeds: authentication, paging, retries and limits, one layer each.

Secrets come from the environment only and never appear in errors: every message about an
answer passes :func:`reconciler.errors.redact` with the secrets in use. Redirects are not
followed (a redirect to another host would carry the credentials along).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpx

from reconciler.errors import InputError, redact
from reconciler.feeds.config import FeedConfig, workflow_hint

log = logging.getLogger(__name__)  # retries and 429 waits: the CLI prints them as warnings
MAX_PAGE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class FeedClient:
    """Pages through one feed. ``records()`` yields flat records (nested keys joined by '.')."""

    def __init__(
        self,
        config: FeedConfig,
        env: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.pages = 0
        self._env = env
        self._sleep = sleep or time.sleep
        self._http = httpx.Client(transport=transport, timeout=config.timeout)
        self._secrets: list[str] = []
        self._token: str | None = None

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.close()

    # -- paging ---------------------------------------------------------------------------------

    def records(self) -> Iterator[dict[str, Any]]:
        for page in self.pages_of_records():
            yield from page

    def pages_of_records(self) -> Iterator[list[dict[str, Any]]]:
        """The flat records, one list per page."""
        paging = self.config.paging
        url: str | None = self.config.url
        params: dict[str, Any] = {}
        if paging.type in ("page", "skip_take", "cursor", "next_link"):
            params[paging.size_param] = paging.size
        if paging.type == "page":
            params[paging.page_param] = paging.first_page
        if paging.type == "skip_take":
            params[paging.skip_param] = 0
        seen: set[str] = set()
        while url is not None:
            if self.pages >= paging.max_pages:
                raise InputError(f"the HR feed did not end after {paging.max_pages} pages")
            key = url + json.dumps(params, sort_keys=True)
            if key in seen:
                raise InputError("the HR feed returned the same page twice: paging loops")
            seen.add(key)
            body = self._get(url, params)
            self.pages += 1
            rows = self._rows(body)
            yield [flatten(row) for row in rows]
            url, params = self._next(url, params, body, len(rows))

    def _next(
        self, url: str, params: dict[str, Any], body: Any, count: int
    ) -> tuple[str | None, dict[str, Any]]:
        paging = self.config.paging
        if paging.type == "none" or count == 0:
            return None, params
        if paging.type == "page":
            done = count < paging.size
            return (None if done else url), {
                **params,
                paging.page_param: params[paging.page_param] + 1,
            }
        if paging.type == "skip_take":
            done = count < paging.size
            skip = params[paging.skip_param] + count
            return (None if done else url), {**params, paging.skip_param: skip}
        if paging.type == "cursor":
            cursor = dig(body, paging.cursor_path)
            if not cursor:
                return None, params
            return url, {**params, paging.cursor_param: str(cursor)}
        link = dig(body, paging.next_path)
        if isinstance(link, Mapping):
            link = link.get("href")
        if not link:
            return None, params
        return urljoin(url, str(link)), {}  # a next link carries its own query

    def _rows(self, body: Any) -> list[Mapping[str, Any]]:
        path = self.config.records
        rows = dig(body, path) if path else body
        if path is None and isinstance(body, Mapping):
            lists = [v for v in body.values() if isinstance(v, list)]
            rows = lists[0] if len(lists) == 1 else None
        if not isinstance(rows, list):
            where = f"under `{path}`" if path else "(set `records` in the feed)"
            raise InputError(f"the HR feed's answer holds no list of records {where}")
        bad = [i for i, row in enumerate(rows, 1) if not isinstance(row, Mapping)]
        if bad:
            raise InputError(f"the HR feed's record {bad[0]} on page {self.pages} is no object")
        return rows

    # -- one request: auth, retries, limits -------------------------------------------------------

    def _get(self, url: str, params: Mapping[str, Any]) -> Any:
        refreshed = False
        for attempt in range(self.config.retries + 1):
            try:
                query = dict(params) or None  # httpx replaces a URL's own query with {}
                response = self._http.get(url, params=query, headers=self._auth_headers())
            except httpx.HTTPError as err:
                if attempt == self.config.retries:
                    raise InputError(f"cannot reach the HR feed: {type(err).__name__}") from None
                self._wait(min(2.0**attempt, 30.0), type(err).__name__, attempt)
                continue
            if response.status_code == 401 and self.config.auth.type == "oauth2" and not refreshed:
                self._token, refreshed = None, True  # an expired token: fetch a new one once
                continue
            if response.status_code in _RETRY_STATUS and attempt < self.config.retries:
                delay = _retry_after(response) or min(2.0**attempt, 30.0)
                self._wait(delay, f"HTTP {response.status_code}", attempt)
                continue
            return self._json(response)
        raise InputError("the HR feed kept failing")  # pragma: no cover (the loop returns)

    def _wait(self, delay: float, why: str, attempt: int) -> None:
        if why == "HTTP 429":
            what = f"rate limited (429), waiting {delay:.1f} s"
        else:
            what = f"{why}, retrying in {delay:.1f} s"
        tries = self.config.retries + 1
        log.warning(
            "the HR feed, page %d: %s (attempt %d of %d)", self.pages + 1, what, attempt + 1, tries
        )
        self._sleep(delay)

    def _json(self, response: httpx.Response) -> Any:
        status = f"{response.status_code} {response.reason_phrase}"
        if response.status_code in (401, 403):
            raise InputError(self._redact(f"the HR feed refused the credentials ({status})"))
        if not response.is_success:
            raise InputError(self._redact(f"the HR feed answered {status}"))
        if len(response.content) > MAX_PAGE_BYTES:
            raise InputError(f"an HR feed page is larger than {MAX_PAGE_BYTES // 2**20} MiB")
        try:
            data = json.loads(response.content, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise InputError("the HR feed answered something that is not JSON") from None
        return data

    def _auth_headers(self) -> dict[str, str]:
        auth = self.config.auth
        if auth.type == "none":
            return {}
        if auth.type == "oauth2":
            return {"Authorization": f"Bearer {self._oauth_token()}"}
        token = self._secret(auth.token_env)
        if auth.type == "bearer":
            return {"Authorization": f"Bearer {token}"}
        return {auth.header: f"{auth.prefix}{token}"}

    def _oauth_token(self) -> str:
        if self._token is not None:
            return self._token
        auth = self.config.auth
        form = {
            "grant_type": "client_credentials",
            "client_id": self._secret(auth.client_id_env),
            "client_secret": self._secret(auth.client_secret_env),
        }
        if auth.scope:
            form["scope"] = auth.scope
        try:
            response = self._http.post(str(auth.token_url), data=form)
        except httpx.HTTPError as err:
            raise InputError(
                f"cannot reach the HR feed's token URL: {type(err).__name__}"
            ) from None
        if not response.is_success:
            status = f"{response.status_code} {response.reason_phrase}"
            raise InputError(self._redact(f"the HR feed refused the client credentials ({status})"))
        token = dig(self._json(response), "access_token")
        if not isinstance(token, str) or not token:
            raise InputError("the HR feed's token answer holds no access_token")
        self._secrets.append(token)
        self._token = token
        return token

    def _secret(self, name: str) -> str:
        value = self._env.get(name, "").strip()
        if not value:
            hint = workflow_hint(name)
            said = f", {hint}" if hint else f" (in CI: the repository secret {name})"
            raise InputError(f"the HR feed needs the environment variable {name}{said}")
        if value not in self._secrets:
            self._secrets.append(value)
        return value

    def _redact(self, text: str) -> str:
        return redact(text, tuple(self._secrets))


def dig(data: Any, path: str | None) -> Any:
    """The value at a dot path (``_meta.links.next``), or None."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects and lists as dot-joined keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    if depth > MAX_DEPTH:
        raise InputError(f"an HR feed record nests deeper than {MAX_DEPTH} levels")
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}.", depth + 1))
        elif isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
            items = {str(index): item for index, item in enumerate(value)}
            flat.update(flatten(items, f"{name}.", depth + 1))
        elif isinstance(value, list):
            flat[name] = ", ".join("" if v is None else str(v) for v in value)
        else:
            flat[name] = value
    return flat


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), 300.0)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(moment.timestamp() - time.time(), 300.0))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
