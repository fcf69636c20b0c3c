"""Goodbye screen: thanks, reminds to take the receipt, says that nothing was kept."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("goodbye.kv")))


class GoodbyeScreen(KioskScreen):
    """The last screen of every visit; touching it (or waiting) erases the session."""

    def finish(self) -> None:
        """Erase the session now."""
        self.session.dispatch(Event.TOUCH)
