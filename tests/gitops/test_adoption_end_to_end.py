"""Adoption from nothing, as the workflows run it: ``init`` writes the repository, an admin
adapts it, render opens a pull request, the plan check comments, the merge is applied, and the
printable invite sheets come out of apply only encrypted, to be decrypted by the owner.

Every workflow job is played by the command lines of its reusable YAML, in a fresh clone of
the bare origin; GitHub is the local fake API, Speakap the simulator, the notification webhook
a local HTTP server.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli import run
from reconciler.gitops.github import MARKER, PLAN_ARTIFACT, PLAN_WORKFLOW
from reconciler.reconcile.sealing import IDENTITY_FILE_ENV, generate_identity
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.gitops.conftest import git
from tests.gitops.fake_github import FakeGitHub, run_fake_github

TOKEN = "speakap-adoption-token"
HEADER = (
    "Employee ID,First name,Last name,Work email,Mobile phone,Job title,Language,"
    "Location,Department,Start date,End date\n"
)
ROWS = [
    "1001,Anna,de Vries,anna@example.com,,Director,en,HQ,GEN,01-02-2020,",
    # no email, and this network sends no SMS: printable invites
    "1002,Bram,Jansen,,06-12345678,Warehouse,nl,HQ,GEN,01-03-2021,",
    "1003,Chloe,Bakker,chloe@example.com,,Buyer,en,HQ,GEN,15-04-2022,",
    "1004,Daan,Visser,,06-87654321,Driver,nl,HQ,GEN,01-05-2023,",
]
_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")  # the simulator's one-time codes


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def adapt(state: Path, public_key: str, url: str) -> None:
    """What the admin does after init: no SMS invites, the owner's key, notifications on
    success too, the simulator's URL and no client-side rate limit."""
    policy = (state / "policy.yaml").read_text(encoding="utf-8")
    policy = policy.replace("  - sms\n", "")
    policy = policy.replace("recipients: []", f'recipients: ["{public_key}"]')
    policy = policy.replace(
        "on: [blocked, failed, stale]", "on: [blocked, failed, stale, succeeded]"
    )
    (state / "policy.yaml").write_text(policy, encoding="utf-8")
    speakap = (state / "speakap.yaml").read_text(encoding="utf-8")
    speakap = speakap.replace("https://api.speakap.io/scim/v2", url).replace(
        "rate_limit: 20", "rate_limit: 0"
    )
    (state / "speakap.yaml").write_text(speakap, encoding="utf-8")


def clone(origin: Path, into: Path, ref: str) -> Path:
    git(into.parent, "clone", "--quiet", str(origin), str(into))
    git(into, "checkout", "--quiet", ref)
    git(into, "config", "user.name", "ci")
    git(into, "config", "user.email", "ci@example.test")
    return into


def activate(sim: SimulatorHandle, login: str, code: str) -> int:
    response = httpx.post(
        sim.url.replace("/scim/v2", "/_sim/activate"),
        json={"login": login, "code": code},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return response.status_code


def user_name(sim: SimulatorHandle, employee_id: str) -> str:
    with sim.network.lock:
        (user,) = (u for u in sim.network.users.values() if u.get("externalId") == employee_id)
    return str(user["userName"])


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeGitHub, SimulatorHandle]]:
    with run_fake_github() as github, run_simulator(token=TOKEN) as sim:
        for key, value in github.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SPEAKAP_TOKEN", TOKEN)
        yield github, sim


def test_init_render_pr_plan_comment_merge_apply_and_the_sheets_decrypted_back(
    tmp_path: Path,
    world: tuple[FakeGitHub, SimulatorHandle],
    webhook: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    github, sim = world
    hook_url, messages = webhook
    monkeypatch.setenv("SPEAKAP_NOTIFY_WEBHOOK", hook_url)

    # init, adapted, committed and pushed as the repository's first commit
    origin, root = tmp_path / "origin.git", tmp_path / "network"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    assert run(["init", str(root)]) == 0
    public_key = generate_identity(tmp_path / "owner.agekey")
    adapt(root / "desired-state", public_key, sim.url)
    assert run(["validate", "--state-dir", str(root / "desired-state")]) == 0
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(root))
    for args in (
        ("config", "user.name", "Admin"),
        ("config", "user.email", "admin@example.test"),
        ("remote", "add", "origin", str(origin)),
        ("add", "--all"),
        ("commit", "--quiet", "-m", "speakap-sync init"),
        ("push", "--quiet", "origin", "main"),
    ):
        git(root, *args)
    base = git(root, "rev-parse", "HEAD")
    github.head_sha_of = lambda branch: git(origin, "rev-parse", branch)

    # render workflow: the HR export in, one pull request out
    export = tmp_path / "hr-export.csv"
    export.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    state = str(root / "desired-state")
    report = tmp_path / "report"
    assert (
        run(
            [
                "render",
                str(export),
                "--state-dir",
                state,
                "--today",
                "2026-03-02",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert run(["github", "open-pr", "--state-dir", state, "--report", str(report)]) == 0
    (pr,) = github.pulls
    head = str(github.pulls[pr]["head"]["sha"])

    # plan workflow: the pull request changes the desired state, so it is planned and commented
    job = clone(origin, tmp_path / "plan-job", head)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": pr, "base": {"sha": base}}}))
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.chdir(job)
    assert run(["github", "changed", "--state-dir", "desired-state"]) == 0
    assert outputs.read_text() == "changed=true\n"
    assert run(["validate", "--state-dir", "desired-state"]) == 0
    plan_out = tmp_path / "plan"
    assert run(["plan", "--state-dir", "desired-state", "--out", str(plan_out)]) == 0
    assert (
        run(["github", "comment", "--body-file", str(plan_out / "plan.md"), "--pr", str(pr)]) == 0
    )
    (comment,) = github.comments_on(pr)
    assert comment["body"].startswith(MARKER)
    planned = json.loads((plan_out / "plan.json").read_text())
    creates = sorted(a["employee_id"] for a in planned["actions"] if a["kind"] == "create_user")
    assert creates == ["1001", "1002", "1003", "1004"]
    files = {n: (plan_out / n).read_bytes() for n in ("plan.json", "plan.md")}
    github.add_run(head, files, path=PLAN_WORKFLOW, name=PLAN_ARTIFACT)

    # merge, then the apply workflow in its environment
    git(origin, "update-ref", "refs/heads/main", head)
    github.merge(pr, head)
    job = clone(origin, tmp_path / "apply-job", "main")
    monkeypatch.chdir(job)
    reviewed, out = tmp_path / "reviewed", tmp_path / "apply"
    assert run(["github", "fetch-plan", "--out", str(reviewed), "--sha", head]) == 0
    capsys.readouterr()
    apply = ["apply", "--plan", str(reviewed / "plan.json"), "--auto-approve", "--out", str(out)]
    assert run([*apply, "--state-dir", "desired-state"]) == 0
    printed = capsys.readouterr()
    assert re.search(
        r"printable invites: [\d,]+ (person|people) on [\d,]+ encrypted sheets? in ", printed.out
    )
    assert "notifications: sent 'succeeded'" in printed.err
    assert (
        "4 change(s) applied" in messages[-1]["text"] or "change(s) applied" in messages[-1]["text"]
    )
    assert hook_url not in printed.out + printed.err

    # what the artifact step uploads: the journal, the summary and *.age only
    sheets = sorted((out / "invites").iterdir())
    assert sheets and all(p.name.endswith(".html.age") for p in sheets)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["invite_sheets_encrypted"] is True and summary["last_applied_moved"] is True

    # the owner decrypts them; the codes on them open the two printable accounts
    monkeypatch.setenv(IDENTITY_FILE_ENV, str(tmp_path / "owner.agekey"))
    opened = tmp_path / "opened"
    assert run(["invites", "decrypt", *map(str, sheets), "--out", str(opened)]) == 0
    text = "".join(p.read_text(encoding="utf-8") for p in opened.glob("*.html"))
    assert "Bram Jansen" in text and "Daan Visser" in text and "Anna" not in text
    codes = set(_CODE.findall(text))
    assert len(codes) == 2
    for employee_id in ("1002", "1004"):
        login = user_name(sim, employee_id)
        assert sorted(activate(sim, login, code) for code in codes)[0] == 200
