"""The rollout tables: ``fleet_rollouts``, ``fleet_rollout_kiosks``, ``fleet_bundle_reports``.

One row per signed version of a bundle kind (``site_config``, ``app_update``) with its stage
(``canary`` → ``all``, or ``halted`` / ``superseded``), its canary (a percentage or named
kiosks), the kiosks it was sent to, and the signed bundles (canary and, after promotion,
all). Per kiosk and rollout the newest state (``sent`` → ``applied`` | ``rolled_back`` |
``refused``) with its reason; every report the kiosks send is also kept in
``fleet_bundle_reports`` (a tampered bundle claims a version that may not be ours).
Works on SQLite and PostgreSQL through the repository's connections, like
``jobcentre.live_store``. Nothing personal is stored.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobcentre.repository import db_time

_ID = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgres": "BIGSERIAL PRIMARY KEY"}
_DDL = (
    "CREATE TABLE IF NOT EXISTS fleet_rollouts ("
    " id {id}, kind TEXT NOT NULL, version INTEGER NOT NULL, payload TEXT NOT NULL,"
    " stage TEXT NOT NULL, canary_percent INTEGER, canary_kiosks TEXT NOT NULL,"
    " targets TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,"
    " promoted_at TEXT, halted_at TEXT, halt_reason TEXT NOT NULL DEFAULT '',"
    " reissue_of INTEGER, bundle_canary TEXT NOT NULL, bundle_all TEXT,"
    " UNIQUE (kind, version))",
    "CREATE TABLE IF NOT EXISTS fleet_rollout_kiosks ("
    " rollout_id INTEGER NOT NULL, kiosk_id TEXT NOT NULL, state TEXT NOT NULL,"
    " reason TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL,"
    " PRIMARY KEY (rollout_id, kiosk_id))",
    "CREATE INDEX IF NOT EXISTS fleet_rollout_kiosks_by_kiosk"
    " ON fleet_rollout_kiosks(kiosk_id, rollout_id)",
    "CREATE TABLE IF NOT EXISTS fleet_bundle_reports ("
    " id {id}, kiosk_id TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL,"
    " state TEXT NOT NULL, reason TEXT NOT NULL, reported_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS fleet_bundle_reports_by_kiosk"
    " ON fleet_bundle_reports(kiosk_id, id)",
)
#: repositories whose tables exist (DDL once per process: concurrent DDL deadlocks PostgreSQL)
_READY: weakref.WeakSet[Any] = weakref.WeakSet()
_COLS = ("id, kind, version, payload, stage, canary_percent, canary_kiosks, targets,"
         " created_by, created_at, promoted_at, halted_at, halt_reason, reissue_of,"
         " bundle_canary, bundle_all")


@dataclass(frozen=True)
class Rollout:
    """One signed version of a bundle kind and how far it has gone."""

    id: int
    kind: str
    version: int
    payload: dict[str, Any]
    stage: str
    canary_percent: int | None
    canary_kiosks: tuple[str, ...]
    targets: tuple[str, ...]
    created_by: str
    created_at: str
    promoted_at: str | None
    halted_at: str | None
    halt_reason: str
    reissue_of: int | None
    bundle_canary: str
    bundle_all: str | None


@dataclass(frozen=True)
class KioskState:
    """Where one kiosk stands with one rollout."""

    rollout_id: int
    kiosk_id: str
    state: str
    reason: str
    updated_at: str


@dataclass(frozen=True)
class Report:
    """One bundle report as a kiosk sent it."""

    kiosk_id: str
    kind: str
    version: int
    state: str
    reason: str
    reported_at: str


def _rollout(row: Any) -> Rollout:
    return Rollout(int(row[0]), row[1], int(row[2]), json.loads(row[3]), row[4],
                   None if row[5] is None else int(row[5]), tuple(json.loads(row[6])),
                   tuple(json.loads(row[7])), row[8], row[9], row[10], row[11], row[12],
                   None if row[13] is None else int(row[13]), row[14], row[15])


class RolloutTables:
    """Plain reads and writes of the rollout tables (the rules are in ``rollouts.py``)."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        if repo in _READY:
            return
        kind = "postgres" if getattr(repo, "placeholder", "?") == "%s" else "sqlite"
        with repo.transaction(write=True) as execute:
            for statement in _DDL:
                execute(statement.format(id=_ID[kind]))
        _READY.add(repo)

    def next_version(self, kind: str) -> int:
        """One more than the highest version of ``kind``."""
        with self.repo.transaction() as execute:
            row = execute("SELECT MAX(version) FROM fleet_rollouts WHERE kind = ?",
                          (kind,)).fetchone()
        return int(row[0] or 0) + 1

    def insert(self, rollout: Rollout, now: datetime) -> Rollout:
        """Store a new rollout (its kiosks ``sent``) and supersede older canaries of its kind."""
        with self.repo.transaction(write=True) as execute:
            execute("UPDATE fleet_rollouts SET stage = 'superseded'"
                    " WHERE kind = ? AND stage = 'canary'", (rollout.kind,))
            execute("INSERT INTO fleet_rollouts (kind, version, payload, stage, canary_percent,"
                    " canary_kiosks, targets, created_by, created_at, halt_reason, reissue_of,"
                    " bundle_canary) VALUES (?, ?, ?, 'canary', ?, ?, ?, ?, ?, '', ?, ?)",
                    (rollout.kind, rollout.version, json.dumps(rollout.payload, sort_keys=True),
                     rollout.canary_percent, json.dumps(list(rollout.canary_kiosks)),
                     json.dumps(list(rollout.targets)), rollout.created_by, db_time(now),
                     rollout.reissue_of, rollout.bundle_canary))
            row = execute(f"SELECT {_COLS} FROM fleet_rollouts WHERE kind = ? AND version = ?",
                          (rollout.kind, rollout.version)).fetchone()
            stored = _rollout(row)
            self._mark_sent(execute, stored.id, rollout.targets, now)
        return stored

    @staticmethod
    def _mark_sent(execute: Any, rollout_id: int, kiosks: Iterable[str], now: datetime) -> None:
        for kiosk_id in kiosks:
            execute("INSERT INTO fleet_rollout_kiosks (rollout_id, kiosk_id, state, reason,"
                    " updated_at) VALUES (?, ?, 'sent', '', ?)", (rollout_id, kiosk_id,
                                                                  db_time(now)))

    def promote(self, rollout_id: int, bundle_all: str, kiosks: list[str],
                now: datetime) -> bool:
        """Stage ``all`` (only from ``canary``); the other kiosks become ``sent``."""
        with self.repo.transaction(write=True) as execute:
            row = execute(f"SELECT {_COLS} FROM fleet_rollouts WHERE id = ?",
                          (rollout_id,)).fetchone()
            if row is None or row[4] != "canary":
                return False
            rollout = _rollout(row)
            execute("UPDATE fleet_rollouts SET stage = 'superseded'"
                    " WHERE kind = ? AND stage = 'all'", (rollout.kind,))
            execute("UPDATE fleet_rollouts SET stage = 'all', promoted_at = ?, bundle_all = ?"
                    " WHERE id = ?", (db_time(now), bundle_all, rollout_id))
            held = set(rollout.targets)
            self._mark_sent(execute, rollout_id, [k for k in kiosks if k not in held], now)
        return True

    def halt(self, rollout_id: int, reason: str, now: datetime) -> bool:
        """Stage ``halted`` (only from ``canary``)."""
        with self.repo.transaction(write=True) as execute:
            cur = execute("UPDATE fleet_rollouts SET stage = 'halted', halted_at = ?,"
                          " halt_reason = ? WHERE id = ? AND stage = 'canary'",
                          (db_time(now), reason[:300], rollout_id))
            return bool(cur.rowcount)

    def get(self, rollout_id: int) -> Rollout | None:
        """One rollout."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_COLS} FROM fleet_rollouts WHERE id = ?",
                          (rollout_id,)).fetchone()
        return None if row is None else _rollout(row)

    def by_version(self, kind: str, version: int) -> Rollout | None:
        """The rollout of ``kind`` that signed ``version``."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_COLS} FROM fleet_rollouts WHERE kind = ? AND version = ?",
                          (kind, version)).fetchone()
        return None if row is None else _rollout(row)

    def newest(self, kind: str | None = None, limit: int = 50) -> list[Rollout]:
        """The newest rollouts (of one kind), newest first."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM fleet_rollouts {where}"
                           " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [_rollout(r) for r in rows]

    def kiosk_states(self, rollout_id: int) -> list[KioskState]:
        """Every kiosk of one rollout, by kiosk id."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT rollout_id, kiosk_id, state, reason, updated_at"
                           " FROM fleet_rollout_kiosks WHERE rollout_id = ? ORDER BY kiosk_id",
                           (rollout_id,)).fetchall()
        return [KioskState(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def states_of_kiosk(self, kiosk_id: str, limit: int = 10) -> list[KioskState]:
        """One kiosk's states in the newest rollouts."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT rollout_id, kiosk_id, state, reason, updated_at"
                           " FROM fleet_rollout_kiosks WHERE kiosk_id = ?"
                           " ORDER BY rollout_id DESC LIMIT ?", (kiosk_id, limit)).fetchall()
        return [KioskState(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def record(self, report: Report, rollout: Rollout | None, now: datetime) -> None:
        """Keep the report; update the kiosk's state (a refusal never hides an outcome)."""
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO fleet_bundle_reports (kiosk_id, kind, version, state, reason,"
                    " reported_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (report.kiosk_id, report.kind, report.version, report.state,
                     report.reason[:300], db_time(now)))
            if rollout is None:
                return
            row = execute("SELECT state FROM fleet_rollout_kiosks WHERE rollout_id = ?"
                          " AND kiosk_id = ?", (rollout.id, report.kiosk_id)).fetchone()
            if row is None:
                self._mark_sent(execute, rollout.id, [report.kiosk_id], now)
            elif report.state == "refused" and row[0] != "sent":
                return
            execute("UPDATE fleet_rollout_kiosks SET state = ?, reason = ?, updated_at = ?"
                    " WHERE rollout_id = ? AND kiosk_id = ?",
                    (report.state, report.reason[:300], db_time(now), rollout.id,
                     report.kiosk_id))

    def reports(self, kiosk_id: str | None = None, limit: int = 20) -> list[Report]:
        """The newest bundle reports (of one kiosk), newest first."""
        where, params = ("WHERE kiosk_id = ?", (kiosk_id,)) if kiosk_id else ("", ())
        with self.repo.transaction() as execute:
            rows = execute("SELECT kiosk_id, kind, version, state, reason, reported_at"
                           f" FROM fleet_bundle_reports {where} ORDER BY id DESC LIMIT ?",
                           (*params, limit)).fetchall()
        return [Report(r[0], r[1], int(r[2]), r[3], r[4], r[5]) for r in rows]
