"""Durable queue of live-channel messages, shared by every intake process through the database.

One table, ``live_messages``: a global sequence number (the kiosk's cursor), the kiosk it is
for, a message id, the type, the JSON body and times. Works on SQLite and PostgreSQL through
the repository's connections. Messages a kiosk has acknowledged (by polling past them) and
expired ones are deleted; nothing personal is stored here beyond what a message carries
for its short life (a first name in "help is on the way", a call token).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobcentre.repository import db_time
from wire import codec

_SQLITE_DDL = (
    "CREATE TABLE IF NOT EXISTS live_messages ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, kiosk_id TEXT NOT NULL,"
    " message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, body TEXT NOT NULL,"
    " sent_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
)
_POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS live_messages ("
    " seq BIGSERIAL PRIMARY KEY, kiosk_id TEXT NOT NULL,"
    " message_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, body TEXT NOT NULL,"
    " sent_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
)
_INDEX = "CREATE INDEX IF NOT EXISTS live_by_kiosk ON live_messages(kiosk_id, seq)"
_COLS = "seq, message_id, kiosk_id, type, body, sent_at"


@dataclass(frozen=True)
class LiveMessage:
    """One message for one kiosk."""

    seq: int
    message_id: str
    kiosk_id: str
    type: str
    body: dict[str, Any]
    sent_at: str

    def wire(self) -> dict[str, Any]:
        """The envelope the kiosk receives (see docs/intake-api.md, "Live channel")."""
        return {"seq": self.seq, "id": self.message_id, "type": self.type,
                "sent_at": self.sent_at, "body": self.body}


def _message(row: Any) -> LiveMessage:
    return LiveMessage(int(row[0]), row[1], row[2], row[3], json.loads(row[4]), row[5])


class LiveStore:
    """The ``live_messages`` table on the intake service's repository."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        postgres = getattr(repo, "placeholder", "?") == "%s"
        with repo.transaction(write=True) as execute:
            execute(_POSTGRES_DDL if postgres else _SQLITE_DDL)
            execute(_INDEX)

    def add(self, kiosk_id: str, type_: str, body: dict[str, Any], ttl: timedelta,
            now: datetime | None = None) -> LiveMessage:
        """Queue a message for a kiosk; returns it with its sequence number."""
        now = now or datetime.now(UTC)
        message_id = str(uuid.uuid4())
        sent_at = codec.format_time(now)
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO live_messages (kiosk_id, message_id, type, body, sent_at,"
                    " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (kiosk_id, message_id, type_, codec.canonical_json(body).decode(),
                     sent_at, db_time(now + ttl)))
            row = execute(f"SELECT {_COLS} FROM live_messages WHERE message_id = ?",
                          (message_id,)).fetchone()
        return _message(row)

    def after(self, kiosk_id: str, cursor: int, limit: int, now: datetime | None = None
              ) -> list[LiveMessage]:
        """Unexpired messages for ``kiosk_id`` past ``cursor``, oldest first."""
        # one statement on its own: a single database round trip for every poll
        rows = self.repo.read(
            f"SELECT {_COLS} FROM live_messages WHERE kiosk_id = ? AND seq > ?"
            " AND expires_at > ? ORDER BY seq LIMIT ?",
            (kiosk_id, cursor, db_time(now), limit))
        return [_message(r) for r in rows]

    def acknowledge(self, kiosk_id: str, cursor: int) -> None:
        """Delete what the kiosk has received (it polled with a cursor past it)."""
        with self.repo.transaction(write=True) as execute:
            execute("DELETE FROM live_messages WHERE kiosk_id = ? AND seq <= ?",
                    (kiosk_id, cursor))

    def newest_seq(self) -> int:
        """The highest sequence number in use (0 if none)."""
        with self.repo.transaction() as execute:
            row = execute("SELECT MAX(seq) FROM live_messages").fetchone()
        return int(row[0] or 0)

    def kiosks_after(self, seq: int) -> set[str]:
        """Kiosks with a message newer than ``seq`` (to wake their waiting polls)."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT DISTINCT kiosk_id FROM live_messages WHERE seq > ?",
                           (seq,)).fetchall()
        return {r[0] for r in rows}

    def expire(self, now: datetime | None = None) -> int:
        """Delete expired messages; returns how many."""
        with self.repo.transaction(write=True) as execute:
            cur = execute("DELETE FROM live_messages WHERE expires_at <= ?", (db_time(now),))
            return int(cur.rowcount or 0)
