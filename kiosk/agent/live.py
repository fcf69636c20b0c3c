"""The kiosk end of the live channel: one signed long-poll, reconnecting with backoff.

``LiveClient.run`` keeps a poll open to ``/api/v1/live/poll``; each message is handed to
``dispatch`` (the agent routes it by type: help-call answers, call signalling, fleet
commands), then the cursor is stored (fsync'd) so a restart does not repeat handled
messages. Delivery is at least once: a crash between handling and storing the cursor repeats
the last batch, so handlers act idempotently on the message ``id`` (the last ids are kept
here as well and skipped). Network trouble and refusals wait with exponential backoff and
jitter (1 s doubling to 60 s; a revoked or unknown kiosk waits the maximum).
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundation.errors import BackendUnavailable, KioskError
from foundation.files import fsync_dir, write_synced
from kiosk.delivery.transport import ServerClient, safe_json
from wire import protocol

log = logging.getLogger(__name__)

POLL_PATH = f"{protocol.API_PREFIX}/live/poll"
Dispatch = Callable[[dict[str, Any]], None]


def route_message(handlers: Mapping[str, Dispatch], message: dict[str, Any]) -> None:
    """Hand ``message`` to the handler of its type (the agent's ``live_handlers``)."""
    handler = handlers.get(str(message.get("type")))
    if handler is None:
        log.warning("live message of unknown type %s ignored", str(message.get("type"))[:40])
        return
    handler(message)


@dataclass
class LiveBackoff:
    """Exponential backoff with full jitter between failed polls."""

    first_s: float = 1.0
    max_s: float = 60.0
    failures: int = 0
    rng: Callable[[], float] = field(default=random.random)

    def next_delay(self) -> float:
        """The wait after one more failure."""
        self.failures += 1
        ceiling = min(self.max_s, self.first_s * 2.0 ** min(self.failures - 1, 32))
        return ceiling * (0.5 + self.rng() / 2)

    def reset(self) -> None:
        """A poll went through."""
        self.failures = 0


class LiveClient:
    """Polls the live channel and dispatches each message once (at least once on crashes)."""

    def __init__(self, open_client: Callable[[float], ServerClient], state_dir: Path,
                 dispatch: Dispatch, *, wait_s: float = 25.0,
                 backoff: LiveBackoff | None = None,
                 on_connect: Callable[[ServerClient], None] | None = None) -> None:
        self.open_client = open_client
        self.on_connect = on_connect
        self.cursor_file = state_dir / "live-cursor.json"
        self.dispatch = dispatch
        self.wait_s = wait_s
        self.backoff = backoff or LiveBackoff()
        self.cursor = self._load_cursor()
        self._recent: deque[str] = deque(maxlen=256)
        self.connected = False

    def _load_cursor(self) -> int:
        try:
            value = json.loads(self.cursor_file.read_bytes()).get("cursor", 0)
        except (OSError, ValueError, AttributeError):
            return 0
        return value if isinstance(value, int) and value >= 0 else 0

    def _store_cursor(self) -> None:
        tmp = self.cursor_file.with_name(f".{self.cursor_file.name}.{os.getpid()}.tmp")
        write_synced(tmp, json.dumps({"cursor": self.cursor}).encode(), exclusive=False)
        os.replace(tmp, self.cursor_file)
        fsync_dir(self.cursor_file.parent)

    def poll_once(self, client: ServerClient, stop: threading.Event | None = None) -> int:
        """One poll; returns how many messages were handled. Raises BackendUnavailable.

        An answer that arrives after ``stop`` was set is dropped unhandled (the cursor stays,
        so the messages come again after the restart).
        """
        response = client.call_json("POST", POLL_PATH, self.poll_body())
        if stop is not None and stop.is_set():
            return 0
        return self.take_answer(response.status_code, safe_json(response))

    def poll_body(self) -> dict[str, Any]:
        """The body of the next poll: the cursor and how long the server may hold it."""
        return {"after": self.cursor, "wait": self.wait_s}

    def take_answer(self, status: int, answer: dict[str, Any]) -> int:
        """Dispatch a poll's answer and advance the cursor; returns how many were handled.

        The transport-free half of ``poll_once`` (the fleet simulator in ``benchmarks/``
        feeds it answers it got over its own async connections). Raises BackendUnavailable
        for a refusal or an answer that is no poll answer.
        """
        if status != 200:
            code = answer.get("error", f"http_{status}")
            raise BackendUnavailable(f"live channel refused: {code}", code=str(code))
        messages = answer.get("messages")
        cursor = answer.get("cursor")
        if not isinstance(messages, list) or not isinstance(cursor, int):
            raise BackendUnavailable("live channel answered nonsense")
        self.connected = True
        self.backoff.reset()
        handled = 0
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("id"), str):
                continue
            if message["id"] in self._recent:
                continue
            try:
                self.dispatch(message)
            except Exception:  # noqa: BLE001 - one bad message must not stop the channel
                log.exception("live message of type %s could not be handled",
                              str(message.get("type"))[:40])
            self._recent.append(message["id"])
            handled += 1
        if cursor > self.cursor:
            self.cursor = cursor
            self._store_cursor()
        return handled

    def _connected(self, client: ServerClient) -> None:
        """Catch up on what a (re)connected kiosk may have missed (``on_connect``)."""
        if self.on_connect is None:
            return
        try:
            self.on_connect(client)
        except Exception:  # noqa: BLE001 - catching up must not stop the channel
            log.exception("catching up after the live channel connected failed")

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set, reconnecting with backoff.

        The agent does not wait for a long poll in flight when it stops (``Agent.stop``
        gives this thread a moment only): an answer arriving after ``stop`` is dropped, and
        an error then (the outbox already closed) ends the thread quietly.
        """
        client: ServerClient | None = None
        while not stop.is_set():
            try:
                if client is None:
                    client = self.open_client(self.wait_s + 15.0)
                    self._connected(client)
                self.poll_once(client, stop)
            except KioskError as exc:
                if stop.is_set():
                    break
                self.connected = False
                if exc.code in (protocol.ERROR_REVOKED, protocol.ERROR_UNKNOWN_KIOSK):
                    self.backoff.failures = 64  # refused for good until re-enrolled
                delay = self.backoff.next_delay()
                log.info("live channel down (%s); retrying in %.0f s", exc.code, delay)
                if client is not None:
                    client.close()
                    client = None
                stop.wait(delay)
            except Exception:
                if stop.is_set():  # stopping: the agent may have closed what the poll touches
                    break
                raise
        if client is not None:
            client.close()
