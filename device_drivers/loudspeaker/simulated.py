"""A loudspeaker that records what it was given to play (at its volume); no timers."""

from __future__ import annotations

from typing import Any

import numpy as np

from device_drivers.loudspeaker.protocol import scaled
from device_drivers.microphone.protocol import SAMPLE_RATE
from foundation.errors import DeviceUnavailable


class SimulatedLoudspeaker:
    """Keeps the last ``keep_s`` seconds played and counts everything."""

    def __init__(self, *, keep_s: float = 2.0) -> None:
        self.sample_rate, self.volume = SAMPLE_RATE, 0.8
        self.is_open = False
        self.samples_played = 0
        self._keep = int(keep_s * SAMPLE_RATE)
        self.recent = np.zeros(0, np.int16)

    def open(self) -> None:
        """Mark open."""
        self.is_open = True

    def play(self, samples: np.ndarray) -> None:
        """Record ``samples`` as they would sound."""
        if not self.is_open:
            raise DeviceUnavailable("loudspeaker is not open")
        self.samples_played += samples.size
        self.recent = np.concatenate([self.recent, scaled(samples, self.volume)])[-self._keep:]

    def close(self) -> None:
        """Mark closed."""
        self.is_open = False

    def describe(self) -> dict[str, Any]:
        """Simulated device description."""
        return {"driver": "simulated"}
