"""Scanner driver that runs SANE's ``scanimage`` as a subprocess (with a timeout).

The fallback when python-sane is not installed, and robust against a hanging backend: the
process is killed when the timeout expires.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Any

import cv2
import numpy as np

from foundation.errors import DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)


def is_available() -> bool:
    """True when the ``scanimage`` program is installed."""
    return shutil.which("scanimage") is not None


class ScanimageScanner:
    """Scan through ``scanimage --format=pnm``."""

    def __init__(
        self,
        device: str = "test:0",
        dpi: int = 300,
        mode: str = "Gray",
        timeout_s: float = 60.0,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.device, self.dpi, self.mode, self.timeout_s = device, dpi, mode, timeout_s
        self.extra_args, self.env = extra_args, env

    def _run(self, args: list[str], timeout: float) -> bytes:
        if not is_available():
            raise DeviceUnavailable("scanimage is not installed (apt: sane-utils)")
        env = {**os.environ, **(self.env or {})}
        try:
            done = subprocess.run(
                ["scanimage", *args], capture_output=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DeviceTimeout(f"scanner did not finish within {timeout:.0f} s") from exc
        if done.returncode != 0:
            log.warning("scanimage failed with exit code %d", done.returncode)
            raise DeviceUnavailable(
                f"scanner refused the scan (scanimage exit code {done.returncode})"
            )
        return done.stdout

    def open(self) -> None:
        """Nothing to hold open: each scan is its own process."""

    def scan_page(self) -> np.ndarray:
        """Scan one page (PNM on stdout) and decode it to BGR."""
        data = self._run(
            [
                "-d",
                self.device,
                "--format=pnm",
                "--resolution",
                str(self.dpi),
                "--mode",
                self.mode,
                *self.extra_args,
            ],
            self.timeout_s,
        )
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise DeviceUnavailable("scanner returned no image data")
        return image

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> dict[str, Any]:
        """Driver and scan settings for the transfer note."""
        return {"driver": "scanimage", "device": self.device, "dpi": self.dpi, "mode": self.mode}

    def check(self) -> tuple[bool, str]:
        """List devices and look for ours."""
        try:
            listing = self._run(["-L"], min(self.timeout_s, 20.0)).decode("utf-8", "replace")
        except DeviceTimeout:
            return False, "scanner search timed out: check USB/network connection"
        except DeviceUnavailable as exc:
            return False, str(exc)
        if f"`{self.device}'" not in listing and self.device not in listing:
            return False, f"scanner {self.device} not found: check cable and power"
        return True, "ok"
