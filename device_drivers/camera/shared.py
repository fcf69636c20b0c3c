"""One owner for a camera that the document capture and a video call both use.

A V4L2 device can be opened by one reader at a time, and ``OpenCVCamera`` hands each
frame to exactly one caller, so two users of the same camera would steal frames from each
other. ``SharedCamera`` is the single owner: it opens the device when its first user opens
it and closes it when the last one closes (reference counted), and fans frames out: a
``read_frame`` within ``max_age_s`` of the last one gets that frame again (a copy) instead
of taking a new one from the device. Device access is serialised by one lock, so a
``capture_still`` for the document makes the call's video pause for the still's duration
(a fraction of a second) rather than corrupt either. It implements the ``Camera``
protocol itself, so every user keeps talking to "a camera".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from device_drivers.camera.protocol import Camera


class SharedCamera:
    """A reference-counted, fanned-out view of one camera."""

    def __init__(self, camera: Camera, *, max_age_s: float = 0.02,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.camera, self.max_age_s, self.clock = camera, max_age_s, clock
        self.users = 0
        self._lock = threading.RLock()
        self._frame: np.ndarray | None = None
        self._frame_at = float("-inf")
        self.device_reads = 0

    def open(self) -> None:
        """Open the device for the first user; later users just join."""
        with self._lock:
            if self.users == 0:
                self.camera.open()
            self.users += 1

    def read_frame(self) -> np.ndarray:
        """The newest frame; a fresh one from the device only when the last is too old."""
        with self._lock:
            now = self.clock()
            if self._frame is None or now - self._frame_at > self.max_age_s:
                self._frame = self.camera.read_frame()
                self._frame_at = now
                self.device_reads += 1
            return self._frame.copy()

    def capture_still(self) -> np.ndarray:
        """A full-resolution still; other users wait while it is taken."""
        with self._lock:
            return self.camera.capture_still()

    def close(self) -> None:
        """Leave; the last user's close releases the device."""
        with self._lock:
            if self.users == 0:
                return
            self.users -= 1
            if self.users == 0:
                self.camera.close()
                self._frame = None

    def describe(self) -> dict[str, Any]:
        """The device's own description."""
        return self.camera.describe()

    def check(self) -> tuple[bool, str]:
        """The device's own check."""
        with self._lock:
            return self.camera.check()
