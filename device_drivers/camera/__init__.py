"""Camera drivers: the ``Camera`` protocol, an OpenCV/UVC (V4L2) driver and a simulator,
plus what a video call sends (``CallVideo``) and the owner that lets the document capture
and a call share one device (``SharedCamera``).

``create_camera`` picks the document camera from the camera config section,
``create_call_video`` the call's camera; nothing here imports OpenCV's capture backend
until a real camera is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from device_drivers.camera.call_video import CallVideo
from device_drivers.camera.protocol import Camera
from device_drivers.camera.shared import SharedCamera
from device_drivers.camera.simulated import CameraFault, SimulatedCamera

if TYPE_CHECKING:
    from config.model import CallVideoConfig, CameraConfig

__all__ = ["CallVideo", "Camera", "CameraFault", "SharedCamera", "SimulatedCamera",
           "create_call_video", "create_camera"]


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


def create_call_video(config: CallVideoConfig, document_camera: SharedCamera,
                      stamp_clock: Callable[[], float] | None = None) -> CallVideo:
    """The call's camera: the (shared) document camera, or a V4L2 camera of its own.

    A simulated document camera's images get the timestamp overlay from ``stamp_clock``.
    """
    camera: Camera = document_camera
    own_device = f"/dev/video{config.device_index}"
    if config.source == "v4l2" and document_camera.describe().get("device") != own_device:
        from device_drivers.camera.opencv_camera import OpenCVCamera

        camera = OpenCVCamera(device_index=config.device_index, width=config.width,
                              height=config.height, preview_width=config.width)
    simulated = isinstance(document_camera.camera, SimulatedCamera) and camera is document_camera
    return CallVideo(camera, config.width, config.height, config.fps,
                     stamp_clock=stamp_clock if simulated else None)
