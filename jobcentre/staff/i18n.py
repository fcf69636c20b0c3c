"""German and English texts of the staff web app, picked when a page is drawn.

German is the default; ``?lang=en`` or ``?lang=de`` switches and is remembered in a cookie.
Both catalogs must have the same keys (a test checks it).
"""

from __future__ import annotations

from jobcentre.staff.i18n_calls import CALLS_CATALOG
from jobcentre.staff.i18n_fleet_rollouts import ROLLOUTS_CATALOG

LANGUAGES = ("de", "en")
DEFAULT = "de"

_BASE: dict[str, dict[str, str]] = {
    "de": {
        "layout.app": "Jobcenter – Terminal-Verwaltung",
        "layout.skip": "Zum Inhalt springen",
        "layout.signed_in": "Angemeldet: {user} ({role})",
        "layout.logout": "Abmelden",
        "layout.footer": "Jeder Zugriff auf Dokumente wird protokolliert.",
        "nav.main": "Hauptnavigation",
        "nav.language": "Sprache",
        "nav.documents": "Eingegangene Dokumente",
        "nav.receipts": "Eingangsbestätigung prüfen",
        "nav.kiosks": "Terminals",
        "nav.audit": "Protokoll",
        "nav.calls": 'Videoberatung',
        "nav.desk": "Service-Theke",
        "desk.title": "Service-Theke: Hilferufe",
        "desk.intro": "Offene Hilferufe von Terminals. Die Liste aktualisiert sich von selbst.",
        "desk.reload": "Liste neu laden",
        "desk.sound_on": "Ton-Hinweise einschalten",
        "desk.sound_active": "Ton-Hinweise sind eingeschaltet.",
        "desk.sound_help": "Browser spielen Töne erst nach einer ersten Bedienung der Seite ab "
                           "(Klick oder Taste). Neue Rufe werden immer auch angezeigt.",
        "desk.caption": "{count} offene(r) Hilferuf(e)",
        "desk.kiosk": "Terminal",
        "desk.location": "Ort",
        "desk.language": "Sprache",
        "desk.step": "Schritt",
        "desk.waiting": "Wartet seit",
        "desk.state": "Zustand",
        "desk.actions": "Aktionen",
        "desk.open": "offen",
        "desk.escalated": "Eskaliert – bitte sofort kümmern",
        "desk.minutes": "{time} ({minutes} Min.)",
        "desk.ack": "Ich komme",
        "desk.ack_label": "Ich komme zu {location}",
        "desk.none": "Zurzeit keine offenen Hilferufe.",
        "desk.status": "{count} offene(r) Hilferuf(e), davon {escalated} eskaliert.",
        "desk.badge": "{count} offen",
        "desk.acked": "Das Terminal {location} zeigt jetzt: {name} ist unterwegs.",
        "desk.gone": "Dieser Ruf ist schon beantwortet oder zurückgezogen.",
        "desk.staff_support": "Mitarbeiter/in am Terminal bittet um Unterstützung",
        "role.desk": "Empfang",
        "role.counsellor": "Beratung",
        "role.ops": "Betrieb",
        "role.admin": "Verwaltung",
        "role.-": "–",
        "login.title": "Anmeldung für Mitarbeitende",
        "login.username": "Benutzername",
        "login.password": "Passwort",
        "login.submit": "Anmelden",
        "login.wrong": "Benutzername oder Passwort ist falsch.",
        "login.locked": "Zu viele Fehlversuche. Die Anmeldung ist für {seconds} Sekunden "
                        "gesperrt. Bitte warten Sie und versuchen Sie es dann erneut.",
        "login.expired": "Ihre Sitzung ist wegen Inaktivität abgelaufen. "
                         "Bitte melden Sie sich erneut an.",
        "login.required": "Bitte melden Sie sich an.",
        "login.bye": "Sie haben sich abgemeldet.",
        "home.title": "Start",
        "home.nothing": "Für Ihre Rolle gibt es hier noch keine Seiten.",
        "documents.title": "Eingegangene Dokumente",
        "documents.filter": "Dokumente filtern",
        "documents.from": "Eingang ab",
        "documents.to": "Eingang bis",
        "documents.kiosk": "Terminal",
        "documents.type": "Art",
        "documents.any": "alle",
        "documents.apply": "Filtern",
        "documents.caption": "{count} Dokument(e)",
        "documents.received": "Eingegangen",
        "documents.pages": "Seiten",
        "documents.receipt": "Bestätigung",
        "documents.actions": "Aktionen",
        "documents.open": "Öffnen",
        "documents.download": "Herunterladen",
        "documents.row": "{type}, Bestätigung {receipt}",
        "documents.none": "Keine Dokumente für diese Auswahl.",
        "documents.number_search": "Nach Kunden- oder BG-Nummer suchen",
        "documents.number": "Kunden- oder BG-Nummer",
        "documents.number_hint": "Zum Beispiel 123A456789 oder 12345//1234567; Leerzeichen "
                                 "und Groß-/Kleinschreibung spielen keine Rolle.",
        "documents.search": "Suchen",
        "checklist.title": "Checkliste aus dem Aufforderungsschreiben (Bestätigung {receipt})",
        "checklist.dates": "Schreiben vom {letter}, Frist {deadline}. Von der Person am "
                           "Terminal bestätigt.",
        "checklist.caption": "Angeforderte Unterlagen, Bestätigung {receipt}",
        "checklist.item": "Angefordert",
        "checklist.state": "Eingereicht mit",
        "checklist.missing": "kein Dokument (fehlt oder am Terminal von Hand abgehakt)",
        "receipts.title": "Eingangsbestätigung prüfen",
        "receipts.intro": "Scannen Sie den QR-Code der Bestätigung oder fügen Sie seinen Text "
                          "ein.",
        "receipts.label": "Text des QR-Codes",
        "receipts.submit": "Prüfen",
        "receipts.public": "Öffentliche Prüfseite (/verify)",
        "kiosks.title": "Terminals",
        "kiosks.caption": "{count} Terminal(s)",
        "kiosks.name": "Name",
        "kiosks.id": "Kennung",
        "kiosks.enrolled": "Angemeldet am",
        "kiosks.state": "Zustand",
        "kiosks.actions": "Aktionen",
        "kiosks.active": "aktiv",
        "kiosks.revoked": "gesperrt seit {at}",
        "kiosks.revoke": "Sperren",
        "kiosks.none": "Noch keine Terminals angemeldet.",
        "kiosks.new": "Neues Terminal anmelden",
        "kiosks.new_help": "Der Code gilt 24 Stunden und nur einmal.",
        "kiosks.new_name": "Name des Terminals (z. B. Foyer 1)",
        "kiosks.issue": "Anmeldecode erzeugen",
        "kiosks.bad_name": "Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein.",
        "kiosks.code_for": "Anmeldecode für „{name}“ (Kennung {kiosk_id}):",
        "kiosks.code_once": "Notieren Sie den Code jetzt: er wird nicht noch einmal angezeigt.",
        "kiosks.revoke_title": "Terminal sperren",
        "kiosks.revoke_question": "Soll das Terminal „{name}“ ({kiosk_id}) gesperrt werden? "
                                  "Es kann danach keine Dokumente mehr senden.",
        "kiosks.revoke_yes": "Ja, sperren",
        "kiosks.cancel": "Abbrechen",
        "kiosks.revoked_done": "Das Terminal ist gesperrt.",
        "audit.title": "Protokoll",
        "audit.filter": "Protokoll filtern",
        "audit.apply": "Filtern",
        "audit.help": "Die neuesten {limit} Einträge. Das Protokoll kann nicht geändert werden.",
        "audit.caption": "{count} Eintrag/Einträge",
        "audit.when": "Zeit",
        "audit.actor": "Benutzer",
        "audit.role": "Rolle",
        "audit.action": "Aktion",
        "audit.target": "Ziel",
        "audit.address": "Adresse",
        "audit.outcome": "Ergebnis",
        "audit.detail": "Details",
        "audit.none": "Keine Einträge.",
        "audit.outcome.ok": "erfolgt",
        "audit.outcome.denied": "abgelehnt",
        "audit.outcome.failed": "fehlgeschlagen",
        "error.title": "Fehler {status}",
        "error.forbidden": "Dafür fehlt Ihrer Rolle die Berechtigung.",
        "error.csrf": "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen. Bitte laden "
                      "Sie die Seite neu und senden Sie das Formular noch einmal.",
        "error.not_found": "Diese Seite oder dieses Dokument gibt es nicht.",
        "error.too_large": "Die Eingabe ist zu groß.",
        "error.server": "Ein technischer Fehler ist aufgetreten. Bitte versuchen Sie es später "
                        "erneut.",
        "error.back": "Zur Startseite",
    },
    "en": {
        "layout.app": "Jobcentre – terminal administration",
        "layout.skip": "Skip to content",
        "layout.signed_in": "Signed in: {user} ({role})",
        "layout.logout": "Log out",
        "layout.footer": "Every access to documents is recorded.",
        "nav.main": "Main navigation",
        "nav.language": "Language",
        "nav.documents": "Documents received",
        "nav.receipts": "Check a receipt",
        "nav.kiosks": "Kiosks",
        "nav.audit": "Audit log",
        "nav.calls": 'Video counselling',
        "nav.desk": "Service desk",
        "desk.title": "Service desk: help calls",
        "desk.intro": "Open help calls from terminals. The list updates by itself.",
        "desk.reload": "Reload the list",
        "desk.sound_on": "Turn on sound alerts",
        "desk.sound_active": "Sound alerts are on.",
        "desk.sound_help": "Browsers only play sounds after a first interaction with the page "
                           "(click or key). New calls are always shown as well.",
        "desk.caption": "{count} open help call(s)",
        "desk.kiosk": "Terminal",
        "desk.location": "Location",
        "desk.language": "Language",
        "desk.step": "Step",
        "desk.waiting": "Waiting since",
        "desk.state": "State",
        "desk.actions": "Actions",
        "desk.open": "open",
        "desk.escalated": "Escalated – please go now",
        "desk.minutes": "{time} ({minutes} min)",
        "desk.ack": "On my way",
        "desk.ack_label": "On my way to {location}",
        "desk.none": "No open help calls right now.",
        "desk.status": "{count} open help call(s), {escalated} of them escalated.",
        "desk.badge": "{count} open",
        "desk.acked": "Terminal {location} now shows: {name} is on the way.",
        "desk.gone": "This call has already been answered or withdrawn.",
        "desk.staff_support": "Staff member at the terminal asks for support",
        "role.desk": "Front desk",
        "role.counsellor": "Counsellor",
        "role.ops": "Operations",
        "role.admin": "Administrator",
        "role.-": "–",
        "login.title": "Staff sign-in",
        "login.username": "User name",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.wrong": "The user name or password is wrong.",
        "login.locked": "Too many failed attempts. Signing in is blocked for {seconds} seconds. "
                        "Please wait, then try again.",
        "login.expired": "Your session ended after a period of inactivity. Please sign in "
                         "again.",
        "login.required": "Please sign in.",
        "login.bye": "You have logged out.",
        "home.title": "Start",
        "home.nothing": "There are no pages for your role yet.",
        "documents.title": "Documents received",
        "documents.filter": "Filter documents",
        "documents.from": "Received from",
        "documents.to": "Received until",
        "documents.kiosk": "Kiosk",
        "documents.type": "Type",
        "documents.any": "all",
        "documents.apply": "Filter",
        "documents.caption": "{count} document(s)",
        "documents.received": "Received",
        "documents.pages": "Pages",
        "documents.receipt": "Receipt",
        "documents.actions": "Actions",
        "documents.open": "Open",
        "documents.download": "Download",
        "documents.row": "{type}, receipt {receipt}",
        "documents.none": "No documents for this selection.",
        "documents.number_search": "Find by customer or BG number",
        "documents.number": "Customer or BG number",
        "documents.number_hint": "For example 123A456789 or 12345//1234567; spaces and "
                                 "upper or lower case do not matter.",
        "documents.search": "Search",
        "checklist.title": "Checklist from the request letter (receipt {receipt})",
        "checklist.dates": "Letter of {letter}, deadline {deadline}. Confirmed by the visitor "
                           "at the kiosk.",
        "checklist.caption": "Requested documents, receipt {receipt}",
        "checklist.item": "Requested",
        "checklist.state": "Handed in with",
        "checklist.missing": "no document (missing, or ticked by hand at the kiosk)",
        "receipts.title": "Check a receipt",
        "receipts.intro": "Scan the receipt's QR code or paste its text.",
        "receipts.label": "QR code text",
        "receipts.submit": "Check",
        "receipts.public": "Public check page (/verify)",
        "kiosks.title": "Kiosks",
        "kiosks.caption": "{count} kiosk(s)",
        "kiosks.name": "Name",
        "kiosks.id": "ID",
        "kiosks.enrolled": "Enrolled",
        "kiosks.state": "State",
        "kiosks.actions": "Actions",
        "kiosks.active": "active",
        "kiosks.revoked": "revoked since {at}",
        "kiosks.revoke": "Revoke",
        "kiosks.none": "No kiosks enrolled yet.",
        "kiosks.new": "Enroll a new kiosk",
        "kiosks.new_help": "The code is valid for 24 hours and can be used once.",
        "kiosks.new_name": "Kiosk name (e.g. Foyer 1)",
        "kiosks.issue": "Create enrollment code",
        "kiosks.bad_name": "Please enter a name of 1 to 200 characters.",
        "kiosks.code_for": "Enrollment code for “{name}” (ID {kiosk_id}):",
        "kiosks.code_once": "Write the code down now: it is not shown again.",
        "kiosks.revoke_title": "Revoke a kiosk",
        "kiosks.revoke_question": "Revoke the kiosk “{name}” ({kiosk_id})? It will no longer "
                                  "be able to send documents.",
        "kiosks.revoke_yes": "Yes, revoke",
        "kiosks.cancel": "Cancel",
        "kiosks.revoked_done": "The kiosk is revoked.",
        "audit.title": "Audit log",
        "audit.filter": "Filter the audit log",
        "audit.apply": "Filter",
        "audit.help": "The newest {limit} entries. The log cannot be changed.",
        "audit.caption": "{count} entries",
        "audit.when": "Time",
        "audit.actor": "User",
        "audit.role": "Role",
        "audit.action": "Action",
        "audit.target": "Target",
        "audit.address": "Address",
        "audit.outcome": "Outcome",
        "audit.detail": "Details",
        "audit.none": "No entries.",
        "audit.outcome.ok": "done",
        "audit.outcome.denied": "refused",
        "audit.outcome.failed": "failed",
        "error.title": "Error {status}",
        "error.forbidden": "Your role does not allow this.",
        "error.csrf": "The form's security check failed. Please reload the page and send the "
                      "form again.",
        "error.not_found": "This page or document does not exist.",
        "error.too_large": "The input is too large.",
        "error.server": "A technical error occurred. Please try again later.",
        "error.back": "To the start page",
    },
}

#: every page's texts; the video console's live in ``i18n_calls``
CATALOG: dict[str, dict[str, str]] = {
    language: {**_BASE[language], **CALLS_CATALOG[language], **ROLLOUTS_CATALOG[language]}
    for language in LANGUAGES
}


def pick_language(query: str | None, cookie: str | None) -> str:
    """The language of a request: the query, else the cookie, else German."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    return DEFAULT


class Translator:
    """Looks texts up in one language's catalog."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._texts = CATALOG[self.lang]

    def __call__(self, key: str, default: str | None = None, **values: object) -> str:
        """The text for ``key`` with ``{name}`` fields filled in."""
        text = self._texts.get(key)
        if text is None:
            if default is None:
                raise KeyError(key)
            return default
        return text.format(**values) if values else text

    def when(self, iso_time: str) -> str:
        """An ISO time as the job centre's local time, written the way this language does."""
        from jobcentre.receipts import local_time

        return local_time(iso_time, self.lang)
