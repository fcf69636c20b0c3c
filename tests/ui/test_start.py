"""Start-up: the first frame shows the attract screen before the other screens are built;
the screens of an upload visit exist once the app is ready (the rarer ones are built when a
visitor first goes there), and the visitor's first touch finds its screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.launch import SCREEN_NAMES

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]
#: built when first needed, not at start (kiosk.screens.ON_DEMAND_SCREENS)
ON_DEMAND = {"staff_help", "call_check", "call_consent", "call_waiting", "call_code",
             "in_call", "letter", "checklist"}
READY = sorted(set(SCREEN_NAMES) - ON_DEMAND)


def start(tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run the start probe in its own process; what it saw."""
    out = tmp_path / "start.json"
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"))
    subprocess.run([sys.executable, "-m", "tests.ui.start_probe", str(out), *extra],
                   cwd=ROOT, env=env, timeout=300, check=True, capture_output=True)
    seen: dict[str, Any] = json.loads(out.read_text())
    return seen


def test_first_frame_needs_only_the_attract_screen(tmp_path: Path) -> None:
    seen = start(tmp_path)
    assert seen["at_first_frame"] == ["attract"]
    assert seen["shown_at_first_frame"] == "attract"
    assert seen["when_ready"] == READY
    # the overlays are built when first opened, not at start (memory)
    assert seen["overlays_at_first_frame"] == []
    assert seen["overlays_when_ready"] == []
    assert seen["after_touch"] == "language"
    assert seen["after_end"] == "attract"


def test_a_touch_before_the_other_screens_are_built_finds_its_screen(tmp_path: Path) -> None:
    seen = start(tmp_path, "--touch-at-first-frame")
    assert seen["at_first_frame"] == ["attract"]
    assert seen["built_on_demand"] == "language"
    assert seen["when_ready"] == READY
    assert seen["after_end"] == "attract"
