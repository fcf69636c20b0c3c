"""Start the Kivy app for real (``kiosk run``) or headlessly for one screenshot.

No Kivy import at module level: the environment must be prepared before Kivy loads, and
the other subcommands must not need a display.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from accessibility.languages import LANGUAGES
from config.model import KioskConfig
from kiosk.kivy_env import prepare_kivy_environment
from kiosk.session.session import Session
from kiosk.session.states import SessionState

log = logging.getLogger(__name__)

SCREEN_NAMES: tuple[str, ...] = tuple(state.value for state in SessionState)


def run_kiosk(config: KioskConfig) -> int:
    """Run the touchscreen terminal until it is closed (window mode) or stopped."""
    display = config.display
    prepare_kivy_environment(headless=False, mode=display.mode,
                             size=(display.width_px, display.height_px))
    from kiosk.app import KioskApp
    from kiosk.services import build_services

    services = build_services(config)
    session = Session(config, time.monotonic, services.data_dir / "session")
    try:
        KioskApp(session, services).run()
    finally:
        session.wipe()
        services.close()
    return 0


def render_screenshot(
    config: KioskConfig, screen: str, lang: str, font_scale: float, theme_name: str, out: Path
) -> int:
    """Render ``screen`` in ``lang`` to ``out`` (PNG) with sample data, no display needed."""
    if screen not in SCREEN_NAMES:
        print(f"unknown screen {screen!r}; known: {', '.join(SCREEN_NAMES)}", file=sys.stderr)
        return 2
    if lang not in LANGUAGES:
        print(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}", file=sys.stderr)
        return 2
    if not 1.0 <= font_scale <= 2.0:
        print("--font-scale must be between 1.0 and 2.0", file=sys.stderr)
        return 2
    display = config.display
    prepare_kivy_environment(headless=True, mode="window",
                             size=(display.width_px, display.height_px))
    from kiosk.screens.render import render_one
    from kiosk.services import build_services

    scratch_data = Path(tempfile.mkdtemp(prefix="kiosk-screenshot-"))
    try:
        demo_config = config.model_copy(update={"data_dir": scratch_data})
        services = build_services(demo_config)
        session = Session(demo_config, time.monotonic, scratch_data / "session")
        try:
            render_one(session, services, screen, lang, font_scale, theme_name, out)
        finally:
            session.wipe()
            services.close()
    finally:
        shutil.rmtree(scratch_data, ignore_errors=True)
    print(out)
    return 0
