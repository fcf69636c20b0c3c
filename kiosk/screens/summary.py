"""Summary screen: what will be handed in, and what went wrong if storing failed.

"Hand in" is forwarded to the submit controller (``kiosk.controllers.submit``), which
builds the PDFs, stores everything durably and only then moves the session on to the
receipt; it also holds the rule that an ID copy is sent only with the visitor's consent.
If storing fails, the visitor is told what to do.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from accessibility.dates import format_date
from foundation.masking import mask_customer_number as mask
from kiosk.controllers.submit import is_left_out
from kiosk.screens.base import KioskScreen
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS
from kiosk.session.states import Event

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
    missing = ListProperty([])  # the letter's items still open: (type, wording)
    deadline = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        """List the documents."""
        self.error, self.busy = "", False
        self.masked_number = mask(self.session.data.customer_number or "")
        self.rows = [self._row(i, d) for i, d in enumerate(self.session.ready_documents())]
        letter = self.app.services.letter
        state = letter.letter(self.session) if letter is not None else None
        checklist = letter.checklist(self.session) if letter is not None and state else None
        self.deadline = format_date(state.deadline, self.app.lang) \
            if state is not None and state.deadline else ""  # before the list that shows it
        self.missing = [(i.document_type, i.text) for i in checklist.missing] if checklist else []

    def _row(self, index: int, doc: Any) -> dict[str, Any]:
        excluded = is_left_out(doc)
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

    def missing_text(self, missing: list[Any], *_deps: Any) -> str:
        """The items still open, in the visitor's words, and the deadline."""
        tr = self.app.tr
        lines = ["– " + tr(DOCUMENT_TYPE_TEXTS.get(t, DOCUMENT_TYPE_TEXTS["other"]))
                 for t, _text in missing]
        if missing and self.deadline:
            lines.append(tr("Please hand in by {date}.", date=self.deadline))
        return "\n".join(lines)

    def show_checklist(self) -> None:
        """Back to the letter's checklist."""
        self.session.dispatch(Event.SHOW_CHECKLIST)

    def submit(self) -> None:
        """Hand in (the controller stores durably, then the session shows the receipt)."""
        if self.busy:
            return
        self.busy, self.error = True, ""
        problem = self.app.services.submit.start(self.session, self._stored, self._failed)
        if problem is not None:
            self.busy = False
            self.error = "" if problem == "busy" else problem

    def _stored(self, _submission: Any) -> None:
        self.busy = False

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
        missing = [self.app.tr_plain("Your letter also asks for:"),
                   self.missing_text(list(self.missing))] if self.missing else []
        return [self.row_text(r) for r in self.rows] + missing + [self.error_text(self.error)]
