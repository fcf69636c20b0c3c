"""Config rules for the job-centre server: https://, CA file, pin, and no embedded kiosk mode."""

from pathlib import Path

import pytest

from config.loader import load_config
from config.model import server_url_problem
from foundation.errors import ConfigError


def _load(tmp_path: Path, text: str):
    site = tmp_path / "site.toml"
    site.write_text(text)
    return load_config(site, environ={})


@pytest.mark.parametrize("url", ["http://intake.jobcenter.example", "http://10.0.0.5:8443",
                                 "http://[2001:db8::1]:80"])
def test_plain_http_to_another_machine_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="backend.*must use https://"):
        _load(tmp_path, f'[backend]\nmode = "remote"\nurl = "{url}"\n')


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765",
                                 "http://[::1]:8765", "https://intake.jobcenter.example"])
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert server_url_problem(url) is None


@pytest.mark.parametrize("url", ["ftp://x", "https://", "https://host:notaport", "intake"])
def test_not_a_url(url: str) -> None:
    assert "not a server URL" in (server_url_problem(url) or "")


def test_ca_file_and_pin(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    base = '[backend]\nmode = "remote"\nurl = "https://jc.example"\n'
    cfg = _load(tmp_path, base + f'ca_file = "{ca}"\npin_sha256 = "{"AB" * 32}"\n')
    assert cfg.backend.ca_file == ca and cfg.backend.pin_sha256 == "AB" * 32
    with pytest.raises(ConfigError, match="backend.ca_file.*does not exist"):
        _load(tmp_path, base + f'ca_file = "{tmp_path / "missing.pem"}"\n')
    with pytest.raises(ConfigError, match="backend.pin_sha256"):
        _load(tmp_path, base + 'pin_sha256 = "abc"\n')
    with pytest.raises(ConfigError, match="need url = 'https://"):
        _load(tmp_path, '[backend]\nmode = "remote"\nurl = "http://127.0.0.1:1"\n'
                        f'pin_sha256 = "{"ab" * 32}"\n')


def test_embedded_centre_is_refused_in_fullscreen_kiosk_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, '[display]\nmode = "fullscreen"\n')
    text = str(refused.value)
    assert 'backend.mode = "embedded"' in text and 'display.mode = "fullscreen"' in text
    assert "only for trying the kiosk out" in text
    assert _load(tmp_path, '[display]\nmode = "window"\n').backend.mode == "embedded"
