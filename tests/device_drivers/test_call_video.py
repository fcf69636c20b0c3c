"""The call's camera: sizing, the timestamp overlay that survives compression, and the
shared owner that lets the document capture and a call use one device."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from config.model import CallVideoConfig
from device_drivers.camera import (
    CallVideo,
    SharedCamera,
    SimulatedCamera,
    create_call_video,
)
from device_drivers.camera.call_video import fit_frame, read_timestamp, stamp_frame


def photo(w: int = 1600, h: int = 1200) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_frames_come_at_call_size_with_a_readable_stamp() -> None:
    ticks = itertools.count(1000.0, 0.05)
    video = CallVideo(SimulatedCamera([photo()]), 640, 480, stamp_clock=lambda: next(ticks))
    video.open()
    first, second = video.read_frame(), video.read_frame()
    assert first.shape == (480, 640, 3)
    assert read_timestamp(first) == 1_000_000
    assert read_timestamp(second) == 1_000_050


def test_stamp_survives_jpeg_and_downscaling() -> None:
    frame = fit_frame(photo(), 640, 480)
    stamp_frame(frame, 123_456_789)
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 40])
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert read_timestamp(decoded) == 123_456_789
    small = cv2.resize(decoded, (320, 240), interpolation=cv2.INTER_AREA)
    assert read_timestamp(small) == 123_456_789
    assert read_timestamp(fit_frame(photo(), 640, 480)) is None  # no stamp, no number


def test_fit_keeps_the_aspect_ratio() -> None:
    wide = np.full((100, 400, 3), 200, np.uint8)
    out = fit_frame(wide, 640, 480)
    assert out[0, 320].sum() == 0 and out[240, 320].sum() == 600  # letterboxed


def test_shared_camera_opens_once_and_fans_frames_out() -> None:
    now = [0.0]
    device = SimulatedCamera([photo()])
    shared = SharedCamera(device, max_age_s=0.02, clock=lambda: now[0])
    call = CallVideo(shared, 640, 480)
    shared.open()  # the document capture
    call.open()  # the call joins
    assert device.calls.count("open") == 1
    call.read_frame()
    shared.read_frame()  # same instant: the capture gets the call's frame
    assert shared.device_reads == 1
    now[0] += 0.05
    shared.read_frame()
    assert shared.device_reads == 2
    shared.capture_still()
    call.close()
    assert device.is_open  # the capture still uses it
    shared.close()
    assert not device.is_open and device.calls.count("close") == 1
    shared.close()  # an extra close is harmless
    assert device.calls.count("close") == 1


def test_factory_shares_the_document_camera_and_stamps_simulated_images() -> None:
    shared = SharedCamera(SimulatedCamera([photo()]))
    video = create_call_video(CallVideoConfig(), shared, stamp_clock=lambda: 2.0)
    assert video.camera is shared
    video.open()
    assert read_timestamp(video.read_frame()) == 2000
    own = create_call_video(CallVideoConfig(source="v4l2", device_index=5), shared)
    assert own.camera is not shared and own.stamp_clock is None
