"""Uvicorn's h11 protocol with a request-header timeout, and the server configuration.

Uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has no limit on how
long a client may take to send its request headers: a connection that trickles a header
byte now and then would be held forever. ``header_timeout_protocol`` adds one: from the
moment a connection opens, or the first byte of a further request on it arrives, the
complete headers must be there within ``header_timeout_s``, or the connection is closed
without an answer. Body pacing is the ASGI middleware's job (``jobcentre.http_front``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from jobcentre.http_front import FrontLimits


def header_timeout_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """An ``H11Protocol`` subclass that closes connections whose headers are too slow."""

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_timer()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and self.conn.their_state is h11.IDLE:
                self._arm_header_timer()
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm_header_timer()

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
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
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
        h11_max_incomplete_event_size=16 * 1024,
    )
