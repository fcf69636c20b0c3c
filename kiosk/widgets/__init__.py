"""Shared widgets of the kiosk UI: labels and buttons that follow the theme tokens,
the visitor's text size and language direction, and the top and bottom bars.

All sizes derive from ``app`` properties (``touch_px``, ``fs_*``, ``c``), which the app
recomputes when the visitor changes text size, theme or language; nothing here knows
about the session.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.widgets.text_extents import install_extents_memo

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
install_extents_memo()


class LazyLabel(Label):
    """A label that re-renders its text only while it is on the window.

    A language or text-size change touches every label of every screen; rendering the
    hidden ones would cost hundreds of milliseconds per change. Hidden labels are marked
    stale instead and rendered by ``render_stale_labels`` when their screen or panel opens.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._texture_stale = False
        self._trigger_texture = Clock.create_trigger(self._texture_update_if_shown, -1)

    def _texture_update_if_shown(self, *_args: object) -> None:
        if self.get_root_window() is None:
            self._texture_stale = True
            return
        self._texture_stale = False
        self.texture_update()


def render_stale_labels(root: object, *_args: object) -> None:
    """Render every label under ``root`` that changed while it was hidden (call on show)."""
    if getattr(root, "parent", None) is None:
        return
    for widget in root.walk(restrict=True):  # type: ignore[attr-defined]
        if isinstance(widget, LazyLabel) and widget._texture_stale:
            widget._texture_stale = False
            widget.texture_update()


class KLabel(LazyLabel):
    """A themed, wrapping label whose height follows its text."""

    role = StringProperty("body")


class DirectionalBox(BoxLayout):
    """A horizontal box whose children run right to left in Arabic and Farsi.

    The layout is mirrored by position after the normal left-to-right layout, so it holds
    however and whenever the children were added (kv rule, Python, before or after the
    language changed).
    """

    rtl = BooleanProperty(False)

    def on_rtl(self, _instance: object, _value: bool) -> None:
        """Lay out again in the new direction."""
        self._trigger_layout()

    def do_layout(self, *args: object) -> None:
        """Left-to-right layout, then mirror every child's position in right-to-left."""
        super().do_layout(*args)
        if self.rtl and self.orientation == "horizontal":
            for child in self.children:
                child.x = self.x + self.right - child.right


class KButton(ButtonBehavior, DirectionalBox):
    """A large touch target: optional icon glyph, text, colour role from the theme.

    The icon sits at the reading start: left in German, right in Arabic and Farsi.
    """

    text = StringProperty("")
    icon = StringProperty("")
    # Mirror the icon (arrows in right-to-left) by drawing, not by changing its glyph: a new
    # glyph of the same size rewrites the texture on screen, which stalls the GL driver.
    mirror_icon = BooleanProperty(False)
    font = StringProperty("")  # a fixed font for the text (a language's own name); else app.font
    role = StringProperty("secondary")
    selected = BooleanProperty(False)
    focused = BooleanProperty(False)
    action = StringProperty("")
    fs = NumericProperty(0)
    speech_lang = StringProperty("")  # speak this control in another language than the screen

    def on_press(self) -> None:
        """Every press counts as visitor activity."""
        app = App.get_running_app()
        if app is not None and hasattr(app, "on_visitor_activity"):
            app.on_visitor_activity()


class IconLabel(DirectionalBox):
    """An icon glyph (symbol font) beside a wrapping text, mirrored for right-to-left.

    Text fonts lack most symbols, so an icon never goes inline into a label's text.
    """

    icon = StringProperty("")
    text = StringProperty("")
    role = StringProperty("body")
    bold = BooleanProperty(False)


class BarButton(KButton):
    """A compact button for the top bar: as wide as its text, still a full touch target."""

    def on_kv_post(self, _base_widget: object) -> None:
        """Follow the text's natural width."""
        self.ids.btn_label.bind(texture_size=self._fit)
        self.ids.btn_icon.bind(width=self._fit)
        self._fit()

    def _fit(self, *_args: object) -> None:
        app = App.get_running_app()
        touch, pad = (app.touch_px, app.pad_px) if app is not None else (60, 16)
        natural = self.ids.btn_label.texture_size[0] + self.ids.btn_icon.width + 3 * pad
        self.width = max(touch, natural)
