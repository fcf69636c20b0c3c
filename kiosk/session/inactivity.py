"""Inactivity timer with an injected clock (WCAG 2.2.1: warn, let people extend).

The UI polls ``check(now)`` from its frame clock; tests pass any ``now`` they like, so
nothing ever waits for real time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Inactivity(StrEnum):
    """What the timer says at a given moment."""

    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


@dataclass
class InactivityTimer:
    """Counts from the last activity; a warning phase precedes expiry."""

    timeout_s: float
    warning_before_s: float
    max_extensions: int
    last_activity: float = 0.0
    extensions_used: int = 0

    def reset(self, now: float) -> None:
        """Start a fresh session's count (extensions back to zero)."""
        self.last_activity = now
        self.extensions_used = 0

    def touch(self, now: float) -> None:
        """Record activity by the visitor."""
        self.last_activity = now

    def check(self, now: float) -> Inactivity:
        """Return the phase at ``now``."""
        idle = now - self.last_activity
        if idle >= self.timeout_s:
            return Inactivity.EXPIRED
        if idle >= self.timeout_s - self.warning_before_s:
            return Inactivity.WARNING
        return Inactivity.ACTIVE

    def seconds_left(self, now: float) -> float:
        """Seconds until expiry (never negative)."""
        return max(0.0, self.timeout_s - (now - self.last_activity))

    @property
    def can_extend(self) -> bool:
        """Whether the visitor may still ask for more time."""
        return self.extensions_used < self.max_extensions

    def extend(self, now: float) -> bool:
        """Give the visitor a full period again; False once the extensions are used up."""
        if not self.can_extend:
            return False
        self.extensions_used += 1
        self.last_activity = now
        return True
