"""The upload fast path and the httptools front of a real ``kiosk-server serve``.

The four upload endpoints, the live poll and routes added to ``fast_routes`` are served by
``jobcentre.upload_fastpath`` inside the front middleware; everything else on those paths
still reaches FastAPI. Below ASGI, httptools
parses requests: headers over 16 KiB are refused, a keep-alive connection carries several
requests, and a duplicated ``Content-Length`` is a bad request (h11 took it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from jobcentre.routes_kiosk import UploadRoutes
from jobcentre.upload_fastpath import UploadFastPath, route
from tests.jobcentre.helpers import Document, Kiosk, ServerProcess, make_pdf
from wire import protocol

DOC = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("POST", "/api/v1/uploads", ("announce", None)),
    ("GET", f"/api/v1/uploads/{DOC}", ("status", DOC)),
    ("PATCH", f"/api/v1/uploads/{DOC}", ("chunk", DOC)),
    ("POST", f"/api/v1/uploads/{DOC}/finish", ("finish", DOC)),
    ("POST", "/api/v1/uploads/not-a-uuid/finish", ("finish", "not-a-uuid")),  # service: 404
    ("GET", "/api/v1/uploads", None),
    ("HEAD", f"/api/v1/uploads/{DOC}", None),
    ("DELETE", f"/api/v1/uploads/{DOC}", None),
    ("GET", f"/api/v1/uploads/{DOC}/finish", None),
    ("POST", "/api/v1/uploads/", None),
    ("PATCH", f"/api/v1/uploads/{DOC}/extra", None),
    ("POST", "/api/v1/live/poll", ("live_poll", None)),
    ("GET", "/api/v1/live/poll", None),
    ("POST", "/api/v1/live/poll/", None),
])
def test_only_the_upload_endpoints_and_the_live_poll_take_the_fast_path(
    method: str, path: str, expected: tuple[str, str | None] | None
) -> None:
    assert route(method, path) == expected
    if expected is not None:
        assert callable(getattr(UploadRoutes, expected[0]))


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server with default limits (SQLite)."""
    (tmp_path / "data").mkdir()
    proc = ServerProcess(tmp_path / "data", None).start()
    try:
        yield proc
    finally:
        proc.stop()


def _connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=20)


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"closed before an answer: {data!r}"
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (x.partition(":") for x in lines[1:])
                   if k.strip().lower() == "content-length"), 0)
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), rest[:length]


def test_other_methods_and_the_schema_still_come_from_fastapi(plain: ServerProcess) -> None:
    with httpx.Client(base_url=plain.url, timeout=20) as http:
        assert http.delete(f"/api/v1/uploads/{DOC}").status_code == 405
        paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/v1/uploads", "/api/v1/uploads/{document_id}",
            "/api/v1/uploads/{document_id}/finish"} <= set(paths)


def test_upload_over_the_fast_path_answers_as_before(plain: ServerProcess) -> None:
    kiosk = Kiosk(plain)
    try:
        doc = Document(kiosk, make_pdf(1), 1)
        assert kiosk.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 201
        wrong = kiosk.call("PATCH", doc.path, doc.sealed, headers={"Upload-Offset": "5"})
        assert wrong.status_code == 409 and wrong.json() == {"error": "offset_mismatch",
                                                             "offset": 0}
        assert kiosk.call("PATCH", doc.path, doc.sealed,
                          headers={"Upload-Offset": "0"}).status_code == 200
        done = kiosk.call("POST", doc.path + "/finish")
        assert done.status_code == 200, done.text
        assert done.json()["ack"]["sha256"] == hashlib.sha256(doc.pdf).hexdigest()
        status = kiosk.call("GET", doc.path).json()
        assert status["complete"] and status["offset"] == len(doc.sealed)
        unsigned = httpx.post(plain.url + doc.path + "/finish", timeout=20)
        assert unsigned.status_code == 401 and "error" in unsigned.json()
    finally:
        kiosk.close()


@pytest.mark.parametrize("chunks", [1, 2])
def test_the_last_chunk_stores_the_document_and_a_wrong_one_is_still_refused(
    plain: ServerProcess, chunks: int
) -> None:
    kiosk = Kiosk(plain)
    try:
        for wrong in (False, True):
            doc = Document(kiosk, make_pdf(1), 1)
            meta = doc.announcement(**({"sealed_sha256": "0" * 64} if wrong else {}))
            assert kiosk.call("POST", "/api/v1/uploads", meta).status_code == 201
            step = -(-len(doc.sealed) // chunks)
            for offset in range(0, len(doc.sealed), step):
                answer = kiosk.call("PATCH", doc.path, doc.sealed[offset:offset + step],
                                    headers={"Upload-Offset": str(offset)})
                assert answer.status_code == 200, answer.text
                end = min(len(doc.sealed), offset + step)
                if end == len(doc.sealed) and not wrong:  # stored: the ack comes with it
                    assert answer.json() == {"offset": end, "complete": True,
                                             "ack": answer.json()["ack"]}
                    assert protocol.verify_ack(answer.json()["ack"], kiosk.centre_signing)
                else:
                    assert answer.json() == {"offset": end}
            part = plain.data_dir / "incoming" / f"{doc.document_id}.part"
            status = kiosk.call("GET", doc.path).json()
            if not wrong:  # verified and stored with its last chunk: no part file left
                assert not part.exists()
                assert status["complete"] is True
            else:  # the checks failed: the chunk went to the part, as before
                assert status == {"offset": len(doc.sealed), "complete": False, "ack": None}
                kept = os.getxattr(part, "user.jobcenter.sha256") if chunks == 1 else None
                if chunks == 1:  # the digest the server computed, and the size, on the file
                    assert kept == (hashlib.sha256(doc.sealed).digest()
                                    + len(doc.sealed).to_bytes(8, "big"))
                else:
                    assert "user.jobcenter.sha256" not in os.listxattr(part)
            done = kiosk.call("POST", doc.path + "/finish")
            if wrong:
                assert done.status_code == 422 and done.json()["error"] == "hash_mismatch"
                assert not part.exists()
            else:
                assert done.status_code == 200, done.text
                assert done.json()["ack"] == status["ack"]
                assert done.json()["ack"]["sha256"] == hashlib.sha256(doc.pdf).hexdigest()
    finally:
        kiosk.close()


def test_a_repeated_content_digest_cannot_pass_off_another_digest(plain: ServerProcess) -> None:
    kiosk = Kiosk(plain)
    try:
        doc = Document(kiosk, make_pdf(1), 1)
        other = hashlib.sha256(b"not what is sent").digest()
        meta = doc.announcement(sealed_sha256=other.hex())
        assert kiosk.call("POST", "/api/v1/uploads", meta).status_code == 201
        signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path,
                                       doc.sealed, upload_offset=0)
        fake = protocol.content_digest(b"not what is sent")
        headers = [("Content-Digest", fake), *signed.items()]  # the signed one comes last
        answer = kiosk.http.request("PATCH", doc.path, content=doc.sealed, headers=headers)
        assert answer.status_code == 200, answer.text
        done = kiosk.call("POST", doc.path + "/finish")
        assert done.status_code == 422 and done.json()["error"] == "hash_mismatch"
    finally:
        kiosk.close()


def test_oversized_headers_are_refused_and_keep_alive_still_works(plain: ServerProcess) -> None:
    with contextlib.closing(_connect(plain)) as sock:
        for _ in range(3):  # several requests on one connection
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _answer(sock)[0] == 200
    with contextlib.closing(_connect(plain)) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        status, _ = _answer(sock)
        assert status == 400
        assert sock.recv(65536) == b""  # and the connection is closed


def test_duplicated_content_length_is_a_bad_request(plain: ServerProcess) -> None:
    with contextlib.closing(_connect(plain)) as sock:
        sock.sendall(b"POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        assert _answer(sock)[0] == 400
    assert protocol.API_PREFIX == "/api/v1"


def test_a_route_added_to_fast_routes_takes_the_fast_path_other_methods_do_not() -> None:
    seen: list[str] = []

    async def fallback(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(f"fastapi {scope['method']}")
        await PlainTextResponse("from FastAPI")(scope, receive, send)

    async def beat(request: Request) -> Response:
        seen.append(f"fast {request.method}")
        return JSONResponse({"ok": True})

    uploads = SimpleNamespace(fast_routes={("POST", "/api/v1/fleet/x"): beat})
    middleware = UploadFastPath(fallback, uploads, errors=lambda exc: None)  # type: ignore[arg-type]

    async def call(method: str) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/api/v1/fleet/x", "headers": [],
                 "query_string": b""}
        await middleware(scope, receive, send)
        return int(sent[0]["status"])

    assert asyncio.run(call("POST")) == 200 and asyncio.run(call("GET")) == 200
    assert seen == ["fast POST", "fastapi GET"]
