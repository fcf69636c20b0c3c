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
        """Fill the grid with the offered languages."""
        grid = self.ids.grid
        grid.clear_widgets()
        for code in self.session.config.accessibility.languages:
            language = get_language(code)
            button = KButton(text=prepare_for_label(language.native_name, code), action=code,
                             selected=code == self.app.lang)
            button.ids.btn_label.font_name = font_for(code)
            button.speech_lang = code  # each language's name is spoken in that language
            button.bind(on_release=lambda _b, c=code: self.session.choose_language(c))
            grid.add_widget(button)

    def extra_spoken_text(self) -> list[str]:
        """The language names."""
        return [get_language(c).native_name for c in self.session.config.accessibility.languages]
