"""HTTP and WebSocket routes of video calls, mounted by ``jobcentre.service`` with one line.

* kiosk (signed requests): ``/api/v1/calls`` (+ ``/join``, ``/{id}``, ``/{id}/heartbeat``,
  ``/{id}/signal``, ``/{id}/hangup``, ``/{id}/document``) — the contract in docs/video.md;
* counsellor: ``WS /staff/calls/ws`` (registered before the staff app is mounted, so it
  matches first; the console page itself is ``jobcentre/staff/pages/calls.py``);
* guest: ``/guest/{token}``, ``POST /guest/{token}/join``, ``WS /guest/ws`` and
  ``/guest/static/...`` — everything a guest needs lives below ``/guest/`` so that a job
  centre can expose just that prefix through its own reverse proxy.

The hub's sweeper runs inside the app's lifespan (wrapped around the existing one).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.calls.browser import serve_browser
from jobcentre.calls.guest_page import guest_page, static_file
from jobcentre.calls.hub import CallHub
from jobcentre.calls.ice import ice_servers, load_settings
from jobcentre.calls.model import CallEvent, validate_walk_in
from jobcentre.calls.store import CallStore
from jobcentre.intake import IntakeService
from jobcentre.live import LiveHub
from jobcentre.routes_kiosk import KioskGate
from wire import protocol

API = f"{protocol.API_PREFIX}/calls"
BODY_LIMIT = 64 * 1024


async def _guest_body(request: Request) -> bytes:
    """A guest's small form body (no kiosk signature), refused beyond ``BODY_LIMIT``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=BODY_LIMIT)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=BODY_LIMIT)
    return body


def _parse(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
        if protocol.json_too_deep(text):
            raise ApiError(400, protocol.ERROR_JSON_TOO_DEEP, limit=protocol.MAX_JSON_DEPTH)
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", detail="body is not JSON") from exc


def mount_calls(app: FastAPI, service: IntakeService, live: LiveHub, data_dir: Path,
                gate: KioskGate) -> CallHub:
    """Add the call routes to ``app`` and run the hub's sweeper in its lifespan.

    Kiosk requests pass the same gate as every kiosk route (signature over the headers,
    nonce, rate limit, then the body within the signed length and its digest).
    """
    hub = CallHub(CallStore(service.repo), live, load_settings(data_dir))
    app.state.calls = hub
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with inner(a) as state:
            await hub.start()
            try:
                yield state
            finally:
                await hub.stop()

    app.router.lifespan_context = lifespan

    async def kiosk(request: Request) -> tuple[str, Any]:
        record, body = await gate.authed(request, BODY_LIMIT)
        return record.kiosk_id, _parse(body)

    async def started(call_id: str, kiosk_id: str, extra: dict[str, Any]) -> Response:
        call = await hub.kiosk_call(kiosk_id, call_id)
        await hub.announce(call)
        answer = {**await hub.status(call), "ice_servers": hub.kiosk_ice(call), **extra}
        return JSONResponse(answer, status_code=201)

    @app.post(API, tags=["calls"])
    async def start_call(request: Request) -> Response:
        """Queue a walk-in video call from this kiosk."""
        kiosk_id, payload = await kiosk(request)
        language, topic, location = validate_walk_in(payload)
        if not location:
            record = await run_in_threadpool(service.repo.get_kiosk, kiosk_id)
            location = record.name if record else ""
        call = await run_in_threadpool(hub.store.create_call, kiosk_id, language, topic,
                                       location, hub.clock())
        return await started(call.call_id, kiosk_id, {})

    @app.post(f"{API}/join", tags=["calls"])
    async def join_call(request: Request) -> Response:
        """Join a booked appointment by the invitation code from its letter."""
        kiosk_id, payload = await kiosk(request)
        code = payload.get("code") if isinstance(payload, dict) else None
        if not isinstance(code, str) or len(code) > 40:
            raise ApiError(400, "invalid_request", detail="expected {code}")
        record = await run_in_threadpool(service.repo.get_kiosk, kiosk_id)
        call, appointment = await run_in_threadpool(
            hub.store.join_by_code, kiosk_id, code, record.name if record else "", hub.clock())
        return await started(call.call_id, kiosk_id, {"appointment": {
            "starts_at": appointment.starts_at.isoformat(), "topic": appointment.topic}})

    @app.get(f"{API}/{{call_id}}", tags=["calls"])
    async def call_status(call_id: str, request: Request) -> Any:
        """State, queue position and wait estimate (also a heartbeat)."""
        kiosk_id, _ = await kiosk(request)
        return await hub.status(await hub.kiosk_call(kiosk_id, call_id))

    @app.post(f"{API}/{{call_id}}/heartbeat", tags=["calls"])
    async def heartbeat(call_id: str, request: Request) -> Any:
        """The kiosk is still there."""
        kiosk_id, _ = await kiosk(request)
        return {"state": (await hub.kiosk_call(kiosk_id, call_id)).state.value}

    @app.post(f"{API}/{{call_id}}/signal", tags=["calls"])
    async def signal(call_id: str, request: Request) -> Any:
        """An SDP answer, an ICE candidate or a chat line from the kiosk."""
        kiosk_id, payload = await kiosk(request)
        await hub.kiosk_signal(await hub.kiosk_call(kiosk_id, call_id), payload)
        return {"ok": True}

    @app.post(f"{API}/{{call_id}}/document", tags=["calls"])
    async def document(call_id: str, request: Request) -> Any:
        """A document the counsellor asked for was handed in."""
        kiosk_id, payload = await kiosk(request)
        await hub.kiosk_document(await hub.kiosk_call(kiosk_id, call_id), payload)
        return {"ok": True}

    @app.post(f"{API}/{{call_id}}/hangup", tags=["calls"])
    async def hangup(call_id: str, request: Request) -> Any:
        """The visitor leaves (idempotent)."""
        kiosk_id, _ = await kiosk(request)
        await hub.kiosk_call(kiosk_id, call_id)
        await hub.end(call_id, CallEvent.HANGUP)
        return {"state": "ended"}

    @app.websocket("/staff/calls/ws")
    async def counsellor_ws(websocket: WebSocket) -> None:
        await serve_browser(hub, websocket, "counsellor")

    @app.websocket("/guest/ws")
    async def guest_ws(websocket: WebSocket) -> None:
        await serve_browser(hub, websocket, "guest")

    @app.get("/guest/static/{name}", include_in_schema=False)
    async def guest_static(name: str) -> Response:
        return static_file(name)

    @app.get("/guest/{token}", include_in_schema=False)
    async def guest(token: str, request: Request) -> Response:
        try:
            await run_in_threadpool(hub.store.peek_token, token, "guest", hub.clock())
        except ApiError as exc:
            return guest_page(request, exc.code, exc.status)
        return guest_page(request, "", 200)

    @app.post("/guest/{token}/join", include_in_schema=False)
    async def guest_join(token: str, request: Request) -> Any:
        payload = _parse(await _guest_body(request))
        name = payload.get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
            raise ApiError(400, "name_required")
        now = hub.clock()
        redeemed = await run_in_threadpool(hub.store.redeem, token, "guest", now)
        if redeemed.call_id not in hub.rooms:
            raise ApiError(409, "call_ended")
        hub.guest_names[redeemed.subject] = name.strip()
        ticket = await run_in_threadpool(
            hub.store.issue_token, "ticket", redeemed.call_id, "guest", redeemed.subject,
            timedelta(seconds=hub.limits.ticket_ttl_s), now)
        return {"ticket": ticket, "ice_servers": ice_servers(hub.settings, "guest", now)}

    return hub
