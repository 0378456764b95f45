"""Local HTTP servers that answer like AFAS Profit's GetConnector and Personio's API v2.

Only what their public documentation says and what ``fetch`` uses:
- AFAS: ``GET /ProfitRestServices/connectors/<id>?skip=N&take=M`` with
  ``Authorization: AfasToken <token>``; ``{"skip": N, "take": M, "rows": [...]}``; a page
  shorter than ``take`` is the last; 401 without the token.
- Personio: ``POST /v2/auth/token`` (form: grant_type=client_credentials, client_id,
  client_secret) -> ``{"access_token", "token_type": "Bearer", "expires_in"}``;
  ``GET /v2/persons?limit=L[&cursor=C]`` with the bearer token, ``limit`` at most 50;
  ``{"_data": [...], "_meta": {"links": {"self": {"href"}, "next": {"href"}}}}``, no ``next``
  on the last page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

AFAS_TOKEN = "PHRva2VuPjx2ZXJzaW9uPjE8L3ZlcnNpb24+PGRhdGE+c2VjcmV0PC9kYXRhPjwvdG9rZW4+"
CLIENT_ID, CLIENT_SECRET = "papi-client", "papi-secret-value"


@dataclass
class FakeHR:
    rows: list[dict[str, Any]]
    url: str = ""
    requests: list[str] = field(default_factory=list)
    throttle_once: bool = False  # answer the first listing with 429 + Retry-After
    tokens_issued: int = 0

    def afas_url(self) -> str:
        return f"{self.url}/ProfitRestServices/connectors/Medewerkers"

    def personio_url(self) -> str:
        return f"{self.url}/v2/persons"


def _handler(hr: FakeHR) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            hr.requests.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            wanted = {
                "grant_type": ["client_credentials"],
                "client_id": [CLIENT_ID],
                "client_secret": [CLIENT_SECRET],
            }
            if urlsplit(self.path).path != "/v2/auth/token" or form != wanted:
                self._send(401, {"error": "invalid_client"})
                return
            hr.tokens_issued += 1
            self._send(
                200,
                {
                    "access_token": f"tok-{hr.tokens_issued}",
                    "token_type": "Bearer",
                    "expires_in": 86400,
                },
            )

        def do_GET(self) -> None:
            hr.requests.append(f"GET {self.path}")
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if hr.throttle_once:
                hr.throttle_once = False
                self._send(429, {"error": "slow down"}, {"Retry-After": "1"})
                return
            if parts.path.startswith("/ProfitRestServices/connectors/"):
                self._afas(query)
            elif parts.path == "/v2/persons":
                self._personio(query)
            else:
                self._send(404, {"error": "not found"})

        def _afas(self, query: dict[str, str]) -> None:
            if self.headers.get("Authorization") != f"AfasToken {AFAS_TOKEN}":
                self._send(401, {"externalMessage": "Authorization required"})
                return
            skip, take = int(query.get("skip", "0")), int(query.get("take", "100"))
            self._send(200, {"skip": skip, "take": take, "rows": hr.rows[skip : skip + take]})

        def _personio(self, query: dict[str, str]) -> None:
            if self.headers.get("Authorization") != f"Bearer tok-{hr.tokens_issued}":
                self._send(401, {"errors": [{"title": "Unauthorized"}]})
                return
            limit = int(query.get("limit", "10"))
            if not 1 <= limit <= 50:
                self._send(400, {"errors": [{"title": "limit must be 1 to 50"}]})
                return
            start = int(query.get("cursor", "cur_0").removeprefix("cur_"))
            page = hr.rows[start : start + limit]
            links: dict[str, Any] = {"self": {"href": f"{hr.url}{self.path}"}}
            if start + limit < len(hr.rows):
                nxt = f"{hr.url}/v2/persons?cursor=cur_{start + limit}&limit={limit}"
                links["next"] = {"href": nxt}
            self._send(200, {"_data": page, "_meta": {"links": links}})

    return Handler


@contextmanager
def run_fake_hr(rows: list[dict[str, Any]]) -> Iterator[FakeHR]:
    hr = FakeHR(rows)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hr))
    hr.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hr
    finally:
        server.shutdown()
        server.server_close()
