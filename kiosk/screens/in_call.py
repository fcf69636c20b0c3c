"""Video counselling, step 4: the call. The counsellor large, the visitor's own image
small with a "camera on" light, and big controls: mute, camera, volume, text size, call
staff, chat read aloud, end the call (with a confirmation)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screens.call_base import CallScreen

Builder.load_file(str(Path(__file__).with_name("in_call.kv")))


class InCallScreen(CallScreen):
    """Forwards the visitor's controls to the call controller."""

    def toggle_mute(self) -> None:
        """Microphone off or on."""
        self.call.set_muted(not self.muted)

    def toggle_camera(self) -> None:
        """Camera off or on."""
        self.call.set_camera(not self.camera_on)

    def change_volume(self, step: float) -> None:
        """Louder or quieter by ``step``."""
        self.call.set_volume(self.call.view.volume + step)

    def read_chat(self) -> None:
        """Read the counsellor's chat text aloud."""
        text = " ".join(self.chat.values())
        if text:
            self.app.services.speech.speak(text, self.session.presentation.language)

    def extra_spoken_text(self) -> list[str]:
        """The chat text."""
        return list(self.chat.values())
