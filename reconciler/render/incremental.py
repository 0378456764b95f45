"""Render a set of users shards from their previous texts, doing again only what changed.

``render_shards`` is what both the serial render and each worker of ``render.parallel`` run:
the previous shards come in as text, with what the render cache remembers of them
(``ShardMemo``); the new shards go out as text, with the memos of the next render.

Cost follows the change. A previous shard whose text is the one the cache remembers is only
split into its people's texts; a person is parsed only when the render needs them (their row
changed, they left, the cache knows nothing of them). A person whose one row is the one they
were rendered from is kept as their previous text (``core.Known``), so their row is neither
normalised nor mapped and they are not formatted again; a shard whose text comes out as it
was is reported in ``Rendered.same``, not rewritten. The output is byte for byte what a render
without a cache gives: the cache only says which work would give the same result again.

Pure: texts in, texts out; reading and writing files is the caller's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reconciler.desired.config import Config
from reconciler.desired.state import (
    parse_person,
    parse_users,
    person_text,
    shard_name,
    shard_text,
    split_people,
    text_digest,
)
from reconciler.errors import StateError
from reconciler.model import Person
from reconciler.render.core import Known, Seal, Tally, Tick, offboard, render_part, tally
from reconciler.render.sources.base import RawRow


@dataclass(frozen=True, slots=True)
class ShardMemo:
    """What the cache remembers of one written shard: its text's digest and, for the people in
    it rendered from one clean row, an entry (``encode``) that says how."""

    digest: str
    people: Mapping[str, str]


RuleSets = dict[str, tuple[str, ...]]  # a rule set's id (``rules_id``) -> the rules that fired


@dataclass(frozen=True, slots=True)
class Memos:
    shards: Mapping[str, ShardMemo]  # by the shard's relative path
    rules: Mapping[str, tuple[str, ...]]


NO_MEMOS = Memos({}, {})


@dataclass(frozen=True, slots=True)
class Rendered:
    files: dict[str, str]  # shards whose text changed or that are new: relative path -> text
    same: tuple[str, ...]  # shards whose text is what it was (not to be written again)
    tally: Tally
    memos: dict[str, ShardMemo]  # for every shard of the result, changed or not
    rules: RuleSets  # the rule sets the new entries name


def rules_id(rules: tuple[str, ...]) -> str:
    return hashlib.blake2b("\x1f".join(rules).encode("utf-8"), digest_size=8).hexdigest()


def encode(known: Known, ids: dict[tuple[str, ...], str]) -> str:
    """A compact entry of the cache: fingerprint, first and last day, the rule set's id
    (``ids`` remembers the ids of the rule sets met)."""
    rules = ids.get(known.rules)
    if rules is None:
        rules = ids[known.rules] = rules_id(known.rules)
    start = "-" if known.start is None else str(known.start)
    end = "-" if known.end is None else str(known.end)
    return f"{known.fingerprint} {start} {end} {rules}"


def decode(entry: str, rules: Mapping[str, tuple[str, ...]]) -> Known | None:
    """The entry's Known; None for an entry that is not one."""
    try:
        fingerprint, start, end, rule_set = entry.split(" ")
        return Known(
            fingerprint,
            None if start == "-" else int(start),
            None if end == "-" else int(end),
            rules[rule_set],
        )
    except (ValueError, KeyError, AttributeError):
        return None


class _KnownView(Mapping[str, Known]):
    """The memos' entries of some previous people, decoded when looked up."""

    def __init__(self, rules: Mapping[str, tuple[str, ...]]) -> None:
        self.entries: dict[str, str] = {}
        self.rules = rules

    def __getitem__(self, employee_id: str) -> Known:
        known = decode(self.entries[employee_id], self.rules)
        if known is None:
            raise KeyError(employee_id)
        return known

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class _Previous(Mapping[str, Person]):
    """The previous people of some shards: parsed ones, and texts parsed when first asked for."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.parsed: dict[str, Person] = {}
        self.texts: dict[str, str] = {}  # employee id -> person_text, not parsed yet
        self.found_in: dict[str, str] = {}  # employee id -> the shard it is in

    def add(self, employee_id: str, name: str) -> None:
        if employee_id in self.found_in:
            raise StateError(
                f"employee id also in {self.origin}{self.found_in[employee_id]}",
                file=f"{self.origin}{name}",
                employee_id=employee_id,
            )
        self.found_in[employee_id] = name

    def __getitem__(self, employee_id: str) -> Person:
        person = self.parsed.get(employee_id)
        if person is None:
            text = self.texts[employee_id]  # KeyError: not a previous person
            file = f"{self.origin}{self.found_in[employee_id]}"
            person = self.parsed[employee_id] = parse_person(text, file)
        return person

    def __iter__(self) -> Iterator[str]:
        return iter(self.found_in)

    def __len__(self) -> int:
        return len(self.found_in)

    def __contains__(self, employee_id: object) -> bool:
        return employee_id in self.found_in

    def text_if(self, employee_id: str, person: Person) -> str | None:
        """The previous text of ``person`` when it is the previous person itself."""
        if self.parsed.get(employee_id) is person:
            return self.texts.get(employee_id)
        return None


def render_shards(
    rows: Iterable[RawRow],
    config: Config,
    previous: Mapping[str, str],
    memos: Memos,
    today: date,
    serial_dates: bool,
    *,
    origin: str = "",
    placed: bool = False,
    broken: Sequence[int] | None = None,
    seal: Seal | None = None,
    progress: Tick | None = None,
) -> Rendered | None:
    """Render the people of ``previous`` (relative path -> shard text) and ``rows``.

    ``memos`` are the cache's (may be empty or stale: a shard's memo counts only for the text
    it was made of). ``origin`` prefixes file names in errors. With ``placed``, None is
    returned when a previous person is not in the shard their id belongs in. ``broken``: the
    lines of the whole export's records that may hide rows, known once ``rows`` is read (None:
    those among ``rows``); while there are any, nobody absent is offboarded. ``seal`` and
    ``progress``: as in ``core.render_part``, but the last tick once the shards are formatted.
    """
    shards = config.source.user_shards
    before = _Previous(origin)
    known = _KnownView(memos.rules)
    home: dict[str, str] = {}  # previous employee id -> the shard they belong in now
    for name in sorted(previous):
        text = previous[name]
        memo = memos.shards.get(name)
        texts = split_people(text) if memo and memo.digest == text_digest(text) else None
        if memo is not None and texts is not None:
            ids: Iterable[str] = texts
            before.texts.update(texts)
            known.entries.update((k, v) for k, v in memo.people.items() if k in texts)
        else:
            people = parse_users(text, f"{origin}{name}")
            before.parsed.update((p.employee_id, p) for p in people)
            ids = [p.employee_id for p in people]
        for employee_id in ids:
            before.add(employee_id, name)
            home[employee_id] = shard_name(employee_id, shards)
            if placed and home[employee_id] != name:
                return None
    in_all = 0  # the people render_part renders

    def tick(done: int, total: int) -> None:
        nonlocal in_all
        in_all = total
        if progress is not None and done < total:  # the end: once the shards are formatted
            progress(done, total)

    part = render_part(rows, config, before, today, serial_dates, known, seal=seal, progress=tick)
    holes = part.acc.broken if broken is None else broken
    offboard(part, before, config.policy, today, broken=holes)
    set_ids: dict[tuple[str, ...], str] = {}
    buckets: dict[str, list[tuple[str, str, str | None]]] = {}  # id, text, cache entry
    for employee_id in part.unchanged:
        kept = (employee_id, before.texts[employee_id], known.entries[employee_id])
        buckets.setdefault(home[employee_id], []).append(kept)
    for employee_id, person in part.people.items():
        text = before.text_if(employee_id, person) or person_text(person)
        cached = part.known.get(employee_id)
        entry = (employee_id, text, None if cached is None else encode(cached, set_ids))
        name = home.get(employee_id) or shard_name(employee_id, shards)
        buckets.setdefault(name, []).append(entry)
    files: dict[str, str] = {}
    same: list[str] = []
    new_memos: dict[str, ShardMemo] = {}
    for name in sorted(buckets):
        entries = sorted(buckets[name])
        text = shard_text(t for _, t, _ in entries)
        if previous.get(name) == text:
            same.append(name)
        else:
            files[name] = text
        remembered = {k: e for k, _, e in entries if e is not None}
        new_memos[name] = ShardMemo(text_digest(text), remembered)
    rule_sets = {rule_set: rules for rules, rule_set in set_ids.items()}
    if progress is not None:
        progress(in_all, in_all)
    return Rendered(files, tuple(same), tally(part), new_memos, rule_sets)
