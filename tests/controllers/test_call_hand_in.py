"""A page shown in a video call and handed in afterwards: the counsellor asks for it
(``call.hand_in``), the call ends, the visitor gives the customer number (typed, or read from
a letter), sees the summary, and the page goes through the outbox like any submission; the
simulated printer prints the receipt. Pages not asked for are gone after the call."""

from __future__ import annotations

import sqlite3

from device_drivers.printer.simulated import SimulatedPrinter
from kiosk.call.engine import PartyState
from kiosk.call.loop import CallLoop
from kiosk.controllers.call import CallController
from kiosk.controllers.capture import CapturedPage
from kiosk.controllers.letter import LetterController
from kiosk.controllers.printing import PrintController
from kiosk.controllers.submit import SubmitController
from kiosk.demo import demo_letter
from kiosk.session.states import Event, SessionState
from tests.controllers.conftest import HeldWorker, Parts, UiThread, variant
from tests.controllers.test_call_controller import ScriptedCentre, loop, make, until
from tests.controllers.test_call_letter import PageEngine, _state

__all__ = ["loop"]  # the fixture, re-exported for pytest


def _in_call(parts: Parts, loop: CallLoop, centre: ScriptedCentre) -> CallController:
    """An identified visitor in a connected video call."""
    session = parts.session
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    assert session.identify(session.config.site.customer_number_formats[0].example).ok
    session.dispatch(Event.CHOOSE_VIDEO)
    controller = make(loop, centre, engine=PageEngine)
    controller.open_device_check(session)
    controller.devices_ok()
    controller.start_walk_in("de", "documents")
    until(lambda: controller.engine is not None)
    controller.engine.report("counsellor", PartyState.CONNECTED)
    until(lambda: parts.session.state is SessionState.IN_CALL)
    return controller


def _show(parts: Parts, controller: CallController, centre: ScriptedCentre, request_id: str,
          page: CapturedPage) -> None:
    """The counsellor asks for a page; the visitor photographs and confirms it."""
    centre.push("call.request_document", request_id=request_id, requested_item="Bescheid",
                note=None, counsellor_id="clara", requested_at="2026-11-30T10:00:00Z")
    until(lambda: parts.session.state is SessionState.CAPTURE)
    parts.documents.keep_page(parts.session, page)
    controller.show_captured_page()
    assert parts.session.state is SessionState.IN_CALL


def _outbox(parts: Parts) -> list[tuple[int, str, int]]:
    with sqlite3.connect(parts.data / "outbox" / "outbox.db") as db:
        rows = db.execute("SELECT pages, page_hash, sealed_size FROM documents").fetchall()
    db.close()
    return [(int(p), str(h), int(s)) for p, h, s in rows]


def test_a_page_asked_for_is_handed_in_after_the_call_and_the_receipt_printed(
        parts: Parts, sample_page: CapturedPage, loop: CallLoop) -> None:
    PageEngine.pages = []
    centre = ScriptedCentre()
    controller = _in_call(parts, loop, centre)
    session = parts.session
    _show(parts, controller, centre, "r_1", variant(sample_page, 1))
    _show(parts, controller, centre, "r_2", variant(sample_page, 2))
    until(lambda: len(PageEngine.pages) == 2)
    wanted = session.data.documents[0]
    kept_hash, dropped = wanted.page_hash(), session.data.documents[1].pages[0]
    centre.push("call.hand_in", request_id="r_1", counsellor_id="clara")
    until(lambda: controller.view.hand_in_requests == ["r_1"])

    centre.push("call.ended", reason="ended_by_counsellor")
    until(lambda: session.state is SessionState.IDENTIFY)
    assert session.sub_flows.current is None
    assert session.data.documents == [wanted]  # the page not asked for is gone...
    assert session.scratch is not None
    assert dropped.image_ref not in session.scratch.refs()  # ...with its image
    assert list(controller.view.shown_pages) == ["r_1"]

    bad = session.identify("12")
    assert not bad.ok and session.state is SessionState.IDENTIFY
    assert session.identify(session.config.site.customer_number_formats[0].example).ok
    assert _state(session) is SessionState.SUMMARY

    worker, ui = HeldWorker(), UiThread()
    submit = SubmitController(parts.capture, parts.delivery, run=worker, post=ui)
    assert submit.start(session, lambda _s: None, lambda _c: None) is None
    assert worker.run_all() == ["submit"] and ui.drain() == 1
    assert _state(session) is SessionState.RECEIPT
    rows = _outbox(parts)
    assert len(rows) == 1 and rows[0][:2] == (1, kept_hash) and rows[0][2] > 0

    printer = SimulatedPrinter(parts.data / "receipts", script=[])
    printed: list[bool] = []
    assert PrintController(parts.delivery, printer, run=worker, post=ui).start(
        session, "de", printed.append)
    worker.run_all()
    ui.drain()
    assert printed == [True] and list((parts.data / "receipts").glob("receipt-*.png"))
    controller.close()


def test_without_a_hand_in_request_the_call_ends_in_goodbye_and_keeps_no_page(
        parts: Parts, sample_page: CapturedPage, loop: CallLoop) -> None:
    PageEngine.pages = []
    centre = ScriptedCentre()
    controller = _in_call(parts, loop, centre)
    _show(parts, controller, centre, "r_1", variant(sample_page, 1))
    page = parts.session.data.documents[0].pages[0]
    centre.push("call.ended", reason="ended_by_counsellor")
    until(lambda: parts.session.state is SessionState.GOODBYE)
    assert parts.session.data.documents == [] and controller.view.shown_pages == {}
    assert parts.session.scratch is not None
    assert page.image_ref not in parts.session.scratch.refs()
    assert not parts.session.data.hand_in_after_call
    controller.close()


def test_the_number_for_the_hand_in_may_be_read_from_a_letter(
        parts: Parts, sample_page: CapturedPage, loop: CallLoop) -> None:
    PageEngine.pages = []
    centre = ScriptedCentre()
    controller = _in_call(parts, loop, centre)
    session = parts.session
    _show(parts, controller, centre, "r_1", variant(sample_page, 1))
    centre.push("call.hand_in", request_id="r_1", counsellor_id="clara")
    until(lambda: controller.view.hand_in_requests == ["r_1"])
    centre.push("call.ended", reason="hangup")
    until(lambda: session.state is SessionState.IDENTIFY)
    session.dispatch(Event.SCAN_LETTER)
    session.data.letter = demo_letter(session)  # as read from the letter's page
    letter = LetterController(parts.config, parts.capture, run=HeldWorker(), post=UiThread())
    result = letter.confirm_number(session)
    assert result is not None and result.ok
    assert _state(session) is SessionState.SUMMARY  # the call's page, not the checklist
    assert len(session.data.documents) == 1
    controller.close()
