"""How an anonymized account looks is the mapping's knowledge: it writes one and reads it back
as ``LiveUser.anonymized``, so the planner never looks at a userName."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model import Action, Person
from reconciler.speakap import mapping
from reconciler.speakap.dialect import DEFAULT_DIALECT, Dialect
from tests.speakap.conftest import Peer

EMPLOYEE = Person("E00042", "Anna", "Jansen", email="anna@versmarkt.example")


def live_resource(dialect: Dialect = DEFAULT_DIALECT, **changes: Any) -> dict[str, Any]:
    resource = {"id": "u-42", **mapping.user_body(EMPLOYEE, dialect)}
    resource.update(changes)
    return resource


@pytest.mark.parametrize("employee_id_attribute", ["externalId", "employeeNumber"])
def test_an_anonymized_body_reads_back_as_an_anonymized_managed_account(
    employee_id_attribute: str,
) -> None:
    dialect = Dialect(employee_id_attribute=employee_id_attribute)  # type: ignore[arg-type]
    body = mapping.anonymized_body(live_resource(dialect), dialect)
    user = mapping.live_user({"id": "u-42", **body}, dialect)
    assert user.anonymized and user.managed and not user.active
    assert user.employee_id == "E00042"
    assert (user.email, user.phone, user.job_title) == (None, None, None)


def test_a_suspended_account_is_not_anonymized() -> None:
    user = mapping.live_user(live_resource(active=False), DEFAULT_DIALECT)
    assert not user.active and not user.anonymized


def test_an_active_account_whose_login_starts_like_an_anonymized_one_is_not_anonymized() -> None:
    user = mapping.live_user(live_resource(userName="anonymized-fan@example.com"), DEFAULT_DIALECT)
    assert user.active and not user.anonymized


def test_an_account_anonymized_on_the_server_is_fetched_as_anonymized(scim_peer: Peer) -> None:
    backend = scim_peer.backend()
    created = backend.execute(
        [Action("create_user:E00042", "create_user", "E00042")], {"E00042": EMPLOYEE}, {}
    )
    user_id = str(created[0].created_id)
    current = backend.client.get("/Users", user_id)
    backend.client.replace(
        "/Users", user_id, mapping.anonymized_body(current, backend.dialect)
    )  # the replace landed, the DELETE that follows it did not
    fetched = {u.id: u for u in backend.fetch_snapshot().users}
    assert fetched[user_id].anonymized and fetched[user_id].employee_id == "E00042"
    backend.close()
