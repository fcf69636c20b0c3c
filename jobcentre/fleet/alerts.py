"""Fleet alerts: raised from heartbeats and the offline watcher, deduplicated, cleared with time.

Kinds (``KINDS``): ``paper_near_end``, ``paper_out``, ``device_failed`` (subject: the
device key), ``outbox_stuck`` (oldest unsent item over 1 h), ``disk_full`` (over 90 %),
``offline`` (no heartbeat within ``health_store.offline_after_s``).

Table ``fleet_alerts``: a partial unique index allows one *open* alert per kiosk, kind and
subject, so a raise is ``INSERT … ON CONFLICT DO NOTHING RETURNING`` and a clear is
``UPDATE … SET cleared_at WHERE cleared_at IS NULL RETURNING``: whichever intake process
gets a row back is the one that notifies, so two processes never announce one alert twice.

:class:`FleetMonitor` ties it together for the service: ``on_heartbeat`` (from the heartbeat
route) and ``watch`` (the offline watcher, one per intake process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from foundation.errors import DatabaseUnavailable
from jobcentre.fleet.health_store import Execute, HealthStore, Recorded, within
from jobcentre.repository import db_time
from wire.fleet import Heartbeat

log = logging.getLogger(__name__)

KINDS = ("paper_near_end", "paper_out", "device_failed", "outbox_stuck", "disk_full", "offline")

_SQLITE = ("CREATE TABLE IF NOT EXISTS fleet_alerts (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " kiosk_id TEXT NOT NULL, site TEXT NOT NULL, kind TEXT NOT NULL,"
           " subject TEXT NOT NULL, raised_at TEXT NOT NULL, cleared_at TEXT)")
_POSTGRES = _SQLITE.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS fleet_alerts_one_open ON fleet_alerts"
    "(kiosk_id, kind, subject) WHERE cleared_at IS NULL",
    "CREATE INDEX IF NOT EXISTS fleet_alerts_by_kiosk ON fleet_alerts(kiosk_id, id)",
    "CREATE INDEX IF NOT EXISTS fleet_alerts_open ON fleet_alerts(cleared_at, kind)",
)
_COLS = "id, kiosk_id, site, kind, subject, raised_at, cleared_at"


@dataclass(frozen=True)
class Alert:
    """One alert, open (``cleared_at`` None) or closed."""

    alert_id: int
    kiosk_id: str
    site: str
    kind: str
    subject: str
    raised_at: str
    cleared_at: str | None = None

    def event(self, what: str) -> dict[str, Any]:
        """The notification for a raise or clear (no personal data)."""
        return {"event": what, "alert_id": self.alert_id, "kiosk_id": self.kiosk_id,
                "site": self.site, "kind": self.kind, "subject": self.subject,
                "raised_at": self.raised_at, "cleared_at": self.cleared_at}


def _alert(row: Any) -> Alert:
    return Alert(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])


class AlertStore:
    """The ``fleet_alerts`` table."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        postgres = getattr(repo, "placeholder", "?") == "%s"
        with repo.transaction(write=True) as execute:
            execute(_POSTGRES if postgres else _SQLITE)
            for index in _INDEXES:
                execute(index)

    def raise_alert(self, kiosk_id: str, site: str, kind: str, subject: str,
                    now: datetime | None = None, execute: Execute | None = None) -> Alert | None:
        """Open an alert; None if one of this kind is already open for the kiosk."""
        with within(self.repo, execute) as execute:
            row = execute(f"INSERT INTO fleet_alerts (kiosk_id, site, kind, subject, raised_at)"
                          f" VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING {_COLS}",
                          (kiosk_id, site, kind, subject, db_time(now))).fetchone()
        return None if row is None else _alert(row)

    def clear_alert(self, kiosk_id: str, kind: str, subject: str,
                    now: datetime | None = None, execute: Execute | None = None) -> Alert | None:
        """Close the open alert of this kind; None if none was open."""
        with within(self.repo, execute) as execute:
            row = execute(f"UPDATE fleet_alerts SET cleared_at = ? WHERE kiosk_id = ?"
                          f" AND kind = ? AND subject = ? AND cleared_at IS NULL"
                          f" RETURNING {_COLS}",
                          (db_time(now), kiosk_id, kind, subject)).fetchone()
        return None if row is None else _alert(row)

    def open_alerts(self, limit: int = 500, kiosk_id: str | None = None) -> list[Alert]:
        """Open alerts, newest first (of one kiosk if given)."""
        where = "cleared_at IS NULL"
        args: tuple[str, ...] = ()
        if kiosk_id is not None:
            where, args = "cleared_at IS NULL AND kiosk_id = ?", (kiosk_id,)
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM fleet_alerts WHERE {where}"
                           " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_alert(r) for r in rows]

    def of_kiosk(self, kiosk_id: str, limit: int = 50) -> list[Alert]:
        """A kiosk's alerts, open and closed, newest first."""
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM fleet_alerts WHERE kiosk_id = ?"
                           " ORDER BY id DESC LIMIT ?", (kiosk_id, limit)).fetchall()
        return [_alert(r) for r in rows]

    def open_counts(self) -> dict[str, int]:
        """Open alerts by kind (every kind present, zero if none)."""
        with self.repo.transaction() as execute:
            rows = execute("SELECT kind, COUNT(*) FROM fleet_alerts WHERE cleared_at IS NULL"
                           " GROUP BY kind").fetchall()
        counts = dict.fromkeys(KINDS, 0)
        counts.update({r[0]: int(r[1]) for r in rows})
        return counts

    def open_by_kiosk(self, kiosk_ids: list[str]) -> dict[str, int]:
        """How many alerts are open for each of ``kiosk_ids`` (one page of the list)."""
        if not kiosk_ids:
            return {}
        marks = ", ".join("?" for _ in kiosk_ids)
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT kiosk_id, COUNT(*) FROM fleet_alerts WHERE cleared_at IS NULL"
                           f" AND kiosk_id IN ({marks}) GROUP BY kiosk_id",
                           tuple(kiosk_ids)).fetchall()
        return {r[0]: int(r[1]) for r in rows}


class FleetMonitor:
    """Heartbeats in, alerts out: decides raises and clears and hands them to the notifier."""

    def __init__(self, health: HealthStore, alerts: AlertStore, notify: Any = None,
                 check_every_s: float = 5.0) -> None:
        self.health = health
        self.alerts = alerts
        self.notify = notify  #: ``jobcentre.fleet.notify.Notifier`` or None
        self.check_every_s = check_every_s
        self.last_check = 0.0

    def _send(self, alert: Alert | None, what: str) -> None:
        if alert is None:
            return
        log.info("fleet alert %s: %s/%s", what, alert.kind, alert.subject)
        if self.notify is not None:
            self.notify.enqueue(alert.event(what))

    def on_heartbeat(self, kiosk_id: str, heartbeat: Heartbeat) -> Recorded:
        """Store a heartbeat and raise or clear what changed, in one transaction (blocking).

        Notifications go out only after the commit.
        """
        changes: list[tuple[Alert | None, str]] = []
        alerts = self.alerts
        with self.health.repo.transaction(write=True) as execute:
            recorded = self.health.record(kiosk_id, heartbeat, execute)
            if recorded.was_offline:
                changes.append((alerts.clear_alert(kiosk_id, "offline", "kiosk",
                                                   execute=execute), "cleared"))
            for kind, subject in sorted(recorded.before - recorded.now):
                changes.append((alerts.clear_alert(kiosk_id, kind, subject, execute=execute),
                                "cleared"))
            for kind, subject in sorted(recorded.now - recorded.before):
                changes.append((alerts.raise_alert(kiosk_id, recorded.site, kind, subject,
                                                   execute=execute), "raised"))
        for alert, what in changes:
            self._send(alert, what)
        return recorded

    def check_offline(self) -> int:
        """Mark overdue kiosks offline and raise their alerts (one transaction); how many."""
        with self.health.repo.transaction(write=True) as execute:
            found = self.health.mark_offline(execute)
            raised = [self.alerts.raise_alert(kiosk_id, site, "offline", "kiosk",
                                              execute=execute) for kiosk_id, site in found]
        for alert in raised:
            self._send(alert, "raised")
        return len(found)

    async def watch(self) -> None:
        """The offline watcher: check every ``check_every_s`` until cancelled."""
        purged = time.monotonic()
        while True:
            await asyncio.sleep(self.check_every_s)
            try:
                await run_in_threadpool(self.check_offline)
                if time.monotonic() - purged > 600:
                    purged = time.monotonic()
                    await run_in_threadpool(self.health.purge)
            except DatabaseUnavailable as exc:
                log.warning("fleet offline check failed: %s", exc.code)
