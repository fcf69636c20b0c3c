"""The same call with TURN only (``iceTransportPolicy: relay``): coturn from Debian started by
the test with ``use-auth-secret``, the server hands out short-lived REST credentials, and
media between counsellor and guest flows through the relay. ``allow-loopback-peers`` is for
this test only (both relays are on 127.0.0.1); never in production."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.jobcentre.calls.conftest import VideoSite, start_video_site
from tests.jobcentre.calls.test_browser import run_call
from tests.jobcentre.helpers import free_port

SECRET = "test-only-turn-secret"


def _coturn_config(base: Path, port: int) -> Path:
    config = base / "turnserver.conf"
    config.write_text("\n".join([
        "listening-ip=127.0.0.1", f"listening-port={port}", "relay-ip=127.0.0.1",
        "min-port=49160", "max-port=49260", "realm=jobcenter.test", "use-auth-secret",
        f"static-auth-secret={SECRET}", "fingerprint", "no-tls", "no-dtls", "no-cli",
        "allow-loopback-peers", f"log-file={base / 'turn.log'}", "simple-log",
        f"pidfile={base / 'turn.pid'}", f"userdb={base / 'turndb'}", ""]))
    return config


def _wait_udp_bound(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return  # coturn holds the port
        finally:
            probe.close()
        time.sleep(0.1)
    raise AssertionError("coturn did not start")


@pytest.fixture(scope="module")
def turn_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoSite]:
    if shutil.which("turnserver") is None:
        pytest.fail("coturn missing: ./quickstart test installs it (apt coturn)")
    base = tmp_path_factory.mktemp("turn")
    port = free_port()
    turn = subprocess.Popen(["turnserver", "-c", str(_coturn_config(base, port))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_udp_bound(port)
        site = start_video_site(base / "site", {
            "turn_urls": [f"turn:127.0.0.1:{port}?transport=udp"], "turn_secret": SECRET,
            "turn_ttl_s": 600, "ice_transport_policy": "relay"})
        try:
            yield site
        finally:
            site.server.stop()
    finally:
        turn.terminate()
        try:
            turn.wait(10)
        except subprocess.TimeoutExpired:
            turn.kill()
            turn.wait(10)


def test_call_through_turn_only(media_browser: Browser, turn_site: VideoSite) -> None:
    run_call(media_browser, turn_site, "de", shots=False, relay=True)
