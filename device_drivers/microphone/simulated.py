"""A scripted microphone: a speech-like test signal, silence or faults, recording every call.

No timers and no threads: the consumer (the call's audio track) asks for the next block
when its own clock says it is due, and gets the signal that continues where the last block
ended. The default signal is speech-like: a 150 Hz voice with harmonics, its loudness
rising and falling in syllables (about 4 per second), so the level meter moves and Opus
has something wideband to encode. ``SimulatedMicrophone(signal="tone")`` gives a steady
1 kHz tone (the device check's test tone is checked against it), ``"silence"`` nothing.
Faults queued with ``push_fault`` are raised by the next read.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

import numpy as np

from device_drivers.microphone.protocol import SAMPLE_RATE
from foundation.errors import DeviceTimeout, DeviceUnavailable

Signal = Literal["speech", "tone", "silence"]


class SimulatedMicrophone:
    """Microphone stand-in for tests, the device check without hardware and benchmarks."""

    def __init__(self, signal: Signal = "speech", *, sample_rate: int = SAMPLE_RATE,
                 amplitude: float = 0.3) -> None:
        self.signal, self.sample_rate, self.amplitude = signal, sample_rate, amplitude
        self.position = 0  # samples produced so far
        self.calls: list[str] = []
        self.is_open = False
        self._faults: deque[str] = deque()

    def push_fault(self, kind: Literal["timeout", "unplugged"]) -> None:
        """The next read raises this fault."""
        self._faults.append(kind)

    def open(self) -> None:
        """Mark the microphone open."""
        self.calls.append("open")
        self.is_open = True

    def read(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples of the signal."""
        self.calls.append("read")
        if self._faults:
            kind = self._faults.popleft()
            if kind == "unplugged":
                self.is_open = False
                raise DeviceUnavailable("simulated: microphone unplugged")
            raise DeviceTimeout("simulated: no audio in time")
        if not self.is_open:
            raise DeviceUnavailable("microphone is not open")
        t = (self.position + np.arange(samples)) / self.sample_rate
        self.position += samples
        if self.signal == "silence":
            wave = np.zeros(samples)
        elif self.signal == "tone":
            wave = np.sin(2 * np.pi * 1000.0 * t)
        else:
            voice = sum(np.sin(2 * np.pi * 150.0 * k * t) / k for k in range(1, 12))
            syllables = np.clip(np.sin(2 * np.pi * 2.1 * t), 0.0, None) ** 0.5
            wave = voice / 2.5 * syllables
        return (np.clip(wave * self.amplitude, -1, 1) * 32767).astype(np.int16)

    def close(self) -> None:
        """Mark the microphone closed."""
        self.calls.append("close")
        self.is_open = False

    def describe(self) -> dict[str, Any]:
        """Simulated device description."""
        return {"driver": "simulated", "signal": self.signal, "sample_rate": self.sample_rate}

    def check(self) -> tuple[bool, str]:
        """Always healthy (faults show on read)."""
        return True, "ok (simulated microphone)"
