"""Signed kiosk requests over raw asyncio streams: the thin async transport of the simulator.

The agent's ``ServerClient.call_json`` sends ``protocol.canonical_json(payload)`` with the
headers of ``protocol.sign_request`` (``wire/request_auth.py``: method, raw target, kiosk
id, time, fresh nonce, length, ``Content-Digest``). This does the same on an asyncio
connection instead of httpx, which costs a client about as much CPU per request as the
server spends (``benchmarks/intake_client.py``) and would starve the service it measures on
two cores. Every exchange has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.intake_client import read_answer
from wire import protocol

READ_LIMIT = 1 << 20
CONNECT_TIMEOUT_S = 10.0


class TransportError(Exception):
    """The connection failed, closed or timed out (the simulator counts it as an error)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Reply:
    """Status and JSON object of an answer ({} when the body is no JSON object)."""

    status: int
    body: dict[str, Any]
    close: bool


def signed_request(key: Ed25519PrivateKey, kiosk_id: str, host: str, method: str, path: str,
                   payload: Any) -> bytes:
    """One request as the agent's ``ServerClient.call_json`` signs it, serialised."""
    body = b"" if payload is None else protocol.canonical_json(payload)
    signed = protocol.sign_request(key, kiosk_id, method, path, body)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if body:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in signed.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class KioskConnection:
    """One keep-alive connection of one kiosk, opened on first use and after a close."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    @property
    def is_open(self) -> bool:
        """Whether a connection is open now."""
        return self._streams is not None

    async def exchange(self, raw: bytes, timeout_s: float) -> Reply:
        """Send one prepared request and read its answer; raises TransportError."""
        try:
            if self._streams is None:
                self._streams = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, limit=READ_LIMIT),
                    CONNECT_TIMEOUT_S)
            reader, writer = self._streams
            writer.write(raw)
            answer = await asyncio.wait_for(read_answer(reader), timeout_s)
        except TimeoutError:
            await self.close()
            raise TransportError("timeout") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as exc:
            await self.close()
            raise TransportError(type(exc).__name__) from None
        close = answer.headers.get("connection", "").lower() == "close"
        if close:
            await self.close()
        try:
            data = json.loads(answer.body) if answer.body else {}
        except ValueError:
            data = {}
        return Reply(answer.status, data if isinstance(data, dict) else {}, close)

    async def close(self) -> None:
        """Close the connection (if open)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
