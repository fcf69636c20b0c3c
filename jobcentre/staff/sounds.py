"""The service desk's alert sounds: short WAV files generated here, served by the app itself.

No audio file is shipped or fetched from elsewhere: a soft two-tone chime for a new call
and a louder, longer three-pulse alarm for an escalated one (16-bit mono PCM, 16 kHz).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import cache

RATE = 16_000


def _tone(freq: float, seconds: float, volume: float) -> list[int]:
    count = int(RATE * seconds)
    fade = max(1, int(RATE * 0.01))
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        value = volume * envelope * math.sin(2 * math.pi * freq * i / RATE)
        samples.append(int(value * 32767))
    return samples


def _wav(samples: list[int]) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


@cache
def chime() -> bytes:
    """A new call: two soft tones (0.5 s)."""
    return _wav(_tone(880, 0.2, 0.35) + _tone(0, 0.05, 0) + _tone(660, 0.25, 0.35))


@cache
def alarm() -> bytes:
    """An escalated call: three loud pulses (about 1.2 s)."""
    pulse = _tone(1320, 0.25, 0.9) + _tone(0, 0.12, 0)
    return _wav(pulse * 3)
