"""The video call as a pure state machine, its tokens and the honest wait estimate.

No I/O and no clock of its own: every function takes ``now``. States and events::

    WAITING --accept--> ACTIVE --end | hangup | kiosk_gone | counsellor_gone--> ENDED
    WAITING --hangup | kiosk_gone | not_answered--> ENDED

Refusals are ``ApiError`` with a stable code (``call_ended``, ``call_taken``, ...).
Tokens (invitation codes, guest links, WebSocket tickets) are random, stored only as their
SHA-256, expire, and are used once.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from foundation.errors import ApiError


class CallState(StrEnum):
    """Where a call is."""

    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"


class CallEvent(StrEnum):
    """What can happen to a call; an ending event is also the ``ended_reason``."""

    ACCEPT = "accept"
    HANGUP = "hangup"
    END = "ended_by_counsellor"
    KIOSK_GONE = "kiosk_gone"
    COUNSELLOR_GONE = "counsellor_gone"
    NOT_ANSWERED = "not_answered"


TRANSITIONS: dict[tuple[CallState, CallEvent], CallState] = {
    (CallState.WAITING, CallEvent.ACCEPT): CallState.ACTIVE,
    (CallState.WAITING, CallEvent.HANGUP): CallState.ENDED,
    (CallState.WAITING, CallEvent.KIOSK_GONE): CallState.ENDED,
    (CallState.WAITING, CallEvent.NOT_ANSWERED): CallState.ENDED,
    (CallState.ACTIVE, CallEvent.HANGUP): CallState.ENDED,
    (CallState.ACTIVE, CallEvent.END): CallState.ENDED,
    (CallState.ACTIVE, CallEvent.KIOSK_GONE): CallState.ENDED,
    (CallState.ACTIVE, CallEvent.COUNSELLOR_GONE): CallState.ENDED,
}
TOPICS = ("benefits", "job_search", "documents", "other")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
DEFAULT_HANDLING = timedelta(minutes=10)
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class Call:
    """One call from one kiosk."""

    call_id: str
    kiosk_id: str
    language: str
    topic: str
    location: str
    state: CallState
    created_at: datetime
    kiosk_seen_at: datetime
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str | None = None
    counsellor_id: str | None = None
    appointment_id: str | None = None


def step(call: Call, event: CallEvent, now: datetime, counsellor_id: str | None = None) -> Call:
    """The call after ``event``, or 409 when the event does not apply in its state."""
    target = TRANSITIONS.get((call.state, event))
    if target is None:
        if call.state is CallState.ENDED:
            raise ApiError(409, "call_ended", reason=call.ended_reason)
        code = "call_taken" if event is CallEvent.ACCEPT else "call_not_active"
        raise ApiError(409, code)
    if target is CallState.ACTIVE:
        return replace(call, state=target, accepted_at=now, counsellor_id=counsellor_id)
    return replace(call, state=target, ended_at=now, ended_reason=event.value)


def due_event(call: Call, now: datetime, kiosk_timeout: timedelta,
              max_wait: timedelta) -> CallEvent | None:
    """The event the clock alone causes now (kiosk silent, waited too long), if any."""
    if call.state is CallState.ENDED:
        return None
    if now - call.kiosk_seen_at > kiosk_timeout:
        return CallEvent.KIOSK_GONE
    if call.state is CallState.WAITING and now - call.created_at > max_wait:
        return CallEvent.NOT_ANSWERED
    return None


def validate_walk_in(payload: object) -> tuple[str, str, str]:
    """``(language, topic, location)`` from a walk-in announcement, or 400."""
    if not isinstance(payload, dict) or set(payload) - {"language", "topic", "location"}:
        raise ApiError(400, "invalid_request", detail="expected {language, topic, location}")
    language, topic = payload.get("language"), payload.get("topic")
    location = payload.get("location", "")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise ApiError(400, "invalid_request", detail="language must be a language code")
    if topic not in TOPICS:
        raise ApiError(400, "invalid_request", detail=f"topic must be one of {', '.join(TOPICS)}")
    if not isinstance(location, str) or len(location) > 80:
        raise ApiError(400, "invalid_request", detail="location must be text (≤ 80)")
    assert isinstance(topic, str)
    return language, topic, location.strip()


@dataclass(frozen=True)
class WaitEstimate:
    """Seconds until a counsellor is expected, and what the figure rests on."""

    seconds: int
    basis: str  # "recent" (handling times of recent calls) or "default"


def estimate_wait(position: int, recent: list[timedelta], counsellors: int) -> WaitEstimate:
    """Position × median recent handling time ÷ counsellors at work (default with < 3 calls)."""
    clamped = [min(max(d.total_seconds(), 120.0), 3600.0) for d in recent]
    if len(clamped) >= 3:
        per_call, basis = statistics.median(clamped), "recent"
    else:
        per_call, basis = DEFAULT_HANDLING.total_seconds(), "default"
    ahead = max(position - 1, 0) + 0.5  # the visitors before, and half of the current calls
    seconds = ahead * per_call / max(counsellors, 1)
    return WaitEstimate(int(round(seconds)), basis)


def new_id(prefix: str) -> str:
    """An opaque id such as ``c_3q9...``."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def new_token() -> str:
    """A secret for a link or ticket (32 random bytes, base64url)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token or code: SHA-256 hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invitation_code() -> str:
    """A code for an appointment letter: 12 base32 characters in groups of four."""
    raw = base64.b32encode(secrets.token_bytes(8)).decode()[:12]
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def normalize_code(text: str) -> str:
    """The code as stored: upper case, no dashes or spaces, 0/1/8 read as O/I/B."""
    cleaned = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("018", "OIB"))
    return cleaned if len(cleaned) == 12 and set(cleaned) <= set(CODE_ALPHABET) else ""
