"""The layered config loader: defaults, site file, errors that name file and field."""

from pathlib import Path

import pytest

from config.loader import load_config, merge_layers
from foundation.errors import ConfigError


def test_defaults_are_the_embedded_setup() -> None:
    cfg = load_config(environ={})
    assert cfg.devices.camera.driver == "simulated"
    assert cfg.devices.printer.driver == "simulated"
    assert cfg.devices.card_reader.driver == "none"
    assert cfg.backend.mode == "embedded"
    assert cfg.display.mode == "window"


def test_site_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[display]\nmode = "fullscreen"\n[devices.printer]\ndriver = "network"\n'
        'network_host = "127.0.0.1"\n[backend]\nmode = "remote"\nurl = "https://jc.example"\n'
    )
    cfg = load_config(site, environ={})
    assert cfg.display.mode == "fullscreen"
    assert cfg.display.width_px == 1280  # untouched default
    assert cfg.devices.printer.driver == "network"
    assert cfg.backend.url == "https://jc.example"


def test_bad_value_names_file_field_and_allowed_values(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[devices.printer]\ndriver = "laser"\n')
    with pytest.raises(ConfigError) as err:
        load_config(site, environ={})
    text = str(err.value)
    assert str(site) in text
    assert "devices.printer.driver" in text
    assert "'usb'" in text and "laser" in text


def test_unknown_key_is_reported_as_typo(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[display]\nfulscreen = true\n")
    with pytest.raises(ConfigError, match="display.fulscreen: unknown setting"):
        load_config(site, environ={})


def test_remote_backend_needs_url(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[backend]\nmode = "remote"\n')
    with pytest.raises(ConfigError, match="backend"):
        load_config(site, environ={})


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[display\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(site, environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_customer_number_pattern_example_must_match(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[[site.customer_number_formats]]\nname = "X"\npattern = "\\\\d{4}"\nexample = "12"\n'
    )
    with pytest.raises(ConfigError, match="customer_number_formats"):
        load_config(site, environ={})


def test_data_dir_override_and_fleet_layer() -> None:
    cfg = load_config(environ={}, data_dir=Path("/tmp/x"),
                      fleet_layer={"session": {"inactivity_timeout_s": 300}})
    assert cfg.data_dir == Path("/tmp/x")
    assert cfg.session.inactivity_timeout_s == 300


def test_merge_layers_is_deep() -> None:
    assert merge_layers({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_example_site_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "example-site.toml"
    cfg = load_config(example, environ={})
    assert cfg.display.mode == "fullscreen" and cfg.devices.camera.driver == "opencv"
