"""The signed fleet layer on the kiosk: what it may not touch, how it merges, every start."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from config.fleet_layer import (
    EMPTY,
    FleetLayer,
    LayerStore,
    merge_layer,
    trust_anchor_problem,
    with_active_layer,
)
from config.loader import load_config
from foundation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("layer", "where"), [
    ({"data_dir": "/tmp/x"}, "data_dir"),
    ({"identity": {"kiosk_id": "other"}}, "identity.kiosk_id"),
    ({"backend": {"url": "https://elsewhere.example"}}, "backend.url"),
    ({"backend": {"mode": "embedded"}}, "backend.mode"),
    ({"backend": {"ca_file": "/etc/evil.pem"}}, "backend.ca_file"),
    ({"backend": {"pin_sha256": "ab" * 32}}, "backend.pin_sha256"),
    ({"display": {"staff_exit_pin_sha256": "ab" * 32}}, "display.staff_exit_pin_sha256"),
    ({"devices": {"printer": {"signing_key": "x"}}}, "devices.printer.signing_key"),
])
def test_trust_anchors_identity_and_secrets_may_not_be_pushed(layer: dict[str, object],
                                                              where: str) -> None:
    assert trust_anchor_problem(layer) == where


def test_ordinary_settings_may_be_pushed() -> None:
    layer = {"identity": {"location": "Foyer"}, "backend": {"timeout_s": 20.0},
             "shipping_note": {"mapping": 1},
             "session": {"inactivity_timeout_s": 180.0}, "devices": {"camera": {
                 "driver": "opencv"}}}
    assert trust_anchor_problem(layer) is None


def test_a_new_layer_replaces_the_old_one_over_the_site_file(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[session]\ngoodbye_s = 20.0\n", encoding="utf-8")
    base = load_config(site, data_dir=tmp_path / "data")
    first = merge_layer(base, {"session": {"inactivity_timeout_s": 300.0}})
    assert (first.session.goodbye_s, first.session.inactivity_timeout_s) == (20.0, 300.0)
    back = merge_layer(base, {})  # an empty layer is the site file again, not the old layer
    assert back == base
    with pytest.raises(ConfigError, match="session.inactivity_timeout_s"):
        merge_layer(base, {"session": {"inactivity_timeout_s": 5}})


def test_every_start_loads_the_active_layer_and_skips_one_that_no_longer_fits(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    base = load_config(None, data_dir=data, environ={})
    assert with_active_layer(base) == base
    store = LayerStore(data)
    assert store.activate(FleetLayer(1, {"session": {"goodbye_s": 30.0}})) == EMPTY
    assert store.activate(FleetLayer(2, {"session": {"goodbye_s": 40.0}})).version == 1
    assert with_active_layer(base).session.goodbye_s == 40.0
    assert (data / "fleet" / "config-active.json").stat().st_mode & 0o777 == 0o600

    # The site file changed so that the active layer no longer validates: use the previous.
    store.restore(FleetLayer(3, {"session": {"warning_before_s": 200.0}}))
    caplog.set_level(logging.WARNING)
    assert with_active_layer(base).session.goodbye_s == 30.0
    assert "active fleet layer is not used" in caplog.text
    (data / "fleet" / "config-active.json").write_text("{not json", encoding="utf-8")
    (data / "fleet" / "config-previous.json").write_text(
        json.dumps({"version": 1, "config": {"backend": {"url": "https://x.example"}}}))
    assert with_active_layer(base) == base  # damaged, then a trust anchor: neither is used


def test_kiosk_doctor_checks_the_devices_of_the_active_layer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    LayerStore(data).activate(FleetLayer(1, {"devices": {"camera": {
        "driver": "opencv", "device_index": 63}}}))
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "doctor", "--json", "--data", str(data)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(result.stdout)
    [camera] = [c for c in report["checks"] if c["name"].startswith("camera")]
    assert camera["name"] == "camera (opencv)"
    assert result.returncode == 1
