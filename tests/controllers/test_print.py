"""Print controller: the receipt is printed off the UI thread; only a confirmed print counts."""

from __future__ import annotations

from device_drivers.printer.simulated import SimulatedPrinter
from kiosk.controllers.capture import CapturedPage
from kiosk.controllers.printing import PrintController
from kiosk.controllers.submit import SubmitController
from kiosk.session.states import Event, SessionState
from tests.controllers.conftest import HeldWorker, Parts, UiThread, to_summary, variant


def submitted(parts: Parts, page: CapturedPage) -> None:
    """A visitor at the receipt screen with a durable submission."""
    worker, ui = HeldWorker(), UiThread()
    to_summary(parts, variant(page, 1))
    SubmitController(parts.capture, parts.delivery, run=worker, post=ui).start(
        parts.session, lambda _s: None, lambda _c: None)
    worker.run_all()
    ui.drain()
    assert parts.session.state is SessionState.RECEIPT


def printer(parts: Parts, *script: str) -> SimulatedPrinter:
    return SimulatedPrinter(parts.data / "receipts", script=list(script))


def test_receipt_printed_on_the_worker_answered_on_the_ui(
        parts: Parts, sample_page: CapturedPage) -> None:
    submitted(parts, sample_page)
    worker, ui = HeldWorker(), UiThread()
    control = PrintController(parts.delivery, printer(parts), run=worker, post=ui)
    answers: list[bool] = []
    assert control.start(parts.session, "uk", answers.append)
    assert answers == [] and worker.run_all() == ["print-receipt"]
    assert answers == [] and ui.drain() == 1
    assert answers == [True]
    assert list((parts.data / "receipts").glob("receipt-*.png"))
    assert parts.session.data.submission is not None  # refreshed with the delivery states


def test_printer_out_of_paper_answers_not_printed(parts: Parts, sample_page: CapturedPage) -> None:
    submitted(parts, sample_page)
    before = parts.session.data.submission
    worker, ui = HeldWorker(), UiThread()
    control = PrintController(parts.delivery, printer(parts, "out_of_paper"), run=worker, post=ui)
    answers: list[bool] = []
    control.start(parts.session, "de", answers.append)
    worker.run_all()
    ui.drain()
    assert answers == [False]
    assert parts.session.data.submission is not None
    assert parts.session.data.submission.receipt_number == before.receipt_number


def test_nothing_to_print_and_a_late_answer_is_dropped(
        parts: Parts, sample_page: CapturedPage) -> None:
    worker, ui = HeldWorker(), UiThread()
    control = PrintController(parts.delivery, printer(parts), run=worker, post=ui)
    assert not control.start(parts.session, "de", lambda _p: None)  # no submission yet
    submitted(parts, sample_page)
    answers: list[bool] = []
    control.start(parts.session, "de", answers.append)
    parts.session.dispatch(Event.DONE)
    parts.session.dispatch(Event.TOUCH)  # goodbye → attract: the visit is over
    worker.run_all()
    ui.drain()
    assert answers == [] and parts.session.data.submission is None
