"""Maintenance (ops/admin card) without a window: the real doctor checks, a test page on the
simulated printer (exact bytes written), the camera test through the page check, the outbox
from the agent's status, and the PIN-only exit through the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.loader import load_config
from device_drivers.camera import CameraFault, SimulatedCamera
from device_drivers.printer.factory import make_printer
from kiosk.controllers.maintenance import MaintenanceController
from kiosk.controllers.runner import call_now, run_inline
from kiosk.exit_pin import ExitAnswer, ExitPin
from scanning.samples import sample_photos


def _controller(tmp_path: Path, camera: SimulatedCamera,
                status: dict[str, Any] | None = None) -> MaintenanceController:
    config = load_config(data_dir=tmp_path, environ={})
    printer = make_printer(config.devices.printer, tmp_path / "receipts")

    def agent(op: str, **_params: Any) -> dict[str, Any]:
        assert op == "status"
        return status or {}

    return MaintenanceController(config, printer, camera, agent, run=run_inline, post=call_now)


def test_test_page_camera_and_outbox(tmp_path: Path) -> None:
    maintenance = _controller(tmp_path, SimulatedCamera([sample_photos()[0]], cycle=False), {
        "ok": True, "outbox": {"queued": 2, "delivered": 5}, "backend": {"state": "online"}})
    answers: list[list[str]] = []
    maintenance.print_test(answers.append)
    assert answers[-1][0].startswith("Testseite ")
    written = sorted((tmp_path / "receipts").glob("receipt-*.bin"))
    assert written and b"Testseite" in written[-1].read_bytes()
    maintenance.camera_test(answers.append)
    assert answers[-1][0].startswith("Kamera: Bild ") and "Seite erkannt" in answers[-1][0]
    maintenance.outbox(answers.append)
    assert answers[-1] == ["Warteschlange: delivered = 5", "Warteschlange: queued = 2",
                           "Verbindung: online"]


def test_a_failing_camera_is_an_answer_not_a_crash(tmp_path: Path) -> None:
    maintenance = _controller(tmp_path, SimulatedCamera([CameraFault("unplugged")],
                                                        cycle=False))
    answers: list[list[str]] = []
    maintenance.camera_test(answers.append)
    assert answers[-1][0].startswith("FEHLER: ")


def test_exit_pin_through_the_worker(tmp_path: Path) -> None:
    maintenance = _controller(tmp_path, SimulatedCamera([], cycle=False))
    ExitPin(tmp_path).set("864200")
    answers: list[ExitAnswer] = []
    maintenance.try_exit_pin("000000", answers.append)
    maintenance.try_exit_pin("864200", answers.append)
    assert [a.ok for a in answers] == [False, True]


def test_doctor_lists_every_check(tmp_path: Path) -> None:
    maintenance = _controller(tmp_path, SimulatedCamera([], cycle=False))
    answers: list[list[str]] = []
    maintenance.run_doctor(answers.append)
    lines = answers[-1]
    assert len(lines) >= 4
    assert all(line.split(":")[0] in ("OK", "FEHLER", "WARNUNG") for line in lines)
    assert any("tesseract" in line.lower() for line in lines)
