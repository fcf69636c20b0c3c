"""Fixtures for the video call browser tests: a real server with a counsellor account, a
kiosk with a waiting call kept alive by heartbeats, and Chromium with fake camera,
microphone and screen."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.jobcentre.helpers import Kiosk, ServerProcess
from tests.jobcentre.staff.conftest import CHROMIUM, add_staff

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
        """The server's base URL."""
        return self.server.url


def start_video_site(base: Path, settings: dict[str, Any]) -> VideoSite:
    """Start a server with ``video.json`` = ``settings`` and the staff accounts."""
    data = base / "data"
    data.mkdir(parents=True)
    (data / "video.json").write_text(json.dumps(settings))
    server = ServerProcess(data, None).start()
    add_staff(server, "clara", "counsellor")
    return VideoSite(server)


@pytest.fixture(scope="module")
def media_browser() -> Iterator[Browser]:
    """Headless Debian Chromium with fake camera, microphone and screen."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=MEDIA_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
