"""Whatever the names and languages: every invite is on the sheet once, as text (nothing in a
name becomes markup), at most eight to a page, each card in a language the sheet speaks."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.reconcile.invite_texts import LANGUAGES
from reconciler.reconcile.invites import CARDS_PER_PAGE, Invite, SheetSettings, render_sheet
from tests.reconcile.sheets import parse_sheet

# The elements the built-in template writes; anything else came from the data.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "p", "section", "header", "h1", "div",
    "article", "dl", "dt", "dd", "ol", "li", "span", "i", "figure", "figcaption", "svg", "path",
    "wbr",
}  # fmt: skip
HOSTILE = [
    "<script>alert(1)</script>",
    '</dd></article><article class="card">',
    "{{ 7*7 }}",
    "&amp; &lt;",
    "' onmouseover='x",
    "<!-- x -->",
    "]]><svg onload=alert(1)>",
]
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    st.sampled_from(HOSTILE),
).filter(lambda name: bool(name.strip()))
languages = st.sampled_from(["nl", "en", "de", "fr", "nl-BE", "FR", "pl", "", None])


@st.composite
def invite_lists(draw: st.DrawFn) -> list[Invite]:
    people = draw(st.lists(st.tuples(names, languages, st.booleans()), min_size=1, max_size=20))
    return [
        Invite(
            employee_id=f"{i:06}",
            name=name,
            business_unit="store-01",
            login=name if i % 3 == 0 else f"{i:06}",  # a login is data too
            code=f"C{i:03}-{i * 7919 % 10000:04}" if has_code else None,
            language=language,
        )
        for i, (name, language, has_code) in enumerate(people)
    ]


def _plain(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=60, deadline=None)
@given(
    invite_lists(),
    st.sampled_from([None, "nl", "de", "xx"]),
    st.sampled_from([None, "Versmarkt", "<b>Net</b> & co"]),
    st.sampled_from([None, "https://app.example/?a=1&b=<2>"]),
)
def test_every_invite_is_on_the_sheet_once_as_text(
    people: list[Invite], network_language: str | None, network: str | None, app: str | None
) -> None:
    options = SheetSettings(
        network_name=network,
        app_url=app,
        language=network_language,
        unit_names={"store-01": "Store <01>"},
    )
    sheet = parse_sheet(render_sheet("store-01", people, options))
    assert set(sheet.tags) <= TEMPLATE_TAGS, set(sheet.tags) - TEMPLATE_TAGS
    assert sheet.tags["script"] == 0
    assert len(sheet.cards) == len(people)
    printed = Counter((c.name, c.login, c.code) for c in sheet.cards)
    expected = Counter((_plain(p.name), _plain(p.login), p.code or "") for p in people)
    assert printed == expected
    codes = [c.code for c in sheet.cards if c.code]
    assert len(codes) == len(set(codes)) == sum(1 for p in people if p.code)
    assert sheet.pages == math.ceil(len(people) / CARDS_PER_PAGE)
    assert all(len(sheet.cards_on(n)) <= CARDS_PER_PAGE for n in range(1, sheet.pages + 1))
    assert all(c.lang in LANGUAGES for c in sheet.cards)
    assert all(c.text("console") for c in sheet.cards if not c.code)
    assert sheet.heading == "Store <01>"
