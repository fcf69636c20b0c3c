"""coturn from Debian for the TURN-only call tests: started inside the session's network
namespace with ``use-auth-secret``, listening and relaying on the namespace's veth address
(``allow-loopback-peers`` is not needed there: the relays are not on loopback)."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.jobcentre.calls.netns import NetNs

SECRET = "test-only-turn-secret"


def coturn_config(base: Path, address: str, port: int) -> Path:
    """A turnserver.conf for one test run under ``base``."""
    config = base / "turnserver.conf"
    config.write_text("\n".join([
        f"listening-ip={address}", f"listening-port={port}", f"relay-ip={address}",
        "min-port=49160", "max-port=49260", "realm=jobcenter.test", "use-auth-secret",
        f"static-auth-secret={SECRET}", "fingerprint", "no-tls", "no-dtls", "no-cli",
        f"log-file={base / 'turn.log'}", "simple-log",
        f"pidfile={base / 'turn.pid'}", f"userdb={base / 'turndb'}", ""]))
    return config


def wait_stun_answers(address: str, port: int, timeout: float = 10) -> None:
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


@contextmanager
def running_coturn(base: Path, netns: NetNs) -> Iterator[dict[str, Any]]:
    """Run coturn in ``netns``; yields the ``video.json`` settings for TURN only."""
    if shutil.which("turnserver") is None:
        pytest.fail("coturn missing: ./quickstart test installs it (apt coturn)")
    port = netns.port()
    config = coturn_config(base, netns.ns_ip, port)
    turn = subprocess.Popen([*netns.prefix(), "turnserver", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_stun_answers(netns.ns_ip, port)
        yield {"turn_urls": [f"turn:{netns.ns_ip}:{port}?transport=udp"], "turn_secret": SECRET,
               "turn_ttl_s": 600, "ice_transport_policy": "relay"}
    finally:
        turn.terminate()
        try:
            turn.wait(10)
        except subprocess.TimeoutExpired:
            turn.kill()
            turn.wait(10)
