"""The redactor removes every credential from a text: a known secret in any spelling a server
may echo (plain, URL-encoded), Authorization and Cookie header values, bare Bearer
credentials, a URL's user:password and secret query parameters; other words stay."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import MIN_SECRET_LENGTH, env_secrets, redact

TOKEN_ALPHABET = string.ascii_letters + string.digits + string.punctuation + " "
tokens = st.text(TOKEN_ALPHABET, min_size=MIN_SECRET_LENGTH, max_size=60).filter(
    lambda t: t.strip() == t
)
prose = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)


@given(tokens, st.lists(prose, min_size=1, max_size=5))
def test_a_known_secret_never_survives_however_it_is_embedded(
    token: str, pieces: list[str]
) -> None:
    echoed = [
        token,
        f"Authorization: Bearer {token}",
        f"authorization={token}",
        f"https://sync:{token}@hr.example.com/x",
        f"?token={token}&x=1",
    ]
    text = "".join(p + e for p, e in zip(pieces, echoed * 5, strict=False))
    assert token not in redact(text, (token,))


@given(tokens, prose)
def test_a_text_without_the_secret_and_without_credentials_keeps_its_words(
    token: str, text: str
) -> None:
    words = "".join(c for c in text if c.isalpha() or c == " ")
    if token in words:
        return
    assert redact(words, (token,)) == words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo: Authorization: Bearer abc.def-ghi", "echo: Authorization: ***"),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: ***"),
        ('headers {"authorization": "token ghp_123"}', 'headers {"authorization": ***}'),
        ("Cookie: session=abc; theme=dark", "Cookie: ***; theme=dark"),
        ("rejected Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "rejected Bearer ***"),
        (
            "GET https://sync:s3cret@hr.example.com/export.csv",
            "GET https://***@hr.example.com/export.csv",
        ),
        (
            "GET https://hr.example.com/x?access_token=abc&page=2",
            "GET https://hr.example.com/x?access_token=***&page=2",
        ),
        ("a valid bearer token is required", "a valid bearer token is required"),
        ("check the token's rights", "check the token's rights"),
    ],
)
def test_credential_shapes_are_cut_and_prose_is_kept(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_url_encoded_secret_is_cut_too() -> None:
    token = "a/b+c=d e&f"
    assert redact("value a%2Fb%2Bc%3Dd%20e%26f here", (token,)) == "value *** here"


def test_secrets_shorter_than_the_minimum_are_left_to_the_patterns() -> None:
    assert redact("id abc is unknown", ("abc",)) == "id abc is unknown"


def test_the_environment_names_every_token_the_tool_reads() -> None:
    env = {"SPEAKAP_TOKEN": " sp-token-1 ", "GITHUB_TOKEN": "gh-token", "PATH": "/bin"}
    assert env_secrets(env) == ("sp-token-1", "gh-token")
