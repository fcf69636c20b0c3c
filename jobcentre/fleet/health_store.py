"""The newest state of every kiosk, a thinned health history, and offline detection.

Tables (created on open, SQLite and PostgreSQL, like ``jobcentre.live_store``):

``fleet_kiosk_state``  one row per kiosk, written by **one indexed upsert per heartbeat**
    (primary key ``kiosk_id``). The upsert keeps the previous fault set and offline flag
    in ``prev_*`` columns and returns them, so the caller learns what changed without a
    second query. ``offline_at_unix`` is when the kiosk counts as offline if nothing
    arrives: ``offline_after_s(interval)`` after its last heartbeat.
``fleet_health_history``  a row when the kiosk's faults change, else at most one per
    ``HISTORY_EVERY_S``; rows older than ``HISTORY_KEEP_S`` (24 h) are purged.
``fleet_session_ends``  one row whenever a heartbeat reports a newer ``last_session_end``
    (no personal data: kiosk and time), for the sessions-per-hour metric; kept 25 h.

Offline detection (:meth:`HealthStore.mark_offline`) is one ``UPDATE … WHERE offline = 0
AND offline_at_unix < now RETURNING``: when several intake processes run the watcher, the
database hands each newly offline kiosk to exactly one of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobcentre.repository import db_time
from wire.fleet import Heartbeat

HISTORY_EVERY_S = 300.0
HISTORY_KEEP_S = 24 * 3600.0
SESSIONS_KEEP_S = 25 * 3600.0
#: offline after 3 heartbeat intervals, never later than 80 s (detected within 90 s with the
#: watcher's period) and never sooner than two intervals plus 5 s (a busy server or network)
OFFLINE_CAP_S = 80.0
#: the paper-low, outbox and disk thresholds that make a fault
OUTBOX_STUCK_S = 3600.0
DISK_FULL_PERCENT = 90.0

_STATE_COLUMNS = (
    "kiosk_id TEXT PRIMARY KEY, site TEXT NOT NULL, status TEXT NOT NULL,"
    " last_seen TEXT NOT NULL, last_seen_unix DOUBLE PRECISION NOT NULL,"
    " offline_at_unix DOUBLE PRECISION NOT NULL, interval_s DOUBLE PRECISION NOT NULL,"
    " app_version TEXT NOT NULL, config_version INTEGER, update_version INTEGER,"
    " in_session INTEGER NOT NULL, outbox_depth INTEGER NOT NULL,"
    " outbox_oldest_s DOUBLE PRECISION, disk_used DOUBLE PRECISION NOT NULL,"
    " health_failed INTEGER NOT NULL, faults TEXT NOT NULL, devices TEXT NOT NULL,"
    " body TEXT NOT NULL, offline INTEGER NOT NULL DEFAULT 0,"
    " prev_faults TEXT NOT NULL DEFAULT '', prev_offline INTEGER NOT NULL DEFAULT 0,"
    " history_unix DOUBLE PRECISION NOT NULL, session_end TEXT,"
    " prev_session_end TEXT"
)
_DDL = (
    f"CREATE TABLE IF NOT EXISTS fleet_kiosk_state ({_STATE_COLUMNS})",
    "CREATE INDEX IF NOT EXISTS fleet_state_by_site ON fleet_kiosk_state(site, kiosk_id)",
    "CREATE INDEX IF NOT EXISTS fleet_state_by_status ON fleet_kiosk_state(status, site)",
    "CREATE INDEX IF NOT EXISTS fleet_state_offline_at ON fleet_kiosk_state(offline,"
    " offline_at_unix)",
)
_HISTORY_SQLITE = ("CREATE TABLE IF NOT EXISTS fleet_health_history (id INTEGER PRIMARY KEY"
                   " AUTOINCREMENT, kiosk_id TEXT NOT NULL, at TEXT NOT NULL,"
                   " at_unix DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,"
                   " faults TEXT NOT NULL, body TEXT NOT NULL)")
_HISTORY_POSTGRES = _HISTORY_SQLITE.replace("INTEGER PRIMARY KEY AUTOINCREMENT",
                                            "BIGSERIAL PRIMARY KEY")
_HISTORY_INDEX = ("CREATE INDEX IF NOT EXISTS fleet_history_by_kiosk"
                  " ON fleet_health_history(kiosk_id, at_unix)")
_SESSIONS = ("CREATE TABLE IF NOT EXISTS fleet_session_ends (kiosk_id TEXT NOT NULL,"
             " ended_unix DOUBLE PRECISION NOT NULL, PRIMARY KEY (kiosk_id, ended_unix))",
             "CREATE INDEX IF NOT EXISTS fleet_sessions_by_time ON fleet_session_ends"
             "(ended_unix)")

_UPSERT = """INSERT INTO fleet_kiosk_state (kiosk_id, site, status, last_seen, last_seen_unix,
 offline_at_unix, interval_s, app_version, config_version, update_version, in_session,
 outbox_depth, outbox_oldest_s, disk_used, health_failed, faults, devices, body, offline,
 prev_faults, prev_offline, history_unix, session_end, prev_session_end)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', 0, ?, ?, NULL)
 ON CONFLICT (kiosk_id) DO UPDATE SET site = excluded.site, status = excluded.status,
 last_seen = excluded.last_seen, last_seen_unix = excluded.last_seen_unix,
 offline_at_unix = excluded.offline_at_unix, interval_s = excluded.interval_s,
 app_version = excluded.app_version, config_version = excluded.config_version,
 update_version = excluded.update_version, in_session = excluded.in_session,
 outbox_depth = excluded.outbox_depth, outbox_oldest_s = excluded.outbox_oldest_s,
 disk_used = excluded.disk_used, health_failed = excluded.health_failed,
 faults = excluded.faults, devices = excluded.devices, body = excluded.body, offline = 0,
 prev_faults = fleet_kiosk_state.faults, prev_offline = fleet_kiosk_state.offline,
 prev_session_end = fleet_kiosk_state.session_end, session_end = excluded.session_end,
 history_unix = CASE WHEN fleet_kiosk_state.faults <> excluded.faults
   OR fleet_kiosk_state.offline = 1
   OR excluded.last_seen_unix - fleet_kiosk_state.history_unix >= ?
   THEN excluded.last_seen_unix ELSE fleet_kiosk_state.history_unix END
 RETURNING prev_faults, prev_offline, history_unix, prev_session_end"""


Execute = Callable[..., Any]


@contextmanager
def within(repo: Any, execute: Execute | None) -> Iterator[Execute]:
    """``execute`` if the caller holds a transaction, else a new write transaction."""
    if execute is not None:
        yield execute
        return
    with repo.transaction(write=True) as own:
        yield own


def offline_after_s(interval_s: float) -> float:
    """How long after its last heartbeat a kiosk counts as offline."""
    return min(OFFLINE_CAP_S, max(3 * interval_s, 2 * interval_s + 5.0))


def faults_of(heartbeat: Heartbeat) -> list[tuple[str, str]]:
    """The alert kinds (and their subject) this heartbeat shows, sorted."""
    found: set[tuple[str, str]] = set()
    printer = heartbeat.devices.get("printer")
    paper = printer.paper if printer is not None else None
    if paper == "out":
        found.add(("paper_out", "printer"))
    elif paper == "near_end":
        found.add(("paper_near_end", "printer"))
    for key, device in heartbeat.devices.items():
        if device.state == "failed" and not (key == "printer" and paper == "out"):
            found.add(("device_failed", key))
    oldest = heartbeat.outbox.oldest_age_s
    if oldest is not None and oldest > OUTBOX_STUCK_S:
        found.add(("outbox_stuck", "outbox"))
    if heartbeat.disk.used_percent > DISK_FULL_PERCENT:
        found.add(("disk_full", "disk"))
    return sorted(found)


def encode_faults(faults: list[tuple[str, str]]) -> str:
    """The fault set as stored (``kind/subject`` joined by commas)."""
    return ",".join(f"{kind}/{subject}" for kind, subject in faults)


def decode_faults(text: str) -> set[tuple[str, str]]:
    """The inverse of :func:`encode_faults`."""
    out: set[tuple[str, str]] = set()
    for item in filter(None, text.split(",")):
        kind, _, subject = item.partition("/")
        out.add((kind, subject))
    return out


@dataclass(frozen=True)
class Recorded:
    """What one heartbeat changed: the faults before and now, whether it was offline."""

    kiosk_id: str
    site: str
    before: set[tuple[str, str]]
    now: set[tuple[str, str]]
    was_offline: bool
    session_ended: bool


@dataclass(frozen=True)
class KioskState:
    """The newest known state of one kiosk (``HealthStore.latest``)."""

    kiosk_id: str
    site: str
    status: str  #: online, fault or offline
    last_seen: str
    last_seen_unix: float
    app_version: str
    config_version: int | None
    update_version: int | None
    in_session: bool
    outbox_depth: int
    disk_used: float
    health_failed: bool
    faults: set[tuple[str, str]]
    devices: dict[str, Any]
    heartbeat: dict[str, Any]


STATE_SELECT = ("kiosk_id, site, status, last_seen, last_seen_unix, app_version, config_version,"
                " update_version, in_session, outbox_depth, disk_used, health_failed, faults,"
                " devices, body")


def state_of(row: Any) -> KioskState:
    """A ``fleet_kiosk_state`` row (``STATE_SELECT`` columns) as a record."""
    return KioskState(row[0], row[1], row[2], row[3], float(row[4]), row[5], row[6], row[7],
                      bool(row[8]), int(row[9]), float(row[10]), bool(row[11]),
                      decode_faults(row[12]), json.loads(row[13]), json.loads(row[14]))


def latest(repo: Any, kiosk_id: str) -> KioskState | None:
    """The newest state of ``kiosk_id`` (None if it never sent a heartbeat).

    Needs no ``HealthStore`` (no table creation): the intake service creates the tables at
    start, so other parts (the rollout's canary check) call this per kiosk cheaply.
    """
    with repo.transaction() as execute:
        row = execute(f"SELECT {STATE_SELECT} FROM fleet_kiosk_state WHERE kiosk_id = ?",
                      (kiosk_id,)).fetchone()
    return None if row is None else state_of(row)


class HealthStore:
    """The fleet's health tables on the intake service's repository."""

    def __init__(self, repo: Any, clock: Any = time.time) -> None:
        self.repo = repo
        self.clock = clock
        postgres = getattr(repo, "placeholder", "?") == "%s"
        with repo.transaction(write=True) as execute:
            for statement in (*_DDL, _HISTORY_POSTGRES if postgres else _HISTORY_SQLITE,
                              _HISTORY_INDEX, *_SESSIONS):
                execute(statement)

    def record(self, kiosk_id: str, heartbeat: Heartbeat,
               execute: Execute | None = None) -> Recorded:
        """Store one heartbeat (one upsert; history and session rows only when due).

        With ``execute`` it runs in the caller's transaction (the monitor writes the alerts
        in the same one, so a crash never records a change without its alert).
        """
        now = float(self.clock())
        faults = faults_of(heartbeat)
        status = "fault" if faults else "online"
        body = heartbeat.model_dump_json(exclude_none=True)
        devices = json.dumps({k: v.model_dump(exclude_none=True)
                              for k, v in heartbeat.devices.items()}, sort_keys=True)
        end = heartbeat.last_session_end
        end_text = None if end is None else db_time(end)
        encoded = encode_faults(faults)
        with within(self.repo, execute) as execute:
            row = execute(_UPSERT, (
                kiosk_id, heartbeat.site, status, db_time(datetime.fromtimestamp(now, UTC)),
                now, now + offline_after_s(heartbeat.interval_s), heartbeat.interval_s,
                heartbeat.app_version, heartbeat.config_version, heartbeat.update_version,
                int(heartbeat.in_session), heartbeat.outbox.depth, heartbeat.outbox.oldest_age_s,
                heartbeat.disk.used_percent, int(heartbeat.health_failed), encoded, devices,
                body, now, end_text, HISTORY_EVERY_S)).fetchone()
            prev_faults, prev_offline, history_unix, prev_end = row
            if float(history_unix) == now:
                execute("INSERT INTO fleet_health_history (kiosk_id, at, at_unix, status,"
                        " faults, body) VALUES (?, ?, ?, ?, ?, ?)",
                        (kiosk_id, db_time(datetime.fromtimestamp(now, UTC)), now, status,
                         encoded, body))
            ended = end is not None and end_text != prev_end
            if ended and end is not None:
                execute("INSERT INTO fleet_session_ends (kiosk_id, ended_unix) VALUES (?, ?)"
                        " ON CONFLICT DO NOTHING", (kiosk_id, end.timestamp()))
        return Recorded(kiosk_id, heartbeat.site, decode_faults(prev_faults), set(faults),
                        bool(prev_offline), ended)

    def latest(self, kiosk_id: str) -> KioskState | None:
        """The newest state of ``kiosk_id`` (None if it never sent a heartbeat)."""
        return latest(self.repo, kiosk_id)

    def history(self, kiosk_id: str, limit: int = 50) -> list[tuple[str, str, str]]:
        """Newest history rows first: (time, status, faults)."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT at, status, faults FROM fleet_health_history"
                           " WHERE kiosk_id = ? ORDER BY at_unix DESC LIMIT ?",
                           (kiosk_id, limit)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def mark_offline(self, execute: Execute | None = None) -> list[tuple[str, str]]:
        """Kiosks whose heartbeat is overdue, marked offline now: (kiosk_id, site).

        Each kiosk is returned once, to exactly one caller, however many processes ask. A
        revoked kiosk is never reported offline (it was taken out on purpose).
        """
        now = float(self.clock())
        with within(self.repo, execute) as execute:
            rows = execute("UPDATE fleet_kiosk_state SET offline = 1, status = 'offline'"
                           " WHERE offline = 0 AND offline_at_unix < ? AND NOT EXISTS"
                           " (SELECT 1 FROM kiosks k WHERE k.kiosk_id = fleet_kiosk_state.kiosk_id"
                           " AND k.revoked_at IS NOT NULL) RETURNING kiosk_id, site",
                           (now,)).fetchall()
            at = db_time(datetime.fromtimestamp(now, UTC))
            for kiosk_id, _site in rows:
                execute("INSERT INTO fleet_health_history (kiosk_id, at, at_unix, status,"
                        " faults, body) VALUES (?, ?, ?, 'offline', '', '{}')",
                        (kiosk_id, at, now))
        return [(r[0], r[1]) for r in rows]

    def purge(self) -> None:
        """Drop history and session rows past their keeping time."""
        now = float(self.clock())
        with self.repo.transaction(write=True) as execute:
            execute("DELETE FROM fleet_health_history WHERE at_unix < ?", (now - HISTORY_KEEP_S,))
            execute("DELETE FROM fleet_session_ends WHERE ended_unix < ?",
                    (now - SESSIONS_KEEP_S,))
