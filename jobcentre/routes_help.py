"""The signed kiosk routes of help calls: raise one, withdraw it.

``POST /api/v1/help-calls`` ``{"language": "de", "step": "choose_task"}`` → 201
``{"call_id", "state": "open"}`` (200 with the same call if the kiosk already has one open);
``POST /api/v1/help-calls/{call_id}/cancel`` → 200 ``{"cancelled": true|false}``. Both are
written to the staff audit log (actor ``kiosk:<id>``). The desk's answer travels back on
the live channel as ``help.ack`` ``{"call_id", "name"}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from jobcentre.help_calls import HelpDesk, parse_call
from jobcentre.kiosk_requests import parse_json
from jobcentre.routes_kiosk import KioskGate, merge_openapi
from jobcentre.staff import audit
from wire import protocol

log = logging.getLogger(__name__)
API = protocol.API_PREFIX
_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}
_CALL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "properties": {
        "language": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"},
        "step": {"type": "string", "pattern": "^([a-z][a-z0-9_]{0,39})?$"}}}}}}}


def add_help_routes(app: FastAPI, gate: KioskGate, desk: HelpDesk) -> None:
    """Mount the help-call routes on ``app``."""

    @app.post(f"{API}/help-calls", tags=["help"],
              openapi_extra=merge_openapi(_AUTH, _CALL_BODY))
    async def raise_call(request: Request) -> Response:
        """A visitor at this kiosk asks for staff (language and step only)."""
        kiosk, body = await gate.authed(request)
        language, step = parse_call(parse_json(body))
        before = await run_in_threadpool(desk.store.open_calls)
        call = await run_in_threadpool(desk.store.raise_call, kiosk.kiosk_id, kiosk.name,
                                       language, step)
        desk.signal.notify()
        known = any(c.call_id == call.call_id for c in before)
        log.info("help call raised at a kiosk (%s)", "repeat" if known else "new")
        if not known:
            await run_in_threadpool(audit.record, desk.store.repo, _actor(request, kiosk.kiosk_id),
                                    "help.raise", f"kiosk:{kiosk.kiosk_id}",
                                    detail=f"call={call.call_id}")
        return JSONResponse({"call_id": call.call_id, "state": call.state},
                            status_code=200 if known else 201)

    @app.post(f"{API}/help-calls/{{call_id}}/cancel", tags=["help"], openapi_extra=_AUTH)
    async def cancel_call(call_id: str, request: Request) -> Any:
        """The kiosk withdraws its call (the visitor no longer needs help)."""
        kiosk, _ = await gate.authed(request)
        done = await run_in_threadpool(desk.store.cancel, kiosk.kiosk_id, call_id)
        if done:
            desk.signal.notify()
            await run_in_threadpool(audit.record, desk.store.repo, _actor(request, kiosk.kiosk_id),
                                    "help.cancel", f"kiosk:{kiosk.kiosk_id}",
                                    detail=f"call={call_id[:64]}")
        return {"cancelled": done}


def _actor(request: Request, kiosk_id: str) -> audit.Actor:
    """A kiosk as the audit log names it."""
    return audit.Actor(f"kiosk:{kiosk_id}"[:64], "kiosk",
                       getattr(request.state, "client_address", "") or "-")
