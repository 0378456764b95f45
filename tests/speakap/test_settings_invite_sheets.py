"""What speakap.yaml tells the printable invite sheets: the network's name and app link
(``network:``) and the dialect's activation link, a URL template that may name only the login
and the code; a wrong one is one error naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.settings import ConnectionSettings

ENV = {"SPEAKAP_URL": "https://example.invalid/scim/v2", "SPEAKAP_TOKEN": "t"}
REPO_STATE = Path(__file__).parents[2] / "desired-state"


def load(tmp_path: Path, text: str) -> ConnectionSettings:
    (tmp_path / "speakap.yaml").write_text(text, encoding="utf-8")
    return ConnectionSettings.load(tmp_path, env=ENV)


def test_the_network_block_gives_the_name_and_app_link(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        "network:\n  name: Versmarkt\n  app_url: https://versmarkt.example\n"
        "dialect:\n  activation_url: https://versmarkt.example/a?u={login}&c={code}\n",
    )
    assert (settings.network_name, settings.app_url) == ("Versmarkt", "https://versmarkt.example")
    assert settings.dialect.activation_url == "https://versmarkt.example/a?u={login}&c={code}"


def test_without_them_the_sheet_has_no_name_and_no_links(tmp_path: Path) -> None:
    settings = load(tmp_path, "rate_limit: 5\n")
    assert (settings.network_name, settings.app_url, settings.dialect.activation_url) == (
        None,
        None,
        None,
    )


def test_the_sample_network_has_a_name_and_an_app_link() -> None:
    settings = ConnectionSettings.load(REPO_STATE, env=ENV)
    assert settings.network_name and (settings.app_url or "").startswith("https://")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://x.example/a?t={token}", "not {token}"),
        ("https://x.example/a?c={code!r}", "not {code!r}"),
        ("https://x.example/a?c={code:>9}", "not {code:>9}"),
        ("https://x.example/a?c={", "not a valid URL template"),
        ("https://x.example/a?c={}", "not {}"),
    ],
)
def test_an_activation_link_naming_anything_but_login_and_code_is_refused(
    tmp_path: Path, value: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'dialect:\n  activation_url: "{value}"\n')
    assert says in str(caught.value) and caught.value.field == "dialect"
    assert str(caught.value).startswith(str(tmp_path / "speakap.yaml"))
    with pytest.raises(ValueError, match="activation_url"):
        Dialect.from_mapping({"activation_url": value})


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("network:\n  app_url: versmarkt.example\n", "network.app_url"),
        ("network:\n  colour: green\n", "network.colour"),  # the unknown key itself
        ("dialect:\n  activation_url: ftp://x.example/{code}\n", "dialect.activation_url"),
    ],
)
def test_a_wrong_network_or_activation_value_is_a_schema_error(
    tmp_path: Path, text: str, field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert caught.value.field == field and caught.value.line is not None
