"""Uvicorn's httptools protocol with a request-header timeout and size limit, and its config.

Uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has no limit on how
long a client may take to send its request headers: a connection that trickles a header
byte now and then would be held forever. ``header_timeout_protocol`` adds one: from the
moment a connection opens, or the first byte of a further request on it arrives, the
complete headers must be there within ``header_timeout_s``, or the connection is closed
without an answer. Headers larger than ``MAX_HEADER_BYTES`` are answered 400 and the
connection closed (as h11's ``max_incomplete_event_size`` did before). Body pacing is the
ASGI middleware's job (``jobcentre.http_front``).

Uvicorn stops reading a request's body from the socket whenever 64 KiB of it wait for the
app, and the app takes them one wait at a time: for a 1 MB upload some sixteen rounds of
pausing, resuming and waking the handler, about a fifth of the service's CPU per document
(``benchmarks/bench_intake.py``). Once a request is authenticated, the app widens its window
to the body's signed length (``BODY_WINDOW`` in the scope's extensions), so the body is read
at once. Before that, and for every other request, the window stays 64 KiB: an
unauthenticated client never gets more than that buffered. The waiting body is a list of the
pieces read (``BodyPieces``), not uvicorn's growing bytearray.

The parser is httptools (llhttp, in C) rather than the pure-Python h11: for the 1 MB
uploads of the intake API, h11 spent more CPU buffering and slicing the body than the
service spends on verifying and storing it (``benchmarks/bench_intake.py``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from jobcentre.http_front import FrontLimits

MAX_HEADER_BYTES = 16 * 1024
#: ASGI scope extension: ``widen(size)`` lets this request's body be buffered up to ``size``
BODY_WINDOW = "jobcentre.body_window"
UNAUTHENTICATED_WINDOW = 64 * 1024  # uvicorn's HIGH_WATER_LIMIT


class BodyPieces:
    """The pieces of a request body read from the socket and not yet taken by the app.

    Uvicorn collects them in a ``bytearray`` and hands the app ``bytes(...)`` of it: each
    megabyte was copied three times more than needed (into the bytearray, again as it grew,
    and into the bytes). Kept as a list, a body that came in one piece reaches the app as
    that very object, and several are joined once. Uvicorn's ``receive`` takes
    ``bytes(cycle.body)`` (``__bytes__``) and puts a new empty bytearray in its place.
    """

    __slots__ = ("_pieces", "_size")

    def __init__(self, first: bytes | bytearray = b"") -> None:
        self._pieces: list[bytes | bytearray] = [first] if first else []
        self._size = len(first)

    def append(self, piece: bytes) -> None:
        """One more piece, as the parser gave it."""
        self._pieces.append(piece)
        self._size += len(piece)

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        if len(self._pieces) == 1 and type(self._pieces[0]) is bytes:
            return self._pieces[0]
        return b"".join(self._pieces)


def header_timeout_protocol(header_timeout_s: float,
                            max_header_bytes: int = MAX_HEADER_BYTES) -> type[HttpToolsProtocol]:
    """An ``HttpToolsProtocol`` subclass that closes connections whose headers are too slow."""

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _awaiting_headers = True  # between requests or inside a request's headers
        _header_bytes = 0
        _body_window = UNAUTHENTICATED_WINDOW

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._awaiting_headers, self._header_bytes = True, 0
            self._arm_header_timer()

        def data_received(self, data: bytes) -> None:
            if self._awaiting_headers:
                if self._header_timer is None:
                    self._arm_header_timer()
                self._header_bytes += len(data)
            super().data_received(data)
            if self._awaiting_headers and self._header_bytes > max_header_bytes:
                self._disarm_header_timer()
                if not self.transport.is_closing():
                    self.send_400_response("Request headers too large.")

        def on_headers_complete(self) -> None:
            self._awaiting_headers = False
            self._disarm_header_timer()
            self._body_window = UNAUTHENTICATED_WINDOW
            super().on_headers_complete()
            if not (self.parser.should_upgrade() and self._should_upgrade()):
                extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
                extensions[BODY_WINDOW] = self._widen_body_window

        def _widen_body_window(self, size: int) -> None:
            self._body_window = max(UNAUTHENTICATED_WINDOW, size)

        def on_body(self, body: bytes) -> None:
            """Uvicorn's, with this request's window instead of its fixed 64 KiB (reading
            from the socket pauses once more than the window waits for the app), and the
            waiting pieces kept as they came (``BodyPieces``)."""
            if ((self.parser.should_upgrade() and self._should_upgrade())
                    or self.cycle.response_complete):
                return
            waiting: Any = self.cycle.body
            if not isinstance(waiting, BodyPieces):  # uvicorn's bytearray, empty or not
                waiting = BodyPieces(waiting)
                self.cycle.body = waiting  # uvicorn's receive() takes bytes() of it
            waiting.append(body)
            if len(waiting) > self._body_window:
                self.flow.pause_reading()
            self.cycle.message_event.set()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._awaiting_headers, self._header_bytes = True, 0

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_too_slow)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self._awaiting_headers and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol


def uvicorn_config(app: Any, limits: FrontLimits, tls_cert: Path | None,
                   tls_key: Path | None) -> Any:
    """The uvicorn configuration of ``kiosk-server serve``."""
    import uvicorn

    return uvicorn.Config(
        app, log_config=None, access_log=False, timeout_graceful_shutdown=10,
        ssl_certfile=tls_cert, ssl_keyfile=tls_key, backlog=2048,
        http=header_timeout_protocol(limits.header_timeout_s),
        timeout_keep_alive=limits.keep_alive_s,
        proxy_headers=False,  # the front resolves X-Forwarded-For from trusted proxies only
    )
