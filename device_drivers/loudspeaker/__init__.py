"""Loudspeaker drivers for video calls: the ``Loudspeaker`` protocol, a PyAV (ALSA/PulseAudio)
output and a simulator that records what it played. The microphone config section's
driver picks both ends of the call's audio (``create_loudspeaker``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from device_drivers.loudspeaker.protocol import Loudspeaker, scaled
from device_drivers.loudspeaker.simulated import SimulatedLoudspeaker

if TYPE_CHECKING:
    from config.model import MicrophoneConfig

__all__ = ["Loudspeaker", "SimulatedLoudspeaker", "create_loudspeaker", "scaled"]


def create_loudspeaker(config: MicrophoneConfig) -> Loudspeaker:
    """The loudspeaker matching the microphone's audio system."""
    if config.driver in ("pulse", "alsa"):
        from device_drivers.loudspeaker.av_loudspeaker import AvLoudspeaker

        return AvLoudspeaker(config.output_device, config.driver)
    return SimulatedLoudspeaker()
