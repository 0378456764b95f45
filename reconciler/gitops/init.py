"""``speakap-sync init``: a new desired-state repository, ready to validate and to run in CI.

``init_repository(target, force=...)``:

1. Gather the files: the commented configuration (``desired-state/``, no people), the JSON
   Schemas where the files' modelines point (``schemas/``), the workflows (the three triggers
   and the reusable jobs they call, as in this project's ``.github/workflows``), a
   ``.gitignore`` and a short README.
2. Refuse when any of them exists already, naming them all, unless ``force`` is given: then
   they are overwritten and every other file is left alone.
3. Write them, with an empty ``desired-state/users/`` for render to fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reconciler.desired.documents import schema_dir
from reconciler.errors import InputError

STATE_DIR = "desired-state"
_TEMPLATES = resources.files("reconciler.data").joinpath("init")
_PACKAGED_WORKFLOWS = Path(__file__).parents[1] / "_workflows"
_SOURCE_WORKFLOWS = Path(__file__).parents[2] / ".github" / "workflows"
WORKFLOWS = (
    "render.yml",
    "plan.yml",
    "apply.yml",
    "speakap-sync-render.yml",
    "speakap-sync-plan.yml",
    "speakap-sync-apply.yml",
)
CONFIG_FILES = ("source.yaml", "org-units.yaml", "rules.yaml", "policy.yaml", "speakap.yaml")
SCHEMAS = ("source", "org-units", "rules", "policy", "speakap", "users")


@dataclass(frozen=True, slots=True)
class InitResult:
    root: Path
    written: tuple[Path, ...]  # relative to root, in the order written
    overwritten: tuple[Path, ...] = ()


def repository_files() -> dict[Path, str]:
    """Relative path -> text of every file a new desired-state repository gets."""
    files: dict[Path, str] = {}
    for name in CONFIG_FILES:
        files[Path(STATE_DIR, name)] = _template(f"desired-state/{name}")
    files[Path(STATE_DIR, "users", ".gitkeep")] = ""
    for schema in SCHEMAS:
        name = f"{schema}.schema.json"
        files[Path("schemas", name)] = (schema_dir() / name).read_text(encoding="utf-8")
    workflows = workflow_dir()
    for name in WORKFLOWS:
        files[Path(".github", "workflows", name)] = (workflows / name).read_text(encoding="utf-8")
    files[Path(".gitignore")] = _template("gitignore")
    files[Path("README.md")] = _template("README.md")
    return files


def init_repository(target: Path, *, force: bool = False) -> InitResult:
    """Write a new desired-state repository into ``target`` (see the module's steps)."""
    if target.exists() and not target.is_dir():
        raise InputError("not a folder", file=target)
    files = repository_files()
    existing = tuple(p for p in files if (target / p).exists())
    if existing and not force:
        names = ", ".join(p.as_posix() for p in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise InputError(
            f"would overwrite {names}{more}: pass --force to overwrite them", file=target
        )
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return InitResult(target, tuple(files), existing)


def workflow_dir() -> Path:
    """The workflows shipped with the package (this project's own ``.github/workflows``)."""
    return _PACKAGED_WORKFLOWS if _PACKAGED_WORKFLOWS.is_dir() else _SOURCE_WORKFLOWS


def _template(name: str) -> str:
    return _TEMPLATES.joinpath(name).read_text(encoding="utf-8")
