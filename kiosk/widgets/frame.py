"""The frame every screen sits in: top bar (title, language, text size, read aloud,
options, end), scrolling content, and the bottom bar (back / main action).

Screens declare ``KioskFrame:`` in their .kv and put their own widgets inside; those land
in the scrolling content area, so large text reflows and scrolls instead of clipping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

Builder.load_file(str(Path(__file__).with_name("frame.kv")))

FRAME_PARTS = 4


class KioskFrame(BoxLayout):
    """Screen chrome with a content area; events: on_back, on_next."""

    title = StringProperty("")
    instruction = StringProperty("")
    icon = StringProperty("")
    step = StringProperty("")
    next_text = StringProperty("")
    next_role = StringProperty("primary")
    back_text = StringProperty("")
    show_back = BooleanProperty(True)
    show_next = BooleanProperty(True)
    show_bar = BooleanProperty(True)

    __events__ = ("on_back", "on_next")

    def add_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        """Route children declared by screens into the scrolling content box.

        The frame's own rule adds exactly ``FRAME_PARTS`` children (low-reach spacer, top
        bar, scroller, bottom bar); everything after them belongs to the screen.
        """
        if len(self.children) < FRAME_PARTS:
            super().add_widget(widget, *args, **kwargs)
            return
        scroller = next(c for c in self.children if isinstance(c, ScrollView))
        scroller.children[0].add_widget(widget, *args, **kwargs)

    def on_back(self) -> None:
        """Default: nothing (screens bind their own handler)."""

    def on_next(self) -> None:
        """Default: nothing (screens bind their own handler)."""
