"""Prepare the process environment before Kivy is imported (Kivy reads it at import).

Kept free of Kivy imports so the CLI can call it first. Headless runs (tests, the
``screenshot`` command, CI) use SDL's offscreen driver with Mesa; a machine without a
display can also run the real app under ``xvfb-run``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from accessibility.bidi_text import KIVY_ENV


def prepare_kivy_environment(
    *,
    headless: bool,
    mode: str = "window",
    size: tuple[int, int] = (1280, 800),
    kivy_home: Path | None = None,
) -> None:
    """Set the variables Kivy and SDL read at import time (``KCFG_*`` override Kivy's config)."""
    fullscreen = mode == "fullscreen"
    os.environ["KCFG_KIVY_EXIT_ON_ESCAPE"] = "0" if fullscreen else "1"
    os.environ["KCFG_GRAPHICS_WIDTH"] = str(size[0])
    os.environ["KCFG_GRAPHICS_HEIGHT"] = str(size[1])
    os.environ["KCFG_GRAPHICS_BORDERLESS"] = "1" if fullscreen else "0"
    os.environ["KCFG_GRAPHICS_FULLSCREEN"] = "auto" if fullscreen and not headless else "0"
    os.environ["KCFG_INPUT_MOUSE"] = "mouse,multitouch_on_demand"
    os.environ["KCFG_KIVY_LOG_LEVEL"] = "warning"
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    home = kivy_home or Path(tempfile.gettempdir()) / f"kiosk-kivy-{os.getuid()}"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(home))
    if headless or not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    # Multi-touch screens report each touch twice (mouse + touch) without this.
    os.environ.setdefault("KIVY_MOUSE_DISABLE_MULTITOUCH", "1")
    # Right-to-left shaping: Kivy's PIL text provider with raqm (see accessibility.bidi_text).
    os.environ.update(KIVY_ENV)
