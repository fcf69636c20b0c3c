"""The intake protocol's body window: 64 KiB until the app widens it for one request."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from jobcentre.http_protocol import BODY_WINDOW, BodyPieces, header_timeout_protocol

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


async def _send_body(widen: int | None, pieces: list[bytes] | None = None
                     ) -> tuple[int, list[bytes]]:
    """Feed a 1 MB request (``pieces``; 64 KiB of x each by default) without letting the app
    run in between; the protocol's pauses and the bodies the app received."""
    pieces = pieces or [b"x" * min(64 * 1024, SIZE - s) for s in range(0, SIZE, 64 * 1024)]
    received: list[bytes] = []
    finished = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if widen is not None:
            scope["extensions"][BODY_WINDOW](widen)
        more = True
        while more:
            message = await receive()
            received.append(message["body"])
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
    protocol.data_received(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                           % sum(map(len, pieces)))
    for _ in range(5):  # the app starts and (maybe) widens the window, then waits
        await asyncio.sleep(0)
    for piece in pieces:
        protocol.data_received(piece)
    await asyncio.wait_for(finished.wait(), 10)
    protocol.connection_lost(None)
    return transport.pauses, received


def test_unauthenticated_bodies_pause_reading_at_64_kib() -> None:
    pauses, received = asyncio.run(_send_body(None))
    assert pauses >= 1
    assert b"".join(received) == b"x" * SIZE


def test_a_widened_window_reads_the_body_at_once() -> None:
    pieces = [bytes([i]) * 100_000 for i in range(10)]  # distinct, to catch reordering
    pauses, received = asyncio.run(_send_body(SIZE, pieces))
    assert pauses == 0
    assert b"".join(received) == b"".join(pieces) and len(received) <= 2
    assert all(type(body) is bytes for body in received)  # ASGI: bytes, never our pieces


def test_the_window_never_shrinks_below_64_kib() -> None:
    pauses, received = asyncio.run(_send_body(100))
    assert pauses >= 1
    assert b"".join(received) == b"x" * SIZE


def test_waiting_pieces_reach_the_app_copied_at_most_once() -> None:
    one = b"a" * 300_000
    assert bytes(BodyPieces(bytearray())) == b"" and len(BodyPieces()) == 0
    single = BodyPieces(bytearray())
    single.append(one)
    assert bytes(single) is one  # a body that came in one piece is handed on as it is
    several = BodyPieces(bytearray(b"head"))  # what uvicorn's bytearray held already
    several.append(one)
    several.append(b"tail")
    assert len(several) == 4 + len(one) + 4
    assert bytes(several) == b"head" + one + b"tail"
