"""The call's local tracks (paced by an injected clock, mute, camera off, level meter) and
the video ladder (steps down on trouble, up after calm; audio untouched)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from device_drivers.camera import CallVideo, SimulatedCamera
from device_drivers.camera.call_video import read_timestamp
from device_drivers.microphone import SimulatedMicrophone
from kiosk.call.adaptation import LADDER, VideoLadder
from kiosk.call.peer import negotiated_codecs
from kiosk.call.tracks import CameraTrack, MicrophoneTrack, VideoTier


class FakeClock:
    """Time moves only when a track sleeps; records every sleep."""

    def __init__(self) -> None:
        self.t = 100.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def image() -> np.ndarray:
    return np.full((720, 960, 3), 120, np.uint8)


def test_camera_track_is_paced_by_its_clock_and_stamps_frames() -> None:
    clock = FakeClock()
    video = CallVideo(SimulatedCamera([image()]), 640, 480, 20, stamp_clock=clock.now)
    video.open()
    track = CameraTrack(video, clock)

    async def three() -> list:
        return [await track.recv() for _ in range(3)]

    frames = asyncio.run(three())
    assert [round(s, 3) for s in clock.sleeps] == [0.05, 0.05]
    assert [f.pts for f in frames] == [0, 4500, 9000]  # 90 kHz clock, 20 fps
    assert read_timestamp(frames[2].to_ndarray(format="bgr24")) == 100_100
    assert track.self_view is not None and track.self_view.shape == (480, 640, 3)


def test_camera_off_sends_black_and_tiers_change_the_size() -> None:
    clock = FakeClock()
    video = CallVideo(SimulatedCamera([image()]), 640, 480, 20)
    video.open()
    track = CameraTrack(video, clock)
    track.enabled = False
    black = asyncio.run(track.recv()).to_ndarray(format="bgr24")
    assert black.max() == 0 and video.frames == 0  # the camera was not even read
    track.enabled, track.tier = True, VideoTier(320, 240, 12)
    small = asyncio.run(track.recv())
    assert (small.width, small.height) == (320, 240)
    asyncio.run(track.recv())
    assert round(clock.sleeps[-1], 3) == round(1 / 12, 3)  # the new rate from then on


def test_microphone_track_blocks_levels_and_mute() -> None:
    clock = FakeClock()
    mic = SimulatedMicrophone("tone")
    mic.open()
    track = MicrophoneTrack(mic, clock)

    async def blocks(n: int) -> list:
        return [await track.recv() for _ in range(n)]

    loud = asyncio.run(blocks(2))
    assert loud[1].samples == 960 and loud[1].sample_rate == 48_000 and loud[1].pts == 960
    assert track.level_dbfs > -20
    track.muted = True
    quiet = asyncio.run(blocks(1))[0]
    assert not quiet.to_ndarray().any()
    assert track.level_dbfs > -20  # the meter still shows the microphone works
    assert [round(s, 3) for s in clock.sleeps] == [0.02, 0.02]


def test_ladder_steps_down_at_once_and_up_only_after_calm() -> None:
    ladder = VideoLadder()
    assert ladder.update(0.0, 0.05, 0.0) == LADDER[0]
    assert ladder.update(0.15, 0.05, 1.0) == LADDER[1]
    assert ladder.update(0.0, 0.9, 2.0) == LADDER[2]
    for t in range(3, 12):
        assert ladder.update(0.2, 0.1, float(t)).height <= LADDER[2].height
    assert ladder.tier == LADDER[-1]  # bottom: video nearly off, audio carries on
    assert ladder.update(0.0, 0.05, 20.0) == LADDER[-1]
    assert ladder.update(0.0, 0.05, 29.0) == LADDER[-1]  # not calm long enough
    assert ladder.update(0.0, 0.05, 30.0) == LADDER[-2]
    assert ladder.update(0.05, 0.05, 35.0) == LADDER[-2]  # in between: stay, restart calm
    assert ladder.update(0.0, 0.05, 44.0) == LADDER[-2]


def test_negotiated_codecs_read_the_first_codec_of_each_answer_section() -> None:
    sdp = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
           "a=rtpmap:111 opus/48000/2\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:97 VP8/90000\r\n")
    assert negotiated_codecs(sdp) == {"audio": "opus/48000/2", "video": "vp8/90000"}


def test_closed_devices_end_the_tracks_as_aiortc_expects() -> None:
    mic = SimulatedMicrophone("tone")
    video = CallVideo(SimulatedCamera([image()]), 640, 480, 20)
    for track in (MicrophoneTrack(mic, FakeClock()), CameraTrack(video, FakeClock())):
        with pytest.raises(MediaStreamError, match="device_unavailable|not_open"):
            asyncio.run(track.recv())  # never opened (or closed while the call ends)
