"""One peer connection to one party: negotiation without trickle, remote media, stats.

aiortc's ``setLocalDescription`` returns only when ICE gathering is complete, so every
description sent is complete (no trickled candidates): ``make_offer`` / ``make_answer``
return SDP ready to send. Remote tracks are read by tasks of their own (each with a
done-callback that logs what went wrong); every frame updates ``PartyMedia`` (resolution,
frame rate, last arrival, the negotiated audio codec) and goes to the sinks the caller
gave (the screen's video view, the loudspeaker). A peer connection is never reused after
a failure: aiortc has no ICE restart, so the engine builds a fresh ``PeerLink`` instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import SessionDescription

log = logging.getLogger(__name__)

VideoSink = Callable[[str, av.VideoFrame], None]
DOCUMENTS_CHANNEL = "documents"  # the counsellor's browser opens it (docs/video.md)
PAGE_CHUNK = 16 * 1024  # below every browser's SCTP message limit
AudioSink = Callable[[str, av.AudioFrame], None]


@dataclass
class PartyMedia:
    """What arrives from one party (for the screens, the adaptation and the tests)."""

    video_frames: int = 0
    audio_frames: int = 0
    width: int = 0
    height: int = 0
    audio_rate: int = 0
    first_video_at: float | None = None
    last_media_at: float | None = None
    last_video_at: float | None = None
    audio_codec: str = ""
    video_codec: str = ""
    _video_times: deque[float] = field(default_factory=lambda: deque(maxlen=60))

    @property
    def fps(self) -> float:
        """Frames per second over the last (up to) 60 frames."""
        times = self._video_times
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])


def ice_configuration(ice_servers: Iterable[dict[str, Any]]) -> RTCConfiguration:
    """The contract's ``ice_servers`` list as aiortc configuration."""
    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"),
                            credential=s.get("credential"))
               for s in ice_servers if isinstance(s, dict) and s.get("urls")]
    return RTCConfiguration(iceServers=servers)


def negotiated_codecs(sdp: str) -> dict[str, str]:
    """The codec each media kind uses after an answer (``{"audio": "opus/48000/2"}``)."""
    codecs: dict[str, str] = {}
    for media in SessionDescription.parse(sdp).media:
        if media.port and media.rtp.codecs:
            first = media.rtp.codecs[0]
            codecs[media.kind] = f"{first.mimeType.split('/')[-1].lower()}/{first.clockRate}" + (
                f"/{first.channels}" if first.channels else "")
    return codecs


def log_task_error(task: asyncio.Task[Any]) -> None:
    """Done-callback for background tasks: their errors are logged, not lost."""
    if not task.cancelled() and task.exception() is not None:
        log.error("call media task failed", exc_info=task.exception())


class PeerLink:
    """The peer connection to ``party``, with the kiosk's (relayed) tracks on it."""

    def __init__(self, party: str, local_tracks: Iterable[MediaStreamTrack],
                 ice_servers: Iterable[dict[str, Any]] = (), *,
                 video_sink: VideoSink | None = None, audio_sink: AudioSink | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.party, self.clock = party, clock
        self.pc = RTCPeerConnection(ice_configuration(ice_servers))
        self.local_tracks = list(local_tracks)
        self.media = PartyMedia()
        self.created_at = clock()
        self.closed = False
        self.remote_ended = asyncio.Event()
        self._video_sink, self._audio_sink = video_sink, audio_sink
        self._tasks: list[asyncio.Task[None]] = []
        self.documents: Any = None  # the counsellor's "documents" data channel, once open
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_channel)

    def _on_channel(self, channel: Any) -> None:
        if channel.label == DOCUMENTS_CHANNEL:
            self.documents = channel

    async def send_page(self, request_id: str, jpeg: bytes) -> bool:
        """Send one page (JPEG) on the documents channel: a JSON header, the bytes in
        chunks, a JSON end mark. False if the party opened no such channel."""
        channel = self.documents
        if channel is None or channel.readyState != "open":
            return False
        channel.send(json.dumps({"type": "page", "request_id": request_id,
                                 "size": len(jpeg), "mime": "image/jpeg"}))
        for start in range(0, len(jpeg), PAGE_CHUNK):
            channel.send(jpeg[start:start + PAGE_CHUNK])
            while channel.bufferedAmount > 4 * PAGE_CHUNK:
                await asyncio.sleep(0.01)
        channel.send(json.dumps({"type": "end", "request_id": request_id}))
        return True

    @property
    def state(self) -> str:
        """aiortc's connection state (new, connecting, connected, failed, closed)."""
        return str(self.pc.connectionState)

    def _on_track(self, track: MediaStreamTrack) -> None:
        task = asyncio.ensure_future(self._consume(track))
        task.add_done_callback(log_task_error)
        self._tasks.append(task)

    async def _consume(self, track: MediaStreamTrack) -> None:
        media = self.media
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                if not self.closed:
                    self.remote_ended.set()
                return
            now = self.clock()
            media.last_media_at = now
            if isinstance(frame, av.VideoFrame):
                media.video_frames += 1
                media.width, media.height = frame.width, frame.height
                media._video_times.append(now)
                media.last_video_at = now
                if media.first_video_at is None:
                    media.first_video_at = now
                if self._video_sink is not None:
                    self._video_sink(self.party, frame)
            elif isinstance(frame, av.AudioFrame):
                media.audio_frames += 1
                media.audio_rate = frame.sample_rate
                if self._audio_sink is not None:
                    self._audio_sink(self.party, frame)

    def _note_codecs(self) -> None:
        description = self.pc.localDescription if self.pc.localDescription and \
            self.pc.localDescription.type == "answer" else self.pc.remoteDescription
        if description is not None:
            codecs = negotiated_codecs(description.sdp)
            self.media.audio_codec = codecs.get("audio", "")
            self.media.video_codec = codecs.get("video", "")

    async def make_offer(self) -> str:
        """A complete SDP offer with the kiosk's tracks (waits for ICE gathering)."""
        for track in self.local_tracks:
            self.pc.addTransceiver(track, direction="sendrecv")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        """Apply the party's answer to our offer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        self._note_codecs()

    async def make_answer(self, offer_sdp: str) -> str:
        """A complete SDP answer to the party's offer, sending the kiosk's tracks."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for track in self.local_tracks:
            self.pc.addTrack(track)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self._note_codecs()
        return str(self.pc.localDescription.sdp)

    async def close(self) -> None:
        """Close the connection (tells the party over DTLS) and stop reading its media."""
        if self.closed:
            return
        self.closed = True
        await self.pc.close()
        for track in self.local_tracks:
            track.stop()
        for task in self._tasks:
            task.cancel()

    async def outbound_loss(self) -> tuple[float, float]:
        """(fraction of our video packets the party lost, round-trip time s) from RTCP."""
        loss, rtt = 0.0, 0.0
        report = await self.pc.getStats()
        for stats in report.values():
            if getattr(stats, "type", "") == "remote-inbound-rtp" and stats.kind == "video":
                loss = max(loss, float(stats.fractionLost or 0.0))
                rtt = max(rtt, float(stats.roundTripTime or 0.0))
        return loss, rtt
