"""The loudspeaker seam for video calls: mono 16-bit blocks in, at a volume.

    open() -> play(samples)* -> close()

``play`` takes int16 mono samples at ``sample_rate`` (48 kHz) and must not block longer
than one block: a device that falls behind drops audio rather than delaying the call.
``volume`` (0.0–1.0) scales what is played; the test tone and the far side's voice both
go through it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Loudspeaker(Protocol):
    """Where the call's audio is heard."""

    sample_rate: int
    volume: float

    def open(self) -> None:
        """Start the output; raises DeviceUnavailable."""
        ...

    def play(self, samples: np.ndarray) -> None:
        """Queue ``samples`` (int16 mono) for playback at ``volume``."""
        ...

    def close(self) -> None:
        """Stop the output (idempotent)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Driver and device (no personal data)."""
        ...


def scaled(samples: np.ndarray, volume: float) -> np.ndarray:
    """``samples`` at ``volume`` (clipped to int16)."""
    out: np.ndarray = np.clip(samples.astype(np.float32) * max(0.0, min(volume, 1.0)),
                              -32768, 32767).astype(np.int16)
    return out
