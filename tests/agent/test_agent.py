"""The agent: embedded backend, unix-socket ops, uploads after a kick, SIGTERM, agent down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.model import KioskConfig
from foundation.errors import AgentUnavailable
from kiosk.agent.client import AgentClient
from kiosk.agent.runner import Agent
from kiosk.delivery.service import DeliveryService
from tests.delivery.helpers import CUSTOMER, make_document

REPO = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_embedded_agent_enrolls_and_delivers(agent: Agent, tmp_path: Path) -> None:
    client = AgentClient(agent.socket_path)
    assert client.ping()
    assert (tmp_path / "agent.sock").stat().st_mode & 0o777 == 0o600
    with DeliveryService(KioskConfig(data_dir=tmp_path), tmp_path) as svc:
        sub = svc.submit(CUSTOMER, [make_document(2)])  # pokes the agent
        assert _wait(lambda: svc.refresh(sub).all_delivered)
    states = client.document_states(sub.receipt_number)
    assert states["ok"] and [d["state"] for d in states["documents"]] == ["delivered"]
    status = client.status()
    assert status["enrolled"] and status["outbox"]["delivered"] == 1
    assert status["health"]["printer"]["ok"] is True
    assert CUSTOMER not in str(status) and "123A" not in str(status)
    assert client.call("nonsense")["error"] == "unknown_op"
    assert client.staff_call()
    assert client.status()["alerts"][-1]["kind"] == "staff_call"


def test_unknown_receipt_and_bad_requests(agent: Agent) -> None:
    import socket

    client = AgentClient(agent.socket_path)
    assert client.document_states("nope")["error"] == "receipt_unknown"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(agent.socket_path))
        sock.sendall(b"this is not json\n")
        assert b"not_json" in sock.recv(1000)


def test_print_failure_shows_as_alert(agent: Agent, tmp_path: Path) -> None:
    from device_drivers.printer.simulated import SimulatedPrinter

    with DeliveryService(KioskConfig(data_dir=tmp_path), tmp_path) as svc:
        sub = svc.submit(CUSTOMER, [make_document()], poke_agent=False)
        printer = SimulatedPrinter(tmp_path / "p", script=["out_of_paper"], render_png=False)
        assert not svc.print_receipt(sub, printer, "de").printed
    alerts = AgentClient(agent.socket_path).status()["alerts"]
    assert alerts[-1]["code"] == "printer_out_of_paper"


def test_ui_works_without_agent(tmp_path: Path) -> None:
    client = AgentClient(tmp_path / "agent.sock", timeout_s=0.5)
    assert client.kick() is False and client.ping() is False
    with pytest.raises(AgentUnavailable):
        client.status()


def test_second_agent_refuses_to_start(agent: Agent, tmp_path: Path) -> None:
    from foundation.errors import AgentAlreadyRunning
    from kiosk.agent.socket_server import SocketServer

    with pytest.raises(AgentAlreadyRunning):
        SocketServer(agent.socket_path, agent.handle)


@pytest.mark.slow
def test_agent_process_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kiosk.agent", "--data", str(tmp_path), "--print-socket"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ready")
        client = AgentClient(tmp_path / "agent.sock")
        assert client.ping()
        with DeliveryService(KioskConfig(data_dir=tmp_path), tmp_path) as svc:
            sub = svc.submit(CUSTOMER, [make_document()])
            assert _wait(lambda: svc.refresh(sub).all_delivered)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not (tmp_path / "agent.sock").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_agent_killed_then_restarted_keeps_port_and_identity(tmp_path: Path) -> None:
    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kiosk.agent", "--data", str(tmp_path), "--print-socket"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )

    first = start()
    assert first.stdout is not None and first.stdout.readline().startswith("ready")
    server_json = (tmp_path / "identity" / "server.json").read_text()
    key = (tmp_path / "identity" / "kiosk.key").read_bytes()
    first.kill()
    first.wait(timeout=10)
    first.stdout.close()
    second = start()
    try:
        assert second.stdout is not None and second.stdout.readline().startswith("ready")
        assert (tmp_path / "identity" / "kiosk.key").read_bytes() == key
        assert (tmp_path / "identity" / "server.json").read_text() == server_json
        with DeliveryService(KioskConfig(data_dir=tmp_path), tmp_path) as svc:
            sub = svc.submit(CUSTOMER, [make_document()])
            assert _wait(lambda: svc.refresh(sub).all_delivered)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        if second.stdout is not None:
            second.stdout.close()
