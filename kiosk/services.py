"""Composition root: builds the devices and services the UI uses from the config.

No Kivy here. Each device is picked by its config section (real driver or simulator);
the UI receives one ``KioskServices`` and never reads the config to find a device.
Tests build their own ``KioskServices`` with scripted simulators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessibility.speech import SpeechOutput, make_speech
from config.model import KioskConfig
from device_drivers.camera import Camera, create_camera
from device_drivers.printer.factory import make_printer
from device_drivers.printer.protocol import ReceiptPrinter
from kiosk.agent.client import AgentClient
from kiosk.controllers.capture import CaptureController
from kiosk.delivery.service import DeliveryService
from scanning.samples import sample_photos

log = logging.getLogger(__name__)


@dataclass
class KioskServices:
    """Everything the screens may use, ready-made."""

    config: KioskConfig
    data_dir: Path
    camera: Camera
    printer: ReceiptPrinter
    speech: SpeechOutput
    delivery: DeliveryService
    agent: AgentClient
    capture: CaptureController

    def close(self) -> None:
        """Release devices (camera handle, speech worker)."""
        for part in (self.capture, self.speech, self.delivery):
            closer: Any = getattr(part, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must never crash shutdown
                    log.warning("closing %s failed", type(part).__name__, exc_info=True)


def data_paths(data_dir: Path) -> dict[str, Path]:
    """Where each part keeps its state under the data directory."""
    return {
        "session": data_dir / "session",
        "receipts": data_dir / "receipts",
        "agent_socket": data_dir / "agent.sock",
    }


def build_services(config: KioskConfig, *, speech: SpeechOutput | None = None) -> KioskServices:
    """Create devices and services for ``config`` (simulators in the embedded default)."""
    data_dir = config.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = data_paths(data_dir)
    camera = create_camera(config.devices.camera, sample_photos)
    return KioskServices(
        config=config,
        data_dir=data_dir,
        camera=camera,
        printer=make_printer(config.devices.printer, paths["receipts"]),
        speech=speech or make_speech(config.accessibility),
        delivery=DeliveryService(config, data_dir),
        agent=AgentClient(paths["agent_socket"]),
        capture=CaptureController(config, camera),
    )
