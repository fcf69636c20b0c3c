"""The scanner seam: one Protocol for flatbed/feeder scanners.

``scan_page`` returns one BGR page image at the configured resolution. Failures raise
``DeviceUnavailable`` (no scanner / library missing), ``DeviceTimeout`` (did not finish).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Scanner(Protocol):
    """A document scanner."""

    def open(self) -> None:
        """Connect to the device; raises DeviceUnavailable."""
        ...

    def scan_page(self) -> np.ndarray:
        """Scan one page and return it as a BGR array."""
        ...

    def close(self) -> None:
        """Release the device (idempotent)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Device and settings for the transfer note."""
        ...

    def check(self) -> tuple[bool, str]:
        """Health check: (ok, plain reason a technician can act on)."""
        ...
