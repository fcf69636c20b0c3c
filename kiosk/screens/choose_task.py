"""Choose-task screen: hand in documents, talk to a counsellor by video, or ask the service
desk for help."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.base import KioskScreen
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("choose_task.kv")))


class ChooseTaskScreen(KioskScreen):
    """What would you like to do?"""

    def upload(self) -> None:
        """Start handing in documents."""
        self.session.choose_upload()

    def video(self) -> None:
        """Start video counselling (device check first)."""
        self.session.dispatch(Event.CHOOSE_VIDEO)

    def staff_help(self) -> None:
        """Call a member of staff to the terminal."""
        self.session.dispatch(Event.CHOOSE_STAFF_HELP)

    def extra_spoken_text(self) -> list[str]:
        """The choices."""
        return [self.ids.upload.text, self.ids.video.text, self.ids.help.text]
