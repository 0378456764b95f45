"""What a printable invite sheet says, in the languages it speaks: Dutch, English, German, French.

A card speaks its person's language (``Person.language``: ``nl``, ``nl-BE``, ``NL`` all mean
Dutch), else the network's default language, else English; the sheet's own heading speaks the
network's default language, else English. Counts follow each language's plural rule: French
says "0 invitation", English "0 invites".
"""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class Texts:
    """The words of one language. ``{n}``, ``{total}``, ``{network}``, ``{link}`` are filled
    by the methods below, which templates call (``t.invites(3)``)."""

    lang: str
    title: str  # of the sheet: "Speakap invites"
    invite_forms: tuple[str, str]  # singular, plural: "{n} invite", "{n} invites"
    page_of: str  # "page {n} of {total}"
    instructions: str  # for the manager who hands the cards out
    screen_hint: str  # on screen only, never printed
    welcome: str  # "Welcome to {network}"
    welcome_plain: str  # without a network name
    login: str
    code: str
    employee: str
    install_or_open: str  # "Install the Speakap app or open {link}."
    install: str
    sign_in: str
    password: str
    scan_app: str
    scan_activate: str
    console_note: str  # where the code comes from when Speakap issued none with the account
    no_unit: str

    def invites(self, n: int) -> str:
        """``n`` invites with the plural this language uses for ``n``."""
        return self.invite_forms[_plural(self.lang, n)].format(n=n)

    def page(self, n: int, total: int) -> str:
        return self.page_of.format(n=n, total=total)

    def greeting(self, network: str | None) -> str:
        return self.welcome.format(network=network) if network else self.welcome_plain

    def first_step(self, link: str | None) -> str:
        return self.install_or_open.format(link=link) if link else self.install


def _plural(lang: str, n: int) -> int:
    """0 for the singular form, 1 for the plural (CLDR: French counts 0 and 1 as one)."""
    if lang == "fr":
        return 0 if n in (0, 1) else 1
    return 0 if n == 1 else 1


LANGUAGES: dict[str, Texts] = {
    "en": Texts(
        lang="en",
        title="Speakap invites",
        invite_forms=("{n} invite", "{n} invites"),
        page_of="page {n} of {total}",
        instructions=(
            "Cut along the marks and hand each card to its person yourself. Then shred this "
            "sheet: the codes open accounts."
        ),
        screen_hint="This file holds one-time codes: print it, then delete it.",
        welcome="Welcome to {network}",
        welcome_plain="Welcome to Speakap",
        login="Login",
        code="One-time code",
        employee="Employee number",
        install_or_open="Install the Speakap app or open {link}.",
        install="Install the Speakap app.",
        sign_in="Sign in with your login and one-time code.",
        password="Then choose your own password.",
        scan_app="Scan for the app",
        scan_activate="Scan to activate",
        console_note=(
            "Your one-time code is issued in Speakap's admin console: ask your manager for it."
        ),
        no_unit="(no business unit)",
    ),
    "nl": Texts(
        lang="nl",
        title="Speakap-uitnodigingen",
        invite_forms=("{n} uitnodiging", "{n} uitnodigingen"),
        page_of="pagina {n} van {total}",
        instructions=(
            "Knip langs de snijtekens en geef elke kaart persoonlijk aan de juiste collega. "
            "Vernietig daarna dit vel: de codes geven toegang tot accounts."
        ),
        screen_hint="Dit bestand bevat eenmalige codes: print het en verwijder het daarna.",
        welcome="Welkom bij {network}",
        welcome_plain="Welkom bij Speakap",
        login="Inlognaam",
        code="Eenmalige code",
        employee="Personeelsnummer",
        install_or_open="Installeer de Speakap-app of open {link}.",
        install="Installeer de Speakap-app.",
        sign_in="Log in met je inlognaam en eenmalige code.",
        password="Kies daarna je eigen wachtwoord.",
        scan_app="Scan voor de app",
        scan_activate="Scan om te activeren",
        console_note=(
            "Je eenmalige code wordt uitgegeven in de beheeromgeving van Speakap: vraag je "
            "leidinggevende erom."
        ),
        no_unit="(geen business unit)",
    ),
    "de": Texts(
        lang="de",
        title="Speakap-Einladungen",
        invite_forms=("{n} Einladung", "{n} Einladungen"),
        page_of="Seite {n} von {total}",
        instructions=(
            "Entlang der Schnittmarken schneiden und jede Karte persönlich übergeben. Danach "
            "dieses Blatt vernichten: Die Codes öffnen Konten."
        ),
        screen_hint="Diese Datei enthält Einmalcodes: ausdrucken und danach löschen.",
        welcome="Willkommen bei {network}",
        welcome_plain="Willkommen bei Speakap",
        login="Benutzername",
        code="Einmalcode",
        employee="Personalnummer",
        install_or_open="Installiere die Speakap-App oder öffne {link}.",
        install="Installiere die Speakap-App.",
        sign_in="Melde dich mit Benutzername und Einmalcode an.",
        password="Wähle danach dein eigenes Passwort.",
        scan_app="Scannen für die App",
        scan_activate="Scannen zum Aktivieren",
        console_note=(
            "Dein Einmalcode wird in der Speakap-Verwaltung ausgestellt: Frag deine "
            "Führungskraft danach."
        ),
        no_unit="(ohne Geschäftseinheit)",
    ),
    "fr": Texts(
        lang="fr",
        title="Invitations Speakap",
        invite_forms=("{n} invitation", "{n} invitations"),
        page_of="page {n} sur {total}",
        instructions=(
            "Découpez le long des repères et remettez chaque carte en main propre. Détruisez "
            "ensuite cette feuille\u00a0: les codes ouvrent des comptes."
        ),
        screen_hint=(
            "Ce fichier contient des codes à usage unique\u00a0: imprimez-le, puis supprimez-le."
        ),
        welcome="Bienvenue chez {network}",
        welcome_plain="Bienvenue sur Speakap",
        login="Identifiant",
        code="Code à usage unique",
        employee="Matricule",
        install_or_open="Installez l'application Speakap ou ouvrez {link}.",
        install="Installez l'application Speakap.",
        sign_in="Connectez-vous avec votre identifiant et votre code à usage unique.",
        password="Choisissez ensuite votre propre mot de passe.",
        scan_app="Scannez pour l'application",
        scan_activate="Scannez pour activer",
        console_note=(
            "Votre code à usage unique est délivré dans la console d'administration de "
            "Speakap\u00a0: demandez-le à votre responsable."
        ),
        no_unit="(sans unité)",
    ),
}


def supported(language: str | None) -> str | None:
    """The catalog language a language tag names (``nl-BE``, ``NL``, ``nl_nl`` -> ``nl``), or
    None when there is no catalog for it."""
    if not language:
        return None
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def texts_for(*languages: str | None) -> Texts:
    """The texts of the first language with a catalog, else English."""
    for language in languages:
        found = supported(language)
        if found:
            return LANGUAGES[found]
    return LANGUAGES[FALLBACK]
