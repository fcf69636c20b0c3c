"""``kiosk doctor`` as a technician runs it: real subprocess, real config files, plain words."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def doctor(tmp_path: Path, site: str, *extra: str) -> tuple[int, dict[str, Any]]:
    config = tmp_path / "site.toml"
    config.write_text(site, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "doctor", "--json", "--config", str(config),
         "--data", str(tmp_path / "data"), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    return result.returncode, json.loads(result.stdout)


def by_name(report: dict[str, Any], prefix: str) -> dict[str, Any]:
    (check,) = [c for c in report["checks"] if c["name"].startswith(prefix)]
    return check


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_embedded_default_is_healthy(tmp_path: Path) -> None:
    code, report = doctor(tmp_path, "")
    assert code == 0, report
    assert report["ok"] is True
    assert {c["name"].split(" ")[0] for c in report["checks"]} >= {
        "data", "tesseract", "camera", "printer", "backend", "enrollment"}


def test_missing_printer_is_reported_in_plain_words(tmp_path: Path) -> None:
    code, report = doctor(tmp_path, '[devices.printer]\ndriver = "serial"\n'
                                    'serial_device = "/dev/ttyUSB97"\ntimeout_s = 1\n')
    assert code == 1
    printer = by_name(report, "printer")
    assert printer["ok"] is False
    assert "/dev/ttyUSB97" in printer["detail"]
    assert "Traceback" not in printer["detail"] and "crashed" not in printer["detail"]


def test_unreachable_backend_is_reported_in_plain_words(tmp_path: Path) -> None:
    port = closed_port()
    code, report = doctor(tmp_path, f'[backend]\nmode = "remote"\n'
                                    f'url = "http://127.0.0.1:{port}"\ntimeout_s = 2\n')
    assert code == 1
    backend = by_name(report, "backend")
    assert backend["ok"] is False
    assert f"127.0.0.1:{port}" in backend["detail"] and "cannot reach" in backend["detail"]
    enrollment = by_name(report, "enrollment")
    assert enrollment["ok"] is False and "kiosk enroll" in enrollment["detail"]


def test_bad_config_stops_with_file_field_and_allowed_values(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[devices.printer]\ndriver = "laser"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "doctor", "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    message = result.stderr + result.stdout
    assert "site.toml" in message and "devices.printer.driver" in message
    assert "usb" in message and "Traceback" not in message


def test_degraded_feature_is_a_warning_not_a_failure(capsys: Any) -> None:
    from kiosk.doctor import Report, print_report
    from kiosk.health import Health

    report = Report("K1", [Health("printer", "printer (usb)", True, "ready", paper="ok"),
                           Health("audio", "audio (aplay)", False, "no audio device",
                                  required=False)])
    assert report.ok
    print_report(report, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("WARN    audio (aplay)")
    assert "degraded" in lines[-1]
    failed = Report("K1", [*report.checks, Health("disk", "data directory", False, "full")])
    assert not failed.ok
