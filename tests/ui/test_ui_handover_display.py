"""Handing the screen from one UI process to the next on a real X display (Xvfb): the next
one opens its window hidden and shows it only once drawn, so the screen is never empty, and
``first-frame`` means a frame is on screen (kiosk.launch.run_ui, kiosk.app, kiosk.ui_host).

Two UI processes run as the ``kiosk run`` host starts them (``KIOSK_UI_HOSTED``); the test
reads the X screen while the second one starts, then ends the first one as the host would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageGrab

from kiosk.controllers.recycle import HOSTED_ENV, PROTOCOL

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]
BLACK = (0, 0, 0)  # the bare X screen: no window drawn there
SPOTS = ((640, 400), (20, 780), (1260, 60))


@pytest.fixture
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()
    yield f":{number}"
    server.terminate()
    server.wait(timeout=20)


def screen(name: str) -> list[tuple[int, ...]]:
    """The colour at a few spots of the X screen ``name``."""
    image = ImageGrab.grab(xdisplay=name).convert("RGB")
    pixels = [image.getpixel(spot) for spot in SPOTS]
    return [pixel if isinstance(pixel, tuple) else (0, 0, 0) for pixel in pixels]


def test_the_next_ui_appears_only_drawn_and_the_screen_is_never_empty(
        display: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=display, KIVY_HOME=str(tmp_path / "kivy"))
    env[HOSTED_ENV] = PROTOCOL
    env.pop("SDL_VIDEODRIVER", None)
    command = [sys.executable, "-m", "kiosk.cli", "run", "--data", str(tmp_path / "data")]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    first = start()
    second: subprocess.Popen[str] | None = None
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("first-frame ")
        attract = screen(display)
        assert BLACK not in attract  # "first-frame" is said when the frame is on screen
        time.sleep(1.0)
        second = start()
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.append(second.stdout.readline()
                                                             if second.stdout else ""))
        reader.start()
        seen = []
        deadline = time.monotonic() + 120
        while reader.is_alive() and time.monotonic() < deadline:
            seen.append(screen(display))
            time.sleep(0.02)
        reader.join(timeout=1)
        assert said and said[0].startswith("first-frame ")
        assert len(seen) > 5
        assert all(shot == attract for shot in seen)  # the old window until the new one drew
        first.terminate()  # the host tells the old one to go once the new one drew
        first.wait(timeout=30)
        time.sleep(0.3)
        assert screen(display) == attract  # the new window is there, drawn
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
            if process is not None:
                for pipe in (process.stdin, process.stdout):
                    if pipe is not None:
                        pipe.close()
