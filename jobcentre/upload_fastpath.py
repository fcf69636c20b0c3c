"""The upload endpoints served straight from ASGI, without FastAPI's routing and dependencies.

A 200-kiosk burst is some 700 requests to four endpoints (announce, chunk, status, finish).
FastAPI's per-request machinery -- exception and exit-stack middleware, matching the path
against every route, solving the endpoint's dependencies -- is a good part of the server's
CPU per document there. ``UploadFastPath`` sits inside ``FrontMiddleware`` (client address,
rate limits, concurrency cap, slow bodies all still apply) and hands exactly these four
method/path pairs to the same handlers FastAPI's routes call (``routes_kiosk.UploadRoutes``),
with the same error answers (``error_response``). Anything else -- other methods on these
paths, ``HEAD``, a trailing slash -- goes on to FastAPI, which also keeps describing the
routes in ``/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jobcentre.routes_kiosk import UploadRoutes
from wire import protocol

_UPLOAD = re.compile(rf"^{re.escape(protocol.API_PREFIX)}/uploads/([^/]+)(/finish)?$")
_ANNOUNCE = f"{protocol.API_PREFIX}/uploads"
ErrorAnswer = Callable[[Exception], Response | None]


def route(uploads: UploadRoutes, method: str, path: str
          ) -> Callable[[Request], Awaitable[Response]] | None:
    """The upload handler for this method and path, or None if it is not one of the four."""
    if path == _ANNOUNCE:
        return uploads.announce if method == "POST" else None
    match = _UPLOAD.match(path)
    if match is None:
        return None
    document_id, finish = match.group(1), match.group(2)
    if finish:
        return (lambda r: uploads.finish(r, document_id)) if method == "POST" else None
    if method == "PATCH":
        return lambda r: uploads.chunk(r, document_id)
    if method == "GET":
        return lambda r: uploads.status(r, document_id)
    return None


class UploadFastPath:
    """ASGI middleware: the four upload endpoints directly, everything else to ``app``."""

    def __init__(self, app: Any, uploads: UploadRoutes, errors: ErrorAnswer) -> None:
        self.app = app
        self.uploads = uploads
        self.errors = errors

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        handler = (route(self.uploads, scope["method"], scope["path"])
                   if scope["type"] == "http" else None)
        if handler is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await handler(Request(scope, receive))
        except Exception as exc:
            answer = self.errors(exc)
            if answer is None:
                raise
            response = answer
        await response(scope, receive, send)
