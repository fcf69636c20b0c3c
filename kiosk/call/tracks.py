"""The kiosk's camera and microphone as aiortc media tracks.

Each ``recv`` waits until the next frame is due by an injected ``MediaClock`` and then
asks its source for exactly one frame: the sources never run timers of their own (the
simulated camera and microphone are paced this way, which is the one place a simulator
follows time). Muting sends silence and "camera off" sends black frames, so the peer
connections and their negotiation stay as they are. The tracks keep what the device check
shows: the last frame sent (self view) and the microphone level.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import av
import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from device_drivers.camera.call_video import CallVideo
from device_drivers.microphone import Microphone, level_dbfs
from foundation.errors import KioskError

T = TypeVar("T")
AUDIO_BLOCK_S = 0.02
VIDEO_CLOCK = 90_000


async def _read(read: Callable[..., T], *args: Any) -> T:
    """Read a device in a worker thread. A device that is closed or gone ends the track the
    way aiortc expects (``MediaStreamError``): the peers stop sending, nothing is logged as
    a crashed task (the call's devices are closed while the call is being torn down)."""
    try:
        return await asyncio.to_thread(read, *args)
    except KioskError as exc:
        raise MediaStreamError(exc.code) from exc


class MediaClock(Protocol):
    """Time for pacing: ``now`` in seconds and an awaitable ``sleep``."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class VideoTier:
    """One rung of the quality ladder: frame size and rate."""

    width: int
    height: int
    fps: int


class CameraTrack(MediaStreamTrack):
    """Video from a ``CallVideo`` at the tier's size and rate."""

    kind = "video"

    def __init__(self, source: CallVideo, clock: MediaClock | None = None) -> None:
        super().__init__()
        self.source, self.clock = source, clock or MonotonicClock()
        self.tier = VideoTier(source.width, source.height, source.fps)
        self.enabled = True
        self.self_view: np.ndarray | None = None
        self.frames_sent = 0
        self._start: float | None = None
        self._next_at = 0.0
        self._pts = -1

    async def recv(self) -> av.VideoFrame:
        """The next frame, when it is due."""
        now = self.clock.now()
        if self._start is None:
            self._start = self._next_at = now
        if self._next_at > now:
            await self.clock.sleep(self._next_at - now)
        self._next_at = max(self._next_at + 1 / self.tier.fps, self.clock.now() - 0.1)
        if self.enabled:
            image = await _read(self.source.read_frame)
            self.self_view = image
            if (image.shape[1], image.shape[0]) != (self.tier.width, self.tier.height):
                image = cv2.resize(image, (self.tier.width, self.tier.height),
                                   interpolation=cv2.INTER_AREA)
        else:
            image = np.zeros((self.tier.height, self.tier.width, 3), np.uint8)
        # One conversion here instead of one per peer: the encoders get what they encode.
        planes = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420),
                                      dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = round((self.clock.now() - self._start) * VIDEO_CLOCK)
        frame.pts = self._pts = max(frame.pts, self._pts + 1)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.frames_sent += 1
        return frame


class PeerVideo(MediaStreamTrack):
    """One peer's own copy of each frame of ``source`` (a ``MediaRelay`` subscription).

    The relay hands every subscriber the same ``av.VideoFrame``, and aiortc encodes each
    peer's video in a worker thread of its own, which writes to the frame (its time base,
    the key-frame flag, PyAV's cached converter). Two peers encoding one frame at once
    crashed the kiosk in a three-party call, so each peer gets a copy of the planes."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source

    async def recv(self) -> av.VideoFrame:
        """The source's next frame, copied."""
        frame = await self.source.recv()
        assert isinstance(frame, av.VideoFrame)
        copy = av.VideoFrame.from_ndarray(frame.to_ndarray(format="yuv420p"), format="yuv420p")
        copy.pts, copy.time_base = frame.pts, frame.time_base
        return copy

    def stop(self) -> None:
        """Stop this copy and the subscription under it."""
        super().stop()
        self.source.stop()


class MicrophoneTrack(MediaStreamTrack):
    """Audio from a ``Microphone`` in 20 ms blocks of 48 kHz mono."""

    kind = "audio"

    def __init__(self, microphone: Microphone, clock: MediaClock | None = None) -> None:
        super().__init__()
        self.microphone, self.clock = microphone, clock or MonotonicClock()
        self.muted = False
        self.level_dbfs = -100.0
        self.blocks_sent = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms block, when it is due."""
        rate = self.microphone.sample_rate
        block = round(rate * AUDIO_BLOCK_S)
        now = self.clock.now()
        if self._start is None:
            self._start = now
        due = self._start + self.blocks_sent * AUDIO_BLOCK_S
        if due > now:
            await self.clock.sleep(due - now)
        samples = await _read(self.microphone.read, block)
        self.level_dbfs = level_dbfs(samples)
        if self.muted:
            samples = np.zeros_like(samples)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = self.blocks_sent * block
        frame.time_base = fractions.Fraction(1, rate)
        self.blocks_sent += 1
        return frame
