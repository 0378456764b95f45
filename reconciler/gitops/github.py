"""GitHub's REST API, as the workflows need it: sticky PR comments, the render PR, plan artifacts.

One client over httpx. Configuration comes from the environment a GitHub Actions job has:
``GITHUB_API_URL``, ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and the pull-request number from
``GITHUB_EVENT_PATH`` (or ``SPEAKAP_SYNC_PR``). Server errors and secondary rate limits are
retried with the waits GitHub asks for; anything else becomes a :class:`GitHubError` that says
what GitHub answered, never the token.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from reconciler.errors import BlockedError, SyncError, redact

MARKER = "<!-- speakap-sync:plan -->"
# GitHub's limit for comment and pull-request bodies, in characters; plan.md is cut to it too.
MAX_BODY = 65_536
API_VERSION = "2022-11-28"
PLAN_ARTIFACT = "speakap-sync-plan"
PLAN_WORKFLOW = ".github/workflows/plan.yml"
_TRUNCATED = (
    f"\n\n… (truncated to GitHub's {MAX_BODY:,}-character limit; "
    "the full plan is in the artifact)\n"
)
log = logging.getLogger(__name__)  # retries and rate-limit waits: the CLI prints them
_RETRY_STATUS = frozenset({500, 502, 503, 504})
_DEFAULT_WAIT = 60.0  # GitHub: without a hint, wait at least a minute after a secondary limit


class GitHubError(SyncError):
    """GitHub refused or failed a request, or the job's environment is incomplete."""


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """Where to talk to and as whom. The token never appears in a repr."""

    repository: str
    token: str = field(repr=False)
    api_url: str = "https://api.github.com"
    pr_number: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHubContext:
        env = os.environ if env is None else env
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
        repository = env.get("GITHUB_REPOSITORY")
        missing = [
            name
            for name, value in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", repository))
            if not value
        ]
        if missing or token is None or repository is None:
            raise GitHubError(f"the environment lacks {', '.join(missing)} (set by GitHub Actions)")
        if repository.count("/") != 1:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, not {repository!r}")
        return cls(
            repository=repository,
            token=token,
            api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            pr_number=pr_number_from_env(env),
        )

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]


def pr_number_from_env(env: Mapping[str, str]) -> int | None:
    """The pull request of this job: ``SPEAKAP_SYNC_PR``, else the event payload's number."""
    explicit = env.get("SPEAKAP_SYNC_PR")
    if explicit:
        if not explicit.isdigit():
            raise GitHubError(f"SPEAKAP_SYNC_PR must be a number, not {explicit!r}")
        return int(explicit)
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GitHubError(f"cannot read the event payload: {err}", file=event_path) from None
    for section in ("pull_request", "issue"):
        number = (event.get(section) or {}).get("number")
        if isinstance(number, int):
            return number
    number = event.get("number")
    return number if isinstance(number, int) else None


_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SERVER = re.compile(r"https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._~/-]*)?")


def run_url_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The page of this GitHub Actions run (its artifacts are listed there), from
    ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_RUN_ID``; None outside a run or
    when a value does not look like GitHub's (it ends up in a Markdown link)."""
    env = os.environ if env is None else env
    server = (env.get("GITHUB_SERVER_URL") or "").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY") or ""
    run_id = env.get("GITHUB_RUN_ID") or ""
    if not (_SERVER.fullmatch(server) and _REPOSITORY.fullmatch(repository)):
        return None
    if not (run_id.isascii() and run_id.isdigit()):
        return None
    return f"{server}/{repository}/actions/runs/{run_id}"


# GitHub's limit for the summary one job step writes, in bytes; a larger one is not shown.
STEP_SUMMARY_LIMIT = 1024 * 1024
_TOO_LARGE = (
    "The plan is too large for the job summary: read `plan.md` on the pull request, or "
    "`plan.html` in the plan artifact.\n"
)


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> int:
    """Add ``markdown`` to this step's job summary (``$GITHUB_STEP_SUMMARY``) and return the
    bytes added. Text that would take the step's summary past GitHub's limit is replaced by a
    note saying where the plan is, as GitHub would drop the summary whole."""
    env = os.environ if env is None else env
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        raise GitHubError("GITHUB_STEP_SUMMARY is not set: run this in a GitHub Actions step")
    path = Path(target)
    there = path.stat().st_size if path.is_file() else 0
    data = markdown.encode("utf-8")
    if there + len(data) > STEP_SUMMARY_LIMIT:
        data = _TOO_LARGE.encode("utf-8")
    try:
        with path.open("ab") as summary:
            summary.write(data)
    except OSError as err:
        raise GitHubError(f"cannot write the job summary: {err.strerror}", file=path) from None
    return len(data)


def with_marker(body: str, marker: str = MARKER) -> str:
    """The body with the hidden marker first, cut to GitHub's limit (marker included)."""
    text = body if marker in body else f"{marker}\n{body}"
    return truncate_body(text)


def truncate_body(body: str, limit: int = MAX_BODY) -> str:
    if len(body) <= limit:
        return body
    return body[: limit - len(_TRUNCATED)] + _TRUNCATED


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    url: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    url: str
    head_ref: str
    head_sha: str
    base_ref: str
    state: str
    merged: bool = False
    merge_commit_sha: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullRequest:
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            head_ref=str(data["head"]["ref"]),
            head_sha=str(data["head"]["sha"]),
            base_ref=str(data["base"]["ref"]),
            state=str(data.get("state", "")),
            merged=bool(data.get("merged_at")),
            merge_commit_sha=data.get("merge_commit_sha"),
        )


Outcome = Literal["created", "updated", "unchanged"]


class GitHubClient:
    """A small, typed client for the endpoints the loop uses."""

    def __init__(
        self,
        context: GitHubContext,
        *,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 5,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.context = context
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=context.api_url,
            transport=transport,
            timeout=timeout,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {context.token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "speakap-sync",
            },
        )

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- comments -------------------------------------------------------------------------

    def list_issue_comments(self, number: int) -> list[Comment]:
        path = f"/repos/{self.context.repository}/issues/{number}/comments"
        return [_comment(c) for c in self._paginate(path)]

    def create_issue_comment(self, number: int, body: str) -> Comment:
        path = f"/repos/{self.context.repository}/issues/{number}/comments"
        return _comment(self._json("POST", path, json={"body": truncate_body(body)}))

    def update_issue_comment(self, comment_id: int, body: str) -> Comment:
        path = f"/repos/{self.context.repository}/issues/comments/{comment_id}"
        return _comment(self._json("PATCH", path, json={"body": truncate_body(body)}))

    def upsert_sticky_comment(
        self, number: int, body: str, marker: str = MARKER
    ) -> tuple[Outcome, Comment]:
        """Edit the one comment that carries ``marker``, or create it: never a second one."""
        text = with_marker(body, marker)
        comments = self.list_issue_comments(number)
        # ours starts with the marker; a person quoting it elsewhere must not capture it
        existing = next((c for c in comments if c.body.startswith(marker)), None)
        if existing is None:
            return "created", self.create_issue_comment(number, text)
        if existing.body == text:
            return "unchanged", existing
        return "updated", self.update_issue_comment(existing.id, text)

    # -- pull requests --------------------------------------------------------------------

    def find_open_pull(self, head_branch: str, base: str) -> PullRequest | None:
        path = f"/repos/{self.context.repository}/pulls"
        params = {"head": f"{self.context.owner}:{head_branch}", "base": base, "state": "open"}
        for data in self._paginate(path, params):
            pull = PullRequest.from_json(data)
            if pull.head_ref == head_branch and pull.base_ref == base:
                return pull
        return None

    def upsert_pull(
        self, head_branch: str, base: str, title: str, body: str
    ) -> tuple[Outcome, PullRequest]:
        """Update the open pull request from ``head_branch`` into ``base``, or open one."""
        repo = self.context.repository
        payload = {"title": title, "body": truncate_body(body)}
        pull = self.find_open_pull(head_branch, base)
        if pull is None:
            data = self._json(
                "POST", f"/repos/{repo}/pulls", json={**payload, "head": head_branch, "base": base}
            )
            return "created", PullRequest.from_json(data)
        data = self._json("PATCH", f"/repos/{repo}/pulls/{pull.number}", json=payload)
        return "updated", PullRequest.from_json(data)

    def close_pull(self, number: int, reason: str) -> PullRequest:
        """Close a pull request, saying why in a comment first."""
        self.create_issue_comment(number, reason)
        path = f"/repos/{self.context.repository}/pulls/{number}"
        return PullRequest.from_json(self._json("PATCH", path, json={"state": "closed"}))

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        path = f"/repos/{self.context.repository}/commits/{sha}/pulls"
        return [PullRequest.from_json(p) for p in self._paginate(path)]

    # -- workflow runs and artifacts ------------------------------------------------------

    def successful_runs(self, head_sha: str, workflow_path: str) -> list[Mapping[str, Any]]:
        """Successful runs of one workflow for a commit, newest first."""
        path = f"/repos/{self.context.repository}/actions/runs"
        params = {"head_sha": head_sha, "status": "success"}
        runs = [
            r
            for r in self._paginate(path, params, items="workflow_runs")
            if r.get("path", "").split("@", 1)[0] == workflow_path
        ]
        return sorted(
            runs, key=lambda r: (str(r.get("created_at", "")), int(r["id"])), reverse=True
        )

    def run_artifact(self, run_id: int, name: str) -> Mapping[str, Any] | None:
        path = f"/repos/{self.context.repository}/actions/runs/{run_id}/artifacts"
        for artifact in self._paginate(path, {"name": name}, items="artifacts"):
            if artifact.get("name") == name and not artifact.get("expired"):
                return artifact
        return None

    def latest_artifact(self, name: str) -> Mapping[str, Any] | None:
        path = f"/repos/{self.context.repository}/actions/artifacts"
        found = [
            a
            for a in self._paginate(path, {"name": name}, items="artifacts")
            if a.get("name") == name and not a.get("expired")
        ]
        found.sort(key=lambda a: (str(a.get("created_at", "")), int(a["id"])), reverse=True)
        return found[0] if found else None

    def download_artifact(self, artifact_id: int, dest: Path) -> list[Path]:
        """Unpack an artifact's zip into ``dest``; returns the files written."""
        path = f"/repos/{self.context.repository}/actions/artifacts/{artifact_id}/zip"
        # GitHub answers with a redirect to blob storage; httpx drops the Authorization
        # header when a redirect leaves the API's origin.
        response = self._request("GET", path, follow_redirects=True)
        return _unzip(response.content, dest)

    def fetch_reviewed_plan(self, merge_sha: str, dest: Path) -> tuple[PullRequest, list[Path]]:
        """Download the plan artifact reviewed on the pull request merged as ``merge_sha``."""
        merged = [p for p in self.pulls_for_commit(merge_sha) if p.merged]
        if not merged:
            raise BlockedError(
                f"commit {merge_sha[:12]} is not the merge of a reviewed pull request; "
                "desired-state/ changes must go through a pull request and its plan"
            )
        pull = next((p for p in merged if p.merge_commit_sha == merge_sha), merged[0])
        runs = self.successful_runs(pull.head_sha, PLAN_WORKFLOW)
        for run in runs:
            artifact = self.run_artifact(int(run["id"]), PLAN_ARTIFACT)
            if artifact is not None:
                return pull, self.download_artifact(int(artifact["id"]), dest)
        raise BlockedError(
            f"no successful plan for the last commit ({pull.head_sha[:12]}) of pull request "
            f"#{pull.number}; re-run the plan workflow on it before applying"
        )

    # -- transport ------------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = self._request(method, path, **kwargs).json()
        return data

    def _paginate(
        self, path: str, params: Mapping[str, str] | None = None, *, items: str | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Follow the ``Link: rel="next"`` chain, 100 items a page."""
        url: str | None = path
        query: dict[str, str] | None = {**(params or {}), "per_page": "100"}
        while url:
            response = self._request("GET", url, params=query)
            page = response.json()
            yield from page[items] if items else page
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as err:
                if attempt == self._max_attempts:
                    why = redact(str(err), (self.context.token,))
                    raise GitHubError(
                        f"{method} {_path(url)}: cannot reach GitHub ({why})"
                    ) from None
                self._wait(
                    method, url, type(err).__name__, min(2.0**attempt, self._max_wait), attempt
                )
                continue
            wait = self._retry_wait(response, attempt)
            if wait is None:
                return _checked(method, url, response, self.context.token)
            self._wait(method, url, f"GitHub answered {response.status_code}", wait, attempt)
        return _checked(method, url, response, self.context.token)

    def _wait(self, method: str, url: str, why: str, seconds: float, attempt: int) -> None:
        log.warning(
            "%s %s: %s, retrying in %.1f s (attempt %d of %d)",
            method,
            _path(url),
            why,
            seconds,
            attempt,
            self._max_attempts,
        )
        self._sleep(seconds)

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the response is final."""
        if response.is_success or attempt == self._max_attempts:
            return None
        if response.status_code in _RETRY_STATUS:
            return min(2.0**attempt, self._max_wait)
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after", "")
        if retry_after.strip().isdigit():  # GitHub sends seconds, never an HTTP date
            return self._bounded(float(retry_after))
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = float(response.headers.get("x-ratelimit-reset", "0"))
            return self._bounded(max(reset - time.time(), 1.0))
        if response.status_code == 429 or "secondary rate limit" in response.text.lower():
            return self._bounded(_DEFAULT_WAIT * attempt)
        return None  # a plain 403: permissions, not a limit

    def _bounded(self, seconds: float) -> float | None:
        if seconds > self._max_wait:
            return None  # rather fail now, with GitHub's answer, than hang the job
        return max(seconds, 0.0)


def _checked(method: str, url: str, response: httpx.Response, token: str) -> httpx.Response:
    """The response, or a GitHubError quoting GitHub's answer through the redactor."""
    if response.is_success:
        return response
    raise GitHubError(redact(f"{method} {_path(url)}: {_describe(response)}", (token,)))


def _describe(response: httpx.Response) -> str:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = {}
    message = str(data.get("message") or response.reason_phrase) if isinstance(data, dict) else ""
    details = []
    for error in data.get("errors", []) if isinstance(data, dict) else []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("resource", "field", "code") if k in error
            )
            details.append(str(text))
        else:
            details.append(str(error))
    text = f"GitHub answered {status} {message}"
    if details:
        text += ": " + "; ".join(details)
    hints = {
        401: " (GITHUB_TOKEN was rejected)",
        403: " (the token lacks a permission: see the workflow's permissions block)",
        404: " (no such repository, pull request or comment, or the token cannot see it)",
    }
    return text + hints.get(status, "")


def _path(url: str) -> str:
    return httpx.URL(url).path


def _comment(data: Mapping[str, Any]) -> Comment:
    return Comment(
        id=int(data["id"]), body=str(data.get("body") or ""), url=str(data.get("html_url", ""))
    )


def _unzip(content: bytes, dest: Path) -> list[Path]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise GitHubError("the artifact download is not a zip archive") from None
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written = []
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(root):
                raise GitHubError(f"the artifact holds an unsafe path: {info.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            written.append(target)
    return written
