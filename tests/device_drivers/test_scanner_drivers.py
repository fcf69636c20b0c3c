"""Scanner drivers against SANE's ``test`` backend (no hardware)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.model import ScannerConfig
from device_drivers.scanner import Scanner, create_scanner, sane_scanner
from device_drivers.scanner.scanimage_scanner import ScanimageScanner, is_available
from foundation.errors import DeviceTimeout, DeviceUnavailable

pytestmark = pytest.mark.skipif(not is_available(), reason="sane-utils not installed")


@pytest.fixture(scope="module")
def sane_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SANE config dir that enables only the ``test`` backend (no network probing)."""
    folder = tmp_path_factory.mktemp("sane")
    (folder / "dll.conf").write_text("test\n")
    shutil.copy("/etc/sane.d/test.conf", folder / "test.conf")
    return folder


def test_scanimage_scans_test_backend(sane_dir: Path) -> None:
    scanner = ScanimageScanner("test:0", dpi=75, env={"SANE_CONFIG_DIR": str(sane_dir)},
                               timeout_s=30)
    assert isinstance(scanner, Scanner)
    assert scanner.check() == (True, "ok")
    page = scanner.scan_page()
    assert page.ndim == 3 and page.shape[0] > 100
    assert scanner.describe() == {"driver": "scanimage", "device": "test:0", "dpi": 75,
                                  "mode": "Gray"}


def test_scanimage_unknown_device(sane_dir: Path) -> None:
    scanner = ScanimageScanner("nosuch:0", env={"SANE_CONFIG_DIR": str(sane_dir)}, timeout_s=30)
    assert scanner.check()[0] is False
    with pytest.raises(DeviceUnavailable):
        scanner.scan_page()


def test_scanimage_timeout(sane_dir: Path) -> None:
    scanner = ScanimageScanner("test:0", dpi=1200, env={"SANE_CONFIG_DIR": str(sane_dir)},
                               timeout_s=0.001)
    with pytest.raises(DeviceTimeout):
        scanner.scan_page()


@pytest.mark.skipif(not sane_scanner.is_available(), reason="python-sane not installed")
def test_python_sane_scans_test_backend(sane_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANE_CONFIG_DIR", str(sane_dir))
    scanner = sane_scanner.SaneScanner("test:0", dpi=75, timeout_s=30)
    try:
        assert scanner.check() == (True, "ok")
        page = scanner.scan_page()
        assert page.ndim == 3 and page.shape[0] > 100
    finally:
        scanner.close()


def test_create_scanner_from_config() -> None:
    assert create_scanner(ScannerConfig()) is None
    assert create_scanner(ScannerConfig(driver="sane")) is not None
