"""Start the real app offscreen and record what exists at its first frame (run by
test_start.py in its own process: one Kivy window per process)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kiosk.kivy_env import prepare_kivy_environment


def main(out: Path, touch_at_first_frame: bool) -> None:
    """Start, walk to the language screen and end the session; write what was seen.
    With ``touch_at_first_frame`` the visitor touches before the other screens are built."""
    prepare_kivy_environment(headless=True, size=(1280, 800))
    from kivy.core.window import Window

    from config.loader import load_config
    from kiosk.app import KioskApp
    from kiosk.screens.frame_driver import run_driven
    from kiosk.services import build_services
    from kiosk.session.session import Session
    from kiosk.session.states import Event

    data = Path(tempfile.mkdtemp(prefix="start-probe-"))
    config = load_config(data_dir=data, environ={})
    services = build_services(config)
    session = Session(config, time.monotonic, data / "session")
    app = KioskApp(session, services)
    seen: dict[str, Any] = {}

    def first_flip(*_args: Any) -> None:
        if "at_first_frame" not in seen:
            assert app.manager is not None
            seen["at_first_frame"] = list(app.manager.screen_names)
            seen["shown_at_first_frame"] = app.manager.current
            seen["overlays_at_first_frame"] = list(app.overlays.built) if app.overlays else None
            if touch_at_first_frame:
                session.dispatch(Event.TOUCH)
                seen["built_on_demand"] = app.manager.current

    Window.bind(on_flip=first_flip)

    def body(next_frame: Any) -> None:
        assert app.manager is not None
        seen["when_ready"] = sorted(app.manager.screen_names)
        seen["overlays_when_ready"] = sorted(app.overlays.built) if app.overlays else None
        if not touch_at_first_frame:
            session.dispatch(Event.TOUCH)
        next_frame()
        seen["after_touch"] = app.manager.current
        session.dispatch(Event.END)
        next_frame()
        seen["after_end"] = app.manager.current

    run_driven(app, body)
    services.close()
    out.write_text(json.dumps(seen))


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--touch-at-first-frame" in sys.argv)
