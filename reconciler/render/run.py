"""The I/O shell of render: read the configuration, the previous state and the export; render
(serially, or in worker processes for a large export); write desired-state/ and the report.

The rendering itself is ``render.core`` (pure); ``render.parallel`` is the process machinery.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from reconciler.desired import contacts
from reconciler.desired.config import Config, load_config
from reconciler.desired.state import (
    USERS_DIR,
    parse_users,
    put_shards,
    remove_stage,
    stage_users,
    state_files,
    swap_users,
    users_unchanged,
    write_files,
)
from reconciler.desired.state import render_shards as format_shards
from reconciler.errors import InputError
from reconciler.model import Progress
from reconciler.render import cache, parallel
from reconciler.render.core import build_report
from reconciler.render.incremental import NO_MEMOS, Memos, render_shards
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
    use_cache: bool = True,
    contacts_out: Path = DEFAULT_CONTACTS_OUT,
    progress: Progress | None = None,
) -> Report:
    """Read config, previous state and the export; render; write state and report.

    Everything is read and rendered before anything is written, and ``users/`` is swapped in
    atomically, so any error leaves desired-state/ as it was. Large exports are rendered in
    ``workers`` processes (default: by size and CPU count), each owning a set of shards. The
    render cache (``render.cache``) makes an unchanged person cheap; ``use_cache=False``
    neither reads nor writes it. The result is the same either way.

    With ``policy.contacts_in_git: false`` the shards hold commitments of emails and phones
    and the values go to ``contacts_out`` (mode 0600), written before the shards; the cache is
    then not used (a kept person's text holds commitments, not the values the file needs).
    ``progress`` sees the rows read ("render rows"), then the people rendered ("render
    people").
    """
    if report_dir is not None:  # before anything is written: the state and its report go together
        _make_report_dir(report_dir)
    with _without_cyclic_gc():
        return _render(
            hr_file, state_dir, today, report_dir, workers, use_cache, contacts_out, progress
        )


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Render makes millions of small objects without reference cycles; the cyclic garbage
    collector would scan the growing heap again and again for nothing (a tenth of the time).
    Forked workers inherit the setting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _render(
    hr_file: Path,
    state_dir: Path,
    today: date,
    report_dir: Path | None,
    workers: int | None,
    use_cache: bool,
    contacts_out: Path,
    progress: Progress | None,
) -> Report:
    config = load_config(state_dir)
    key = None if config.policy.contacts_in_git else contacts.load_key()
    seal = None if key is None else functools.partial(contacts.seal, key=key)
    use_cache = use_cache and key is None
    inputs = cache.inputs_digest(state_dir) if use_cache else None
    memos = cache.load(state_dir, inputs) if inputs else NO_MEMOS
    count = _workers(hr_file) if workers is None else workers
    result = None
    if count > 1 and parallel.possible(state_dir, config.source.user_shards):
        if key is None:  # the workers write the shards; swapped in once all are written
            result = _render_staged(hr_file, config, state_dir, today, count, memos, progress)
        else:
            result = parallel.render_files(
                hr_file, config, state_dir, today, count, memos, seal, progress
            )
    if result is None:  # serial, or people outside their shard (another shard count)
        previous = {
            name: text
            for name, text in state_files(state_dir).items()
            if name.startswith(f"{USERS_DIR}/")
        }
        export = open_export(hr_file, config.source)
        try:
            rendered = render_shards(
                parallel.counted(export.rows, progress),
                config,
                previous,
                memos,
                today,
                export.serial_dates,
                origin=str(state_dir).rstrip("/") + "/",
                seal=seal,
                progress=parallel.people_rendered(progress),
            )
        finally:
            export.close()
        assert rendered is not None  # None only when people must be in their own shard
        report = build_report([rendered.tally], config, today, hr_file.name)
        result = parallel.Result(
            rendered.files, rendered.same, rendered.memos, rendered.rules, report
        )
    files, same = result.files, result.same
    if key is not None:
        kept = {name: (state_dir / name).read_text(encoding="utf-8") for name in same}
        every = {**files, **kept}
        files, same = _commit_contacts(every, config.source.user_shards, key, contacts_out), ()
    if not result.staged:
        write_files(state_dir, files, same=same)
    if inputs is not None:
        cache.save(state_dir, inputs, Memos(result.memos, {**memos.rules, **result.rules}))
    if report_dir is not None:
        write_report(result.report, report_dir)
    return result.report


def _render_staged(
    hr_file: Path,
    config: Config,
    state_dir: Path,
    today: date,
    count: int,
    memos: Memos,
    progress: Progress | None,
) -> parallel.Result | None:
    """The render in ``count`` processes that write the changed shards into a staging
    directory; the staged ``users/`` replaces the current one once every worker has written
    and synced its shards (nothing is replaced when nothing changed)."""
    stage = stage_users(state_dir)
    try:
        result = parallel.render_files(
            hr_file, config, state_dir, today, count, memos, None, progress, stage
        )
        if result is not None and (result.staged or not users_unchanged(state_dir, result.same)):
            put_shards(stage, state_dir, {}, result.same)
            swap_users(state_dir, stage)
        return result
    finally:
        remove_stage(stage)


def _commit_contacts(
    files: dict[str, str], shards: int, key: bytes, contacts_out: Path
) -> dict[str, str]:
    """The shards with commitments in place of contacts; the values written to the file."""
    people = [p for name, text in files.items() for p in parse_users(text, name)]
    committed = contacts.commit_people(people, key)
    contacts.write_contacts(contacts_out, committed.contacts)
    return format_shards(committed.people, shards)


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
