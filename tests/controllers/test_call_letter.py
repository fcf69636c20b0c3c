""""Show me the letter" in the session: the counsellor's request opens the capture steps as
a sub-flow of the call (the call goes on), the confirmed page goes to the counsellor and the
visitor is back in the call; a hand-in request is noted; when the call ends during capture
the sub-flow closes, keeping only the page that is to be handed in (its hand-in:
test_call_hand_in.py)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from config.model import KioskConfig
from kiosk.call.engine import PartyState
from kiosk.call.loop import CallLoop
from kiosk.controllers.call_view import CallPhase
from kiosk.demo import walk_to
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState, SubFlow
from tests.controllers.test_call_controller import FakeEngine, ScriptedCentre, loop, make, until

__all__ = ["loop"]  # the fixture, re-exported for pytest


class PageEngine(FakeEngine):
    """The fake mesh, also recording the pages shown to a party."""

    pages: list[tuple[str, str, tuple[int, ...]]] = []

    async def send_page(self, party: str, request_id: str, image: np.ndarray) -> bool:
        PageEngine.pages.append((party, request_id, image.shape))
        return True


def _letter_jpeg() -> tuple[bytes, tuple[int, int]]:
    page = np.full((1754, 1240, 3), 255, np.uint8)
    cv2.putText(page, "Bescheid", (120, 260), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 6)
    return bytes(cv2.imencode(".jpg", page)[1].tobytes()), (1240, 1754)


def _state(session: Session) -> SessionState:
    """The session's step (read afresh: it changes on the controller's post)."""
    return session.state


def _capture(session: Session) -> None:
    data, size = _letter_jpeg()
    session.store_page(data, True, (), size)


def test_the_capture_steps_open_inside_the_call_and_the_page_goes_back(
        loop: CallLoop, tmp_path: Path) -> None:
    PageEngine.pages = []
    session = Session(KioskConfig(data_dir=tmp_path), time.monotonic, tmp_path / "s")
    walk_to(session, SessionState.CHOOSE_TASK.value, lambda s: None)
    session.dispatch(Event.CHOOSE_VIDEO)
    centre = ScriptedCentre()
    controller = make(loop, centre, engine=PageEngine)
    controller.open_device_check(session)
    controller.devices_ok()
    controller.start_walk_in("de", "documents")
    until(lambda: controller.engine is not None)
    controller.engine.report("counsellor", PartyState.CONNECTED)
    assert session.state is SessionState.IN_CALL

    centre.push("call.request_document", request_id="r_1", requested_item="Bescheid",
                note=None, counsellor_id="clara", requested_at="2026-11-30T10:00:00Z")
    until(lambda: _state(session) is SessionState.CAPTURE)
    bookmark = session.sub_flows.current
    assert bookmark is not None and bookmark.flow is SubFlow.CAPTURE_IN_CALL
    assert controller.view.phase is CallPhase.IN_CALL and not controller.engine.closed
    _capture(session)
    controller.show_captured_page()
    assert _state(session) is SessionState.IN_CALL and session.sub_flows.current is None
    until(lambda: PageEngine.pages != [])
    assert PageEngine.pages == [("counsellor", "r_1", (1754, 1240, 3))]
    centre.push("call.hand_in", request_id="r_1", counsellor_id="clara")
    until(lambda: controller.view.hand_in_requests == ["r_1"])

    # A second request; the call ends while the visitor is still photographing.
    centre.push("call.request_document", request_id="r_2", requested_item="Mietvertrag",
                note=None, counsellor_id="clara", requested_at="2026-11-30T10:05:00Z")
    until(lambda: _state(session) is SessionState.CAPTURE)
    _capture(session)
    controller.show_page("r_2", np.zeros((10, 10, 3), np.uint8))
    first = session.data.documents[0]
    centre.push("call.ended", reason="ended_by_counsellor")
    # r_1 is to be handed in: the visitor goes on to the customer number for it
    until(lambda: _state(session) is SessionState.IDENTIFY)
    assert session.sub_flows.current is None
    assert list(controller.view.shown_pages) == ["r_1"]  # only the page to hand in is kept
    assert session.data.documents == [first]
    controller.close()


def test_no_capture_outside_the_call_step(loop: CallLoop, tmp_path: Path) -> None:
    session = Session(KioskConfig(data_dir=tmp_path), time.monotonic, tmp_path / "s")
    walk_to(session, SessionState.CHOOSE_TASK.value, lambda s: None)
    session.dispatch(Event.CHOOSE_VIDEO)
    centre = ScriptedCentre()
    controller = make(loop, centre, engine=PageEngine)
    controller.open_device_check(session)
    controller.devices_ok()
    controller.start_walk_in("de", "documents")
    until(lambda: controller.view.phase is CallPhase.WAITING)
    centre.push("call.request_document", request_id="r_9", requested_item="Bescheid")
    until(lambda: len(controller.view.document_requests) == 1)
    time.sleep(0.1)
    assert session.state is SessionState.CALL_WAITING  # nobody to show it to yet
    controller.close()


