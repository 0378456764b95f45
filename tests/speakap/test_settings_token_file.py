"""A token file saved by a Windows editor (UTF-8 with a byte-order mark) works; a token that no
HTTP header can carry, or a file that is not text, is a clear error that never shows the token,
not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.speakap.client import ScimClient
from reconciler.speakap.errors import ConfigurationError
from reconciler.speakap.settings import ConnectionSettings
from reconciler.speakap.simulator import run_simulator

URL = "http://127.0.0.1:9/scim/v2"


def test_a_token_file_with_a_byte_order_mark_authenticates(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(b"\xef\xbb\xbfbom-token-42\r\n")
    with run_simulator(token="bom-token-42", latency=0) as sim:
        env = {"SPEAKAP_URL": sim.url, "SPEAKAP_TOKEN_FILE": str(token_file)}
        settings = ConnectionSettings.load(None, env=env)
        assert settings.token.reveal() == "bom-token-42"
        with ScimClient(settings.base_url, settings.token) as client:
            assert client.list_all("/Users") == []


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"s3cr\xe9t-latin1\n", "not UTF-8"),
        ("s3cr\u00e9t-accent\n".encode(), "cannot carry"),
    ],
)
def test_a_token_file_no_header_can_carry_is_a_clear_error(
    tmp_path: Path, content: bytes, what: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    env = {"SPEAKAP_URL": URL, "SPEAKAP_TOKEN_FILE": str(token_file)}
    with pytest.raises(ConfigurationError, match=what) as caught:
        ConnectionSettings.load(None, env=env)
    assert "s3cr" not in str(caught.value)


def test_a_token_in_the_environment_with_an_accent_stops_plan_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPEAKAP_URL", URL)
    monkeypatch.setenv("SPEAKAP_TOKEN", "s3cr\u00e9t")
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    code = run(["plan", "--state-dir", str(tmp_path / "state"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "SPEAKAP_TOKEN" in err
    assert "Traceback" not in err and "s3cr" not in err
