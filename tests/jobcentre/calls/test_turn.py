"""The same call with TURN only (``iceTransportPolicy: relay``): coturn from Debian started by
the test with ``use-auth-secret``, the server hands out short-lived REST credentials, and
media between counsellor and guest flows through the relay. coturn runs inside the session's
network namespace and listens and relays on its veth address only."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.jobcentre.calls.conftest import VideoSite, start_video_site
from tests.jobcentre.calls.netns import NetNs
from tests.jobcentre.calls.test_browser import run_call

SECRET = "test-only-turn-secret"


def _coturn_config(base: Path, address: str, port: int) -> Path:
    config = base / "turnserver.conf"
    config.write_text("\n".join([
        f"listening-ip={address}", f"listening-port={port}", f"relay-ip={address}",
        "min-port=49160", "max-port=49260", "realm=jobcenter.test", "use-auth-secret",
        f"static-auth-secret={SECRET}", "fingerprint", "no-tls", "no-dtls", "no-cli",
        f"log-file={base / 'turn.log'}", "simple-log",
        f"pidfile={base / 'turn.pid'}", f"userdb={base / 'turndb'}", ""]))
    return config


def _wait_stun_answers(address: str, port: int, timeout: float = 10) -> None:
    """Send STUN Binding requests until coturn answers one."""
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + os.urandom(12)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.2)
        while time.monotonic() < deadline:
            probe.sendto(request, (address, port))
            try:
                answer = probe.recv(2048)
            except OSError:  # timeout, or ICMP port unreachable before coturn listens
                time.sleep(0.1)
                continue
            if answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]:
                return
    raise AssertionError("coturn did not start")


@pytest.fixture(scope="module")
def turn_site(tmp_path_factory: pytest.TempPathFactory, netns: NetNs) -> Iterator[VideoSite]:
    if shutil.which("turnserver") is None:
        pytest.fail("coturn missing: ./quickstart test installs it (apt coturn)")
    base = tmp_path_factory.mktemp("turn")
    port = netns.port()
    config = _coturn_config(base, netns.ns_ip, port)
    turn = subprocess.Popen([*netns.prefix(), "turnserver", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_stun_answers(netns.ns_ip, port)
        site = start_video_site(base / "site", {
            "turn_urls": [f"turn:{netns.ns_ip}:{port}?transport=udp"], "turn_secret": SECRET,
            "turn_ttl_s": 600, "ice_transport_policy": "relay"}, netns)
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
