"""Server-side staff sessions behind a random cookie token (stored only as SHA-256).

A session ends after ``idle`` without a request (15 minutes by default), after ``lifetime``
in any case, at logout, and when its account is disabled or its role no longer exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jobcentre.repository import StaffAccount, StaffRepository, StaffSession, db_time
from wire.protocol import parse_time

TOKEN_BYTES = 32
DEFAULT_IDLE = timedelta(minutes=15)
DEFAULT_LIFETIME = timedelta(hours=10)


class SessionState(StrEnum):
    """What a presented session cookie turned out to be."""

    ACTIVE = "active"
    EXPIRED = "expired"
    NONE = "none"


@dataclass(frozen=True)
class ResumedSession:
    """The outcome of resuming a session; ``account`` and ``token`` are set when active."""

    state: SessionState
    account: StaffAccount | None = None
    token: str = ""


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(
    repo: StaffRepository, account: StaffAccount, address: str, now: datetime
) -> str:
    """Create a session for ``account``; returns the token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = db_time(now)
    repo.add_staff_session(StaffSession(hash_token(token), account.username, at, at, address))
    return token


def resume_session(
    repo: StaffRepository, token: str | None, now: datetime,
    idle: timedelta = DEFAULT_IDLE, lifetime: timedelta = DEFAULT_LIFETIME,
) -> ResumedSession:
    """Look up the session of a cookie, end it if it is idle too long, else mark it used."""
    if not token or len(token) > 128:
        return ResumedSession(SessionState.NONE)
    token_hash = hash_token(token)
    session = repo.get_staff_session(token_hash)
    if session is None:
        return ResumedSession(SessionState.NONE)
    account = repo.get_staff(session.username)
    too_idle = now - parse_time(session.last_seen) > idle
    too_old = now - parse_time(session.created_at) > lifetime
    if account is None or account.disabled_at is not None or too_idle or too_old:
        repo.delete_staff_session(token_hash)
        return ResumedSession(SessionState.EXPIRED)
    repo.touch_staff_session(token_hash, db_time(now))
    return ResumedSession(SessionState.ACTIVE, account, token)


def end_session(repo: StaffRepository, token: str) -> None:
    """Log out: forget the session."""
    repo.delete_staff_session(hash_token(token))
