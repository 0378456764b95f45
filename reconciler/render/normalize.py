"""From raw HR values to canonical ones: names, emails, phones, dates and languages.

The libraries do the hard parts: ``phonenumbers`` for E.164, ``email-validator`` for address
syntax (no DNS). A value that cannot be normalised becomes a row error (the row is rejected or
its person quarantined) or a warning. A missing or unusable email or phone is never an error:
the person is invited by the channel that remains, down to a printable sheet.

Phones are read in the forms people write them: ``+31(0)30-8246280``, ``0031 6 1234 5678``,
``06-12345678``, dots, spaces, a trailing note (``06-12345678 (privé)``), a spreadsheet's
``612345678.0``, several numbers (the first usable one). A number whose length fits its
country but that is in no assigned range (possible, not valid) is kept for the record and
never used for SMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from reconciler.desired.config import SourceConfig
from reconciler.model import mask_email, mask_phone
from reconciler.render.ids import id_problem
from reconciler.render.sources.base import MAX_FIELD_CHARS, RawRow

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's 1900 leap-year bug


@dataclass(frozen=True, slots=True)
class Row:
    """One HR record in canonical form.

    ``fields`` holds every non-empty canonical and extra field as text (dates as ISO), which
    is what rules read. ``errors`` make the row unusable; ``warnings`` are only reported.
    """

    line: int
    employee_id: str | None
    fields: Mapping[str, str]
    start_date: date | None = None
    end_date: date | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()  # fields whose value was dropped as invalid (email, phone)
    sms: bool = False  # the phone (if any) is valid, fit for an SMS invite


def collapse(text: str | None) -> str | None:
    """Trim and collapse inner whitespace; empty becomes None."""
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


@lru_cache(maxsize=4096)
def normalize_email(text: str) -> str | None:
    """The lower-cased address, or None when it is not a valid address."""
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(result.normalized).lower()


def email_problem(text: str) -> str:
    """Why ``text`` is no valid address, in the library's words (which quote at most a
    character of it): ``the part after the @-sign is not valid``."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as err:
        said = str(err).rstrip(".").replace(". ", "; ")
        return said[:1].lower() + said[1:]
    return "valid"


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number in E.164. ``valid``: in a range its country assigns, fit for SMS; else
    only possible (its length fits a fixed or mobile number there), kept for the record."""

    e164: str
    valid: bool


def normalize_phone(text: str, region: str) -> str | None:
    """E.164 form of a valid number written in international or ``region``'s national format
    (None for a number that is only possible, see ``parse_phone``)."""
    phone = parse_phone(text, region)
    return phone.e164 if phone is not None and phone.valid else None


@lru_cache(maxsize=4096)
def parse_phone(text: str, region: str) -> Phone | None:
    """The first valid number in ``text``, else the first possible one, else None.

    A spreadsheet that stored a phone as a number drops its ``+`` (``32470123456``): when the
    digits are not a valid national number, they are tried as an international one.
    """
    possible: Phone | None = None
    for candidate in _phone_candidates(text):
        for number in _parses(candidate, region):
            e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
            if phonenumbers.is_valid_number(number):
                return Phone(e164, valid=True)
            if possible is None and _possible(number) and _round_trips(e164):
                possible = Phone(e164, valid=False)
    return possible


_FLOAT_CELL = re.compile(r"^(\+?\d+)\.0+$")  # 612345678.0: a phone a spreadsheet kept as a float
# A trailing note in brackets, with letters and no digits: "06-12345678 (privé)".
_NOTE = re.compile(r"\s*[(\[][^\d()\[\]]*[^\W\d_][^\d()\[\]]*[)\]]\s*$")
# Between two numbers in one cell: "06-12345678 / 030-8246280", "…; …", "… of …".
_SEPARATOR = re.compile(r"\s*[;,]\s*|\s+/\s+|\s+(?:of|or|en|and|oder|ou)\s+", re.IGNORECASE)


def _phone_candidates(text: str) -> Iterator[str]:
    text = _FLOAT_CELL.sub(r"\1", text.strip())
    text = _NOTE.sub("", text)
    yield text
    parts = [p for p in _SEPARATOR.split(text) if p and p.strip()]
    if len(parts) > 1:
        yield from parts


def _parses(text: str, region: str) -> Iterator[phonenumbers.PhoneNumber]:
    tries = [text, "+" + text] if text.isdigit() else [text]
    for attempt in tries:
        try:
            yield phonenumbers.parse(attempt, region)
        except phonenumbers.NumberParseException:
            continue


def _round_trips(e164: str) -> bool:
    """Whether ``e164`` reads back as the same possible number: a national number made of
    leading zeros (``0000000001``) formats to an E.164 text that is no possible number."""
    try:
        again = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    same = phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164) == e164
    return same and _possible(again)


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    if not number.national_number:
        return False  # 0000000000
    kind = phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    return bool(phonenumbers.is_possible_number_for_type(number, kind))


@lru_cache(maxsize=65536)
def parse_date(text: str, formats: tuple[str, ...], serial: bool) -> date | None:
    """A date in one of ``formats``, ISO 8601, or (from XLSX) an Excel serial day number."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if serial and text.isdigit() and 1 <= int(text) <= 2958465:
        return _EXCEL_EPOCH + timedelta(days=int(text))
    return None


# Dutch and Flemish tussenvoegsels, as whole leading words of a family name (lower case, with a
# straight apostrophe). Deliberately without foreign particles (da, le, di, von...): "Le Thi" is
# more often a family name than an infix.
TUSSENVOEGSELS: frozenset[str] = frozenset(
    {
        "van", "van de", "van den", "van der", "van het", "van 't", "van ter", "van ten",
        "de", "den", "der", "des", "het", "'t", "ter", "ten", "te",
        "in de", "in den", "in der", "in het", "in 't",
        "op de", "op den", "op der", "op het", "op 't", "op ten",
        "uit de", "uit den", "uit het", "uit 't", "uit te de",
        "aan de", "aan den", "aan der", "aan het", "aan 't",
        "bij de", "bij den", "bij het", "bij 't",
        "onder de", "onder den", "onder het", "onder 't",
        "over de", "over den", "over het", "over 't",
        "voor de", "voor den", "voor het", "voor 't", "voor in 't",
    }
)  # fmt: skip
_LONGEST_INFIX = max(len(t.split()) for t in TUSSENVOEGSELS)


def split_infix(family_name: str) -> tuple[str | None, str]:
    """``("van der", "Berg")`` from ``"Van der Berg"``; ``(None, name)`` when nothing splits.

    The longest leading run of whole words that is a tussenvoegsel (case-insensitive; ’ counts
    as ') becomes the infix, in lower case as Dutch writes it after a given name. At least one
    word always stays the family name, and it is not a tussenvoegsel itself: ``"de"``, ``"Van"``
    or ``"van der"`` alone are left as they are.
    """
    words = family_name.split()
    for n in range(min(_LONGEST_INFIX, len(words) - 1), 0, -1):
        infix = " ".join(words[:n]).lower().replace("’", "'")
        rest = " ".join(words[n:])
        if infix in TUSSENVOEGSELS and rest.lower().replace("’", "'") not in TUSSENVOEGSELS:
            return infix, rest
    return None, family_name


def employee_id_of(source: SourceConfig) -> Callable[[RawRow], str | None]:
    """The employee id ``normalize_row`` gives a row, read without normalising the rest."""
    broken_header = source.columns["employee_id"]
    header = source.field_columns()["employee_id"]

    def read(raw: RawRow) -> str | None:
        if raw.hides_rows:
            return collapse(raw.values.get(broken_header))
        text = raw.values.get(header)
        return None if text is not None and len(text) > MAX_FIELD_CHARS else collapse(text)

    return read


def normalize_row(raw: RawRow, source: SourceConfig, *, serial_dates: bool = False) -> Row:
    if raw.hides_rows:  # its values are a broken record's: only the id may be right
        employee_id = collapse(raw.values.get(source.columns["employee_id"]))
        return Row(line=raw.line, employee_id=employee_id, fields={}, errors=(raw.error or "",))
    errors: list[str] = [raw.error] if raw.error else []
    warnings: list[str] = []
    fields: dict[str, str] = {}
    for name, header in source.field_columns().items():
        text = raw.values.get(header)
        if text is not None and len(text) > MAX_FIELD_CHARS:
            errors.append(
                f"{header!r} holds {len(text):,} characters, more than {MAX_FIELD_CHARS:,}"
            )
            continue
        value = collapse(text)
        if value is not None:
            fields[name] = value
    employee_id = fields.get("employee_id")
    if employee_id is None:
        errors.append("no employee id")
    elif problem := id_problem(employee_id, source.employee_id_pattern):
        errors.append(problem)  # kept as the id: a known person is quarantined, not a leaver
    if "given_name" not in fields or "family_name" not in fields:
        errors.append("no name (given and family name are required)")
    elif source.split_infix and "infix" not in fields:
        infix, family = split_infix(fields["family_name"])
        if infix is not None:
            fields["infix"], fields["family_name"] = infix, family
    invalid, sms = _contact(fields, source, warnings)
    if "language" in fields:
        fields["language"] = fields["language"].lower()
    elif source.default_language:
        fields["language"] = source.default_language
    dates: dict[str, date | None] = {}
    for name in ("start_date", "end_date"):
        text = fields.get(name)
        dates[name] = None
        if text is None:
            continue
        parsed = parse_date(text, source.date_formats, serial_dates)
        if parsed is None:
            errors.append(f"invalid {name} {text!r}")
            del fields[name]
        else:
            dates[name] = parsed
            fields[name] = parsed.isoformat()
    return Row(
        line=raw.line,
        employee_id=employee_id,
        fields=fields,
        start_date=dates["start_date"],
        end_date=dates["end_date"],
        errors=tuple(errors),
        warnings=tuple(warnings),
        invalid=invalid,
        sms=sms,
    )


def _contact(
    fields: dict[str, str], source: SourceConfig, warnings: list[str]
) -> tuple[tuple[str, ...], bool]:
    """Canonical email and phone into ``fields``; unusable ones are warnings (masked values).
    Returns the fields dropped as invalid and whether the phone is fit for SMS."""
    email_text = fields.pop("email", None)
    phone_text = fields.pop("phone", None)
    email = normalize_email(email_text) if email_text else None
    phone = parse_phone(phone_text, source.phone_region) if phone_text else None
    if email_text and email is None:
        problem = email_problem(email_text)
        warnings.append(f"unusable email {mask_email(email_text)!r} ignored: {problem}")
    if phone_text and phone is None:
        warnings.append(f"unusable phone {mask_phone(phone_text)!r} ignored")
    elif phone is not None and not phone.valid:
        warnings.append(
            f"phone {mask_phone(phone.e164)} is in no assigned number range: kept, "
            "not used for an SMS invite"
        )
    if email is not None:
        fields["email"] = email
    if phone is not None:
        fields["phone"] = phone.e164
    invalid = tuple(
        name
        for name, text, value in (("email", email_text, email), ("phone", phone_text, phone))
        if text and value is None
    )
    return invalid, phone is not None and phone.valid
