"""Video counselling, step 1: the visitor sees themselves, watches the microphone level
and hears a test tone before anyone else sees or hears them."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.call_base import CallScreen

Builder.load_file(str(Path(__file__).with_name("call_check.kv")))


class CallCheckScreen(CallScreen):
    """Self view, level meter, test tone."""

    def on_pre_enter(self, *args: object) -> None:
        """Open the devices for the check."""
        if self.call is not None:
            self.call.open_device_check(self.session)
        super().on_pre_enter(*args)

    def test_tone(self) -> None:
        """Play the test tone."""
        if self.call is not None:
            self.call.play_test_tone()

    def devices_ok(self) -> None:
        """Seen and heard: on to the consent."""
        if self.call is not None:
            self.call.devices_ok()

    def go_back(self) -> None:
        """Back to the choice of task; the devices are released."""
        if self.call is not None:
            self.call.leave()
        super().go_back()
