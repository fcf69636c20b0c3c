"""Attract screen: an idle terminal inviting people, in several languages, to touch."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget

from accessibility.bidi_text import prepare_for_label
from kiosk.screens.base import KioskScreen
from kiosk.session.states import Event

Builder.load_file(str(Path(__file__).with_name("attract.kv")))

# Shown in every language at once, so no translation lookup (each in its own script).
WELCOME_LINES: tuple[tuple[str, str], ...] = (
    ("de", "Willkommen – bitte Bildschirm berühren"),
    ("en", "Welcome – please touch the screen"),
    ("uk", "Ласкаво просимо – торкніться екрана"),
    ("ru", "Добро пожаловать – коснитесь экрана"),
    ("ar", "أهلاً وسهلاً – المس الشاشة"),
    ("tr", "Hoş geldiniz – ekrana dokunun"),
    ("fa", "خوش آمدید – صفحه را لمس کنید"),
    ("pl", "Witamy – dotknij ekranu"),
    ("ro", "Bun venit – atingeți ecranul"),
)


class StartArea(ButtonBehavior, Widget):
    """The whole screen is one touch target."""

    action = StringProperty("start")


class AttractScreen(KioskScreen):
    """Touch anywhere to start."""

    def welcome_lines(self) -> list[tuple[str, str]]:
        """(language, display text) pairs for the multilingual welcome."""
        return [(lang, prepare_for_label(text, lang)) for lang, text in WELCOME_LINES]

    def start(self) -> None:
        """Begin a session (not while the agent's gate holds new visitors back)."""
        if not self.app.admitting or not self.session.accepts_input:
            return
        self.session.dispatch(Event.TOUCH)

    def on_key(self, key: int) -> bool:
        """Any key starts, so a keypad user can begin too."""
        self.start()
        return True

    def spoken_text(self) -> str:
        """Read the welcome in German and English."""
        return ". ".join(text for _, text in WELCOME_LINES[:2])

    def on_kv_post(self, _base_widget: object) -> None:
        """Add one line per language, each in a font that covers its script."""
        from kivy.factory import Factory

        from accessibility.bidi_text import font_for
        from accessibility.languages import is_rtl

        for lang, text in self.welcome_lines():
            line = Factory.WelcomeLine(text=text, font_name=font_for(lang))
            line.fit = 0.42 if is_rtl(lang) else 0.6
            self.ids.lines.add_widget(line)
