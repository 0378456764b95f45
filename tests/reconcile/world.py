"""A small world for end-to-end scenarios: a git repository holding desired-state/, a live
SCIM server (the simulator or scim2-server), and the CLI run as a user would run it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.cli import run
from reconciler.desired.state import write_state
from reconciler.model import Person
from reconciler.speakap.client import ScimClient, Secret

ORG_UNITS = """\
org_units:
  - key: store-01
    kind: business_unit
    name: Store 01
  - key: store-02
    kind: business_unit
    name: Store 02
  - key: sales
    kind: department
    name: Sales
  - key: logistics
    kind: department
    name: Logistics
  - key: news
    kind: group
    name: News
    visibility: public
"""


def policy_yaml(offboarding: str = "delete", protected: Iterable[str] = ()) -> str:
    lines = [f"grace_days: 30\noffboarding: {offboarding}\ncreate_org_units: true"]
    lines.append(
        "thresholds:\n  max_offboard_percent: 10\n  max_update_percent: 30\n  min_managed: 10"
    )
    protected = list(protected)
    if protected:
        lines.append("protected:\n" + "".join(f'  - "{p}"\n' for p in protected).rstrip())
    return "\n".join(lines) + "\n"


@dataclass
class World:
    root: Path
    url: str
    token: str
    speakap_yaml: str = (
        "rate_limit: 0\nconcurrency: 8\n"
        "retries:\n  attempts: 8\n  base_delay: 0.01\n  max_delay: 0.05\n"
    )
    dialect: str = ""  # lines under `dialect:` in speakap.yaml
    outputs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.repo = git.Repo.init(self.root / "repo")
        self.state = self.root / "repo" / "desired-state"
        self.out = self.root / "out"
        self.state.mkdir(parents=True)
        (self.state / "org-units.yaml").write_text(ORG_UNITS)
        (self.state / "policy.yaml").write_text(policy_yaml())
        dialect = f"dialect:\n  {self.dialect}\n" if self.dialect else ""
        (self.state / "speakap.yaml").write_text(self.speakap_yaml + dialect)
        self.client = ScimClient(self.url, Secret(self.token), concurrency=4)

    def set_policy(self, text: str) -> None:
        (self.state / "policy.yaml").write_text(text)

    def commit(self, people: Iterable[Person], message: str = "render") -> str:
        write_state(self.state, list(people), 1)
        self.repo.git.add("-A", ".")
        self.repo.index.commit(message)
        return str(self.repo.head.commit.hexsha)

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str] | None = None) -> int:
        code = run(list(args))
        if capsys is not None:
            captured = capsys.readouterr()
            self.outputs.append(captured.out + captured.err)
        return code

    def plan(self, *extra: str) -> int:
        return run(
            [
                "plan",
                "--state-dir",
                str(self.state),
                "--out",
                str(self.out),
                "--detailed-exitcode",
                *extra,
            ]
        )

    def apply(self, *extra: str) -> int:
        return run(
            [
                "apply",
                "--plan",
                str(self.out / "plan.json"),
                "--state-dir",
                str(self.state),
                "--out",
                str(self.out),
                *extra,
            ]
        )

    def sync(self, people: Iterable[Person], message: str = "render") -> dict[str, Any]:
        """Commit, plan, apply; returns the reviewed plan document. Asserts it converged."""
        self.commit(people, message)
        assert self.plan() in (0, 2)
        reviewed = self.plan_json()
        assert self.apply() == 0
        assert self.plan() == 0, self.plan_json()["actions"]
        return reviewed

    def plan_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / "plan.json").read_text())
        return data

    def users(self) -> dict[str, dict[str, Any]]:
        """Live users by employee id (externalId), or by userName for those without one."""
        found = self.client.list_all("/Users")
        return {str(u.get("externalId") or u["userName"]): u for u in found}

    def groups_of(self, user: dict[str, Any]) -> set[str]:
        return {
            str(g.get("externalId"))
            for g in self.client.list_all("/Groups")
            if any(m.get("value") == user["id"] for m in g.get("members") or ())
        }

    def group_id(self, key: str) -> str:
        found = self.client.find_by_external_id("/Groups", key)
        assert found is not None
        return str(found["id"])
