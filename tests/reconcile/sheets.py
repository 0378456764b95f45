"""Reading a printable invite sheet back as a person would: pages, cards, and on each card the
name, login and code that are printed (html.parser, so escaping is undone exactly as a browser
would, and a tag smuggled in through a name shows up as a tag)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# The classes of the built-in template whose text the tests read.
CARD_FIELDS = ("greeting", "name", "login", "employee", "code", "console", "steps")
SHEET_FIELDS = ("sub", "howto", "pageno", "screen-hint")
_VOID = {"meta", "wbr", "br", "img", "input", "link", "hr", "source", "col", "area", "base"}


@dataclass
class Card:
    page: int  # 1-based; 0 outside any page
    lang: str | None
    texts: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return " ".join(self.texts.get(name, "").split())

    @property
    def name(self) -> str:
        return self.text("name")

    @property
    def login(self) -> str:
        return self.text("login")

    @property
    def code(self) -> str:
        return self.text("code")


@dataclass
class Sheet:
    lang: str | None = None
    title: str = ""
    heading: str = ""  # the first page's h1
    cards: list[Card] = field(default_factory=list)
    pages: int = 0
    tags: Counter[str] = field(default_factory=Counter)
    texts: dict[str, str] = field(default_factory=dict)  # SHEET_FIELDS, of the first page
    svgs: int = 0

    def text(self, name: str) -> str:
        return " ".join(self.texts.get(name, "").split())

    def cards_on(self, page: int) -> list[Card]:
        return [c for c in self.cards if c.page == page]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sheet = Sheet()
        self.open: list[tuple[str, set[str]]] = []
        self.card: Card | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        self.sheet.tags[tag] += 1
        if tag == "html":
            self.sheet.lang = values.get("lang")
        if tag == "svg":
            self.sheet.svgs += 1
        if tag == "section" and "page" in classes:
            self.sheet.pages += 1
        if "card" in classes:
            self.card = Card(self.sheet.pages, values.get("lang"))
            self.sheet.cards.append(self.card)
        if tag not in _VOID:
            self.open.append((tag, classes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.sheet.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, classes = self.open.pop()
            if "card" in classes:
                self.card = None
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for tag, classes in self.open:
            if tag == "title":
                self.sheet.title += data
            if tag == "h1" and self.sheet.pages == 1:
                self.sheet.heading += data
            if self.card is not None:
                for name in classes & set(CARD_FIELDS):
                    self.card.texts[name] = self.card.texts.get(name, "") + data
            elif self.sheet.pages <= 1:
                for name in classes & set(SHEET_FIELDS):
                    self.sheet.texts[name] = self.sheet.texts.get(name, "") + data


def parse_sheet(text: str) -> Sheet:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    reader.sheet.title = " ".join(reader.sheet.title.split())
    reader.sheet.heading = " ".join(reader.sheet.heading.split())
    return reader.sheet


def read_sheets(out: Path) -> dict[str, Sheet]:
    """Every sheet in ``out/invites`` by file name."""
    folder = out / "invites"
    found = sorted(folder.glob("*.html")) if folder.exists() else []
    return {p.name: parse_sheet(p.read_text(encoding="utf-8")) for p in found}


def sheet_codes(out: Path) -> dict[str, str]:
    """Login -> code, over every card with a code in every sheet in ``out/invites``."""
    return {
        card.login: card.code
        for sheet in read_sheets(out).values()
        for card in sheet.cards
        if card.code
    }


def sheet_logins(out: Path) -> set[str]:
    return {card.login for sheet in read_sheets(out).values() for card in sheet.cards}
