"""Identify screen: the visitor types their customer number on a large keypad.

The number is checked against the site's formats; a typo gets a sentence saying what is
wrong and an example, and the typed characters are spoken one by one when read aloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.screens.keypad import build_keypad
from kiosk.session.customer_number import PROBLEM_MESSAGES
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("identify.kv")))

DIGITS = "123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_LENGTH = 20


class IdentifyScreen(KioskScreen):
    """Customer number entry."""

    typed = StringProperty("")
    letters = BooleanProperty(False)
    problem = StringProperty("")
    can_scan = BooleanProperty(False)  # "Scan my letter" (the letter controller is there)
    _size_followers: list[Any] = []  # the keys' text-size bindings (replaced per screen)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._size_followers = []

    def on_pre_enter(self, *_args: object) -> None:
        """Start empty (a number is never shown to the next person)."""
        letter = self.app.services.letter
        read = letter.letter(self.session) if letter is not None else None
        # back from the letter to correct its number: start with the number read
        self.typed = self.session.data.customer_number or (read.number if read else "") or ""
        self.problem = ""
        self.can_scan = letter is not None
        self.letters = False  # each visitor starts on the digit keys
        if not self.ids.keypad.children:  # keys do not depend on the language: built once
            self.build_keys()

    def on_letters(self, *_args: object) -> None:
        """Switch between digit and letter keys."""
        self.build_keys()

    def build_keys(self) -> None:
        """Lay out the keypad."""
        keys = list(LETTERS) if self.letters else [*DIGITS, "", "0", ""]
        build_keypad(self.app, self.ids.keypad, keys, 6 if self.letters else 3, self.press,
                     self._size_followers)

    def scan_letter(self) -> None:
        """Read the number (and the checklist) from the job centre's letter."""
        self.session.dispatch(Event.SCAN_LETTER)

    def press(self, key: str) -> None:
        """Type one character."""
        if len(self.typed) < MAX_LENGTH:
            self.typed += key
        self.problem = ""

    def delete(self) -> None:
        """Remove the last character."""
        self.typed = self.typed[:-1]
        self.problem = ""

    def confirm(self) -> None:
        """Check the number; move on or explain the problem."""
        result = self.session.identify(self.typed)
        if not result.ok and result.problem is not None:
            self.problem = result.problem
            if self.session.presentation.speech:
                self.app.read_aloud()  # the problem is spoken as soon as it is shown

    def problem_text(self, problem: str) -> str:
        """The translated sentence for a problem code, with the site's example."""
        if not problem:
            return ""
        check = self.session.data.number_problem
        example = check.example if check is not None else ""
        text = self.app.tr(PROBLEM_MESSAGES[problem])
        return text + "\n" + self.app.tr("Example: {example}", example=example or "")

    def spaced(self, typed: str) -> str:
        """Show the number in groups so it is easy to compare with the letter."""
        return " ".join(typed[i:i + 4] for i in range(0, len(typed), 4)) or "_"

    def extra_spoken_text(self) -> list[str]:
        """The typed number, character by character."""
        from accessibility.speech import spoken_customer_number

        parts = [spoken_customer_number(self.typed, self.app.lang)] if self.typed else []
        if self.problem:
            parts.append(self.problem_text(self.problem))
        return parts

    def on_key(self, key: int) -> bool:
        """Hardware keyboard: digits/letters type, backspace deletes, enter confirms."""
        if key == 8:
            self.delete()
        elif key in (13, 271) and self.app.focus.focused is None:
            self.confirm()
        elif 48 <= key <= 57 or 97 <= key <= 122:
            self.press(chr(key).upper())
        else:
            return False
        return True
