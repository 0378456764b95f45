"""Printable invites: the simulator issues a one-time activation code with the account, returns
it once (in the create response), redeems it once, and the backend hands it to apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Action, Person
from reconciler.speakap import mapping
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import USER_SCHEMA, Dialect
from reconciler.speakap.simulator import Network, ScimProblem, SimulatorHandle, run_simulator
from reconciler.speakap.simulator.store import one_time_code
from tests.speakap.conftest import FAST_RETRY, TOKEN

BAG = Dialect().bag_urn
PAPER = Person("E3", "Piet", "Paper", invite_channel="printable")
EMAIL = Person("E1", "Eva", "Email", email="eva@versmarkt.example", invite_channel="email")


def backend_for(sim: SimulatorHandle, dialect: Dialect | None = None) -> ScimBackend:
    return ScimBackend(ScimClient(sim.url, Secret(sim.token), retry=FAST_RETRY), dialect)


def hire(backend: ScimBackend, *people: Person) -> dict[str, Any]:
    """Employee id -> ActionResult of its create."""
    actions = [Action(f"create_user:{p.employee_id}", "create_user", p.employee_id) for p in people]
    results = backend.execute(actions, {p.employee_id: p for p in people}, {})
    assert all(r.ok for r in results), results
    return {p.employee_id: r for p, r in zip(people, results, strict=True)}


def activate(sim: SimulatorHandle, login: str, code: str) -> httpx.Response:
    return httpx.post(
        sim.url.replace("/scim/v2", "/_sim/activate"),
        json={"login": login, "code": code},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


def test_a_printable_hire_gets_a_server_code_that_activates_exactly_once(
    simulator: SimulatorHandle,
) -> None:
    results = hire(backend_for(simulator), PAPER, EMAIL)
    code = results["E3"].invite_code
    assert code and len(code.replace("-", "")) == 8
    assert results["E1"].invite_code is None  # an email invite carries no code
    assert code not in repr(results["E3"])
    assert activate(simulator, "E3", "WRONG-CODE").status_code == 403
    assert activate(simulator, "E1", code).status_code == 403  # someone else's login
    first = activate(simulator, "e3", code.lower().replace("-", " "))  # as typed
    assert first.status_code == 200, first.text
    assert first.json()["user_id"] == results["E3"].created_id
    again = activate(simulator, "E3", code)
    assert again.status_code == 410 and "already been used" in again.json()["detail"]


def test_the_code_is_never_read_back_nor_shown_by_inspection(simulator: SimulatorHandle) -> None:
    backend = backend_for(simulator)
    code = hire(backend, PAPER)["E3"].invite_code
    assert code
    client = backend.client
    uid = client.search("/Users", 'externalId eq "E3"')[0]["id"]
    seen = [
        client.get("/Users", uid),
        client.list_all("/Users"),
        client.search("/Users", 'externalId eq "E3"'),
        httpx.get(
            simulator.url.replace("/scim/v2", "/_sim/state"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json(),
        simulator.invitations(),
    ]
    text = json.dumps(seen)
    assert code not in text and code.replace("-", "") not in text
    assert "code_hash" not in text  # not even its hash leaves the network
    assert simulator.invitations()[0]["activated_at"] is None


def test_a_client_cannot_choose_the_code() -> None:
    network = Network()
    body = {
        "schemas": [USER_SCHEMA, BAG],
        "userName": "p9",
        BAG: {"inviteChannel": "printable", "inviteCode": "AAAA-AAAA"},
    }
    created = network.create("Users", body)
    issued = created[BAG]["inviteCode"]
    assert issued != "AAAA-AAAA"
    assert "inviteCode" not in network.get("Users", created["id"])[BAG]
    assert network.activate("p9", issued)["user_id"] == created["id"]


def test_codes_survive_a_restart_as_salted_hashes(tmp_path: Path) -> None:
    data = tmp_path / "network.json"
    with run_simulator(token=TOKEN, data=data) as sim:
        code = hire(backend_for(sim), PAPER)["E3"].invite_code
    assert code and code not in data.read_text()
    with run_simulator(token=TOKEN, data=data) as sim:
        assert activate(sim, "E3", code).status_code == 200
    with run_simulator(token=TOKEN, data=data) as sim:  # the use was saved too
        assert activate(sim, "E3", code).status_code == 410


def test_the_code_attribute_follows_the_dialect() -> None:
    dialect = Dialect(invite_code_attribute="activationCode")
    with run_simulator(token=TOKEN, dialect=dialect) as sim:
        result = hire(backend_for(sim, dialect), PAPER)["E3"]
        assert result.invite_code
        assert activate(sim, "E3", result.invite_code).status_code == 200
    with run_simulator(token=TOKEN) as sim:  # a server naming it otherwise: no code, no guess
        assert hire(backend_for(sim, dialect), PAPER)["E3"].invite_code is None


def test_a_user_found_after_an_uncertain_create_has_no_code(simulator: SimulatorHandle) -> None:
    """An earlier POST landed but its answer was lost: the create finds the user (409, then a
    lookup by employee id) and reports no code rather than one it never saw."""
    landed = simulator.network.create("Users", mapping.user_body(PAPER, Dialect()))
    result = hire(backend_for(simulator), PAPER)["E3"]
    assert result.created_id == landed["id"] and result.invite_code is None
    assert len(simulator.network.users) == 1


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@settings(max_examples=60, deadline=None)
@given(
    lower=st.booleans(),
    separator=st.sampled_from(["-", " ", "", " - "]),
    guess=st.text(alphabet=_ALPHABET, min_size=8, max_size=8),
)
def test_only_the_issued_code_activates_however_it_is_typed(
    lower: bool, separator: str, guess: str
) -> None:
    code = one_time_code()
    raw = code.replace("-", "")
    assert len(raw) == 8 and code[4] == "-" and set(raw) <= set(_ALPHABET)
    network = Network()
    body = {"schemas": [USER_SCHEMA, BAG], "userName": "x", BAG: {"inviteChannel": "printable"}}
    issued = network.create("Users", body)[BAG]["inviteCode"]
    if guess != issued.replace("-", ""):
        with pytest.raises(ScimProblem) as wrong:
            network.activate("x", guess)
        assert wrong.value.status == 403
    typed = separator.join((issued[:4], issued[5:]))
    typed = typed.lower() if lower else typed
    assert network.activate(" X ", typed)["user_id"]
    with pytest.raises(ScimProblem) as reused:
        network.activate("x", typed)
    assert reused.value.status == 410
