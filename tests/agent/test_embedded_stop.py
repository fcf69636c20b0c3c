"""Stopping the agent answers the embedded service's held live poll instead of cancelling it;
so does the signal handler that ``kiosk-server serve`` runs on SIGTERM (the same server class,
``jobcentre.intake_server.IntakeServer``).

Before, uvicorn cancelled the agent's own long poll after its one-second grace and logged
"Exception in ASGI application" with a CancelledError traceback at every stop, also when a
newcomer pressed Ctrl-C after ``./quickstart``.
"""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import pytest

from config.model import KioskConfig
from kiosk.agent.runner import Agent

UPPER_BOUND_S = 60.0  # against hanging only


def held_poll_hub(agent: Agent) -> object:
    """The embedded service's live hub, once the agent's live channel holds a poll there."""
    assert agent.embedded is not None
    hub = agent.embedded._app.state.live
    deadline = time.monotonic() + UPPER_BOUND_S
    while hub.waiting == 0:  # the agent's live channel holds a poll
        assert time.monotonic() < deadline, "the agent never polled its live channel"
        time.sleep(0.05)
    return hub


def assert_no_cancelled_request(caplog: pytest.LogCaptureFixture,
                                capfd: pytest.CaptureFixture[str]) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    stderr = capfd.readouterr().err  # uvicorn's own loggers write there, not to the root
    assert "timeout graceful shutdown exceeded" not in stderr
    assert "Exception in ASGI application" not in stderr


def test_the_held_live_poll_is_answered_when_the_agent_stops(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    agent = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    agent.start()
    try:
        hub = held_poll_hub(agent)
        caplog.set_level(logging.INFO)
    finally:
        agent.stop()
    assert_no_cancelled_request(caplog, capfd)
    assert hub.waiting == 0  # type: ignore[attr-defined]


def test_the_signal_handler_answers_the_held_poll_before_the_service_ends(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    agent = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    agent.start()
    try:
        hub = held_poll_hub(agent)
        caplog.set_level(logging.INFO)
        assert agent.embedded is not None
        server, thread = agent.embedded._server, agent.embedded._thread
        assert thread is not None
        server.handle_exit(signal.SIGTERM, None)  # what uvicorn's SIGTERM handler calls
        thread.join(UPPER_BOUND_S)
        assert not thread.is_alive()
        assert_no_cancelled_request(caplog, capfd)
        assert hub.waiting == 0  # type: ignore[attr-defined]
    finally:
        agent.stop()
