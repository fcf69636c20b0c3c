"""The video-counselling workflow behind the call screens, Kivy-free.

    device check (self view, level meter, test tone) → consent → waiting room (walk-in, or
    a booked appointment's code typed or read from the letter) → in call → ended

Signalling goes through the agent (``kiosk.call.signalling``); media runs on the call's own
asyncio loop in a ``CallEngine``. Changes reach the screens through the injected post-to-UI
as calls of the subscribed listeners (``call_messages`` fills in the view, ``call_letter``
moves the session); frames are only stored in the view and drawn at the screen's pace.
``wipe`` ends any call and forgets everything of the visit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from device_drivers.camera.call_video import CallVideo
from device_drivers.loudspeaker import Loudspeaker
from device_drivers.microphone import Microphone, level_dbfs
from foundation.errors import KioskError
from kiosk.call.engine import CallEngine, PartyState, PartyStatus
from kiosk.call.loop import CallLoop
from kiosk.call.signalling import CallSignalling, CallTicket
from kiosk.call.tracks import CameraTrack, MicrophoneTrack
from kiosk.controllers.call_letter import captured_page, follow_call, leave_capture
from kiosk.controllers.call_messages import note_message
from kiosk.controllers.call_sound import CallAudioOut, test_tone
from kiosk.controllers.call_view import CallPhase, CallView, estimate_minutes
from kiosk.controllers.runner import Post, call_now

log = logging.getLogger(__name__)

EngineFactory = Callable[..., Any]  # (camera, microphone, send, **options) -> CallEngine
COUNSELLOR = "counsellor"


class CallController:
    """One visitor's video call; built once, wiped with each session."""

    def __init__(self, signalling: CallSignalling, video: CallVideo, microphone: Microphone,
                 loudspeaker: Loudspeaker, *, loop: CallLoop | None = None,
                 post: Post = call_now, staff_call: Callable[[], Any] | None = None,
                 engine_factory: EngineFactory = CallEngine, poll_s: float = 0.5,
                 check_every_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.signalling, self.video, self.microphone = signalling, video, microphone
        self.loudspeaker, self.loop, self.post = loudspeaker, loop or CallLoop(), post
        self.staff_call, self.engine_factory = staff_call, engine_factory
        self.poll_s, self.check_every_s, self.clock = poll_s, check_every_s, clock
        self.view = CallView()
        self.engine: Any = None
        self.camera_track: CameraTrack | None = None
        self.mic_track: MicrophoneTrack | None = None
        self._listeners: list[Callable[[CallView], None]] = []
        self._generation = 0  # a visit's background work stops when this moves on
        self._audio_out = CallAudioOut(loudspeaker)
        self._heartbeat_s = 5.0
        self._devices_open = False
        self._session: Any = None
        self._teardown: Any = None  # the last wipe's hang-up, awaited by close()
        self._visit = -1

    # --- listeners ---------------------------------------------------------------------

    def subscribe(self, listener: Callable[[CallView], None]) -> None:
        """Call ``listener(view)`` on the UI thread after every change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[CallView], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self) -> None:
        """Tell the listeners about a change made from outside (demo data for screenshots)."""
        self._changed()

    def _changed(self) -> None:
        def tell() -> None:
            self._move_session()
            for listener in list(self._listeners):
                listener(self.view)

        self.post(tell)

    def _move_session(self) -> None:
        """Take the visitor's session to the step that fits the call (on the UI thread)."""
        session = self._session
        if session is None or session.visit != self._visit:
            return
        follow_call(session, self.view)

    def _fail(self, exc: KioskError) -> None:
        self.view.error = exc.code
        self._changed()

    # --- device check and consent --------------------------------------------------------

    def open_device_check(self, session: Any = None) -> None:
        """Open camera, microphone and loudspeaker; show the self view and level.

        ``session`` (the visitor's) then follows the call: consent, waiting room, call,
        goodbye."""
        if session is not None:
            self._session, self._visit = session, session.visit
        self.view.phase, self.view.error = CallPhase.CHECK, None
        if not self._devices_open:
            try:
                self.video.open()
                self.microphone.open()
                self.loudspeaker.open()
            except KioskError as exc:
                self._fail(exc)
                return
            self._devices_open = True  # a shared camera counts its users: open once
        self.loop.submit(self._sample_devices(self._generation))
        self._changed()

    async def _sample_devices(self, generation: int) -> None:
        block = round(self.microphone.sample_rate * self.check_every_s)
        while self.view.phase is CallPhase.CHECK and generation == self._generation:
            try:
                self.view.self_view = await asyncio.to_thread(self.video.read_frame)
                samples = await asyncio.to_thread(self.microphone.read, block)
                self.view.mic_level_dbfs = level_dbfs(samples)
            except KioskError as exc:
                self._fail(exc)
                return
            self._changed()
            await asyncio.sleep(self.check_every_s)

    def play_test_tone(self, seconds: float = 1.0) -> None:
        """A 1 kHz tone through the loudspeaker at the current volume."""
        tone = test_tone(self.loudspeaker.sample_rate, seconds)
        self.loudspeaker.volume = self.view.volume
        try:
            self.loudspeaker.play(tone)
        except KioskError as exc:
            self._fail(exc)

    def devices_ok(self) -> None:
        """The visitor saw and heard themselves: on to the consent."""
        self.view.phase = CallPhase.CONSENT
        self._changed()

    # --- starting --------------------------------------------------------------------

    def start_walk_in(self, language: str, topic: str, location: str = "") -> None:
        """Consent given: join the queue for the next counsellor."""
        self._start(lambda: self.signalling.start(language, topic, location))

    def join_with_code(self, code: str) -> None:
        """Consent given: join a booked appointment by its invitation code."""
        self._start(lambda: self.signalling.join(code))

    def join_with_letter(self, image: np.ndarray) -> None:
        """Consent given: join the appointment whose letter the camera sees (its QR code)."""
        self._start(lambda: self.signalling.join_with_letter(image))

    def join_with_camera(self) -> None:
        """Consent given: join by the QR code of the letter held up to the call camera."""
        self._start(lambda: self.signalling.join_with_letter(self.video.read_frame()))

    def clear_error(self) -> None:
        """The visitor moves on from a refusal (another code, or back): forget it."""
        self.view.error = None
        self._changed()

    def _start(self, request: Callable[[], CallTicket]) -> None:
        self.view.error, self.view.starting = None, True
        self._changed()
        self.loop.submit(self._open_call(request, self._generation))

    async def _open_call(self, request: Callable[[], CallTicket], generation: int) -> None:
        try:
            ticket = await asyncio.to_thread(request)
        except KioskError as exc:
            self.view.starting = False
            self._fail(exc)
            return
        self.view.starting = False
        if generation != self._generation:  # the visitor left meanwhile
            await asyncio.to_thread(self.signalling.hangup, ticket.call_id)
            return
        view = self.view
        view.phase, view.call_id = CallPhase.WAITING, ticket.call_id
        view.position, view.estimate_min = ticket.position, estimate_minutes(
            ticket.estimated_wait_s)
        self._heartbeat_s = ticket.heartbeat_s
        self.camera_track, self.mic_track = CameraTrack(self.video), MicrophoneTrack(
            self.microphone)
        self.engine = self.engine_factory(
            self.camera_track, self.mic_track, self._send, ice_servers=ticket.ice_servers,
            on_change=self._on_party, video_sink=self._on_video, audio_sink=self._on_audio)
        self.engine.start()
        self._changed()
        await self._follow(generation)

    # --- while the call lasts ------------------------------------------------------------

    async def _follow(self, generation: int) -> None:
        last_status = self.clock()
        while generation == self._generation and self.view.phase in (
                CallPhase.WAITING, CallPhase.IN_CALL):
            asked, messages = time.monotonic(), []
            try:  # the agent answers when a message arrives, at the latest after poll_s
                messages = await asyncio.to_thread(self.signalling.messages, self.poll_s)
                for message in messages:
                    await self._handle(message)
                if self.clock() - last_status >= self._heartbeat_s:
                    last_status = self.clock()
                    await self._refresh_status()
            except KioskError as exc:
                log.info("call signalling hiccup (%s)", exc.code)
            if not messages:  # an agent that did not wait (or failed): look every poll_s
                await asyncio.sleep(max(0.0, self.poll_s - (time.monotonic() - asked)))

    async def _refresh_status(self) -> None:
        assert self.view.call_id is not None
        status = await asyncio.to_thread(self.signalling.status, self.view.call_id)
        if status.state == "ended":
            await self._finish(status.ended_reason or "ended", hang_up=False)
            return
        self.view.position = status.position
        self.view.estimate_min = estimate_minutes(status.estimated_wait_s)
        self._changed()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind, body = message.get("type"), message.get("body") or {}
        view = self.view
        if body.get("call_id") != view.call_id:
            return
        party = str(body.get("from", ""))
        if kind == "call.offer" and party in (COUNSELLOR, "guest"):
            await self.engine.handle_offer(party, str(body.get("sdp", "")),
                                           body.get("ice_servers"))
        elif kind == "call.party" and body.get("state") in ("left", "removed"):
            await self.engine.party_left(str(body.get("party")))
            view.chat.pop(str(body.get("party")), None)
        elif kind == "call.ended":
            await self._finish(str(body.get("reason", "ended")), hang_up=False)
            return
        else:
            note_message(view, str(kind), body)
        self._changed()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.view.call_id is not None
        if message.get("type") == "reoffer":
            await asyncio.to_thread(self.signalling.ask_reoffer, self.view.call_id,
                                    str(message["to"]))
            return
        await asyncio.to_thread(self.signalling.send_answer, self.view.call_id,
                                str(message["to"]), str(message["sdp"]))

    def _on_party(self, party: str, status: PartyStatus) -> None:
        if party != COUNSELLOR:
            return
        view = self.view
        if status.state is PartyState.CONNECTED:
            view.phase, view.connected, view.reconnecting = CallPhase.IN_CALL, True, False
        elif status.state is PartyState.RECONNECTING:
            view.reconnecting = True
        elif status.state is PartyState.LOST:
            self.loop.submit(self._finish("connection_lost", hang_up=True))
        self._changed()

    def _on_video(self, party: str, frame: av.VideoFrame) -> None:
        if party == COUNSELLOR:
            self.view.remote_frame = frame.to_ndarray(format="rgb24")
        if self.camera_track is not None:
            self.view.self_view = self.camera_track.self_view

    def _on_audio(self, party: str, frame: av.AudioFrame) -> None:
        self._audio_out.play(party, frame)

    # --- "show me the letter" ----------------------------------------------------------

    def show_page(self, request_id: str, image: np.ndarray) -> None:
        """The visitor confirmed the page the counsellor asked for: show it to them. It is
        kept in memory for this call only, unless the counsellor has it handed in."""
        self.view.shown_pages[request_id] = image
        if self.engine is not None:
            self.loop.submit(self.engine.send_page(COUNSELLOR, request_id, image))
        self._changed()

    def show_captured_page(self) -> None:
        """The visitor confirmed the page in the capture steps: show it, back to the call."""
        session, request_id = self._session, self.view.capturing_for
        if session is None or request_id is None:
            return
        self.show_page(request_id, captured_page(session))
        self.view.page_documents[request_id] = session.current_document
        self.view.capturing_for = None
        leave_capture(session)

    # --- the visitor's controls ------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute the microphone (the level meter keeps moving)."""
        self.view.muted = muted
        if self.mic_track is not None:
            self.mic_track.muted = muted
        self._changed()

    def set_camera(self, on: bool) -> None:
        """Camera on or off (off sends black; the "camera on" light follows this)."""
        self.view.camera_on = on
        if self.camera_track is not None:
            self.camera_track.enabled = on
        self._changed()

    def set_volume(self, volume: float) -> None:
        """Loudness of the call, 0.0–1.0."""
        self.view.volume = self.loudspeaker.volume = max(0.0, min(volume, 1.0))
        self._changed()

    def send_chat(self, text: str, final: bool) -> None:
        """The visitor's chat line to the others."""
        call_id = self.view.call_id
        if call_id is not None:
            self.loop.submit(asyncio.to_thread(self.signalling.send_chat, call_id, text, final))

    def call_staff(self) -> None:
        """Ask a member of staff to the terminal (the call goes on)."""
        self.view.staff_called = True
        if self.staff_call is not None:
            self.loop.submit(asyncio.to_thread(self.staff_call))
        self._changed()

    def request_end(self) -> None:
        """First touch on "end call": ask for confirmation."""
        self.view.confirm_end = True
        self._changed()

    def cancel_end(self) -> None:
        """The visitor wants to go on."""
        self.view.confirm_end = False
        self._changed()

    def confirm_end(self) -> None:
        """The visitor confirmed: hang up."""
        self.view.confirm_end = False
        self.loop.submit(self._finish("hangup", hang_up=True))

    async def _finish(self, reason: str, *, hang_up: bool) -> None:
        call_id, engine = self.view.call_id, self.engine
        self.view.phase, self.view.ended_reason = CallPhase.ENDED, reason
        self.view.shown_pages = {r: page for r, page in self.view.shown_pages.items()
                                 if r in self.view.hand_in_requests}  # the rest is not kept
        self.view.connected = self.view.reconnecting = False
        self.engine = self.camera_track = self.mic_track = None
        await self._tear_down(call_id if hang_up else None, engine)
        self._changed()

    async def _tear_down(self, hang_up_id: str | None, engine: Any) -> None:
        if engine is not None:
            await engine.close()
        if hang_up_id is not None:
            try:
                await asyncio.to_thread(self.signalling.hangup, hang_up_id)
            except KioskError as exc:
                log.info("hang-up not delivered (%s); the server ends it by heartbeat",
                         exc.code)

    def wipe(self) -> None:
        """End any call and forget everything of the visit."""
        self._generation += 1
        open_call = self.view.call_id if self.view.phase is not CallPhase.ENDED else None
        if open_call is not None or self.engine is not None:
            self._teardown = self.loop.submit(self._tear_down(open_call, self.engine))
        self.engine = self.camera_track = self.mic_track = None
        self.view = CallView()
        self._audio_out.clear()
        if self._devices_open:
            self._devices_open = False
            for device in (self.video, self.microphone, self.loudspeaker):
                try:
                    device.close()
                except KioskError:
                    log.warning("closing a call device failed")
        self._changed()

    def leave(self) -> None:
        """The visitor leaves the waiting room or the check (BACK): hang up, keep nothing."""
        self.wipe()

    def close(self) -> None:
        """Shut down: end any call and stop the call loop."""
        self.wipe()
        if self._teardown is not None:
            with contextlib.suppress(Exception):
                self._teardown.result(timeout=5)
        self.loop.stop()
