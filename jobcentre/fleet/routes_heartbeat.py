"""``POST /api/v1/fleet/heartbeat`` and the fleet health parts of the intake service.

:func:`mount_fleet_health` creates the stores (``HealthStore``, ``AlertStore``, the
upload-latency histogram), the notifier and the monitor, mounts the heartbeat route and
``/metrics``, and returns a :class:`FleetHealth` whose ``start``/``stop`` the service's
lifespan calls (the offline watcher task, the notifier thread, and the upload-latency
histogram's flush about once a second and at shutdown). The staff pages reach it
through ``StaffContext.fleet``.

The heartbeat is a signed kiosk request (``KioskGate``): authenticated from the headers,
then the body (at most ``HEARTBEAT_LIMIT`` bytes) is validated against
``wire.fleet.Heartbeat``; a bad one is refused with 400 ``invalid_heartbeat``. The answer is
``{"ok": true, "status": "online"|"fault"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError, DatabaseUnavailable
from jobcentre.fleet.alerts import AlertStore, FleetMonitor
from jobcentre.fleet.health_store import HealthStore
from jobcentre.fleet.metrics import UploadLatency, add_metrics_route
from jobcentre.fleet.notify import Notifier, NotifySettings
from jobcentre.repository import KioskRecord
from jobcentre.routes_kiosk import FastHandler, KioskGate
from wire import protocol
from wire.fleet import HEARTBEAT_PATH, Heartbeat

log = logging.getLogger(__name__)
HEARTBEAT_LIMIT = 16 * 1024
#: how often each process adds its upload-latency counts to the shared table
LATENCY_FLUSH_S = 1.0
_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}
_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": Heartbeat.model_json_schema()}}}}


@dataclass(frozen=True)
class FleetSettings:
    """Server settings of the fleet's health part (``kiosk-server serve --fleet-*``)."""

    notify: NotifySettings = field(default_factory=NotifySettings)
    metrics_token: str | None = field(default=None, repr=False)
    check_every_s: float = 5.0
    #: how often the dashboard's script asks for new states (milliseconds)
    poll_ms: int = 5000


class FleetHealth:
    """The running fleet health parts of one intake process."""

    def __init__(self, repo: Any, settings: FleetSettings) -> None:
        self.settings = settings
        self.health = HealthStore(repo)
        self.alerts = AlertStore(repo)
        self.latency = UploadLatency(repo)
        self.notifier = Notifier(settings.notify)
        self.monitor = FleetMonitor(self.health, self.alerts, self.notifier,
                                    settings.check_every_s)
        self._watch: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the notifier thread, the offline watcher and the latency flush."""
        self.notifier.start()
        self._watch = asyncio.create_task(self.monitor.watch())
        self._flusher = asyncio.create_task(self._flush_latency_periodically())

    async def stop(self) -> None:
        """Stop the watcher, flush the latency counts, let the notifier finish briefly."""
        for task in (self._watch, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._flush_latency()
        await asyncio.to_thread(self.notifier.stop)

    async def _flush_latency_periodically(self) -> None:
        while True:
            await asyncio.sleep(LATENCY_FLUSH_S)
            await self._flush_latency()

    async def _flush_latency(self) -> None:
        try:
            await asyncio.to_thread(self.latency.flush)
        except DatabaseUnavailable as exc:  # the counts stay for the next flush
            log.warning("could not store the upload-latency counts: %s", exc)

    def accept(self, kiosk: KioskRecord, body: bytes) -> dict[str, Any]:
        """Validate and store one heartbeat (blocking)."""
        try:
            heartbeat = Heartbeat.model_validate_json(body)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:5]
            raise ApiError(400, "invalid_heartbeat", fields=fields) from None
        recorded = self.monitor.on_heartbeat(kiosk.kiosk_id, heartbeat)
        return {"ok": True, "status": "fault" if recorded.now else "online"}


def mount_fleet_health(app: FastAPI, gate: KioskGate, repo: Any,
                       settings: FleetSettings | None = None,
                       fast_routes: dict[tuple[str, str], FastHandler] | None = None
                       ) -> FleetHealth:
    """Mount the heartbeat route and ``/metrics``; returns the parts to start and stop."""
    fleet = FleetHealth(repo, settings or FleetSettings())

    @app.post(HEARTBEAT_PATH, tags=["fleet"], openapi_extra={**_AUTH, **_BODY})
    async def heartbeat(request: Request) -> Any:
        """Store this kiosk's heartbeat; raise or clear its alerts."""
        kiosk, body = await gate.authed(request, HEARTBEAT_LIMIT)
        return await run_in_threadpool(fleet.accept, kiosk, body)

    async def heartbeat_fast(request: Request) -> Response:
        return JSONResponse(await heartbeat(request))

    if fast_routes is not None:  # 333 a second at 10,000 kiosks: past FastAPI's routing
        fast_routes[("POST", HEARTBEAT_PATH)] = heartbeat_fast

    add_metrics_route(app, repo, fleet.alerts, fleet.latency, fleet.settings.metrics_token)
    return fleet
