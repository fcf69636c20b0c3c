"""A scripted camera: serves a queue of images, injects faults, records every call.

No timers and no threads: each ``read_frame`` returns a preview of the current image,
each ``capture_still`` returns it at full resolution and moves on to the next one
(cycling). A ``CameraFault`` placed in the queue is raised by the next call instead.
Without images it serves the JPEG/PNG files of a sample folder, or the files a
``default_samples`` callable returns (the kiosk passes the built-in samples from
``scanning.samples``; drivers never import the layers above them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from foundation.errors import CameraFrameError, DeviceTimeout, DeviceUnavailable


@dataclass(frozen=True)
class CameraFault:
    """A fault to inject: ``no_frame``, ``timeout`` or ``unplugged``."""

    kind: str = "no_frame"


class SimulatedCamera:
    """Camera stand-in for tests and for the UI without hardware."""

    def __init__(
        self,
        items: Iterable[np.ndarray | Path | CameraFault] = (),
        *,
        preview_width: int = 960,
        cycle: bool = True,
    ) -> None:
        self._items: deque[np.ndarray | Path | CameraFault] = deque(items)
        self._sample_dir: Path | None = None
        self._default_samples: Callable[[], Sequence[Path]] | None = None
        self._use_samples = not self._items
        self.preview_width, self.cycle = preview_width, cycle
        self.calls: list[str] = []
        self.is_open = False
        self.unplugged = False
        self._preview: np.ndarray | None = None
        self._preview_source: np.ndarray | Path | None = None

    @classmethod
    def with_samples(
        cls,
        sample_dir: Path | None = None,
        default_samples: Callable[[], Sequence[Path]] | None = None,
    ) -> SimulatedCamera:
        """A camera serving the JPEGs in ``sample_dir``, else what ``default_samples`` gives."""
        camera = cls()
        camera._sample_dir = sample_dir
        camera._default_samples = default_samples
        return camera

    def push(self, item: np.ndarray | Path | CameraFault) -> None:
        """Append an image, image file or fault to the queue."""
        self._items.append(item)
        self._use_samples = False

    def _load_samples(self) -> None:
        if self._sample_dir is not None:
            paths = sorted(
                p
                for p in self._sample_dir.iterdir()
                if p.suffix.lower() in (".jpg", ".jpeg", ".png")
            )
        elif self._default_samples is not None:
            paths = list(self._default_samples())
        else:
            paths = []
        self._items.extend(paths)
        self._use_samples = False

    def _current_item(self) -> np.ndarray | Path:
        if not self.is_open:
            raise DeviceUnavailable("camera is not open")
        if self._use_samples:
            self._load_samples()
        if not self._items:
            raise CameraFrameError("no more images queued")
        item = self._items[0]
        if isinstance(item, CameraFault):
            self._items.popleft()
            if item.kind == "timeout":
                raise DeviceTimeout("simulated: no frame in time")
            if item.kind == "unplugged":
                self.is_open, self.unplugged = False, True
                raise DeviceUnavailable("simulated: camera unplugged")
            raise CameraFrameError("simulated: empty frame")
        return item

    @staticmethod
    def _decode(item: np.ndarray | Path) -> np.ndarray:
        """Image files are decoded when needed, not kept: a 12-megapixel photo is 36 MB."""
        if isinstance(item, Path):
            image = cv2.imread(str(item), cv2.IMREAD_COLOR)
            if image is None:
                raise CameraFrameError("sample image unreadable")
            return image
        return item

    def _decode_preview(self, item: np.ndarray | Path) -> np.ndarray:
        """The image at about ``preview_width``: a JPEG file is decoded at 1/2, 1/4 or 1/8
        size by libjpeg itself, so the full 36 MB frame never exists for a preview."""
        if isinstance(item, Path):
            try:
                data = item.read_bytes()
            except OSError as exc:
                raise CameraFrameError("sample image unreadable") from exc
            width = _jpeg_width(data)
            flag = cv2.IMREAD_COLOR
            for factor, reduced in ((8, cv2.IMREAD_REDUCED_COLOR_8),
                                    (4, cv2.IMREAD_REDUCED_COLOR_4),
                                    (2, cv2.IMREAD_REDUCED_COLOR_2)):
                if width is not None and width // factor >= self.preview_width:
                    flag = reduced
                    break
            image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
            if image is None:
                raise CameraFrameError("sample image unreadable")
        else:
            image = item
        scale = self.preview_width / image.shape[1]
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return image

    def open(self) -> None:
        """Mark the camera open."""
        self.calls.append("open")
        self.is_open = True

    def read_frame(self) -> np.ndarray:
        """A downscaled copy of the current image (made once per image, like a camera's
        separate preview stream)."""
        self.calls.append("read_frame")
        item = self._current_item()
        if self._preview_source is not item:
            self._preview, self._preview_source = self._decode_preview(item), item
        assert self._preview is not None
        return self._preview.copy()

    def capture_still(self) -> np.ndarray:
        """The current image at full resolution; then advance to the next."""
        self.calls.append("capture_still")
        item = self._current_item()
        # a decoded file is already a fresh array; only a queued array is copied
        image = self._decode(item) if isinstance(item, Path) else item.copy()
        self._items.popleft()
        if self.cycle:
            self._items.append(item)
        return image

    def close(self) -> None:
        """Mark the camera closed."""
        self.calls.append("close")
        self.is_open = False

    def describe(self) -> dict[str, Any]:
        """Simulated device description."""
        return {"driver": "simulated", "device": "sample images", "queued": len(self._items)}

    def check(self) -> tuple[bool, str]:
        """Healthy unless an ``unplugged`` fault was served."""
        self.calls.append("check")
        if self.unplugged:
            return False, "simulated camera unplugged"
        return True, "ok (simulated camera)"


def _jpeg_width(data: bytes) -> int | None:
    """Pixel width from a JPEG's start-of-frame header (None for other files or if absent)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):  # baseline, extended, progressive
            return int.from_bytes(data[pos + 7:pos + 9], "big")
        pos += 2 + length
    return None
