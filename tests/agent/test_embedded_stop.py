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


@pytest.mark.parametrize("how", ["the agent stops", "the SIGTERM handler runs"])
def test_the_held_live_poll_is_answered_when_the_service_stops(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str], how: str) -> None:
    agent = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    agent.start()
    try:
        assert agent.embedded is not None
        hub = agent.embedded._app.state.live
        deadline = time.monotonic() + UPPER_BOUND_S
        while hub.waiting == 0:  # the agent's live channel holds a poll
            assert time.monotonic() < deadline, "the agent never polled its live channel"
            time.sleep(0.05)
        caplog.set_level(logging.INFO)
        if how == "the SIGTERM handler runs":
            server, thread = agent.embedded._server, agent.embedded._thread
            assert thread is not None
            server.handle_exit(signal.SIGTERM, None)  # what uvicorn's signal handler calls
            thread.join(UPPER_BOUND_S)
            assert not thread.is_alive()
    finally:
        agent.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    stderr = capfd.readouterr().err  # uvicorn's own loggers write there, not to the root
    assert "timeout graceful shutdown exceeded" not in stderr
    assert "Exception in ASGI application" not in stderr
    assert hub.waiting == 0
