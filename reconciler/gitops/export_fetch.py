"""Fetch the HR export for the render workflow: from a path, an HTTP endpoint, or an artifact.

Whatever the source, the export lands at ``out`` atomically (a partial download never replaces
a good file). The endpoint's token comes from the environment (``HR_EXPORT_TOKEN``), never argv.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import httpx

from reconciler.errors import InputError, redact
from reconciler.gitops.github import GitHubClient, GitHubContext

Source = Literal["path", "url", "artifact"]
SOURCES: tuple[Source, ...] = ("path", "url", "artifact")


def fetch_export(
    source: Source,
    location: str,
    out: Path,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Path:
    """Put the export named by ``source``/``location`` at ``out``; returns ``out``."""
    env = os.environ if env is None else env
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".fetch-") as tmp:
        staged = Path(tmp) / "export"
        if source == "path":
            _copy(Path(location), staged)
        elif source == "url":
            _download(location, staged, env.get("HR_EXPORT_TOKEN"), transport)
        else:
            _from_artifact(location, staged, env, transport)
        os.replace(staged, out)
    return out


def _copy(path: Path, staged: Path) -> None:
    if not path.is_file():
        raise InputError("the HR export does not exist", file=path)
    shutil.copyfile(path, staged)


def _download(
    url: str, staged: Path, token: str | None, transport: httpx.BaseTransport | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with (
            httpx.Client(transport=transport, timeout=60.0, follow_redirects=True) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if not response.is_success:
                answer = f"{response.status_code} {response.reason_phrase}"
                raise InputError(
                    redact(f"the HR endpoint answered {answer}", (token,)), file=_shown(url)
                )
            with staged.open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
    except httpx.HTTPError as err:
        raise InputError(f"cannot download the HR export: {type(err).__name__}") from None


def _shown(url: str) -> str:
    """The endpoint as an error names it: no credentials, no query string."""
    try:
        shown = str(httpx.URL(url).copy_with(query=None, userinfo=b""))
    except (httpx.InvalidURL, TypeError, ValueError):
        shown = url
    return redact(shown)


def _from_artifact(
    name: str, staged: Path, env: Mapping[str, str], transport: httpx.BaseTransport | None
) -> None:
    with GitHubClient(GitHubContext.from_env(env), transport=transport) as client:
        artifact = client.latest_artifact(name)
        if artifact is None:
            raise InputError(f"no unexpired artifact named {name!r} in this repository")
        files = client.download_artifact(int(artifact["id"]), staged.parent / "artifact")
    if len(files) != 1:
        raise InputError(f"artifact {name!r} must hold exactly one file, it holds {len(files)}")
    os.replace(files[0], staged)
