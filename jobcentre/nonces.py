"""Request nonces seen in the signature time window, shared by every intake process.

A signed kiosk request carries a random nonce (``wire.request_auth``); the service refuses a
nonce it has seen from the same kiosk, so a captured request cannot be sent again, even to
another intake process. A nonce needs remembering only while its request time is inside the
±``MAX_CLOCK_SKEW_S`` window: afterwards the clock check refuses it anyway, so rows expire
then and are deleted periodically.

One indexed insert per request (``ON CONFLICT DO NOTHING``; no row inserted = replay). On
PostgreSQL ``remember_if_active`` inserts only if the kiosk is enrolled and not revoked, so
the service needs no separate read of the kiosk's record for a request whose signature it
checked against a key it kept (``jobcentre.routes_kiosk.KioskGate``):

* PostgreSQL: the table ``request_nonces`` in the service's database, written on a few
  connections of its own in autocommit mode with ``synchronous_commit`` off (one round
  trip, no wait for the WAL flush; losing the last few nonces in a database crash reopens
  at most a crash-length window; documents are never written on these connections).
* SQLite: a table of the same shape in ``nonces.sqlite3`` next to the database, with its
  own connection (WAL, ``synchronous=NORMAL``), so that a nonce costs no fsync and never
  waits for the documents database's single writer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from foundation.errors import DatabaseUnavailable
from foundation.files import private_sqlite_files
from wire.protocol import MAX_CLOCK_SKEW_S

_DDL = (
    "CREATE TABLE IF NOT EXISTS request_nonces (kiosk_id TEXT NOT NULL, nonce TEXT NOT NULL,"
    " expires_at BIGINT NOT NULL, PRIMARY KEY (kiosk_id, nonce))"
)
_INDEX = "CREATE INDEX IF NOT EXISTS request_nonces_expiry ON request_nonces(expires_at)"
_INSERT = ("INSERT INTO request_nonces (kiosk_id, nonce, expires_at) VALUES (?, ?, ?)"
           " ON CONFLICT DO NOTHING")
# PostgreSQL: the nonce is recorded only for an enrolled kiosk not revoked, in the same round trip
_INSERT_ACTIVE = ("INSERT INTO request_nonces (kiosk_id, nonce, expires_at) SELECT %s, %s, %s"
                  " WHERE EXISTS (SELECT 1 FROM kiosks WHERE kiosk_id = %s AND revoked_at IS NULL)"
                  " ON CONFLICT DO NOTHING")
# PostgreSQL: a group of nonces (one writer's group of uploads) in one round trip
_INSERT_ACTIVE_MANY = (
    "INSERT INTO request_nonces (kiosk_id, nonce, expires_at) SELECT t.k, t.n, t.e"
    " FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS t(k, n, e)"
    " WHERE EXISTS (SELECT 1 FROM kiosks WHERE kiosk_id = t.k AND revoked_at IS NULL)"
    " ON CONFLICT DO NOTHING RETURNING kiosk_id, nonce")
_EXPIRE = "DELETE FROM request_nonces WHERE expires_at < ?"
_MARGIN_S = 60


def nonce_expiry(timestamp: int) -> int:
    """Unix time after which a nonce sent with request time ``timestamp`` can be forgotten."""
    return timestamp + MAX_CLOCK_SKEW_S + _MARGIN_S


class NonceStore:
    """Remembers request nonces until their time window has passed."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._postgres = getattr(repo, "placeholder", "?") == "%s"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pool: Any = None
        if self._postgres:
            with repo.transaction(write=True) as execute:
                execute(_DDL)
                execute(_INDEX)
            import psycopg

            self._pg_error: type[Exception] = psycopg.Error
            self._pool = repo.autocommit_pool("SET synchronous_commit TO OFF", size=8)
            return
        path = Path(getattr(repo, "path", "intake.sqlite3"))
        try:
            private_sqlite_files(path.with_name("nonces.sqlite3"))
            conn = sqlite3.connect(path.with_name("nonces.sqlite3"), timeout=30,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_DDL)
            conn.execute(_INDEX)
            private_sqlite_files(path.with_name("nonces.sqlite3"))
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(f"nonce store: {type(exc).__name__}") from exc
        self._conn = conn

    def remember(self, kiosk_id: str, nonce: str, timestamp: int) -> bool:
        """Record a nonce; False if this kiosk already used it (a replay)."""
        params = (kiosk_id, nonce, nonce_expiry(timestamp))
        if self._conn is None:
            try:
                with self._pool.connection() as conn:
                    return bool(conn.execute(_INSERT.replace("?", "%s"), params).rowcount == 1)
            except self._pg_error as exc:
                raise _unavailable(exc) from exc
        try:
            with self._lock:
                return bool(self._conn.execute(_INSERT, params).rowcount == 1)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"nonce store: {type(exc).__name__}") from exc

    @property
    def checks_revocation(self) -> bool:
        """True if ``remember_if_active`` is available (PostgreSQL: kiosks in the same database)."""
        return self._conn is None

    def remember_if_active(self, kiosk_id: str, nonce: str, timestamp: int) -> bool:
        """Record a nonce if the kiosk is enrolled and not revoked, in one round trip (only
        with ``checks_revocation``); False if not recorded: a replay, or the kiosk revoked
        (the caller reads the kiosk to tell which)."""
        if self._conn is not None:
            raise RuntimeError("remember_if_active needs PostgreSQL")
        params = (kiosk_id, nonce, nonce_expiry(timestamp), kiosk_id)
        try:
            with self._pool.connection() as conn:
                return bool(conn.execute(_INSERT_ACTIVE, params).rowcount == 1)
        except self._pg_error as exc:
            raise _unavailable(exc) from exc

    def remember_many_if_active(self, entries: list[tuple[str, str, int]]
                                ) -> set[tuple[str, str]]:
        """``remember_if_active`` for many ``(kiosk_id, nonce, timestamp)`` (no two alike)
        in one round trip; the ``(kiosk_id, nonce)`` recorded (PostgreSQL only)."""
        if self._conn is not None:
            raise RuntimeError("remember_many_if_active needs PostgreSQL")
        columns = ([k for k, _, _ in entries], [n for _, n, _ in entries],
                   [nonce_expiry(t) for _, _, t in entries])
        try:
            with self._pool.connection() as conn:
                rows = conn.execute(_INSERT_ACTIVE_MANY, columns).fetchall()
        except self._pg_error as exc:
            raise _unavailable(exc) from exc
        return {(str(k), str(n)) for k, n in rows}

    def expire(self, now: float | None = None) -> int:
        """Forget nonces whose window has passed; returns how many."""
        cutoff = int(time.time() if now is None else now)
        if self._conn is None:
            with self._repo.transaction(write=True) as execute:
                return int(execute(_EXPIRE, (cutoff,)).rowcount or 0)
        try:
            with self._lock:
                return int(self._conn.execute(_EXPIRE, (cutoff,)).rowcount or 0)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"nonce store: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Close the nonce connections (the repository closes its own)."""
        if self._pool is not None:
            self._pool.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _unavailable(exc: Exception) -> DatabaseUnavailable:
    """The PostgreSQL error of a nonce write as ``DatabaseUnavailable`` (with its SQLSTATE)."""
    state = getattr(exc, "sqlstate", None)
    return DatabaseUnavailable(f"nonce store: {type(exc).__name__}"
                               + (f" ({state})" if state else ""))
