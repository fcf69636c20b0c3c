"""Calls, appointments and call tokens in the intake service's database (SQLite or PostgreSQL).

Three tables: ``calls`` (the queue and its history, whose handling times feed the wait
estimate), ``call_appointments`` (booked by counsellors; only the SHA-256 of the invitation
code is kept) and ``call_tokens`` (guest links and WebSocket tickets, SHA-256 only). Every
change runs in one ``repo.transaction(write=True)`` and checks the state it expects, so two
counsellors accepting the same visitor cannot both win. No visitor data is stored beyond
language, topic and the kiosk's location.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from foundation.errors import ApiError
from jobcentre.calls.model import (
    Call,
    CallEvent,
    CallState,
    new_id,
    new_invitation_code,
    new_token,
    normalize_code,
    step,
    token_hash,
)
from jobcentre.repository import db_time

_DDL = (
    "CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL,"
    " language TEXT NOT NULL, topic TEXT NOT NULL, location TEXT NOT NULL,"
    " state TEXT NOT NULL, created_at TEXT NOT NULL, kiosk_seen_at TEXT NOT NULL,"
    " accepted_at TEXT, ended_at TEXT, ended_reason TEXT, counsellor_id TEXT,"
    " appointment_id TEXT)",
    "CREATE INDEX IF NOT EXISTS calls_by_state ON calls(state, created_at)",
    "CREATE TABLE IF NOT EXISTS call_appointments (appointment_id TEXT PRIMARY KEY,"
    " counsellor_id TEXT NOT NULL, starts_at TEXT NOT NULL, topic TEXT NOT NULL,"
    " language TEXT NOT NULL, code_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
    " used_at TEXT, call_id TEXT)",
    "CREATE TABLE IF NOT EXISTS call_tokens (token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL,"
    " call_id TEXT, party TEXT NOT NULL, subject TEXT NOT NULL, created_at TEXT NOT NULL,"
    " expires_at TEXT NOT NULL, used_at TEXT, revoked_at TEXT)",
)
_CALL_COLS = ("call_id, kiosk_id, language, topic, location, state, created_at, kiosk_seen_at,"
              " accepted_at, ended_at, ended_reason, counsellor_id, appointment_id")
CODE_OPENS_BEFORE = timedelta(minutes=30)
CODE_VALID_AFTER = timedelta(hours=2)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _call(row: Any) -> Call:
    created, seen = datetime.fromisoformat(row[6]), datetime.fromisoformat(row[7])
    return Call(row[0], row[1], row[2], row[3], row[4], CallState(row[5]), created, seen,
                _time(row[8]), _time(row[9]), row[10], row[11], row[12])


@dataclass(frozen=True)
class Appointment:
    """A booked video appointment."""

    appointment_id: str
    counsellor_id: str
    starts_at: datetime
    topic: str
    language: str
    used_at: datetime | None
    call_id: str | None


@dataclass(frozen=True)
class CallToken:
    """A redeemed guest link or WebSocket ticket."""

    kind: str  # "guest" or "ticket"
    call_id: str | None
    party: str  # "counsellor" or "guest"
    subject: str  # the counsellor's account, or the guest's id


class CallStore:
    """The call tables on the service's repository."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        with repo.transaction(write=True) as execute:
            for statement in _DDL:
                execute(statement)

    # calls ------------------------------------------------------------------------------
    def create_call(self, kiosk_id: str, language: str, topic: str, location: str,
                    now: datetime, appointment_id: str | None = None,
                    reserved_for: str | None = None) -> Call:
        """Queue a new call (an appointment's is reserved for its counsellor); 409
        ``call_already_open`` if this kiosk has one."""
        call = Call(new_id("c"), kiosk_id, language, topic, location, CallState.WAITING,
                    now, now, counsellor_id=reserved_for, appointment_id=appointment_id)
        with self.repo.transaction(write=True) as execute:
            row = execute("SELECT call_id FROM calls WHERE kiosk_id = ? AND state != ?",
                          (kiosk_id, CallState.ENDED.value)).fetchone()
            if row is not None:
                raise ApiError(409, "call_already_open", call_id=row[0])
            execute(f"INSERT INTO calls ({_CALL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (call.call_id, kiosk_id, language, topic, location, call.state.value,
                     db_time(now), db_time(now), None, None, None, reserved_for, appointment_id))
        return call

    def get(self, call_id: str) -> Call | None:
        """The call, or None."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_CALL_COLS} FROM calls WHERE call_id = ?",
                          (call_id[:80],)).fetchone()
        return None if row is None else _call(row)

    def apply(self, call_id: str, event: CallEvent, now: datetime,
              counsellor_id: str | None = None) -> Call:
        """Run ``event`` on the call atomically; 404 unknown, 409 when it does not apply."""
        with self.repo.transaction(write=True) as execute:
            row = execute(f"SELECT {_CALL_COLS} FROM calls WHERE call_id = ?",
                          (call_id[:80],)).fetchone()
            if row is None:
                raise ApiError(404, "call_unknown")
            before = _call(row)
            after = step(before, event, now, counsellor_id)
            cur = execute("UPDATE calls SET state = ?, accepted_at = ?, ended_at = ?,"
                          " ended_reason = ?, counsellor_id = ? WHERE call_id = ? AND state = ?",
                          (after.state.value, _db(after.accepted_at), _db(after.ended_at),
                           after.ended_reason, after.counsellor_id, call_id,
                           before.state.value))
            if cur.rowcount != 1:
                raise ApiError(409, "call_taken")
        return after

    def touch_kiosk(self, call_id: str, now: datetime) -> None:
        """Note a sign of life from the kiosk of an open call."""
        with self.repo.transaction(write=True) as execute:
            execute("UPDATE calls SET kiosk_seen_at = ? WHERE call_id = ? AND state != ?",
                    (db_time(now), call_id, CallState.ENDED.value))

    def open_calls(self) -> list[Call]:
        """Waiting and active calls, oldest first."""
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_CALL_COLS} FROM calls WHERE state != ?"
                           " ORDER BY created_at, call_id", (CallState.ENDED.value,)).fetchall()
        return [_call(r) for r in rows]

    def recent_handling(self, now: datetime, limit: int = 20
                        ) -> tuple[list[timedelta], int]:
        """Handling times of calls ended in the last 8 h; counsellors active in the last hour."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT accepted_at, ended_at FROM calls WHERE state = ?"
                           " AND accepted_at IS NOT NULL AND ended_at > ?"
                           " ORDER BY ended_at DESC LIMIT ?",
                           (CallState.ENDED.value, db_time(now - timedelta(hours=8)),
                            limit)).fetchall()
            people = execute("SELECT COUNT(DISTINCT counsellor_id) FROM calls"
                             " WHERE accepted_at > ?",
                             (db_time(now - timedelta(hours=1)),)).fetchone()
        spans = [datetime.fromisoformat(e) - datetime.fromisoformat(a) for a, e in rows]
        return spans, int(people[0] or 0)

    # appointments -----------------------------------------------------------------------
    def book(self, counsellor_id: str, starts_at: datetime, topic: str, language: str,
             now: datetime) -> tuple[Appointment, str]:
        """Book an appointment; returns it and its invitation code (shown once)."""
        code = new_invitation_code()
        appointment = Appointment(new_id("a"), counsellor_id, starts_at, topic, language,
                                  None, None)
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO call_appointments (appointment_id, counsellor_id, starts_at,"
                    " topic, language, code_hash, created_at) VALUES (?,?,?,?,?,?,?)",
                    (appointment.appointment_id, counsellor_id, db_time(starts_at), topic,
                     language, token_hash(normalize_code(code)), db_time(now)))
        return appointment, code

    def appointments(self, counsellor_id: str, now: datetime) -> list[Appointment]:
        """The counsellor's appointments from two hours ago on."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT appointment_id, counsellor_id, starts_at, topic, language,"
                           " used_at, call_id FROM call_appointments WHERE counsellor_id = ?"
                           " AND starts_at > ? ORDER BY starts_at",
                           (counsellor_id, db_time(now - CODE_VALID_AFTER))).fetchall()
        return [Appointment(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4],
                            _time(r[5]), r[6]) for r in rows]

    def join_by_code(self, kiosk_id: str, code: str, location: str, now: datetime
                     ) -> tuple[Call, Appointment]:
        """Start the call of an appointment by its code (once, in its time window)."""
        digest = token_hash(normalize_code(code)) if normalize_code(code) else ""
        with self.repo.transaction(write=True) as execute:
            row = execute("SELECT appointment_id, counsellor_id, starts_at, topic, language,"
                          " used_at, call_id FROM call_appointments WHERE code_hash = ?",
                          (digest,)).fetchone()
            if row is None:
                raise ApiError(404, "code_unknown")
            starts = datetime.fromisoformat(row[2])
            if row[5] is not None:
                raise ApiError(409, "code_used")
            if now > starts + CODE_VALID_AFTER:
                raise ApiError(410, "code_expired")
            if now < starts - CODE_OPENS_BEFORE:
                raise ApiError(425, "code_too_early", opens_at=db_time(starts - CODE_OPENS_BEFORE))
            cur = execute("UPDATE call_appointments SET used_at = ? WHERE appointment_id = ?"
                          " AND used_at IS NULL", (db_time(now), row[0]))
            if cur.rowcount != 1:
                raise ApiError(409, "code_used")
        appointment = Appointment(row[0], row[1], starts, row[3], row[4], now, None)
        try:
            call = self.create_call(kiosk_id, appointment.language, appointment.topic,
                                    location, now, appointment.appointment_id,
                                    appointment.counsellor_id)
        except ApiError:
            with self.repo.transaction(write=True) as execute:  # give the code back
                execute("UPDATE call_appointments SET used_at = NULL WHERE appointment_id = ?",
                        (row[0],))
            raise
        with self.repo.transaction(write=True) as execute:
            execute("UPDATE call_appointments SET call_id = ? WHERE appointment_id = ?",
                    (call.call_id, row[0]))
        return call, appointment

    # tokens -----------------------------------------------------------------------------
    def issue_token(self, kind: str, call_id: str | None, party: str, subject: str,
                    ttl: timedelta, now: datetime) -> str:
        """A new guest link or ticket secret (only its hash is stored)."""
        token = new_token()
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO call_tokens (token_hash, kind, call_id, party, subject,"
                    " created_at, expires_at) VALUES (?,?,?,?,?,?,?)",
                    (token_hash(token), kind, call_id, party, subject, db_time(now),
                     db_time(now + ttl)))
        return token

    def peek_token(self, token: str, kind: str, now: datetime) -> CallToken:
        """A token still usable (not redeemed); refuses like ``redeem``."""
        return self._check(token, kind, now, consume=False)

    def redeem(self, token: str, kind: str, now: datetime) -> CallToken:
        """Use a token once: 404 ``token_unknown``, 410 ``token_expired``, 409
        ``token_used``, 403 ``token_revoked``."""
        return self._check(token, kind, now, consume=True)

    def _check(self, token: str, kind: str, now: datetime, consume: bool) -> CallToken:
        digest = token_hash(token[:100])
        with self.repo.transaction(write=consume) as execute:
            row = execute("SELECT kind, call_id, party, subject, expires_at, used_at, revoked_at"
                          " FROM call_tokens WHERE token_hash = ?", (digest,)).fetchone()
            if row is None or row[0] != kind:
                raise ApiError(404, "token_unknown")
            if row[6] is not None:
                raise ApiError(403, "token_revoked")
            if row[5] is not None:
                raise ApiError(409, "token_used")
            if datetime.fromisoformat(row[4]) <= now:
                raise ApiError(410, "token_expired")
            if consume:
                cur = execute("UPDATE call_tokens SET used_at = ? WHERE token_hash = ?"
                              " AND used_at IS NULL", (db_time(now), digest))
                if cur.rowcount != 1:
                    raise ApiError(409, "token_used")
        return CallToken(row[0], row[1], row[2], row[3])

    def revoke_guests(self, call_id: str, now: datetime, subject: str | None = None) -> int:
        """Revoke the guest links of a call (one guest's, or all); returns how many."""
        query = ("UPDATE call_tokens SET revoked_at = ? WHERE kind = 'guest' AND call_id = ?"
                 " AND revoked_at IS NULL")
        params: tuple[Any, ...] = (db_time(now), call_id)
        if subject is not None:
            query += " AND subject = ?"
            params += (subject,)
        with self.repo.transaction(write=True) as execute:
            return int(execute(query, params).rowcount or 0)


def _db(moment: datetime | None) -> str | None:
    return None if moment is None else db_time(moment.astimezone(UTC))
