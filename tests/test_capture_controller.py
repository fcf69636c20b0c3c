"""The capture screen's controller: the live preview across sessions."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from config.loader import load_config
from device_drivers.camera import SimulatedCamera
from kiosk.controllers.capture import CaptureController


def _wait_for_frame(controller: CaptureController) -> object:
    for _ in range(500):
        update = controller.poll_preview()
        if update is not None:
            return update
        threading.Event().wait(0.01)
    raise AssertionError("no preview frame within 5 s")


def test_preview_closed_while_queued_restarts_cleanly(tmp_path: Path) -> None:
    """A preview analysis cancelled by leaving the screen must not break the next visitor's
    preview, and the next visitor never sees the previous visitor's last frame."""
    config = load_config(data_dir=tmp_path, environ={})
    camera = SimulatedCamera([np.full((1080, 1920, 3), 200, np.uint8)], preview_width=960)
    controller = CaptureController(config, camera)
    try:
        controller.start()
        assert _wait_for_frame(controller) is not None
        gate = threading.Event()
        controller._preview_pool.submit(gate.wait)  # the worker is busy ...
        controller.poll_preview()  # ... so the next analysis waits in the queue
        controller.stop()  # the visitor leaves: the queued analysis is cancelled
        gate.set()
        controller.start()  # the next visitor
        assert controller.poll_preview() is None  # nothing of the previous visitor
        assert _wait_for_frame(controller) is not None
        assert controller.last_error is None
    finally:
        controller.stop()
