"""A printable invite sheet a store manager can hand out: every card holds its person's name,
login and code (each code once), eight cards to an A4 page, the unit's name in the title, the
network's name and app link with a QR code, texts in each person's language and counts with
the right plural."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from reconciler.reconcile import invites
from reconciler.reconcile.invite_texts import LANGUAGES, supported, texts_for
from reconciler.reconcile.invites import Invite, SheetSettings, render_sheet
from tests.reconcile.sheets import Sheet, parse_sheet

SETTINGS = SheetSettings(
    network_name="Versmarkt",
    app_url="https://versmarkt.example/app/",
    language="nl",
    unit_names={"store-s001": "Versmarkt Amsterdam Centrum"},
)


def staff(n: int, language: str | None = "nl", unit: str | None = "store-s001") -> list[Invite]:
    return [
        Invite(f"{i:06}", f"Person {i:03}", unit, f"{i:06}", f"C{i:03}-X{i:03}", language)
        for i in range(1, n + 1)
    ]


def sheet_of(people: list[Invite], settings: SheetSettings = SETTINGS) -> Sheet:
    unit = people[0].business_unit if people else "store-s001"
    return parse_sheet(render_sheet(unit, people, settings, issued=date(2025, 3, 1)))


def test_every_card_holds_a_name_a_login_and_its_own_code() -> None:
    people = staff(19)
    sheet = sheet_of(people)
    assert len(sheet.cards) == len(people)
    assert all(card.name and card.login and card.code for card in sheet.cards)
    codes = [card.code for card in sheet.cards]
    assert len(set(codes)) == len(codes)
    assert {(c.name, c.login, c.code) for c in sheet.cards} == {
        (p.name, p.login, p.code) for p in people
    }


def test_eight_cards_fill_an_a4_page_and_the_rest_go_on_the_next() -> None:
    sheet = sheet_of(staff(19))
    assert sheet.pages == 3
    assert [len(sheet.cards_on(n)) for n in (1, 2, 3)] == [8, 8, 3]
    assert sheet.text("pageno") == "pagina 1 van 3"
    text = render_sheet("store-s001", staff(1), SETTINGS)
    assert "@page { size: A4" in text and "break-inside: avoid" in text
    assert text.count('class="mark ') >= 6  # cut marks around even a single card


def test_cards_are_in_name_order_for_the_manager_handing_them_out() -> None:
    people = [
        Invite("3", "zoë Zwart", "store-s001", "3", "C3"),
        Invite("1", "Anna Bakker", "store-s001", "1", "C1"),
        Invite("2", "Émile Dubois", "store-s001", "2", "C2"),
    ]
    assert [c.name for c in sheet_of(people).cards] == ["Anna Bakker", "zoë Zwart", "Émile Dubois"]


def test_the_title_names_the_unit_and_the_network_not_the_key() -> None:
    sheet = sheet_of(staff(2))
    assert sheet.heading == "Versmarkt Amsterdam Centrum"
    assert "store-s001" not in sheet.title and "Versmarkt Amsterdam Centrum" in sheet.title
    assert "Versmarkt" in sheet.text("sub")
    assert all(card.text("greeting") == "Welkom bij Versmarkt" for card in sheet.cards)


def test_a_unit_missing_from_the_names_keeps_its_key_and_no_unit_says_so(tmp_path: Path) -> None:
    assert sheet_of(staff(1, unit="store-x")).heading == "store-x"
    settings = SheetSettings(language="de")
    [path] = invites.write_invite_sheets(tmp_path, staff(1, unit=None), settings)
    assert path.name == "invites-no-business-unit.html"
    assert parse_sheet(path.read_text()).heading == "(ohne Geschäftseinheit)"


def test_the_employee_id_is_printed_once_and_twice_only_beside_another_login() -> None:
    same = Invite("001025", "Anouk de Vries", "store-s001", "001025", "AAAA-BBBB")
    other = Invite("001026", "Bram Visser", "store-s001", "bram@example.nl", "CCCC-DDDD")
    text = render_sheet("store-s001", [same, other], SETTINGS)
    assert text.count("001025") == 1
    by_name = {c.name: c for c in parse_sheet(text).cards}
    assert by_name["Anouk de Vries"].text("employee") == ""
    assert by_name["Bram Visser"].text("employee") == "001026"
    assert by_name["Bram Visser"].login == "bram@example.nl"


def test_the_app_link_is_printed_with_a_qr_code_and_the_activation_link_only_with_one() -> None:
    sheet = sheet_of(staff(3))
    assert sheet.svgs == 3  # one app QR per card: a card is cut out and travels alone
    assert all("versmarkt.example/app" in c.text("steps") for c in sheet.cards)
    with_activation = replace(
        SETTINGS, activation_url="https://versmarkt.example/activate?login={login}&code={code}"
    )
    text = render_sheet("store-s001", staff(3), with_activation)
    assert parse_sheet(text).svgs == 6
    assert texts_for("nl").scan_activate in text
    bare = parse_sheet(render_sheet("store-s001", staff(3, None), SheetSettings(language="en")))
    assert bare.svgs == 0
    assert all(c.text("steps").startswith("Install the Speakap app.") for c in bare.cards)
    assert all(c.text("greeting") == "Welcome to Speakap" for c in bare.cards)


def test_the_activation_link_carries_the_login_and_code_url_quoted() -> None:
    template = "https://x.example/a?login={login}&code={code}"
    card = Invite("1", "A", "u", "jan+1@example.nl", "AB&C-D/E")
    assert invites._activation_url(template, card) == (
        "https://x.example/a?login=jan%2B1%40example.nl&code=AB%26C-D%2FE"
    )
    assert invites._activation_url(template, Invite("1", "A", "u", "1", None)) is None
    assert invites._activation_url("https://x.example/a?u={login}", Invite("1", "A", "u", "1"))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Inlognaam"),
        ("nl-BE", "Inlognaam"),
        ("EN", "Login"),
        ("de", "Benutzername"),
        ("fr_FR", "Identifiant"),
        ("pl", "Inlognaam"),  # no Polish texts: the network's default language (nl)
        (None, "Inlognaam"),
    ],
)
def test_a_card_speaks_its_persons_language_else_the_networks(
    language: str | None, expected: str
) -> None:
    sheet = parse_sheet(render_sheet("store-s001", staff(1, language), SETTINGS))
    assert expected in render_sheet("store-s001", staff(1, language), SETTINGS)
    [card] = sheet.cards
    assert card.lang == (supported(language) or "nl")


def test_without_a_network_language_an_unknown_one_falls_back_to_english() -> None:
    settings = SheetSettings(unit_names=SETTINGS.unit_names)
    sheet = sheet_of(staff(2, language="pl"), settings)
    assert sheet.lang == "en" and [c.lang for c in sheet.cards] == ["en", "en"]
    assert sheet.text("pageno") == "page 1 of 1"


def test_mixed_languages_on_one_sheet_each_card_its_own() -> None:
    people = [
        Invite("1", "Anna", "store-s001", "1", "C1", "nl"),
        Invite("2", "Bernd", "store-s001", "2", "C2", "de"),
        Invite("3", "Claire", "store-s001", "3", "C3", "fr"),
        Invite("4", "Dave", "store-s001", "4", "C4", "en"),
    ]
    sheet = sheet_of(people)
    assert sheet.lang == "nl"  # the heading speaks the network's language
    assert [c.lang for c in sheet.cards] == ["nl", "de", "fr", "en"]
    words = {c.name: c.text("steps") for c in sheet.cards}
    assert "Kies daarna je eigen wachtwoord." in words["Anna"]
    assert "Wähle danach dein eigenes Passwort." in words["Bernd"]
    assert "Choisissez ensuite votre propre mot de passe." in words["Claire"]
    assert "Then choose your own password." in words["Dave"]


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("en", {0: "0 invites", 1: "1 invite", 2: "2 invites", 8: "8 invites"}),
        ("nl", {0: "0 uitnodigingen", 1: "1 uitnodiging", 2: "2 uitnodigingen"}),
        ("de", {0: "0 Einladungen", 1: "1 Einladung", 2: "2 Einladungen"}),
        ("fr", {0: "0 invitation", 1: "1 invitation", 2: "2 invitations"}),
    ],
)
def test_counts_use_the_plural_of_their_language(lang: str, counts: dict[int, str]) -> None:
    for n, text in counts.items():
        assert LANGUAGES[lang].invites(n) == text


@pytest.mark.parametrize("n", [1, 2])
def test_the_sheet_counts_its_invites_in_words(n: int) -> None:
    settings = SheetSettings(language="en")
    sheet = sheet_of(staff(n), settings)
    assert f"· {n} invite{'s' if n > 1 else ''} ·" in sheet.text("sub")
    assert "1 invites" not in sheet.text("sub")


def test_every_language_has_every_text_filled() -> None:
    english = LANGUAGES["en"]
    for lang, texts in LANGUAGES.items():
        assert texts.lang == lang
        for name in english.__dataclass_fields__:
            value = getattr(texts, name)
            assert value, f"{lang}: {name} is empty"
            placeholders = set(re.findall(r"{(\w+)}", str(getattr(english, name))))
            assert set(re.findall(r"{(\w+)}", str(value))) == placeholders, (lang, name)


def test_a_hostile_name_is_text_on_the_card_never_markup() -> None:
    hostile = [
        Invite("1", "<script>alert(1)</script>", "store-s001", "1", "C1"),
        Invite("2", '"><img src=x onerror=alert(2)>', "store-s001", "2", "C2"),
        Invite("3", "Tom & Jerry's {{ 7*7 }}", "store-s001", "3<b>", "C3</dd>"),
    ]
    settings = SheetSettings(
        network_name="<u>Evil</u> & Co", unit_names={"store-s001": "<style>*{display:none}"}
    )
    text = render_sheet("store-s001", hostile, settings)
    sheet = parse_sheet(text)
    assert sheet.tags["script"] == 0 and sheet.tags["img"] == 0 and sheet.tags["u"] == 0
    assert sheet.tags["style"] == 1  # the template's own
    assert {(c.name, c.login, c.code) for c in sheet.cards} == {
        (p.name, p.login, p.code) for p in hostile
    }
    assert "49" not in text  # a name is never evaluated as a template
    assert sheet.heading == "<style>*{display:none}"


def test_the_file_is_self_contained() -> None:
    text = render_sheet("store-s001", staff(2), SETTINGS)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text
