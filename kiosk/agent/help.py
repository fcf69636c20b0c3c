"""The kiosk end of a help call: raise it at the job centre, hear the desk's answer.

``HelpCaller.call`` sends the signed ``POST /api/v1/help-calls`` (language and step only).
If the job centre cannot be reached, the call waits in memory (state ``offline``, so the UI
can tell the visitor where the desk is) and is sent again when the UI next asks for the
state, at most every ``retry_s``. The live channel's ``help.ack`` ``{"call_id", "name"}``
marks the call ``acknowledged`` with the first name of whoever is on the way; the UI polls
``status`` through the agent's ``help_status`` command and never talks to the network itself.

    states: idle ─call→ sent ─help.ack→ acknowledged
                   └→ offline ─retry ok→ sent          (any) ─cancel→ idle
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from foundation.errors import KioskError
from kiosk.delivery.transport import ServerClient, safe_json
from wire import protocol

log = logging.getLogger(__name__)

CALLS_PATH = f"{protocol.API_PREFIX}/help-calls"
IDLE, SENT, OFFLINE, ACKNOWLEDGED = "idle", "sent", "offline", "acknowledged"
MAX_NAME = 60


def clean_name(value: Any) -> str | None:
    """A printable first name from a live message, or None."""
    if not isinstance(value, str):
        return None
    name = "".join(ch for ch in value if ch.isprintable()).strip()[:MAX_NAME]
    return name or None


class HelpCaller:
    """One visitor's help call at a time (thread-safe: socket, live and UI threads)."""

    def __init__(self, open_client: Callable[[float], ServerClient], timeout_s: float = 5.0,
                 retry_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_client = open_client
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.clock = clock
        self._lock = threading.Lock()
        self.state = IDLE
        self.call_id: str | None = None
        self.name: str | None = None
        self._request: dict[str, str] = {}
        self._last_try = 0.0

    def call(self, language: str, step: str) -> dict[str, Any]:
        """Raise a call (or repeat the open one); answers the state."""
        with self._lock:
            if self.state in (SENT, ACKNOWLEDGED) and self.call_id:
                return self._status()
            self._request = {"language": language, "step": step}
            self.state, self.call_id, self.name = OFFLINE, None, None
            self._send()
            return self._status()

    def status(self) -> dict[str, Any]:
        """The state for the UI; a waiting call is sent again first (at most every retry_s)."""
        with self._lock:
            if self.state == OFFLINE and self.clock() - self._last_try >= self.retry_s:
                self._send()
            return self._status()

    def cancel(self) -> dict[str, Any]:
        """Withdraw the call (the visitor is done); the desk's list drops it."""
        with self._lock:
            call_id, state = self.call_id, self.state
            self.state, self.call_id, self.name, self._request = IDLE, None, None, {}
        if call_id and state == SENT:
            try:
                with self.open_client(self.timeout_s) as client:
                    client.call_json("POST", f"{CALLS_PATH}/{call_id}/cancel", {})
            except KioskError as exc:
                log.info("help call could not be withdrawn (%s)", exc.code)
        return {"ok": True, "state": IDLE}

    def on_ack(self, message: dict[str, Any]) -> None:
        """Live handler of ``help.ack``: someone is on the way."""
        body = message.get("body")
        if not isinstance(body, dict):
            return
        name = clean_name(body.get("name"))
        with self._lock:
            if body.get("call_id") != self.call_id or self.call_id is None or name is None:
                log.info("help.ack for a call that is not open here ignored")
                return
            self.state, self.name = ACKNOWLEDGED, name
        log.info("help call acknowledged by the desk")

    def _status(self) -> dict[str, Any]:
        return {"ok": True, "state": self.state, "name": self.name, "call_id": self.call_id}

    def _send(self) -> None:
        """Try to deliver the waiting call (lock held)."""
        self._last_try = self.clock()
        try:
            with self.open_client(self.timeout_s) as client:
                response = client.call_json("POST", CALLS_PATH, self._request)
        except KioskError as exc:
            log.info("help call not delivered (%s); kept in memory", exc.code)
            return
        answer = safe_json(response)
        call_id = answer.get("call_id")
        if response.status_code in (200, 201) and isinstance(call_id, str):
            self.state, self.call_id = SENT, call_id
            return
        log.warning("help call refused by the job centre (%s)",
                    str(answer.get("error", response.status_code))[:40])
