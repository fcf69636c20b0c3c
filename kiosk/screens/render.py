"""Render one screen headlessly to a PNG (``kiosk screenshot``), with sample data."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.app import KioskApp

SETTLE_TIMEOUT_S = 20.0  # camera's first frame, printer's answer


def snapshot(out: Path) -> Path:
    """Save the window to ``out`` (Kivy appends a counter; move the file into place)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = Window.screenshot(name=str(out.with_suffix("")) + "-tmp.png")
    shutil.move(written, out)
    return out


def render_one(session: Any, services: Any, screen: str, lang: str, font_scale: float,
               theme_name: str, out: Path) -> None:
    """Start the app, bring the session to ``screen`` and save one frame."""
    from kiosk.screens.flows import prepare_screen

    app = KioskApp(session, services)
    session.presentation.language = lang
    session.presentation.text_scale = font_scale
    session.presentation.theme = theme_name

    waited = [0.0]

    def shoot(dt: float) -> None:
        waited[0] += dt
        current = app.root.current_screen if app.root is not None else None
        settled = current is not None and current.is_settled()
        if not settled and waited[0] < SETTLE_TIMEOUT_S:
            Clock.schedule_once(shoot, 0.1)
            return
        try:
            snapshot(out)
        finally:
            app.stop()

    def ready(_dt: float) -> None:
        prepare_screen(app, screen, lang, font_scale, theme_name)
        Clock.schedule_once(shoot, 0.3)

    Clock.schedule_once(ready, 0.1)
    app.run()
