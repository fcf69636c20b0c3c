"""Summary screen: what will be handed in, then the durable submission.

"Hand in" builds the PDFs (mostly done in the background already), stores everything
durably in the outbox and only then moves on to the receipt. If storing fails, nothing
is claimed and nothing is lost: the documents stay in the session and the visitor is
told what to do.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from foundation.errors import KioskError
from foundation.masking import mask_customer_number as mask
from kiosk.screens.base import KioskScreen
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS

Builder.load_file(str(Path(__file__).with_name("summary.kv")))
log = logging.getLogger(__name__)

SUBMIT_ERRORS: dict[str, str] = {
    "storage_failed": "The terminal could not store your documents. Nothing was sent. "
                      "Please ask the staff for help.",
    "clock_implausible": "The terminal's clock is wrong, so it cannot issue a receipt. "
                         "Your documents are kept. Please ask the staff for help.",
    "not_enrolled": "This terminal is not connected to the job centre yet. "
                    "Please ask the staff for help.",
}
SUMMARY_MSGIDS = tuple(SUBMIT_ERRORS.values())


class SummaryScreen(KioskScreen):
    """Check and hand in."""

    rows = ListProperty([])
    busy = BooleanProperty(False)
    error = StringProperty("")
    masked_number = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        """List the documents."""
        self.error, self.busy = "", False
        self.masked_number = mask(self.session.data.customer_number or "")
        self.rows = [self._row(i, d) for i, d in enumerate(self.session.ready_documents())]

    def _row(self, index: int, doc: Any) -> dict[str, Any]:
        excluded = doc.document_type == "identity_document" and not doc.keep_identity_copy
        return {"index": index, "type": doc.document_type, "pages": len(doc.pages),
                "flagged": sum(1 for p in doc.pages if p.sent_anyway), "excluded": excluded}

    def row_text(self, row: dict[str, Any], *_deps: Any) -> str:
        """'1. Payslip – 2 pages' in the visitor's language."""
        tr = self.app.tr
        text = f"{row['index'] + 1}. " + tr(DOCUMENT_TYPE_TEXTS[row["type"]]) + " – "
        text += tr("{count} pages", count=row["pages"])
        if row["flagged"]:
            text += "\n" + tr("{count} pages marked for the staff", count=row["flagged"])
        if row["excluded"]:
            text += "\n" + tr("Not sent: a copy of your ID is not needed.")
        return text

    def submit(self) -> None:
        """Build PDFs and store durably on a worker thread, then show the receipt."""
        if self.busy:
            return
        documents = [d for d in self.session.ready_documents()
                     if d.document_type != "identity_document" or d.keep_identity_copy]
        if not documents:
            self.error = "no_documents"
            return
        self.busy, self.error = True, ""
        services, session = self.app.services, self.session
        number = session.data.customer_number or ""

        def work() -> None:
            try:
                prepared = services.capture.prepare_documents(documents, session.page_image,
                                                              number)
                submission = services.delivery.submit(number, prepared)
            except KioskError as exc:
                log.warning("submission failed: %s", exc.code)
                self._failed(exc.code)
                return
            except Exception:  # noqa: BLE001 - the visitor must get an answer, never a crash
                log.exception("submission failed unexpectedly")
                self._failed("storage_failed")
                return
            self._stored(submission)

        threading.Thread(target=work, name="submit", daemon=True).start()

    @mainthread
    def _stored(self, submission: Any) -> None:
        self.busy = False
        self.session.mark_submitted(submission)

    @mainthread
    def _failed(self, code: str) -> None:
        self.busy = False
        self.error = code

    def error_text(self, code: str, *_deps: Any) -> str:
        """What went wrong and what to do."""
        if not code:
            return ""
        if code == "no_documents":
            return self.app.tr("There is nothing to hand in yet.")
        return self.app.tr(SUBMIT_ERRORS.get(code, SUBMIT_ERRORS["storage_failed"]))

    def extra_spoken_text(self) -> list[str]:
        """The list and any problem."""
        return [self.row_text(r) for r in self.rows] + [self.error_text(self.error)]
