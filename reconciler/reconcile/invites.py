"""Printable invite sheets for people without email or (allowed) phone.

One HTML page per business unit, titled with the unit's name, eight cards to an A4 page with
cut marks. A card holds its person's name, login and the one-time activation code Speakap
issued when it created the account, in the person's language, with the network's name and a
QR code of the app link (and of the activation link, when the dialect has one). Codes are
never made here: when the server returned none (a user found after an uncertain create, a
server without the feature), the card says the code is issued in Speakap's admin console.

The page is a Jinja2 template, autoescaped and sandboxed: the package's
``templates/invite.html.j2``, or the network's own ``desired-state/templates/invite.html.j2``
(which may extend the built-in one as ``builtin/invite.html.j2``). A template that cannot load
or render is a ``ConfigError`` naming its file and line; ``check_template`` finds it before an
apply changes anything, and a sheet whose override still fails on real data is written with
the built-in template, so no code is lost.

Sheets go to the output folder only, mode 0600; they hold credentials and must never be
committed.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from string import Formatter
from types import TracebackType
from urllib.parse import quote

import segno
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from reconciler.desired.config import default_language
from reconciler.errors import ConfigError
from reconciler.model import ActionResult, DesiredState, Person
from reconciler.reconcile.invite_texts import Texts, texts_for

TEMPLATE_NAME = "invite.html.j2"
TEMPLATES_DIR = "templates"  # in desired-state/: the network's own invite template
BUILTIN_PREFIX = "builtin"  # an override extends "builtin/invite.html.j2"
CARDS_PER_PAGE = 8


@dataclass(frozen=True, slots=True)
class Invite:
    employee_id: str
    name: str
    business_unit: str | None  # the unit's key; None: the person has none
    login: str
    # Issued by Speakap with the account; None when the server returned none.
    code: str | None = field(default=None, repr=False)
    language: str | None = None  # the person's (Person.language)


@dataclass(frozen=True, slots=True)
class SheetSettings:
    """What a sheet says beside its cards, and which template draws it."""

    network_name: str | None = None
    app_url: str | None = None  # where staff get the app or sign in
    # The dialect's activation link: a URL template with {login} and {code}.
    activation_url: str | None = None
    language: str | None = None  # the network's default language
    unit_names: Mapping[str, str] = field(default_factory=dict)  # business unit key -> name
    template_dir: Path | None = None  # desired-state/templates

    @classmethod
    def for_network(
        cls,
        state_dir: Path,
        desired: DesiredState,
        *,
        network_name: str | None = None,
        app_url: str | None = None,
        activation_url: str | None = None,
    ) -> SheetSettings:
        """The settings of a desired-state folder: its units' names, its default language
        (source.yaml) and its template; the network's name and links from speakap.yaml."""
        return cls(
            network_name=network_name,
            app_url=app_url,
            activation_url=activation_url,
            language=default_language(state_dir),
            unit_names={unit.key: unit.name for unit in desired.org_units},
            template_dir=state_dir / TEMPLATES_DIR,
        )

    @property
    def override(self) -> Path | None:
        """The network's own template, when it has one."""
        if self.template_dir is None:
            return None
        path = self.template_dir / TEMPLATE_NAME
        return path if path.is_file() else None


# -- what a template sees -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    employee_id: str
    name: str
    login: str
    code: str | None  # None: the code comes from the admin console (t.console_note)
    show_employee_id: bool  # the login is not the employee id, so the id is printed too
    lang: str  # the language of ``t``
    t: Texts
    language: str | None  # the person's own language tag, as HR gave it
    greeting: str
    network_name: str | None
    app_url: str | None
    app_link: str | None  # app_url as printed: without https://
    app_qr: Markup | None
    activation_url: str | None
    activation_qr: Markup | None


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    total: int
    label: str  # "page 1 of 3" in the sheet's language
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    lang: str
    t: Texts
    title: str
    unit_key: str | None
    unit_name: str
    network_name: str | None
    app_url: str | None
    app_link: str | None
    app_qr: Markup | None
    count: int
    count_text: str  # "8 invites", with the right plural
    issued: str  # ISO date
    cards: tuple[Card, ...]
    pages: tuple[Page, ...]


# -- choosing and writing -----------------------------------------------------------------------


def invites_for(results: Iterable[ActionResult], people: Mapping[str, Person]) -> list[Invite]:
    """A card for each printable-channel person an apply created, with the code Speakap issued
    (None when it returned none)."""
    entries = []
    for result in results:
        person = people.get(result.employee_id or "")
        if not (result.ok and result.kind == "create_user" and person is not None):
            continue
        if person.invite_channel != "printable":
            continue
        entries.append(
            Invite(
                employee_id=person.employee_id,
                name=person.display_name,
                business_unit=person.business_unit,
                login=result.login or person.employee_id,
                code=result.invite_code,
                language=person.language,
            )
        )
    return entries


def write_invite_sheets(
    out_dir: Path,
    invites: Iterable[Invite],
    settings: SheetSettings | None = None,
    *,
    notify: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``invites/invites-<business unit key>.html`` files (mode 0600); returns their paths.

    A sheet of an earlier run is never overwritten (its codes cannot be issued again): a later
    run's sheet for the same unit gets a numbered name (``invites-<unit>-2.html``). A sheet the
    network's template fails on is written with the built-in one, and ``notify`` hears why."""
    settings = settings or SheetSettings()
    by_unit: dict[str | None, list[Invite]] = defaultdict(list)
    for invite in invites:
        by_unit[invite.business_unit].append(invite)
    if not by_unit:
        return []
    folder = out_dir / "invites"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    today = date.today()
    paths = []
    for unit in sorted(by_unit, key=lambda key: key or ""):
        try:
            text = render_sheet(unit, by_unit[unit], settings, issued=today)
        except ConfigError as error:
            if settings.override is None:
                raise
            if notify is not None:
                notify(f"{error}; the sheet was written with the built-in template")
            text = render_sheet(unit, by_unit[unit], settings, issued=today, builtin=True)
        fd, path = _create_new(folder, f"invites-{_safe(unit or 'no-business-unit')}")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def _create_new(folder: Path, stem: str) -> tuple[int, Path]:
    """A new file readable by the owner only (credentials), under a name not taken yet."""
    for n in itertools.count(1):
        path = folder / (f"{stem}.html" if n == 1 else f"{stem}-{n}.html")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)  # whatever the umask
        return fd, path
    raise AssertionError("unreachable")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "unit"


# -- rendering ----------------------------------------------------------------------------------


def render_sheet(
    unit: str | None,
    invites: Sequence[Invite],
    settings: SheetSettings,
    *,
    issued: date | None = None,
    builtin: bool = False,
) -> str:
    """One unit's sheet as HTML, cards sorted by name; ``builtin`` ignores the override."""
    template = _template(settings, builtin)
    sheet = _sheet(unit, invites, settings, issued or date.today())
    try:
        return template.render(sheet=sheet)
    except TemplateError as error:
        raise _template_error(error, template, "cannot render") from None
    except (TypeError, ValueError, AttributeError, LookupError, ArithmeticError) as error:
        raise _template_error(error, template, "cannot render") from None


def check_template(settings: SheetSettings) -> None:
    """Render sample sheets (every language, with and without a code, with and without the
    network's name and links) with the template ``settings`` name, raising the ``ConfigError``
    a broken template gives: before an apply, not after the codes exist."""
    if settings.override is None:
        return
    filled = replace(
        settings,
        network_name=settings.network_name or "Network",
        app_url=settings.app_url or "https://example.invalid/app",
        activation_url=settings.activation_url or "https://example.invalid/a?code={code}",
    )
    bare = replace(settings, network_name=None, app_url=None, activation_url=None)
    samples = [
        Invite(f"sample-{n}", f"Sample <{lang}> Person", "sample", f"s{n}", code, lang)
        for n, (lang, code) in enumerate(
            itertools.product(["nl", "en", "de", "fr", "xx", None], ["ABCD-EF23", None])
        )
    ]
    for variant in (settings, filled, bare):
        render_sheet("sample", samples, variant)
        render_sheet(None, samples[:1], variant)


def _sheet(
    unit: str | None, invites: Sequence[Invite], settings: SheetSettings, issued: date
) -> Sheet:
    t = texts_for(settings.language)
    unit_name = settings.unit_names.get(unit, unit) if unit else t.no_unit
    app_qr = _qr(settings.app_url) if settings.app_url else None
    ordered = sorted(invites, key=lambda i: (i.name.casefold(), i.employee_id))
    cards = tuple(_card(invite, settings, app_qr) for invite in ordered)
    chunks = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    pages = tuple(
        Page(n, len(chunks), t.page(n, len(chunks)), chunk) for n, chunk in enumerate(chunks, 1)
    )
    return Sheet(
        lang=t.lang,
        t=t,
        title=f"{t.title} — {unit_name}",
        unit_key=unit,
        unit_name=unit_name,
        network_name=settings.network_name,
        app_url=settings.app_url,
        app_link=_printed(settings.app_url),
        app_qr=app_qr,
        count=len(cards),
        count_text=t.invites(len(cards)),
        issued=issued.isoformat(),
        cards=cards,
        pages=pages,
    )


def _card(invite: Invite, settings: SheetSettings, app_qr: Markup | None) -> Card:
    t = texts_for(invite.language, settings.language)
    activation = _activation_url(settings.activation_url, invite)
    return Card(
        employee_id=invite.employee_id,
        name=invite.name,
        login=invite.login,
        code=invite.code,
        show_employee_id=invite.login != invite.employee_id,
        lang=t.lang,
        t=t,
        language=invite.language,
        greeting=t.greeting(settings.network_name),
        network_name=settings.network_name,
        app_url=settings.app_url,
        app_link=_printed(settings.app_url),
        app_qr=app_qr,
        activation_url=activation,
        activation_qr=_qr(activation) if activation else None,
    )


def _activation_url(template: str | None, invite: Invite) -> str | None:
    """The dialect's activation link for this card; none when it needs a code there is not."""
    if not template:
        return None
    if not invite.code and "code" in {name for _, name, _, _ in Formatter().parse(template)}:
        return None
    login, code = quote(invite.login, safe=""), quote(invite.code or "", safe="")
    return template.format(login=login, code=code)


def _printed(url: str | None) -> str | None:
    """A link as people type it: without the scheme or a trailing slash."""
    if not url:
        return None
    return url.split("://", 1)[-1].rstrip("/")


def _qr(url: str) -> Markup:
    """An inline SVG QR code (sized by CSS), so the sheet stays one self-contained file."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr"))


# -- the template -------------------------------------------------------------------------------


def _template(settings: SheetSettings, builtin: bool) -> Template:
    override = None if builtin else settings.override
    env = _environment(override.parent if override else None)
    try:
        return env.get_template(TEMPLATE_NAME)
    except TemplateSyntaxError as error:
        where = error.filename or (str(override) if override else None)
        message = " ".join(str(error.message or error).split())
        raise ConfigError(f"invite template: {message}", file=where, line=error.lineno) from None
    except TemplateError as error:  # an {% extends %} or {% include %} that is not there
        raise ConfigError(f"invite template: {_one_line(error)}", file=override) from None


@functools.lru_cache(maxsize=8)
def _environment(override_dir: Path | None) -> ImmutableSandboxedEnvironment:
    """The template environment, kept: compiling a template costs far more than rendering a
    sheet. Jinja2 reloads a template whose file changed (``auto_reload``)."""
    builtin = PackageLoader("reconciler.reconcile", TEMPLATES_DIR)
    loaders: list[BaseLoader] = [builtin, PrefixLoader({BUILTIN_PREFIX: builtin})]
    if override_dir is not None:
        loaders.insert(0, FileSystemLoader(override_dir))
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name is an error, not an empty card
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["breakable"] = breakable
    return env


def breakable(text: str) -> Markup:
    """``text`` escaped, with line-break opportunities after ``@`` and ``.``: a long email
    login wraps as ``jan.de.vries@`` / ``versmarkt.nl``, not in the middle of a word."""
    escaped = str(escape(text))
    return Markup(escaped.replace("@", "@<wbr>").replace(".", ".<wbr>"))


def _template_error(error: Exception, template: Template, what: str) -> ConfigError:
    """The error with the template file and line where it happened: the innermost template
    frame (Jinja2 rewrites the traceback so that a template's frames carry its file and line,
    and marks them with ``__jinja_exception__``)."""
    file, line = template.filename, None
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name == template.filename or "__jinja_exception__" in tb.tb_frame.f_globals:
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return ConfigError(f"invite template {what}: {_one_line(error)}", file=file, line=line)


def _one_line(error: Exception) -> str:
    if isinstance(error, TemplateNotFound):
        return f"no template named {error.name!r} (the built-in one is 'builtin/{TEMPLATE_NAME}')"
    return " ".join(str(error).split()) or type(error).__name__
