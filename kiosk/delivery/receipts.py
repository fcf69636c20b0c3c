"""Receipts (Eingangsbestätigung): the printed layout, the honest print attempt, reprints.

The receipt lists date/time, location, terminal, the masked customer number, every document
(type, pages, short page hash, delivery state), the receipt number and the signed QR code
(``JCR1.`` text from the contract, made when the submission was stored). Text appears in the
visitor's language and in German; ``translate(lang, english_msgid)`` is injected, and every
msgid used is listed in :data:`RECEIPT_MSGIDS` for the translators.

:func:`print_receipt` asks the printer for its status first and says "printed" only if the
printer confirmed the job; otherwise it returns the reason code, so the UI shows the QR code
on screen and staff are alerted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from device_drivers.printer.layout import (
    Align,
    Cut,
    Feed,
    LayoutItem,
    QRCode,
    ReceiptLayout,
    Separator,
    TextLine,
)
from device_drivers.printer.protocol import ReceiptPrinter
from foundation.errors import KioskError
from kiosk.delivery.models import QueuedDocument, QueuedSubmission
from kiosk.delivery.receipt_checklist import ChecklistOutcome, checklist_items
from scanning.document_labels import RECEIPT_LABELS

log = logging.getLogger(__name__)

Translate = Callable[[str, str], str]
DISPLAY_TZ = ZoneInfo("Europe/Berlin")

MSG_TITLE = "Receipt for your documents"
MSG_INTRO = "The job centre has received the following documents from you."
MSG_DATE = "Date and time"
MSG_LOCATION = "Location"
MSG_TERMINAL = "Terminal"
MSG_CUSTOMER = "Customer number"
MSG_DOCUMENTS = "Documents"
MSG_PAGES = "Pages"
MSG_DELIVERED = "delivered to the job centre"
MSG_STORED = "stored safely at this terminal, will be sent automatically"
MSG_REJECTED = "could not be sent, please ask the staff"
MSG_RECEIPT_NO = "Receipt number"
MSG_KEEP = "Please keep this receipt. It proves when you handed in your documents."
MSG_QR = "The code lets the job centre check this receipt."

DOCUMENT_TYPE_MSGIDS: dict[str, str] = RECEIPT_LABELS

RECEIPT_MSGIDS: tuple[str, ...] = (
    MSG_TITLE, MSG_INTRO, MSG_DATE, MSG_LOCATION, MSG_TERMINAL, MSG_CUSTOMER, MSG_DOCUMENTS,
    MSG_PAGES, MSG_DELIVERED, MSG_STORED, MSG_REJECTED, MSG_RECEIPT_NO, MSG_KEEP, MSG_QR,
    *DOCUMENT_TYPE_MSGIDS.values(),
)

FALLBACK_DE: dict[str, str] = {
    MSG_TITLE: "Eingangsbestätigung",
    MSG_INTRO: "Das Jobcenter hat folgende Unterlagen von Ihnen erhalten.",
    MSG_DATE: "Datum und Uhrzeit",
    MSG_LOCATION: "Ort",
    MSG_TERMINAL: "Terminal",
    MSG_CUSTOMER: "Kundennummer",
    MSG_DOCUMENTS: "Unterlagen",
    MSG_PAGES: "Seiten",
    MSG_DELIVERED: "an das Jobcenter übermittelt",
    MSG_STORED: "sicher an diesem Terminal gespeichert, wird automatisch gesendet",
    MSG_REJECTED: "konnte nicht gesendet werden, bitte wenden Sie sich an das Personal",
    MSG_RECEIPT_NO: "Belegnummer",
    MSG_KEEP: "Bitte bewahren Sie diesen Beleg auf. Er beweist, wann Sie Ihre Unterlagen "
              "abgegeben haben.",
    MSG_QR: "Mit dem Code kann das Jobcenter diesen Beleg prüfen.",
    "Payslip": "Lohn-/Gehaltsabrechnung",
    "Bank statement": "Kontoauszug",
    "Rental contract or rent certificate": "Mietvertrag oder Mietbescheinigung",
    "Heating or utility bill": "Heiz- oder Nebenkostenabrechnung",
    "Sick note": "Arbeitsunfähigkeitsbescheinigung",
    "Identity document": "Ausweisdokument",
    "Letter from the job centre": "Schreiben des Jobcenters",
    "Application form": "Antrag",
    "Notice of another benefit or pension": "Bescheid über eine andere Leistung oder Rente",
    "Child benefit or child supplement": "Kindergeld oder Kinderzuschlag",
    "School, study or training certificate": "Schul-, Studien- oder Ausbildungsbescheinigung",
    "Health insurance certificate": "Bescheinigung der Krankenkasse",
    "Employment or training contract": "Arbeits- oder Ausbildungsvertrag",
    "Vehicle registration papers": "Fahrzeugpapiere",
    "Savings, insurance or other assets": "Nachweis über Vermögen (Sparbuch, Versicherung …)",
    "Other document": "Sonstige Unterlage",
}


def default_translate(lang: str, msgid: str) -> str:
    """The project's catalogs, with built-in German for the receipt texts as a fallback."""
    text = msgid
    try:
        from accessibility.i18n import translate as catalog_translate

        text = catalog_translate(lang, msgid)
    except Exception:  # a broken catalog must never stop a receipt
        log.warning("translation catalogs unavailable; using built-in receipt texts")
    if text == msgid and lang.startswith("de"):
        return FALLBACK_DE.get(msgid, msgid)
    return text


@dataclass(frozen=True)
class PrintOutcome:
    """Result of trying to print: ``printed`` only if the printer confirmed it."""

    printed: bool
    reason: str | None
    receipt_number: str
    qr_text: str
    note: str = ""


def state_msgid(doc: QueuedDocument) -> str:
    """The sentence describing a document's delivery state."""
    if doc.state == "delivered":
        return MSG_DELIVERED
    if doc.state == "rejected":
        return MSG_REJECTED
    return MSG_STORED


def _bilingual(
    lang: str, translate: Translate, msgid: str, *, bold: bool = False,
    size: Literal[1, 2] = 1, align: Align = "start",
) -> list[TextLine]:
    german = translate("de", msgid)
    lines = []
    if lang != "de":
        visitor = translate(lang, msgid)
        if visitor != german:
            lines.append(TextLine(visitor, bold=bold, size=size, align=align))
    lines.append(TextLine(german, bold=bold, size=size, align=align))
    return lines


def _field(lang: str, translate: Translate, msgid: str, value: str) -> list[TextLine]:
    german = translate("de", msgid)
    visitor = translate(lang, msgid) if lang != "de" else german
    if visitor == german:
        return [TextLine(f"{german}: {value}")]
    return [TextLine(f"{visitor}:"), TextLine(f"{german}: {value}")]


def _clean(text: str) -> str:
    return " ".join(text.split())


def build_receipt_layout(
    submission: QueuedSubmission, visitor_lang: str, translate: Translate,
    checklist: ChecklistOutcome | None = None,
) -> ReceiptLayout:
    """The printable receipt in the visitor's language and German (with the letter's
    checklist as information, when the visitor scanned a letter with a list)."""
    lang = visitor_lang
    when = submission.stored_at.astimezone(DISPLAY_TZ).strftime("%d.%m.%Y %H:%M:%S")
    items: list[LayoutItem] = []
    items += _bilingual(lang, translate, MSG_TITLE, bold=True, size=2, align="center")
    items.append(Separator())
    items += _bilingual(lang, translate, MSG_INTRO)
    items.append(Separator())
    items += _field(lang, translate, MSG_DATE, when)
    items += _field(lang, translate, MSG_LOCATION, _clean(submission.location))
    items += _field(lang, translate, MSG_TERMINAL, submission.kiosk_id)
    items += _field(lang, translate, MSG_CUSTOMER, submission.masked_customer_number)
    items.append(Separator())
    items += _bilingual(lang, translate, MSG_DOCUMENTS, bold=True)
    for n, doc in enumerate(submission.documents, start=1):
        type_msgid = DOCUMENT_TYPE_MSGIDS.get(doc.document_type)
        if type_msgid is None:
            items.append(TextLine(f"{n}. {doc.document_type}", bold=True))
        else:
            for line in _bilingual(lang, translate, type_msgid, bold=True):
                items.append(TextLine(f"{n}. {line.text}", bold=True))
        items += _field(lang, translate, MSG_PAGES, f"{doc.pages}  #{doc.page_hash[:8]}")
        items += _bilingual(lang, translate, state_msgid(doc))
    if checklist is not None:
        items += checklist_items(checklist, lang, translate, DOCUMENT_TYPE_MSGIDS)
    items.append(Separator())
    items += _field(lang, translate, MSG_RECEIPT_NO, submission.receipt_number)
    if submission.receipt_qr:
        items.append(QRCode(submission.receipt_qr))
        items += _bilingual(lang, translate, MSG_QR)
    items += _bilingual(lang, translate, MSG_KEEP)
    items += [Feed(3), Cut()]
    return ReceiptLayout(tuple(items))


def _status_reason(printer: ReceiptPrinter) -> str | None:
    status = printer.status()
    if status.ready:
        return None
    if status.paper == "out":
        return "printer_out_of_paper"
    if status.cover_open:
        return "printer_cover_open"
    if not status.online:
        return "device_unavailable"
    return "device_error"


def print_receipt(
    submission: QueuedSubmission, printer: ReceiptPrinter, lang: str, translate: Translate,
    checklist: ChecklistOutcome | None = None,
) -> PrintOutcome:
    """Print the receipt if the printer is ready; never claim success it did not confirm."""
    rn, qr = submission.receipt_number, submission.receipt_qr
    try:
        reason = _status_reason(printer)
        if reason is not None:
            return PrintOutcome(False, reason, rn, qr, "printer not ready; nothing sent")
        result = printer.print_layout(build_receipt_layout(submission, lang, translate,
                                                           checklist))
    except KioskError as exc:
        log.warning("receipt not printed: %s", exc.code)
        return PrintOutcome(False, exc.code, rn, qr, "printer fault")
    except Exception:  # a driver bug must not take the kiosk down; the QR is still shown
        log.exception("receipt printer driver failed")
        return PrintOutcome(False, "printer_error", rn, qr, "printer driver error")
    if not result.confirmed:
        return PrintOutcome(False, "printer_unconfirmed", rn, qr, result.note)
    return PrintOutcome(True, None, rn, qr, result.note)
