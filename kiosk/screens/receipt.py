"""Receipt screen: shows the Eingangsbestätigung and each document's state while the
print controller (``kiosk.controllers.printing``) prints it.

Only a printer-confirmed print is called "printed". Otherwise the receipt appears here
as a QR code to photograph, the agent alerts staff, and the receipt can be reprinted
later by its number. Leaving the screen clears the receipt from it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import qrcode
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from accessibility.dates import format_date, format_datetime
from kiosk.screens.base import KioskScreen
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("receipt.kv")))
log = logging.getLogger(__name__)


class ReceiptScreen(KioskScreen):
    """Your receipt."""

    printing = BooleanProperty(True)
    printed = BooleanProperty(False)
    receipt_number = StringProperty("")
    stored_at = StringProperty("")
    states = ListProperty([])
    missing = ListProperty([])  # type codes the visitor's letter asks for and are still missing

    def on_pre_enter(self, *_args: Any) -> None:
        """Show the submission at once; the controller prints it."""
        submission = self.session.data.submission
        self.printing, self.printed = True, False
        if submission is None:
            return
        self._show(submission)
        self.app.services.printing.start(self.session, self.app.lang, self._printed)

    def on_leave(self, *_args: Any) -> None:
        """The receipt number and its QR code do not stay behind for the next visitor."""
        self.receipt_number, self.stored_at, self.states = "", "", []
        self.missing, self._deadline = [], None
        self.ids.qr.texture = None

    def _show(self, submission: Any) -> None:
        self.receipt_number = submission.receipt_number
        self.stored_at = format_datetime(submission.stored_at, self.app.lang)
        self.states = [(d.document_type, d.pages, d.state) for d in submission.documents]
        letter = self.app.services.letter
        outcome = letter.outcome(self.session) if letter is not None else None
        self._deadline = outcome.deadline if outcome is not None else None
        self.missing = [line.document_type for line in outcome.missing] if outcome else []
        self.ids.qr.texture = self._qr_texture(submission.receipt_qr)

    @staticmethod
    def _qr_texture(payload: str) -> Any:
        """The QR code as a texture of one pixel per module, drawn enlarged without
        smoothing. Made straight from the code's matrix: going through a PNG and Kivy's
        image loader made Pillow load every image plugin it has (~7 MB in the UI process)."""
        code = qrcode.QRCode(border=2)
        code.add_data(payload)
        code.make(fit=True)
        modules = np.array(code.get_matrix(), dtype=bool)
        pixels = np.where(modules, 0, 255).astype(np.uint8)
        height, width = pixels.shape
        texture = Texture.create(size=(width, height), colorfmt="luminance")
        texture.mag_filter = "nearest"
        texture.blit_buffer(np.ascontiguousarray(pixels[::-1]).tobytes(),
                            colorfmt="luminance", bufferfmt="ubyte")
        return texture

    def _printed(self, printed: bool) -> None:
        self.printing, self.printed = False, printed
        submission = self.session.data.submission
        if submission is not None and self.manager is not None \
                and self.manager.current == self.name:
            self._show(submission)
            if self.session.presentation.speech:
                self.app.read_aloud()  # printed, or why not and what to do instead

    def state_text(self, states: list[Any], *_deps: Any) -> str:
        """One line per document: type, pages, where it is."""
        tr = self.app.tr
        lines = []
        for index, (doc_type, pages, state) in enumerate(states, start=1):
            where = (tr("delivered to the job centre") if state == "delivered" else
                     tr("stored safely at this terminal, will be sent automatically"))
            lines.append(f"{index}. {tr(DOCUMENT_TYPE_TEXTS.get(doc_type, 'Other document'))}"
                         f" ({tr('{count} pages', count=pages)}): {where}")
        return "\n".join(lines)

    def missing_text(self, missing: list[str], *_deps: Any) -> str:
        """What the letter still asks for, and by when (the printed receipt says it too)."""
        if not missing:
            return ""
        tr = self.app.tr
        lines = [tr("Your letter also asks for:")]
        lines += ["– " + tr(DOCUMENT_TYPE_TEXTS.get(t, DOCUMENT_TYPE_TEXTS["other"]))
                  for t in missing]
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            lines.append(tr("Please hand in by {date}.",
                            date=format_date(deadline, self.app.lang)))
        return "\n".join(lines)

    def is_settled(self) -> bool:
        """The printer has answered (printed, or the on-screen QR fallback is shown)."""
        return not self.printing

    def print_text(self, printing: bool, printed: bool, *_deps: Any) -> str:
        """What happened at the printer, honestly."""
        if printing:
            return self.app.tr("Your receipt is being printed …")
        if printed:
            return self.app.tr("Please take your receipt from the printer.")
        return self.app.tr("The printer cannot print right now. Please photograph this code: "
                           "it is your receipt. The staff have been told and can print it later.")

    def done(self) -> None:
        """Finish."""
        self.session.dispatch(Event.DONE)

    def extra_spoken_text(self) -> list[str]:
        """Print state, receipt number, documents."""
        return [self.print_text(self.printing, self.printed),
                self.app.tr_plain("Receipt number") + " " + self.receipt_number,
                self.state_text(list(self.states)), self.missing_text(list(self.missing))]
