"""Keyboard and keypad operation: move a visible focus ring between controls, speak the
focused control, press it with Enter/Space, go back with Escape, hear help with F1.

Nothing here needs two fingers, swipes or timing (EN 301 549 5.1.6 / 5.5). Controls are
widgets with an ``action`` property (``KButton`` and friends), visited in reading order:
top to bottom, and left to right (right to left for Arabic and Farsi).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kivy.core.window import Window
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

KEY_TAB, KEY_ENTER, KEY_NUMPAD_ENTER, KEY_SPACE = 9, 13, 271, 32
KEY_ESCAPE, KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_F1 = 27, 273, 274, 275, 276, 282
ROW_TOLERANCE_PX = 8


def _shown(widget: Widget) -> bool:
    node: Any = widget
    while node is not None and node is not Window:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "height", 1) <= 0:
            return False
        node = node.parent
    return not widget.disabled


def _walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from _walk(child)


class FocusNavigator:
    """Keeps track of the focused control of whatever is on top."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.focused: Widget | None = None

    def top_root(self) -> Widget:
        """The open overlay, or the current screen."""
        overlays = [w for w in Window.children if isinstance(w, ModalView)]
        return overlays[0] if overlays else self.app.root.current_screen

    def bars(self) -> list[Widget]:
        """Bars lying over every screen without blocking it (the helper bar)."""
        return [w for w in Window.children
                if w is not self.app.root and not isinstance(w, ModalView)]

    def controls(self) -> list[Widget]:
        """Focusable controls in reading order (a bar's first, it is on top)."""
        top = self.top_root()
        roots = [top] if isinstance(top, ModalView) else [*self.bars(), top]
        found = [w for root in roots for w in _walk(root)
                 if getattr(w, "action", "") and _shown(w)]
        rtl = bool(self.app.rtl)

        def order(w: Widget) -> tuple[float, float]:
            x, y = w.to_window(w.x, w.top)
            return (-round(y / ROW_TOLERANCE_PX), -x if rtl else x)

        return sorted(found, key=order)

    def move(self, step: int) -> Widget | None:
        """Focus the next (step=1) or previous (step=-1) control and speak it."""
        controls = self.controls()
        if not controls:
            return None
        if self.focused in controls:
            index = (controls.index(self.focused) + step) % len(controls)
        else:
            index = 0 if step > 0 else len(controls) - 1
        self._set(controls[index])
        return self.focused

    def _set(self, widget: Widget | None) -> None:
        if self.focused is not None and hasattr(self.focused, "focused"):
            self.focused.focused = False
        self.focused = widget
        if widget is None:
            return
        if hasattr(widget, "focused"):
            widget.focused = True
        scroller = enclosing_scroll_view(widget)
        if scroller is not None:
            scroller.scroll_to(widget, animate=False)
        self.app.speak_control(widget)

    def activate(self) -> bool:
        """Press the focused control (as a touch would)."""
        widget = self.focused
        if widget is None or widget not in self.controls():
            self._set(None)
            return False
        widget.dispatch("on_press")
        widget.dispatch("on_release")
        return True

    def reset(self) -> None:
        """Forget the focus (after a screen change)."""
        self._set(None)

    def handle_key(self, key: int, shift: bool) -> bool:
        """Arrow/Tab moves, Enter/Space presses, Escape goes back, F1 reads the screen."""
        if key == KEY_TAB:
            self.move(-1 if shift else 1)
        elif key in (KEY_DOWN, KEY_RIGHT):
            self.move(1)
        elif key in (KEY_UP, KEY_LEFT):
            self.move(-1)
        elif key in (KEY_ENTER, KEY_NUMPAD_ENTER, KEY_SPACE):
            return self.activate()
        elif key == KEY_ESCAPE:
            self.app.go_back_or_close()
        elif key == KEY_F1:
            self.app.read_aloud()
        else:
            return False
        return True


def enclosing_scroll_view(widget: Widget) -> ScrollView | None:
    """The nearest ScrollView around ``widget`` (None at the Window, its own parent)."""
    node = widget.parent
    while node is not None and not isinstance(node, ScrollView):
        parent = node.parent
        node = parent if parent is not node else None
    return node
