"""A private network namespace for the WebRTC tests.

aioice and Chromium never offer loopback ICE candidates, and test traffic may only go to
loopback or to hosts the test run creates itself. So the session creates ``jc-<pid>`` with a
veth pair: ``10.77.<n>.1/24`` on the host side (the pytest process, the aiortc kiosk) and
``10.77.<n>.2/24`` inside (kiosk-server, Chromium, coturn). ``ip netns del`` removes the
namespace and both veth ends at the end of the session, also after failures."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.jobcentre.staff.conftest import CHROMIUM

FIRST_PORT = 20000  # ports inside the namespace are handed out from here (it is ours alone)
PORTS = 64


@dataclass
class NetNs:
    """A network namespace created by this test session."""

    name: str
    host_ip: str  # the host-side veth address (root namespace)
    ns_ip: str  # the address inside the namespace
    ip: str  # the ``ip`` binary
    _ports: Iterator[int] = field(default_factory=lambda: iter(range(FIRST_PORT,
                                                                       FIRST_PORT + PORTS)))

    def prefix(self) -> list[str]:
        """Command prefix that runs a program inside the namespace."""
        return [self.ip, "netns", "exec", self.name]

    def port(self) -> int:
        """A port inside the namespace that nothing else uses."""
        try:
            return next(self._ports)
        except StopIteration:
            raise AssertionError(f"more than {PORTS} ports asked for in {self.name}") from None

    @property
    def host_if(self) -> str:
        """The host-side veth end (``jc<pid>h`` for ``jc-<pid>``)."""
        return self.name.replace("-", "") + "h"

    def cut_host_side(self, cut: bool) -> None:
        """Take the host-side veth end down (``cut``) or up again: everything this process
        (the kiosk) sends into the namespace is lost, while traffic inside it (the browsers
        among themselves, coturn) goes on."""
        _run(self.ip, "link", "set", self.host_if, "down" if cut else "up")

    def chromium_wrapper(self, folder: Path) -> Path:
        """An executable that starts Debian's Chromium inside the namespace (Playwright talks
        to it over a pipe, which ``ip netns exec`` passes on)."""
        script = folder / "chromium-in-netns"
        script.write_text(f'#!/bin/sh\nexec {self.ip} netns exec {self.name} {CHROMIUM} "$@"\n')
        script.chmod(0o755)
        return script


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")


def _used_subnets(ip: str) -> set[int]:
    listing = subprocess.run([ip, "-o", "-4", "addr", "show"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    used = set()
    for word in listing.split():
        if word.startswith("10.77."):
            used.add(int(word.split(".")[2]))
    return used


def create(pid: int, suffix: str = "") -> NetNs:
    """Create ``jc-<pid><suffix>`` with a veth pair on a 10.77.<n>.0/24 no interface here
    uses (``suffix``, one letter, tells apart namespaces of one process)."""
    ip = shutil.which("ip")
    assert ip is not None
    used = _used_subnets(ip)
    subnet = next(n for n in itertools.chain(range(1 + pid % 250, 251), range(1, 251))
                  if n not in used)
    net = ipaddress.ip_network(f"10.77.{subnet}.0/24")
    host_ip, ns_ip = str(net[1]), str(net[2])
    name, host_if, ns_if = f"jc-{pid}{suffix}", f"jc{pid}{suffix}h", f"jc{pid}{suffix}n"
    _run(ip, "netns", "add", name)
    try:
        _run(ip, "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        _run(ip, "link", "set", ns_if, "netns", name)
        _run(ip, "addr", "add", f"{host_ip}/24", "dev", host_if)
        _run(ip, "link", "set", host_if, "up")
        _run(ip, "-n", name, "addr", "add", f"{ns_ip}/24", "dev", ns_if)
        _run(ip, "-n", name, "link", "set", ns_if, "up")
        _run(ip, "-n", name, "link", "set", "lo", "up")
    except BaseException:
        delete(NetNs(name, host_ip, ns_ip, ip), host_if)
        raise
    return NetNs(name, host_ip, ns_ip, ip)


def delete(netns: NetNs, host_if: str = "") -> None:
    """Stop what still runs inside (only this session's processes can be there), then remove
    the namespace; its veth end goes with it, and with that the host end."""
    pids = subprocess.run([netns.ip, "netns", "pids", netns.name], capture_output=True,
                          text=True, timeout=30, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    subprocess.run([netns.ip, "netns", "del", netns.name], capture_output=True, timeout=30,
                   check=False)
    if host_if:
        subprocess.run([netns.ip, "link", "del", host_if], capture_output=True, timeout=30,
                       check=False)


@contextlib.contextmanager
def private_netns(suffix: str = "") -> Iterator[NetNs]:
    """A namespace of this process for the block (skips the test without root or iproute2)."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 'ip' missing: the WebRTC tests need a private network namespace")
    if os.geteuid() != 0:
        pytest.skip("not root: the WebRTC tests need 'ip netns add' (run them as root, as CI)")
    created = create(os.getpid(), suffix)
    try:
        yield created
    finally:
        delete(created)


@pytest.fixture(scope="session")
def netns() -> Iterator[NetNs]:
    """The session's network namespace (needs root and iproute2; skips without them)."""
    with private_netns() as created:
        yield created
