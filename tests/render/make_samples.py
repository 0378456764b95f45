"""Generate the shipped sample HR exports (deterministic; run to regenerate).

    .venv/bin/python -m tests.render.make_samples

Writes ``reconciler/data/hr-export-day1.csv`` and ``hr-export-day2.csv``: the AFAS-style export
of "Versmarkt", a retail chain with twelve stores, a distribution centre and a head office,
semicolon-separated cp1252 with dd-mm-yyyy dates. Day 1 (2026-03-02) holds a duplicate
contract, an unknown department code, a pre-hire, a leaver, frontline staff without email and
phones in mixed national formats. Day 2 (2026-03-03) adds hires, transfers, a name change,
leavers and a data error on an existing person.

``generate_rows`` also feeds the render benchmark (100,000 rows).
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from pathlib import Path

HEADER = (
    "Personeelsnummer",
    "Voornaam",
    "Tussenvoegsel",
    "Achternaam",
    "E-mailadres",
    "Mobiel nummer",
    "Functie",
    "Taal",
    "Vestiging",
    "Afdeling",
    "Datum in dienst",
    "Datum uit dienst",
    "BHV",
)
GIVEN = [
    "Anouk",
    "Daan",
    "Sem",
    "Fenna",
    "Lotte",
    "Bram",
    "Zoë",
    "Noël",
    "Chloé",
    "Inès",
    "Joëlle",
    "Björn",
    "Lieke",
    "Ruben",
    "Sanne",
    "Thijs",
    "Emma",
    "Lucas",
    "Julia",
    "Milan",
    "Sophie",
    "Finn",
    "Tess",
    "Luuk",
    "Isa",
    "Jesse",
    "Eva",
    "Noah",
    "Mila",
    "Levi",
    "Yara",
    "Mohamed",
    "Fatima",
    "Ayoub",
    "Salma",
    "Kevin",
    "Priya",
    "Mateusz",
    "Agnieszka",
    "Dragan",
    "Ana",
    "José",
    "María",
]
FAMILY = (
    ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("", "Bakker"), ("", "Visser"),
    ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"), ("de", "Groot"), ("", "Bos"),
    ("", "Vos"), ("", "Peters"), ("", "Hendriks"), ("van", "Dijk"), ("van", "Leeuwen"),
    ("", "Dekker"), ("", "Brouwer"), ("de", "Wit"), ("", "Dijkstra"), ("de", "Graaf"),
    ("van der", "Meer"), ("van der", "Linden"), ("", "Kok"), ("de", "Haan"), ("", "Vermeulen"),
    ("van den", "Heuvel"), ("van der", "Veen"), ("van den", "Broek"), ("de", "Jong"),
    ("", "Öztürk"), ("El", "Amrani"), ("", "Bouzid"), ("", "Kowalski"), ("", "Nowak"),
    ("", "Petrovic"), ("ter", "Horst"), ("in 't", "Veld"),
)  # fmt: skip
STORES = [f"S{n:03d}" for n in range(1, 13)]
STORE_JOBS = (("100", "Verkoopmedewerker"), ("110", ""), ("120", "Medewerker vers"))
DC_JOBS = (("201", "Orderpicker"), ("202", "Expeditiemedewerker"), ("210", "Chauffeur"))
HO_JOBS = (
    ("300", "HR-adviseur"), ("310", "Controller"), ("320", "Developer"),
    ("330", "Marketeer"), ("400", "Manager operations"),
)  # fmt: skip
DAY1 = "02-03-2026"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "")


def _phone(rng: random.Random, n: int) -> str:
    digits = f"{rng.choice('12345')}{rng.randrange(0, 9_999_999):07d}"  # valid 06 ranges
    style = n % 6
    if style == 0:
        return f"06-{digits}"
    if style == 1:
        return f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
    if style == 2:
        return f"+31 6 {digits[:4]} {digits[4:]}"
    if style == 3:
        return f"00316{digits}"
    if style == 4:
        return f"(06) {digits[:4]} {digits[4:]}"
    return f"+32 470 {digits[:2]} {digits[2:4]} {digits[4:6]}"  # a Belgian colleague


def _person(rng: random.Random, n: int, location: str, dept: str, job: str) -> dict[str, str]:
    given = rng.choice(GIVEN)
    infix, family = rng.choice(FAMILY)
    frontline = location != "HO"
    has_email = not frontline or rng.random() < 0.25
    email = (
        f"{_ascii(given)}.{_ascii(infix)}{_ascii(family)}{n % 97}@versmarkt.nl" if has_email else ""
    )
    if has_email and n % 5 == 0:
        email = email.title()  # HR types capitals; the sync lower-cases
    start = f"{rng.randrange(1, 29):02d}-{rng.randrange(1, 13):02d}-{rng.randrange(2008, 2026)}"
    return {
        "Personeelsnummer": f"{n:06d}",
        "Voornaam": f"  {given}" if n % 17 == 0 else given,  # stray whitespace from HR
        "Tussenvoegsel": infix,
        "Achternaam": family,
        "E-mailadres": email,
        "Mobiel nummer": _phone(rng, n) if (frontline or rng.random() < 0.5) else "",
        "Functie": job,
        "Taal": "nl" if rng.random() < 0.9 else "en",
        "Vestiging": location,
        "Afdeling": dept,
        "Datum in dienst": start,
        "Datum uit dienst": "",
        "BHV": "ja" if rng.random() < 0.08 else "",
    }


def generate_rows(count: int, seed: int = 20260302) -> list[dict[str, str]]:
    """``count`` plausible employees: 70% stores, 20% distribution centre, 10% head office."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        n = 1001 + index
        share = index % 10
        if share < 7:
            location = STORES[index % len(STORES)]
            dept, job = rng.choice(STORE_JOBS)
            if index % 40 == 0:
                job = "Bedrijfsleider"
        elif share < 9:
            location = "DC01"
            dept, job = rng.choice(DC_JOBS)
            if index % 45 == 8:
                job = "Teamleider logistiek"
        else:
            location = "HO"
            dept, job = rng.choice(HO_JOBS)
        rows.append(_person(rng, n, location, dept, job))
    return rows


def day1_rows() -> list[dict[str, str]]:
    rows = generate_rows(320)
    rows[0].update({"Functie": "Directeur HR", "Vestiging": "HO", "Afdeling": "300"})
    rows[0]["E-mailadres"] = "hr.director@versmarkt.nl"
    extra = dict(rows[2], **{"Vestiging": "S007", "Datum in dienst": "01-09-2024"})
    rows.insert(3, extra)  # 001003 works in two stores: a duplicate contract, merged
    rows[40].update({"Afdeling": "999"})  # an unknown department code: rejected (new person)
    rows[50].update({"Datum in dienst": "16-03-2026"})  # a pre-hire
    rows[60].update({"Datum uit dienst": "20-02-2026"})  # a leaver (already gone)
    rows[70].update({"E-mailadres": "", "Mobiel nummer": ""})  # unreachable: rejected
    rows[80].update({"E-mailadres": "p.de vries@versmarkt"})  # invalid email, has a phone
    return rows


def day2_rows() -> list[dict[str, str]]:
    rows = day1_rows()
    by_id = {r["Personeelsnummer"]: r for r in rows}
    rng = random.Random(20260303)
    for index in range(3):  # hires starting today
        hire = _person(rng, 2001 + index, STORES[index], "100", "Verkoopmedewerker")
        hire["Datum in dienst"] = "03-03-2026"
        rows.append(hire)
    by_id["001012"]["Vestiging"] = "S009"  # transfers
    by_id["001258"].update({"Vestiging": "S004", "Afdeling": "120", "Functie": "Medewerker vers"})
    # A name change: Levi van der Veen takes a partner's name; HR updates infix and surname.
    by_id["001020"].update({"Tussenvoegsel": "", "Achternaam": "Bakker"})
    by_id["001100"]["Datum uit dienst"] = "02-03-2026"  # last day yesterday: a leaver
    rows.remove(by_id["001110"])  # gone from the export: leavers
    rows.remove(by_id["001120"])
    # A data error on an existing person: email mangled and phone erased. Quarantined.
    by_id["001030"].update({"E-mailadres": "not-an-address", "Mobiel nummer": ""})
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("cp1252")


def main() -> None:
    data = Path(__file__).resolve().parents[2] / "reconciler" / "data"
    (data / "hr-export-day1.csv").write_bytes(to_csv(day1_rows()))
    (data / "hr-export-day2.csv").write_bytes(to_csv(day2_rows()))
    print(f"wrote {data}/hr-export-day1.csv and hr-export-day2.csv")


if __name__ == "__main__":
    main()
