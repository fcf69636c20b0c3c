"""The agent's heartbeat thread: every ``fleet.heartbeat_s``, check health, build, send.

The device checks run passively right before each report (the periodic health loop runs
only once a minute), so a printer that ran out of paper shows in the next heartbeat. A
report that cannot be sent is dropped (the next one says the same, newer); the loop never
stops for an error. Errors are logged as warnings, so they never count themselves.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from foundation.errors import KioskError
from kiosk.agent.fleet.heartbeat import ErrorTally, build_heartbeat, gather_inputs, send_heartbeat

log = logging.getLogger(__name__)


class HeartbeatLoop:
    """Sends the agent's heartbeats until ``stop`` is set."""

    def __init__(self, agent: Any, stop: threading.Event) -> None:
        self.agent = agent
        self.stop = stop
        self.tally = ErrorTally()
        self.sent = 0
        self.last_status: int | None = None

    def run(self) -> None:
        """The thread's body."""
        self.tally.install()
        client = None
        try:
            while not self.stop.is_set():
                interval = self.agent.config.fleet.heartbeat_s
                client = self.beat(client)
                self.stop.wait(interval)
        finally:
            self.tally.remove()
            if client is not None:
                client.close()

    def beat(self, client: Any) -> Any:
        """Send one heartbeat; returns the client to reuse (None after a failure)."""
        config = self.agent.config
        timeout = min(config.backend.timeout_s, max(1.0, 2 * config.fleet.heartbeat_s))
        try:
            self.agent.check_health()
            heartbeat = build_heartbeat(gather_inputs(self.agent, self.tally))
            if client is None:
                client = self.agent.open_client(timeout)
            self.last_status = send_heartbeat(client, heartbeat)
        except KioskError as exc:
            log.warning("heartbeat not sent: %s", exc.code)
            if client is not None:
                client.close()
            return None
        if self.last_status == 200:
            self.sent += 1
        else:
            log.warning("heartbeat refused with HTTP %d", self.last_status)
        return client
