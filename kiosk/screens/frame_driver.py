"""Drive the running app frame by frame from plain code (used by benchmarks/bench_ui.py).

The caller's ``body`` runs once the first frame is on screen; it gets ``next_frame``, which
draws exactly one full frame (clock, layout, draw, flip), so code outside the UI layer can
time "action → frame on screen" without importing Kivy.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.base import EventLoop
from kivy.clock import Clock

from kiosk.app import KioskApp
from kiosk.screens.base import post_to_ui

__all__ = ["hand_in", "next_frame", "post_to_ui", "run_driven", "screen_settled"]

SETTLE_AFTER_FIRST_FRAME_S = 0.2


def next_frame() -> None:
    """Draw one full frame now."""
    EventLoop.idle()


def hand_in(app: KioskApp) -> None:
    """Press "hand in" on the summary screen (PDFs are built and stored on its worker)."""
    assert app.manager is not None
    app.manager.get_screen("summary").submit()


def screen_settled(app: KioskApp) -> bool:
    """The shown screen has its final content (e.g. the printer answered on the receipt)."""
    screen = app.manager.current_screen if app.manager is not None else None
    return screen is not None and bool(screen.is_settled())


def run_driven(app: KioskApp, body: Callable[[Callable[[], None]], None]) -> float:
    """Run ``app``; call ``body(next_frame)`` once its first frame is on screen and every
    screen is built, then stop the app. Returns the wall-clock time (``time.time()``) at
    which the first frame was on screen (after its buffer flip)."""

    def drive(_dt: float) -> None:
        try:
            body(next_frame)
        finally:
            if not app.recycled:  # a recycled app has stopped itself
                app.stop()

    def wait_until_ready(_dt: float) -> None:
        if app.ready:
            Clock.schedule_once(drive, SETTLE_AFTER_FIRST_FRAME_S)
        else:
            Clock.schedule_once(wait_until_ready, 0)

    Clock.schedule_once(wait_until_ready, 0)
    app.run()
    assert app.first_frame_at is not None
    return app.first_frame_at
