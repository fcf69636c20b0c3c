"""Video counselling, step 3: the waiting room (queue position and an honest estimate)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.call_base import CallScreen

Builder.load_file(str(Path(__file__).with_name("call_waiting.kv")))


class CallWaitingScreen(CallScreen):
    """Place in the queue; leaving hangs up."""

    def go_back(self) -> None:
        """Leave the queue."""
        if self.call is not None:
            self.call.leave()
        super().go_back()
