"""A short rate limit (429 with Retry-After) is waited out and the request signed anew.

Regression: with per-kiosk rate limits, a kiosk draining a backlog got 429 and fell into its
long outage backoff, leaving documents waiting (the kill harness's final sync left 9 stored).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import Identity, load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from tests.delivery.helpers import enroll_locally
from wire import protocol


class _Limited(BaseHTTPRequestHandler):
    refusals = 0
    retry_after = "0"
    nonces: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).nonces.append(self.headers.get(protocol.HEADER_KIOSK_NONCE, ""))
        if type(self).refusals > 0:
            type(self).refusals -= 1
            self.send_response(429)
            self.send_header("Retry-After", type(self).retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ServerClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Limited)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    enroll_locally(tmp_path)
    identity = load_identity(tmp_path)
    assert identity is not None
    moved = Identity(identity.kiosk_key, identity.certificate,
                     identity.centre_signing_public_key, identity.centre_encryption_public_key,
                     f"http://127.0.0.1:{server.server_address[1]}")
    outbox = Outbox(tmp_path)
    try:
        with ServerClient(moved, ClockGuard(outbox), 10) as c:
            yield c
    finally:
        outbox.close()
        server.shutdown()
        server.server_close()


def test_a_short_rate_limit_is_waited_out(client: ServerClient) -> None:
    _Limited.refusals, _Limited.retry_after, _Limited.nonces = 2, "0", []
    assert client.call_json("POST", "/api/v1/x", {"a": 1}).status_code == 200
    assert len(_Limited.nonces) == 3 and len(set(_Limited.nonces)) == 3  # signed anew


def test_a_long_rate_limit_is_reported_not_slept(client: ServerClient) -> None:
    _Limited.refusals, _Limited.retry_after, _Limited.nonces = 1, "120", []
    assert client.call_json("POST", "/api/v1/x", {"a": 1}).status_code == 429
    assert len(_Limited.nonces) == 1
