"""Fixtures for the video call browser tests: a real server with a counsellor account, a
kiosk with a waiting call kept alive by heartbeats, and Chromium with fake camera,
microphone and screen. Server and Chromium run inside the session's own network namespace
(``netns``): all WebRTC traffic stays on its veth pair."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.jobcentre.calls.netns import NetNs, netns
from tests.jobcentre.helpers import Kiosk, ServerProcess
from tests.jobcentre.staff.conftest import add_staff

__all__ = ["netns"]  # the session fixture, re-exported for pytest

MEDIA_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--disable-component-update", "--disable-sync",
               "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
               "--auto-select-desktop-capture-source=Entire screen",
               "--autoplay-policy=no-user-gesture-required"]


class WaitingKiosk:
    """A kiosk with one open call, beating its heart in a thread."""

    def __init__(self, server: ServerProcess, name: str) -> None:
        self.kiosk = Kiosk(server, name=name)
        self.call_id = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_call(self, language: str = "uk", topic: str = "benefits") -> str:
        """Queue a walk-in call and keep it alive."""
        answer = self.kiosk.call("POST", "/api/v1/calls", {"language": language, "topic": topic})
        assert answer.status_code == 201, answer.text
        self.call_id = answer.json()["call_id"]
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return self.call_id

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            self.kiosk.call("POST", f"/api/v1/calls/{self.call_id}/heartbeat", {})

    def status(self) -> dict[str, Any]:
        """The call as the kiosk sees it."""
        return dict(self.kiosk.call("GET", f"/api/v1/calls/{self.call_id}").json())

    def close(self) -> None:
        """Stop beating and close the HTTP client."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.kiosk.close()


@dataclass
class VideoSite:
    """A running server with a counsellor account."""

    server: ServerProcess

    @property
    def url(self) -> str:
        """The server's base URL for the browser, which runs in the same network namespace:
        loopback there, so that the pages are a secure context (camera, ``__Host-`` cookies)."""
        return "http://127.0.0.1:" + self.server.url.rsplit(":", 1)[1]


def start_video_site(base: Path, settings: dict[str, Any], netns: NetNs) -> VideoSite:
    """Start a server inside ``netns`` with ``video.json`` = ``settings`` and the staff
    accounts. It listens on the namespace's addresses only (its loopback for Chromium, its veth
    address for the tests and kiosks outside)."""
    data = base / "data"
    data.mkdir(parents=True)
    (data / "video.json").write_text(json.dumps(settings))
    server = ServerProcess(data, None, prefix=tuple(netns.prefix()), host="0.0.0.0",
                           reach=netns.ns_ip).start()
    add_staff(server, "clara", "counsellor")
    return VideoSite(server)


@pytest.fixture(scope="module")
def media_browser(netns: NetNs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Debian Chromium with fake camera, microphone and screen, inside ``netns``."""
    wrapper = netns.chromium_wrapper(tmp_path_factory.mktemp("chromium"))
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(wrapper), headless=True, args=MEDIA_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
