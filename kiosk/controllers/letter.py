"""Letter controller: read the visitor's job-centre letter and keep its checklist.

"Scan my letter" on the identify screen takes a still through the capture path (the same
camera, checks and OCR as every page), reads it on a worker (``scanning.letter``) and
answers on the UI thread. The number found is only *offered*: the visitor confirms it
(``confirm_number``) or corrects it on the keypad; it is never used silently. A letter
with a list becomes the checklist (``kiosk.session.letter``): documents whose type matches
tick items, the visitor ticks or unticks by hand, and chooses whether the letter itself is
handed in as a page. At hand-in the confirmed facts travel in each document's sealed
transfer note (``letter_checklist`` v1) and the receipt lists what was asked for, handed
in and still missing (``kiosk.delivery.receipt_checklist``).

The letter's image and text are session data: encrypted in the session scratch, wiped
with the session; nothing of them is logged.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import scanning
from config.model import KioskConfig
from foundation.errors import KioskError
from kiosk.controllers.capture import CaptureController, CapturedPage
from kiosk.controllers.runner import Post, Runner
from kiosk.delivery.receipt_checklist import ChecklistOutcome, RequestedLine
from kiosk.session.customer_number import NumberCheck, check_number
from kiosk.session.documents import DocumentDraft, PageRecord
from kiosk.session.letter import LetterState, note_data, sync_checklist, toggle_item
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from scanning.checklist import MANUAL, Checklist
from scanning.letter import read_letter_pages
from scanning.models import PageResult
from wire.transfer_note import LETTER_CHECKLIST, NoteExtension

log = logging.getLogger(__name__)

LETTER_TYPE = "jobcenter_letter"


@dataclass(frozen=True)
class LetterReading:
    """What the letter screen shows after a photo: a problem code, or the letter's facts."""

    problem: str | None  # a scanning reason or error code; None: the letter was read
    reasons: tuple[str, ...] = ()
    number: str | None = None
    has_list: bool = False


class LetterController:
    """Reads letters on a worker; keeps the letter's checklist in step with the documents."""

    def __init__(self, config: KioskConfig, capture: CaptureController, *, run: Runner,
                 post: Post) -> None:
        self.config = config
        self.capture = capture
        self.run = run
        self.post = post
        self.busy = False

    # -- reading -----------------------------------------------------------------------
    def read(self, session: Session, on_done: Callable[[LetterReading], None]) -> bool:
        """Photograph and read the letter; ``on_done`` follows on the UI thread.

        False if a reading is already under way.
        """
        if self.busy:
            return False
        self.busy = True
        visit = session.visit

        def captured(result: CapturedPage | KioskError) -> None:
            if isinstance(result, KioskError):
                reading = LetterReading(result.code, (result.code,))
                self.post(lambda: self._answer(session, visit, reading, None, None, on_done))
                return
            self.run("read-letter", lambda: self._read(session, visit, result, on_done))

        self.capture.capture(captured)
        return True

    def _read(self, session: Session, visit: int, page: CapturedPage,
              on_done: Callable[[LetterReading], None]) -> None:
        if not page.verdict.accepted:
            reasons = tuple(page.verdict.reasons) or ("unreadable_text",)
            reading = LetterReading(reasons[0], reasons)
            self.post(lambda: self._answer(session, visit, reading, None, None, on_done))
            return
        try:
            result = scanning.complete_page(page.verdict, self.config.scanning)
            facts = read_letter_pages([result], self.config.site.customer_number_formats)
        except Exception as exc:  # noqa: BLE001 - the visitor types the number instead
            log.warning("letter could not be read: %s", type(exc).__name__)  # no letter text
            reading = LetterReading("unreadable_text", ("unreadable_text",))
            self.post(lambda: self._answer(session, visit, reading, None, None, on_done))
            return
        state = LetterState(facts=facts, checklist=Checklist.from_letter(facts),
                            page_size=page.size)
        reading = LetterReading(None, (), state.number, state.has_list)
        self.post(lambda: self._answer(session, visit, reading, (page, result), state, on_done))

    def _answer(self, session: Session, visit: int, reading: LetterReading,
                read: tuple[CapturedPage, PageResult] | None, state: LetterState | None,
                on_done: Callable[[LetterReading], None]) -> None:
        self.busy = False
        if session.visit != visit or session.state is not SessionState.LETTER:
            return  # the visitor has gone or moved on; nothing of the letter is kept
        if read is not None and state is not None:
            self._keep(session, state, *read)
        on_done(reading)

    def _keep(self, session: Session, state: LetterState, page: CapturedPage,
              result: PageResult) -> None:
        """Store the letter (image and text encrypted) in the session, replacing an old one."""
        if session.scratch is None:
            return
        self.forget(session)
        state.page_ref = session.scratch.put(page.image_jpeg, kind="letter_page")
        state.text_ref = session.scratch.put((result.text or "").encode(), kind="letter_text")
        state.page_sha256 = hashlib.sha256(page.image_jpeg).digest()
        record = self._letter_page(state)
        self.capture.adopt_result(record, result)  # its PDF needs no second OCR run
        session.data.letter = state
        session.activity()

    def forget(self, session: Session) -> None:
        """Drop the session's letter (a new scan replaces it)."""
        old: LetterState | None = session.data.letter
        if old is None:
            return
        self._remove_letter_document(session, old)
        if session.scratch is not None:
            for ref in (old.page_ref, old.text_ref):
                if ref is not None:
                    session.scratch.delete(ref)
        self.capture.forget(self._letter_page(old))
        session.data.letter = None

    @staticmethod
    def letter(session: Session) -> LetterState | None:
        """The session's letter, if one was read."""
        state: LetterState | None = session.data.letter
        return state

    # -- the number ----------------------------------------------------------------------
    def confirm_number(self, session: Session) -> NumberCheck | None:
        """The visitor confirmed the number shown: identify with it and go on."""
        state = self.letter(session)
        if state is None or state.number is None:
            return None
        result = check_number(state.number, self.config.site.customer_number_formats)
        if not result.ok:
            return result
        session.data.customer_number = result.normalized
        session.data.number_problem = None
        state.number_confirmed = True
        if session.data.hand_in_after_call:  # pages from a call: straight to their summary
            session.dispatch(Event.NUMBER_FOR_HAND_IN)
        else:
            session.dispatch(Event.SHOW_CHECKLIST if state.has_list else Event.IDENTIFIED)
        return result

    def correct_number(self, session: Session) -> None:
        """The visitor wants to type the number (the keypad starts with the number read)."""
        session.dispatch(Event.BACK)

    # -- the checklist -------------------------------------------------------------------
    def choose_upload(self, session: Session) -> None:
        """"Hand in documents": the checklist first when the letter asks for documents."""
        state = self.letter(session)
        if state is not None and state.has_list:
            session.dispatch(Event.SHOW_CHECKLIST)
        else:
            session.choose_upload()

    def checklist(self, session: Session) -> Checklist:
        """The checklist, ticked from the documents' current types."""
        state = self.letter(session)
        if state is None:
            return Checklist()
        self._refresh_types(session)
        return sync_checklist(state, session.data.documents)

    def toggle(self, session: Session, index: int) -> Checklist:
        """Tick or untick item ``index`` by hand."""
        state = self.letter(session)
        if state is None:
            return Checklist()
        self.checklist(session)
        if 0 <= index < len(state.checklist.items):
            toggle_item(state, index)
        session.activity()
        return state.checklist

    def toggle_hand_in_letter(self, session: Session) -> bool:
        """Whether the letter itself is handed in as a page; returns the new choice."""
        state = self.letter(session)
        if state is None or state.page_ref is None:
            return False
        if state.hand_in_letter:
            self._remove_letter_document(session, state)
        else:
            document = DocumentDraft(document_type=LETTER_TYPE, type_confirmed=True)
            document.add(self._letter_page(state))
            session.data.documents.append(document)
            if session.data.current < 0:
                session.data.current = len(session.data.documents) - 1
            state.hand_in_letter = True
        session.activity()
        return state.hand_in_letter

    def new_document(self, session: Session) -> None:
        """From the checklist: photograph the next document."""
        session.start_document()
        session.dispatch(Event.NEW_DOCUMENT)

    def finish(self, session: Session) -> bool:
        """From the checklist: check and hand in (False when there is nothing yet)."""
        if not session.ready_documents():
            return False
        session.dispatch(Event.FINISH)
        return True

    def other_documents(self, session: Session) -> list[DocumentDraft]:
        """Ready documents that tick no item (handed in but not asked for)."""
        checklist = self.checklist(session)
        ticking = {i.ticked_by for i in checklist.items}
        return [d for d in session.ready_documents() if d.document_id not in ticking]

    # -- handing in ----------------------------------------------------------------------
    def note_extensions(self, session: Session,
                        documents: Sequence[DocumentDraft]) -> list[tuple[NoteExtension, ...]]:
        """Per document: the ``letter_checklist`` extension (empty without a list)."""
        state = self.letter(session)
        if state is None or not state.has_list:
            return [() for _ in documents]
        self.checklist(session)
        out: list[tuple[NoteExtension, ...]] = []
        for document in documents:
            data = note_data(state, document.document_id)
            out.append(() if data is None else (NoteExtension(LETTER_CHECKLIST, 1, data),))
        return out

    def settle(self, session: Session, sent: Sequence[DocumentDraft]) -> None:
        """Fix what the receipt lists, just before the documents leave the session."""
        state = self.letter(session)
        if state is None or not state.has_list:
            return
        checklist = self.checklist(session)
        sent_ids = {d.document_id for d in sent}
        handed: list[RequestedLine] = []
        missing: list[RequestedLine] = []
        for item in checklist.items:
            line = RequestedLine(item.document_type, item.text)
            in_hand = item.ticked and (item.ticked_by in sent_ids or item.ticked_by == MANUAL)
            (handed if in_hand else missing).append(line)
        ticking = {i.ticked_by for i in checklist.items}
        others = tuple(d.document_type for d in sent if d.document_id not in ticking)
        state.outcome = ChecklistOutcome(tuple(handed), tuple(missing), others, state.deadline)

    @staticmethod
    def outcome(session: Session) -> ChecklistOutcome | None:
        """What the receipt lists about the letter (None without a letter list)."""
        state: LetterState | None = session.data.letter
        return state.outcome if state is not None else None

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _letter_page(state: LetterState) -> PageRecord:
        return PageRecord(image_ref=state.page_ref or "", sha256=state.page_sha256,
                          accepted=True, width=state.page_size[0], height=state.page_size[1])

    def _remove_letter_document(self, session: Session, state: LetterState) -> None:
        documents = session.data.documents
        for index, document in enumerate(documents):
            if any(p.image_ref == state.page_ref for p in document.pages):
                del documents[index]
                if session.data.current > index:
                    session.data.current -= 1
                elif session.data.current == index:
                    session.data.current = len(documents) - 1
                break
        state.hand_in_letter = False

    def _refresh_types(self, session: Session) -> None:
        """Take the detected type of every document the visitor has not typed by hand."""
        for document in session.data.documents:
            if document.type_confirmed or not document.pages:
                continue
            suggestion = self.capture.suggest_type(document)
            if suggestion is not None:
                document.set_type(suggestion[0], confirmed=False)
                document.type_confidence = suggestion[1]
