"""A booked appointment joined from the kiosk: from the consent, "I have an appointment code"
opens the code step; the code is checked with the job centre, a refusal stays on the step
with its code (shown in the visitor's language), a good code joins the appointment's
waiting room; "scan my letter" reads the QR code from the call camera's frame."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode

from accessibility.i18n import translate
from config.model import KioskConfig
from device_drivers.camera import SimulatedCamera
from kiosk.call.loop import CallLoop
from kiosk.controllers.call import CallController
from kiosk.controllers.call_view import CALL_CODE_MSGIDS, CallPhase
from kiosk.demo import walk_to
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from scanning.barcodes import is_available
from tests.controllers.test_call_controller import ScriptedCentre, loop, make, until
from tests.controllers.test_call_letter import _state

__all__ = ["loop"]  # the fixture, re-exported for pytest

CODE = "K7MQ-4XP2-AB3D"


def _at_code_step(tmp_path: Path, loop: CallLoop, centre: ScriptedCentre,
                  camera: SimulatedCamera | None = None) -> tuple[Session, CallController]:
    session = Session(KioskConfig(data_dir=tmp_path), time.monotonic, tmp_path / "s")
    walk_to(session, SessionState.CHOOSE_TASK.value, lambda s: None)
    session.dispatch(Event.CHOOSE_VIDEO)
    controller = make(loop, centre, camera=camera)
    controller.open_device_check(session)
    controller.devices_ok()
    until(lambda: _state(session) is SessionState.CALL_CONSENT)
    session.dispatch(Event.ENTER_CODE)
    assert _state(session) is SessionState.CALL_CODE
    return session, controller


def test_a_refused_code_stays_on_the_step_and_a_good_one_joins(
        loop: CallLoop, tmp_path: Path) -> None:
    centre = ScriptedCentre()
    session, controller = _at_code_step(tmp_path, loop, centre)
    for status, refusal in ((404, "code_unknown"), (410, "code_expired"), (409, "code_used"),
                            (425, "code_too_early")):
        centre.refuse["join"] = (status, refusal)
        controller.join_with_code(CODE)
        until(lambda r=refusal: controller.view.error == r)
        assert not controller.view.starting and _state(session) is SessionState.CALL_CODE
        # the sentence exists in the visitor's language, not only in English
        assert translate("ar", CALL_CODE_MSGIDS[refusal]) != CALL_CODE_MSGIDS[refusal]
    controller.join_with_code("K7MQ-4XP")  # too short: refused before anything is sent
    until(lambda: controller.view.error == "code_invalid")
    assert len(centre.sent("join")) == 4
    controller.clear_error()
    assert controller.view.error is None

    del centre.refuse["join"]
    controller.join_with_code("k7mq 4xp2 ab3d")
    until(lambda: _state(session) is SessionState.CALL_WAITING)
    assert controller.view.phase is CallPhase.WAITING and controller.view.call_id == "c_1"
    assert centre.sent("join")[-1] == {"code": "K7MQ4XP2AB3D"}
    controller.close()


def test_back_from_the_code_step_returns_to_the_consent(loop: CallLoop, tmp_path: Path) -> None:
    session, controller = _at_code_step(tmp_path, loop, ScriptedCentre())
    session.dispatch(Event.BACK)
    assert _state(session) is SessionState.CALL_CONSENT
    controller.close()


def _letter_held_up(code: str | None) -> np.ndarray:
    """What the call camera sees: a letter close to the lens, its QR code in the picture."""
    frame = np.full((480, 640, 3), 235, np.uint8)
    cv2.putText(frame, "Einladung zur Videoberatung", (40, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0,
                (30, 30, 30), 2)
    if code is not None:
        qr = np.array(qrcode.make(code, box_size=7, border=4).convert("L"), np.uint8)
        frame[120:120 + qr.shape[0], 200:200 + qr.shape[1]] = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR)
    return frame


@pytest.mark.skipif(not is_available(), reason="zxing-cpp not installed")
def test_scan_my_letter_joins_by_the_qr_code_the_camera_sees(
        loop: CallLoop, tmp_path: Path) -> None:
    centre = ScriptedCentre()
    camera = SimulatedCamera([_letter_held_up(None)])  # a letter without the code
    session, controller = _at_code_step(tmp_path / "a", loop, centre, camera)
    controller.join_with_camera()
    until(lambda: controller.view.error == "code_not_found")
    assert centre.sent("join") == [] and _state(session) is SessionState.CALL_CODE
    controller.close()

    camera = SimulatedCamera([_letter_held_up(CODE.replace("-", ""))])
    second = CallLoop()  # the first controller's close stopped its loop
    second.start()
    session, controller = _at_code_step(tmp_path / "b", second, centre, camera)
    controller.join_with_camera()
    until(lambda: _state(session) is SessionState.CALL_WAITING)
    assert centre.sent("join") == [{"code": "K7MQ4XP2AB3D"}]
    controller.close()
