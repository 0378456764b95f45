"""A SCIM 2.0 client (RFC 7644) over httpx, built for large networks and flaky servers.

- Listing pages through ``startIndex``/``count`` and, once ``totalResults`` is known, fetches
  the remaining pages concurrently; it dedupes by id and re-reads short pages (RFC 7644
  3.4.2.4), so a shifting collection never yields duplicates.
- Every request passes a client-side rate limiter and a concurrency limit.
- 429 waits for ``Retry-After``; 5xx, timeouts and dropped connections back off exponentially
  with full jitter, a bounded number of times. A request that may have reached the server is
  retried only when it is idempotent; a POST is retried only after a lookup (by externalId)
  shows it did not land.
- SCIM errors become the typed exceptions of :mod:`reconciler.speakap.errors`.
- ``bulk`` sends one SCIM Bulk request (RFC 7644 3.7) when ``bulk_limits`` says the server
  takes them; it is never repeated on its own (it may hold creates): a Bulk request whose
  answer was lost raises :class:`MaybeLandedError` and the caller checks its operations.
- The HTTP transport and the sleep are injectable (``transport=``, ``sleep=``), so tests drive
  throttling and faults through an ``httpx.MockTransport`` and record every wait.

The token lives in a :class:`Secret`; it is sent as a header and never appears in a repr,
a log line or an exception message.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from reconciler.errors import redact
from reconciler.speakap.dialect import LIST_SCHEMA, PATCH_SCHEMA
from reconciler.speakap.errors import (
    AuthenticationError,
    InvalidRequestError,
    MaybeLandedError,
    NotFoundError,
    PreconditionFailedError,
    ScimError,
    UnavailableError,
    UniquenessError,
)

log = logging.getLogger(__name__)

Json = dict[str, Any]
T = TypeVar("T")
SCIM_JSON = "application/scim+json"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


@dataclass(frozen=True, slots=True)
class BulkLimits:
    """What ``/ServiceProviderConfig`` announces for Bulk (RFC 7643 5): operations and bytes
    one request may carry (``max_payload_size`` 0: not announced)."""

    max_operations: int
    max_payload_size: int


class Secret:
    """A token that does not show itself: repr and str are masked."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` tries in all, delays ``base * 2**n`` capped, full jitter."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class RateLimiter:
    """A token bucket shared by all threads: at most ``rate`` requests per second on average."""

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._capacity = float(max(1, burst))
        self._tokens = self._capacity
        self._sleep = sleep
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._rate:
            return
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)


@dataclass(slots=True)
class ClientStats:
    """Counters of one client, for benchmarks and tests (requests include retries)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    lookups_after_failed_post: int = 0


class _MaybeSent(Exception):
    """A non-idempotent request failed in a way that may have reached the server."""


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    resources: list[Json]


# a ServiceProviderConfig names each of these (RFC 7643 section 5); an answer with none of them
# is something else (a list, another API's object) found at a wrong URL
_SPC_FEATURES = frozenset({"patch", "bulk", "filter", "changePassword", "sort", "etag"})


def is_service_provider_config(data: object) -> bool:
    """Whether a decoded answer of ``/ServiceProviderConfig`` is one."""
    return isinstance(data, dict) and not _SPC_FEATURES.isdisjoint(data)


class ScimClient:
    """A SCIM 2.0 client for one service provider (thread-safe).

    ``transport`` replaces httpx's network transport (e.g. ``httpx.MockTransport``); ``sleep``
    is called with every wait in seconds (backoff, ``Retry-After``, pacing).
    """

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        rate_limit: float | None = None,
        concurrency: int = 8,
        timeout: float = 30.0,
        page_size: int = 1000,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.concurrency = max(1, concurrency)
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self._stats_lock = threading.Lock()
        self._rng = random.Random(seed)
        self._sleep = sleep
        self._limiter = RateLimiter(rate_limit, burst=self.concurrency, sleep=sleep)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._config: Json | None = None
        self._discovered: dict[str, list[Json]] = {}
        self._closed = False
        self._token = token
        self._transport = transport
        self._timeout = timeout
        self._http = self._open_http()

    def _open_http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            transport=self._transport,
            headers={
                "Authorization": f"Bearer {self._token.reveal()}",
                "Accept": SCIM_JSON,
            },
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            ),
        )

    def reconnect_after_fork(self) -> None:
        """New connections for a forked child process. The inherited ones (sockets and TLS
        state) stay its parent's: they are left alone, not closed, and not used again here."""
        self._http = self._open_http()
        self.stats = ClientStats()  # the child's own requests, for its parent to add

    def __repr__(self) -> str:
        return f"ScimClient({self.base_url!r})"

    def close(self) -> None:
        self._closed = True  # a request still running stops instead of retrying
        self._http.close()

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- discovery ---------------------------------------------------------------------------

    def service_provider_config(self) -> Json:
        if self._config is None:
            self._config = self._json(self._request("GET", "/ServiceProviderConfig"))
        return self._config

    @property
    def etag_supported(self) -> bool:
        etag = self.service_provider_config().get("etag") or {}
        return bool(etag.get("supported"))

    def bulk_limits(self) -> BulkLimits | None:
        """The server's Bulk limits, or None when it does not announce Bulk (or has no
        readable ``/ServiceProviderConfig``: then one request per change, as without Bulk; a
        refused token still stops the run)."""
        try:
            bulk = self.service_provider_config().get("bulk")
        except AuthenticationError:
            raise
        except ScimError as err:
            log.info("no Bulk: /ServiceProviderConfig could not be read (%s)", err)
            return None
        if not isinstance(bulk, dict) or bulk.get("supported") is not True:
            return None
        operations, payload = bulk.get("maxOperations"), bulk.get("maxPayloadSize")
        if type(operations) is not int or operations < 1:
            return None
        size = payload if type(payload) is int and payload > 0 else 0
        return BulkLimits(max_operations=operations, max_payload_size=size)

    def discovery(self, endpoint: str) -> list[Json]:
        """The resources of a discovery endpoint (``/Schemas``, ``/ResourceTypes``), read once:
        a SCIM list response, or a bare JSON array as some servers send."""
        if endpoint not in self._discovered:
            response = self._request("GET", endpoint)
            try:
                data = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise InvalidRequestError(f"GET {endpoint}: response is not JSON") from None
            items = data.get("Resources") if isinstance(data, dict) else data
            if not isinstance(items, list):
                raise InvalidRequestError(f"GET {endpoint}: not a list of resources")
            self._discovered[endpoint] = [r for r in items if isinstance(r, dict)]
        return self._discovered[endpoint]

    def answers_scim(self, base_url: str) -> bool:
        """Whether ``base_url`` serves a ServiceProviderConfig (one GET, no retry): for the
        hint that names the right base path when the configured one answers 404."""
        try:
            response = self._http.get(base_url.rstrip("/") + "/ServiceProviderConfig")
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, json.JSONDecodeError, UnicodeDecodeError):
            return False
        return is_service_provider_config(data)

    # -- reading -----------------------------------------------------------------------------

    def get(self, endpoint: str, resource_id: str, *, attributes: str | None = None) -> Json:
        params = {"attributes": attributes} if attributes else None
        return self._json(self._request("GET", f"{endpoint}/{resource_id}", params=params))

    def page(
        self, endpoint: str, *, count: int, start: int = 1, attributes: str | None = None
    ) -> Page:
        """One page of a listing (``totalResults`` and up to ``count`` resources)."""
        params = {"attributes": attributes} if attributes else {}
        return self._page(endpoint, start, count, params)

    def search(self, endpoint: str, filter: str, *, count: int | None = None) -> list[Json]:
        """Resources matching a filter (all pages)."""
        return self.list_all(endpoint, filter=filter, page_size=count)

    def find_by_external_id(self, endpoint: str, external_id: str) -> Json | None:
        return _single(self.search(endpoint, f"externalId eq {_quote(external_id)}"))

    def find_by_user_name(self, user_name: str) -> Json | None:
        return _single(self.search("/Users", f"userName eq {_quote(user_name)}"))

    def group_members(self, group_id: str) -> list[str]:
        """The member ids of one group (a separate read when groups were listed without)."""
        group = self.get("/Groups", group_id, attributes="members")
        return [str(m["value"]) for m in group.get("members") or () if "value" in m]

    def list_all(
        self,
        endpoint: str,
        *,
        filter: str | None = None,
        attributes: str | None = None,
        excluded_attributes: str | None = None,
        page_size: int | None = None,
    ) -> list[Json]:
        """Every resource of ``endpoint``: the first page, then the rest concurrently."""
        return self.list_converted(
            endpoint,
            _identity,
            filter=filter,
            attributes=attributes,
            excluded_attributes=excluded_attributes,
            page_size=page_size,
        )

    def list_converted(
        self,
        endpoint: str,
        convert: Callable[[Json], T],
        *,
        filter: str | None = None,
        attributes: str | None = None,
        excluded_attributes: str | None = None,
        page_size: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> list[T]:
        """Like :meth:`list_all`, converting each resource as its page arrives (so the raw
        JSON of a large network is never held at once). Deduplicated by id, in page order.
        ``progress`` sees (resources read, total or None before the first page) after every
        page, and a last call with both equal."""
        tick = progress or _no_progress
        tick(0, None)  # started; the total comes with the first page
        count = page_size or self.page_size
        params: dict[str, str] = {}
        if filter:
            params["filter"] = filter
        if attributes:
            params["attributes"] = attributes
        if excluded_attributes:
            params["excludedAttributes"] = excluded_attributes
        first = self._page(endpoint, 1, count, params)
        found: dict[str, T] = {}
        _merge(found, first.resources, convert)
        if first.total <= len(first.resources) or not first.resources:
            tick(len(found), len(found))
            return list(found.values())
        tick(len(found), first.total)
        # The server may cap the page size below ``count``: its first page tells the step.
        step = min(count, len(first.resources))
        starts = range(1 + step, first.total + 1, step)

        def window(start: int) -> list[tuple[str, T]]:
            expected = min(step, first.total - start + 1)
            resources = self._read_window(endpoint, start, expected, params)
            return [(str(r["id"]), convert(r)) for r in resources]

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for converted in pool.map(window, starts):
                found.update(converted)
                tick(len(found), max(first.total, len(found)))
        tick(len(found), len(found))
        return list(found.values())

    def _read_window(
        self, endpoint: str, start: int, expected: int, params: Mapping[str, str]
    ) -> list[Json]:
        """``expected`` resources from ``start``; a short page is re-read, then completed."""
        page = self._page(endpoint, start, expected, params)
        if len(page.resources) < expected and page.resources:
            page = self._page(endpoint, start, expected, params)  # RFC 7644 3.4.2.4
        resources = list(page.resources)
        while len(resources) < expected and page.resources:
            offset = start + len(resources)
            page = self._page(endpoint, offset, expected - len(resources), params)
            resources.extend(page.resources)
        return resources

    def _page(self, endpoint: str, start: int, count: int, params: Mapping[str, str]) -> Page:
        query = {**params, "startIndex": str(start), "count": str(count)}
        body = self._json(self._request("GET", endpoint, params=query))
        if LIST_SCHEMA not in body.get("schemas", [LIST_SCHEMA]):
            raise InvalidRequestError(f"GET {endpoint}: not a SCIM list response")
        resources = [r for r in body.get("Resources") or [] if isinstance(r, dict) and "id" in r]
        return Page(total=int(body.get("totalResults", len(resources))), resources=resources)

    # -- writing -----------------------------------------------------------------------------

    def create(self, endpoint: str, body: Json, *, lookup_filter: str | None = None) -> Json:
        """POST a resource. If the POST may have landed, ``lookup_filter`` (e.g. externalId eq)
        decides whether to retry: a found resource is returned instead of posting again."""
        maybe_landed = False
        for attempt in range(1, self.retry.attempts + 1):
            if maybe_landed and lookup_filter is not None:
                with self._stats_lock:
                    self.stats.lookups_after_failed_post += 1
                landed = self.search(endpoint, lookup_filter)
                if landed:
                    return landed[0]
            try:
                return self._json(self._request("POST", endpoint, body=body, idempotent=False))
            except _MaybeSent as exc:
                if lookup_filter is None:
                    raise UnavailableError(
                        f"POST {endpoint} failed ({exc}) and may have reached the server; "
                        "not repeated without a way to check"
                    ) from None
                maybe_landed = True
                log.warning(
                    "POST %s: %s, it may have landed: looking it up before a retry", endpoint, exc
                )
                self._sleep(self.retry.delay(attempt, self._rng))
            except UniquenessError:
                if not maybe_landed:
                    raise
        raise UnavailableError(f"POST {endpoint}: failed {self.retry.attempts} times")

    def replace(
        self, endpoint: str, resource_id: str, body: Json, *, etag: str | None = None
    ) -> Json:
        return self._json(self._request("PUT", f"{endpoint}/{resource_id}", body=body, etag=etag))

    def patch(
        self,
        endpoint: str,
        resource_id: str,
        operations: Iterable[Mapping[str, Any]],
        *,
        etag: str | None = None,
        excluded_attributes: str | None = None,
    ) -> Json | None:
        """PATCH a resource; ``excluded_attributes`` (e.g. ``members``) keeps those out of the
        answer (RFC 7644 3.5.2), so a big group's member list does not travel back."""
        body = {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
        params = {"excludedAttributes": excluded_attributes} if excluded_attributes else None
        response = self._request(
            "PATCH", f"{endpoint}/{resource_id}", params=params, body=body, etag=etag
        )
        return self._json(response) if response.content else None

    def post_action(self, path: str) -> Json | None:
        """POST to an action path without a body (e.g. a recovery); retried like a read: the
        caller checks what an attempt that may have landed did."""
        response = self._request("POST", path, body={})
        return self._json(response) if response.content else None

    def bulk(self, operations: list[Json], *, fail_on_errors: int | None = None) -> list[Json]:
        """POST one Bulk request; the response's operations, in the order the server gives
        them (an operation it did not get to, e.g. after ``failOnErrors``, is missing).

        Raises :class:`MaybeLandedError` when the request may have reached the server without an
        answer; a refused request (413 too large, 400, ...) raises as any other.
        """
        body: Json = {"schemas": [BULK_REQUEST], "Operations": operations}
        if fail_on_errors is not None:
            body["failOnErrors"] = fail_on_errors
        try:
            response = self._request("POST", "/Bulk", body=body, idempotent=False)
        except _MaybeSent as exc:
            raise MaybeLandedError(
                f"POST /Bulk failed ({exc}) and may have reached the server", detail=str(exc)
            ) from None
        answer = self._json(response).get("Operations")
        if not isinstance(answer, list):
            raise InvalidRequestError("POST /Bulk: the response holds no Operations")
        return [op for op in answer if isinstance(op, dict)]

    def delete(self, endpoint: str, resource_id: str, *, etag: str | None = None) -> None:
        """DELETE; a retried DELETE that finds the resource gone counts as done."""
        self._request("DELETE", f"{endpoint}/{resource_id}", etag=etag)

    # -- transport ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Json | None = None,
        etag: str | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = SCIM_JSON
            content = json.dumps(body).encode()
        if etag and method != "GET" and self.etag_supported:
            headers["If-Match"] = etag
        failure = ""
        for attempt in range(1, self.retry.attempts + 1):
            if attempt > 1:
                with self._stats_lock:
                    self.stats.retries += 1
            self._limiter.acquire()
            with self._stats_lock:
                self.stats.requests += 1
            try:
                with self._slots:
                    response = self._http.request(
                        method, path, params=params, content=content, headers=headers
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self._stop_if_closed(method, path)
                failure = f"cannot connect ({type(exc).__name__})"  # never reached the server
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                self._stop_if_closed(method, path)
                failure = f"{type(exc).__name__}"
                if not idempotent:
                    raise _MaybeSent(failure) from None
            else:
                status = response.status_code
                if status == 429:
                    wait = self._retry_after(response, attempt)
                    with self._stats_lock:
                        self.stats.throttled += 1
                    if attempt < self.retry.attempts:  # no wait once the retries are spent
                        log.warning(
                            "%s %s: rate limited (429), waiting %.1f s (attempt %d of %d)",
                            method,
                            path,
                            wait,
                            attempt,
                            self.retry.attempts,
                        )
                        self._sleep(wait)
                    continue
                if status >= 500:
                    failure = f"HTTP {status}"
                    if not idempotent:
                        raise _MaybeSent(failure)
                elif status == 404 and method == "DELETE" and failure:
                    return response  # an earlier, failed-looking attempt did delete it
                else:
                    if status >= 400:
                        raise _error(method, path, response, self._token)
                    return response
            if attempt < self.retry.attempts:
                delay = self.retry.delay(attempt, self._rng)
                log.warning(
                    "%s %s: %s, retrying in %.1f s (attempt %d of %d)",
                    method,
                    path,
                    failure,
                    delay,
                    attempt,
                    self.retry.attempts,
                )
                self._sleep(delay)
        failure = failure or "HTTP 429 (rate limited)"  # every attempt was throttled
        raise UnavailableError(
            f"{method} {path}: {failure} after {self.retry.attempts} attempts", detail=failure
        )

    def _stop_if_closed(self, method: str, path: str) -> None:
        """A request cut by :meth:`close` (the run ended meanwhile) stops, unlogged."""
        if self._closed:
            raise UnavailableError(f"{method} {path}: stopped, the connection was closed")

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        """Seconds to wait: ``Retry-After`` as seconds or an HTTP date; a missing or unreadable
        one (a gateway's own words) waits the ordinary backoff instead of stopping the run."""
        value = response.headers.get("Retry-After", "").strip()
        try:
            wait = float(value)
        except ValueError:
            try:
                wait = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            except (ValueError, TypeError, IndexError, OverflowError):
                wait = self.retry.delay(attempt, self._rng)
        if wait != wait:  # NaN
            wait = self.retry.delay(attempt, self._rng)
        return max(0.0, min(wait, self.retry.max_retry_after))

    @staticmethod
    def _json(response: httpx.Response) -> Json:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidRequestError(
                f"{response.request.method} {response.request.url.path}: response is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise InvalidRequestError(f"{response.request.url.path}: response is not an object")
        return data


def _error(method: str, path: str, response: httpx.Response, token: Secret) -> ScimError:
    """The typed error of a SCIM error answer; the server's words pass the redactor (a server
    may echo the request's Authorization header in them)."""
    status = response.status_code
    scim_type: str | None = None
    detail: str | None = None
    try:
        body = response.json()
        if isinstance(body, dict):
            scim_type = _redacted(body.get("scimType"), token)
            detail = _redacted(body.get("detail"), token)
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    where = f"{method} {path}: HTTP {status}"
    text = where + (f" {scim_type}" if scim_type else "") + (f": {detail}" if detail else "")
    kwargs: dict[str, Any] = {"status": status, "scim_type": scim_type, "detail": detail}
    cls: Callable[..., ScimError]
    if status in (401, 403):
        text = (
            f"Speakap refused the credentials ({where}); check SPEAKAP_TOKEN or "
            "SPEAKAP_TOKEN_FILE and the token's rights"
        )
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = UniquenessError
    elif status == 412:
        text += " (the resource changed since it was read: re-read it and retry)"
        cls = PreconditionFailedError
    else:
        cls = InvalidRequestError
    return cls(text, **kwargs)


def _redacted(value: object, token: Secret) -> str | None:
    if value is None:
        return None
    return redact(str(value), (token.reveal(),))


def _merge(found: dict[str, T], resources: Iterable[Json], convert: Callable[[Json], T]) -> None:
    for resource in resources:
        found[str(resource["id"])] = convert(resource)


def _no_progress(_done: int, _total: int | None) -> None:
    return None


def _identity(resource: Json) -> Json:
    return resource


def _single(resources: list[Json]) -> Json | None:
    return resources[0] if resources else None


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
