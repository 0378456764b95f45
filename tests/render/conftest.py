"""Builders for the render tests: a copy of the demo configuration and HR exports as rows."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import pytest

from reconciler.desired.config import CONFIG_FILES, load_config
from reconciler.desired.state import read_state
from reconciler.model import DesiredState, Person
from reconciler.render.report import Report
from reconciler.render.run import render_to_disk
from tests.render.make_samples import HEADER, to_csv

REPO = Path(__file__).resolve().parents[2]
DAY1 = date(2026, 3, 2)


def employee(employee_id: str = "000100", **fields: str) -> dict[str, str]:
    """One HR row in Versmarkt's export; keyword names are the canonical field names."""
    row = {
        "Personeelsnummer": employee_id,
        "Voornaam": "Anouk",
        "Tussenvoegsel": "de",
        "Achternaam": "Vries",
        "E-mailadres": f"anouk.{employee_id}@versmarkt.nl",
        "Mobiel nummer": "06-12345678",
        "Functie": "Verkoopmedewerker",
        "Taal": "nl",
        "Vestiging": "S001",
        "Afdeling": "100",
        "Datum in dienst": "01-01-2020",
        "Datum uit dienst": "",
        "BHV": "",
    }
    names = {
        "given_name": "Voornaam",
        "infix": "Tussenvoegsel",
        "family_name": "Achternaam",
        "email": "E-mailadres",
        "phone": "Mobiel nummer",
        "job_title": "Functie",
        "language": "Taal",
        "location": "Vestiging",
        "department": "Afdeling",
        "start": "Datum in dienst",
        "end": "Datum uit dienst",
        "first_aid": "BHV",
    }
    for name, value in fields.items():
        row[names[name]] = value
    return row


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A desired-state directory with the demo configuration and no users yet."""
    target = tmp_path / "desired-state"
    target.mkdir()
    for name in CONFIG_FILES:
        shutil.copy(REPO / "desired-state" / name, target / name)
    return target


class Sync:
    """Renders exports into one state directory, day after day, like CI would."""

    def __init__(self, state_dir: Path, tmp_path: Path) -> None:
        self.state_dir = state_dir
        self.tmp_path = tmp_path
        self.runs = 0

    def export(self, rows: Iterable[dict[str, str]]) -> Path:
        self.runs += 1
        path = self.tmp_path / f"export-{self.runs}.csv"
        path.write_bytes(to_csv(list(rows)))
        return path

    def render(self, rows: Iterable[dict[str, str]], today: date = DAY1) -> Report:
        return render_to_disk(self.export(rows), self.state_dir, today, workers=1)

    def state(self) -> DesiredState:
        return read_state(self.state_dir)

    def person(self, employee_id: str) -> Person | None:
        return self.state().people_by_id().get(employee_id)

    def users_text(self) -> dict[str, str]:
        users = self.state_dir / "users"
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(users.glob("*.yaml"))}


@pytest.fixture
def sync(state_dir: Path, tmp_path: Path) -> Sync:
    return Sync(state_dir, tmp_path)


@pytest.fixture
def snapshot_dir() -> Callable[[Path], dict[str, bytes]]:
    def snap(path: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
        }

    return snap


__all__ = ["DAY1", "HEADER", "REPO", "Sync", "employee", "load_config"]
