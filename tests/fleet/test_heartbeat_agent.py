"""A real agent sends heartbeats to its (embedded) intake service; the printer's paper is
scripted through its state file and the alert is raised and cleared in that order."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from config.model import BackendConfig, FleetConfig, KioskConfig
from device_drivers.printer.simulated import write_state
from jobcentre.fleet.alerts import AlertStore
from jobcentre.fleet.health_store import HealthStore
from jobcentre.repository import open_repository
from kiosk.agent.runner import Agent

UPPER_BOUND_S = 60.0  # against hanging only


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture()
def agent(tmp_path: Path) -> Iterator[Agent]:
    config = KioskConfig(data_dir=tmp_path, fleet=FleetConfig(heartbeat_s=0.3),
                         backend=BackendConfig(live_wait_s=1.0))
    running = Agent(config, tmp_path)
    running.start()
    yield running
    running.stop()


def test_heartbeats_arrive_and_paper_out_raises_then_clears(agent: Agent) -> None:
    assert agent.embedded is not None
    repo = open_repository(agent.embedded.server_dir)
    try:
        health, alerts = HealthStore(repo), AlertStore(repo)
        kiosk_id = agent.config.identity.kiosk_id
        _wait_for(lambda: health.latest(kiosk_id) is not None, "no heartbeat arrived")
        state = health.latest(kiosk_id)
        assert state is not None
        assert state.site == "Jobcenter Musterstadt"
        assert state.devices["printer"] == {"state": "ok", "paper": "ok"}
        assert state.heartbeat["interval_s"] == 0.3
        assert state.heartbeat["in_session"] is False

        write_state(agent.data_dir / "printer-sim", "out_of_paper")
        _wait_for(lambda: any(a.kind == "paper_out" for a in alerts.open_alerts()),
                  "paper_out was never raised")
        assert health.latest(kiosk_id).status == "fault"  # type: ignore[union-attr]
        write_state(agent.data_dir / "printer-sim", "ok")
        _wait_for(lambda: not alerts.open_alerts(), "paper_out was never cleared")
        history = alerts.of_kiosk(kiosk_id)
        assert [(a.kind, a.cleared_at is not None) for a in history] == [("paper_out", True)]
    finally:
        repo.close()


def test_error_codes_are_counted_without_messages(tmp_path: Path) -> None:
    # the default interval (30 s): after the first heartbeat nothing else takes the tally
    # while the test reads it (at 0.3 s a heartbeat could take the error first)
    agent = Agent(KioskConfig(data_dir=tmp_path, fleet=FleetConfig(heartbeat_s=30.0)), tmp_path)
    agent.start()
    try:
        _wait_for(lambda: agent.heartbeat.sent >= 1, "no heartbeat was sent")
        _count_one_error(agent)
    finally:
        agent.stop()


def _count_one_error(agent: Agent) -> None:
    tally = agent.heartbeat.tally
    tally.take()
    logging.getLogger("kiosk.delivery.uploader").error("upload of 123A456789 failed: %s",
                                                       "disk_full")
    count, codes = tally.take()
    assert count == 1
    assert codes == ("uploader:disk_full",)
    assert "123A456789" not in repr(codes)
