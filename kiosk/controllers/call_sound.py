"""Sound of a video call at the kiosk: the device check's test tone and the remote parties'
audio played through the loudspeaker (resampled to its 48 kHz mono s16)."""

from __future__ import annotations

import logging

import av
import numpy as np

from device_drivers.loudspeaker import Loudspeaker
from foundation.errors import KioskError

log = logging.getLogger(__name__)


def test_tone(rate: int, seconds: float) -> np.ndarray:
    """A 1 kHz sine at 30 % of full scale, int16 mono."""
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 1000 * t) * 0.3 * 32767).astype(np.int16)


class CallAudioOut:
    """Plays each party's audio frames; one resampler per party, forgotten on ``clear``."""

    def __init__(self, loudspeaker: Loudspeaker) -> None:
        self.loudspeaker = loudspeaker
        self._resamplers: dict[str, av.AudioResampler] = {}

    def play(self, party: str, frame: av.AudioFrame) -> None:
        """Play one received frame of ``party`` (a refusing loudspeaker is logged, once)."""
        resampler = self._resamplers.setdefault(
            party, av.AudioResampler(format="s16", layout="mono", rate=48_000))
        for out in resampler.resample(frame):
            try:
                self.loudspeaker.play(out.to_ndarray().reshape(-1))
            except KioskError:
                log.warning("loudspeaker refused call audio")
                return

    def clear(self) -> None:
        """Forget the parties of the call."""
        self._resamplers.clear()
