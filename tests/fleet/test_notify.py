"""Alert notifications against real servers on loopback: a webhook that fails at first, one
that never answers, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from jobcentre.fleet.notify import Notifier, NotifySettings
from tests.fleet.conftest import MailBox
from tests.jobcentre.helpers import free_port

EVENT = {"event": "raised", "alert_id": 7, "kiosk_id": "k1", "site": "Jobcenter Musterstadt",
         "kind": "paper_out", "subject": "printer", "raised_at": "2027-01-15T09:00:00.000Z",
         "cleared_at": None}


class FlakyHook:
    """Answers 503 to the first ``failures`` POSTs, then 200; records the attempts."""

    def __init__(self, failures: int) -> None:
        self.attempts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", "0")))
                hook.attempts += 1
                self.send_response(503 if hook.attempts <= failures else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_the_webhook_is_retried_with_backoff_until_it_accepts() -> None:
    hook = FlakyHook(failures=2)
    waits: list[float] = []
    try:
        notifier = Notifier(NotifySettings(webhook_url=hook.url, webhook_backoff_s=0.01),
                            sleep=waits.append)
        assert notifier.post_webhook(EVENT) is True
    finally:
        hook.close()
    assert hook.attempts == 3
    assert waits == [0.01, 0.02]


def test_a_webhook_that_never_answers_times_out_and_never_blocks_the_caller(
        silent_port: int) -> None:
    settings = NotifySettings(webhook_url=f"http://127.0.0.1:{silent_port}/",
                              webhook_timeout_s=0.3, webhook_attempts=2,
                              webhook_backoff_s=0.01)
    notifier = Notifier(settings)
    assert notifier.post_webhook(EVENT) is False
    notifier.start()
    try:
        for _ in range(5):
            notifier.enqueue(EVENT)  # returns at once; the thread works them off
        assert notifier.delivered["webhook"] == 0
    finally:
        notifier.stop(timeout_s=0.5)


def test_mail_goes_through_the_smtp_relay() -> None:
    box = MailBox()
    port = free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        notifier = Notifier(NotifySettings(smtp_host="127.0.0.1", smtp_port=port,
                                           mail_to=("ops@jobcenter.example",)))
        notifier.start()
        notifier.enqueue(EVENT)
        notifier.enqueue({**EVENT, "event": "cleared", "cleared_at": "2027-01-15T09:05:00Z"})
        deadline = time.monotonic() + 30
        while len(box.mails) < 2:
            assert time.monotonic() < deadline, "mails never arrived"
            time.sleep(0.05)
        notifier.stop()
    finally:
        smtp.stop()
    assert [m[0] for m in box.mails] == [
        "Flotte Alarm: paper_out an k1 (Jobcenter Musterstadt)",
        "Flotte behoben: paper_out an k1 (Jobcenter Musterstadt)"]
    assert "kind: paper_out" in box.mails[0][1]
