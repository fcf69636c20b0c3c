"""Documents controller: the visitor's pages and documents, and the way back from the camera.

Keeps a judged page (and starts its OCR), retakes, deletes and reorders pages, takes the
visitor's document type and ID-copy choice, and decides where BACK from the camera leads.
Whenever a page leaves a document (deleted, or replaced by a retake), the capture
controller forgets what it holds for it, so its image does not linger until the wipe.
No threads here: every call is quick and runs on the caller's thread.
"""

from __future__ import annotations

from kiosk.controllers.capture import CaptureController, CapturedPage
from kiosk.session.documents import DocumentDraft, PageRecord
from kiosk.session.session import Session
from kiosk.session.states import Event


class DocumentsController:
    """Session writes about pages and documents, for the capture and documents screens."""

    def __init__(self, capture: CaptureController) -> None:
        self.capture = capture

    # -- pages -------------------------------------------------------------------------
    def keep_page(self, session: Session, captured: CapturedPage) -> PageRecord:
        """Store a judged page (a new one, or the retake of one) and start its OCR.

        Every kept page is read in the background: an accepted page now, a rejected one
        in case the visitor sends it anyway after the second try.
        """
        doc, index = session.current_document, session.data.retake_index
        replaced = None
        if doc is not None and index is not None and 0 <= index < len(doc.pages):
            replaced = doc.pages[index]
        verdict = captured.verdict
        page = session.store_page(captured.image_jpeg, verdict.accepted, tuple(verdict.reasons),
                                  captured.size)
        if replaced is not None:
            self._forget_if_gone(session, replaced)
        self.capture.complete_in_background(page, captured)
        return page

    def retake(self, session: Session, index: int) -> None:
        """Photograph page ``index`` again (it is forgotten once its retake is kept)."""
        session.retake(index)

    def delete_page(self, session: Session, index: int) -> None:
        """Delete page ``index`` and forget it."""
        self._forget_if_gone(session, session.delete_page(index))

    def move_page(self, session: Session, index: int, delta: int) -> None:
        """Move a page up (-1) or down (+1)."""
        doc = session.current_document
        if doc is not None:
            doc.move(index, index + delta)
            session.activity()

    def next_page(self, session: Session) -> None:
        """The visitor takes another page (not a retake)."""
        session.data.retake_index = None

    def send_anyway(self, session: Session) -> None:
        """Keep a twice-rejected page, flagged with its reasons."""
        doc, index = session.current_document, session.data.retake_index
        if doc is not None and index is not None:
            doc.send_anyway(index)
            session.data.retake_index = None

    def _forget_if_gone(self, session: Session, page: PageRecord) -> None:
        still_kept = any(p.sha256 == page.sha256 for d in session.data.documents for p in d.pages)
        if not still_kept:  # the same image may be kept twice: its OCR is still needed
            self.capture.forget(page)

    # -- documents ---------------------------------------------------------------------
    def suggest_type(self, session: Session) -> DocumentDraft | None:
        """Take the detected type unless the visitor chose one; returns the document."""
        doc = session.current_document
        if doc is not None and not doc.type_confirmed:
            suggestion = self.capture.suggest_type(doc)
            if suggestion is not None:
                doc.set_type(suggestion[0], confirmed=False)
                doc.type_confidence = suggestion[1]
        return doc

    def choose_type(self, session: Session, document_type: str) -> None:
        """The visitor's correction of the detected type."""
        doc = session.current_document
        if doc is not None:
            doc.set_type(document_type)
        session.activity()

    def toggle_keep_copy(self, session: Session) -> bool:
        """Identity documents: keep (send) a copy only if the visitor says so."""
        doc = session.current_document
        if doc is None:
            return False
        doc.keep_identity_copy = not doc.keep_identity_copy
        session.activity()
        return doc.keep_identity_copy

    def new_document(self, session: Session) -> None:
        """Start the next document and go to the camera."""
        session.start_document()
        session.dispatch(Event.NEW_DOCUMENT)

    # -- navigation --------------------------------------------------------------------
    def document_done(self, session: Session) -> bool:
        """To the page list, if this document has a page; False otherwise."""
        doc = session.current_document
        if doc is None or not doc.pages:
            return False
        session.dispatch(Event.PAGE_DONE)
        return True

    def back_from_capture(self, session: Session) -> None:
        """BACK on the camera: the page list if the document has pages; otherwise the empty
        document is dropped and the visitor returns to the previous document's list, or to
        the task choice if there is none (one step, never two)."""
        if self.document_done(session):
            return
        if session.current_document is not None:
            session.discard_empty_document()
        session.dispatch(Event.BACK if session.data.documents else Event.CANCEL_DOCUMENT)
