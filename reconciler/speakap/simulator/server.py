"""The simulator's HTTP face: a threaded stdlib server speaking Speakap's SCIM dialect.

SCIM lives under ``/scim/v2``; ``/_sim/...`` is the inspection and admin API for tests and the
demo (state, invitations, redeeming a printable invite's one-time code, clock, recovering a
deleted user, knobs). Both need the bearer token.

Knobs (:class:`Knobs`, changeable while running): latency per request, a rate limit answered
with 429 + Retry-After, a fault rate (a 500 before the request is processed; or, after it is
processed, a response delayed past the client's timeout or a dropped connection, the cases
where a client cannot know whether its POST landed), the maximum page size, and SCIM Bulk's
limits (``bulk_max_operations`` 0: no Bulk; see ``simulator.bulk``).

Counters (:class:`Counters`): requests by route, 429s, faults, requests in flight, and the
server's busy time (wall seconds during which a SCIM request was being served), so a benchmark
can tell the server's share of a run from the client's.

Hostile clients: a request is authenticated before its body is read (a refused one is answered
at once and its connection closed, the body never read); a body larger than ``max_body_bytes``
is refused with 413, a missing, negative, non-numeric or contradictory ``Content-Length`` on a
body with 400 (411 for a chunked body); a connection that sends nothing for ``idle_timeout``
seconds is closed.
"""

from __future__ import annotations

import hmac
import json
import random
import re
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from reconciler.speakap.dialect import ERROR_SCHEMA, LIST_SCHEMA, PATCH_SCHEMA
from reconciler.speakap.simulator import discovery
from reconciler.speakap.simulator.bulk import run_bulk
from reconciler.speakap.simulator.store import Kind, Network, ScimProblem

Json = dict[str, Any]
SCIM_PREFIX = "/scim/v2"


@dataclass(slots=True)
class Knobs:
    latency: float = 0.0  # seconds added to every SCIM request
    rate_limit: float | None = None  # requests per second; more are answered 429
    retry_after: float = 1.0  # seconds announced in Retry-After
    fault_rate: float = 0.0  # share of SCIM requests that fail
    fault_delay: float = 2.0  # how long a "timeout" fault holds the response
    max_page_size: int = 1000
    faults: tuple[str, ...] = ("500", "timeout", "drop")
    bulk_max_operations: int = 0  # SCIM Bulk: operations per request (0: no Bulk)
    bulk_max_payload: int = 1_048_576  # SCIM Bulk: bytes per request
    max_body_bytes: int = 4 * 1024 * 1024  # larger request bodies are refused (413)
    idle_timeout: float = 30.0  # seconds a connection may send nothing before it is closed


@dataclass(slots=True)
class Counters:
    requests: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    faults: int = 0
    in_flight: int = 0
    max_in_flight: int = 0  # the most SCIM requests served at once
    # wall seconds during which at least one SCIM request was being served (its latency knob,
    # routing, the network's work and writing the answer): the server's share of a run's time
    busy_seconds: float = 0.0
    latency_seconds: float = 0.0  # of that, the latency knob's sleeps (summed per request)
    busy_since: float = 0.0  # when the current busy stretch began (in_flight went above 0)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        network: Network,
        token: str,
        knobs: Knobs,
        seed: int | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.network = network
        self.token = token
        self.knobs = knobs
        self.counters = Counters()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self._bucket = 0.0
        self._bucket_time = time.monotonic()
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.url = f"http://{host}:{port}{SCIM_PREFIX}"
        network.base_url = self.url
        self.warm()

    def warm(self) -> None:
        """Encode every user and group as a listing without a projection serves it, before
        the first request: what a long-running server's cache holds. A large network's first
        listing is then joined from them, like any later one, instead of being encoded while
        its client waits (writes drop what they change; see ``Network.search_encoded``)."""
        network = self.network
        kinds: tuple[Kind, ...] = ("Users", "Groups")
        with network.lock:
            for kind in kinds:
                network.search_encoded(
                    kind,
                    None,
                    1,
                    len(network.table(kind)),
                    variant=_variant({}),
                    encode=lambda resource: json.dumps(resource).encode(),
                )

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (reset, closed, silent) is no server error: no traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def take_token(self) -> bool:
        """Server-side rate limit: a token bucket holding one second of requests."""
        rate = self.knobs.rate_limit
        if not rate:
            return True
        with self.lock:
            now = time.monotonic()
            self._bucket = min(rate, self._bucket + (now - self._bucket_time) * rate)
            self._bucket_time = now
            if self._bucket >= 1:
                self._bucket -= 1
                return True
            return False

    def draw_fault(self) -> str | None:
        with self.lock:
            if self.knobs.fault_rate and self.rng.random() < self.knobs.fault_rate:
                self.counters.faults += 1
                return self.rng.choice(self.knobs.faults)
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        return

    def setup(self) -> None:
        super().setup()
        # every read and write of the connection: a silent client is dropped after this long
        self.connection.settimeout(self.server.knobs.idle_timeout)
        # Small responses must not wait for a delayed ACK (Nagle): 40 ms per request otherwise.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path).rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if not self._authorized():
            self._refuse(
                401,
                "a valid bearer token is required",
                {"WWW-Authenticate": 'Bearer realm="speakap-simulator"'},
            )
            return
        raw = self._read_body()
        if raw is None:
            return
        if path.startswith("/_sim"):
            self._admin(method, path, query, raw)
            return
        if not path.startswith(SCIM_PREFIX):
            self._send(404, _error(404, f"no such endpoint {path}"))
            return
        self._scim(method, path[len(SCIM_PREFIX) :], query, raw)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it was refused (the answer is sent)."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "a request body needs a Content-Length (no chunked bodies)")
            return None
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or ()}
        if not lengths:
            return b""
        if len(lengths) > 1 or not _LENGTH.fullmatch(next(iter(lengths))):
            self._refuse(400, "Content-Length must be one non-negative integer")
            return None
        length = int(next(iter(lengths)))
        if length > self.server.knobs.max_body_bytes:
            limit = self.server.knobs.max_body_bytes
            self._refuse(413, f"the request body is over {limit} bytes")
            return None
        return self.rfile.read(length) if length else b""

    def _refuse(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        """Answer without reading the body, and close: what the client sent next on this
        connection (that body) is never taken for a request."""
        self.close_connection = True
        self._send(status, _error(status, detail), {"Connection": "close", **(headers or {})})

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.server.token.encode()
        )

    def _scim(self, method: str, path: str, query: dict[str, str], raw: bytes) -> None:
        server = self.server
        counters = server.counters
        with server.lock:
            counters.requests += 1
            route = "/" + path.strip("/").split("/")[0]
            counters.by_path[route] = counters.by_path.get(route, 0) + 1
            if counters.in_flight == 0:
                counters.busy_since = time.perf_counter()
            counters.in_flight += 1
            counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
        try:
            self._serve_scim(method, path, query, raw)
        finally:
            with server.lock:
                counters.in_flight -= 1
                if counters.in_flight == 0:
                    counters.busy_seconds += time.perf_counter() - counters.busy_since

    def _serve_scim(self, method: str, path: str, query: dict[str, str], raw: bytes) -> None:
        server = self.server
        knobs = server.knobs
        if knobs.latency:
            time.sleep(knobs.latency)
            with server.lock:
                server.counters.latency_seconds += knobs.latency
        if not server.take_token():
            with server.lock:
                server.counters.throttled += 1
            self._send(
                429, _error(429, "too many requests"), {"Retry-After": _seconds(knobs.retry_after)}
            )
            return
        fault = server.draw_fault()
        if fault == "500":
            self._send(500, _error(500, "injected fault"))
            return
        try:
            status, body, headers = self._route(method, path, query, raw)
        except ScimProblem as problem:
            status, body, headers = (
                problem.status,
                _error(problem.status, problem.detail, problem.scim_type),
                {},
            )
        if fault == "drop":
            self.close_connection = True
            return  # processed, but the client never hears back
        if fault == "timeout":
            time.sleep(knobs.fault_delay)
        self._send(status, body, headers)

    def _send(
        self, status: int, body: Json | bytes | None, headers: dict[str, str] | None = None
    ) -> None:
        """Answer ``body`` (JSON, or a list response already encoded by ``_list``)."""
        if isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body).encode() if body is not None else b""
        try:
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/scim+json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- SCIM routes -------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, Json | bytes | None, dict[str, str]]:
        network = self.server.network
        dialect = network.dialect
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ScimProblem(404, "no such endpoint")
        head = parts[0]
        if head in ("ServiceProviderConfig", "Schemas", "ResourceTypes"):
            if method != "GET":
                raise ScimProblem(405, f"{method} is not allowed on /{head}")
            return 200, self._discovery(head, parts[1:]), {}
        if head == "Bulk":
            knobs = self.server.knobs
            if method != "POST" or knobs.bulk_max_operations <= 0:
                raise ScimProblem(501 if method == "POST" else 405, "Bulk is not supported")
            answer = run_bulk(
                network, _body(raw), len(raw), knobs.bulk_max_operations, knobs.bulk_max_payload
            )
            return 200, answer, {}
        if head == ".search" and method == "POST":
            return 200, self._list(("Users", "Groups"), _search_query(_body(raw))), {}
        if head == dialect.deleted_users_endpoint.strip("/"):
            return self._deleted(method, parts[1:], query)
        if head not in ("Users", "Groups"):
            raise ScimProblem(404, f"no such endpoint /{head}")
        kind: Kind = "Users" if head == "Users" else "Groups"
        if len(parts) > 2:
            raise ScimProblem(404, "no such endpoint")
        if parts[1:] == [".search"] and method == "POST":
            return 200, self._list((kind,), _search_query(_body(raw))), {}
        resource_id = parts[1] if len(parts) == 2 else None
        if_match = self.headers.get("If-Match")
        if resource_id is None:
            if method == "GET":
                return 200, self._list((kind,), query), {}
            if method == "POST":
                created = network.create(kind, _body(raw))
                return 201, _project(created, query), _etag(created, location=True)
            raise ScimProblem(405, f"{method} is not allowed on /{head}")
        if method == "GET":
            found = network.get(kind, resource_id)
            return 200, _project(found, query), _etag(found)
        if method == "PUT":
            replaced = network.replace(kind, resource_id, _body(raw), if_match)
            return 200, _project(replaced, query), _etag(replaced)
        if method == "PATCH":
            body = _body(raw)
            if PATCH_SCHEMA not in (body.get("schemas") or []):
                raise ScimProblem(400, f"schemas must be [{PATCH_SCHEMA}]", "invalidSyntax")
            operations = body.get("Operations")
            if not isinstance(operations, list) or not operations:
                raise ScimProblem(400, "Operations must be a non-empty list", "invalidSyntax")
            patched = network.patch(kind, resource_id, operations, if_match)
            return 200, _project(patched, query), _etag(patched)
        if method == "DELETE":
            network.delete(kind, resource_id, if_match)
            return 204, None, {}
        del dialect
        raise ScimProblem(405, f"{method} is not allowed here")

    def _deleted(
        self, method: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, Json | None, dict[str, str]]:
        """The recoverable deleted users: listed (GET), recovered (POST <id><recover_suffix>)."""
        network = self.server.network
        if not rest and method == "GET":
            start, count = self._paging(query)
            total, page = network.deleted_page(query.get("filter"), start, count)
            return 200, self._list_response(total, start, page, query), {}
        suffix = network.dialect.recover_suffix.strip("/")
        if len(rest) == 2 and rest[1] == suffix and method == "POST":
            recovered = network.recover(rest[0])
            return 200, _project(recovered, query), _etag(recovered)
        raise ScimProblem(404 if method in ("GET", "POST") else 405, "no such endpoint")

    def _paging(self, query: dict[str, str]) -> tuple[int, int]:
        max_page = self.server.knobs.max_page_size
        try:
            start = int(query.get("startIndex", "1"))
            count = int(query.get("count", str(max_page)))
        except ValueError:
            raise ScimProblem(
                400, "startIndex and count must be integers", "invalidValue"
            ) from None
        return start, max(0, min(count, max_page))

    def _list(self, kinds: tuple[Kind, ...], query: dict[str, str]) -> bytes:
        """A list response, encoded: each resource's encoding is kept by the network (per
        projection) until it changes, so a page of a large, quiet network is joined, not
        encoded again. The bytes are those of ``json.dumps`` of the whole response."""
        start, count = self._paging(query)
        total, page = self.server.network.search_encoded(
            kinds,
            query.get("filter"),
            start,
            count,
            variant=_variant(query),
            encode=lambda resource: json.dumps(_project(resource, query)).encode(),
        )
        head = {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": max(1, start),
            "itemsPerPage": len(page),
            "Resources": [],
        }
        return json.dumps(head).encode()[: -len(b"[]}")] + b"[" + b", ".join(page) + b"]}"

    def _list_response(
        self, total: int, start: int, page: list[Json], query: dict[str, str]
    ) -> Json:
        return {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": max(1, start),
            "itemsPerPage": len(page),
            "Resources": [_project(r, query) for r in page],
        }

    def _discovery(self, head: str, rest: list[str]) -> Json:
        dialect = self.server.network.dialect
        if head == "ServiceProviderConfig":
            knobs = self.server.knobs
            bulk = (knobs.bulk_max_operations, knobs.bulk_max_payload)
            return discovery.service_provider_config(knobs.max_page_size, bulk=bulk)
        items = (
            discovery.schemas(dialect) if head == "Schemas" else discovery.resource_types(dialect)
        )
        if rest:
            for item in items:
                if item["id"] == rest[0]:
                    return item
            raise ScimProblem(404, f"no {head[:-1]} {rest[0]}")
        return {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }

    # -- inspection / admin ------------------------------------------------------------------

    def _admin(self, method: str, path: str, query: dict[str, str], raw: bytes) -> None:
        server = self.server
        network = server.network
        try:
            if method == "GET" and path == "/_sim/state":
                state = network.dump(with_secrets=False)
                self._send(200, {**state, "now": network.now().isoformat()})
            elif method == "GET" and path == "/_sim/invitations":
                self._send(200, {"invitations": network.public_invitations()})
            elif method == "POST" and path == "/_sim/activate":
                body = _body(raw)
                login, code = body.get("login"), body.get("code")
                if not isinstance(login, str) or not isinstance(code, str):
                    raise ScimProblem(400, "login and code (strings) are required", "invalidValue")
                self._send(200, network.activate(login, code))
            elif method == "GET" and path == "/_sim/stats":
                with server.lock:
                    stats = asdict(server.counters)
                self._send(200, stats)
            elif method == "POST" and path == "/_sim/clock":
                body = _body(raw)
                seconds = float(body.get("advance_seconds", 0)) + 86400 * float(
                    body.get("advance_days", 0)
                )
                network.advance_clock(seconds)
                self._send(200, {"now": network.now().isoformat()})
            elif method == "POST" and path.startswith("/_sim/recover/"):
                self._send(200, network.recover(path.rsplit("/", 1)[1]))
            elif method == "POST" and path == "/_sim/knobs":
                for name, value in _body(raw).items():
                    if not hasattr(server.knobs, name):
                        raise ScimProblem(400, f"unknown knob {name}", "invalidValue")
                    setattr(server.knobs, name, value)
                self._send(200, {"ok": True})
            else:
                raise ScimProblem(404, f"no such inspection endpoint {method} {path}")
        except ScimProblem as problem:
            self._send(problem.status, _error(problem.status, problem.detail, problem.scim_type))


def _search_query(body: Json) -> dict[str, str]:
    """A POST .search request (RFC 7644 3.4.3) as the query parameters of a GET."""
    query: dict[str, str] = {}
    for key in ("filter", "startIndex", "count"):
        if body.get(key) is not None:
            query[key] = str(body[key])
    for key in ("attributes", "excludedAttributes"):
        value = body.get(key)
        if value:
            query[key] = ",".join(value) if isinstance(value, list) else str(value)
    return query


def _body(raw: bytes) -> Json:
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ScimProblem(400, "the body is not JSON", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimProblem(400, "the body must be a JSON object", "invalidSyntax")
    return body


def _error(status: int, detail: str, scim_type: str | None = None) -> Json:
    body: Json = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


def _etag(resource: Json, location: bool = False) -> dict[str, str]:
    meta = resource.get("meta") or {}
    headers = {"ETag": str(meta.get("version", ""))}
    if location and meta.get("location"):
        headers["Location"] = str(meta["location"])
    return headers


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_ALWAYS = frozenset({"id", "schemas", "meta"})
_LENGTH = re.compile(r"[0-9]{1,15}")


def _project(resource: Json, query: dict[str, str]) -> Json:
    """Apply ``attributes`` / ``excludedAttributes`` (top-level names, URN-qualified or not)."""
    attributes = query.get("attributes")
    excluded = query.get("excludedAttributes")
    if not attributes and not excluded:
        return resource
    if attributes:
        wanted = {_top(a) for a in attributes.split(",")} | _ALWAYS
        return {k: v for k, v in resource.items() if k.lower() in wanted or k in wanted}
    dropped = {_top(a) for a in (excluded or "").split(",")} - _ALWAYS
    return {k: v for k, v in resource.items() if k.lower() not in dropped}


def _variant(query: dict[str, str]) -> str:
    """What a listing's encoding of a resource depends on besides the resource: its projection."""
    return query.get("attributes", "") + "\x00" + query.get("excludedAttributes", "")


def _top(name: str) -> str:
    name = name.strip()
    if name.lower().startswith("urn:"):
        urn, _, attr = name.rpartition(":")
        if urn.lower().startswith("urn:ietf:params:scim:schemas:core:"):
            return attr.split(".")[0].lower()
        return name.lower()  # an extension (or an attribute of one: kept whole)
    return name.split(".")[0].lower()


def save_if_changed(network: Network, path: Path, last: int) -> int:
    with network.lock:
        changes = network.changes
    if changes != last:
        network.save(path)
    return changes
