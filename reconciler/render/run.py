"""The I/O shell of render: read the configuration, the previous state and the export; render
(serially, or in worker processes for a large export); write desired-state/ and the report.

The rendering itself is ``render.core`` (pure); ``render.parallel`` is the process machinery.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path

from reconciler.desired import contacts
from reconciler.desired.config import load_config
from reconciler.desired.state import (
    USERS_DIR,
    parse_users,
    read_state,
    render_shards,
    write_files,
)
from reconciler.errors import InputError
from reconciler.render import parallel
from reconciler.render.core import render
from reconciler.render.report import Report, write_report
from reconciler.render.sources import open_export

# Beside plan.json and the journal, in a folder the repository's .gitignore covers.
DEFAULT_CONTACTS_OUT = Path("out/contacts.json")


def render_to_disk(
    hr_file: Path,
    state_dir: Path,
    today: date,
    report_dir: Path | None = None,
    *,
    workers: int | None = None,
    contacts_out: Path = DEFAULT_CONTACTS_OUT,
) -> Report:
    """Read config, previous state and the export; render; write state and report.

    Everything is read and rendered before anything is written, and ``users/`` is swapped in
    atomically, so any error leaves desired-state/ as it was. Large exports are rendered in
    ``workers`` processes (default: by size and CPU count), each owning a set of shards.

    With ``policy.contacts_in_git: false`` the shards hold commitments of emails and phones
    and the values go to ``contacts_out`` (mode 0600), written before the shards.
    """
    if report_dir is not None:  # before anything is written: the state and its report go together
        _make_report_dir(report_dir)
    config = load_config(state_dir)
    key = None if config.policy.contacts_in_git else contacts.load_key()
    seal = None if key is None else functools.partial(contacts.seal, key=key)
    shards = config.source.user_shards
    count = _workers(hr_file) if workers is None else workers
    result = None
    if count > 1 and parallel.possible(state_dir, shards):
        result = parallel.render_files(hr_file, config, state_dir, today, count, seal)
    if result is None:  # serial, or people outside their shard (another shard count)
        previous = read_state(state_dir) if (state_dir / USERS_DIR).is_dir() else None
        export = open_export(hr_file, config.source)
        try:
            state, report = render(
                export.rows,
                config,
                previous,
                today,
                source_name=hr_file.name,
                serial_dates=export.serial_dates,
                seal=seal,
            )
        finally:
            export.close()
        files = render_shards(state.people, shards)
    else:
        files, report = result
    if key is not None:
        files = _commit_contacts(files, shards, key, contacts_out)
    write_files(state_dir, files)
    if report_dir is not None:
        write_report(report, report_dir)
    return report


def _commit_contacts(
    files: dict[str, str], shards: int, key: bytes, contacts_out: Path
) -> dict[str, str]:
    """The shards with commitments in place of contacts; the values written to the file."""
    people = [p for name, text in files.items() for p in parse_users(text, name)]
    committed = contacts.commit_people(people, key)
    contacts.write_contacts(contacts_out, committed.contacts)
    return render_shards(committed.people, shards)


def _make_report_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"cannot use it as the report directory ({err.strerror})",
            file=directory,
            field="--report",
        ) from None


def _workers(hr_file: Path) -> int:
    """Processes for rendering: worth it from about 10,000 rows (1 MB) on."""
    if not hr_file.is_file() or hr_file.stat().st_size < 1_000_000:  # open_export names a typo
        return 1
    return max(1, min(os.cpu_count() or 1, 4))
