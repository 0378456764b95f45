"""Connection settings: speakap.yaml and the environment; the token never shows itself."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.speakap.client import Secret
from reconciler.speakap.errors import AuthenticationError, ConfigurationError
from reconciler.speakap.settings import ConnectionSettings, open_backend
from reconciler.speakap.simulator import run_simulator

REPO_STATE = Path(__file__).parents[2] / "desired-state"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "speakap.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_committed_speakap_yaml_is_valid_and_names_no_secret() -> None:
    settings = ConnectionSettings.load(REPO_STATE, env={"SPEAKAP_TOKEN": "s3cret-value"})
    assert settings.base_url.startswith("https://")
    assert settings.dialect.batch_size == 100 == settings.batch_size
    assert "token" not in (REPO_STATE / "speakap.yaml").read_text().lower().split("#")[0]


def test_env_url_overrides_the_file_and_dialect_overrides_apply(tmp_path: Path) -> None:
    state = write(
        tmp_path,
        "url: https://example.invalid/scim/v2\nrate_limit: 5\n"
        "dialect:\n  employee_id_attribute: employeeNumber\n  batch_size: 50\n",
    )
    env = {"SPEAKAP_URL": "http://127.0.0.1:9/scim/v2", "SPEAKAP_TOKEN": "t"}
    settings = ConnectionSettings.load(state, env=env)
    assert settings.base_url == "http://127.0.0.1:9/scim/v2"
    assert settings.rate_limit == 5.0
    assert settings.dialect.employee_id_attribute == "employeeNumber"
    assert settings.dialect.employee_id_filter("E1").endswith(':employeeNumber eq "E1"')


def test_the_token_can_come_from_a_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file\n")
    settings = ConnectionSettings.load(
        None, env={"SPEAKAP_URL": "http://x.invalid", "SPEAKAP_TOKEN_FILE": str(token_file)}
    )
    assert settings.token == Secret("from-a-file")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SPEAKAP_TOKEN": "t"}, "no Speakap URL"),
        ({"SPEAKAP_URL": "http://x.invalid"}, "no Speakap token"),
        ({"SPEAKAP_URL": "http://x.invalid", "SPEAKAP_TOKEN_FILE": "/nonexistent/t"}, "token file"),
    ],
)
def test_missing_connection_details_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ConnectionSettings.load(None, env=env)


def test_an_unknown_key_in_speakap_yaml_names_file_line_and_field(tmp_path: Path) -> None:
    state = write(tmp_path, "url: https://x.invalid\ndialect:\n  batch_size: 100\n  colour: red\n")
    with pytest.raises(ConfigError) as caught:
        ConnectionSettings.load(state, env={"SPEAKAP_TOKEN": "t"})
    assert caught.value.line == 4 and caught.value.field == "dialect.colour"
    assert "unknown key 'colour'" in str(caught.value) and "speakap.yaml" in str(caught.value)


def test_a_misspelt_dialect_key_is_named_with_the_key_it_resembles(tmp_path: Path) -> None:
    text = "url: https://x.invalid\ndialect:\n  memberships_form: group_members\n"
    with pytest.raises(ConfigError) as caught:
        ConnectionSettings.load(write(tmp_path, text), env={"SPEAKAP_TOKEN": "t"})
    assert caught.value.line == 3
    assert caught.value.message == (
        "unknown key 'memberships_form' (did you mean 'memberships_from'?)"
    )


def test_the_token_never_appears_in_reprs_logs_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "tok-9f8e7d6c5b4a"
    with run_simulator(token="another-token", fault_rate=0.3, seed=3) as sim:
        settings = ConnectionSettings.load(
            None, env={"SPEAKAP_URL": sim.url, "SPEAKAP_TOKEN": secret}
        )
        backend = open_backend(settings)
        texts = [repr(settings), str(settings), repr(backend), repr(backend.client)]
        caplog.set_level(logging.DEBUG)
        with pytest.raises(AuthenticationError) as caught:
            backend.fetch_snapshot()
        texts += [str(caught.value), repr(caught.value), caplog.text]
        backend.close()
    assert all(secret not in text for text in texts)
    assert "SPEAKAP_TOKEN" in str(caught.value)
