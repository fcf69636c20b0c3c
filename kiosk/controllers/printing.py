"""Print controller: print the receipt (Eingangsbestätigung) off the UI thread.

Only a printer-confirmed print counts as "printed"; any fault answers "not printed" so the
screen can show the receipt as a QR code instead. The submission's delivery states are
refreshed into the session when the printer has answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from accessibility.i18n import translate as default_translate
from device_drivers.printer.protocol import ReceiptPrinter
from kiosk.controllers.runner import Post, Runner
from kiosk.delivery.models import QueuedSubmission
from kiosk.delivery.service import DeliveryService
from kiosk.session.session import Session

log = logging.getLogger(__name__)

Translate = Callable[..., str]


class PrintController:
    """Prints on a worker; tells the screen on the UI thread whether it printed."""

    def __init__(self, delivery: DeliveryService, printer: ReceiptPrinter, *, run: Runner,
                 post: Post, translate: Translate = default_translate) -> None:
        self.delivery = delivery
        self.printer = printer
        self.run = run
        self.post = post
        self.translate = translate

    def start(self, session: Session, lang: str, on_answer: Callable[[bool], None]) -> bool:
        """Print the session's receipt in ``lang``; False if there is none to print.

        ``on_answer(printed)`` follows on the UI thread, after the session's submission
        was refreshed with the current delivery states.
        """
        submission = session.data.submission
        if submission is None:
            return False
        visit = session.visit
        letter = session.data.letter  # kiosk.session.letter.LetterState or None
        checklist = letter.outcome if letter is not None else None

        def work() -> None:
            try:
                printed = self.delivery.print_receipt(
                    submission, self.printer, lang, self.translate, checklist).printed
            except Exception:  # noqa: BLE001 - a printer fault must not cost the receipt
                log.exception("receipt printing failed")
                printed = False
            try:
                current = self.delivery.refresh(submission)
            except Exception:  # noqa: BLE001 - the states shown are then those at storing
                log.exception("delivery states could not be read")
                current = submission
            self.post(lambda: self._answered(session, visit, printed, current, on_answer))

        self.run("print-receipt", work)
        return True

    @staticmethod
    def _answered(session: Session, visit: int, printed: bool, current: QueuedSubmission,
                  on_answer: Callable[[bool], None]) -> None:
        if session.visit != visit:
            return  # the visitor has gone; the receipt stays reprintable by its number
        session.data.submission = current
        on_answer(printed)
