"""Remote commands for kiosks: issue (signed), deliver on the live channel, track the result.

One table, ``fleet_commands`` (SQLite and PostgreSQL through the repository's connections,
created by :class:`CommandStore` like ``jobcentre.live_store``)::

    id  kiosk_id  name  params  urgent  issued_by  created  expires_at
    state  answer  error  delivered_at  finished_at

``state`` moves ``pending → delivered → done | failed`` and never back: a report of a state
already passed is answered with the current row (reports are idempotent, the kiosk may
repeat them after a lost answer); a different final state after a final one is refused
(409 ``command_finished``). A report for a command of another kiosk is refused (403
``not_your_command``), an unknown id 404 ``command_unknown``.

:func:`issue_command` signs the command with the centre signing key (``wire.fleet_command``)
and stores it; the caller posts the returned body on the live channel as ``fleet.command``
(``LiveHub.post`` in the service, ``LiveStore.add`` from a command-line process). Rows are
found by their primary key or by ``(kiosk_id, created)``; no query scans the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ApiError
from jobcentre.repository import db_time
from wire import codec
from wire.fleet_command import DEFAULT_VALID_FOR, sign_command

_DDL = (
    "CREATE TABLE IF NOT EXISTS fleet_commands ("
    " id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL,"
    " urgent INTEGER NOT NULL, issued_by TEXT NOT NULL, created TEXT NOT NULL,"
    " expires_at TEXT NOT NULL, state TEXT NOT NULL, answer TEXT, error TEXT,"
    " delivered_at TEXT, finished_at TEXT)"
)
_INDEX = ("CREATE INDEX IF NOT EXISTS fleet_commands_by_kiosk"
          " ON fleet_commands(kiosk_id, created)")
_COLS = ("id, kiosk_id, name, params, urgent, issued_by, created, expires_at, state, answer,"
         " error, delivered_at, finished_at")
ORDER = {"pending": 0, "delivered": 1, "done": 2, "failed": 2}
FINAL = ("done", "failed")


@dataclass(frozen=True)
class CommandRecord:
    """One issued command and what the kiosk reported."""

    command_id: str
    kiosk_id: str
    name: str
    params: dict[str, Any]
    urgent: bool
    issued_by: str
    created: str
    expires_at: str
    state: str
    answer: dict[str, Any] | None
    error: str | None
    delivered_at: str | None
    finished_at: str | None


def _record(row: Any) -> CommandRecord:
    return CommandRecord(row[0], row[1], row[2], json.loads(row[3]), bool(row[4]), row[5],
                         row[6], row[7], row[8], json.loads(row[9]) if row[9] else None,
                         row[10], row[11], row[12])


class CommandStore:
    """The ``fleet_commands`` table on the intake service's repository."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        with repo.transaction(write=True) as execute:
            execute(_DDL)
            execute(_INDEX)

    def add(self, signed: dict[str, Any], issued_by: str) -> CommandRecord:
        """Store a signed command (``wire.fleet_command.sign_command``) as pending."""
        body = signed["command"]
        with self.repo.transaction(write=True) as execute:
            execute(f"INSERT INTO fleet_commands ({_COLS}) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, NULL, NULL, NULL)",
                    (body["id"], body["kiosk_id"], body["name"],
                     codec.canonical_json(body["params"]).decode(), int(body["urgent"]),
                     issued_by, db_time(codec.parse_time(body["issued_at"])),
                     db_time(codec.parse_time(body["expires_at"]))))
        found = self.get(body["id"])
        assert found is not None
        return found

    def get(self, command_id: str) -> CommandRecord | None:
        """One command by id."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_COLS} FROM fleet_commands WHERE id = ?",
                          (command_id,)).fetchone()
        return _record(row) if row else None

    def for_kiosk(self, kiosk_id: str, limit: int = 50) -> list[CommandRecord]:
        """The newest commands of one kiosk, newest first."""
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM fleet_commands WHERE kiosk_id = ?"
                           " ORDER BY created DESC LIMIT ?", (kiosk_id, limit)).fetchall()
        return [_record(r) for r in rows]

    def report(self, kiosk_id: str, command_id: str, state: str, answer: dict[str, Any],
               error: str | None, now: datetime | None = None) -> CommandRecord:
        """Apply a kiosk's report (idempotent); ``ApiError`` if it is not this kiosk's."""
        stamp = db_time(now or datetime.now(UTC))
        with self.repo.transaction(write=True) as execute:
            row = execute(f"SELECT {_COLS} FROM fleet_commands WHERE id = ?",
                          (command_id,)).fetchone()
            if row is None:
                raise ApiError(404, "command_unknown")
            current = _record(row)
            if current.kiosk_id != kiosk_id:
                raise ApiError(403, "not_your_command")
            if current.state in FINAL and state in FINAL and state != current.state:
                raise ApiError(409, "command_finished")
            if ORDER[state] > ORDER[current.state]:
                if state == "delivered":
                    execute("UPDATE fleet_commands SET state = ?, delivered_at = ?"
                            " WHERE id = ?", (state, stamp, command_id))
                else:
                    execute("UPDATE fleet_commands SET state = ?, answer = ?, error = ?,"
                            " delivered_at = COALESCE(delivered_at, ?), finished_at = ?"
                            " WHERE id = ?",
                            (state, codec.canonical_json(answer).decode(), error, stamp, stamp,
                             command_id))
        found = self.get(command_id)
        assert found is not None
        return found


def issue_command(store: CommandStore, signing_key: Ed25519PrivateKey, kiosk_id: str,
                  name: str, params: dict[str, Any], *, urgent: bool, issued_by: str,
                  valid_for: timedelta = DEFAULT_VALID_FOR) -> tuple[CommandRecord,
                                                                      dict[str, Any]]:
    """Sign and store a command; returns its row and the ``fleet.command`` body to post."""
    signed = sign_command(kiosk_id, name, params, signing_key, urgent=urgent,
                          valid_for=valid_for)
    return store.add(signed, issued_by), signed
