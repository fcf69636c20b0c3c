"""Issue fleet commands to a running agent through its embedded job-centre service.

The test plays the job centre's part the way a command-line process would: it signs the
command with the centre key of the embedded service, stores it in ``fleet_commands`` and
queues it in ``live_messages`` (the running service's watcher wakes the kiosk's poll).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from jobcentre.fleet.commands import CommandRecord, CommandStore, issue_command
from jobcentre.keys import load_centre_keys
from jobcentre.live import LiveLimits
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from kiosk.agent.runner import Agent
from kiosk.delivery.identity import load_identity
from wire.fleet_command import MESSAGE_TYPE

UPPER_BOUND_S = 60.0  # against hanging only; nothing here measures speed


def wait_for(condition: Callable[[], bool], what: str, bound_s: float = UPPER_BOUND_S) -> None:
    """Wait until ``condition()`` holds (fails after ``bound_s``)."""
    deadline = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


class Centre:
    """The embedded service's database and keys, as the job centre's side uses them."""

    def __init__(self, agent: Agent) -> None:
        assert agent.embedded is not None
        self.repo = open_repository(agent.embedded.server_dir)
        self.store = CommandStore(self.repo)
        self.live = LiveStore(self.repo)
        self.key = load_centre_keys(agent.embedded.server_dir).signing
        identity = load_identity(agent.data_dir)
        assert identity is not None
        self.kiosk_id = identity.kiosk_id

    def close(self) -> None:
        self.repo.close()

    def post(self, body: dict[str, Any]) -> None:
        """Queue a ``fleet.command`` message carrying ``body`` (signed or tampered)."""
        self.live.add(self.kiosk_id, MESSAGE_TYPE, body, LiveLimits().message_ttl)

    def issue(self, name: str, params: dict[str, Any] | None = None, *,
              urgent: bool = False) -> tuple[str, dict[str, Any]]:
        """Sign, store and post a command; returns its id and the signed body."""
        record, body = issue_command(self.store, self.key, self.kiosk_id, name, params or {},
                                     urgent=urgent, issued_by="ops-test")
        self.post(body)
        return record.command_id, body

    def get(self, command_id: str) -> CommandRecord:
        found = self.store.get(command_id)
        assert found is not None
        return found

    def wait_state(self, command_id: str, *states: str) -> CommandRecord:
        wait_for(lambda: self.get(command_id).state in states, f"state {states}")
        return self.get(command_id)


class FakeUi:
    """Reports ``ui_state`` to the agent twice a second like the UI's gate controller."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.in_session = False
        self.answers: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeUi:
        self.report()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def report(self) -> dict[str, Any]:
        answer = self.agent.handle({"op": "ui_state", "in_session": self.in_session})
        self.answers.append(answer)
        return answer

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.report()
