"""One validation of a desired-state folder: what ``validate``, ``plan`` and ``apply`` all run.

``validate_dir(state_dir)`` goes through these steps:

1. The render configuration, when the folder has one (``source.yaml`` or ``rules.yaml``):
   schemas, date formats, org-unit cycles, rules against units and columns.
2. ``speakap.yaml``, when present: its schema (a misspelt dialect key included).
3. The desired state: ``policy.yaml``, ``org-units.yaml`` and every ``users/`` shard against
   their schemas; every duplicate employee id is collected.
4. References and consistency (``check_state``), all collected: memberships, business units
   and departments name declared units of the right kind, statuses, invite channels. Each
   is placed at the line of the person's field in their users shard.

A file that cannot be read, is over a limit or breaks its schema (steps 1 to 3) ends the
validation with that one error, as ``ConfigError`` or ``StateError``; the problems of a
readable state (steps 3 and 4) are listed together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.desired.config import RULES_FILE, SOURCE_FILE, SPEAKAP_FILE, load_config
from reconciler.desired.documents import load_text
from reconciler.desired.state import USERS_DIR, StateTexts, check_state, read_state_texts
from reconciler.errors import ConfigError, StateError, SyncError
from reconciler.model import DesiredState

_SHOWN = 3  # problems named in the one-line error of plan and apply
_RECORD = re.compile(r"^(?P<dash>-\s+)employee_id:\s*(?P<id>.*?)\s*(#.*)?$")
_KEY = re.compile(r"^(?P<indent>\s+)(?P<key>[A-Za-z_]+):")


@dataclass(frozen=True, slots=True)
class Validation:
    state_dir: Path
    texts: StateTexts  # the desired state and the texts it was read from
    problems: tuple[SyncError, ...]  # of a readable state: references, duplicates

    @property
    def state(self) -> DesiredState:
        return self.texts.state

    @property
    def ok(self) -> bool:
        return not self.problems

    def require_state(self) -> DesiredState:
        """The desired state, as :meth:`require_texts` allows it."""
        return self.require_texts().state

    def require_texts(self) -> StateTexts:
        """The desired state (and its texts); else its one problem, or a :class:`StateError`
        naming the first ones (``plan`` and ``apply`` refuse a state ``validate`` rejects)."""
        if not self.problems:
            return self.texts
        if len(self.problems) == 1:
            raise self.problems[0]
        shown = "; ".join(str(p) for p in self.problems[:_SHOWN])
        more = len(self.problems) - _SHOWN
        rest = f"; and {more} more" if more > 0 else ""
        raise StateError(
            f"{len(self.problems)} problem(s) in the desired state: {shown}{rest} "
            "(`speakap-sync validate` lists them all)",
            file=self.state_dir,
        )


def validate_dir(state_dir: Path) -> Validation:
    """Every check of the desired-state folder (see the module's steps)."""
    if (state_dir / SOURCE_FILE).exists() or (state_dir / RULES_FILE).exists():
        load_config(state_dir)
    settings = state_dir / SPEAKAP_FILE
    if settings.exists():
        _check_settings(settings)
    found: list[StateError] = []
    texts = read_state_texts(state_dir, problems=found)
    checked = check_state(texts.state)
    problems: list[SyncError] = [*found, *_located(checked, texts, state_dir)]
    return Validation(state_dir, texts, tuple(problems))


def _located(
    problems: list[StateError], texts: StateTexts, state_dir: Path
) -> Iterator[StateError]:
    """``problems`` of people, each at its shard's file and the line of its field (or of the
    person's record, when the field has no line of its own)."""
    wanted = {p.employee_id for p in problems if p.file is None and p.employee_id is not None}
    records = _records(texts, wanted)
    origin = str(state_dir).rstrip("/")
    for problem in problems:
        record = records.get(problem.employee_id or "")
        if problem.file is not None or record is None:
            yield problem
            continue
        name, start, fields = record
        line = fields.get(problem.field or "", start)
        yield StateError(
            problem.message,
            file=f"{origin}/{name}",
            line=line,
            field=problem.field,
            employee_id=problem.employee_id,
        )


def _records(texts: StateTexts, wanted: set[str]) -> dict[str, tuple[str, int, dict[str, int]]]:
    """For each wanted employee id: the users shard holding the person, the line their record
    starts at and the line of each of its top-level fields."""
    found: dict[str, tuple[str, int, dict[str, int]]] = {}
    if not wanted:
        return found
    for name, text in texts.files.items():
        if not name.startswith(f"{USERS_DIR}/") or "employee_id" not in text:
            continue
        current: dict[str, int] | None = None
        indent = ""
        for number, line in enumerate(text.splitlines(), 1):
            start = _RECORD.match(line)
            if start is not None:
                employee_id = start.group("id").strip().strip("'\"")
                current = None
                if employee_id in wanted and employee_id not in found:
                    current = {"employee_id": number}
                    found[employee_id] = (name, number, current)
                    indent = " " * (len(start.group("dash")))
                continue
            key = _KEY.match(line)
            if current is not None and key is not None and key.group("indent") == indent:
                current.setdefault(key.group("key"), number)
    return found


def _check_settings(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 ({err.reason})", file=path) from None
    load_text(text, str(path), "speakap")
