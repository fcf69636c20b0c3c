"""The call mesh: one ``PeerLink`` per party (at most two others), stalls and reconnection.

The kiosk answers every offer (docs/video.md: the party that arrives offers). It sends one
camera and one microphone to every peer through ``MediaRelay().subscribe()``. A watch task
(every ``tick_s``) judges each party by what actually arrives, so the screen says the
truth:

    CONNECTING ─media arrives→ CONNECTED ─no media for stall_s / ICE failed→ RECONNECTING
    RECONNECTING ─media again (same or fresh link)→ CONNECTED
    RECONNECTING / CONNECTING ─nothing for give_up_s→ LOST
    any ─the party closed its connection (DTLS close) or the server says it left→ LEFT

aiortc cannot restart ICE on a connection, so recovering means a fresh peer connection
and a new offer/answer. As answerer (the kiosk) the engine replaces a party's link when
that party sends a new offer, and asks for one (signal ``reoffer``) when a party stays
``RECONNECTING`` for ``reoffer_s`` or its video stopped for ``video_stall_s`` while its audio
still flows (a browser can suspend video after a drop and never resume it). As offerer
(``role="offer"``, used by the far side in tests and benchmarks) it sends a fresh offer
every ``attempt_s`` until media flows again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from aiortc.contrib.media import MediaRelay

from foundation.errors import CallError
from kiosk.call.adaptation import VideoLadder
from kiosk.call.pages import encode_page
from kiosk.call.peer import AudioSink, PeerLink, VideoSink, log_task_error
from kiosk.call.tracks import CameraTrack, MicrophoneTrack, PeerVideo

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


class PartyState(StrEnum):
    """How the connection to one party is, judged by what arrives."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    LOST = "lost"
    LEFT = "left"


@dataclass
class PartyStatus:
    """One party's state, since when, and how often its link was rebuilt."""

    state: PartyState
    since: float
    renegotiations: int = 0
    connected_at: float | None = None
    reoffer_asked_at: float = float("-inf")


class CallEngine:
    """Peer connections to the other parties of one call."""

    def __init__(self, camera: CameraTrack, microphone: MicrophoneTrack, send: Send, *,
                 role: Literal["answer", "offer"] = "answer",
                 ice_servers: Iterable[dict[str, Any]] = (), max_parties: int = 2,
                 stall_s: float = 2.0, attempt_s: float = 4.0, give_up_s: float = 30.0,
                 video_stall_s: float = 4.0, reoffer_s: float = 8.0,
                 tick_s: float = 0.25, adapt_every_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[str, PartyStatus], None] | None = None,
                 video_sink: VideoSink | None = None,
                 audio_sink: AudioSink | None = None) -> None:
        self.camera, self.microphone, self.send, self.role = camera, microphone, send, role
        self.ice_servers = list(ice_servers)
        self.max_parties, self.clock = max_parties, clock
        self.stall_s, self.attempt_s, self.give_up_s = stall_s, attempt_s, give_up_s
        self.video_stall_s, self.reoffer_s = video_stall_s, reoffer_s
        self.tick_s, self.adapt_every_s = tick_s, adapt_every_s
        self.on_change, self.video_sink, self.audio_sink = on_change, video_sink, audio_sink
        self.relay = MediaRelay()
        self.ladder = VideoLadder()
        self.links: dict[str, PeerLink] = {}
        self.status: dict[str, PartyStatus] = {}
        self._watch: asyncio.Task[None] | None = None
        self._last_adapt = float("-inf")
        self.closed = False

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start watching the parties (call inside the running loop)."""
        if self._watch is None:
            self._watch = asyncio.ensure_future(self._watch_loop())
            self._watch.add_done_callback(log_task_error)

    async def close(self) -> None:
        """Hang up on everyone and release the local tracks."""
        self.closed = True
        if self._watch is not None:
            self._watch.cancel()
        for party in list(self.links):
            await self._drop(party, PartyState.LEFT)
        self.camera.stop()
        self.microphone.stop()

    def _new_link(self, party: str) -> PeerLink:
        tracks = [self.relay.subscribe(self.microphone),
                  PeerVideo(self.relay.subscribe(self.camera))]
        return PeerLink(party, tracks, self.ice_servers, video_sink=self.video_sink,
                        audio_sink=self.audio_sink, clock=self.clock)

    def _set(self, party: str, state: PartyState) -> None:
        status = self.status.get(party)
        now = self.clock()
        if status is None:
            status = self.status[party] = PartyStatus(state, now)
        elif status.state is state:
            return
        status.state, status.since = state, now
        if state is PartyState.CONNECTED:
            status.connected_at = now
        log.info("call party %s is %s", party, state.value)
        if self.on_change is not None:
            self.on_change(party, status)

    async def _replace_link(self, party: str) -> PeerLink:
        old = self.links.pop(party, None)
        if old is not None:
            await old.close()
            self.status[party].renegotiations += 1
        link = self.links[party] = self._new_link(party)
        return link

    # --- signalling in ---------------------------------------------------------------

    async def handle_offer(self, party: str, sdp: str,
                           ice_servers: Iterable[dict[str, Any]] | None = None) -> None:
        """Answer ``party``'s offer on a fresh connection (a repeat offer renegotiates)."""
        if self.closed:
            raise CallError("the call is over", code="call_ended")
        if party not in self.links and len(self.links) >= self.max_parties:
            raise CallError("the call already has three parties", code="call_full")
        if ice_servers is not None:
            self.ice_servers = list(ice_servers)
        known = party in self.status and self.status[party].state in (
            PartyState.CONNECTED, PartyState.RECONNECTING)
        link = await self._replace_link(party)
        self._set(party, PartyState.RECONNECTING if known else PartyState.CONNECTING)
        answer = await link.make_answer(sdp)
        await self.send({"type": "answer", "to": party, "sdp": answer})

    async def handle_answer(self, party: str, sdp: str) -> None:
        """Apply ``party``'s answer to our latest offer."""
        link = self.links.get(party)
        if link is None:
            raise CallError("answer from a party we did not call", code="party_absent")
        await link.accept_answer(sdp)

    async def send_page(self, party: str, request_id: str, image: np.ndarray) -> bool:
        """Show ``party`` a captured page (JPEG over its documents channel); False if it
        has no such channel open."""
        jpeg = await asyncio.to_thread(encode_page, image)
        link = self.links.get(party)
        sent = link is not None and await link.send_page(request_id, jpeg)
        if not sent:
            log.warning("call party %s has no documents channel: page not shown", party)
        return sent

    async def party_left(self, party: str) -> None:
        """The server says ``party`` left or was removed."""
        await self._drop(party, PartyState.LEFT)

    async def call(self, party: str) -> None:
        """Offer to ``party`` (offerer role; also each reconnection attempt)."""
        if party not in self.status:
            self._set(party, PartyState.CONNECTING)
        link = await self._replace_link(party)
        offer = await link.make_offer()
        await self.send({"type": "offer", "to": party, "sdp": offer})

    async def _drop(self, party: str, state: PartyState) -> None:
        link = self.links.pop(party, None)
        if link is not None:
            await link.close()
        if party in self.status:
            self._set(party, state)

    # --- watching --------------------------------------------------------------------

    async def _watch_loop(self) -> None:
        # Offers and hang-ups change ``links`` while a tick awaits: iterate over copies, and
        # let no single failed tick end the watching (then nothing would say "reconnecting").
        while not self.closed:
            await asyncio.sleep(self.tick_s)
            try:
                for party in list(self.links):
                    await self._judge(party)
                if self.clock() - self._last_adapt >= self.adapt_every_s:
                    self._last_adapt = self.clock()
                    await self._adapt()
            except Exception:  # noqa: BLE001 - logged; the next tick judges afresh
                log.exception("call watch tick failed")

    async def _judge(self, party: str) -> None:
        link, status, now = self.links.get(party), self.status.get(party), self.clock()
        if link is None or status is None:
            return  # dropped or replaced while an earlier party was judged
        if link.state == "closed" and not link.closed:
            await self._drop(party, PartyState.LEFT)  # the party hung up (DTLS close)
            return
        last = link.media.last_media_at
        fresh = last is not None and now - last < self.stall_s and last >= link.created_at
        if fresh:
            self._set(party, PartyState.CONNECTED)
            seen = link.media.last_video_at
            if seen is not None and now - seen >= self.video_stall_s:
                await self._ask_reoffer(party, status, now)  # sound, but the picture froze
            return
        if status.state is PartyState.CONNECTED:
            self._set(party, PartyState.RECONNECTING)
            status = self.status[party]
        if now - status.since >= self.give_up_s:
            await self._drop(party, PartyState.LOST)
        elif (self.role == "offer" and status.state is PartyState.RECONNECTING
              and now - link.created_at >= self.attempt_s):
            try:
                await self.call(party)
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.warning("call party %s: new offer failed", party, exc_info=True)
        elif status.state is PartyState.RECONNECTING and now - status.since >= self.reoffer_s:
            await self._ask_reoffer(party, status, now)

    async def _ask_reoffer(self, party: str, status: PartyStatus, now: float) -> None:
        """As answerer, ask ``party`` for a fresh offer (at most every ``reoffer_s``): a
        link that stays broken, or video that stopped while audio flows (a browser that
        suspended its video after a drop), is rebuilt that way."""
        if self.role != "answer" or now - status.reoffer_asked_at < self.reoffer_s:
            return
        status.reoffer_asked_at = now
        try:
            await self.send({"type": "reoffer", "to": party})
        except Exception:  # noqa: BLE001 - asked again after reoffer_s
            log.warning("call party %s: asking for a new offer failed", party)

    async def _adapt(self) -> None:
        worst_loss, worst_rtt = 0.0, 0.0
        for link in list(self.links.values()):
            if link.state == "connected":
                loss, rtt = await link.outbound_loss()
                worst_loss, worst_rtt = max(worst_loss, loss), max(worst_rtt, rtt)
        tier = self.ladder.update(worst_loss, worst_rtt, self.clock())
        if tier != self.camera.tier:
            log.info("call video now %dx%d at %d fps", tier.width, tier.height, tier.fps)
            self.camera.tier = tier
