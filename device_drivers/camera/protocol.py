"""The document camera seam: one small Protocol every camera driver implements.

    open() -> read_frame()* -> capture_still() -> close()

``read_frame`` serves preview frames (BGR), ``capture_still`` one full-resolution BGR
image. Failures raise ``foundation.errors`` types: ``DeviceUnavailable`` (no camera),
``DeviceTimeout`` (no frame in time), ``CameraFrameError`` (an empty or broken frame).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Camera(Protocol):
    """A camera that delivers preview frames and full-resolution stills."""

    def open(self) -> None:
        """Start the device; raises DeviceUnavailable."""
        ...

    def read_frame(self) -> np.ndarray:
        """The newest preview frame (BGR); raises DeviceTimeout or CameraFrameError."""
        ...

    def capture_still(self) -> np.ndarray:
        """One full-resolution BGR image of the document."""
        ...

    def close(self) -> None:
        """Release the device (idempotent)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Device and settings for the transfer note (no personal data)."""
        ...

    def check(self) -> tuple[bool, str]:
        """Health check: (ok, plain reason a technician can act on)."""
        ...
