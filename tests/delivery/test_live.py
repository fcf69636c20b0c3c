"""The live channel end to end: a real intake process, a message queued by another process
(``kiosk-server live-send``), the kiosk's long-poll client, reconnects and refusals."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.agent.live import POLL_PATH, LiveBackoff, LiveClient
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from tests.delivery.conftest import enroll_kiosk
from tests.delivery.netfaults import ServerProcess

WAIT = 30.0  # generous upper bound so a slow machine never fails a test; nothing is timed


def live_send(server: ServerProcess, kiosk_id: str, type_: str, body: dict[str, Any]) -> int:
    """Queue a message from a separate process, as an operator would."""
    result = subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", "live-send", "--data", str(server.data_dir),
         "--kiosk-id", kiosk_id, "--type", type_, "--body", json.dumps(body)],
        capture_output=True, text=True, timeout=60, check=True)
    return int(json.loads(result.stdout)["seq"])


class Channel:
    """A LiveClient running in a thread, collecting what it receives."""

    def __init__(self, data: Path, wait_s: float = 5.0) -> None:
        identity = load_identity(data)
        assert identity is not None
        self.outbox = Outbox(data)
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = LiveClient(
            lambda timeout: ServerClient(identity, ClockGuard(self.outbox), timeout),
            data, self.received.put, wait_s=wait_s,
            backoff=LiveBackoff(first_s=0.05, max_s=0.5))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.client.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Channel:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT)
        self.outbox.close()

    def next(self) -> dict[str, Any]:
        return self.received.get(timeout=WAIT)


@pytest.fixture()
def enrolled(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = tmp_path / "kiosk"
    yield enroll_kiosk(server, data), data


def test_a_message_from_another_process_reaches_the_waiting_kiosk_once(
    server: ServerProcess, enrolled: tuple[str, Path],
) -> None:
    kiosk_id, data = enrolled
    with Channel(data) as channel:
        seq = live_send(server, kiosk_id, "ops.ping", {"text": "hallo"})
        message = channel.next()
        assert (message["seq"], message["type"], message["body"]) == (seq, "ops.ping",
                                                                     {"text": "hallo"})
        second = live_send(server, kiosk_id, "ops.ping", {"n": 2})
        assert channel.next()["seq"] == second
    # The cursor survived: a new client does not get the handled messages again.
    assert json.loads((data / "live-cursor.json").read_text())["cursor"] == second
    with Channel(data) as again:
        third = live_send(server, kiosk_id, "ops.ping", {"n": 3})
        assert again.next()["seq"] == third
        assert again.received.empty()


def test_messages_wait_while_the_kiosk_is_away_and_the_client_reconnects(
    server: ServerProcess, enrolled: tuple[str, Path],
) -> None:
    kiosk_id, data = enrolled
    with Channel(data) as channel:
        server.stop()
        while channel.client.connected:  # the client notices the server is gone
            channel.stop.wait(0.05)
        server.start()  # same port, same database
        seq = live_send(server, kiosk_id, "ops.ping", {})
        assert channel.next()["seq"] == seq
        assert channel.client.backoff.failures == 0


def test_a_second_poll_of_the_same_kiosk_answers_the_first(
    server: ServerProcess, enrolled: tuple[str, Path],
) -> None:
    _, data = enrolled
    identity = load_identity(data)
    assert identity is not None
    outbox = Outbox(data)
    answers: list[httpx.Response] = []
    try:
        first_client = ServerClient(identity, ClockGuard(outbox), 60)
        first = threading.Thread(target=lambda: answers.append(
            first_client.call_json("POST", POLL_PATH, {"after": 0, "wait": 25})))
        first.start()
        with ServerClient(identity, ClockGuard(outbox), 60) as second:
            while first.is_alive() and not answers:
                # Replace the first poll with a short one until the first one answers.
                assert second.call_json("POST", POLL_PATH, {"after": 0, "wait": 0.2}
                                        ).status_code == 200
                first.join(0.05)
        first.join(WAIT)
        first_client.close()
        assert answers[0].status_code == 200 and answers[0].json()["messages"] == []
    finally:
        outbox.close()


@pytest.mark.parametrize("body", [
    {"after": -1}, {"after": "0"}, {"after": 0, "wait": 10_000}, {"after": 0, "x": 1},
    {"after": True}, [], {"after": 2**70},
])
def test_bad_poll_bodies_are_400(server: ServerProcess, enrolled: tuple[str, Path],
                                 body: Any) -> None:
    _, data = enrolled
    identity = load_identity(data)
    assert identity is not None
    outbox = Outbox(data)
    try:
        with ServerClient(identity, ClockGuard(outbox), 30) as client:
            response = client.call_json("POST", POLL_PATH, body)
            assert response.status_code == 400, response.text
    finally:
        outbox.close()


def test_unsigned_polls_are_refused(server: ServerProcess) -> None:
    response = httpx.post(server.url + POLL_PATH, json={"after": 0, "wait": 0}, timeout=30)
    assert response.status_code == 401
