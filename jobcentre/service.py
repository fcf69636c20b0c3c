"""The FastAPI application of the intake service (``create_app``).

Routes follow the wire contract in ``wire.protocol``: ``/api/v1/health``,
``/api/v1/enroll``, ``/api/v1/uploads`` (+ ``/{id}``, ``/{id}/finish``), ``/api/v1/live/poll``,
the staff page ``/verify`` and the staff web app under ``/staff`` (``jobcentre.staff``). Bodies
are read with a size cap before authentication (the signature covers the body hash); JSON
nested deeper than ``protocol.MAX_JSON_DEPTH`` is refused with 400 ``json_too_deep`` before it
is parsed. The blocking work runs in worker threads. No request body, query string or customer
data is ever logged. Partial uploads older than ``part_max_age_s`` are removed at start and
then every ``expiry_interval_s``. ``/openapi.json`` describes the API; the Swagger and ReDoc
pages are off (they load scripts from a CDN, which a job centre's network does not reach).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError, DatabaseUnavailable
from jobcentre.calls.routes import mount_calls
from jobcentre.docstore import PART_MAX_AGE_S, DocumentStore
from jobcentre.enrollment import centre_keys_answer, enroll_kiosk
from jobcentre.intake import SERVICE_VERSION, IntakeLimits, IntakeService, UploadAnnouncement
from jobcentre.keys import load_centre_keys
from jobcentre.live import LiveHub, LiveLimits, parse_poll
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from jobcentre.staff.app import create_staff_app
from jobcentre.staff.web import StaffSettings
from jobcentre.verify_page import add_verify_routes
from wire import protocol

log = logging.getLogger(__name__)
JSON_BODY_LIMIT = 64 * 1024
API = protocol.API_PREFIX

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": UploadAnnouncement.model_json_schema()}}}}
_ENROLL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["code", "public_key"],
    "properties": {"code": {"type": "string"}, "public_key": {"type": "string"},
                   "nonce": {"type": "string"}}}}}}}
_CHUNK_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    "parameters": [{"name": protocol.HEADER_UPLOAD_OFFSET, "in": "header", "required": True,
                    "schema": {"type": "integer", "minimum": 0}}]}
_LIVE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "properties": {
        "after": {"type": "integer", "minimum": 0}, "wait": {"type": "number", "minimum": 0,
                                                              "maximum": 3600}}}}}}}
_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_SIGNATURE)
]}


def _merge(*parts: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = merged.get(key, []) + value if key == "parameters" else value
    return merged


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes with 413."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
        if protocol.json_too_deep(text):
            raise ApiError(400, protocol.ERROR_JSON_TOO_DEEP, limit=protocol.MAX_JSON_DEPTH)
        return json.loads(text)
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to convert
        raise ApiError(400, "invalid_request", detail="body is not JSON") from exc


async def _expire_parts(store: DocumentStore, max_age_s: float) -> None:
    try:
        removed = await run_in_threadpool(store.expire_parts, max_age_s)
    except OSError as exc:
        log.warning("could not expire partial uploads: %s", exc.strerror or type(exc).__name__)
        return
    if removed:
        log.info("removed %d partial upload(s) older than %.0f s", removed, max_age_s)


def create_app(
    data_dir: Path,
    database_url: str | None = None,
    *,
    limits: IntakeLimits | None = None,
    live_limits: LiveLimits | None = None,
    staff: StaffSettings | None = None,
    part_max_age_s: float = PART_MAX_AGE_S,
    expiry_interval_s: float = 3600.0,
) -> FastAPI:
    """Build the intake service on ``data_dir`` (SQLite there unless ``database_url``)."""
    data_dir = Path(data_dir)
    store = DocumentStore(data_dir)
    keys = load_centre_keys(data_dir)
    repo = open_repository(data_dir, database_url)
    service = IntakeService(repo, store, keys, limits or IntakeLimits())
    hub = LiveHub(LiveStore(repo), live_limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def expire_periodically() -> None:
            while True:
                await asyncio.sleep(expiry_interval_s)
                await _expire_parts(store, part_max_age_s)

        await _expire_parts(store, part_max_age_s)
        expiry = asyncio.create_task(expire_periodically())
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
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

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        retry = exc.extra.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(DatabaseUnavailable)
    async def _db_error(_: Request, exc: DatabaseUnavailable) -> Response:
        log.error("database unavailable: %s", exc)
        return JSONResponse({"error": exc.code}, status_code=503)

    async def authed(request: Request, limit: int = JSON_BODY_LIMIT) -> tuple[Any, bytes]:
        body = await read_body(request, limit)
        headers = {k.lower(): v for k, v in request.headers.items()}
        kiosk = await run_in_threadpool(
            service.authenticate, request.method, request.url.path, headers, body
        )
        return kiosk, body

    async def call(func: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(func, *args)

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
        payload = _json(await read_body(request, JSON_BODY_LIMIT))
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_request", detail="JSON object expected")
        return await call(enroll_kiosk, repo, keys, payload.get("code"), payload.get("public_key"),
                          payload.get("nonce"))

    @app.post(f"{API}/uploads", tags=["uploads"], openapi_extra=_merge(_AUTH, _UPLOAD_BODY))
    async def announce(request: Request) -> Response:
        """Announce a document (201 new, 200 resume/complete, 409 conflicting metadata)."""
        kiosk, body = await authed(request)
        status, answer = await call(service.announce, kiosk, _json(body))
        return JSONResponse(answer, status_code=status)

    @app.get(f"{API}/uploads/{{document_id}}", tags=["uploads"], openapi_extra=_AUTH)
    async def upload_status(document_id: str, request: Request) -> Any:
        """Offset received so far, whether stored, and the ack if so."""
        kiosk, _ = await authed(request)
        return await call(service.status, kiosk, document_id)

    @app.patch(
        f"{API}/uploads/{{document_id}}", tags=["uploads"], openapi_extra=_merge(_AUTH, _CHUNK_BODY)
    )
    async def upload_chunk(document_id: str, request: Request) -> Any:
        """Append the next chunk (≤ 4 MiB) at ``Upload-Offset``; 409 with the real offset."""
        kiosk, body = await authed(request, protocol.MAX_CHUNK_BYTES)
        offset = request.headers.get(protocol.HEADER_UPLOAD_OFFSET)
        return await call(service.append, kiosk, document_id, offset, body)

    @app.post(f"{API}/uploads/{{document_id}}/finish", tags=["uploads"], openapi_extra=_AUTH)
    async def finish(document_id: str, request: Request) -> Any:
        """Verify the upload, store it once and answer with the centre-signed ack."""
        kiosk, _ = await authed(request)
        return await call(service.finish, kiosk, document_id)

    @app.post(f"{API}/live/poll", tags=["live"], openapi_extra=_merge(_AUTH, _LIVE_BODY))
    async def live_poll(request: Request) -> Any:
        """Messages for this kiosk past ``after``, waiting up to ``wait`` s for the first."""
        kiosk, body = await authed(request)
        after, wait = parse_poll(_json(body))
        messages = await hub.poll(kiosk.kiosk_id, after, wait)
        cursor = max([after, *(m.seq for m in messages)])
        return {"messages": [m.wire() for m in messages], "cursor": cursor}

    add_verify_routes(app, service)
    mount_calls(app, service, hub, data_dir)  # video calls; before /staff so its WebSocket matches
    app.mount("/staff", create_staff_app(service, store, staff))
    return app
