"""The call controller without a window: a scripted job centre behind a fake agent, the
simulated camera, microphone and loudspeaker, and (in one test) a real aiortc offer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from device_drivers.camera import CallVideo, SimulatedCamera
from device_drivers.loudspeaker import SimulatedLoudspeaker
from device_drivers.microphone import SimulatedMicrophone
from kiosk.call.engine import CallEngine, PartyState, PartyStatus
from kiosk.call.loop import CallLoop
from kiosk.call.peer import PeerLink
from kiosk.call.signalling import CallSignalling, normalise_code
from kiosk.controllers.call import CallController
from kiosk.controllers.call_view import CallPhase, estimate_minutes


class ScriptedCentre:
    """The agent's two call commands, answered like the job centre of docs/video.md."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None, dict[str, Any]]] = []
        self.inbox: list[dict[str, Any]] = []
        self.refuse: dict[str, tuple[int, str]] = {}
        self.state = "waiting"
        self.lock = threading.Lock()

    def push(self, kind: str, **body: Any) -> None:
        with self.lock:
            self.inbox.append({"type": kind, "seq": len(self.inbox) + 1,
                               "body": {"call_id": "c_1", **body}})

    def __call__(self, op: str, **params: Any) -> dict[str, Any]:
        if op == "call_messages":
            with self.lock:
                new = [m for m in self.inbox if m["seq"] > params["after"]]
            return {"ok": True, "messages": new, "last": len(self.inbox)}
        action = params["action"]
        self.requests.append((action, params.get("call_id"), params.get("body", {})))
        if action in self.refuse:
            status, code = self.refuse[action]
            return {"ok": True, "status": status, "body": {"error": code}}
        if action in ("start", "join"):
            return {"ok": True, "status": 201, "body": {
                "call_id": "c_1", "state": "waiting", "position": 3, "estimated_wait_s": 610,
                "ice_servers": [], "heartbeat_s": 0.2}}
        if action == "status":
            return {"ok": True, "status": 200, "body": {
                "call_id": "c_1", "state": self.state, "position": 1, "estimated_wait_s": 240,
                "parties": ["kiosk"], "ended_reason": "not_answered" if self.state == "ended"
                else None}}
        return {"ok": True, "status": 200, "body": {"ok": True}}

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [body for a, _, body in self.requests if a == action]


class FakeEngine:
    """Stands in for the mesh: records offers, lets the test report party states."""

    def __init__(self, camera: Any, microphone: Any, send: Any, **options: Any) -> None:
        self.camera, self.microphone, self.send, self.options = camera, microphone, send, options
        self.offers: list[tuple[str, str]] = []
        self.left: list[str] = []
        self.closed = False

    def start(self) -> None:
        pass

    async def handle_offer(self, party: str, sdp: str, ice: Any = None) -> None:
        self.offers.append((party, sdp))
        await self.send({"type": "answer", "to": party, "sdp": "answer-to-" + sdp})

    async def party_left(self, party: str) -> None:
        self.left.append(party)

    async def close(self) -> None:
        self.closed = True

    def report(self, party: str, state: PartyState) -> None:
        self.options["on_change"](party, PartyStatus(state, 0.0))


def until(predicate: Any, timeout_s: float = 5.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def loop() -> Iterator[CallLoop]:
    call_loop = CallLoop()
    call_loop.start()
    yield call_loop
    call_loop.stop()


def make(loop: CallLoop, centre: ScriptedCentre, engine: Any = FakeEngine,
         camera: SimulatedCamera | None = None) -> CallController:
    video = CallVideo(camera or SimulatedCamera([np.full((480, 640, 3), 90, np.uint8)]))
    return CallController(CallSignalling(centre), video, SimulatedMicrophone("tone"),
                          SimulatedLoudspeaker(), loop=loop, engine_factory=engine,
                          poll_s=0.02, check_every_s=0.02,
                          staff_call=lambda: centre.requests.append(("staff", None, {})))


def test_device_check_shows_self_view_level_and_plays_the_tone(loop: CallLoop) -> None:
    controller = make(loop, ScriptedCentre())
    controller.open_device_check()
    until(lambda: controller.view.self_view is not None)
    until(lambda: controller.view.mic_level_dbfs > -20)
    controller.set_volume(0.5)
    controller.play_test_tone(0.1)
    speaker = controller.loudspeaker
    assert isinstance(speaker, SimulatedLoudspeaker)
    assert speaker.samples_played == 4800
    assert 0.14 * 32767 < speaker.recent.max() < 0.16 * 32767  # 0.3 amplitude at half volume
    controller.devices_ok()
    assert controller.view.phase is CallPhase.CONSENT


def test_waiting_room_then_offer_answer_in_call_and_end_with_confirmation(
        loop: CallLoop) -> None:
    centre = ScriptedCentre()
    controller = make(loop, centre)
    seen: list[CallPhase] = []
    controller.subscribe(lambda view: seen.append(view.phase))
    controller.open_device_check()
    controller.devices_ok()
    controller.start_walk_in("de", "benefits", "Foyer")
    until(lambda: controller.view.phase is CallPhase.WAITING)
    assert not controller.view.starting
    assert centre.sent("start") == [{"language": "de", "topic": "benefits", "location": "Foyer"}]
    assert (controller.view.position, controller.view.estimate_min) == (3, 15)
    until(lambda: controller.view.position == 1)  # polled status (the heartbeat)
    assert controller.view.estimate_min == 5
    centre.push("call.accepted", counsellor_name="Frau K.")
    centre.push("call.offer", **{"from": "counsellor", "sdp": "v=0 offer"})
    until(lambda: centre.sent("signal"))
    assert centre.sent("signal") == [{"type": "answer", "to": "counsellor",
                                      "sdp": "answer-to-v=0 offer"}]
    engine = controller.engine
    engine.report("counsellor", PartyState.CONNECTED)
    assert controller.view.phase is CallPhase.IN_CALL
    assert controller.view.counsellor_name == "Frau K."
    engine.report("counsellor", PartyState.RECONNECTING)
    assert controller.view.reconnecting
    engine.report("counsellor", PartyState.CONNECTED)
    assert not controller.view.reconnecting
    centre.push("call.chat", **{"from": "counsellor", "name": "Frau K.", "text": "Hallo",
                                "final": True, "seq": 1})
    until(lambda: "counsellor" in controller.view.chat)
    assert controller.view.chat["counsellor"].text == "Hallo"
    controller.set_muted(True)
    controller.set_camera(False)
    assert engine.microphone.muted and not engine.camera.enabled
    controller.call_staff()
    controller.request_end()
    assert controller.view.confirm_end and controller.view.phase is CallPhase.IN_CALL
    controller.cancel_end()
    controller.request_end()
    controller.confirm_end()
    until(lambda: controller.view.phase is CallPhase.ENDED)
    until(lambda: centre.sent("hangup") != [])
    assert engine.closed and controller.view.ended_reason == "hangup"
    assert ("staff", None, {}) in centre.requests
    assert CallPhase.WAITING in seen and CallPhase.IN_CALL in seen


def test_server_ends_the_call_and_a_guest_leaves(loop: CallLoop) -> None:
    centre = ScriptedCentre()
    controller = make(loop, centre)
    controller.join_with_code("k7mq-4xp2-ab3d")
    until(lambda: controller.engine is not None)
    assert centre.sent("join") == [{"code": "K7MQ4XP2AB3D"}]
    centre.push("call.accepted", counsellor_id="u7", counsellor_name=None)
    centre.push("call.party", party="guest", state="left", name="Dolmetscher")
    until(lambda: controller.engine.left == ["guest"])
    assert controller.view.counsellor_name == ""  # no display name yet: none shown
    engine = controller.engine
    centre.push("call.ended", reason="ended_by_counsellor")
    until(lambda: controller.view.phase is CallPhase.ENDED)
    assert controller.view.ended_reason == "ended_by_counsellor" and engine.closed
    assert centre.sent("hangup") == []  # the server ended it; nothing to hang up


def test_refusals_arrive_as_codes(loop: CallLoop) -> None:
    centre = ScriptedCentre()
    centre.refuse["join"] = (410, "code_expired")
    controller = make(loop, centre)
    controller.join_with_code("K7MQ-4XP2-AB3D")
    until(lambda: controller.view.error == "code_expired")
    assert not controller.view.starting  # the button works again
    controller.join_with_code("not a code")
    until(lambda: controller.view.error == "code_invalid")
    assert len(centre.sent("join")) == 1  # the typo never left the kiosk
    assert controller.view.phase is CallPhase.IDLE


def test_wipe_hangs_up_and_forgets_everything(loop: CallLoop) -> None:
    centre = ScriptedCentre()
    camera = SimulatedCamera([np.full((480, 640, 3), 90, np.uint8)])
    controller = make(loop, centre, camera=camera)
    controller.open_device_check()
    controller.start_walk_in("ar", "other")
    until(lambda: controller.engine is not None)
    centre.push("call.chat", **{"from": "counsellor", "name": "K", "text": "privat",
                                "final": False})
    until(lambda: controller.view.chat)
    engine = controller.engine
    controller.wipe()
    until(lambda: centre.sent("hangup") != [])
    assert engine.closed and controller.view.chat == {} and controller.view.call_id is None
    assert controller.view.self_view is None and not camera.is_open
    controller.wipe()  # twice is harmless; the camera is not closed twice
    assert camera.calls.count("close") == 1


def test_estimate_is_rounded_up_to_five_minutes() -> None:
    assert [estimate_minutes(s) for s in (None, 0, 1, 300, 301, 610)] == [
        None, None, 5, 5, 10, 15]
    assert normalise_code("k7mq 4xp2-ab3d") == "K7MQ4XP2AB3D"
    assert normalise_code("1080-AAAA-BBBB") == "IOBOAAAABBBB"


def test_a_real_offer_is_answered_with_complete_sdp_and_opus(loop: CallLoop) -> None:
    centre = ScriptedCentre()
    controller = make(loop, centre, engine=CallEngine)
    controller.open_device_check()
    controller.start_walk_in("de", "documents")
    until(lambda: controller.engine is not None)

    async def far_offer() -> str:
        far = PeerLink("kiosk", [])
        far.pc.addTransceiver("audio", direction="sendrecv")
        far.pc.addTransceiver("video", direction="sendrecv")
        await far.pc.setLocalDescription(await far.pc.createOffer())
        sdp = far.pc.localDescription.sdp
        await far.close()
        return sdp

    offer = asyncio.run(far_offer())
    centre.push("call.offer", **{"from": "counsellor", "sdp": offer, "ice_servers": []})
    until(lambda: centre.sent("signal"), 10)
    answer = centre.sent("signal")[0]
    assert answer["type"] == "answer" and answer["to"] == "counsellor"
    assert "a=rtpmap:" in answer["sdp"] and "opus/48000/2" in answer["sdp"]
    assert "a=end-of-candidates" in answer["sdp"] or "a=candidate" in answer["sdp"] or \
        "a=ice-ufrag" in answer["sdp"]
    controller.wipe()
    until(lambda: centre.sent("hangup") != [])


def test_the_session_follows_the_call_to_goodbye(loop: CallLoop, tmp_path: Any) -> None:
    from config.model import KioskConfig
    from kiosk.demo import walk_to
    from kiosk.session.session import Session
    from kiosk.session.states import Event, SessionState

    session = Session(KioskConfig(data_dir=tmp_path), time.monotonic, tmp_path / "s")
    walk_to(session, SessionState.CHOOSE_TASK.value, lambda s: None)
    session.dispatch(Event.CHOOSE_VIDEO)
    assert session.state is SessionState.CALL_CHECK
    centre = ScriptedCentre()
    controller = make(loop, centre)
    controller.open_device_check(session)
    controller.devices_ok()
    assert session.state is SessionState.CALL_CONSENT
    controller.start_walk_in("de", "benefits")
    until(lambda: session.state is SessionState.CALL_WAITING)
    until(lambda: controller.engine is not None)
    controller.engine.report("counsellor", PartyState.CONNECTED)
    assert session.state is SessionState.IN_CALL
    centre.push("call.ended", reason="ended_by_counsellor")
    until(lambda: session.state is SessionState.GOODBYE)


def test_signalling_counts_anew_when_the_agent_restarted() -> None:
    centre = ScriptedCentre()
    signalling = CallSignalling(centre)
    centre.push("call.queue", position=2, estimated_wait_s=60)
    centre.push("call.queue", position=1, estimated_wait_s=30)
    assert len(signalling.messages()) == 2 and signalling.messages() == []
    centre.inbox.clear()  # a restarted agent numbers from 1 again
    centre.push("call.accepted", counsellor_id="u1", counsellor_name=None)
    assert [m["type"] for m in signalling.messages()] == ["call.accepted"]
