"""Video counselling, step 2: who will see and hear the visitor, and that nothing is
recorded; the visitor agrees by asking for the next counsellor, or by going on to the code
of a booked appointment."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.call_base import CallScreen
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("call_consent.kv")))


class CallConsentScreen(CallScreen):
    """Consent, then into the queue."""

    def agree(self) -> None:
        """The visitor agrees: join the queue in their language."""
        if self.call is not None:
            self.call.start_walk_in(self.session.presentation.language, "other")

    def enter_code(self) -> None:
        """The visitor has a booked appointment: on to its code (consent given as well)."""
        if self.session.can(Event.ENTER_CODE):
            self.session.dispatch(Event.ENTER_CODE)

    def extra_spoken_text(self) -> list[str]:
        """What is shared, and the buttons."""
        return [self.ids.who.text, self.ids.agree.text, self.ids.code.text]
