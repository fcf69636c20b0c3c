"""The upload endpoints and the live poll served straight from ASGI, without FastAPI's routing.

A 200-kiosk burst is some 700 requests to four endpoints (announce, chunk, status, finish).
FastAPI's per-request machinery -- exception and exit-stack middleware, matching the path
against every route, solving the endpoint's dependencies -- is a good part of the server's
CPU per document there. ``UploadFastPath`` sits inside ``FrontMiddleware`` (client address,
rate limits, concurrency cap, slow bodies all still apply) and hands exactly these four
method/path pairs to the same handlers FastAPI's routes call (``routes_kiosk.UploadRoutes``),
with the same error answers (``error_response``). The live-channel poll goes the same way:
10,000 kiosks re-poll some 400 times a second, and there the routing machinery cost more
CPU than the poll itself (``benchmarks/bench_fleet.py``). Other frequent kiosk requests join
by adding their handler to ``UploadRoutes.fast_routes`` under their exact method and path
(their FastAPI route stays, for ``/openapi.json``). Anything else -- other methods on these
paths, ``HEAD``, a trailing slash -- goes on to FastAPI, which also keeps describing the
routes in ``/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jobcentre.routes_kiosk import UploadRoutes
from wire import protocol

_UPLOAD = re.compile(rf"^{re.escape(protocol.API_PREFIX)}/uploads/([^/]+)(/finish)?$")
_ANNOUNCE = f"{protocol.API_PREFIX}/uploads"
_LIVE_POLL = f"{protocol.API_PREFIX}/live/poll"
ErrorAnswer = Callable[[Exception], Response | None]


def route(method: str, path: str) -> tuple[str, str | None] | None:
    """(handler name, document id) for an upload endpoint or the live poll, else None."""
    if path == _ANNOUNCE:
        return ("announce", None) if method == "POST" else None
    if path == _LIVE_POLL:
        return ("live_poll", None) if method == "POST" else None
    match = _UPLOAD.match(path)
    if match is None:
        return None
    document_id, finish = match.group(1), match.group(2)
    if finish:
        return ("finish", document_id) if method == "POST" else None
    return {"PATCH": ("chunk", document_id), "GET": ("status", document_id)}.get(method)


class UploadFastPath:
    """ASGI middleware: the four upload endpoints directly, everything else to ``app``."""

    def __init__(self, app: Any, uploads: UploadRoutes, errors: ErrorAnswer) -> None:
        self.app = app
        self.uploads = uploads
        self.errors = errors

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        found = route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        extra = (self.uploads.fast_routes.get((scope["method"], scope["path"]))
                 if found is None and scope["type"] == "http" else None)
        if found is None and extra is None:
            await self.app(scope, receive, send)
            return
        name, document_id = found or ("extra", None)
        request = Request(scope, receive)
        try:
            if extra is not None:
                response = await extra(request)
            elif name == "live_poll":
                response = await self.uploads.live_poll(request)
            elif document_id is None:
                response = await self.uploads.announce(request)
            else:
                response = await getattr(self.uploads, name)(request, document_id)
        except Exception as exc:
            answer = self.errors(exc)
            if answer is None:
                raise
            response = answer
        await response(scope, receive, send)
