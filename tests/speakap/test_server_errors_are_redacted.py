"""A server that echoes the request's credentials in its error text never gets the token
printed or journaled: every SCIM error (its message, ``detail`` and ``scimType``) and every
failed action's reason pass the redactor."""

from __future__ import annotations

import string

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import MIN_SECRET_LENGTH
from reconciler.model import Action, Person
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.errors import ScimError

BASE = "https://acme.speakap.example/scim/v2"
# A token mixes letters and digits, as real ones do: an all-letter one can be a word of the
# client's own message ("resource" in "the resource changed"), which is no leak.
tokens = st.text(
    string.ascii_letters + string.digits + "-._~+/=", min_size=MIN_SECRET_LENGTH, max_size=64
).filter(lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t))
statuses = st.sampled_from([400, 401, 403, 404, 409, 412, 413, 422])
ECHOES = [
    "{token}",
    "Authorization: Bearer {token}",
    "bad header authorization={token}",
    "request was GET https://sync:{token}@acme/scim/v2/Users",
    "headers: {{'Authorization': 'Bearer {token}'}}",
]


def _client(token: str, status: int, echo: str, as_json: bool) -> ScimClient:
    text = echo.format(token=token)

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {token}"
        if as_json:
            body = {"status": str(status), "detail": text, "scimType": text}
            return httpx.Response(status, json=body)
        return httpx.Response(status, text=text)

    return ScimClient(
        BASE,
        Secret(token),
        transport=httpx.MockTransport(handle),
        sleep=lambda _: None,
        retry=RetryPolicy(attempts=1),
        rate_limit=None,
    )


@settings(max_examples=150, deadline=None)
@given(tokens, statuses, st.sampled_from(ECHOES), st.booleans())
def test_the_token_never_appears_in_a_scim_error(
    token: str, status: int, echo: str, as_json: bool
) -> None:
    with _client(token, status, echo, as_json) as client:
        try:
            client.get("/Users", "u-1")
        except ScimError as error:
            texts = [str(error), repr(error), error.detail or "", error.scim_type or ""]
        else:
            raise AssertionError("an error answer raised nothing")
    assert all(token not in text for text in texts)


@settings(max_examples=40, deadline=None)
@given(tokens, st.sampled_from([400, 404, 409, 422]), st.sampled_from(ECHOES))
def test_the_token_never_appears_in_a_failed_actions_reason(
    token: str, status: int, echo: str
) -> None:
    person = Person(
        employee_id="E1", given_name="Ann", family_name="Lee", invite_channel="printable"
    )
    action = Action("update_user:E1", "update_user", "E1", user_id="u-1", after={"job_title": "X"})
    backend = ScimBackend(_client(token, status, echo, True))
    try:
        [result] = backend.execute([action], {"E1": person}, {})
    finally:
        backend.close()
    assert not result.ok
    assert token not in (result.detail or "")
