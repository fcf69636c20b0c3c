"""The microphone seam: one small Protocol every microphone driver implements.

    open() -> read(samples)* -> close()

``read`` returns the next ``samples`` mono 16-bit samples at ``sample_rate`` (48 kHz, what
Opus wants) as a 1-D ``int16`` array: the audio continues where the last read ended.
Failures raise ``foundation.errors`` types: ``DeviceUnavailable`` (no microphone or no audio
library), ``DeviceTimeout`` (no samples in time).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

SAMPLE_RATE = 48_000


@runtime_checkable
class Microphone(Protocol):
    """A mono 16-bit audio source for video calls."""

    sample_rate: int

    def open(self) -> None:
        """Start capturing; raises DeviceUnavailable."""
        ...

    def read(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples (int16, mono); raises DeviceTimeout."""
        ...

    def close(self) -> None:
        """Stop capturing (idempotent)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Driver and device, for diagnostics (no personal data)."""
        ...

    def check(self) -> tuple[bool, str]:
        """Health check: (ok, plain reason a technician can act on)."""
        ...


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-100 for silence), for the level meter."""
    if samples.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64) / 32768.0))))
    return max(-100.0, 20.0 * float(np.log10(rms))) if rms > 0 else -100.0
