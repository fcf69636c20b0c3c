"""Clock plausibility: a receipt's date is evidence, so it is only issued from a clock we trust.

The kiosk refuses to issue receipts (``ClockImplausible``) while its wall clock is earlier than
the build date of this package, or more than ten minutes away from the server's clock as seen at
the last contact. The offset (server time minus kiosk time) is stored in the outbox whenever a
response carries the server's time (``Date`` header, ``server_time`` fields).
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

from foundation.errors import ClockImplausible
from kiosk.delivery.outbox import Outbox

BUILD_DATE = datetime(2026, 11, 1, tzinfo=UTC)
"""No receipt can truthfully be dated before this package was built."""
MAX_OFFSET_S = 600.0
_META_OFFSET = "clock_offset_s"
_META_CONTACT = "last_server_contact"
_MIN_CHANGE_S = 1.0


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP ``Date`` header (RFC 7231), or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ClockGuard:
    """Remembers the offset to the server's clock and judges whether the clock is plausible."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._last_written: float | None = None
        self._last_contact_written = 0.0

    def learn(self, server_time: datetime, local_time: float | None = None) -> float:
        """Record the server's time as seen now; returns the offset in seconds."""
        now = time.time() if local_time is None else local_time
        offset = server_time.timestamp() - now
        # HTTP dates have whole seconds: avoid a write per response for sub-second jitter.
        stale = now - self._last_contact_written > 60
        changed = self._last_written is None or abs(offset - self._last_written) > _MIN_CHANGE_S
        if changed or stale:
            self._outbox.set_meta(**{_META_OFFSET: f"{offset:.3f}", _META_CONTACT: f"{now:.3f}"})
            self._last_written = offset
            self._last_contact_written = now
        return offset

    def offset(self) -> float | None:
        """Server time minus kiosk time at the last contact, or None if never in contact."""
        value = self._outbox.get_meta(_META_OFFSET)
        return None if value is None else float(value)

    def last_contact(self) -> float | None:
        """Kiosk time (unix seconds) of the last contact with the server."""
        value = self._outbox.get_meta(_META_CONTACT)
        return None if value is None else float(value)

    def check(self, now: float | None = None) -> None:
        """Raise ClockImplausible unless a receipt may be dated with the current clock."""
        current = time.time() if now is None else now
        if current < BUILD_DATE.timestamp():
            raise ClockImplausible("kiosk clock is earlier than the software's build date")
        offset = self.offset()
        if offset is not None and abs(offset) > MAX_OFFSET_S:
            raise ClockImplausible(
                f"kiosk clock differs from the server's by {offset:+.0f} s at the last contact"
            )
