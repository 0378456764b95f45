"""One validation of a desired-state folder: what ``validate``, ``plan`` and ``apply`` all run.

``validate_dir(state_dir)`` goes through these steps:

1. The render configuration, when the folder has one (``source.yaml`` or ``rules.yaml``):
   schemas, date formats, org-unit cycles, rules against units and columns.
2. ``speakap.yaml``, when present: its schema (a misspelt dialect key included).
3. The desired state: ``policy.yaml``, ``org-units.yaml`` and every ``users/`` shard against
   their schemas; every duplicate employee id is collected.
4. References and consistency (``check_state``), all collected: memberships, business units
   and departments name declared units of the right kind, statuses, invite channels.

A file that cannot be read, is over a limit or breaks its schema (steps 1 to 3) ends the
validation with that one error, as ``ConfigError`` or ``StateError``; the problems of a
readable state (steps 3 and 4) are listed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.desired.config import RULES_FILE, SOURCE_FILE, SPEAKAP_FILE, load_config
from reconciler.desired.documents import load_text
from reconciler.desired.state import StateTexts, check_state, read_state_texts
from reconciler.errors import ConfigError, StateError, SyncError
from reconciler.model import DesiredState

_SHOWN = 3  # problems named in the one-line error of plan and apply


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
    problems: list[SyncError] = [*found, *check_state(texts.state)]
    return Validation(state_dir, texts, tuple(problems))


def _check_settings(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 ({err.reason})", file=path) from None
    load_text(text, str(path), "speakap")
