"""The signed kiosk API: uploads (announce, chunk, status, finish) and the live-channel poll.

Every route authenticates first, from the headers alone (``IntakeService.authenticate``:
signature version 2, clock, revocation, nonce), charges the kiosk's rate limit, and only
then reads the body: at most the signed ``Content-Length`` (refused with 413 above the
route's own limit before a byte is read), compared with the signed ``Content-Digest``
afterwards. An answer given before the body was read carries ``Connection: close``
(``jobcentre.http_front``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.admission import check_signed, parse_auth
from jobcentre.http_front import FrontGuard
from jobcentre.http_protocol import BODY_WINDOW
from jobcentre.intake import IntakeService, UploadAnnouncement
from jobcentre.kiosk_requests import (
    check_digest,
    parse_json,
    read_body,
    request_headers,
    request_target,
    signed_digest,
)
from jobcentre.live import LiveHub, parse_poll
from jobcentre.nonces import NonceStore
from jobcentre.repository import KioskRecord
from jobcentre.upload_batch import WholeUploads
from wire import protocol

JSON_BODY_LIMIT = 64 * 1024
API = protocol.API_PREFIX

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": UploadAnnouncement.model_json_schema()},
    # with Upload-Announcement: the document's first chunk (jobcentre.upload_batch)
    "application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    "parameters": [{"name": protocol.HEADER_UPLOAD_ANNOUNCEMENT, "in": "header",
                    "required": False, "schema": {"type": "string", "maxLength": 2048}}]}
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
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}


def merge_openapi(*parts: dict[str, Any]) -> dict[str, Any]:
    """Merge ``openapi_extra`` fragments (parameter lists are concatenated)."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = merged.get(key, []) + value if key == "parameters" else value
    return merged


_EMPTY_SHA256 = hashlib.sha256(b"").digest()
T = TypeVar("T")
FastHandler = Callable[[Request], Awaitable[Response]]


KNOWN_KIOSKS = 50_000  # kiosk records kept per process for checking signatures in the loop


class KioskGate:
    """Authenticate, rate-limit, then read the body within the signed length.

    ``run`` does it all and then the route's blocking operation, in one worker-thread hop
    per request: each hop costs the event loop and the worker a hand-over of the GIL and
    a few context switches, more CPU than a small request's work. A request without a body
    is authenticated, charged and served in that hop. One with a body is first checked in
    the event loop, from the headers and the kiosk's public key kept from its earlier
    requests (a kiosk's key never changes): signature and clock, then the kiosk's rate
    limit, so an unsigned or forged body is refused before it is read. The body is then
    read and checked against the signed digest, and the hop re-reads the kiosk's record
    (revocation takes effect with the next request), records the nonce (replays) and runs
    the operation. The first request of a kiosk this process has not seen yet is
    authenticated in a hop of its own before a body above ``JSON_BODY_LIMIT`` is read; a
    smaller one is read first and authenticated in the operation's hop.
    """

    def __init__(self, service: IntakeService, nonces: NonceStore, guard: FrontGuard) -> None:
        self.service = service
        self.nonces = nonces
        self.guard = guard
        self._known: dict[str, KioskRecord] = {}
        self._known_lock = threading.Lock()
        self._enrolled_up_to = ""  # the newest enrollment time ``refresh_known`` has read

    async def authed(self, request: Request, limit: int = JSON_BODY_LIMIT,
                     live: bool = False) -> tuple[KioskRecord, bytes]:
        """The signing kiosk and the body it signed."""
        headers = request_headers(request)
        try:
            kiosk = await run_in_threadpool(self.authenticate, request.method,
                                            request_target(request), headers)
        except ApiError as exc:
            raise self.refusal(request, exc) from None
        self.guard.charge_kiosk(kiosk.kiosk_id, live)
        return kiosk, await self._body(request, headers, limit)

    async def run(self, request: Request, operation: Callable[[KioskRecord, bytes], T],
                  limit: int = JSON_BODY_LIMIT) -> T:
        """``operation(kiosk, body)`` in a worker thread, for an authenticated request."""
        headers = request_headers(request)
        method, target = request.method, request_target(request)
        if headers.get("content-length", "0") in ("0", ""):
            try:
                return await run_in_threadpool(self._run_bodyless, method, target, headers,
                                               operation)
            except ApiError as exc:
                raise self.refusal(request, exc) from None
        auth, kiosk = self._kept_signer(request, headers)
        if kiosk is None and limit > JSON_BODY_LIMIT:
            kiosk, body = await self.authed(request, limit)
            return await run_in_threadpool(operation, kiosk, body)
        if kiosk is not None:
            self.guard.charge_kiosk(kiosk.kiosk_id)
        body = await self._body(request, headers, limit, check=False)
        try:
            return await run_in_threadpool(self._run_signed, method, target, headers, auth,
                                           kiosk, operation, body)
        except ApiError as exc:
            raise self.refusal(request, exc) from None

    async def signed_body(self, request: Request, headers: dict[str, str], limit: int
                          ) -> tuple[KioskRecord, protocol.RequestAuth, bytes] | None:
        """For a request with a body from a kiosk whose record is kept: its signature and
        clock checked, its rate charged, its body read and checked against the signed
        digest, all in the event loop, without a worker thread; the caller must still
        ``admit`` it (revocation, replay) before acting on it. None, with nothing read,
        for any other request: ``run`` serves it. ``headers``: ``request_headers``."""
        if headers.get("content-length", "0") in ("0", ""):
            return None
        auth, kiosk = self._kept_signer(request, headers)
        if kiosk is None:
            return None
        self.guard.charge_kiosk(kiosk.kiosk_id)
        return kiosk, auth, await self._body(request, headers, limit)

    def _kept_signer(self, request: Request, headers: dict[str, str]
                     ) -> tuple[protocol.RequestAuth, KioskRecord | None]:
        """The request's signature headers and, if this process keeps the signing kiosk's
        record, that record, the signature and clock checked against it (CPU only); a
        refusal is charged to the client's address."""
        try:
            auth = parse_auth(headers)
            kiosk = self._known.get(auth.kiosk_id)
            if kiosk is not None:
                check_signed(kiosk, request.method, request_target(request), auth)
        except ApiError as exc:
            raise self.refusal(request, exc) from None
        return auth, kiosk

    def admit(self, kiosk: KioskRecord, auth: protocol.RequestAuth) -> KioskRecord:
        """``IntakeService.admit`` (blocking): revocation and replay, after ``signed_body``."""
        return self.service.admit(kiosk, auth, self.nonces)

    def admit_many(self, requests: list[tuple[KioskRecord, protocol.RequestAuth]]
                   ) -> list[KioskRecord | ApiError]:
        """``IntakeService.admit_many`` (blocking): ``admit`` for a group."""
        return self.service.admit_many(requests, self.nonces)

    async def run_admitted(self, request: Request, kiosk: KioskRecord,
                           auth: protocol.RequestAuth, operation: Callable[[KioskRecord], T]
                           ) -> T:
        """``operation(kiosk)`` in a worker thread once ``admit`` lets the request in."""
        try:
            return await run_in_threadpool(lambda: operation(self.admit(kiosk, auth)))
        except ApiError as exc:
            raise self.refusal(request, exc) from None

    def _run_signed(self, method: str, target: str, headers: dict[str, str],
                    auth: protocol.RequestAuth, known: KioskRecord | None,
                    operation: Callable[[KioskRecord, bytes], T], body: bytes) -> T:
        """The worker's part of ``run`` for a request whose body was read (and not yet
        hashed: a megabyte's SHA-256 here runs beside the event loop, not in it)."""
        if known is None:
            kiosk = self.authenticate(method, target, headers)
            self.guard.charge_kiosk(kiosk.kiosk_id)
        else:
            kiosk = self.service.admit(known, auth, self.nonces)
        check_digest(signed_digest(headers), body)
        return operation(kiosk, body)

    def authenticate(self, method: str, target: str, headers: dict[str, str]) -> KioskRecord:
        """``IntakeService.authenticate`` (blocking), with the kiosk's kept record if any:
        its signature checked against the kept key, revocation and nonce in the database."""
        auth = parse_auth(headers)
        known = self._known.get(auth.kiosk_id)
        if known is None:
            kiosk = self.service.authenticate(method, target, headers, self.nonces)
            self._remember(kiosk)
            return kiosk
        check_signed(known, method, target, auth)
        return self.service.admit(known, auth, self.nonces)

    def refresh_known(self) -> int:
        """Keep the records of kiosks enrolled since the last refresh (blocking; all of
        them the first time); returns how many were new.

        Run at start and every few seconds (``jobcentre.service``), so that a kiosk's first
        upload to this process is checked in the loop like every later one: kiosks enroll
        once, long before they upload, and through any of the intake processes.
        """
        found = self.service.repo.kiosks_enrolled_since(self._enrolled_up_to)
        new = 0
        for kiosk in found:
            if kiosk.revoked_at is None and kiosk.kiosk_id not in self._known:
                self._remember(kiosk)
                new += 1
        if found:
            self._enrolled_up_to = found[-1].enrolled_at
        return new

    def _remember(self, kiosk: KioskRecord) -> None:
        """Keep a kiosk's record for checking its next requests' signatures in the loop."""
        with self._known_lock:
            if kiosk.kiosk_id not in self._known and len(self._known) >= KNOWN_KIOSKS:
                self._known.pop(next(iter(self._known)))
            self._known[kiosk.kiosk_id] = kiosk

    def _run_bodyless(self, method: str, target: str, headers: dict[str, str],
                      operation: Callable[[KioskRecord, bytes], T]) -> T:
        kiosk = self.authenticate(method, target, headers)
        self.guard.charge_kiosk(kiosk.kiosk_id)
        if signed_digest(headers) != _EMPTY_SHA256:
            raise ApiError(400, protocol.ERROR_DIGEST_MISMATCH)
        return operation(kiosk, b"")

    def refusal(self, request: Request, exc: ApiError) -> ApiError:
        """A failed authentication (401) is charged to the client's address."""
        if exc.status != 401:
            return exc
        address = getattr(request.state, "client_address", "")
        return self.guard.charge_failure(address, exc)

    async def _body(self, request: Request, headers: dict[str, str], limit: int,
                    check: bool = True) -> bytes:
        """The body, at most the signed length, checked against the signed digest (with
        ``check``; else the caller checks it, in its worker thread, with ``check_digest``)."""
        length = int(headers.get("content-length", "0"))
        if length > limit:
            raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=limit)
        expected = signed_digest(headers)
        widen = request.scope.get("extensions", {}).get(BODY_WINDOW)
        if widen is not None:  # authenticated (or signed by a kept key): read it at once
            widen(length)
        body = await read_body(request, length)
        if len(body) != length:
            raise ApiError(400, protocol.ERROR_DIGEST_MISMATCH)
        if check:
            check_digest(expected, body)
        return body


class UploadRoutes:
    """The upload endpoints and the live-channel poll as plain handlers, shared by FastAPI's
    routes and the fast path (``jobcentre.upload_fastpath``)."""

    def __init__(self, gate: KioskGate, hub: LiveHub | None = None) -> None:
        self.gate = gate
        self.service = gate.service
        self.hub = hub
        self.whole = WholeUploads(gate, gate.service)
        #: further handlers the fast path serves, by exact (method, path)
        self.fast_routes: dict[tuple[str, str], FastHandler] = {}

    async def announce(self, request: Request) -> Response:
        """Announce a document (201 new, 200 resume/complete, 409 conflicting metadata);
        with ``Upload-Announcement``, the body is the document's first chunk
        (``jobcentre.upload_batch``)."""
        headers = request_headers(request)  # the values the gate verifies, as in ``chunk``
        if headers.get("upload-announcement", ""):
            return await self.whole.announce(request, headers)
        status, answer = await self.gate.run(
            request, lambda kiosk, body: self.service.announce(kiosk, parse_json(body)))
        return JSONResponse(answer, status_code=status)

    async def status(self, request: Request, document_id: str) -> Response:
        """Offset received so far, whether stored, and the ack if so."""
        return JSONResponse(await self.gate.run(
            request, lambda kiosk, _: self.service.status(kiosk, document_id)))

    async def chunk(self, request: Request, document_id: str) -> Response:
        """Append the next chunk (≤ 4 MiB) at ``Upload-Offset``; 409 with the real offset."""
        offset = request.headers.get(protocol.HEADER_UPLOAD_OFFSET)
        # the digest the gate checks the body against before the append runs (read from the
        # same header dict: with a repeated header, the value the gate verified)
        digest = protocol.digest_sha256(request_headers(request).get("content-digest", ""))
        return JSONResponse(await self.gate.run(
            request, lambda kiosk, body: self.service.append(kiosk, document_id, offset, body,
                                                             digest),
            protocol.MAX_CHUNK_BYTES))

    async def finish(self, request: Request, document_id: str) -> Response:
        """Verify the upload, store it once and answer with the centre-signed ack."""
        return JSONResponse(await self.gate.run(
            request, lambda kiosk, _: self.service.finish(kiosk, document_id)))


    async def live_poll(self, request: Request) -> Response:
        """Messages for this kiosk past ``after``, waiting up to ``wait`` s for the first."""
        if self.hub is None:
            raise ApiError(404, protocol.ERROR_NOT_FOUND)
        kiosk, body = await self.gate.authed(request, live=True)
        after, wait = parse_poll(parse_json(body))
        messages = await self.hub.poll(kiosk.kiosk_id, after, wait)
        cursor = max([after, *(m.seq for m in messages)])
        return JSONResponse({"messages": [m.wire() for m in messages], "cursor": cursor})


def add_kiosk_routes(app: FastAPI, gate: KioskGate, hub: LiveHub) -> UploadRoutes:
    """Mount the upload and live-channel routes on ``app``; returns their handlers."""
    uploads = UploadRoutes(gate, hub)

    @app.post(f"{API}/uploads", tags=["uploads"], openapi_extra=merge_openapi(_AUTH, _UPLOAD_BODY))
    async def announce(request: Request) -> Response:
        """Announce a document (201 new, 200 resume/complete, 409 conflicting metadata)."""
        return await uploads.announce(request)

    @app.get(f"{API}/uploads/{{document_id}}", tags=["uploads"], openapi_extra=_AUTH)
    async def upload_status(document_id: str, request: Request) -> Response:
        """Offset received so far, whether stored, and the ack if so."""
        return await uploads.status(request, document_id)

    @app.patch(f"{API}/uploads/{{document_id}}", tags=["uploads"],
               openapi_extra=merge_openapi(_AUTH, _CHUNK_BODY))
    async def upload_chunk(document_id: str, request: Request) -> Response:
        """Append the next chunk (≤ 4 MiB) at ``Upload-Offset``; 409 with the real offset."""
        return await uploads.chunk(request, document_id)

    @app.post(f"{API}/uploads/{{document_id}}/finish", tags=["uploads"], openapi_extra=_AUTH)
    async def finish(document_id: str, request: Request) -> Response:
        """Verify the upload, store it once and answer with the centre-signed ack."""
        return await uploads.finish(request, document_id)

    @app.post(f"{API}/live/poll", tags=["live"], openapi_extra=merge_openapi(_AUTH, _LIVE_BODY))
    async def live_poll(request: Request) -> Response:
        """Messages for this kiosk past ``after``, waiting up to ``wait`` s for the first."""
        return await uploads.live_poll(request)

    return uploads
