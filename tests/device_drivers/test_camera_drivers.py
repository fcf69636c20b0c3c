"""Camera drivers: the scripted simulator and the OpenCV driver's failure paths."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from config.model import CameraConfig
from device_drivers.camera import Camera, CameraFault, SimulatedCamera, create_camera
from device_drivers.camera.opencv_camera import OpenCVCamera
from foundation.errors import CameraFrameError, DeviceTimeout, DeviceUnavailable


def _image(value: int, width: int = 1920) -> np.ndarray:
    return np.full((width * 3 // 4, width, 3), value, np.uint8)


def test_simulator_serves_queue_and_records_calls() -> None:
    camera = SimulatedCamera([_image(10), _image(20)], preview_width=640)
    assert isinstance(camera, Camera)
    camera.open()
    preview = camera.read_frame()
    assert preview.shape == (480, 640, 3) and preview[0, 0, 0] == 10
    assert camera.capture_still().shape == (1440, 1920, 3)
    assert camera.capture_still()[0, 0, 0] == 20
    assert camera.capture_still()[0, 0, 0] == 10  # cycles
    camera.close()
    assert camera.calls == ["open", "read_frame", "capture_still", "capture_still",
                            "capture_still", "close"]
    assert camera.describe()["driver"] == "simulated"


def test_simulator_injects_faults() -> None:
    camera = SimulatedCamera([CameraFault("no_frame"), CameraFault("timeout"), _image(5),
                              CameraFault("unplugged")])
    with pytest.raises(DeviceUnavailable):
        camera.read_frame()  # not open yet
    camera.open()
    with pytest.raises(CameraFrameError):
        camera.read_frame()
    with pytest.raises(DeviceTimeout):
        camera.capture_still()
    assert camera.capture_still()[0, 0, 0] == 5
    with pytest.raises(DeviceUnavailable):
        camera.read_frame()
    assert camera.check()[0] is False


def test_simulator_with_sample_dir(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.jpg"), _image(200, 800))
    camera = SimulatedCamera.with_samples(tmp_path)
    camera.open()
    assert camera.capture_still().shape == (600, 800, 3)
    assert camera.check() == (True, "ok (simulated camera)")


@pytest.mark.slow
def test_default_camera_serves_builtin_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from scanning.samples import sample_photos

    camera = create_camera(CameraConfig(), sample_photos)
    camera.open()
    still = camera.capture_still()
    assert still.shape[1] >= 3000
    assert len(list((tmp_path / "jobcenter-kiosk" / "samples").glob("*.jpg"))) >= 3


def test_opencv_camera_without_device_fails_fast() -> None:
    camera = OpenCVCamera(device_index=63, timeout_s=0.5, open_timeout_s=5)
    ok, reason = camera.check()
    assert not ok and "/dev/video63" in reason
    with pytest.raises((DeviceUnavailable, DeviceTimeout)):
        camera.open()
    with pytest.raises(DeviceUnavailable):
        camera.read_frame()
    camera.close()
    assert camera.describe()["device"] == "/dev/video63"
