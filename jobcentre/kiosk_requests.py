"""Reading a signed kiosk request: its headers, target, body (within the signed length) and
JSON. Shared by the kiosk gate (``jobcentre.routes_kiosk``), the one-request uploads
(``jobcentre.upload_batch``) and the other signed routes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from foundation.errors import ApiError
from wire import protocol


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes with 413."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=limit)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise ApiError(400, "invalid_request", detail="body incomplete") from exc
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON of a request body, or 400 (``json_too_deep`` / ``invalid_request``)."""
    try:
        text = body.decode("utf-8")
        if protocol.json_too_deep(text):
            raise ApiError(400, protocol.ERROR_JSON_TOO_DEEP, limit=protocol.MAX_JSON_DEPTH)
        return json.loads(text)
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to convert
        raise ApiError(400, "invalid_request", detail="body is not JSON") from exc


def parse_announcement(header: str) -> Any:
    """The JSON announcement an ``Upload-Announcement`` header carries, or 400."""
    try:
        raw = protocol.b64u_decode(header)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", detail="Upload-Announcement is not base64url"
                       ) from exc
    return parse_json(raw)


def request_target(request: Request) -> str:
    """The raw path and query string as the client sent them (what the kiosk signed)."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query: bytes = request.scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


def signed_digest(headers: dict[str, str]) -> bytes:
    """The SHA-256 the signed ``Content-Digest`` names; 400 if it names none."""
    expected = protocol.digest_sha256(headers.get("content-digest", ""))
    if expected is None:
        raise ApiError(400, "invalid_request", detail="Content-Digest needs sha-256")
    return expected


def check_digest(expected: bytes, body: bytes) -> None:
    """400 ``digest_mismatch`` unless ``body`` hashes to ``expected``."""
    if hashlib.sha256(body).digest() != expected:
        raise ApiError(400, protocol.ERROR_DIGEST_MISMATCH)


def request_headers(request: Request) -> dict[str, str]:
    """Lower-case request headers; a chunked body (no signed length) is refused with 411."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    if "transfer-encoding" in headers:
        raise ApiError(411, protocol.ERROR_LENGTH_REQUIRED)
    return headers
