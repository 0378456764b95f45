"""`speakap-sync demo`: the whole GitOps loop on the embedded simulator, in a temporary folder.

Day 1: a live network that already has an admin and a hand-made group; the shipped sample
export is rendered, proposed on a branch, planned as a reviewer sees it, merged and applied.
Then an admin changes Speakap by hand: adds a membership, removes a managed one, deletes a
managed account. Day 2: the next export (hires, transfers, leavers, a data error) is rendered
and planned: the manual membership survives, and the plan shows the other two as drift, put
back (the membership restored, the account recovered). Everything
happens under one folder (a real git repository with a bare ``origin``); the caller's working
tree is never touched. Plan and apply run through the same CLI commands the workflows use.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import git
import httpx
from rich.console import Console

from reconciler.data import sample_path
from reconciler.errors import SyncError
from reconciler.gitops import branch

DAY1 = date(2026, 3, 2)
DAY2 = date(2026, 3, 3)
BRANCH = branch.DEFAULT_BRANCH
CONFIG_FILES = ("org-units.yaml", "policy.yaml", "rules.yaml", "source.yaml", "speakap.yaml")
_BAG = "urn:speakap:params:scim:bag"
_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"

# The live network before the sync ever ran: an IT admin nobody in HR knows about (never touched
# by the sync), and a social club group an admin made by hand, with the admin in it.
SEED: Mapping[str, Any] = {
    "network": {"name": "Versmarkt (demo)", "grace_days": 30, "offboarding": "anonymize"},
    "users": [
        {
            "id": "admin-1",
            "schemas": [_USER],
            "userName": "it.admin@versmarkt.nl",
            "name": {"givenName": "Iris", "familyName": "Admin"},
            "emails": [{"value": "it.admin@versmarkt.nl", "type": "work", "primary": True}],
            "active": True,
        }
    ],
    "groups": [
        {
            "id": "club-1",
            "schemas": [_GROUP],
            "displayName": "Personeelsvereniging",
            "members": [{"value": "admin-1"}],
        }
    ],
}

Runner = Callable[[list[str]], int]


@dataclass(frozen=True)
class HandEdit:
    """A change an admin made by hand in Speakap between two syncs."""

    # "added" a membership (the sync must keep it), "removed" a managed membership (the sync
    # must put it back), "deleted" a managed account (the sync must recover it)
    kind: str
    employee_id: str
    org_unit: str = ""


@dataclass
class DemoResult:
    """Where the demo left things, for the closing summary and for tests."""

    workdir: Path
    repo: Path
    origin: Path
    reports: list[Path] = field(default_factory=list)
    plans: list[Path] = field(default_factory=list)
    apply_out: Path | None = None
    exit_codes: dict[str, int] = field(default_factory=dict)
    hand_edits: list[HandEdit] = field(default_factory=list)
    invitations: dict[str, int] = field(default_factory=dict)  # channel -> invitations sent


def config_source() -> Path:
    """The shipped demo configuration: packaged with the wheel, or the source tree's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_desired_state", here.parent / "desired-state"):
        if all((candidate / name).is_file() for name in CONFIG_FILES[:4]):
            return candidate
    raise SyncError("the demo configuration (desired-state/*.yaml) is not installed")


def run_demo(run_cli: Runner, console: Console, workdir: Path | None = None) -> DemoResult:
    """Play day 1 and day 2; ``run_cli`` runs a speakap-sync command line (the CLI's ``run``)."""
    from reconciler.speakap.simulator import Network, run_simulator

    root = workdir or Path(tempfile.mkdtemp(prefix="speakap-sync-demo-"))
    console.rule("speakap-sync demo: HR export -> pull request -> plan -> merge -> apply")
    result = _prepare_repo(root, console)
    token = secrets.token_urlsafe(24)
    with (
        run_simulator(token=token, network=Network.load(SEED)) as sim,
        _environment({"SPEAKAP_URL": sim.url, "SPEAKAP_TOKEN": token}),
    ):
        console.print(
            f"[bold]Live network[/bold]: the Speakap simulator at {sim.url}, "
            "with an IT admin and a hand-made group; no SMS gateway (printable invites instead)."
        )
        _day(result, run_cli, console, 1, DAY1, apply=True)
        result.hand_edits = _edit_by_hand(sim.url, token, console)
        _day(result, run_cli, console, 2, DAY2, apply=False)
        _check_hand_edits(result.plans[-1] / "plan.json", result.hand_edits, console)
        result.invitations = dict(Counter(str(i.get("channel")) for i in sim.invitations()))
    _where(result, console)
    return result


def _prepare_repo(root: Path, console: Console) -> DemoResult:
    origin, repo_dir = root / "origin.git", root / "people"
    git.Repo.init(origin, bare=True, initial_branch="main")
    repo = git.Repo.init(repo_dir, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Demo Admin")
        config.set_value("user", "email", "admin@versmarkt.example")
    state = repo_dir / "desired-state"
    state.mkdir()
    source = config_source()
    for name in CONFIG_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, state / name)
    _without_sms(state / "policy.yaml")
    _local_rate_limit(state / "speakap.yaml")
    repo.git.add("--all")
    repo.git.commit("-m", "Versmarkt's speakap-sync configuration")
    repo.create_remote("origin", str(origin))
    repo.git.push("origin", "main")
    console.print(
        f"[bold]Repository[/bold]: {repo_dir} (origin: {origin}), holding the configuration "
        f"({', '.join(sorted(p.name for p in state.iterdir()))})."
    )
    return DemoResult(workdir=root, repo=repo_dir, origin=origin)


def _without_sms(policy: Path) -> None:
    """The demo network has no SMS gateway, so people without email get printable invites."""
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        "\n".join(line for line in text.splitlines() if line.strip() != "- sms") + "\n",
        encoding="utf-8",
    )


def _local_rate_limit(settings: Path) -> None:
    """The simulator is on this machine: allow it more requests per second than Speakap."""
    if settings.is_file():
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("rate_limit: 20 ", "rate_limit: 200"), encoding="utf-8")


def _day(
    result: DemoResult, run_cli: Runner, console: Console, n: int, today: date, *, apply: bool
) -> None:
    from reconciler.render.run import render_to_disk

    repo = git.Repo(result.repo)
    state = result.repo / "desired-state"
    out = result.workdir / f"day{n}"
    console.rule(f"Day {n}: {today.isoformat()}")
    export = sample_path(f"hr-export-day{n}.csv")
    report = render_to_disk(export, state, today, out / "report")
    result.reports.append(out / "report")
    console.print(f"[bold]render[/bold] {export.name}: {report.summary()}", highlight=False)
    for issue in report.issues[:6]:
        where = f"line {issue.line}, employee {issue.employee_id}"
        console.print(f"  [yellow]{issue.kind}[/yellow] {where}: {issue.reason}", highlight=False)

    commit = branch.commit_render(result.repo, state, f"render {today.isoformat()}", branch=BRANCH)
    if commit is None:
        console.print("desired state unchanged: no pull request")
        return
    repo.git.checkout("--force", BRANCH)
    console.print(
        f"[bold]pull request[/bold] {BRANCH} -> main: {len(commit.changed)} file(s) changed, "
        f"commit {commit.sha[:12]} pushed to origin"
    )
    console.rule(f"The plan, as the pull request's reviewers see it (day {n})", style="dim")
    plan_dir = out / "plan"
    code = _quietly(
        run_cli, ["plan", "--state-dir", str(state), "--out", str(plan_dir), "--detailed-exitcode"]
    )
    result.exit_codes[f"plan-day{n}"] = code
    result.plans.append(plan_dir)
    _show_plan(plan_dir, state, console, short=n == 1)
    if not apply:
        repo.git.checkout("--force", "main")
        return
    console.rule("Merge and apply", style="dim")
    repo.git.checkout("--force", "main")
    repo.git.merge("--ff-only", BRANCH)
    repo.git.push("origin", "main")
    console.print(f"merged {BRANCH} into main and pushed: the apply workflow starts")
    result.apply_out = result.workdir / "apply"
    code = run_cli(
        [
            "apply",
            "--plan",
            str(plan_dir / "plan.json"),
            "--auto-approve",
            "--state-dir",
            str(state),
            "--out",
            str(result.apply_out),
        ]
    )
    result.exit_codes[f"apply-day{n}"] = code


def _quietly(run_cli: Runner, argv: list[str]) -> int:
    """Run a command with its terminal output held back; shown only if it fails."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run_cli(argv)
    if code not in (0, 2):  # 2: --detailed-exitcode's "there are changes"
        sys.stdout.write(out.getvalue())
        sys.stderr.write(err.getvalue())
    return code


def _show_plan(plan_dir: Path, state: Path, console: Console, *, short: bool) -> None:
    """The reviewer's view of the plan (an excerpt on day 1), and where the PR comment is."""
    from reconciler.desired.state import read_state
    from reconciler.reconcile.plan_json import read_plan
    from reconciler.reconcile.views import names_of, print_plan

    plan_json, plan_md = plan_dir / "plan.json", plan_dir / "plan.md"
    if not plan_json.is_file() or not plan_md.is_file():
        console.print("[red]no plan was written[/red]")
        return
    desired = read_state(state)
    names = names_of(desired.people)
    org_names = {unit.key: unit.name for unit in desired.org_units}
    units, per_unit = (3, 4) if short else (20, 5)
    plan = read_plan(plan_json)
    print_plan(plan, console, names=names, org_names=org_names, units=units, per_unit=per_unit)
    lines = plan_md.read_text(encoding="utf-8").count("\n")
    console.print(
        f"[bold]full plan[/bold] {plan_md} (the PR comment, {lines} lines, emails and phones "
        f"masked), plan.html (every action, searchable) and {plan_json.name}",
        highlight=False,
    )


def _edit_by_hand(url: str, token: str, console: Console) -> list[HandEdit]:
    """An admin adds someone to the first-aid group, takes someone out of their store and
    deletes a colleague's account."""
    headers = {"Authorization": f"Bearer {token}"}
    edits = []
    with httpx.Client(base_url=url, headers=headers, timeout=10.0) as http:
        first_aid = _group(http, "first-aid")
        store = _group(http, "store-s001")
        in_first_aid = {m["value"] for m in first_aid.get("members", [])}
        users = http.get("/Users", params={"count": "50"}).json().get("Resources", [])
        newcomer = next(
            u for u in users if u.get(_BAG, {}).get("managedBy") and u["id"] not in in_first_aid
        )
        _patch(http, first_aid["id"], "add", "members", [{"value": newcomer["id"]}])
        edits.append(HandEdit("added", str(newcomer["externalId"]), "first-aid"))
        leaver_id = store["members"][-1]["value"]
        _patch(http, store["id"], "remove", f'members[value eq "{leaver_id}"]', None)
        leaver = http.get(f"/Users/{leaver_id}").json()
        edits.append(HandEdit("removed", str(leaver["externalId"]), "store-s001"))
        deleted_id = store["members"][0]["value"]
        deleted = http.get(f"/Users/{deleted_id}").json()
        http.delete(f"/Users/{deleted_id}").raise_for_status()
        edits.append(HandEdit("deleted", str(deleted["externalId"])))
    for edit in edits:
        where = {"added": " to ", "removed": " from "}.get(edit.kind, "")
        what = "the account of" if edit.kind == "deleted" else ""
        console.print(
            f"[bold]by hand in Speakap[/bold]: an admin {edit.kind} {what or 'employee'} "
            f"{edit.employee_id}{where}{edit.org_unit}",
            highlight=False,
        )
    return edits


def _group(http: httpx.Client, key: str) -> dict[str, Any]:
    found = http.get("/Groups", params={"filter": f'externalId eq "{key}"'}).json()
    group: dict[str, Any] = found["Resources"][0]
    return group


def _patch(http: httpx.Client, group_id: str, op: str, path: str, value: Any) -> None:
    operation: dict[str, Any] = {"op": op, "path": path}
    if value is not None:
        operation["value"] = value
    body = {"schemas": [_PATCH], "Operations": [operation]}
    http.patch(f"/Groups/{group_id}", json=body).raise_for_status()


def _check_hand_edits(plan_json: Path, edits: list[HandEdit], console: Console) -> None:
    """Say what the day-2 plan does with the hand edits: keep the added, restore the removed
    (as drift, not as a move), recover the deleted account (as drift, not as a join)."""
    actions = json.loads(plan_json.read_text(encoding="utf-8"))["actions"]
    planned = {(a["kind"], a["employee_id"], a["org_unit"] or ""): a["cause"] for a in actions}
    for edit in edits:
        if edit.kind == "added":
            gone = ("remove_membership", edit.employee_id, edit.org_unit) in planned
            verdict = "[red]removed[/red]" if gone else "[green]kept[/green] (not the sync's)"
        elif edit.kind == "removed":
            cause = planned.get(("add_membership", edit.employee_id, edit.org_unit))
            verdict = f"[green]put back[/green] ({cause})" if cause else "[red]lost[/red]"
        else:
            cause = planned.get(("recover_user", edit.employee_id, ""))
            recreated = planned.get(("create_user", edit.employee_id, ""))
            verdict = (
                f"[green]recovered[/green], the same account ({cause})"
                if cause
                else f"[yellow]created anew[/yellow] ({recreated})"
                if recreated
                else "[red]lost[/red]"
            )
        said = f"{edit.employee_id} {edit.kind} {edit.org_unit}".rstrip()
        console.print(f"hand-made change: {said} -> {verdict}", highlight=False)


def _where(result: DemoResult, console: Console) -> None:
    console.rule("Where things are")
    console.print(f"repository     {result.repo}  (origin {result.origin})", highlight=False)
    for report in result.reports:
        console.print(f"sync report    {report / 'report.md'}", highlight=False)
    for plan in result.plans:
        console.print(
            f"plan           {plan / 'plan.md'}, plan.html and plan.json", highlight=False
        )
    if result.apply_out is not None:
        console.print(f"apply journal  {result.apply_out / 'journal'}", highlight=False)
        sheets = sorted((result.apply_out / "invites").glob("*.html"))
        folder = result.apply_out / "invites"
        console.print(f"invite sheets  {len(sheets)} printable sheets in {folder}", highlight=False)
    sent = ", ".join(f"{n} by {channel}" for channel, n in sorted(result.invitations.items()))
    console.print(f"invitations    {sent or 'none'} (sent by the simulator)", highlight=False)
    console.print(f"\nEverything is under {result.workdir}; remove it when done.", highlight=False)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
