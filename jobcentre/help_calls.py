"""Help calls from kiosks to the service desk: the ``help_calls`` table and the desk's wake-up.

A kiosk raises a call with a signed ``POST /api/v1/help-calls`` (``{"language", "step"}``:
the language the visitor needs and the screen they are on, never anything personal). The
call is stored with the kiosk, its location (the kiosk's enrolled name) and the time it was
raised. Desks see the open calls (``open_calls``); one member of staff acknowledges ("on my
way"), or the kiosk cancels. A call nobody acknowledged within ``escalate_after_s`` counts as
escalated (computed when read, so every desk and every process agrees without a timer).

Answered and withdrawn calls are deleted after ``RETENTION`` (the audit log keeps who
answered which call). ``DeskSignal`` wakes this process's desk streams at once when
something changes; streams also re-read the table every second, which covers calls changed
by other processes.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from foundation.errors import ApiError
from jobcentre.repository import db_time

_DDL = (
    "CREATE TABLE IF NOT EXISTS help_calls ("
    " call_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, location TEXT NOT NULL,"
    " language TEXT NOT NULL, step TEXT NOT NULL, raised_at TEXT NOT NULL,"
    " state TEXT NOT NULL, acked_by TEXT, acked_name TEXT, closed_at TEXT)"
)
_INDEX = "CREATE INDEX IF NOT EXISTS help_calls_open ON help_calls(state, raised_at)"
_COLS = "call_id, kiosk_id, location, language, step, raised_at, state, acked_by, acked_name"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
STEP_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPEN = "open"
ACKED = "acknowledged"
CANCELLED = "cancelled"
RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class HelpCall:
    """One call as the desk sees it."""

    call_id: str
    kiosk_id: str
    location: str
    language: str
    step: str
    raised_at: str
    state: str
    acked_by: str | None = None
    acked_name: str | None = None

    def waiting_s(self, now: datetime) -> float:
        """Seconds since the call was raised."""
        raised = datetime.fromisoformat(self.raised_at.replace("Z", "+00:00"))
        return max(0.0, (now - raised).total_seconds())

    def escalated(self, now: datetime, after_s: float) -> bool:
        """Open and unanswered for longer than ``after_s``."""
        return self.state == OPEN and self.waiting_s(now) >= after_s


def parse_call(payload: Any) -> tuple[str, str]:
    """``(language, step)`` from a call body, or 400."""
    if not isinstance(payload, dict) or set(payload) - {"language", "step"}:
        raise ApiError(400, "invalid_request", detail="expected {language, step}")
    language, step = payload.get("language", "de"), payload.get("step", "")
    if not isinstance(language, str) or not LANGUAGE_RE.match(language):
        raise ApiError(400, "invalid_request", detail="language must be a language code")
    if not isinstance(step, str) or not (step == "" or STEP_RE.match(step)):
        raise ApiError(400, "invalid_request", detail="step must be a screen name")
    return language, step or "unknown"


def _call(row: Any) -> HelpCall:
    return HelpCall(*row)


class HelpCallStore:
    """The ``help_calls`` table on the intake service's repository."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        with repo.transaction(write=True) as execute:
            execute(_DDL)
            execute(_INDEX)

    def raise_call(self, kiosk_id: str, location: str, language: str, step: str,
                   now: datetime | None = None) -> HelpCall:
        """Open a call; a kiosk with an open call gets that one back (updated step)."""
        with self.repo.transaction(write=True) as execute:
            row = execute(f"SELECT {_COLS} FROM help_calls WHERE kiosk_id = ? AND state = ?",
                          (kiosk_id, OPEN)).fetchone()
            if row is not None:
                execute("UPDATE help_calls SET language = ?, step = ? WHERE call_id = ?",
                        (language, step, row[0]))
                return replace(_call(row), language=language, step=step)
            call = HelpCall(str(uuid.uuid4()), kiosk_id, location[:200], language, step,
                            db_time(now), OPEN)
            execute(f"INSERT INTO help_calls ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (call.call_id, call.kiosk_id, call.location, call.language, call.step,
                     call.raised_at, call.state, None, None))
        return call

    def get(self, call_id: str) -> HelpCall | None:
        """One call by id."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_COLS} FROM help_calls WHERE call_id = ?",
                          (call_id[:64],)).fetchone()
        return None if row is None else _call(row)

    def open_calls(self) -> list[HelpCall]:
        """Open calls, oldest first."""
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM help_calls WHERE state = ?"
                           " ORDER BY raised_at, call_id", (OPEN,)).fetchall()
        return [_call(r) for r in rows]

    def acknowledge(self, call_id: str, username: str, name: str,
                    now: datetime | None = None) -> HelpCall | None:
        """Mark an open call as answered; None if it is not open (any more)."""
        with self.repo.transaction(write=True) as execute:
            cur = execute("UPDATE help_calls SET state = ?, acked_by = ?, acked_name = ?,"
                          " closed_at = ? WHERE call_id = ? AND state = ?",
                          (ACKED, username, name[:60], db_time(now), call_id[:64], OPEN))
            if not cur.rowcount:
                return None
            row = execute(f"SELECT {_COLS} FROM help_calls WHERE call_id = ?",
                          (call_id[:64],)).fetchone()
        return _call(row)

    def cancel(self, kiosk_id: str, call_id: str, now: datetime | None = None) -> bool:
        """The kiosk withdraws its open call; False if there is none to withdraw."""
        with self.repo.transaction(write=True) as execute:
            cur = execute("UPDATE help_calls SET state = ?, closed_at = ? WHERE call_id = ?"
                          " AND kiosk_id = ? AND state = ?",
                          (CANCELLED, db_time(now), call_id[:64], kiosk_id, OPEN))
            return bool(cur.rowcount)


    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete answered and withdrawn calls closed before ``older_than`` ago."""
        cutoff = db_time((now or datetime.now(UTC)) - older_than)
        with self.repo.transaction(write=True) as execute:
            cur = execute("DELETE FROM help_calls WHERE state <> ? AND closed_at < ?",
                          (OPEN, cutoff))
            return int(cur.rowcount or 0)


class DeskSignal:
    """Wakes every waiting desk stream of this process when a call changes."""

    def __init__(self) -> None:
        self._version = 0
        self._changed = asyncio.Event()

    def notify(self) -> None:
        """Something changed: wake the waiting streams."""
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, timeout_s: float) -> None:
        """Return on the next change or after ``timeout_s``."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return


@dataclass
class HelpDesk:
    """What the desk page and the kiosk routes share: the store, the signal, the settings."""

    store: HelpCallStore
    signal: DeskSignal
    escalate_after_s: float = 120.0

    def now(self) -> datetime:
        """The current time (one place, so tests can reason about it)."""
        return datetime.now(UTC)

    def escalate_after(self) -> timedelta:
        """The escalation time as a ``timedelta``."""
        return timedelta(seconds=self.escalate_after_s)
