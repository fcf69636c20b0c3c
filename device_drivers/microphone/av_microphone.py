"""A real microphone through PyAV's ALSA or PulseAudio input (ffmpeg's capture devices).

PyAV is imported lazily, so the package imports on a machine without it. A reader thread
owns the capture (a dead device can block a read forever), resamples to 48 kHz mono
16-bit and appends to a bounded buffer; ``read`` waits at most ``timeout_s`` for enough
samples. At most ``max_buffer_s`` of audio is kept: a consumer that falls behind loses the
oldest audio rather than hearing it late.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

import numpy as np

from device_drivers.microphone.protocol import SAMPLE_RATE
from foundation.errors import DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)

Backend = Literal["pulse", "alsa"]


def is_available(backend: Backend = "pulse") -> bool:
    """True when PyAV is installed and ffmpeg knows the capture format."""
    try:
        import av
    except ImportError:
        return False
    return backend in av.formats_available


class AvMicrophone:
    """ALSA/PulseAudio capture, resampled to mono 48 kHz int16."""

    def __init__(self, device: str = "default", backend: Backend = "pulse", *,
                 timeout_s: float = 2.0, max_buffer_s: float = 0.5) -> None:
        self.device, self.backend = device, backend
        self.timeout_s, self.sample_rate = timeout_s, SAMPLE_RATE
        self._max_samples = int(max_buffer_s * SAMPLE_RATE)
        self._buffer = np.zeros(0, dtype=np.int16)
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: str | None = None

    def open(self) -> None:
        """Open the capture device and start the reader thread."""
        if self._thread is not None:
            return
        if not is_available(self.backend):
            raise DeviceUnavailable(f"no {self.backend} audio input (PyAV missing?)")
        import av

        try:
            container = av.open(self.device, format=self.backend, timeout=self.timeout_s)
        except (av.FFmpegError, OSError) as exc:
            raise DeviceUnavailable(f"{self.backend} microphone cannot be opened") from exc
        self._stop.clear()
        self._thread = threading.Thread(target=self._read_loop, args=(container,),
                                        daemon=True, name="microphone-reader")
        self._thread.start()

    def _read_loop(self, container: Any) -> None:
        import av

        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(audio=0):
                if self._stop.is_set():
                    break
                for out in resampler.resample(frame):
                    self._append(out.to_ndarray().reshape(-1).astype(np.int16))
        except (av.FFmpegError, OSError) as exc:
            self._error = type(exc).__name__
            log.warning("microphone capture stopped (%s)", self._error)
        finally:
            container.close()
            with self._ready:
                self._ready.notify_all()

    def _append(self, samples: np.ndarray) -> None:
        with self._ready:
            self._buffer = np.concatenate([self._buffer, samples])[-self._max_samples:]
            self._ready.notify_all()

    def read(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples, waiting at most ``timeout_s``."""
        if self._thread is None:
            raise DeviceUnavailable("microphone is not open")
        with self._ready:
            if not self._ready.wait_for(
                lambda: self._buffer.size >= samples or self._error is not None,
                timeout=self.timeout_s,
            ):
                raise DeviceTimeout(f"no audio within {self.timeout_s:.1f} s")
            if self._buffer.size < samples:
                raise DeviceUnavailable(f"microphone capture stopped ({self._error})")
            block, self._buffer = self._buffer[:samples], self._buffer[samples:]
        return block

    def close(self) -> None:
        """Stop the reader (it closes the device after its current block)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s)
        self._thread = None

    def describe(self) -> dict[str, Any]:
        """Driver and device name."""
        return {"driver": "av", "backend": self.backend, "device": self.device}

    def check(self) -> tuple[bool, str]:
        """Open the device and wait for a few milliseconds of audio."""
        try:
            self.open()
            self.read(480)
        except DeviceTimeout:
            return False, "microphone opened but delivers no audio: check the cable/mute switch"
        except DeviceUnavailable:
            return False, f"no {self.backend} microphone '{self.device}': check the audio setup"
        return True, "ok"
