"""A light HTTP/1.1 load generator for ``bench_intake``: many kiosks on raw asyncio streams.

httpx costs the client about as much CPU per request as the server spends, and on a 2-core
machine the client then starves the server it measures. Here every request of every kiosk
is built (and signed, exactly as ``wire.protocol.sign_request`` signs for the real kiosk)
before the clock starts; during the run a kiosk only writes the prepared bytes on its own
keep-alive connection and reads the answer (status line, headers, ``Content-Length`` body).
The server does the same work as for the real uploader: the same headers, signatures,
nonces, chunking and body sizes. A signature's time stays valid for
``protocol.MAX_CLOCK_SKEW_S``, far longer than a run.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wire import protocol

READ_LIMIT = 1 << 20
ANSWER_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Prepared:
    """One signed request as bytes on the wire, and the status it must get."""

    kind: str
    raw: bytes
    expect: int


@dataclass(frozen=True)
class Answer:
    """Status, lower-case headers and body of a response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def prepare_request(key: Any, kiosk_id: str, host: str, kind: str, method: str, path: str,
                    body: bytes, expect: int, upload_offset: int | None = None,
                    announcement: str | None = None) -> Prepared:
    """A request signed like the kiosk's (``protocol.sign_request``), serialised once."""
    signed: Mapping[str, str] = protocol.sign_request(key, kiosk_id, method, path, body,
                                                      upload_offset=upload_offset,
                                                      upload_announcement=announcement)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if not any(name.lower() == "content-length" for name in signed):
        lines.append(f"Content-Length: {len(body)}")
    if announcement:
        lines.append("Content-Type: application/offset+octet-stream")
    elif body and method == "POST":
        lines.append("Content-Type: application/json")
    elif body:
        lines.append("Content-Type: application/octet-stream")
    lines += [f"{name}: {value}" for name, value in signed.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return Prepared(kind, head + body, expect)


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    """One HTTP/1.1 response with a ``Content-Length`` body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(status_line.split(" ", 2)[1]), headers, body)


class Connection:
    """One kiosk's keep-alive connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, raw: bytes) -> Answer:
        """Send one prepared request and read its answer."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port,
                                                          limit=READ_LIMIT)
        reader, writer = self._streams
        writer.write(raw)
        answer = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT_S)
        if answer.headers.get("connection", "").lower() == "close":
            await self.close()
        return answer

    async def close(self) -> None:
        """Close the connection (if open)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            await writer.wait_closed()


async def run_requests(host: str, port: int, requests: list[Prepared],
                       lat: dict[str, list[float]]) -> Answer:
    """Send a kiosk's requests in order on one connection; returns the last answer.

    Each latency (ms, from writing the request to the end of its answer) goes to
    ``lat[kind]``; an unexpected status raises ``AssertionError`` with the answer.
    """
    conn = Connection(host, port)
    try:
        answer = None
        for request in requests:
            start = time.perf_counter()
            answer = await conn.exchange(request.raw)
            lat[request.kind].append((time.perf_counter() - start) * 1000)
            assert answer.status == request.expect, (request.kind, answer.status, answer.body)
            if request.kind in ("upload", "patch") and b'"ack"' in answer.body:
                break  # stored with its last chunk, ack included: the kiosk sends no finish
        assert answer is not None
        return answer
    finally:
        await conn.close()
