"""Plain-text views of a document's transfer-note extensions, with German labels, for staff.

``view_extensions(record.note_extensions)`` gives one ``ExtensionView`` per extension: a
title and (label, value) rows. Known kinds (``wire.transfer_note.KNOWN_KINDS``) get their own
rows; anything else -- an unknown kind, a version this service does not know, or stored data
that no longer fits its schema -- is shown as "Unbekannte Erweiterung (kind, Version n)" with
its content as canonical JSON, never dropped and never an exception. Times are shown as
German local time. ``submission_checklists(records)`` joins the ``letter_checklist`` notes of
a submission's documents into one list (what was asked for, which document answers what).
The views hold visitor data: show them to staff, never log them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from jobcentre.receipts import local_time
from wire.codec import canonical_json
from wire.note_kinds import CallRequestV1, HelperAuditV1, LetterChecklistV1
from wire.transfer_note import CALL_REQUEST, HELPER_AUDIT, LETTER_CHECKLIST, data_schema

Rows = list[tuple[str, str]]

#: German labels of the helper actions known so far; other codes are shown as they are.
HELPER_ACTIONS = {
    "explained_screen": "Bildschirm erklärt",
    "scanned_pages": "Seiten mit eingescannt",
    "typed_customer_number": "Kundennummer mit eingegeben",
    "chose_document_type": "Dokumentart mit ausgewählt",
    "read_aloud": "Vorgelesen",
    "translated": "Übersetzt",
    "other": "Sonstige Hilfe",
    # helper mode on the kiosk (kiosk.session.helper_audit)
    "helper_joined": "Hilfe begonnen (Dienstkarte)",
    "took_over_input": "Eingabe übernommen",
    "step_by_staff": "Schritt von Mitarbeiter/in ausgeführt",
    "gave_input_back": "Eingabe zurückgegeben",
    "went_back_step": "Einen Schritt zurück",
    "rechecked_page": "Seite erneut geprüft",
    "sent_anyway": "Seite trotz Beanstandung gesendet",
    "called_colleague": "Kollegin/Kollegen gerufen",
    "visitor_revealed_data": "Person hat ihre Daten gezeigt",
    "handed_back": "Hilfe beendet (zurückgegeben)",
    "card_pulled": "Hilfe beendet (Karte gezogen)",
    "visitor_declined": "Person hat die Hilfe nicht bestätigt",
}


@dataclass(frozen=True)
class ExtensionView:
    """One extension as staff see it: a title and (label, value) rows."""

    kind: str
    version: int | None
    known: bool
    title: str
    rows: Rows


def _day(text: str | None) -> str:
    if not text:
        return "–"
    return date.fromisoformat(text).strftime("%d.%m.%Y")


def _letter_checklist(data: LetterChecklistV1) -> Rows:
    rows: Rows = [("Schreiben vom", _day(data.letter_date)), ("Frist", _day(data.deadline))]
    answered = set(data.answers)
    for number, item in enumerate(data.items, start=1):
        mark = " – mit diesem Dokument eingereicht" if item.id in answered else ""
        rows.append((f"Angefordert {number}", item.label + mark))
    labels = [item.label for item in data.items if item.id in answered]
    rows.append(("Dieses Dokument belegt", "; ".join(labels) if labels else "keine Angabe"))
    return rows


def _helper_audit(data: HelperAuditV1) -> Rows:
    rows: Rows = [
        ("Mitarbeiter/in (Kennung)", data.staff_id),
        ("Hilfe begonnen", local_time(data.started_at)),
        ("Hilfe beendet", local_time(data.ended_at) if data.ended_at else "–"),
    ]
    for action in data.actions:
        text = HELPER_ACTIONS.get(action.action, action.action)
        if action.detail:
            text = f"{text} ({action.detail})"
        rows.append((f"Schritt {local_time(action.at)}", text))
    confirmed = (
        f"ja, am {local_time(data.confirmed_at)}" if data.confirmed_at else "nein"
    )
    rows.append(("Von der Person bestätigt", confirmed))
    return rows


def _call_request(data: CallRequestV1) -> Rows:
    rows: Rows = [
        ("Angefordertes Dokument", data.requested_item),
        ("Angefordert am", local_time(data.requested_at)),
        ("Berater/in (Kennung)", data.counsellor_id),
        ("Videogespräch (Kennung)", data.call_id),
    ]
    if data.note:
        rows.append(("Hinweis", data.note))
    return rows


_RENDERERS: Mapping[tuple[str, int], tuple[str, Callable[[Any], Rows]]] = {
    (LETTER_CHECKLIST, 1): ("Checkliste aus dem Aufforderungsschreiben", _letter_checklist),
    (HELPER_AUDIT, 1): ("Hilfe durch Mitarbeitende", _helper_audit),
    (CALL_REQUEST, 1): ("Angefordert im Videogespräch", _call_request),
}


def unknown_title(kind: str, version: Any) -> str:
    """The title of an extension this service cannot show in detail."""
    return f"Unbekannte Erweiterung ({kind}, Version {version})"


def _unknown(kind: str, version: int | None, data: Any) -> ExtensionView:
    try:
        content = canonical_json(data).decode()
    except (TypeError, ValueError):
        content = repr(data)
    rows: Rows = [("Art", kind), ("Version", "–" if version is None else str(version)),
                  ("Inhalt", content)]
    title = unknown_title(kind, "?" if version is None else version)
    return ExtensionView(kind, version, False, title, rows)


def view_extension(extension: Mapping[str, Any]) -> ExtensionView:
    """One stored extension as a title and rows (unknown or unreadable ones as such)."""
    kind = str(extension.get("kind", "?"))
    raw_version = extension.get("version")
    version = raw_version if isinstance(raw_version, int) and not isinstance(
        raw_version, bool) else None
    data = extension.get("data")
    schema: type[BaseModel] | None = data_schema(kind, version) if version else None
    renderer = _RENDERERS.get((kind, version)) if version else None
    if schema is None or renderer is None:
        return _unknown(kind, version, data)
    try:
        parsed = schema.model_validate(data)
        title, render = renderer
        return ExtensionView(kind, version, True, title, render(parsed))
    except (ValidationError, ValueError, TypeError):
        return _unknown(kind, version, data)


def view_extensions(extensions: Sequence[Mapping[str, Any]]) -> list[ExtensionView]:
    """Every stored extension of a document, in the kiosk's order."""
    return [view_extension(e) if isinstance(e, Mapping) else _unknown("?", None, e)
            for e in extensions]


@dataclass(frozen=True)
class SubmissionChecklist:
    """The confirmed checklist of one submission (receipt), joined over its documents.

    ``items`` are (label, answering document ids) in the letter's order; an item without a
    document was not answered by a document (missing, or ticked by hand at the kiosk).
    """

    receipt_number: str
    letter_date: str | None
    deadline: str | None
    items: tuple[tuple[str, tuple[str, ...]], ...]


def submission_checklists(documents: Sequence[Any]) -> list[SubmissionChecklist]:
    """One checklist per receipt among ``documents`` (``DocumentRecord``-like objects with
    ``receipt_number``, ``document_id`` and ``note_extensions``), in the order seen."""
    found: dict[str, tuple[LetterChecklistV1, dict[str, list[str]]]] = {}
    for doc in documents:
        for extension in doc.note_extensions:
            if not isinstance(extension, Mapping) or extension.get("kind") != LETTER_CHECKLIST \
                    or extension.get("version") != 1:
                continue
            try:
                data = LetterChecklistV1.model_validate(extension.get("data"))
            except (ValidationError, ValueError, TypeError):
                continue
            _first, answers = found.setdefault(doc.receipt_number, (data, {}))
            for item_id in data.answers:
                answers.setdefault(item_id, []).append(doc.document_id)
    return [SubmissionChecklist(
        receipt, data.letter_date, data.deadline,
        tuple((item.label, tuple(answers.get(item.id, ()))) for item in data.items))
        for receipt, (data, answers) in found.items()]
