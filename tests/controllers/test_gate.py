"""The UI's side of the visitor gate against the agent's real gate and command registry:
lock and unlock reach the session, "admit" holds new visitors back, restart only between
visitors, and an agent that does not answer changes nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from config.model import KioskConfig
from kiosk.agent.client import AgentClient
from kiosk.agent.fleet import operations  # noqa: F401 - registers lock, unlock, restart
from kiosk.agent.runner import Agent
from kiosk.controllers.gate import GateController
from kiosk.controllers.runner import call_now, run_inline
from kiosk.session.session import Session
from kiosk.session.states import Event, Overlay, SessionState


def _parts(tmp_path: Path) -> tuple[Agent, Session, GateController]:
    config = KioskConfig(data_dir=tmp_path)
    agent = Agent(config, tmp_path)  # not started: its gate and registry answer in-process
    session = Session(config, time.monotonic, tmp_path / "session")

    def call(op: str, **params: Any) -> dict[str, Any]:
        return agent.handle({"op": op, **params})

    return agent, session, GateController(call, session, run=run_inline, post=call_now)


def test_lock_and_unlock_reach_the_session_and_hold_visitors_back(tmp_path: Path) -> None:
    agent, session, gate = _parts(tmp_path)
    seen: list[bool] = []
    gate.subscribe(lambda answer: seen.append(answer.admit))
    gate.apply(gate.report())
    assert gate.admit and not gate.locked
    assert agent.dispatch("lock", {})["locked"] is True
    gate.apply(gate.report())
    assert not gate.admit and gate.locked
    assert session.overlays.shown == (Overlay.OUT_OF_SERVICE,) and not session.accepts_input
    assert agent.dispatch("unlock", {})["locked"] is False
    gate.apply(gate.report())
    assert gate.admit and not gate.locked and session.accepts_input
    assert seen == [True, False, True]


def test_restart_waits_for_the_visitor_and_is_asked_once(tmp_path: Path) -> None:
    agent, session, gate = _parts(tmp_path)
    restarts: list[str] = []
    gate.on_restart = lambda: restarts.append(session.state.value)
    session.dispatch(Event.TOUCH)  # a visitor starts
    assert session.state is not SessionState.ATTRACT
    agent.dispatch("restart", {})
    gate.apply(gate.report())
    assert restarts == []  # never in the middle of a visit
    session.wipe()
    gate.apply(gate.report())
    gate.apply(gate.report())
    assert restarts == ["attract"]


def test_an_agent_that_does_not_answer_changes_nothing(tmp_path: Path) -> None:
    session = Session(KioskConfig(data_dir=tmp_path), time.monotonic, tmp_path / "session")
    client = AgentClient(tmp_path / "no-agent.sock", timeout_s=0.5)
    gate = GateController(client.call, session, run=run_inline, post=call_now)
    answer = gate.report()
    gate.apply(answer)
    assert not answer.reached and gate.admit and not gate.locked
