"""Video counselling, a booked appointment: the visitor types the invitation code from the
letter on a large keypad, or holds the letter's QR code up to the camera. The call
controller asks the job centre; a refused code is explained in the visitor's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from kiosk.controllers.call_view import CALL_CODE_MSGIDS, CALL_FAILED_TEXT
from kiosk.screens.call_base import CallScreen
from kiosk.screens.keypad import build_keypad

Builder.load_file(str(Path(__file__).with_name("call_code.kv")))

DIGITS = "2345678901"  # 0/1/8 typed by mistake are read as O/I/B
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE_LENGTH = 12


class CallCodeScreen(CallScreen):
    """Invitation code entry; joining is the controller's."""

    typed = StringProperty("")
    letters = BooleanProperty(True)  # codes are mostly letters
    problem = StringProperty("")  # the refusal code shown, "" for none
    _size_followers: list[Any] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._size_followers = []

    def on_pre_enter(self, *args: object) -> None:
        """Start empty, with nothing refused yet."""
        self.typed, self.problem, self.letters = "", "", True
        if self.call is not None:
            self.call.clear_error()
        self.build_keys()
        super().on_pre_enter(*args)

    def refresh(self, view: Any) -> None:
        """Follow the controller; a new refusal is shown until the visitor types again."""
        shown = self.error
        super().refresh(view)
        if self.error and self.error != shown:
            self.problem = self.error
            if self.session.presentation.speech:
                self.app.read_aloud()

    def on_letters(self, *_args: object) -> None:
        """Switch between letter and digit keys."""
        self.build_keys()

    def build_keys(self) -> None:
        """Lay out the keypad."""
        keys = list(LETTERS) if self.letters else [*DIGITS[:9], "", DIGITS[9], ""]
        build_keypad(self.app, self.ids.keypad, keys, 6 if self.letters else 3, self.press,
                     self._size_followers)

    def press(self, key: str) -> None:
        """Type one character."""
        if len(self.typed) < CODE_LENGTH:
            self.typed += key
        self.problem = ""

    def delete(self) -> None:
        """Remove the last character."""
        self.typed = self.typed[:-1]
        self.problem = ""

    def join(self) -> None:
        """Ask the job centre to open the appointment with the typed code."""
        if self.call is not None and not self.starting:
            self.problem = ""
            self.call.join_with_code(self.typed)

    def scan_letter(self) -> None:
        """Read the code from the QR code of the letter held up to the camera."""
        if self.call is not None and not self.starting:
            self.problem = ""
            self.call.join_with_camera()

    def go_back(self) -> None:
        """Back to the consent (a refusal is not carried there)."""
        if self.call is not None:
            self.call.clear_error()
        super().go_back()

    def problem_text(self, problem: str, *_deps: Any) -> str:
        """The translated sentence for a refusal."""
        if not problem:
            return ""
        return str(self.app.tr(CALL_CODE_MSGIDS.get(problem, CALL_FAILED_TEXT)))

    @staticmethod
    def grouped(typed: str) -> str:
        """The code in groups of four, as printed in the letter."""
        return "-".join(typed[i:i + 4] for i in range(0, len(typed), 4)) or "_"

    def extra_spoken_text(self) -> list[str]:
        """The typed code character by character, a refusal, the buttons."""
        parts = [" ".join(self.typed)] if self.typed else []
        if self.problem:
            parts.append(self.problem_text(self.problem))
        return [*parts, self.ids.scan.text]

    def on_key(self, key: int) -> bool:
        """Hardware keyboard: letters/digits type, backspace deletes, enter joins."""
        if key == 8:
            self.delete()
        elif key in (13, 271) and self.app.focus.focused is None:
            self.join()
        elif 48 <= key <= 57 or 97 <= key <= 122:
            self.press(chr(key).upper())
        else:
            return False
        return True
