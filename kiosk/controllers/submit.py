"""Submit controller: hand the visitor's documents in, off the UI thread.

"Hand in" builds one PDF per document (mostly done in the background already) and stores
everything durably in the outbox; only then is the session told it was submitted. If
storing fails, nothing is claimed and nothing is lost: the documents stay in the session
and the screen shows the error code's text.

The ID-copy privacy rule lives here: a copy of an identity document is sent only when the
visitor asked to keep it; otherwise it is left out (and the summary says so).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from foundation.errors import KioskError
from kiosk.controllers.capture import CaptureController
from kiosk.controllers.runner import Post, Runner
from kiosk.delivery.models import QueuedSubmission
from kiosk.delivery.service import DeliveryService
from kiosk.session.documents import DocumentDraft, PageRecord
from kiosk.session.session import Session
from kiosk.session.states import SessionState
from wire.transfer_note import NoteExtension

if TYPE_CHECKING:
    from kiosk.controllers.letter import LetterController

log = logging.getLogger(__name__)

IDENTITY_DOCUMENT = "identity_document"


def is_left_out(document: DocumentDraft) -> bool:
    """An identity document without the visitor's consent to keep a copy is not sent."""
    return document.document_type == IDENTITY_DOCUMENT and not document.keep_identity_copy


class SubmitController:
    """Builds and stores the submission on a worker; answers on the UI thread."""

    def __init__(self, capture: CaptureController, delivery: DeliveryService, *,
                 run: Runner, post: Post, letter: LetterController | None = None,
                 note_extensions: Callable[[Session], Sequence[NoteExtension]] = lambda _s: (),
                 ) -> None:
        self.capture = capture
        self.delivery = delivery
        self.run = run
        self.post = post
        self.letter = letter  # the letter's checklist: transfer-note facts and the receipt
        self.note_extensions = note_extensions  # facts of the visit, e.g. the helper audit
        self.busy = False

    def _extensions(self, session: Session, documents: list[DocumentDraft]
                    ) -> list[tuple[NoteExtension, ...]]:
        if self.letter is None:
            return [() for _ in documents]
        return self.letter.note_extensions(session, documents)

    def documents_to_send(self, session: Session) -> list[DocumentDraft]:
        """The ready documents, without identity documents the visitor did not agree to."""
        return [d for d in session.ready_documents() if not is_left_out(d)]

    def start(self, session: Session, on_stored: Callable[[QueuedSubmission], None],
              on_failed: Callable[[str], None]) -> str | None:
        """Hand in on a worker. Returns a code at once if nothing starts (``busy``,
        ``no_documents``); otherwise ``on_stored`` or ``on_failed(code)`` follow on the
        UI thread."""
        if self.busy:
            return "busy"
        documents = self.documents_to_send(session)
        if not documents:
            return "no_documents"
        self.busy = True
        number = session.data.customer_number or ""
        pages = [p for d in session.data.documents for p in d.pages]
        visit = session.visit
        extensions = self._extensions(session, documents)  # on the UI thread, like all reads
        visit_extensions = list(self.note_extensions(session))

        def work() -> None:
            try:
                submission = self._store(session, documents, number, extensions,
                                         visit_extensions, poke_agent=True)
            except KioskError as exc:
                code = exc.code
                log.warning("submission failed: %s", code)
                self.post(lambda: self._failed(code, on_failed))
                return
            except Exception:  # noqa: BLE001 - the visitor must get an answer, never a crash
                log.exception("submission failed unexpectedly")
                self.post(lambda: self._failed("storage_failed", on_failed))
                return
            self.post(lambda: self._stored(session, visit, submission, pages, on_stored,
                                           documents))

        self.run("submit", work)
        return None

    def submit_now(self, session: Session, *, poke_agent: bool = True) -> QueuedSubmission:
        """Hand in on the calling thread and move the session on (tools: the screenshot);
        raises ``KioskError`` like ``start`` would answer with its code."""
        documents = self.documents_to_send(session)
        pages = [p for d in session.data.documents for p in d.pages]
        submission = self._store(session, documents, session.data.customer_number or "",
                                 self._extensions(session, documents),
                                 list(self.note_extensions(session)), poke_agent=poke_agent)
        self._stored(session, session.visit, submission, pages, lambda _s: None, documents)
        return submission

    def _store(self, session: Session, documents: list[DocumentDraft], number: str,
               extensions: Sequence[tuple[NoteExtension, ...]],
               visit_extensions: list[NoteExtension], *, poke_agent: bool) -> QueuedSubmission:
        prepared = self.capture.prepare_documents(documents, session.page_image, number)
        prepared = [dataclasses.replace(p, note_extensions=(*p.note_extensions, *extra))
                    for p, extra in zip(prepared, extensions, strict=True)]
        return self.delivery.submit(number, prepared, poke_agent=poke_agent,
                                    note_extensions=visit_extensions)

    def _failed(self, code: str, on_failed: Callable[[str], None]) -> None:
        self.busy = False
        on_failed(code)

    def _stored(self, session: Session, visit: int, submission: QueuedSubmission,
                pages: list[PageRecord], on_stored: Callable[[QueuedSubmission], None],
                documents: Sequence[DocumentDraft] = ()) -> None:
        self.busy = False
        for page in pages:  # the outbox holds them now; left-out ID pages go as well
            self.capture.forget(page)
        if session.visit != visit or session.state is not SessionState.SUMMARY:
            # Stored durably all the same: the agent uploads it. Only the receipt is missed.
            log.warning("submission stored after the visit had ended")
            return
        if self.letter is not None:
            self.letter.settle(session, documents)  # what the receipt lists about the letter
        session.mark_submitted(submission)
        on_stored(submission)
