"""Document scanners: the ``Scanner`` protocol, SANE via python-sane, and ``scanimage``.

``create_scanner`` prefers python-sane and falls back to the ``scanimage`` program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from device_drivers.scanner.protocol import Scanner

if TYPE_CHECKING:
    from config.model import ScannerConfig

__all__ = ["Scanner", "create_scanner"]


def create_scanner(config: ScannerConfig) -> Scanner | None:
    """The scanner the config asks for, or None when the scanner option is off."""
    if config.driver == "none":
        return None
    from device_drivers.scanner import sane_scanner

    if sane_scanner.is_available():
        return sane_scanner.SaneScanner(config.device, config.dpi, timeout_s=config.timeout_s)
    from device_drivers.scanner.scanimage_scanner import ScanimageScanner

    return ScanimageScanner(config.device, config.dpi, timeout_s=config.timeout_s)
