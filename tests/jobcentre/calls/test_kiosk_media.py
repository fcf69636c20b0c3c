"""The kiosk side of the contract with real WebRTC: an aiortc kiosk (as the kiosk branch builds
it) answers the counsellor's and then the guest's complete SDP offers from the live channel
with signed ``signal`` requests; in the three-party mesh every browser receives video and
audio from both others and the kiosk receives frames from both; the kiosk's chat line shows
in the console; ending the call reaches the kiosk. Server and browsers run in the session's
network namespace; the aiortc kiosk runs in this process and offers one host candidate, the
host-side veth address (aioice never offers loopback, and must not offer the machine's
interfaces)."""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from collections.abc import Iterator
from typing import Any

import aioice.ice
import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from playwright.sync_api import Browser

from tests.jobcentre.calls.conftest import VideoSite, WaitingKiosk, start_video_site
from tests.jobcentre.calls.netns import NetNs
from tests.jobcentre.calls.test_browser import _context, _stats
from tests.jobcentre.staff.conftest import log_in


class PatternTrack(VideoStreamTrack):
    """Grey frames with a moving bar, 320×240."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.full((240, 320, 3), 128, dtype=np.uint8)
        image[:, (pts // 3000) % 320] = 255
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base or fractions.Fraction(1, 90000)
        return frame


class AiortcKiosk:
    """Answers offers from the live channel; counts the frames it receives."""

    def __init__(self, waiting: WaitingKiosk) -> None:
        self.waiting = waiting
        self.frames = 0
        self.events: list[str] = []
        self.peers: dict[str, RTCPeerConnection] = {}
        self.candidates: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    async def _http(self, method: str, path: str, body: dict[str, Any]) -> Any:
        answer = await asyncio.to_thread(self.waiting.kiosk.call, method, path, body)
        return answer.json()

    async def _run(self) -> None:
        cursor = 0
        while not self._stop.is_set():
            polled = await self._http("POST", "/api/v1/live/poll", {"after": cursor, "wait": 1})
            for message in polled["messages"]:
                cursor = message["seq"]
                self.events.append(message["type"])
                if message["type"] == "call.offer":
                    await self._answer(message["body"])
                elif message["type"] == "call.ended":
                    for pc in self.peers.values():
                        await pc.close()
        for pc in self.peers.values():
            await pc.close()

    async def _answer(self, body: dict[str, Any]) -> None:
        pc = RTCPeerConnection()
        self.peers[body["from"]] = pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                task = asyncio.ensure_future(self._count(track))
                task.add_done_callback(lambda t: t.cancelled() or t.exception())

        pc.addTrack(AudioStreamTrack())
        pc.addTrack(PatternTrack())
        await pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        self.candidates += [line.split()[4] for line in pc.localDescription.sdp.splitlines()
                            if line.startswith("a=candidate:")]
        await self._http("POST", f"/api/v1/calls/{body['call_id']}/signal", {
            "type": "answer", "to": body["from"], "sdp": pc.localDescription.sdp})

    async def _count(self, track: MediaStreamTrack) -> None:
        while True:
            await track.recv()
            self.frames += 1

    def close(self) -> None:
        """Stop polling and close the peer connections."""
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, netns: NetNs) -> Iterator[VideoSite]:
    video = start_video_site(tmp_path_factory.mktemp("kiosk-media"), {}, netns)
    try:
        yield video
    finally:
        video.server.stop()


def test_aiortc_kiosk_counsellor_and_guest_mesh(
        media_browser: Browser, site: VideoSite, netns: NetNs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # aioice gathers host candidates from every interface; only the veth end may be used.
    monkeypatch.setattr(aioice.ice, "get_host_addresses",
                        lambda use_ipv4, use_ipv6: [netns.host_ip])
    waiting = WaitingKiosk(site.server, "Foyer links")
    context, guest_ctx = _context(media_browser), _context(media_browser)
    kiosk: AiortcKiosk | None = None
    try:
        call_id = waiting.start_call(language="de", topic="documents")
        kiosk = AiortcKiosk(waiting)
        page = context.new_page()
        log_in(page, site, "clara")  # type: ignore[arg-type]
        page.goto(f"{site.url}/staff/calls")
        page.locator("#queue button[data-accept]").click()
        got = _stats(page, "consoleClient", "kiosk", "s.framesDecoded > 5 && s.audioSamples > 0")
        assert (got["frameWidth"], got["frameHeight"]) == (320, 240)
        deadline = time.monotonic() + 15
        while kiosk.frames < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kiosk.frames >= 5, "the kiosk received no video from the counsellor"
        # Three parties: a guest joins, offers to the kiosk and to the counsellor (mesh).
        page.locator("#invite").click()
        link = page.locator("#invite-link")
        link.wait_for(state="visible")
        guest = guest_ctx.new_page()
        guest.goto(link.inner_text())
        guest.locator("#guest-name").fill("Olena")
        guest.locator("#join-form button[type=submit]").click()
        _stats(guest, "guestClient", "kiosk", "s.framesDecoded > 5 && s.audioSamples > 0")
        _stats(guest, "guestClient", "counsellor", "s.framesDecoded > 5 && s.audioSamples > 0")
        _stats(page, "consoleClient", "guest", "s.framesDecoded > 5 && s.audioSamples > 0")
        assert sorted(kiosk.peers) == ["counsellor", "guest"]
        assert set(kiosk.candidates) == {netns.host_ip}, kiosk.candidates
        frames = kiosk.frames
        deadline = time.monotonic() + 10
        while kiosk.frames < frames + 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kiosk.frames >= frames + 20
        waiting.kiosk.call("POST", f"/api/v1/calls/{call_id}/signal",
                           {"type": "chat", "text": "Ich höre Sie", "final": True})
        page.wait_for_function(
            "() => document.getElementById('chat-log').innerText.includes('Ich höre Sie')")
        page.locator("#end").click()
        page.locator("#lobby").wait_for(state="visible")
        deadline = time.monotonic() + 10
        while "call.ended" not in kiosk.events and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kiosk.events.count("call.accepted") == 1 and "call.ended" in kiosk.events
    finally:
        if kiosk is not None:
            kiosk.close()
        context.close()
        guest_ctx.close()
        waiting.close()
