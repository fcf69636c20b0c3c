"""The visitor's letter in the session: its page, what was read from it, and the checklist.

Letter text is session data like page images: the page image and its recognised text live
encrypted in the session scratch (kinds ``letter_page`` and ``letter_text``); this record
keeps their references, the facts read from them and the checklist, and goes with the
session's wipe. Only what the visitor confirmed leaves the kiosk (:func:`note_data`): the
requested items, the letter's date and deadline, and which item a document answers.

Ticking follows ``scanning.checklist``: a document of a requested type ticks the first open
item of that type; the visitor may tick or untick any item by hand. A document whose tick
the visitor took back (recognition can be wrong) does not tick that item's type again
unless its type changes. Pure functions, no I/O: ``kiosk.controllers.letter`` calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.session.documents import DocumentDraft
from scanning.checklist import MANUAL, Checklist, ChecklistItem
from scanning.letter import LetterFacts

MAX_LABEL = 300  # wire.note_kinds.MAX_LABEL


@dataclass
class LetterState:
    """One letter of the current visit (at most one; a new scan replaces it)."""

    page_ref: str | None = None  # encrypted page image in the session scratch
    text_ref: str | None = None  # encrypted recognised text in the session scratch
    page_sha256: bytes = b""
    page_size: tuple[int, int] = (0, 0)
    facts: LetterFacts | None = None
    number_confirmed: bool = False
    checklist: Checklist = field(default_factory=Checklist)
    hand_in_letter: bool = False
    #: (document id, type) pairs whose automatic tick the visitor took back
    declined: set[tuple[str, str]] = field(default_factory=set)
    #: what the receipt lists, fixed when the documents were handed in
    outcome: Any = None  # kiosk.delivery.receipt_checklist.ChecklistOutcome

    @property
    def has_list(self) -> bool:
        """True when the letter asks for documents."""
        return bool(self.checklist.items)

    @property
    def number(self) -> str | None:
        """The number read from the letter (customer number, else the BG number)."""
        if self.facts is None:
            return None
        return self.facts.customer_number or self.facts.bg_number

    @property
    def deadline(self) -> date | None:
        """The letter's deadline, if it has one."""
        return self.facts.deadline if self.facts is not None else None


def item_id(index: int) -> str:
    """The opaque id of checklist item ``index`` in the transfer note."""
    return f"item-{index + 1}"


def sync_checklist(state: LetterState, documents: Sequence[DocumentDraft]) -> Checklist:
    """Tick and untick items after documents were added, retyped or removed."""
    present = {d.document_id: d for d in documents if d.ready}
    checklist = state.checklist
    for item in checklist.items:
        doc_id = item.ticked_by
        if doc_id is None or doc_id == MANUAL:
            continue
        doc = present.get(doc_id)
        if doc is None or doc.document_type != item.document_type:
            checklist = checklist.forget_document(doc_id)
    ticking = {i.ticked_by for i in checklist.items}
    for doc in present.values():
        if doc.document_id in ticking or (doc.document_id, doc.document_type) in state.declined:
            continue
        checklist, _ = checklist.tick_document(doc.document_type, doc.document_id)
    state.checklist = checklist
    return checklist


def toggle_item(state: LetterState, index: int) -> Checklist:
    """The visitor ticks an open item or unticks a ticked one."""
    item = state.checklist.items[index]
    if not item.ticked:
        state.checklist = state.checklist.tick(index)
        return state.checklist
    if item.ticked_by != MANUAL and item.ticked_by is not None:
        state.declined.add((item.ticked_by, item.document_type))
    state.checklist = state.checklist.untick(index)
    return state.checklist


def answered_by(checklist: Checklist, document_id: str) -> list[ChecklistItem]:
    """The items ``document_id`` ticked."""
    return [i for i in checklist.items if i.ticked_by == document_id]


def note_data(state: LetterState, document_id: str) -> dict[str, Any] | None:
    """The ``letter_checklist`` v1 data for one document (None without a list)."""
    if not state.has_list or state.facts is None:
        return None
    facts = state.facts
    items = [{"id": item_id(i), "label": _label(item)}
             for i, item in enumerate(state.checklist.items)]
    answers = [item_id(i) for i, item in enumerate(state.checklist.items)
               if item.ticked_by == document_id]
    return {
        "letter_date": facts.letter_date.isoformat() if facts.letter_date else None,
        "deadline": facts.deadline.isoformat() if facts.deadline else None,
        "items": items,
        "answers": answers,
    }


def _label(item: ChecklistItem) -> str:
    text = " ".join(item.text.split()) or item.document_type
    return text[:MAX_LABEL]
