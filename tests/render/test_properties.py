"""Properties of render: deterministic, idempotent, bad data never offboards."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.config import load_config
from reconciler.desired.state import render_shards
from reconciler.render.core import render
from reconciler.render.sources.base import RawRow
from tests.render.conftest import DAY1, REPO

CONFIG = load_config(REPO / "desired-state")

ids = st.sampled_from([f"{n:06d}" for n in range(100, 112)])
dates = st.dates(date(2025, 12, 1), date(2026, 4, 1)).map(lambda d: d.strftime("%d-%m-%Y"))
row_values = st.fixed_dictionaries(
    {
        "Personeelsnummer": ids,
        "Voornaam": st.sampled_from(["Anouk", "  Jan  Willem", "", "Zoë"]),
        "Tussenvoegsel": st.sampled_from(["", "van der", "de"]),
        "Achternaam": st.sampled_from(["Vries", "Öztürk", "Berg"]),
        "E-mailadres": st.sampled_from(["", "a.b@versmarkt.nl", "A.B@VERSMARKT.NL", "bad@"]),
        "Mobiel nummer": st.sampled_from(["", "06-12345678", "+32 470 12 34 56", "0612"]),
        "Functie": st.sampled_from(["", "Bedrijfsleider", "Orderpicker"]),
        "Taal": st.sampled_from(["", "nl", "EN"]),
        "Vestiging": st.sampled_from(["S001", "S007", "DC01", "HO", "S099"]),
        "Afdeling": st.sampled_from(["100", "110", "201", "202", "999"]),
        "Datum in dienst": dates | st.just("") | st.just("31-02-2026"),
        "Datum uit dienst": st.just("") | dates,
        "BHV": st.sampled_from(["", "ja"]),
    }
)
exports = st.lists(row_values, max_size=25).map(
    lambda rows: [RawRow(line=i + 2, values=dict(v)) for i, v in enumerate(rows)]
)


def shards(people: tuple[object, ...]) -> dict[str, str]:
    return render_shards(people, 16)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(day1=exports, day2=exports, gap=st.integers(0, 40))
def test_render_is_deterministic_and_idempotent(
    day1: list[RawRow], day2: list[RawRow], gap: int
) -> None:
    first, _ = render(day1, CONFIG, None, DAY1)
    again, _ = render(day1, CONFIG, None, DAY1)
    assert shards(first.people) == shards(again.people)  # byte-identical output

    today = DAY1 + timedelta(days=gap)
    second, _ = render(day2, CONFIG, first, today)
    repeat, repeat_report = render(day2, CONFIG, second, today)
    assert repeat.people == second.people  # rendering the same inputs again changes nothing
    assert repeat_report.leavers == () and repeat_report.hires == ()
    assert [p.employee_id for p in second.people] == sorted(p.employee_id for p in second.people)


@settings(max_examples=40, deadline=None)
@given(day1=exports, day2=exports)
def test_bad_data_never_offboards_anyone(day1: list[RawRow], day2: list[RawRow]) -> None:
    first, _ = render(day1, CONFIG, None, DAY1)
    second, report = render(day2, CONFIG, first, DAY1 + timedelta(days=1))
    quarantined = {i.employee_id or "" for i in report.issues_of("quarantined")}
    before = first.people_by_id()
    after = second.people_by_id()
    for employee_id in quarantined:
        assert after[employee_id] == before[employee_id]
    assert not quarantined & set(report.leavers)
