"""The camera image a video call sends: frames at call size from any ``Camera``.

``CallVideo`` reads a camera's preview frames and scales them to the call's size
(letterboxed, aspect kept). The real source for a call is a V4L2 camera through
``OpenCVCamera`` (its own device, or the document camera through ``SharedCamera`` when
it is the same device); the simulated one is the simulated camera's images with a
timestamp overlay: the sender's clock in milliseconds, as large digits and as a row of
black/white cells that survive video compression, so ``read_timestamp`` on the far side
gives the glass-to-glass latency. Pacing belongs to the consumer (the call's video track
asks for a frame when its clock says one is due): nothing here runs on a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from device_drivers.camera.protocol import Camera

STAMP_BITS = 32
_CELLS = 40  # the stamp is 32 cells of width/40 plus a margin of 4 cells on either side


class CallVideo:
    """Frames of ``width``×``height`` (BGR) from a camera, optionally time-stamped."""

    def __init__(self, camera: Camera, width: int = 640, height: int = 480, fps: int = 20, *,
                 stamp_clock: Callable[[], float] | None = None) -> None:
        self.camera, self.width, self.height, self.fps = camera, width, height, fps
        self.stamp_clock = stamp_clock
        self.frames = 0

    def open(self) -> None:
        """Open the camera (joins it if shared)."""
        self.camera.open()

    def read_frame(self) -> np.ndarray:
        """The next frame at call size."""
        frame = fit_frame(self.camera.read_frame(), self.width, self.height)
        if self.stamp_clock is not None:
            stamp_frame(frame, int(self.stamp_clock() * 1000))
        self.frames += 1
        return frame

    def close(self) -> None:
        """Release (or leave) the camera."""
        self.camera.close()

    def describe(self) -> dict[str, Any]:
        """Camera description plus call size."""
        return {**self.camera.describe(), "call_size": [self.width, self.height],
                "fps": self.fps, "stamped": self.stamp_clock is not None}

    def check(self) -> tuple[bool, str]:
        """The camera's own check."""
        return self.camera.check()


def fit_frame(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` scaled into ``width``×``height``, aspect kept, padded black."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top:top + new_h, left:left + new_w] = resized
    return out


def stamp_frame(frame: np.ndarray, millis: int) -> None:
    """Draw ``millis`` (mod 2^32) into the top rows of ``frame``, in place."""
    h, w = frame.shape[:2]
    cell = max(4, w // _CELLS)
    value = millis % (1 << STAMP_BITS)
    frame[: cell * 2 + 4 * cell] = 0
    for bit in range(STAMP_BITS):
        if value >> (STAMP_BITS - 1 - bit) & 1:
            x = (4 + bit) * cell
            frame[cell // 2: cell // 2 + cell, x:x + cell] = 255
    cv2.putText(frame, f"{millis % 100000:05d} ms", (4 * cell, cell * 5),
                cv2.FONT_HERSHEY_SIMPLEX, cell / 12, (255, 255, 255), max(1, cell // 8))


def read_timestamp(frame: np.ndarray) -> int | None:
    """The stamp drawn by ``stamp_frame`` (any colour format, any scale), or None."""
    h, w = frame.shape[:2]
    gray = frame if frame.ndim == 2 else frame.mean(axis=2)
    cell = max(4, w // _CELLS)
    row = gray[cell // 2 + cell // 4: cell // 2 + cell - cell // 4]
    if row.size == 0:
        return None
    value = 0
    for bit in range(STAMP_BITS):
        x = (4 + bit) * cell
        level = float(row[:, x + cell // 4: x + cell - cell // 4].mean())
        if 60 < level < 190:
            return None  # neither black nor white: no stamp here
        value = value << 1 | (level >= 128)
    return value
