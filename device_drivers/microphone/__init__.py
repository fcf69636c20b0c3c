"""Microphone drivers for video calls: the ``Microphone`` protocol, a PyAV (ALSA/PulseAudio)
driver and a simulator producing a speech-like signal or a test tone.

``create_microphone`` picks the implementation from the microphone config section; PyAV is
imported only when a real microphone is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from device_drivers.microphone.protocol import SAMPLE_RATE, Microphone, level_dbfs
from device_drivers.microphone.simulated import SimulatedMicrophone

if TYPE_CHECKING:
    from config.model import MicrophoneConfig

__all__ = ["SAMPLE_RATE", "Microphone", "SimulatedMicrophone", "create_microphone",
           "level_dbfs"]


def create_microphone(config: MicrophoneConfig) -> Microphone:
    """The microphone the config asks for."""
    if config.driver in ("pulse", "alsa"):
        from device_drivers.microphone.av_microphone import AvMicrophone

        return AvMicrophone(config.device, config.driver)
    return SimulatedMicrophone(config.signal)
