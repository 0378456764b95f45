"""One apply lock per network, whatever the spelling of its URL; and a lock path that is a
symbolic link (or sits in a linked or foreign folder) is refused, never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import BlockedError, ConfigError, StateError
from reconciler.reconcile.lock import ApplyLock, canonical_network_url, network_lock_path

# host -> spellings of that host (case, trailing dot, other notations of one address)
HOSTS: dict[str, list[str]] = {
    "acme.speakap.io": ["acme.speakap.io", "ACME.Speakap.IO", "acme.speakap.io."],
    "other.speakap.io": ["other.speakap.io", "Other.SPEAKAP.io"],
    "10.1.2.3": ["10.1.2.3"],
    "[2001:db8::1]": ["[2001:db8::1]", "[2001:DB8::1]", "[2001:db8:0:0:0:0:0:1]"],
    "localhost": [
        "localhost",
        "LocalHost",
        "localhost.",
        "127.0.0.1",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
    ],
}
DEFAULT_PORT = {"http": 80, "https": 443}
segments = st.lists(st.sampled_from(["scim", "v2", "SCIM", "tenant-1", "api"]), max_size=3)
networks = st.tuples(
    st.sampled_from(["http", "https"]),
    st.sampled_from(sorted(HOSTS)),
    st.sampled_from([None, 8080, 9443]),
    segments.map(lambda parts: "".join(f"/{p}" for p in parts)),
)
Network = tuple[str, str, int | None, str]


@st.composite
def spellings(draw: st.DrawFn, network: Network) -> str:
    """One way of writing ``network``'s URL."""
    scheme, host, port, path = network
    scheme = draw(st.sampled_from([scheme, scheme.upper(), scheme.title()]))
    spelled_host = draw(st.sampled_from(HOSTS[host]))
    if port is None and draw(st.booleans()):
        port = DEFAULT_PORT[scheme.lower()]
    credentials = draw(st.sampled_from(["", "sync:s3cret@"]))
    slashes = "/" * draw(st.integers(0, 2))
    netloc = spelled_host if port is None else f"{spelled_host}:{port}"
    return f"{scheme}://{credentials}{netloc}{path}{slashes}"


@given(st.data(), networks)
def test_every_spelling_of_one_network_gives_one_key_and_one_lock_file(
    data: st.DataObject, network: Network
) -> None:
    first = data.draw(spellings(network))
    second = data.draw(spellings(network))
    assert canonical_network_url(first) == canonical_network_url(second)
    assert network_lock_path(first) == network_lock_path(second)


@given(st.data(), networks, networks)
def test_networks_that_differ_in_scheme_host_port_or_path_get_different_keys(
    data: st.DataObject, one: Network, other: Network
) -> None:
    def effective(network: Network) -> Network:
        scheme, host, port, path = network
        return scheme, host, None if port == DEFAULT_PORT[scheme] else port, path

    first = canonical_network_url(data.draw(spellings(one)))
    second = canonical_network_url(data.draw(spellings(other)))
    assert (first == second) == (effective(one) == effective(other))


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTPS://Acme.Speakap.IO:443/scim/v2/", "https://acme.speakap.io/scim/v2"),
        ("http://127.0.0.1:8080/scim/v2", "http://localhost:8080/scim/v2"),
        ("http://[::1]/scim/v2?x=1#top", "http://localhost/scim/v2"),
        ("https://sync:s3cret@acme.speakap.io/SCIM/", "https://acme.speakap.io/SCIM"),
        ("https://acme.speakap.io:80/scim", "https://acme.speakap.io:80/scim"),
    ],
)
def test_the_canonical_key_of_a_network(url: str, key: str) -> None:
    assert canonical_network_url(url) == key


@pytest.mark.parametrize("url", ["acme.speakap.io/scim", "https://acme.speakap.io:99999/", ""])
def test_a_url_without_a_host_or_with_a_bad_port_is_a_one_line_error(url: str) -> None:
    with pytest.raises(ConfigError, match="not an absolute http\\(s\\) URL") as caught:
        network_lock_path(url)
    assert "\n" not in str(caught.value)


def test_an_apply_through_localhost_is_refused_while_one_through_127_0_0_1_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    running = f"another apply is running on this network \\(pid {os.getpid()} on "
    with (
        ApplyLock(network_lock_path("http://127.0.0.1:8080/scim/v2")),
        pytest.raises(BlockedError, match=running),
    ):
        ApplyLock(network_lock_path("http://LOCALHOST:8080/scim/v2/")).acquire()
    with ApplyLock(network_lock_path("http://[::1]:8080/scim/v2")):  # released: free again
        pass


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_left_alone(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock_path = tmp_path / "locks" / "apply.lock"
    lock_path.parent.mkdir()
    lock_path.symlink_to(victim)
    with pytest.raises(StateError, match="is a symbolic link") as caught:
        ApplyLock(lock_path).acquire()
    assert str(lock_path) in str(caught.value)
    assert victim.read_text() == "precious"
    assert lock_path.is_symlink()


def test_a_dangling_symlink_at_the_lock_path_creates_nothing_at_its_target(
    tmp_path: Path,
) -> None:
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    lock_path = tmp_path / "apply.lock"
    lock_path.symlink_to(target)
    with pytest.raises(StateError, match="is a symbolic link"):
        ApplyLock(lock_path).acquire()
    assert not target.exists()


def test_a_lock_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "someone-elses"
    real.mkdir()
    (tmp_path / "speakap-sync").symlink_to(real)
    with pytest.raises(StateError, match=r"its folder .*speakap-sync is a symbolic link"):
        ApplyLock(tmp_path / "speakap-sync" / "apply.lock").acquire()
    assert list(real.iterdir()) == []


def test_a_lock_folder_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "speakap-sync"
    folder.mkdir()
    owner = folder.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: owner + 1, raising=False)
    with pytest.raises(StateError, match=r"belongs to another user.*XDG_RUNTIME_DIR"):
        ApplyLock(folder / "apply.lock").acquire()


def test_a_new_lock_folder_is_private_to_its_user(tmp_path: Path) -> None:
    folder = tmp_path / "speakap-sync"
    with ApplyLock(folder / "apply.lock"):
        assert folder.stat().st_mode & 0o077 == 0


def test_a_lock_folder_open_to_others_is_made_private_before_the_lock_is_taken(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "speakap-sync"
    folder.mkdir()
    folder.chmod(0o777)
    with ApplyLock(folder / "apply.lock"):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_a_new_lock_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with ApplyLock(tmp_path / "a" / "speakap-sync" / "apply.lock"):
            assert (tmp_path / "a" / "speakap-sync").stat().st_mode & 0o777 == 0o700
    finally:
        os.umask(old)


def test_without_a_runtime_folder_each_user_locks_in_a_folder_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    folder = network_lock_path("https://acme.speakap.io/scim/v2").parent
    assert folder.name == f"speakap-sync-{os.getuid()}"
