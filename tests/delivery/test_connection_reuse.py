"""The kiosk never reuses a connection after an error answer to a request with a body.

A server may answer early (401, 413, 429, 503) without reading the request body and then
close its side. If the kiosk put that connection back into its pool, the next request could
go out on it just as the close arrives and fail ("server disconnected"). The raw-socket
server here makes that timing certain: it answers the first upload chunk with an error
before reading its body, keeps the connection open without ``Connection: close``, drains
the rest, and closes as soon as anything further arrives on it. Only a request on a fresh
connection gets an answer.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.delivery import identity as ident
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from tests.delivery.helpers import enroll_locally
from wire import protocol


class EarlyAnswerServer:
    """Connection 1: error before the body, then close on reuse. Later ones: 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.answered_on: list[int] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn, self.connections),
                             daemon=True).start()

    def _handle(self, conn: socket.socket, number: int) -> None:
        with conn:
            conn.settimeout(10)
            head, body = _read_head(conn)
            length = _content_length(head)
            if number == 1:
                error = b'{"error":"rate_limited"}'
                conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json"
                             b"\r\nRetry-After: 120\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(error), error))
                while len(body) < length:  # drain what the client was still sending
                    more = conn.recv(65536)
                    if not more:
                        return
                    body += more
                conn.recv(1)  # anything further on this connection: close, do not answer
                return
            while len(body) < length:
                body += conn.recv(65536)
            self.answered_on.append(number)
            ok = b'{"offset":1}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(ok), ok))
            conn.recv(1)

    def close(self) -> None:
        """Stop accepting."""
        self.sock.close()


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            break
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@pytest.fixture
def early_server() -> Iterator[EarlyAnswerServer]:
    """The raw-socket server."""
    server = EarlyAnswerServer()
    yield server
    server.close()


def test_no_reuse_after_an_early_error_answer(tmp_path: Path,
                                             early_server: EarlyAnswerServer) -> None:
    enroll_locally(tmp_path)
    ident.write_atomic(ident.identity_dir(tmp_path) / ident.SERVER_FILE, protocol.canonical_json(
        {"url": f"http://127.0.0.1:{early_server.port}"}))
    identity = load_identity(tmp_path)
    assert identity is not None
    outbox = Outbox(tmp_path)
    try:
        with ServerClient(identity, ClockGuard(outbox), 5.0) as client:
            path = f"{protocol.API_PREFIX}/uploads/00000000-0000-4000-8000-000000000000"
            refused = client.request("PATCH", path, b"x" * 200_000, upload_offset=0)
            assert refused.status_code == 429
            again = client.request("PATCH", path, b"x" * 1000, upload_offset=0)
            assert again.status_code == 200
    finally:
        outbox.close()
    assert early_server.answered_on == [2]
