"""A real loudspeaker through PyAV's ALSA or PulseAudio output (imported lazily).

A writer thread owns the device; ``play`` only appends to a bounded queue (at most
``max_queue`` blocks, the oldest dropped), so the call's loop never waits for the sound
card.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any, Literal

import numpy as np

from device_drivers.loudspeaker.protocol import scaled
from device_drivers.microphone.protocol import SAMPLE_RATE
from foundation.errors import DeviceUnavailable

log = logging.getLogger(__name__)


def is_available(backend: Literal["pulse", "alsa"] = "pulse") -> bool:
    """True when PyAV is installed and ffmpeg can write to ``backend``."""
    try:
        import av
    except ImportError:
        return False
    return backend in av.formats_available


class AvLoudspeaker:
    """ALSA/PulseAudio output of mono 48 kHz int16."""

    def __init__(self, device: str = "default", backend: Literal["pulse", "alsa"] = "pulse",
                 *, max_queue: int = 10) -> None:
        self.device, self.backend = device, backend
        self.sample_rate, self.volume = SAMPLE_RATE, 0.8
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """Open the output device and start the writer."""
        if self._thread is not None:
            return
        if not is_available(self.backend):
            raise DeviceUnavailable(f"no {self.backend} audio output (PyAV missing?)")
        import av

        try:
            container = av.open(self.device, mode="w", format=self.backend)
            stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise DeviceUnavailable(f"{self.backend} loudspeaker cannot be opened") from exc
        self._thread = threading.Thread(target=self._write_loop, args=(container, stream),
                                        daemon=True, name="loudspeaker-writer")
        self._thread.start()

    def _write_loop(self, container: Any, stream: Any) -> None:
        import av

        try:
            while (block := self._queue.get()) is not None:
                frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16",
                                                   layout="mono")
                frame.sample_rate = SAMPLE_RATE
                for packet in stream.encode(frame):
                    container.mux(packet)
        except (av.FFmpegError, OSError) as exc:
            log.warning("loudspeaker output stopped (%s)", type(exc).__name__)
        finally:
            container.close()

    def play(self, samples: np.ndarray) -> None:
        """Queue a block; the oldest block goes when the queue is full."""
        if self._thread is None:
            raise DeviceUnavailable("loudspeaker is not open")
        block = scaled(samples, self.volume)
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            self._queue.get_nowait()
            self._queue.put_nowait(block)

    def close(self) -> None:
        """Stop the writer after what is queued."""
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=1.0)
            self._thread.join(timeout=2.0)
        self._thread = None

    def describe(self) -> dict[str, Any]:
        """Driver and device name."""
        return {"driver": "av", "backend": self.backend, "device": self.device}
