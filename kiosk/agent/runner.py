"""The agent process: upload loop with backoff, device health, the unix socket, embedded backend.

``Agent.start()`` recovers the outbox, starts the embedded intake service if configured (and
enrolls to it), opens ``<data>/agent.sock`` and starts the upload thread; ``Agent.stop()``
undoes it in reverse order. Socket ops: ``ping``, ``kick`` (upload now), ``status`` (outbox
counts, health and alerts, no personal data), ``document_states`` (by receipt number),
``staff_call`` (a visitor asks for help: recorded as an alert).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from config.model import KioskConfig
from foundation.errors import KioskError
from kiosk.agent.embedded import EmbeddedBackend
from kiosk.agent.socket_server import SocketServer
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import Identity, load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Backoff, Uploader

log = logging.getLogger(__name__)

IDLE_S = 30.0
HEALTH_EVERY_S = 60.0
ALERT_WINDOW_S = 3600.0


class Agent:
    """Everything the background process does, startable and stoppable from tests."""

    def __init__(self, config: KioskConfig, data_dir: Path, backoff: Backoff | None = None) -> None:
        self.config = config
        self.data_dir = data_dir
        self.stop_event = threading.Event()
        self.kick_event = threading.Event()
        self.backoff = backoff or Backoff()
        self.outbox: Outbox | None = None
        self.embedded: EmbeddedBackend | None = None
        self.socket: SocketServer | None = None
        self._upload_thread: threading.Thread | None = None
        self._health: dict[str, Any] = {}
        self._backend: dict[str, Any] = {"last_error": None, "last_success": None}
        self._last_health = 0.0

    @property
    def socket_path(self) -> Path:
        """``<data>/agent.sock``."""
        return self.data_dir / "agent.sock"

    def start(self) -> None:
        """Recover the outbox, start the backend (embedded), the socket and the upload loop."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(self.data_dir)
        self.outbox.recover()
        if self.config.backend.mode == "embedded":
            self.embedded = EmbeddedBackend(self.data_dir)
            self.embedded.start()
            self.embedded.ensure_enrolled(
                self.config.identity.kiosk_id, self.config.backend.timeout_s
            )
        self.socket = SocketServer(self.socket_path, self.handle)
        self.socket.start()
        self._upload_thread = threading.Thread(
            target=self._upload_loop, name="uploader", daemon=True
        )
        self._upload_thread.start()
        log.info("agent started")

    def request_stop(self) -> None:
        """Ask every loop to finish (safe from a signal handler)."""
        self.stop_event.set()
        self.kick_event.set()

    def stop(self) -> None:
        """Stop everything and close the outbox."""
        self.request_stop()
        if self._upload_thread is not None:
            self._upload_thread.join(timeout=30)
        if self.socket is not None:
            self.socket.stop()
        if self.embedded is not None:
            self.embedded.stop()
        if self.outbox is not None:
            self.outbox.close()
        log.info("agent stopped")

    # --- upload loop ----------------------------------------------------------------

    def _identity(self) -> Identity | None:
        identity = load_identity(self.data_dir)
        if identity is not None and self.embedded is not None:
            identity = replace(identity, server_url=self.embedded.url)
        return identity

    def _upload_loop(self) -> None:
        assert self.outbox is not None
        client: ServerClient | None = None
        clock = ClockGuard(self.outbox)
        try:
            while not self.stop_event.is_set():
                self.kick_event.clear()
                delay = IDLE_S
                identity = self._identity()
                if identity is None:
                    self._backend["last_error"] = "not_enrolled"
                    delay = self.backoff.next_delay()
                else:
                    if client is None or _key(client.identity) != _key(identity):
                        if client is not None:
                            client.close()
                        client = ServerClient(identity, clock, self.config.backend.timeout_s)
                    delay = self._sync_once(Uploader(self.outbox, client))
                self._maybe_check_health()
                self.kick_event.wait(delay)
        finally:
            if client is not None:
                client.close()

    def _sync_once(self, uploader: Uploader) -> float:
        try:
            result = uploader.sync(self.stop_event)
            uploader.outbox.purge_receipts()
        except KioskError as exc:  # storage trouble: keep the loop alive, retry later
            log.error("upload pass failed: %s", exc.code)
            self._backend["last_error"] = exc.code
            return self.backoff.next_delay()
        if result.error and result.error != "stopped":
            self._backend["last_error"] = result.error
            delay = self.backoff.next_delay()
            log.info("upload paused (%s); retry in %.1f s", result.error, delay)
            return delay
        self._backend.update(last_error=None, last_success=time.time())
        self.backoff.reset()
        return IDLE_S

    # --- health ---------------------------------------------------------------------

    def _maybe_check_health(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_health < HEALTH_EVERY_S:
            return
        self._last_health = time.monotonic()
        self._health = {"printer": self._check_printer(), "camera": self._check_camera()}

    def _check_printer(self) -> dict[str, Any]:
        try:
            from device_drivers.printer.factory import make_printer

            printer = make_printer(self.config.devices.printer, self.data_dir / "printer-sim")
            healthy, detail = printer.check()
        except Exception as exc:  # a broken driver is a health finding, not an agent crash
            return {"ok": False, "detail": f"printer check failed: {type(exc).__name__}"}
        return {"ok": healthy, "detail": detail}

    def _check_camera(self) -> dict[str, Any]:
        cam = self.config.devices.camera
        if cam.driver == "simulated":
            return {"ok": True, "detail": "simulated camera"}
        try:
            import device_drivers.camera as camera_pkg

            factory = getattr(camera_pkg, "make_camera", None)
            if factory is None:
                return {"ok": None, "detail": "no camera driver available to check"}
            device = factory(cam)
            healthy, detail = device.check()
        except Exception as exc:
            return {"ok": False, "detail": f"camera check failed: {type(exc).__name__}"}
        return {"ok": bool(healthy), "detail": str(detail)}

    # --- socket ops -----------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one socket request."""
        op = request["op"]
        if op == "ping":
            return {"ok": True, "pid": _pid()}
        if op == "kick":
            self.kick_event.set()
            return {"ok": True}
        if op == "status":
            return self._status()
        if op == "staff_call":  # the visitor asked for help; shows in status() alerts
            assert self.outbox is not None
            self.outbox.add_event("staff_call", "help_requested")
            log.warning("a visitor asked for staff help at the terminal")
            return {"ok": True}
        if op == "document_states":
            return self._document_states(str(request.get("receipt_number", "")))
        return {"ok": False, "error": "unknown_op"}

    def _status(self) -> dict[str, Any]:
        assert self.outbox is not None
        if not self._health:
            self._maybe_check_health(force=True)
        clock = ClockGuard(self.outbox)
        alerts = [e for e in self.outbox.recent_events(time.time() - ALERT_WINDOW_S)]
        identity = load_identity(self.data_dir)
        return {
            "ok": True,
            "enrolled": identity is not None,
            "kiosk_id": identity.kiosk_id if identity else None,
            "outbox": self.outbox.counts(),
            "backend": {**self._backend, "mode": self.config.backend.mode,
                        "clock_offset_s": clock.offset(), "last_contact": clock.last_contact()},
            "health": self._health,
            "alerts": alerts,
        }

    def _document_states(self, receipt_number: str) -> dict[str, Any]:
        assert self.outbox is not None
        sub = self.outbox.by_receipt_number(receipt_number)
        if sub is None:
            return {"ok": False, "error": "receipt_unknown"}
        return {"ok": True, "receipt_number": sub.receipt_number, "documents": [
            {"id": d.short_id, "type": d.document_type, "pages": d.pages, "state": d.state,
             "error": d.error} for d in sub.documents
        ]}


def _key(identity: Identity) -> tuple[str, str, str]:
    """What makes a connection reusable (key objects do not compare by value)."""
    return identity.kiosk_id, identity.server_url, str(identity.certificate.get("sig"))


def _pid() -> int:
    import os

    return os.getpid()
