"""The signed kiosk routes of rollouts: report an outcome, catch up on the newest bundle.

``POST /api/v1/fleet/bundle-report`` ``{"kind", "version", "state": "applied"|"rolled_back"|
"refused", "reason"}`` → 200 ``{"recorded": true}`` (a canary's ``rolled_back`` halts its
rollout); ``GET /api/v1/fleet/bundles/{kind}`` → 200 ``{"version", "bundle"}`` with the newest
bundle of the kind addressed to the asking kiosk, 404 ``no_bundle`` if there is none.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.fleet import rollouts
from jobcentre.fleet.rollout_store import RolloutTables
from jobcentre.kiosk_requests import parse_json
from jobcentre.repository import KioskRecord
from jobcentre.routes_kiosk import KioskGate, merge_openapi
from wire import protocol

API = protocol.API_PREFIX
_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}
_REPORT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False,
    "required": ["kind", "version", "state"], "properties": {
        "kind": {"enum": list(rollouts.KINDS)},
        "version": {"type": "integer", "minimum": 0, "maximum": rollouts.MAX_VERSION},
        "state": {"enum": list(rollouts.STATES)},
        "reason": {"type": "string", "maxLength": 300}}}}}}}


def add_rollout_routes(app: FastAPI, gate: KioskGate, repo: Any) -> None:
    """Mount the rollout routes on ``app`` (creating the rollout tables now, once)."""
    RolloutTables(repo)

    @app.post(f"{API}/fleet/bundle-report", tags=["fleet"],
              openapi_extra=merge_openapi(_AUTH, _REPORT_BODY))
    async def bundle_report(request: Request) -> dict[str, Any]:
        """What the kiosk did with a signed bundle (applied, rolled back, refused + code)."""
        kiosk, body = await gate.authed(request)
        await run_in_threadpool(rollouts.record_report, repo, kiosk.kiosk_id, parse_json(body))
        return {"recorded": True}

    @app.get(f"{API}/fleet/bundles/{{kind}}", tags=["fleet"], openapi_extra=_AUTH)
    async def newest_bundle(kind: str, request: Request) -> dict[str, Any]:
        """The newest signed bundle of ``kind`` addressed to this kiosk."""

        def latest(kiosk: KioskRecord, _body: bytes) -> dict[str, Any]:
            found = rollouts.latest_for(repo, kiosk.kiosk_id, kind)
            if found is None:
                raise ApiError(404, "no_bundle")
            return {"version": found[0], "bundle": found[1]}

        return await gate.run(request, latest)
