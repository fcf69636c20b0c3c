"""The signed kiosk route of remote commands: ``POST /api/v1/fleet/command-result``.

Body (``wire.fleet_command.result_body``): ``{"id", "state": "delivered"|"done"|"failed",
"answer": {...}, "error": null|"code"}`` → 200 ``{"id", "state"}`` with the command's state
after the report. Refusals: 400 ``invalid_request``, 404 ``command_unknown``, 403
``not_your_command``, 409 ``command_finished`` (``jobcentre.fleet.commands``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from foundation.errors import ApiError
from jobcentre.fleet.commands import CommandStore
from jobcentre.kiosk_requests import parse_json
from jobcentre.repository import KioskRecord
from jobcentre.routes_kiosk import KioskGate
from jobcentre.staff_directory_push import KIOSK_AUTH
from wire.fleet_command import RESULT_PATH, parse_result


def add_command_routes(app: FastAPI, gate: KioskGate, store: CommandStore) -> None:
    """Mount the command-result route on ``app``."""

    def report(kiosk: KioskRecord, body: bytes) -> dict[str, Any]:
        try:
            command_id, state, answer, error = parse_result(parse_json(body))
        except ValueError as exc:
            raise ApiError(400, "invalid_request", detail=str(exc)) from None
        record = store.report(kiosk.kiosk_id, command_id, state, answer, error)
        return {"id": record.command_id, "state": record.state}

    @app.post(RESULT_PATH, tags=["fleet"], openapi_extra=KIOSK_AUTH)
    async def command_result(request: Request) -> dict[str, Any]:
        """A kiosk reports on a remote command: delivered, then done or failed."""
        return await gate.run(request, report)
