"""Camera drivers: the scripted simulator and the OpenCV driver's failure paths."""

from __future__ import annotations

import tracemalloc
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


def test_simulator_previews_a_photo_without_decoding_it_at_full_size(tmp_path: Path) -> None:
    """A 4000 px photo is decoded by libjpeg at 1/4 size for a 960 px preview (the 36 MB
    full frame is never built for it); the still comes at full resolution."""
    photo = np.zeros((3000, 4000, 3), np.uint8)
    cv2.rectangle(photo, (1000, 750), (3000, 2250), (255, 255, 255), -1)
    cv2.imwrite(str(tmp_path / "photo.jpg"), photo)
    camera = SimulatedCamera.with_samples(tmp_path)
    camera.open()
    tracemalloc.start()  # OpenCV's result arrays are numpy arrays: tracemalloc sees them
    try:
        preview = camera.read_frame()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # a full decode alone is 36 MB
    assert preview.shape == (720, 960, 3)
    # the white page sits in the middle half of the preview too
    assert preview[360, 480].min() > 200 and preview[50, 50].max() < 50
    still = camera.capture_still()
    assert still.shape == (3000, 4000, 3) and still.flags.owndata


def test_jpeg_width_is_read_from_the_frame_header(tmp_path: Path) -> None:
    from device_drivers.camera.simulated import _jpeg_width

    ok, data = cv2.imencode(".jpg", _image(1, 1000))
    assert ok and _jpeg_width(bytes(data)) == 1000
    ok, png = cv2.imencode(".png", _image(1, 64))
    assert ok and _jpeg_width(bytes(png)) is None
    assert _jpeg_width(b"\xff\xd8\xff") is None  # truncated
