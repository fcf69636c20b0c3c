"""A UVC document camera through OpenCV ``VideoCapture`` (V4L2, MJPEG, ≥1080p).

``VideoCapture.read`` can block forever on a dead or unplugged camera, so a reader thread
owns the device and hands frames over through a one-slot queue; every call here waits at
most ``timeout_s``. A hung reader thread is abandoned (daemon) and the camera reported
unavailable, never the UI blocked.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Any

import cv2
import numpy as np

from foundation.errors import CameraFrameError, DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)


def is_available(device_index: int = 0) -> bool:
    """True when a video device node for ``device_index`` exists (does not open it)."""
    from pathlib import Path

    return Path(f"/dev/video{device_index}").exists()


class OpenCVCamera:
    """A real camera; preview frames are downscaled copies of the capture stream."""

    def __init__(
        self,
        device_index: int = 0,
        width: int = 1920,
        height: int = 1080,
        fourcc: str = "MJPG",
        *,
        preview_width: int = 960,
        timeout_s: float = 3.0,
        open_timeout_s: float = 8.0,
    ) -> None:
        self.device_index, self.width, self.height, self.fourcc = (
            device_index,
            width,
            height,
            fourcc,
        )
        self.preview_width, self.timeout_s, self.open_timeout_s = (
            preview_width,
            timeout_s,
            open_timeout_s,
        )
        self._capture: cv2.VideoCapture | None = None
        self._frames: queue.Queue[np.ndarray] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._actual: tuple[int, int] = (0, 0)

    def _open_device(self, result: queue.Queue[cv2.VideoCapture | None]) -> None:
        cap = cv2.VideoCapture(self.device_index, cv2.CAP_V4L2)
        if not cap.isOpened():
            result.put(None)
            return
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*self.fourcc))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        result.put(cap)

    def open(self) -> None:
        """Open the device within ``open_timeout_s`` and start the reader thread."""
        if self._capture is not None:
            return
        result: queue.Queue[cv2.VideoCapture | None] = queue.Queue()
        threading.Thread(target=self._open_device, args=(result,), daemon=True).start()
        try:
            cap = result.get(timeout=self.open_timeout_s)
        except queue.Empty as exc:
            raise DeviceTimeout("camera did not open in time") from exc
        if cap is None:
            raise DeviceUnavailable(f"no camera at /dev/video{self.device_index}")
        self._capture = cap
        self._actual = (
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self._stop.clear()
        self._thread = threading.Thread(target=self._read_loop, daemon=True, name="camera-reader")
        self._thread.start()

    def _read_loop(self) -> None:
        while not self._stop.is_set() and self._capture is not None:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                time.sleep(0.05)
                continue
            with contextlib.suppress(queue.Empty):
                self._frames.get_nowait()
            self._frames.put(frame)

    def _next_frame(self) -> np.ndarray:
        if self._capture is None:
            raise DeviceUnavailable("camera is not open")
        try:
            frame = self._frames.get(timeout=self.timeout_s)
        except queue.Empty as exc:
            raise DeviceTimeout(f"no frame within {self.timeout_s:.1f} s") from exc
        if frame.size == 0 or frame.ndim != 3:
            raise CameraFrameError("empty or malformed frame")
        return frame

    def read_frame(self) -> np.ndarray:
        """The newest frame, downscaled to ``preview_width``."""
        frame = self._next_frame()
        scale = self.preview_width / frame.shape[1]
        if scale < 1:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return frame

    def capture_still(self) -> np.ndarray:
        """A fresh full-resolution frame (the one after the call, not a stale buffer)."""
        with contextlib.suppress(queue.Empty):
            self._frames.get_nowait()
        return self._next_frame()

    def close(self) -> None:
        """Stop the reader and release the device."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s)
        if self._capture is not None:
            self._capture.release()
        self._capture, self._thread = None, None

    def describe(self) -> dict[str, Any]:
        """Driver, device and capture settings for the transfer note."""
        return {
            "driver": "opencv",
            "device": f"/dev/video{self.device_index}",
            "requested": [self.width, self.height],
            "actual": list(self._actual),
            "fourcc": self.fourcc,
        }

    def check(self) -> tuple[bool, str]:
        """Open if needed and wait for one frame."""
        if not is_available(self.device_index):
            return False, f"/dev/video{self.device_index} missing: check the USB cable"
        try:
            self.open()
            self._next_frame()
        except DeviceTimeout:
            return False, "camera opened but sends no frames: replug it or reboot"
        except DeviceUnavailable:
            return False, "camera present but cannot be opened: in use or no permission"
        if self._actual[1] < 1080:
            return False, f"camera delivers only {self._actual[0]}x{self._actual[1]}, need ≥1080p"
        return True, "ok"
