"""Simulated speech output: records what it was asked to say (tests, the simulated kiosk).

Same interface as ``accessibility.speech.EspeakSpeech``; scripted availability, no timers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accessibility.audio import (
    DEFAULT_RATE_STEP,
    DEFAULT_VOLUME_STEP,
    RATE_FACTORS,
    VOLUME_STEPS_DB,
)
from accessibility.bidi_text import strip_marks
from accessibility.languages import get_language

if TYPE_CHECKING:
    from accessibility.speech import SpeechStatus

MAX_RECORDS = 1000


def _check_step(step: int, steps: tuple[float, ...], what: str = "volume") -> int:
    if not isinstance(step, int) or not 0 <= step < len(steps):
        raise ValueError(f"{what} step must be 0..{len(steps) - 1}, got {step!r}")
    return step


@dataclass
class RecordingSpeech:
    """Simulated speech output: records every call; ``spoken`` holds (text, lang, step)."""

    available: bool = True
    spoken: list[tuple[str, str, int]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    paused: bool = False
    volume_step: int = DEFAULT_VOLUME_STEP
    volume_steps: tuple[float, ...] = VOLUME_STEPS_DB
    rate_step: int = DEFAULT_RATE_STEP

    def speak(self, text: str, lang: str) -> None:
        """Record ``text`` as said in ``lang`` at the current volume step."""
        get_language(lang)
        self.calls.append("speak")
        self.paused = False
        self.spoken.append((strip_marks(text), lang, self.volume_step))
        del self.spoken[:-MAX_RECORDS]  # a long-running silent kiosk must not grow forever
        del self.calls[:-MAX_RECORDS]

    def pause(self) -> None:
        """Record a pause."""
        self.calls.append("pause")
        self.paused = True

    def resume(self) -> None:
        """Record a resume."""
        self.calls.append("resume")
        self.paused = False

    def stop(self) -> None:
        """Record a stop."""
        self.calls.append("stop")
        self.paused = False

    def repeat(self) -> None:
        """Say the last text again (recorded as a new utterance)."""
        self.calls.append("repeat")
        if self.spoken:
            text, lang, _ = self.spoken[-1]
            self.spoken.append((text, lang, self.volume_step))

    def set_volume_step(self, step: int) -> None:
        """Record a volume change."""
        self.volume_step = _check_step(step, self.volume_steps)
        self.calls.append(f"volume:{step}")
        del self.calls[:-MAX_RECORDS]

    def set_rate_step(self, step: int) -> None:
        """Record a speaking-rate change."""
        self.rate_step = _check_step(step, RATE_FACTORS, "rate")
        self.calls.append(f"rate:{step}")
        del self.calls[:-MAX_RECORDS]

    def check(self) -> SpeechStatus:
        """Report the scripted availability."""
        from accessibility.speech import SpeechStatus

        return SpeechStatus(self.available, "ok" if self.available else "simulated_off")

    def close(self) -> None:
        """Record closing."""
        self.calls.append("close")

    @property
    def last_text(self) -> str | None:
        """The text said last, or None."""
        return self.spoken[-1][0] if self.spoken else None
