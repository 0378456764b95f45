"""CLI commands: github (what the workflows in .github/workflows call, so the YAML has no logic)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import typer

from reconciler.cli.app import github_app
from reconciler.desired import last_applied
from reconciler.desired.state import read_state
from reconciler.errors import InputError
from reconciler.feeds.config import find_feed
from reconciler.gitops import branch as render_branch
from reconciler.gitops import export_fetch, pull_scope
from reconciler.gitops.github import (
    MARKER,
    GitHubClient,
    GitHubContext,
    GitHubError,
    append_step_summary,
)
from reconciler.gitops.pr_body import render_pr_body
from reconciler.reconcile import views


def _client() -> GitHubClient:
    return GitHubClient(GitHubContext.from_env())


def _body(body_file: Path, if_missing: str | None, what: str) -> str:
    """BODY_FILE's text, else the ``--if-missing`` text; ``what`` names the body in the error
    when there is neither."""
    if body_file.is_file():
        return body_file.read_text(encoding="utf-8")
    if if_missing is not None:
        return if_missing
    raise InputError(f"{what} does not exist", file=body_file)


@github_app.command()
def comment(
    body_file: Path = typer.Option(..., "--body-file", help="Markdown file to post (plan.md)."),
    marker: str = typer.Option(MARKER, "--marker", help="Hidden marker naming the sticky comment."),
    pr: int | None = typer.Option(None, "--pr", help="Pull request number (default: the event's)."),
    if_missing: str | None = typer.Option(
        None, "--if-missing", help="Text to post instead when BODY_FILE does not exist."
    ),
) -> None:
    """Post BODY_FILE on the pull request, editing the comment with MARKER if there is one."""
    body = _body(body_file, if_missing, "the comment body")
    with _client() as client:
        number = pr or client.context.pr_number
        if number is None:
            raise GitHubError("no pull request number: pass --pr or run on a pull_request event")
        outcome, posted = client.upsert_sticky_comment(number, body, marker)
    typer.echo(f"{outcome} comment {posted.id} on pull request #{number} {posted.url}".rstrip())


@github_app.command("step-summary")
def step_summary(
    body_file: Path = typer.Option(
        ..., "--body-file", help="Markdown file to add (the plan's step-summary.md)."
    ),
    if_missing: str | None = typer.Option(
        None, "--if-missing", help="Text to add instead when BODY_FILE does not exist."
    ),
) -> None:
    """Add BODY_FILE to this job step's summary ($GITHUB_STEP_SUMMARY), within GitHub's 1 MiB."""
    instead = None if if_missing is None else if_missing + "\n"
    added = append_step_summary(_body(body_file, instead, "the job summary body"))
    typer.echo(f"job summary: {added:,} bytes added")


@github_app.command("open-pr")
def open_pr(
    state_dir: Path = typer.Option(Path("desired-state"), "--state-dir", help="Desired state."),
    report: Path | None = typer.Option(None, "--report", help="Render's report folder (PR body)."),
    branch: str = typer.Option(render_branch.DEFAULT_BRANCH, "--branch", help="The render branch."),
    base: str | None = typer.Option(None, "--base", help="Target branch (default: current)."),
    title: str | None = typer.Option(None, "--title", help="Pull request title."),
) -> None:
    """Commit changed desired state to the render branch, push it, open or update its PR."""
    base = base or render_branch.current_branch(state_dir)
    message = title or f"speakap-sync: render of {date.today().isoformat()}"
    commit = render_branch.commit_render(state_dir, state_dir, message, branch=branch)
    if commit is None:
        typer.echo(f"{state_dir} is unchanged: nothing committed, nothing pushed")
        _close_outdated_render_pr(branch, base)
        return
    pushed = "pushed" if commit.pushed else "already on the remote"
    typer.echo(f"{branch} at {commit.sha[:12]} ({len(commit.changed)} file(s), {pushed})")
    names = views.names_of(read_state(state_dir).people)
    with _client() as client:
        body = render_pr_body(report, commit, names)
        outcome, pull = client.upsert_pull(branch, base, message, body)
    typer.echo(f"{outcome} pull request #{pull.number} {pull.url}".rstrip())


def _close_outdated_render_pr(branch: str, base: str) -> None:
    """A render PR still open when HR data matches the base again proposes a stale change."""
    with _client() as client:
        pull = client.find_open_pull(branch, base)
        if pull is None:
            return
        client.close_pull(
            pull.number,
            f"The latest render of the HR export matches `{base}`: nothing left to propose, "
            "so this pull request is closed. The next change reopens one.",
        )
    typer.echo(f"closed pull request #{pull.number}: its change is no longer in the HR export")


@github_app.command("has-feed")
def has_feed(
    state_dir: Path = typer.Option(Path("desired-state"), "--state-dir", help="Desired state."),
) -> None:
    """Tell the render job whether source.yaml has a `feed:` (step output `feed`): then the
    HR export comes from the HR system's API (`speakap-sync fetch`)."""
    feed = find_feed(state_dir)
    pull_scope.write_step_output("feed", "true" if feed is not None else "false")
    if feed is None:
        typer.echo("source.yaml has no feed: the HR export comes from the workflow's source")
        return
    preset = f" (preset {feed.preset})" if feed.preset else ""
    typer.echo(f"source.yaml has a feed{preset}: the HR export comes from {_origin(feed.url)}")


def _origin(url: str) -> str:
    """The scheme and host of a URL: its path or query may hold an account name."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "the configured URL"


@github_app.command("fetch-plan")
def fetch_plan(
    out: Path = typer.Option(..., "--out", help="Folder to unpack the reviewed plan into."),
    sha: str | None = typer.Option(None, "--sha", help="Merge commit (default: GITHUB_SHA)."),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Without --sha: the merge that last changed this folder on HEAD's first-parent "
        "line (an apply run by hand after later commits).",
    ),
) -> None:
    """Download the plan reviewed on the pull request that was merged as SHA."""
    if sha is None and state_dir is not None:
        sha = last_applied.last_change(state_dir)
    sha = sha or os.environ.get("GITHUB_SHA")
    if not sha:
        raise GitHubError("no commit: pass --sha or run in a GitHub Actions job (GITHUB_SHA)")
    with _client() as client:
        pull, files = client.fetch_reviewed_plan(sha, out)
    names = ", ".join(sorted(p.name for p in files))
    typer.echo(f"reviewed plan of pull request #{pull.number} ({pull.head_sha[:12]}): {names}")


@github_app.command("fetch-export")
def fetch_export(
    source: str = typer.Option(
        "path", "--source", help="Where the export comes from: path, url or artifact."
    ),
    location: str = typer.Option(
        ..., "--location", help="The file path, the URL, or the artifact name."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the export."),
) -> None:
    """Fetch the HR export for render (an endpoint's token from env HR_EXPORT_TOKEN)."""
    if source not in export_fetch.SOURCES:
        raise InputError(f"--source must be one of {', '.join(export_fetch.SOURCES)}")
    export_fetch.fetch_export(source, location, out)
    typer.echo(f"HR export ({source}) written to {out}")


@github_app.command()
def changed(
    state_dir: Path = typer.Option(Path("desired-state"), "--state-dir", help="Desired state."),
) -> None:
    """Tell the plan job whether its pull request changes STATE_DIR (step output `changed`)."""
    scope = pull_scope.pull_request_scope(state_dir)
    pull_scope.write_step_output("changed", "true" if scope.changed else "false")
    typer.echo(scope.reason)
    for name in scope.files[:20]:
        typer.echo(f"  {name}")
