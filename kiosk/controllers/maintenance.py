"""Maintenance at the terminal (an ``ops`` or ``admin`` staff card; issue #12, part 3).

Four checks, each on a worker with its answer posted to the UI thread as plain lines for a
technician (German-speaking staff read them; no personal data in any of them):

* ``run_doctor``   every health check of ``kiosk doctor`` (devices, Tesseract, backend)
* ``print_test``   a short test receipt on the configured printer
* ``camera_test``  one still from the document camera, judged by the page check
* ``outbox``       the agent's outbox counts and backend state (``status``)

Leaving kiosk mode is the UI's own act (the app stops) once a maintenance login or the
PIN fallback (``try_exit_pin``: ``kiosk.exit_pin``, salted scrypt with a lockout) allowed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from config.model import KioskConfig
from device_drivers.camera import Camera
from device_drivers.printer.protocol import ReceiptPrinter
from foundation.errors import KioskError
from kiosk.controllers.runner import Post, Runner
from kiosk.delivery.test_page import test_page_layout
from kiosk.exit_pin import ExitAnswer, ExitPin

log = logging.getLogger(__name__)

AgentCall = Callable[..., dict[str, Any]]
Done = Callable[[list[str]], None]


class MaintenanceController:
    """The maintenance panel's actions (Kivy-free)."""

    def __init__(self, config: KioskConfig, printer: ReceiptPrinter, camera: Camera,
                 agent_call: AgentCall, *, run: Runner, post: Post) -> None:
        self.config = config
        self.printer = printer
        self.camera = camera
        self.agent_call = agent_call
        self.run = run
        self.post = post
        self.exit_pin = ExitPin(config.resolved_data_dir)

    def try_exit_pin(self, pin: str, done: Callable[[ExitAnswer], None]) -> None:
        """Check the PIN-only exit (scrypt, lockout) on a worker; ``done`` on the UI thread."""
        def job() -> None:
            answer = self.exit_pin.try_pin(pin)
            self.post(lambda: done(answer))

        self.run("exit-pin", job)

    def _answer(self, name: str, work: Callable[[], list[str]], done: Done) -> None:
        def job() -> None:
            try:
                lines = work()
            except KioskError as exc:
                lines = [f"FEHLER: {exc.code}"]
            except Exception as exc:  # noqa: BLE001 - a failed check is an answer too
                log.exception("maintenance action %s failed", name)
                lines = [f"FEHLER: {type(exc).__name__}"]
            self.post(lambda: done(lines))

        self.run(f"maintenance-{name}", job)

    def run_doctor(self, done: Done) -> None:
        """Every health check, one line each: OK / FEHLER / WARNUNG, name, detail."""
        def work() -> list[str]:
            from kiosk.doctor import run_checks

            report = run_checks(self.config)
            return [f"{'OK' if c.ok else 'FEHLER' if c.required else 'WARNUNG'}: {c.name} – "
                    f"{c.detail}" for c in report.checks]

        self._answer("doctor", work, done)

    def print_test(self, done: Done) -> None:
        """A test receipt: kiosk id, time, a separator and a cut."""
        def work() -> list[str]:
            result = self.printer.print_layout(
                test_page_layout(self.config.identity.kiosk_id, datetime.now(UTC)))
            state = "bestätigt" if result.confirmed else "gesendet (ohne Bestätigung)"
            return [f"Testseite {state}: {result.bytes_sent} Bytes, {result.note}"]

        self._answer("print", work, done)

    def camera_test(self, done: Done) -> None:
        """One still through the page check: size, page found, reasons."""
        def work() -> list[str]:
            import scanning

            self.camera.open()
            try:
                still = self.camera.capture_still()
            finally:
                self.camera.close()
            verdict = scanning.check_page(still, self.config.scanning)
            found = "Seite erkannt" if verdict.page_found else "keine Seite erkannt"
            reasons = ", ".join(verdict.reasons) or "keine Beanstandung"
            return [f"Kamera: Bild {still.shape[1]}×{still.shape[0]}, {found}, {reasons}"]

        self._answer("camera", work, done)

    def outbox(self, done: Done) -> None:
        """The outbox counts and backend state as the agent reports them."""
        def work() -> list[str]:
            answer = self.agent_call("status")
            counts = answer.get("outbox") or {}
            backend = answer.get("backend") or {}
            lines = [f"Warteschlange: {key} = {value}" for key, value in sorted(counts.items())]
            lines.append(f"Verbindung: {backend.get('state', backend.get('mode', '?'))}")
            return lines or ["Warteschlange leer"]

        self._answer("outbox", work, done)
