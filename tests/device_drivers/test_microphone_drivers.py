"""Microphone drivers: the simulator's signals, continuity and faults; the real driver's
refusal without a device."""

from __future__ import annotations

import numpy as np
import pytest

from config.model import MicrophoneConfig
from device_drivers.microphone import SimulatedMicrophone, create_microphone, level_dbfs
from device_drivers.microphone.av_microphone import AvMicrophone
from foundation.errors import DeviceTimeout, DeviceUnavailable


def dominant_hz(samples: np.ndarray, rate: int = 48_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


def test_tone_is_1_khz_and_continues_across_reads() -> None:
    mic = SimulatedMicrophone("tone")
    mic.open()
    whole = np.concatenate([mic.read(960) for _ in range(10)])
    assert dominant_hz(whole) == pytest.approx(1000, abs=10)
    again = SimulatedMicrophone("tone")
    again.open()
    assert np.array_equal(whole, again.read(9600))  # block size does not change the signal
    assert mic.calls.count("read") == 10


def test_speech_like_signal_has_syllables_and_a_voice() -> None:
    mic = SimulatedMicrophone("speech")
    mic.open()
    blocks = [mic.read(960) for _ in range(50)]  # one second in 20 ms blocks
    levels = [level_dbfs(b) for b in blocks]
    assert max(levels) > -25 and min(levels) < -50  # loud syllables, quiet gaps
    assert dominant_hz(np.concatenate(blocks)) == pytest.approx(150, abs=10)


def test_silence_reads_minus_100_dbfs() -> None:
    mic = SimulatedMicrophone("silence")
    mic.open()
    assert level_dbfs(mic.read(480)) == -100.0


def test_faults_and_closed_device() -> None:
    mic = SimulatedMicrophone()
    with pytest.raises(DeviceUnavailable):
        mic.read(10)
    mic.open()
    mic.push_fault("timeout")
    mic.push_fault("unplugged")
    with pytest.raises(DeviceTimeout):
        mic.read(10)
    with pytest.raises(DeviceUnavailable):
        mic.read(10)
    assert not mic.is_open


def test_factory_picks_by_config() -> None:
    assert isinstance(create_microphone(MicrophoneConfig()), SimulatedMicrophone)
    assert isinstance(create_microphone(MicrophoneConfig(driver="alsa")), AvMicrophone)


def test_real_microphone_without_a_device_says_so() -> None:
    mic = AvMicrophone("no-such-device-xyz", "alsa", timeout_s=0.5)
    with pytest.raises(DeviceUnavailable):
        mic.read(10)
    ok, reason = mic.check()
    assert not ok and "alsa" in reason


def test_simulated_loudspeaker_plays_at_its_volume() -> None:
    from device_drivers.loudspeaker import SimulatedLoudspeaker

    speaker = SimulatedLoudspeaker()
    with pytest.raises(DeviceUnavailable):
        speaker.play(np.ones(10, np.int16))
    speaker.open()
    speaker.volume = 0.5
    speaker.play(np.full(480, 1000, np.int16))
    assert speaker.samples_played == 480 and int(speaker.recent.max()) == 500
