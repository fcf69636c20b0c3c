"""The FastAPI application of the intake service (``create_app``).

Routes follow the wire contract in ``wire.protocol``: ``/api/v1/health``,
``/api/v1/enroll``, ``/api/v1/uploads`` (+ ``/{id}``, ``/{id}/finish``), ``/api/v1/live/poll``,
``/api/v1/help-calls`` (``jobcentre.routes_help``), ``/api/v1/fleet/heartbeat`` and
``/metrics`` (``jobcentre.fleet.routes_heartbeat``),
``/api/v1/fleet/command-result`` (``jobcentre.fleet.command_routes``),
the staff page ``/verify`` and the staff web app under ``/staff`` (``jobcentre.staff``). The
kiosk routes (``jobcentre.routes_kiosk``) authenticate from the headers before they read a
body; the whole app sits behind ``jobcentre.http_front`` (client addresses, rate limits,
concurrency cap, slow bodies). JSON nested deeper than ``protocol.MAX_JSON_DEPTH`` is
refused with 400 ``json_too_deep`` before it is parsed. A full disk or database answers 503
``storage_full`` with ``Retry-After``. The blocking work runs in worker threads. No request
body, query string or customer data is ever logged. Partial uploads older than
``part_max_age_s`` are removed at start and then every ``expiry_interval_s``; request nonces
past their time window every minute. ``/openapi.json`` describes the API; the Swagger and ReDoc
pages are off (they load scripts from a CDN, which a job centre's network does not reach).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError, DatabaseUnavailable
from jobcentre.atrest_kek import open_at_rest
from jobcentre.atrest_migrate import seal_legacy
from jobcentre.calls.routes import mount_calls
from jobcentre.docstore import PART_MAX_AGE_S, DocumentStore
from jobcentre.enrollment import centre_keys_answer, enroll_kiosk
from jobcentre.fleet.command_routes import add_command_routes
from jobcentre.fleet.commands import CommandStore
from jobcentre.fleet.rollout_routes import add_rollout_routes
from jobcentre.fleet.routes_heartbeat import FleetSettings, mount_fleet_health
from jobcentre.fleet.update_files import UpdateStore, add_update_routes
from jobcentre.help_calls import RETENTION as HELP_CALL_RETENTION
from jobcentre.help_calls import DeskSignal, HelpCallStore, HelpDesk
from jobcentre.http_front import FrontGuard, FrontLimits, FrontMiddleware
from jobcentre.intake import IntakeLimits, IntakeService
from jobcentre.intake_checks import SERVICE_VERSION
from jobcentre.keys import load_centre_keys
from jobcentre.kiosk_requests import parse_json, read_body
from jobcentre.live import LiveHub, LiveLimits
from jobcentre.live_store import LiveStore
from jobcentre.nonces import NonceStore
from jobcentre.repository import open_repository
from jobcentre.routes_help import add_help_routes
from jobcentre.routes_kiosk import JSON_BODY_LIMIT, KioskGate, add_kiosk_routes
from jobcentre.staff.app import create_staff_app
from jobcentre.staff.web import StaffSettings
from jobcentre.staff_directory_push import add_staff_directory_route, refresh_if_old
from jobcentre.staffcards import StaffCardStore
from jobcentre.upload_fastpath import UploadFastPath
from jobcentre.verify_page import add_verify_routes
from wire import protocol

log = logging.getLogger(__name__)
API = protocol.API_PREFIX
STORAGE_RETRY_AFTER_S = 60
DB_RETRY_AFTER_S = 5
NONCE_EXPIRY_INTERVAL_S = 60.0
KNOWN_KIOSKS_REFRESH_S = 2.0  # how soon a kiosk enrolled elsewhere is checked in the loop
# Threads for the blocking work (anyio's default is 40). On few cores, dozens of threads
# taking turns at the GIL cost more CPU in switches than their waits on fsync save
# (bench_intake: about 1 ms of server CPU per document less with 8 than with 40).
WORKER_THREADS = 8
_FULL = {errno.ENOSPC, errno.EDQUOT}

_ENROLL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["code", "public_key"],
    "properties": {"code": {"type": "string"}, "public_key": {"type": "string"},
                   "nonce": {"type": "string"}}}}}}}


def _disk_full(exc: BaseException | None) -> bool:
    """True if ``exc`` (or what caused it) says a disk or database ran out of space."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return True
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
            return True
        if getattr(exc, "sqlstate", "") in ("53100", "53200"):  # disk_full, out_of_memory
            return True
        exc = exc.__cause__
    return False


def _storage_full() -> Response:
    return JSONResponse({"error": protocol.ERROR_STORAGE_FULL}, status_code=503,
                        headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)})


def error_response(exc: Exception) -> Response | None:
    """The answer to a refusal or a storage/database failure; None for anything else."""
    if isinstance(exc, ApiError):
        retry = exc.extra.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
    if isinstance(exc, DatabaseUnavailable):
        if _disk_full(exc):
            log.error("database full: %s", exc)
            return _storage_full()
        log.error("database unavailable: %s", exc)
        return JSONResponse({"error": exc.code}, status_code=503,
                            headers={"Retry-After": str(DB_RETRY_AFTER_S)})
    if isinstance(exc, OSError):
        if _disk_full(exc):
            log.error("document store full")
            return _storage_full()
        log.error("storage error: %s", exc.strerror or type(exc).__name__)
        return JSONResponse({"error": "storage_error"}, status_code=503,
                            headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)})
    return None


async def _expire_nonces(nonces: NonceStore) -> None:
    try:
        await run_in_threadpool(nonces.expire)
    except DatabaseUnavailable as exc:
        log.warning("could not expire request nonces: %s", exc)


async def _refresh_known_kiosks(gate: KioskGate) -> None:
    """``KioskGate.refresh_known`` every ``KNOWN_KIOSKS_REFRESH_S``, for ever."""
    while True:
        try:
            await run_in_threadpool(gate.refresh_known)
        except DatabaseUnavailable as exc:
            log.warning("could not read newly enrolled kiosks: %s", exc)
        await asyncio.sleep(KNOWN_KIOSKS_REFRESH_S)


async def _expire_parts(store: DocumentStore, max_age_s: float) -> None:
    try:
        removed = await run_in_threadpool(store.expire_parts, max_age_s)
    except OSError as exc:
        log.warning("could not expire partial uploads: %s", exc.strerror or type(exc).__name__)
        return
    if removed:
        log.info("removed %d partial upload(s) older than %.0f s", removed, max_age_s)


async def _refresh_staff_directory(cards: StaffCardStore, repo: Any, keys: Any) -> None:
    try:
        published = await run_in_threadpool(refresh_if_old, cards, repo, keys.signing)
    except DatabaseUnavailable as exc:
        log.warning("could not sign the staff directory again: %s", exc)
        return
    if published is not None:
        log.info("staff directory signed again as version %d for %d kiosk(s)",
                 published.version, published.kiosks)


async def _purge_help_calls(desk: HelpDesk) -> None:
    try:
        await run_in_threadpool(desk.store.purge, HELP_CALL_RETENTION)
    except DatabaseUnavailable as exc:
        log.warning("could not purge old help calls: %s", exc)


def create_app(
    data_dir: Path,
    database_url: str | None = None,
    *,
    limits: IntakeLimits | None = None,
    live_limits: LiveLimits | None = None,
    staff: StaffSettings | None = None,
    front: FrontLimits | None = None,
    part_max_age_s: float = PART_MAX_AGE_S,
    expiry_interval_s: float = 3600.0,
    kek_file: Path | None = None,
    help_escalate_s: float = 120.0,
    worker_threads: int = WORKER_THREADS,
    fleet: FleetSettings | None = None,
) -> FastAPI:
    """Build the intake service on ``data_dir`` (SQLite there unless ``database_url``).

    The key-encryption key comes from ``kek_file`` or the systemd credential
    (``jobcentre.atrest_kek``); documents stored in plaintext by an older release are
    encrypted in place first (``jobcentre.atrest_migrate``). A help call nobody acknowledged
    within ``help_escalate_s`` escalates on every desk.
    """
    data_dir = Path(data_dir)
    at_rest = open_at_rest(kek_file, data_dir)
    store = DocumentStore(data_dir)
    keys = load_centre_keys(data_dir)
    repo = open_repository(data_dir, database_url, at_rest)
    try:
        seal_legacy(repo, store, at_rest)
    except BaseException:
        repo.close()
        raise
    service = IntakeService(repo, store, keys, limits or IntakeLimits(), at_rest)
    hub = LiveHub(LiveStore(repo), live_limits)
    desk = HelpDesk(HelpCallStore(repo), DeskSignal(), help_escalate_s)
    nonces = NonceStore(repo)
    guard = FrontGuard(front or FrontLimits())
    cards = StaffCardStore(repo)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def expire_periodically() -> None:
            while True:
                await asyncio.sleep(min(expiry_interval_s, NONCE_EXPIRY_INTERVAL_S))
                await _expire_nonces(nonces)
                if time.monotonic() - last_parts[0] >= expiry_interval_s:
                    last_parts[0] = time.monotonic()
                    await _expire_parts(store, part_max_age_s)
                    await _purge_help_calls(desk)
                    await _refresh_staff_directory(cards, repo, keys)

        last_parts = [time.monotonic()]
        to_thread.current_default_thread_limiter().total_tokens = worker_threads
        await _expire_parts(store, part_max_age_s)
        await _refresh_staff_directory(cards, repo, keys)
        expiry = asyncio.create_task(expire_periodically())
        known = asyncio.create_task(_refresh_known_kiosks(gate))
        await hub.start()
        await fleet_health.start()
        try:
            yield
        finally:
            await fleet_health.stop()
            await hub.stop()
            for task in (expiry, known):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            nonces.close()
            repo.close()

    app = FastAPI(
        title="Jobcenter kiosk intake service",
        version=SERVICE_VERSION,
        description="Receives sealed documents from enrolled kiosks and proves their receipt.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.live = hub
    app.state.desk = desk
    app.state.front = guard

    async def _error(_: Request, exc: Exception) -> Response:
        answer = error_response(exc)
        assert answer is not None  # registered only for the classes error_response answers
        return answer

    for handled in (ApiError, DatabaseUnavailable, OSError):
        app.add_exception_handler(handled, _error)

    @app.get(f"{API}/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Liveness and the server's clock (no authentication)."""
        return {"status": "ok", "server_time": protocol.utc_now_iso(), "version": SERVICE_VERSION}

    @app.get(f"{API}/enroll", tags=["enrollment"])
    async def enroll_keys() -> dict[str, str]:
        """The centre's public keys; a kiosk checks them against its code before enrolling."""
        return centre_keys_answer(keys)

    @app.post(f"{API}/enroll", tags=["enrollment"], openapi_extra=_ENROLL_BODY)
    async def enroll(request: Request) -> Any:
        """Exchange a one-time code and a kiosk public key for a certificate."""
        payload = parse_json(await read_body(request, JSON_BODY_LIMIT))
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_request", detail="JSON object expected")
        return await run_in_threadpool(enroll_kiosk, repo, keys, payload.get("code"),
                                       payload.get("public_key"), payload.get("nonce"))

    gate = KioskGate(service, nonces, guard)
    uploads = add_kiosk_routes(app, gate, hub)
    # inside the front (the last middleware added is the outermost)
    app.add_middleware(UploadFastPath, uploads=uploads, errors=error_response)
    app.add_middleware(FrontMiddleware, guard=guard)
    add_help_routes(app, gate, desk)
    fleet_health = mount_fleet_health(app, gate, repo, fleet, uploads.fast_routes)
    service.on_stored = fleet_health.latency.observe_submission
    add_staff_directory_route(app, gate, cards)
    add_rollout_routes(app, gate, repo)
    add_update_routes(app, gate, UpdateStore(repo, data_dir))
    add_command_routes(app, gate, CommandStore(repo))
    add_verify_routes(app, service)
    # video calls; mounted before /staff so that its WebSocket route matches
    mount_calls(app, service, hub, data_dir, gate)
    app.mount("/staff", create_staff_app(service, store, staff, hub, desk, fleet_health))
    return app
