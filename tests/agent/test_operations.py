"""Each agent command over the real socket, the fleet origin, and the device health it reports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.model import KioskConfig
from kiosk.agent.client import AgentClient
from kiosk.agent.commands import Origin
from kiosk.agent.runner import Agent


def test_ping_and_kick(agent: Agent) -> None:
    client = AgentClient(agent.socket_path)
    assert client.call("ping") == {"ok": True, "pid": os.getpid()}
    assert client.ping() and client.kick()


def test_status_reports_every_device_check(agent: Agent) -> None:
    status = AgentClient(agent.socket_path).status()
    assert status["ok"] and status["backend"]["mode"] == "embedded"
    health = status["health"]
    assert set(health) == {"disk", "camera", "printer", "audio", "microphone"}
    assert health["printer"] == {
        "key": "printer", "name": "printer (simulated)", "ok": True,
        "detail": "Printer at simulated printer is ready", "required": True, "paper": "ok"}
    assert health["camera"]["ok"] is True and health["camera"]["name"] == "camera (simulated)"
    assert health["disk"]["ok"] is True
    assert health["audio"]["required"] is False


def test_staff_call_and_document_states(agent: Agent) -> None:
    client = AgentClient(agent.socket_path)
    answer = client.call("staff_call", language="ar", step="capture")
    assert answer["ok"] and answer["state"] == "sent"  # to the embedded job-centre service
    assert client.status()["alerts"][-1]["kind"] == "staff_call"
    assert client.call("help_status")["state"] == "sent"
    agent._on_live_message({"id": "m1", "type": "help.ack",
                            "body": {"call_id": answer["call_id"], "name": "Dora"}})
    assert client.call("help_status") == {"ok": True, "state": "acknowledged", "name": "Dora",
                                          "call_id": answer["call_id"]}
    assert client.call("help_cancel") == {"ok": True, "state": "idle"}
    assert client.call("staff_call", step="Not A Step")["error"] == "bad_params"
    assert client.document_states("R-0000") == {"ok": False, "error": "receipt_unknown"}


def test_bad_params_over_the_socket(agent: Agent) -> None:
    client = AgentClient(agent.socket_path)
    missing = client.call("document_states")
    assert missing["error"] == "bad_params"
    assert missing["problems"] == [{"field": "receipt_number", "problem": "missing"}]
    assert client.call("document_states", receipt_number=12)["error"] == "bad_params"
    assert client.call("kick", now=True)["problems"] == [
        {"field": "now", "problem": "extra_forbidden"}]
    assert client.call("launch_rockets")["error"] == "unknown_op"


def test_fleet_origin_may_ask_status_but_not_local_commands(agent: Agent) -> None:
    assert agent.dispatch("status", {}, origin=Origin.FLEET)["ok"] is True
    assert agent.dispatch("staff_call", {}, origin=Origin.FLEET) == {
        "ok": False, "error": "origin_refused"}
    assert agent.dispatch("document_states", {"receipt_number": "R-1"},
                          origin=Origin.FLEET)["error"] == "origin_refused"
    alerts = AgentClient(agent.socket_path).status()["alerts"]
    assert all(a["kind"] != "staff_call" for a in alerts)


def test_agent_checks_the_configured_real_camera(tmp_path: Path) -> None:
    """Regression: the agent looked up a ``make_camera`` that does not exist and so never
    checked a real camera ("no camera driver available to check", ok None)."""
    if Path("/dev/video63").exists():
        pytest.skip("this machine has a /dev/video63")
    config = KioskConfig.model_validate({
        "data_dir": tmp_path, "devices": {"camera": {"driver": "opencv", "device_index": 63}}})
    agent = Agent(config, tmp_path)
    agent.start()
    try:
        camera = AgentClient(agent.socket_path).status()["health"]["camera"]
    finally:
        agent.stop()
    assert camera["ok"] is False
    assert camera["name"] == "camera (opencv)"
    assert camera["detail"] == "/dev/video63 missing: check the USB cable"
