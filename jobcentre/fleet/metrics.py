"""Prometheus ``/metrics`` (text exposition format 0.0.4) for the fleet and the intake path.

Every figure comes from the database, so each intake process answers the same whichever one
the scrape reaches (docs/fleet.md lists the names):

    jobcentre_fleet_kiosks{status}                 kiosks online / fault / offline
    jobcentre_fleet_alerts_open{kind}              open alerts by kind
    jobcentre_fleet_outbox_depth_total             unsent documents over all kiosks
    jobcentre_fleet_outbox_depth{kiosk_id}         per kiosk, only kiosks with a backlog
    jobcentre_upload_latency_seconds               histogram: kiosk submission → stored
    jobcentre_fleet_sessions_last_hour             sessions that ended in the last 60 min

Who may scrape: with ``--metrics-token-file`` a request needs ``Authorization: Bearer
<token>``; without one, only a direct loopback client (no ``X-Forwarded-For``) is served.
Anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from wire import codec

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)
_ROWS = tuple(f"le={b:g}" for b in LATENCY_BUCKETS) + ("le=+Inf", "sum", "count")
_LOOPBACK = {"127.0.0.1", "::1"}
MAX_KIOSK_SERIES = 2000


class UploadLatency:
    """The upload-latency histogram in table ``fleet_upload_latency`` (shared by processes).

    ``observe`` only counts in memory: it runs in every upload's finish, and a write there
    made each finish wait for the row locks of the one set of hot rows (a convoy through
    the burst) and, with two intake processes on PostgreSQL, let two finishes lock the
    buckets in different orders (``DeadlockDetected``, answered 503). ``flush`` adds the
    counts to the table in one transaction, row by row in one fixed order, and is called
    about once a second (``FleetHealth``) and at shutdown; ``values`` adds what this
    process has not flushed yet. A process killed outright loses at most its last second
    of counts (a metric, never a document).
    """

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[str, float] = {}
        with repo.transaction(write=True) as execute:
            execute("CREATE TABLE IF NOT EXISTS fleet_upload_latency (bucket TEXT PRIMARY KEY,"
                    " value DOUBLE PRECISION NOT NULL)")
            for name in _ROWS:
                execute("INSERT INTO fleet_upload_latency (bucket, value) VALUES (?, 0)"
                        " ON CONFLICT DO NOTHING", (name,))

    def observe(self, seconds: float) -> None:
        """Count one stored document that took ``seconds`` from submission (in memory)."""
        seconds = max(0.0, seconds)
        hit = [f"le={b:g}" for b in LATENCY_BUCKETS if seconds <= b] + ["le=+Inf", "count"]
        with self._lock:
            _add(self._pending, {**dict.fromkeys(hit, 1.0), "sum": seconds})

    def observe_submission(self, submitted_at: str) -> None:
        """Observe the time since a document's ``submitted_at`` (ISO UTC from the kiosk)."""
        try:
            when = codec.parse_time(submitted_at)
        except (ValueError, TypeError):
            return
        self.observe(time.time() - when.timestamp())

    def flush(self) -> None:
        """Add the counts observed since the last flush to the shared table."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return
            try:
                with self.repo.transaction(write=True) as execute:
                    for name in sorted(pending):  # one lock order in every process
                        execute("UPDATE fleet_upload_latency SET value = value + ?"
                                " WHERE bucket = ?", (pending[name], name))
            except BaseException:
                with self._lock:  # kept for the next flush
                    _add(self._pending, pending)
                raise

    def values(self) -> dict[str, float]:
        """Bucket name → value (the table plus this process's counts not yet flushed)."""
        with self._flush_lock:
            with self.repo.transaction() as execute:
                rows = execute("SELECT bucket, value FROM fleet_upload_latency").fetchall()
            values = {r[0]: float(r[1]) for r in rows}
            with self._lock:
                _add(values, self._pending)
        return values


def _add(into: dict[str, float], counts: dict[str, float]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0.0) + value


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, kind: str, text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *samples]


def render(repo: Any, alert_counts: dict[str, int], latency: dict[str, float],
           now: float | None = None) -> str:
    """The whole exposition (blocking: a few grouped queries)."""
    now = time.time() if now is None else now
    with repo.transaction() as execute:
        status_rows = execute("SELECT status, COUNT(*), COALESCE(SUM(outbox_depth), 0)"
                              " FROM fleet_kiosk_state GROUP BY status").fetchall()
        backlog = execute("SELECT kiosk_id, outbox_depth FROM fleet_kiosk_state WHERE"
                          " outbox_depth > 0 ORDER BY outbox_depth DESC LIMIT ?",
                          (MAX_KIOSK_SERIES,)).fetchall()
        sessions = execute("SELECT COUNT(*) FROM fleet_session_ends WHERE ended_unix >= ?",
                           (now - 3600,)).fetchone()
    by_status = {"online": 0, "fault": 0, "offline": 0}
    depth_total = 0
    for status, count, depth in status_rows:
        by_status[status] = int(count)
        depth_total += int(depth)
    lines: list[str] = []
    lines += _family("jobcentre_fleet_kiosks", "gauge",
                     "Kiosks by status (online, fault: online with an open fault, offline).",
                     [f'jobcentre_fleet_kiosks{{status="{s}"}} {n}' for s, n in by_status.items()])
    lines += _family("jobcentre_fleet_alerts_open", "gauge", "Open fleet alerts by kind.",
                     [f'jobcentre_fleet_alerts_open{{kind="{_label(k)}"}} {n}'
                      for k, n in sorted(alert_counts.items())])
    lines += _family("jobcentre_fleet_outbox_depth_total", "gauge",
                     "Unsent documents waiting on all kiosks.",
                     [f"jobcentre_fleet_outbox_depth_total {depth_total}"])
    lines += _family("jobcentre_fleet_outbox_depth", "gauge",
                     "Unsent documents waiting on a kiosk (kiosks with a backlog only).",
                     [f'jobcentre_fleet_outbox_depth{{kiosk_id="{_label(k)}"}} {int(d)}'
                      for k, d in backlog])
    buckets = [f'jobcentre_upload_latency_seconds_bucket{{le="{name[3:]}"}} '
               f"{int(latency.get(name, 0))}" for name in _ROWS if name.startswith("le=")]
    lines += _family("jobcentre_upload_latency_seconds", "histogram",
                     "Time from a kiosk's submission until the document is stored.",
                     [*buckets,
                      f"jobcentre_upload_latency_seconds_sum {latency.get('sum', 0.0):g}",
                      f"jobcentre_upload_latency_seconds_count {int(latency.get('count', 0))}"])
    lines += _family("jobcentre_fleet_sessions_last_hour", "gauge",
                     "Visitor sessions that ended in the last 60 minutes, all kiosks.",
                     [f"jobcentre_fleet_sessions_last_hour {int(sessions[0] or 0)}"])
    return "\n".join(lines) + "\n"


def allowed(request: Request, token: str | None) -> bool:
    """Whether this request may read the metrics (bearer token, else direct loopback)."""
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    peer = request.client.host if request.client else ""
    return peer in _LOOPBACK and "x-forwarded-for" not in request.headers


def add_metrics_route(app: FastAPI, repo: Any, alerts: Any, latency: UploadLatency,
                      token: str | None) -> None:
    """Mount ``GET /metrics``."""

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not allowed(request, token):
            return PlainTextResponse("not found\n", status_code=404)
        text = await run_in_threadpool(
            lambda: render(repo, alerts.open_counts(), latency.values()))
        return Response(text, media_type=CONTENT_TYPE)
