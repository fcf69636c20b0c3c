"""The agent's part in video calls: call.* live messages wait for the UI, and the UI's
call requests go out signed through the agent's connection."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from foundation.errors import BackendUnavailable
from kiosk.agent import calls
from kiosk.agent.commands import Origin
from kiosk.agent.operations import REGISTRY


class FakeClient:
    """Records the request; answers like the job centre would."""

    def __init__(self, status: int, body: dict[str, Any], fail: bool = False) -> None:
        self.status, self.body, self.fail = status, body, fail
        self.sent: list[tuple[str, str, Any]] = []
        self.closed = False

    def call_json(self, method: str, path: str, payload: Any = None) -> httpx.Response:
        self.sent.append((method, path, payload))
        if self.fail:
            raise BackendUnavailable("down")
        return httpx.Response(self.status, content=json.dumps(self.body).encode())

    def close(self) -> None:
        self.closed = True


class StubAgent:
    def __init__(self, client: FakeClient) -> None:
        self.live_handlers: dict[str, Any] = {}
        self.client = client

    def _open_live_client(self, timeout_s: float) -> FakeClient:
        return self.client


def run(agent: StubAgent, name: str, **params: Any) -> dict[str, Any]:
    return REGISTRY.dispatch(agent, name, params, origin=Origin.LOCAL)  # type: ignore[arg-type]


def test_call_messages_wait_for_the_ui_in_order() -> None:
    agent = StubAgent(FakeClient(200, {}))
    calls.register(agent)  # type: ignore[arg-type]
    assert set(calls.CALL_TYPES) <= set(agent.live_handlers)
    agent.live_handlers["call.accepted"]({"id": "a", "type": "call.accepted",
                                          "body": {"call_id": "c1"}})
    agent.live_handlers["call.offer"]({"id": "b", "type": "call.offer",
                                       "body": {"call_id": "c1", "from": "counsellor",
                                                "sdp": "v=0"}})
    first = run(agent, "call_messages", after=0)
    assert [m["type"] for m in first["messages"]] == ["call.accepted", "call.offer"]
    assert first["last"] == 2 and first["messages"][1]["body"]["sdp"] == "v=0"
    assert run(agent, "call_messages", after=2)["messages"] == []
    assert REGISTRY.dispatch(agent, "call_messages", {}, origin=Origin.FLEET)[  # type: ignore[arg-type]
        "error"] == "origin_refused"


def test_old_messages_are_forgotten() -> None:
    now = [0.0]
    inbox = calls.CallInbox(clock=lambda: now[0])
    inbox.add({"type": "call.chat", "body": {"text": "hallo"}})
    now[0] = calls.MAX_AGE_S + 1
    assert inbox.since(0) == ([], 1)


def test_call_http_signs_through_the_agent_and_passes_the_answer_on() -> None:
    client = FakeClient(409, {"error": "code_used"})
    agent = StubAgent(client)
    answer = run(agent, "call_http", action="join", body={"code": "K7MQ-4XP2-AB3D"})
    assert answer == {"ok": True, "status": 409, "body": {"error": "code_used"}}
    assert client.sent == [("POST", "/api/v1/calls/join", {"code": "K7MQ-4XP2-AB3D"})]
    assert client.closed
    run(agent, "call_http", action="status", call_id="c_1")
    assert client.sent[-1] == ("GET", "/api/v1/calls/c_1", None)


def test_call_http_refuses_bad_ids_and_reports_a_dead_backend() -> None:
    agent = StubAgent(FakeClient(200, {}, fail=True))
    assert run(agent, "call_http", action="hangup", call_id="../x")["error"] == "bad_params"
    assert run(agent, "call_http", action="hangup")["error"] == "bad_params"
    assert run(agent, "call_http", action="delete_all")["error"] == "bad_params"
    assert run(agent, "call_http", action="hangup", call_id="c1")["error"] == "backend_unavailable"


def test_call_messages_wait_for_the_next_one_when_asked() -> None:
    agent = StubAgent(FakeClient(200, {}))
    calls.register(agent)  # type: ignore[arg-type]
    assert run(agent, "call_messages", after=0, wait_s=0.05)["messages"] == []
    offer = {"id": "o", "type": "call.offer", "body": {"call_id": "c1", "sdp": "v=0"}}
    later = threading.Timer(0.3, agent.live_handlers["call.offer"], args=(offer,))
    later.start()
    try:  # the offer arrives while the look waits: it is answered with it
        got = run(agent, "call_messages", after=0, wait_s=1.0)
    finally:
        later.join(5)
    assert [m["type"] for m in got["messages"]] == ["call.offer"] and got["last"] == 1
    refused = run(agent, "call_messages", after=0, wait_s=30)
    assert refused["ok"] is False
