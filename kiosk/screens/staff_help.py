"""Staff-help screen: the service desk has been called to this terminal."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty

from foundation.errors import KioskError
from kiosk.screens.base import KioskScreen
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("staff_help.kv")))


class StaffHelpScreen(KioskScreen):
    """Tells the visitor that help is on the way (or how to get it if the call failed)."""

    called = BooleanProperty(False)

    def on_pre_enter(self, *_args: object) -> None:
        """Raise the staff call through the agent (no personal data in it)."""
        try:
            answer = self.app.services.agent.call("staff_call")
        except KioskError:
            answer = {}
        self.called = bool(answer.get("ok"))

    def done(self) -> None:
        """Finish the visit."""
        self.session.dispatch(Event.DONE)
