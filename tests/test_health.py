"""kiosk.health: one check per device, plain reasons, never a crash, paper state reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.model import KioskConfig
from kiosk import health
from kiosk.health import Health
from scanning.samples import sample_photos


def site(tmp_path: Path, **sections: Any) -> KioskConfig:
    return KioskConfig.model_validate({"data_dir": tmp_path / "data", **sections})


def test_simulated_printer_reports_paper_state(tmp_path: Path) -> None:
    result = health.check_printer(site(tmp_path), tmp_path / "receipts")
    assert result == Health("printer", "printer (simulated)", True,
                            "Printer at simulated printer is ready", paper="ok")


def test_missing_serial_printer_is_a_plain_failure(tmp_path: Path) -> None:
    config = site(tmp_path, devices={"printer": {
        "driver": "serial", "serial_device": "/dev/ttyUSB97", "timeout_s": 1}})
    result = health.check_printer(config, tmp_path / "receipts")
    assert result.ok is False and result.paper is None and result.required
    assert "/dev/ttyUSB97" in result.detail and "crashed" not in result.detail


def test_no_printer_configured(tmp_path: Path) -> None:
    result = health.check_printer(site(tmp_path, devices={"printer": {"driver": "none"}}),
                                  tmp_path / "receipts")
    assert result.ok is False and "devices.printer.driver = 'none'" in result.detail


def test_camera_check_uses_the_real_driver(tmp_path: Path) -> None:
    if Path("/dev/video63").exists():
        pytest.skip("this machine has a /dev/video63")
    config = site(tmp_path, devices={"camera": {"driver": "opencv", "device_index": 63}})
    assert health.check_camera(config, sample_photos) == Health(
        "camera", "camera (opencv)", False, "/dev/video63 missing: check the USB cable")
    simulated = health.check_camera(site(tmp_path), sample_photos)
    assert simulated.ok and simulated.name == "camera (simulated)"


def test_disk_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the data folder should be")
    config = KioskConfig.model_validate({"data_dir": tmp_path / "blocker" / "data"})
    result = health.check_disk(config)
    assert result.key == "disk" and result.ok is False
    assert result.detail.startswith("cannot create") and "--data" in result.detail


def test_optional_devices_are_checked_only_when_configured(tmp_path: Path) -> None:
    keys = [r.key for r in health.check_devices(site(tmp_path), tmp_path, sample_photos)]
    assert keys == ["disk", "camera", "printer", "audio", "microphone"]
    # No such reader, whether or not a pcscd runs (the card tests start one): a WARN only,
    # since visitors are served without the staff-card reader.
    config = site(tmp_path, devices={"card_reader": {
        "driver": "pcsc", "reader_name_contains": "no such reader", "timeout_s": 2}})
    results = {r.key: r for r in health.check_devices(config, tmp_path, sample_photos)}
    reader = results["card_reader"]
    assert reader.ok is False and reader.required is False and reader.passed
    assert "pcscd is not running" in reader.detail or "no card reader" in reader.detail


def test_audio_never_fails_the_kiosk(tmp_path: Path) -> None:
    off = health.check_audio(site(tmp_path, accessibility={"speech": False}))
    assert off.ok and "off" in off.detail
    on = health.check_audio(site(tmp_path))
    assert on.required is False and on.passed
    assert on.ok or on.detail.startswith(("espeak-ng", "no audio", "the audio device"))


def test_a_crashing_check_becomes_a_failed_result() -> None:
    @health._guarded("widget", "widget")
    def explode() -> Health:
        raise OSError("driver fell over")

    assert explode() == Health("widget", "widget", False,
                               "check crashed: OSError: driver fell over")


def test_remote_backend_unreachable(tmp_path: Path) -> None:
    config = site(tmp_path, backend={"mode": "remote", "url": "http://127.0.0.1:9",
                                     "timeout_s": 1})
    result = health.check_backend(config)
    assert result.name == "backend (remote)" and result.ok is False
    assert "cannot reach" in result.detail
    assert health.check_enrollment(config).ok is False


def test_microphone_check_names_a_missing_input(tmp_path: Path) -> None:
    assert health.check_microphone(site(tmp_path)).ok  # simulated
    config = site(tmp_path, devices={"microphone": {"driver": "alsa",
                                                    "device": "no-such-device-xyz"}})
    result = health.check_microphone(config)
    assert not result.ok and "alsa" in result.detail
