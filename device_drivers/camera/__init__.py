"""Document camera drivers: the ``Camera`` protocol, an OpenCV/UVC driver and a simulator.

``create_camera`` picks the implementation from the camera config section; nothing here
imports OpenCV's capture backend until a real camera is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from device_drivers.camera.protocol import Camera
from device_drivers.camera.simulated import CameraFault, SimulatedCamera

if TYPE_CHECKING:
    from config.model import CameraConfig

__all__ = ["Camera", "CameraFault", "SimulatedCamera", "create_camera"]


def create_camera(
    config: CameraConfig, default_samples: Callable[[], Sequence[Path]] | None = None
) -> Camera:
    """The camera the config asks for; the simulator serves ``config.sample_dir`` or
    ``default_samples`` (the kiosk passes ``scanning.samples.sample_photos``)."""
    if config.driver == "opencv":
        from device_drivers.camera.opencv_camera import OpenCVCamera

        return OpenCVCamera(
            device_index=config.device_index,
            width=config.width,
            height=config.height,
            fourcc=config.fourcc,
        )
    return SimulatedCamera.with_samples(config.sample_dir, default_samples)
