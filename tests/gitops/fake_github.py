"""A local HTTP server that answers like GitHub's REST API, for the endpoints the loop uses.

Behaviour copied from GitHub's documentation: bearer-token auth, ``per_page`` pagination with a
``Link`` header, 422 "Validation Failed" on a body over 65,536 characters and on a second pull
request for the same head, artifact downloads as a redirect to a zip. Faults (5xx, secondary
rate limits) can be queued. It is the only stand-in of the test suite: GitHub cannot be reached.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_BODY = 65_536


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    method: str | None = None  # only requests with this method meet the fault


@dataclass
class FakeGitHub:
    repository: str = "acme/people"
    token: str = "ghs_test_token_never_printed"
    url: str = ""
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[tuple[str, str]] = field(default_factory=list)
    hr_token: str = "hr-secret"
    head_sha_of: Callable[[str], str] | None = None  # branch -> sha, as the remote knows it
    max_body: int = MAX_BODY  # lower it to play a server stricter than the client expects
    hr_export: bytes = b"employee_id,given_name\n1,Ann\n"
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- helpers the tests use to play GitHub's side ----------------------------------------

    def env(self, pr: int | None = None, **extra: str) -> dict[str, str]:
        env = {
            "GITHUB_API_URL": self.url,
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": self.repository,
            **extra,
        }
        if pr is not None:
            env["SPEAKAP_SYNC_PR"] = str(pr)
        return env

    def add_comment(self, issue: int, body: str, user: str = "someone") -> int:
        cid = next(self._ids)
        self.comments[cid] = {
            "id": cid,
            "issue": issue,
            "body": body,
            "user": {"login": user},
            "html_url": f"https://github.test/{self.repository}/pull/{issue}#c{cid}",
        }
        return cid

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == issue]

    def open_pull(self, head: str, base: str, head_sha: str, title: str = "change") -> int:
        number = len(self.pulls) + 1
        self.pulls[number] = {
            "number": number,
            "title": title,
            "body": "",
            "state": "open",
            "html_url": f"https://github.test/{self.repository}/pull/{number}",
            "head": {"ref": head, "sha": head_sha},
            "base": {"ref": base},
            "merged_at": None,
            "merge_commit_sha": None,
        }
        return number

    def push_head(self, number: int, head_sha: str) -> None:
        self.pulls[number]["head"]["sha"] = head_sha

    def merge(self, number: int, merge_sha: str) -> None:
        self.pulls[number].update(
            state="closed", merged_at="2026-01-01T00:00:00Z", merge_commit_sha=merge_sha
        )

    def add_run(self, head_sha: str, files: Mapping[str, bytes], *, path: str, name: str) -> int:
        """A successful workflow run for ``head_sha`` that uploaded one artifact."""
        run_id = next(self._ids)
        self.runs[run_id] = {
            "id": run_id,
            "head_sha": head_sha,
            "path": path,
            "status": "completed",
            "conclusion": "success",
            "created_at": f"2026-01-01T00:00:{run_id % 60:02d}Z",
        }
        artifact_id = next(self._ids)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for filename, content in files.items():
                archive.writestr(filename, content)
        self.blobs[artifact_id] = buffer.getvalue()
        self.artifacts[artifact_id] = {
            "id": artifact_id,
            "name": name,
            "run_id": run_id,
            "expired": False,
            "created_at": self.runs[run_id]["created_at"],
        }
        return run_id

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw_path)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append((method, path))
            self._current_url = self.url + path
            if path == "/hr/export.csv":  # an HR system's endpoint, not GitHub's
                if headers.get("authorization") != f"Bearer {self.hr_token}":
                    return 403, {}, {"message": "Forbidden"}
                return 200, {"Content-Type": "text/csv"}, self.hr_export
            if path.startswith("/_blob/"):
                return 200, {"Content-Type": "application/zip"}, self.blobs[int(path[7:])]
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, {}, {"message": "Bad credentials"}
            if self.faults and self.faults[0].method in (None, method):
                fault = self.faults.popleft()
                return fault.status, fault.headers, fault.body
            payload = json.loads(body) if body else {}
            self._follow_pushes()
            prefix = f"/repos/{self.repository}"
            if not path.startswith(prefix + "/"):
                return 404, {}, {"message": "Not Found"}
            return self._route(method, path[len(prefix) :].strip("/").split("/"), query, payload)

    def _route(
        self, method: str, seg: list[str], query: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        match method, seg:
            case "GET", ["issues", number, "comments"]:
                return self._page(self.comments_on(int(number)), query)
            case "POST", ["issues", number, "comments"]:
                if (err := _too_long(payload, "IssueComment", self.max_body)) is not None:
                    return err
                return 201, {}, self.comments[self.add_comment(int(number), payload["body"])]
            case "PATCH", ["issues", "comments", cid] if int(cid) in self.comments:
                if (err := _too_long(payload, "IssueComment", self.max_body)) is not None:
                    return err
                self.comments[int(cid)]["body"] = payload["body"]
                return 200, {}, self.comments[int(cid)]
            case "GET", ["pulls"]:
                return self._page(self._pulls_matching(query), query)
            case "POST", ["pulls"]:
                return self._create_pull(payload)
            case "PATCH", ["pulls", number] if int(number) in self.pulls:
                if (err := _too_long(payload, "PullRequest", self.max_body)) is not None:
                    return err
                self.pulls[int(number)].update(payload)
                return 200, {}, self.pulls[int(number)]
            case "GET", ["commits", sha, "pulls"]:
                found = [p for p in self.pulls.values() if sha in _pull_shas(p)]
                return self._page(found, query)
            case "GET", ["actions", "runs"]:
                runs = [
                    r
                    for r in self.runs.values()
                    if r["head_sha"] == query.get("head_sha", r["head_sha"])
                    and query.get("status") in (None, r["conclusion"], r["status"])
                ]
                return self._page(runs, query, items="workflow_runs")
            case "GET", ["actions", "runs", run_id, "artifacts"]:
                found = [a for a in self.artifacts.values() if a["run_id"] == int(run_id)]
                return self._page(_named(found, query), query, items="artifacts")
            case "GET", ["actions", "artifacts"]:
                return self._page(_named(list(self.artifacts.values()), query), query, "artifacts")
            case "GET", ["actions", "artifacts", aid, "zip"] if int(aid) in self.blobs:
                return 302, {"Location": f"{self.url}/_blob/{aid}"}, None
        return 404, {}, {"message": "Not Found"}

    def _follow_pushes(self) -> None:
        """An open pull request's head is wherever its branch is now (GitHub follows pushes)."""
        if self.head_sha_of is None:
            return
        for pull in self.pulls.values():
            if pull["state"] == "open":
                pull["head"]["sha"] = self.head_sha_of(pull["head"]["ref"])

    def _pulls_matching(self, query: dict[str, str]) -> list[dict[str, Any]]:
        owner = self.repository.split("/")[0]
        found = []
        for pull in self.pulls.values():
            if "head" in query and f"{owner}:{pull['head']['ref']}" != query["head"]:
                continue
            if "base" in query and pull["base"]["ref"] != query["base"]:
                continue
            if query.get("state", "open") not in ("all", pull["state"]):
                continue
            found.append(pull)
        return found

    def _create_pull(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if (err := _too_long(payload, "PullRequest", self.max_body)) is not None:
            return err
        head, base = payload["head"], payload["base"]
        if self._pulls_matching({"head": f"{self.repository.split('/')[0]}:{head}", "base": base}):
            message = f"A pull request already exists for {self.repository.split('/')[0]}:{head}."
            return _validation("PullRequest", "custom", message)
        sha = self.head_sha_of(head) if self.head_sha_of else f"sha-of-{head}"
        number = self.open_pull(head, base, head_sha=sha, title=payload["title"])
        self.pulls[number]["body"] = payload.get("body", "")
        return 201, {}, self.pulls[number]

    def _page(
        self, rows: list[dict[str, Any]], query: dict[str, str], items: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(rows):
            nxt = urlencode({**query, "page": str(page + 1)})
            headers["Link"] = f'<{self._current_url}?{nxt}>; rel="next"'
        body: Any = {"total_count": len(rows), items: chunk} if items else chunk
        return 200, headers, body

    _current_url: str = ""


def _pull_shas(pull: Mapping[str, Any]) -> set[str]:
    return {pull["head"]["sha"], pull.get("merge_commit_sha") or ""}


def _named(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    return [r for r in rows if query.get("name") in (None, r["name"])]


def _too_long(
    payload: Mapping[str, Any], resource: str, limit: int = MAX_BODY
) -> tuple[int, dict[str, str], Any] | None:
    body = payload.get("body") or ""
    if len(body) <= limit:
        return None
    return _validation(resource, "custom", f"Body is too long (maximum is {limit} characters)")


def _validation(resource: str, code: str, message: str) -> tuple[int, dict[str, str], Any]:
    error = {"resource": resource, "code": code, "field": "body", "message": message}
    return 422, {}, {"message": "Validation Failed", "errors": [error]}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = fake.handle(self.command, self.path, headers, body)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        if not isinstance(payload, bytes):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    fake: FakeGitHub


@contextmanager
def run_fake_github(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    fake = fake or FakeGitHub()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
