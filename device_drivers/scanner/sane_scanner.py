"""Scanner driver on libsane through python-sane (imported lazily).

python-sane calls block inside the C library, so each scan runs in a worker thread and
the caller waits at most ``timeout_s``; on timeout the scan is cancelled and
``DeviceTimeout`` raised.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

import cv2
import numpy as np

from foundation.errors import DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)
_init_lock = threading.Lock()
_initialised = False


def is_available() -> bool:
    """True when python-sane can be imported."""
    try:
        import sane  # noqa: F401
    except ImportError:
        return False
    return True


def _sane() -> Any:
    global _initialised
    try:
        import sane
    except ImportError as exc:
        raise DeviceUnavailable("python-sane is not installed") from exc
    with _init_lock:
        if not _initialised:
            sane.init()
            _initialised = True
    return sane


def _in_thread(func: Any, timeout: float, what: str) -> Any:
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(func())
        except BaseException as exc:  # handed to the caller below
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name=f"sane-{what}").start()
    try:
        return future.result(timeout=timeout)
    except TimeoutError as exc:
        raise DeviceTimeout(f"scanner: {what} did not finish within {timeout:.0f} s") from exc


class SaneScanner:
    """A SANE device such as ``test:0`` or ``epsonds:libusb:001:004``."""

    def __init__(
        self, device: str = "test:0", dpi: int = 300, mode: str = "gray", timeout_s: float = 60.0
    ) -> None:
        self.device, self.dpi, self.mode, self.timeout_s = device, dpi, mode, timeout_s
        self._dev: Any = None

    def open(self) -> None:
        """Open the SANE device and apply resolution and mode."""
        if self._dev is not None:
            return
        sane = _sane()
        try:
            dev = _in_thread(lambda: sane.open(self.device), self.timeout_s, "open")
        except DeviceTimeout:
            raise
        except Exception as exc:  # python-sane raises its own _sane.error
            raise DeviceUnavailable(f"cannot open scanner {self.device}") from exc
        for name, value in (("resolution", self.dpi), ("mode", self.mode)):
            try:
                setattr(dev, name, value)
            except Exception:  # option not supported by this backend
                log.info("scanner option %s not supported", name)
        self._dev = dev

    def scan_page(self) -> np.ndarray:
        """Scan one page; returns BGR."""
        self.open()
        dev = self._dev
        try:
            image = _in_thread(dev.scan, self.timeout_s, "scan")
        except DeviceTimeout:
            try:
                dev.cancel()
            except Exception:  # the backend is hung; cancel is best effort
                log.warning("scanner cancel failed")
            raise
        except Exception as exc:
            raise DeviceUnavailable("scanner failed during the scan") from exc
        array = np.asarray(image.convert("RGB"), dtype=np.uint8)
        return np.ascontiguousarray(cv2.cvtColor(array, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        """Close the device."""
        if self._dev is not None:
            try:
                self._dev.close()
            finally:
                self._dev = None

    def describe(self) -> dict[str, Any]:
        """Driver and scan settings for the transfer note."""
        return {"driver": "sane", "device": self.device, "dpi": self.dpi, "mode": self.mode}

    def check(self) -> tuple[bool, str]:
        """Is the device listed by SANE?"""
        if not is_available():
            return False, "python-sane missing: pip install python-sane (needs libsane-dev)"
        sane = _sane()
        try:
            devices = _in_thread(sane.get_devices, min(self.timeout_s, 20.0), "list")
        except DeviceTimeout:
            return False, "scanner search timed out: check USB/network connection"
        names = [d[0] for d in devices]
        if self.device not in names and not self.device.startswith("test"):
            return False, f"scanner {self.device} not found: check cable and power"
        return True, "ok"
