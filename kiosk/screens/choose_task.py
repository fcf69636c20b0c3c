"""Choose-task screen: hand in documents, talk to a counsellor by video, or ask the service
desk for help.

"Ask staff for help" raises a call through the help controller and keeps the visitor on this
step; the answer ("Help is on the way: Dora", or where the desk is) appears under the button
and is spoken if speech is on. While a call is under way the screen asks for news every few
seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.controllers.help import HelpView
from kiosk.screens.base import KioskScreen, spoken_form
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("choose_task.kv")))

POLL_S = 3.0


class ChooseTaskScreen(KioskScreen):
    """What would you like to do?"""

    help_text = StringProperty("")
    _poll_event: Any = None

    def upload(self) -> None:
        """Start handing in documents (the letter's checklist first, if there is one)."""
        letter = self.app.services.letter
        if letter is not None:
            letter.choose_upload(self.session)
        else:
            self.session.choose_upload()

    def video(self) -> None:
        """Start video counselling (device check first)."""
        self.session.dispatch(Event.CHOOSE_VIDEO)

    def staff_help(self) -> None:
        """Call a member of staff to the terminal; the visit goes on."""
        self.app.services.help.raise_call(self.app.lang, self.session.state.value,
                                          self.show_help)
        if self._poll_event is None:
            self._poll_event = Clock.schedule_interval(self._poll, POLL_S)

    def show_help(self, view: HelpView) -> None:
        """Show (and, if speech is on, say) the state of the call."""
        self.help_text = view.text
        if view.speak and self.session.presentation.speech:
            self.app.services.speech.speak(spoken_form(view.text), self.app.lang)

    def _poll(self, _dt: float) -> None:
        help_ = self.app.services.help
        if help_.active:
            help_.poll(self.app.lang, self.show_help)

    def on_leave(self, *_args: object) -> None:
        """Stop asking for news (the call itself stays open until the visit ends)."""
        if self._poll_event is not None:
            self._poll_event.cancel()
            self._poll_event = None
        if not self.app.services.help.active:
            self.help_text = ""

    def extra_spoken_text(self) -> list[str]:
        """The choices (and the state of a help call)."""
        return [self.ids.upload.text, self.ids.video.text, self.ids.help.text] + (
            [self.help_text] if self.help_text else [])
