"""Letter screen: photograph the job centre's letter; its number is shown large to confirm.

The preview and the photo go through the capture controller (same camera and checks as
every page); reading the letter is the letter controller's (``kiosk.controllers.letter``).
The number found is never used silently: the visitor confirms it, or types it on the
keypad (which starts with the number read). A page that cannot be read says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from foundation.errors import KioskError
from kiosk.controllers.letter import LetterReading
from kiosk.screens.base import KioskScreen
from kiosk.screens.messages import HINT_TEXTS, REASON_TEXTS

Builder.load_file(str(Path(__file__).with_name("letter.kv")))

PREVIEW_FPS = 15
LETTER_SCREEN_MSGIDS = {
    "no_number": "No customer number was found on the letter. Please type it.",
}


class LetterScreen(KioskScreen):
    """Scan my letter."""

    mode = StringProperty("live")  # live | reading | result | problem
    hint = StringProperty("move_into_frame")
    number = StringProperty("")
    has_list = BooleanProperty(False)
    reasons = ListProperty([])
    camera_problem = StringProperty("")

    def on_enter(self, *_args: Any) -> None:
        """Open the camera and start the preview clock."""
        self.mode, self.number, self.reasons, self.camera_problem = "live", "", [], ""
        self.has_list = False
        try:
            self.app.services.capture.start()
        except KioskError as exc:
            self.camera_problem = exc.code
        self._event = Clock.schedule_interval(self._tick, 1 / PREVIEW_FPS)

    def on_leave(self, *_args: Any) -> None:
        """Stop the preview; the number read does not stay on screen."""
        event = getattr(self, "_event", None)
        if event is not None:
            event.cancel()
        self.app.services.capture.stop()
        self.number, self.reasons = "", []
        self.ids.preview.texture = None

    def _tick(self, _dt: float) -> None:
        if self.mode != "live" or App.get_running_app() is None:
            return
        controller = self.app.services.capture
        update = controller.poll_preview()
        if controller.last_error:
            self.camera_problem = controller.last_error
        if update is None:
            return
        self.camera_problem = ""
        frame = update.frame
        height, width = frame.shape[:2]
        texture = Texture.create(size=(width, height), colorfmt="bgr")
        texture.flip_vertical()
        texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.ids.preview.texture = texture
        guidance = update.guidance
        self.hint = guidance.hints[0] if guidance.hints else "ready"
        if guidance.ready_to_capture:
            self.take_photo()

    def is_settled(self) -> bool:
        """A preview frame is on screen (or the camera problem is shown)."""
        return self.ids.preview.texture is not None or bool(self.camera_problem) \
            or self.mode != "live"

    def take_photo(self) -> None:
        """Photograph the letter and read it (on the controller's worker)."""
        letter = self.app.services.letter
        if self.mode != "live" or letter is None:
            return
        if letter.read(self.session, self._read):
            self.mode = "reading"

    def _read(self, reading: LetterReading) -> None:
        if self.manager is None or self.manager.current != self.name:
            return
        if reading.problem is not None:
            self.reasons, self.mode = list(reading.reasons), "problem"
        else:
            self.number, self.has_list = reading.number or "", reading.has_list
            self.reasons = [] if reading.number else ["no_number"]
            self.mode = "result" if reading.number else "problem"
        scroller = self.ids.frame.ids.get("scroller")
        if scroller is not None:
            scroller.scroll_y = 1  # the answer starts at the top, as a new screen would
        if self.session.presentation.speech:
            self.app.read_aloud()

    def try_again(self) -> None:
        """Back to the live preview."""
        self.mode, self.reasons, self.number = "live", [], ""

    def confirm(self) -> None:
        """The number shown is the visitor's: go on with it."""
        letter = self.app.services.letter
        if letter is not None and self.mode == "result":
            result = letter.confirm_number(self.session)
            if result is not None and not result.ok:  # the keypad explains what is wrong
                letter.correct_number(self.session)

    def correct(self) -> None:
        """Type the number instead (the keypad starts with the number read)."""
        letter = self.app.services.letter
        if letter is not None:
            letter.correct_number(self.session)

    def spaced(self, number: str) -> str:
        """The number in groups of four, easy to compare with the letter."""
        return " ".join(number[i:i + 4] for i in range(0, len(number), 4))

    def status_text(self, mode: str, hint: str, reasons: list[str], problem: str,
                    *_deps: Any) -> str:
        """The one instruction shown under the preview."""
        tr = self.app.tr
        if problem:
            return tr(REASON_TEXTS.get(problem, REASON_TEXTS["camera_no_frame"]))
        if mode == "reading":
            return tr("Reading your letter …")
        if mode == "result":
            return tr("Is this your number? Compare it with your letter.")
        if mode == "problem":
            if reasons and reasons[0] == "no_number":
                return tr(LETTER_SCREEN_MSGIDS["no_number"])
            lines = [tr("The letter cannot be read yet:")]
            lines += [tr(REASON_TEXTS.get(r, REASON_TEXTS["capture_failed"])) for r in reasons]
            return "\n".join(lines)
        return tr(HINT_TEXTS.get(hint, HINT_TEXTS["move_into_frame"])[1])

    def status_icon(self, mode: str, hint: str, problem: str) -> str:
        """An icon that carries the same meaning as the colour."""
        if problem or mode == "problem":
            return "\u26A0"
        if mode == "result":
            return "\u2116"
        if mode == "reading":
            return "\u25F7"
        return HINT_TEXTS.get(hint, HINT_TEXTS["move_into_frame"])[0]

    def extra_spoken_text(self) -> list[str]:
        """The instruction, and the number character by character."""
        from accessibility.speech import spoken_customer_number

        parts = [self.status_text(self.mode, self.hint, list(self.reasons), self.camera_problem)]
        if self.mode == "result" and self.number:
            parts.append(spoken_customer_number(self.number, self.app.lang))
        if self.mode == "result" and self.has_list:
            parts.append(self.app.tr_plain("Your letter asks for documents. "
                                           "After this you see the list."))
        return parts
