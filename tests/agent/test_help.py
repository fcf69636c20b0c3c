"""The agent's help call without a network: offline queueing and retry, the desk's answer
(``help.ack``) for this call only, names cleaned, and withdrawal."""

from __future__ import annotations

from typing import Any

import httpx

from foundation.errors import BackendUnavailable
from kiosk.agent.help import ACKNOWLEDGED, IDLE, OFFLINE, SENT, HelpCaller, clean_name


class FakeServer:
    """Stands in for ``ServerClient``: records requests, can be switched off."""

    def __init__(self) -> None:
        self.up = False
        self.requests: list[tuple[str, str, Any]] = []

    def __call__(self, timeout: float) -> FakeServer:
        if not self.up:
            raise BackendUnavailable("intake service not reachable")
        return self

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def call_json(self, method: str, path: str, payload: Any = None) -> httpx.Response:
        self.requests.append((method, path, payload))
        if path.endswith("/cancel"):
            return httpx.Response(200, json={"cancelled": True})
        return httpx.Response(201, json={"call_id": "c-1", "state": "open"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ack(call_id: str, name: Any) -> dict[str, Any]:
    return {"id": "m", "type": "help.ack", "body": {"call_id": call_id, "name": name}}


def test_offline_call_waits_in_memory_and_goes_out_on_a_later_status() -> None:
    server, clock = FakeServer(), Clock()
    caller = HelpCaller(server, retry_s=10.0, clock=clock)
    assert caller.call("tr", "identify")["state"] == OFFLINE
    server.up = True
    clock.now = 5.0
    assert caller.status()["state"] == OFFLINE  # not retried before retry_s
    clock.now = 10.0
    assert caller.status() == {"ok": True, "state": SENT, "name": None, "call_id": "c-1"}
    assert server.requests == [("POST", "/api/v1/help-calls",
                                {"language": "tr", "step": "identify"})]


def test_ack_only_for_the_open_call_and_with_a_clean_name() -> None:
    server = FakeServer()
    server.up = True
    caller = HelpCaller(server)
    caller.call("de", "choose_task")
    caller.on_ack(_ack("another-call", "Eve"))
    caller.on_ack(_ack("c-1", 42))
    assert caller.status()["state"] == SENT
    caller.on_ack(_ack("c-1", " Dora\x07 "))
    assert caller.status()["state"] == ACKNOWLEDGED and caller.status()["name"] == "Dora"
    assert caller.call("de", "capture")["state"] == ACKNOWLEDGED  # no second call
    assert clean_name("x" * 100) == "x" * 60 and clean_name("  ") is None


def test_cancel_withdraws_the_call_at_the_job_centre() -> None:
    server = FakeServer()
    server.up = True
    caller = HelpCaller(server)
    caller.call("de", "capture")
    assert caller.cancel() == {"ok": True, "state": IDLE}
    assert server.requests[-1] == ("POST", "/api/v1/help-calls/c-1/cancel", {})
    assert caller.status()["state"] == IDLE
