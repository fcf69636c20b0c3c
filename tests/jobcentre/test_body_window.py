"""The intake protocol's body window: 64 KiB until the app widens it for one request."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from jobcentre.http_protocol import BODY_WINDOW, header_timeout_protocol

SIZE = 1_000_000


class RecordingTransport(asyncio.Transport):
    """Records what the protocol asks of its connection."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses = 0
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default)

    def pause_reading(self) -> None:
        self.pauses += 1

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True


async def _send_body(widen: int | None) -> tuple[int, list[int]]:
    """Feed a 1 MB request in 64 KiB pieces without letting the app run in between; the
    protocol's pauses and the sizes the app received."""
    received: list[int] = []
    finished = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if widen is not None:
            scope["extensions"][BODY_WINDOW](widen)
        more = True
        while more:
            message = await receive()
            received.append(len(message["body"]))
            more = message["more_body"]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        finished.set()

    config = uvicorn.Config(app, http=header_timeout_protocol(30.0), log_config=None,
                            lifespan="off")
    config.load()
    protocol = config.http_protocol_class(config=config, server_state=ServerState(),
                                          app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % SIZE)
    for _ in range(5):  # the app starts and (maybe) widens the window, then waits
        await asyncio.sleep(0)
    for start in range(0, SIZE, 64 * 1024):
        protocol.data_received(b"x" * min(64 * 1024, SIZE - start))
    await asyncio.wait_for(finished.wait(), 10)
    protocol.connection_lost(None)
    return transport.pauses, received


def test_unauthenticated_bodies_pause_reading_at_64_kib() -> None:
    pauses, received = asyncio.run(_send_body(None))
    assert pauses >= 1
    assert sum(received) == SIZE


def test_a_widened_window_reads_the_body_at_once() -> None:
    pauses, received = asyncio.run(_send_body(SIZE))
    assert pauses == 0
    assert sum(received) == SIZE and len(received) <= 2


def test_the_window_never_shrinks_below_64_kib() -> None:
    pauses, received = asyncio.run(_send_body(100))
    assert pauses >= 1
    assert sum(received) == SIZE
