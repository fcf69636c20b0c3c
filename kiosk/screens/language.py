"""Language screen: every offered language in its own script, no flags."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from accessibility.bidi_text import font_for, prepare_for_label
from accessibility.languages import get_language
from kiosk.screens.base import KioskScreen
from kiosk.widgets import KButton

Builder.load_file(str(Path(__file__).with_name("language.kv")))


class LanguageScreen(KioskScreen):
    """Pick the language of the session (changeable later from every screen)."""

    def on_pre_enter(self, *_args: object) -> None:
        """Show the offered languages (built once: the names do not change), mark the current."""
        grid = self.ids.grid
        codes = list(self.session.config.accessibility.languages)
        if [button.action for button in reversed(grid.children)] != codes:
            grid.clear_widgets()
            for code in codes:
                button = KButton(text=prepare_for_label(get_language(code).native_name, code),
                                 action=code, font=font_for(code))
                button.speech_lang = code  # each language's name is spoken in that language
                button.bind(on_release=lambda _b, c=code: self.session.choose_language(c))
                grid.add_widget(button)
        self._mark_current()

    def on_session_change(self, what: str) -> None:
        """The language was changed from the top bar: move the mark."""
        if what == "presentation":
            self._mark_current()

    def _mark_current(self) -> None:
        for button in self.ids.grid.children:
            button.selected = button.action == self.app.lang

    def extra_spoken_text(self) -> list[str]:
        """The language names."""
        return [get_language(c).native_name for c in self.session.config.accessibility.languages]
