"""contacts_in_git: false on the simulator: render leaves no contact value in users/, plan and
apply take the values from the contacts file only when they match the reviewed commitments,
and switching an applied network over changes nothing in Speakap."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import run
from reconciler.data import sample_path
from reconciler.demo import CONFIG_FILES, config_source
from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.speakap.simulator import SimulatorHandle, run_simulator

TOKEN = "speakap-contacts-token"
KEY = "a-network-secret-for-the-contacts"
PHONE = re.compile(r"\+[0-9]{6,}")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@dataclass
class Network:
    root: Path
    sim: SimulatorHandle

    @property
    def state(self) -> Path:
        return self.root / "desired-state"

    @property
    def contacts(self) -> Path:
        return self.root / "out" / "contacts.json"

    def render(self, rows: int = 12) -> None:
        lines = sample_path("hr-export-day1.csv").read_bytes().splitlines(keepends=True)
        export = self.root.parent / "export.csv"
        export.write_bytes(b"".join(lines[: rows + 1]))
        args = ["render", str(export), "--state-dir", str(self.state), "--today", "2026-03-02"]
        assert run([*args, "--contacts-out", str(self.contacts)]) == 0
        git(self.root, "add", "--all")
        git(self.root, "commit", "--quiet", "--allow-empty", "-m", "render")

    def plan(self, *extra: str) -> int:
        out = str(self.root / "out" / "plan")
        args = ["plan", "--state-dir", str(self.state), "--out", out, "--detailed-exitcode"]
        return run([*args, *extra])

    def planned(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads((self.root / "out" / "plan" / "plan.json").read_text())
        return doc

    def apply(self, *extra: str) -> int:
        out = str(self.root / "out" / "apply")
        args = ["apply", "--auto-approve", "--state-dir", str(self.state), "--out", out]
        return run([*args, *extra])

    def policy(self, contacts_in_git: bool) -> None:
        path = self.state / "policy.yaml"
        text = re.sub(r"\ncontacts_in_git: \w+\n", "\n", path.read_text())
        path.write_text(text + f"contacts_in_git: {str(contacts_in_git).lower()}\n")
        git(self.root, "commit", "--quiet", "-am", "policy")

    def live(self) -> dict[str, dict[str, Any]]:
        with self.sim.network.lock:
            users = list(self.sim.network.users.values())
        return {str(u["externalId"]): u for u in users if "externalId" in u}

    def shards(self) -> str:
        return "".join(p.read_text() for p in sorted((self.state / "users").glob("*.yaml")))


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    root = tmp_path / "repo"
    (root / "desired-state").mkdir(parents=True)
    for name in CONFIG_FILES:
        text = (config_source() / name).read_text(encoding="utf-8")
        (root / "desired-state" / name).write_text(text.replace("rate_limit: 20", "rate_limit: 0"))
    (root / ".gitignore").write_text("/out/\n")
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(root))
    git(root, "config", "user.name", "Test Admin")
    git(root, "config", "user.email", "admin@example.test")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "configuration")
    with run_simulator(token=TOKEN) as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", TOKEN)
        monkeypatch.setenv("SPEAKAP_SYNC_PII_KEY", KEY)
        yield Network(root, sim)


def test_render_plan_apply_plan_converges_with_contacts_outside_git(network: Network) -> None:
    network.policy(contacts_in_git=False)
    network.render()
    shards = network.shards()
    assert "@" not in shards and not PHONE.search(shards) and 'email_ref: "hmac:' in shards
    values = json.loads(network.contacts.read_text())["contacts"]
    assert network.plan("--contacts", str(network.contacts)) == 2
    assert network.apply("--contacts", str(network.contacts)) == 0
    assert network.plan("--contacts", str(network.contacts)) == 0
    assert network.plan() == 0  # live already holds what the commitments say
    live = network.live()
    assert set(live) == set(values)
    for eid, contact in values.items():
        emails = [e["value"] for e in live[eid].get("emails", [])]
        phones = [p["value"] for p in live[eid].get("phoneNumbers", [])]
        assert emails == ([contact["email"]] if "email" in contact else [])
        assert phones == ([contact["phone"]] if "phone" in contact else [])
    assert git(network.root, "tag", "--list", LAST_APPLIED_REF) == LAST_APPLIED_REF


def test_a_tampered_contacts_file_refuses_that_person_only(
    network: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    network.policy(contacts_in_git=False)
    network.render()
    doc = json.loads(network.contacts.read_text())
    victim = next(eid for eid, c in doc["contacts"].items() if "email" in c)
    doc["contacts"][victim]["email"] = "mallory@evil.example"
    tampered = network.root / "out" / "tampered.json"
    tampered.write_text(json.dumps(doc))

    assert network.plan("--contacts", str(tampered)) == 1
    err = capsys.readouterr().err
    assert (
        f"does not match email_ref: not planned, left as it is in Speakap (employee {victim})"
        in err
    )
    assert "mallory" not in err
    actions = network.planned()["actions"]
    planned_for = {a["employee_id"] for a in actions if a.get("employee_id")}
    assert victim not in planned_for and planned_for == set(doc["contacts"]) - {victim}

    assert network.apply("--contacts", str(tampered)) == 1
    live = network.live()
    assert victim not in live and set(live) == set(doc["contacts"]) - {victim}
    assert all("mallory" not in json.dumps(u) for u in live.values())
    assert git(network.root, "tag", "--list", LAST_APPLIED_REF) == ""  # not everyone applied


def test_switching_an_applied_network_to_contacts_outside_git_plans_nothing(
    network: Network,
) -> None:
    network.render()
    assert "@" in network.shards()
    assert network.apply() == 0
    before = network.live()
    network.policy(contacts_in_git=False)
    network.render()
    diff = git(network.root, "diff", "HEAD~1", "--", "desired-state/users")
    removed = [line for line in diff.splitlines() if line.startswith("-  ")]
    added = [line for line in diff.splitlines() if line.startswith("+  ")]
    assert removed and all(re.match(r"-  (email|phone): ", line) for line in removed)
    assert len(added) == len(removed)
    assert all(re.match(r'\+  (email|phone)_ref: "hmac:[0-9a-f]{32}"$', line) for line in added)
    assert network.plan() == 0  # no contacts file needed: live matches every commitment
    assert network.apply() == 0
    assert network.live() == before
