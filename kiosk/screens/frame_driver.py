"""Drive the running app frame by frame from plain code (used by benchmarks/bench_ui.py).

The caller's ``body`` runs once the first frame is on screen; it gets ``next_frame``, which
draws exactly one full frame (clock, layout, draw, flip), so code outside the UI layer can
time "action → frame on screen" without importing Kivy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.base import EventLoop
from kivy.clock import Clock

from kiosk.app import KioskApp

SETTLE_AFTER_FIRST_FRAME_S = 0.2


def next_frame() -> None:
    """Draw one full frame now."""
    EventLoop.idle()


def hand_in(app: KioskApp) -> None:
    """Press "hand in" on the summary screen (PDFs are built and stored on its worker)."""
    app.manager.get_screen("summary").submit()  # type: ignore[union-attr]


def screen_settled(app: KioskApp) -> bool:
    """The shown screen has its final content (e.g. the printer answered on the receipt)."""
    screen = app.manager.current_screen if app.manager is not None else None
    return screen is not None and bool(screen.is_settled())


def run_driven(app: KioskApp, body: Callable[[Callable[[], None]], None]) -> float:
    """Run ``app``; call ``body(next_frame)`` after its first frame, then stop the app.
    Returns the wall-clock time (``time.time()``) at which the first frame was drawn."""
    first: list[float] = []

    def drive(_dt: float) -> None:
        try:
            body(next_frame)
        finally:
            app.stop()

    def first_frame(_dt: float) -> None:
        first.append(time.time())
        Clock.schedule_once(drive, SETTLE_AFTER_FIRST_FRAME_S)

    Clock.schedule_once(first_frame, 0)
    app.run()
    return first[0]
