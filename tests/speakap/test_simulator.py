"""Speakap behaviour of the simulator: grace period, purge modes, invitations, persistence,
page-size caps, inconsistent pages, throttling and the seeded network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reconciler.cli import run
from reconciler.errors import SyncError
from reconciler.model import Action, OrgUnit, Person
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.simulator import (
    Network,
    NetworkSettings,
    SimulatorHandle,
    load_network,
    run_simulator,
)
from tests.speakap.conftest import FAST_RETRY, TOKEN

SEED = Path(__file__).parent / "data" / "seed-network.json"


def backend_for(sim: SimulatorHandle, **kwargs: object) -> ScimBackend:
    options: dict[str, object] = {"retry": FAST_RETRY}
    options.update(kwargs)
    return ScimBackend(ScimClient(sim.url, Secret(sim.token), **options))  # type: ignore[arg-type]


def hire(backend: ScimBackend, *people: Person) -> dict[str, str]:
    actions = [Action(f"c:{p.employee_id}", "create_user", p.employee_id) for p in people]
    results = backend.execute(actions, {p.employee_id: p for p in people}, {})
    assert all(r.ok for r in results)
    return {p.employee_id: str(r.created_id) for p, r in zip(people, results, strict=True)}


def test_the_seeded_network_has_an_unmanaged_admin_and_a_manual_membership() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        snapshot = backend_for(sim).fetch_snapshot()
    users = {u.user_name: u for u in snapshot.users}
    admin = users["admin@versmarkt.example"]
    assert not admin.managed and admin.employee_id is None
    jan = users["jan.devries@versmarkt.example"]
    assert jan.managed and (jan.employee_id, jan.infix, jan.phone) == ("1001", "de", "+31612345001")
    groups = {g.key: g for g in snapshot.groups}
    assert groups["store-001"].members == {"u-1001", "u-1002", "u-admin"}
    assert groups["social-club"].members == {"u-1001"} and groups["social-club"].kind == "group"
    assert groups["bakery"].kind == "department"


def test_a_deleted_leaver_is_recoverable_inside_grace_with_memberships() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim)
        backend.execute([Action("d", "delete_user", "1002", user_id="u-1002")], {}, {})
        snapshot = backend.fetch_snapshot()
        assert "u-1002" not in {u.id for u in snapshot.users}
        assert "u-1002" not in next(g for g in snapshot.groups if g.key == "bakery").members
        sim.advance_clock(days=29)
        response = httpx.post(
            sim.url.replace("/scim/v2", "/_sim/recover/u-1002"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 200
        snapshot = backend.fetch_snapshot()
        assert "u-1002" in next(g for g in snapshot.groups if g.key == "bakery").members
        assert {u.id: u for u in snapshot.users}["u-1002"].email == (
            "fatima.elamrani@versmarkt.example"
        )


@pytest.mark.parametrize(
    ("mode", "kept_name"), [("delete", {"givenName": "Fatima", "familyName": "El Amrani"}),
                            ("anonymize", None)],
)  # fmt: skip
def test_after_grace_a_deleted_user_is_purged_per_network_setting(
    mode: str, kept_name: dict[str, str] | None
) -> None:
    settings = NetworkSettings(grace_days=30, offboarding=mode)  # type: ignore[arg-type]
    with run_simulator(token=TOKEN, network=load_network(SEED), settings=settings) as sim:
        backend_for(sim).execute([Action("d", "delete_user", "1002", user_id="u-1002")], {}, {})
        sim.advance_clock(days=30, seconds=1)
        assert sim.network.deleted == {}
        (purged,) = sim.network.purged
        assert purged.get("name") == kept_name
        assert not {"emails", "phoneNumbers", "title", "userName"} & set(purged)
        recover = httpx.post(
            sim.url.replace("/scim/v2", "/_sim/recover/u-1002"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert recover.status_code == 404


def test_new_hires_get_an_invitation_by_the_channel_asked_for(simulator: SimulatorHandle) -> None:
    backend = backend_for(simulator)
    hire(
        backend,
        Person("E1", "Eva", "Email", email="eva@versmarkt.example", invite_channel="email"),
        Person("E2", "Sam", "Sms", phone="+31611111111", invite_channel="sms"),
        Person("E3", "Piet", "Paper", invite_channel="printable"),
    )
    sent = {i["external_id"]: (i["channel"], i["to"]) for i in simulator.invitations()}
    assert sent == {
        "E1": ("email", "eva@versmarkt.example"),
        "E2": ("sms", "+31611111111"),
        "E3": ("printable", None),
    }
    over_http = httpx.get(
        simulator.url.replace("/scim/v2", "/_sim/invitations"),
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()["invitations"]
    assert len(over_http) == 3


def test_the_network_survives_a_restart_through_its_data_file(tmp_path: Path) -> None:
    data = tmp_path / "network.json"
    with run_simulator(token=TOKEN, data=data) as sim:
        backend = backend_for(sim)
        ids = hire(backend, Person("E1", "Eva", "Persist", email="eva@versmarkt.example"))
        unit = OrgUnit("store-9", "business_unit", "Store 9")
        backend.execute([Action("o", "create_org_unit", org_unit="store-9")], {}, {"store-9": unit})
        backend.execute([Action("m", "add_membership", "E1", org_unit="store-9")], {}, {})
    assert [p.name for p in tmp_path.iterdir()] == ["network.json"]  # no temporary file left
    with run_simulator(token=TOKEN, data=data) as sim:
        snapshot = backend_for(sim).fetch_snapshot()
    assert [u.id for u in snapshot.users] == [ids["E1"]]
    assert snapshot.groups[0].members == {ids["E1"]}
    assert len(json.loads(data.read_text())["invitations"]) == 1


def test_a_page_size_cap_is_followed_without_losing_users() -> None:
    with run_simulator(token=TOKEN, max_page_size=7) as sim:
        for n in range(30):
            sim.network.create(
                "Users",
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"u{n}"},
            )
        client = ScimClient(sim.url, Secret(TOKEN), page_size=100, retry=FAST_RETRY)
        users = client.list_all("/Users")
        assert len({u["id"] for u in users}) == 30
        assert client.stats.requests == 5  # ceil(30 / 7): the server's cap sets the step


def test_shifting_and_short_pages_are_reread_and_deduplicated(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 7644 3.4.2.4: a page may overlap the previous one or come back short."""
    for n in range(40):
        simulator.network.create(
            "Users",
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"u{n}"},
        )
    real = Network._page_of  # the page's resources, before they are served
    calls: dict[int, int] = {}

    def inconsistent(self, kinds, filter_text, start, count):  # type: ignore[no-untyped-def]
        calls[start] = calls.get(start, 0) + 1
        if start == 11 and calls[start] == 1:
            total, page = real(self, kinds, filter_text, start, count)
            return total, page[:3]  # short page: must be re-read
        if start == 21:
            return real(self, kinds, filter_text, start - 2, count)  # shifted: overlaps page 2
        return real(self, kinds, filter_text, start, count)

    monkeypatch.setattr(Network, "_page_of", inconsistent)
    client = ScimClient(simulator.url, Secret(TOKEN), page_size=10, retry=FAST_RETRY)
    users = client.list_all("/Users")
    assert len(users) == len({u["id"] for u in users})
    assert calls[11] == 2
    assert {u["userName"] for u in users} >= {f"u{n}" for n in range(19)} | {
        f"u{n}" for n in range(30, 40)
    }


def test_throttling_is_answered_with_retry_after_and_honoured() -> None:
    with run_simulator(token=TOKEN, rate_limit=20, retry_after=0.25) as sim:
        client = ScimClient(sim.url, Secret(TOKEN), retry=FAST_RETRY, concurrency=4)
        started = time.monotonic()
        for _ in range(30):
            client.list_all("/Users")
        assert sim.counters.throttled > 0
        assert client.stats.throttled == sim.counters.throttled
        assert time.monotonic() - started >= 0.25


def test_inspection_endpoints_need_the_token(simulator: SimulatorHandle) -> None:
    root = simulator.url.replace("/scim/v2", "")
    assert httpx.get(f"{root}/_sim/state").status_code == 401
    state = httpx.get(f"{root}/_sim/state", headers={"Authorization": f"Bearer {TOKEN}"})
    assert state.status_code == 200 and state.json()["users"] == []
    moved = httpx.post(
        f"{root}/_sim/clock",
        json={"advance_days": 2},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert moved.status_code == 200 and simulator.network.clock_offset == 2 * 86400


def test_the_simulator_command_serves_until_stopped(tmp_path: Path) -> None:
    env = {**os.environ, "SPEAKAP_TOKEN": "cli-token"}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "simulator", "--port", "0",
         "--data", str(tmp_path / "n.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" on ")[1].split(" ")[0]
        config = httpx.get(
            f"{url}/ServiceProviderConfig", headers={"Authorization": "Bearer cli-token"}
        )
        assert config.json()["etag"]["supported"] is True
        assert "cli-token" not in first
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_simulator_command_on_a_port_in_use_is_one_error_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "cli-token")
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run(["simulator", "--port", str(port)]) == 1
    assert capsys.readouterr().err == (
        f"error: the simulator cannot listen on 127.0.0.1:{port}: the port is in use (another "
        "simulator?); stop what holds it, or choose another port (0: any free one)\n"
    )


def test_a_port_past_65535_is_refused_as_not_a_port_number() -> None:
    refused = pytest.raises(SyncError, match=r"listen on 127.0.0.1:70000: not a port number")
    with refused, run_simulator(token=TOKEN, port=70000):
        pass  # pragma: no cover - never reached


def test_the_client_keeps_to_its_concurrency_and_rate_limits() -> None:
    with run_simulator(token=TOKEN, latency=0.05, max_page_size=2) as sim:
        for n in range(24):
            sim.network.create(
                "Users",
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"u{n}"},
            )
        client = ScimClient(sim.url, Secret(TOKEN), concurrency=3, retry=FAST_RETRY)
        assert len(client.list_all("/Users")) == 24
        assert 1 < sim.counters.max_in_flight <= 3
        limited = ScimClient(sim.url, Secret(TOKEN), concurrency=3, rate_limit=20)
        started = time.monotonic()
        for _ in range(13):
            limited.get("/Users", next(iter(sim.network.users)))
        # 13 requests at 20/s, with a burst of 3 allowed at once: at least 0.5 s.
        assert time.monotonic() - started >= 0.5


def test_retry_after_as_seconds_or_http_date_is_honoured_within_a_bound() -> None:
    client = ScimClient("http://127.0.0.1:9", Secret(TOKEN), retry=FAST_RETRY)
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert client._retry_after(httpx.Response(429, headers={"Retry-After": "1.5"}), 1) == 1.5
    assert client._retry_after(httpx.Response(429, headers={"Retry-After": later}), 1) == 2.0
    assert 0 <= client._retry_after(httpx.Response(429), 1) <= FAST_RETRY.max_delay
